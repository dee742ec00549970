"""What the hospital leaves for a nurse: the worklist section "From the hospital" and its answers.

Each answer closes the notice with a conditional UPDATE, so two nurses answering at once both see
the result and only the first answer acts: a patient is resumed once, a number is used once.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import HospitalNotice, Patient
from ..worklist import UNDER_CARE

Kind = HospitalNotice.Kind
Outcome = HospitalNotice.Outcome
# What a nurse may answer to each kind of notice.
ANSWERS = {
    Kind.BACK_HOME: (Outcome.RESUMED, Outcome.KEPT_PAUSED),
    Kind.PHONE_TO_CONFIRM: (Outcome.NUMBER_USED, Outcome.NUMBER_KEPT),
    Kind.MERGED_RECORDS: (Outcome.SEEN,),
    Kind.DEATH_WITHOUT_TIME: (Outcome.SEEN,),
}


def open_notices(clinic_ids, nurse=None):
    """The open notices of patients still under care in these clinics (of one nurse's patients, if
    given), oldest first: the worklist's section "From the hospital"."""
    scope = Q(patient__clinic_id__in=clinic_ids, patient__status__in=UNDER_CARE, closed_at__isnull=True)
    if nurse is not None:
        scope &= Q(patient__nurse=nurse)
    return HospitalNotice.objects.filter(scope).select_related("patient", "other_patient", "message").order_by("created_at", "pk")


def _close(notice, outcome, by):
    """True if this call closed the notice (nobody had answered it yet)."""
    closed = HospitalNotice.objects.filter(pk=notice.pk, closed_at__isnull=True).update(
        closed_at=timezone.now(), closed_by=by, outcome=outcome)
    notice.refresh_from_db()
    return bool(closed)


def answer(notice, outcome, *, by, consent=False, consent_source="", consent_given_by=""):
    """Settle a notice. Resuming needs the patient still paused; using a new number records consent
    to texts at it only when the nurse says how it was given and who agreed (consent belongs to a
    number). An opt-out (STOP) stays: it is lifted only where opt-outs are cleared, on the patient page.
    Returns False when someone had already answered it."""
    if outcome not in ANSWERS.get(notice.kind, ()):
        raise ValidationError({"outcome": _("That is not an answer to this notice.")})
    if outcome == Outcome.NUMBER_USED and consent:
        errors = {}
        if not consent_source.strip():
            errors["consent_source"] = _("Say how consent was given (verbal, written form...).")
        if not consent_given_by.strip():
            errors["consent_given_by"] = _("Say who agreed: the patient, or who for them.")
        if errors:
            raise ValidationError(errors)
    with transaction.atomic():
        if not _close(notice, outcome, by):
            return False
        patient = notice.patient
        if outcome == Outcome.RESUMED:
            if Patient.objects.get(pk=patient.pk).status != Patient.Status.PAUSED:
                raise ValidationError(_("This patient is no longer paused: nothing to resume."))
            services.resume(patient, by=by)
        elif outcome == Outcome.NUMBER_USED:
            _use_number(patient, notice.new_mobile, by, consent, consent_source.strip(), consent_given_by.strip())
    return True


def _use_number(patient, number, by, consent, consent_source, consent_given_by):
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    patient.mobile = number
    # The opt-out belongs to a number (messaging/opt_outs.py): the old number's stays with it, and a
    # new number already opted out (shared with someone who sent STOP) stays opted out.
    if consent:
        patient.opt_in(consent_source[:40], given_by=consent_given_by[:80])
    else:
        # Consent was given for the old number: texts wait until it is given for this one.
        patient.withdraw_consent()
    patient._history_user = by
    patient._change_reason = "New number from the hospital, confirmed by the nurse"
    patient.save(update_fields=["mobile", "consent_at", "consent_source", "consent_given_by"])
    services.replan_reminders(patient, reason="Mobile number changed")
