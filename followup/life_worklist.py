"""What the worklist shows of life events, each a count and a bounded list (worklist.Section):

- bereavement calls due within the next week or overdue (tasks for staff, never automated);
- paused patients, with their open items and review date; those whose review day has come ask
  "resume or extend?" (after an admission: "back home?");
- texts from a number shared across clinics, waiting for a lead to assign them (leads only);
- a "bereaved" phase left on a living patient, for a nurse to resolve.
"""

from datetime import timedelta

from django.db.models import OuterRef, Prefetch, Subquery

from . import scheduling
from .messaging import routing
from .models import BereavementCall, Occurrence, Patient, Pause

BEREAVEMENT_AHEAD_DAYS = 7


def _section(queryset, rows=25):
    from .worklist import Section

    found = list(queryset[:rows + 1])
    total = len(found) if len(found) <= rows else queryset.count()
    return Section(total, found[:rows])


def life_sections(user, patients, todays, now):
    """The four sections for `patients` (the worklist's scope). `todays`: {zone: local date}."""
    latest_today = max(todays.values())
    earliest_today = min(todays.values())
    bereavement = (BereavementCall.objects.filter(patient__in=patients.filter(status=Patient.Status.DECEASED).values("pk"),
                                                  done_at__isnull=True,
                                                  due_on__lte=latest_today + timedelta(days=BEREAVEMENT_AHEAD_DAYS))
                   .select_related("patient", "caregiver", "patient__death").order_by("due_on", "pk"))
    open_items = Prefetch("occurrences", queryset=Occurrence.objects.filter(state=Occurrence.State.SCHEDULED).order_by("due_at"),
                          to_attr="open_items")
    current_pause = Pause.objects.filter(patient=OuterRef("pk"), ended_at__isnull=True)
    paused = (patients.filter(status=Patient.Status.PAUSED)
              .annotate(review_on=Subquery(current_pause.values("review_on")[:1]),
                        pause_reason=Subquery(current_pause.values("reason")[:1]),
                        pause_id=Subquery(current_pause.values("pk")[:1]))
              .select_related("nurse").prefetch_related(open_items).order_by("review_on", "family_name", "pk"))
    paused_rows = _section(paused)
    for patient in paused_rows.rows:
        today = todays.get(patient.time_zone) or scheduling.local_date(now, patient.zone)
        patient.review_due = patient.review_on is not None and patient.review_on <= today
        patient.pause_reason_label = Pause.Reason(patient.pause_reason).label if patient.pause_reason else ""
        patient.back_home_question = patient.pause_reason == Pause.Reason.HOSPITAL_ADMISSION
        patient.overdue_items = [o for o in patient.open_items if o.due_date < today]
    unrouted = routing.unrouted_for(user).prefetch_related("involved_clinics").order_by("received_at", "pk")
    phase = patients.filter(phase=Patient.Phase.BEREAVED).exclude(status=Patient.Status.DECEASED).select_related("nurse")
    review_due = paused.filter(review_on__lte=earliest_today).count() if paused_rows.count else 0
    return {
        "bereavement_calls": _section(bereavement),
        "paused": paused_rows,
        "paused_review_due": review_due,
        "unrouted_messages": _section(unrouted),
        "phase_to_resolve": _section(phase.order_by("family_name", "given_name", "pk")),
    }



