"""Bereavement follow-up: after a death the team calls the family (the next of kin) at the steps of
the clinic's plan, by default 2 weeks, 3 months, 6 months and 13 months (domain.md: US hospices
offer bereavement support for a year after the death, 42 CFR 418.64(d)).

Each call is a task for a person, with its outcome recorded. Nothing automated is ever sent to
the family: these rows are not occurrences, so the reminder planner never sees them.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import scheduling
from .models import BereavementCall
from .models.clinics import parse_bereavement_plan


def plan_calls(patient, death):
    """Create the calls of the clinic's plan, counted from the local day of the death."""
    died_on = scheduling.local_date(death.died_at, patient.zone)
    next_of_kin = patient.caregivers.filter(next_of_kin=True).order_by("pk").first()
    calls = [
        BereavementCall(patient=patient, caregiver=next_of_kin, step=label, due_on=died_on + delta)
        for label, delta in parse_bereavement_plan(patient.clinic.bereavement_plan)
    ]
    for call in calls:
        call.save()  # one by one: each call's history starts with its creation
    return calls


def record_bereavement_call(call, *, outcome, by=None, note=""):
    """Record how a bereavement call went. "Declined" closes the family's remaining calls too."""
    if outcome not in BereavementCall.Outcome.values:
        raise ValidationError({"outcome": _("Choose how the call went.")})
    now = timezone.now()
    with transaction.atomic():
        call = BereavementCall.objects.select_for_update().get(pk=call.pk)
        if call.done_at is not None:
            raise ValidationError({"outcome": _("This call's outcome is already recorded.")})
        call.outcome, call.done_at, call.done_by, call.note = outcome, now, by, note
        call._history_user = by
        call.save(update_fields=["outcome", "done_at", "done_by", "note"])
        if outcome == BereavementCall.Outcome.DECLINED:
            for later in BereavementCall.objects.filter(patient_id=call.patient_id, done_at__isnull=True):
                later.outcome, later.done_at, later.done_by = BereavementCall.Outcome.DECLINED, now, by
                later.note = "Not made: the family declined further calls."
                later._history_user = by
                later.save(update_fields=["outcome", "done_at", "done_by", "note"])
    return call
