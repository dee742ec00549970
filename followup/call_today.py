""""Do you need a call from your team today?": the question that ends the web form and the keypad survey.

The answer is kept on the report. Yes asks the team for a call whatever the scores; no, with nothing
severe, tells the nurse the patient says it can wait.
"""

from .models import SymptomReport


def record_answer(report, needs_call, *, partial=False, now=None):
    """Store the patient's answer (None: not asked or not answered) and whether the report is partial."""
    report.needs_call_today = needs_call
    report.partial = partial
    SymptomReport.objects.filter(pk=report.pk).update(needs_call_today=needs_call, partial=partial)
    return report
