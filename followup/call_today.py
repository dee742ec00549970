""""Do you need a call from your team today?": the question that ends the web form and the keypad survey.

The answer is kept on the report (`SymptomReport.needs_call_today`, given to
`services.record_symptom_report`) and the alert rules read it (followup/alerts.py): yes raises a
call-request alert whatever the scores, first on the worklist and paged to the on-call contacts out
of hours; no, with nothing severe, marks the alert "patient says it can wait" and triage sorts it
lower. Leads see how often each answer came with severe scores.
"""

from django.utils.translation import gettext_lazy as _

ANSWERS = ((True, _("Yes, a call today")), (False, _("No, it can wait")), (None, _("Not asked or not answered")))


def answers_with_severe_scores(reports):
    """[(answer label, reports, with a severe item, %)] for a queryset of reports: how often each
    answer to "do you need a call today?" came with severe scores (the lead's view of the triage)."""
    from django.db.models import Count, Q

    from . import scheduling
    from .models import ESAS_FIELDS

    any_severe = Q()
    for item in ESAS_FIELDS:
        any_severe |= Q(**{f"{item}__gte": scheduling.SEVERE_SCORE})
    counts = {row["needs_call_today"]: row for row in
              reports.values("needs_call_today").annotate(reports=Count("id"), severe=Count("id", filter=any_severe)).order_by()}
    rows = []
    for answer, label in ANSWERS:
        row = counts.get(answer, {"reports": 0, "severe": 0})
        rows.append((label, row["reports"], row["severe"], None if not row["reports"] else 100.0 * row["severe"] / row["reports"]))
    return rows
