"""Life events that change a patient's plan: PCOC phases kept as episodes, a death, and pauses
(a hospital admission, respite, the patient's wish) with a review date.

`record_death`, `pause` and `resume` are also reached as `services.record_death` etc.: the HL7
listener (admit, death) and the FHIR writes call them. Each runs in one transaction, under the
patient lock, and raises ValidationError keyed by field.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import bereavement, scheduling
from .models import Death, Patient, Pause, PhaseEpisode
from .services import _as_actor, _lock, _not_in_future, change_status, record_procedure

BEREAVED = Patient.Phase.BEREAVED
BEREAVED_REFUSED = _('"Bereaved" is the phase after a death, never of a living patient. '
                     'To record that the patient has died, use "Record death".')


# --- Phases ----------------------------------------------------------------------------------------


def check_phase(patient, phase, field="phase"):
    """Bereaved only after a recorded death: refused for a living patient, pointing to "record death"."""
    if phase == BEREAVED and patient.status != Patient.Status.DECEASED:
        raise ValidationError({field: BEREAVED_REFUSED}, code="bereaved_living")


def start_phase(patient, phase, *, at, by=None):
    """Close the patient's open phase episode and open one for `phase` from `at`. The caller saves
    `patient.phase`. A patient from before episodes were kept gets one for their old phase first."""
    current = patient.phase_episodes.filter(ended_at__isnull=True).first()
    if current is None and patient.phase != phase:
        current = PhaseEpisode.objects.create(patient=patient, phase=patient.phase, started_at=min(patient.created_at, at))
    if current is not None and current.phase == phase:
        return current
    if current is not None:
        current.ended_at = max(at, current.started_at)
        _as_actor(current, by).save(update_fields=["ended_at"])
    episode = PhaseEpisode(patient=patient, phase=phase, started_at=at, started_by=by)
    _as_actor(episode, by).save()
    return episode


def resolve_phase(patient, *, phase, by=None):
    """A nurse settles a "bereaved" phase left on a living patient (data from before the rule)."""
    with transaction.atomic():
        patient = _lock(patient)
        if phase not in Patient.Phase.values:
            raise ValidationError({"phase": _("Choose a PCOC phase.")})
        check_phase(patient, phase)
        start_phase(patient, phase, at=timezone.now(), by=by)
        patient.phase = phase
        _as_actor(patient, by).save(update_fields=["phase"])
    return patient


# --- Death -----------------------------------------------------------------------------------------


def record_death(patient, *, died_at, place, source, by=None, note=""):
    """Record that the patient has died: when, where, who told us, who recorded it.

    Everything stops at once (open occurrences cancelled, series ended, unsent reminders to the
    patient and caregivers cancelled, each change in the objects' history). The phase becomes
    "bereaved" and the clinic's bereavement calls are planned as tasks for staff. A time before
    events already recorded is accepted (hospital records arrive late); the timeline flags those.
    """
    errors = {}
    if died_at is None:
        errors["died_at"] = _("Give the date and time of death.")
    if place not in Death.Place.values:
        errors["place"] = _("Choose where the patient died: home, inpatient unit, hospital or other.")
    if source not in Death.Source.values:
        errors["source"] = _("Choose how the team learnt of the death: family, staff or hospital record.")
    if errors:
        raise ValidationError(errors)
    _not_in_future(died_at, "died_at", _("A death cannot be recorded in the future."))
    with transaction.atomic():
        locked = _lock(patient)
        if locked.status == Patient.Status.DECEASED:
            raise ValidationError({"died_at": _("This patient's death is already recorded.")})
        change_status(locked, Patient.Status.DECEASED, by=by, note=note, at=died_at, _death=True)
        locked.refresh_from_db()
        death = Death(patient=locked, died_at=died_at, place=place, source=source, recorded_by=by, note=note)
        _as_actor(death, by).save()
        start_phase(locked, BEREAVED, at=died_at, by=by)
        locked.phase = BEREAVED
        _as_actor(locked, by).save(update_fields=["phase"])
        bereavement.plan_calls(locked, death)
    return death


# --- Pauses ----------------------------------------------------------------------------------------


def _local_today(patient):
    return scheduling.local_date(timezone.now(), patient.zone)


def _check_review_on(patient, review_on):
    if review_on is None:
        raise ValidationError({"review_on": _("Give the day to review this pause.")})
    if review_on < _local_today(patient):
        raise ValidationError({"review_on": _("The review date cannot be in the past.")})
    if (review_on - _local_today(patient)).days > 366:
        raise ValidationError({"review_on": _("Choose a review date within the next year.")})


def default_review_on(patient, reason):
    """The admission default (the clinic's setting, 7 days); other reasons have none."""
    if reason == Pause.Reason.HOSPITAL_ADMISSION:
        return _local_today(patient) + timedelta(days=patient.clinic.admission_review_days)
    return None


def open_pause(patient):
    return patient.pauses.filter(ended_at__isnull=True).first()


def begin_pause(patient, *, reason=Pause.Reason.OTHER, review_on=None, note="", by=None, at=None):
    """The pause row of a patient who has just been paused (called by change_status)."""
    pause = Pause(patient=patient, reason=reason, review_on=review_on, note=note, started_at=at or timezone.now(),
                  started_by=by)
    _as_actor(pause, by).save()
    return pause


def end_pause(patient, *, by=None, at=None):
    pause = open_pause(patient)
    if pause is not None:
        pause.ended_at = at or timezone.now()
        pause.ended_by = by
        _as_actor(pause, by).save(update_fields=["ended_at", "ended_by"])
    return pause


def pause(patient, *, reason, review_on=None, note="", by=None):
    """Pause a patient's reminders for a coded reason, until a review date.

    An admission is reviewed after the clinic's `admission_review_days` unless a date is given;
    other reasons need a date. A date in the past is refused. Open occurrences stay (listed with
    the paused patient on the worklist); unsent reminders are cancelled.
    """
    if reason not in Pause.Reason.values:
        raise ValidationError({"reason": _("Choose a reason: hospital admission, respite, patient's wish or other.")})
    with transaction.atomic():
        locked = _lock(patient)
        review_on = review_on or default_review_on(locked, reason)
        _check_review_on(locked, review_on)
        if locked.status != Patient.Status.ACTIVE:
            raise ValidationError({"status": gettext("Only an active patient can be paused; this one is %(status)s.") % {
                "status": locked.get_status_display().lower()}})
        change_status(locked, Patient.Status.PAUSED, by=by, note=note)
        current = open_pause(locked)
        current.reason, current.review_on = reason, review_on
        _as_actor(current, by).save(update_fields=["reason", "review_on"])
    return current


def extend_pause(patient, *, review_on, by=None, note=""):
    """Keep the patient paused until a later review date."""
    with transaction.atomic():
        locked = _lock(patient)
        current = open_pause(locked)
        if locked.status != Patient.Status.PAUSED or current is None:
            raise ValidationError({"status": _("This patient is not paused.")})
        _check_review_on(locked, review_on)
        current.review_on = review_on
        if note:
            current.note = f"{current.note}\n{note}".strip()
        _as_actor(current, by).save(update_fields=["review_on", "note"])
    return current


def resume(patient, *, by=None, ward_drainages=()):
    """End a pause: reminders are planned again for the open occurrences.

    `ward_drainages`: drainages done in hospital meanwhile, each a mapping with `performed_at`,
    `volume_ml` and optionally `performer_name`, `performer_role`, `complication_codes`,
    `complications`. They are recorded first, with the setting "hospital", so the drainage series
    counts from the last one done.
    """
    with transaction.atomic():
        locked = _lock(patient)
        if locked.status != Patient.Status.PAUSED:
            raise ValidationError({"status": _("Only a paused patient can be resumed.")})
        for drainage in ward_drainages:
            record_procedure(
                locked, performed_at=drainage.get("performed_at"), volume_ml=drainage.get("volume_ml"),
                performer_name=drainage.get("performer_name", "") or "Ward staff",
                performer_role=drainage.get("performer_role", "") or "hospital ward",
                complication_codes=drainage.get("complication_codes") or [], complications=drainage.get("complications", ""),
                setting="hospital", recorded_by=by,
            )
        change_status(locked, Patient.Status.ACTIVE, by=by)
        locked.refresh_from_db()
    return locked
