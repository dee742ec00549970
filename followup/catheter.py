"""The catheter's life: the "consider a catheter" advisory and its answers, a catheter placed, and
drainage at home through it, logged by the nurse or by the caregiver through a signed single-use
link (like the symptom form's, see symptom_links.py).

The advisory is shown only for an active patient without a catheter, and not while an answer
silences it (the clinic's `advisory_silence_months`, 3 by default).
"""

import logging
import secrets
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from . import scheduling
from .messaging.planning import cancel_unsent_reminders
from .models import AdvisoryAnswer, CareSchedule, Catheter, HomeDrainageLink, Kind, Occurrence, Patient, Procedure
from .services import _as_actor, _lock, _open_occurrence, _today_at, record_procedure
from .symptom_links import SEPARATOR, TOKEN_BYTES, LinkClosed, LinkExpired, LinkTampered, LinkUnknown, LinkUsed, _ShortSigner

logger = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(hours=72)
LINK_SALT = "followup.home-drainage-link"


# --- The advisory ---------------------------------------------------------------------------------


def has_catheter(patient):
    return patient.catheters.filter(removed_on__isnull=True).exists()


def silenced_until(patient):
    return patient.advisory_answers.order_by("-silenced_until").values_list("silenced_until", flat=True).first()


def advisory_applies(patient, today=None):
    """Whether the advisory may be shown at all: active, no catheter, no answer silencing it."""
    today = today or scheduling.local_date(timezone.now(), patient.zone)
    if patient.status != Patient.Status.ACTIVE or has_catheter(patient):
        return False
    until = silenced_until(patient)
    return until is None or until <= today


def advisory(patient, drainage_times=None):
    """The advisory's text for this patient, or ""."""
    if not advisory_applies(patient):
        return ""
    if drainage_times is None:
        drainage_times = list(patient.procedures.filter(kind=Kind.PARACENTESIS).values_list("performed_at", flat=True))
    return scheduling.catheter_advisory(drainage_times, patient.zone)


def answer_advisory(patient, *, answer, answered_on=None, note="", by=None):
    """Answer the advisory (discussed and declined, referred, not suitable) on a day; it is silent
    for the clinic's `advisory_silence_months` from then."""
    today = scheduling.local_date(timezone.now(), patient.zone)
    answered_on = answered_on or today
    if answer not in AdvisoryAnswer.Answer.values:
        raise ValidationError({"answer": _("Choose an answer: discussed and declined, referred, or not suitable.")})
    if answered_on > today:
        raise ValidationError({"answered_on": _("The answer cannot be dated in the future.")})
    with transaction.atomic():
        patient = _lock(patient)
        until = answered_on + relativedelta(months=patient.clinic.advisory_silence_months)
        row = AdvisoryAnswer(patient=patient, answer=answer, answered_on=answered_on, silenced_until=until, note=note, by=by)
        _as_actor(row, by).save()
    return row


# --- A catheter placed ----------------------------------------------------------------------------


def place_catheter(patient, *, placed_on, type, by=None, interval_days=None):  # noqa: A002 - the clinic's word
    """A catheter was placed: the paracentesis series ends (its open occurrence cancelled) and a
    home-drainage series starts, every `interval_days` (the clinic's, 2 by default; 1 or more),
    without automated reminders unless the clinic turned them on."""
    today = scheduling.local_date(timezone.now(), patient.zone)
    errors = {}
    if placed_on is None:
        errors["placed_on"] = _("Give the day the catheter was placed.")
    elif placed_on > today:
        errors["placed_on"] = _("A catheter cannot be recorded as placed in the future.")
    if type not in Catheter.Type.values:
        errors["type"] = _("Choose the type of catheter.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        patient = _lock(patient)
        if patient.status not in (Patient.Status.ACTIVE, Patient.Status.PAUSED):
            raise ValidationError({"placed_on": gettext("A %(status)s patient's care has ended.") % {
                "status": patient.get_status_display().lower()}})
        if has_catheter(patient):
            raise ValidationError({"placed_on": _("This patient already has a catheter in place.")})
        interval = scheduling.Interval(interval_days or patient.clinic.home_drainage_interval_days, scheduling.Unit.DAYS)
        try:
            interval.validate(min_days=scheduling.HOME_DRAINAGE_MIN_DAYS)
        except ValueError as error:
            raise ValidationError({"interval_days": str(error)}) from None
        catheter = Catheter(patient=patient, placed_on=placed_on, type=type, recorded_by=by)
        _as_actor(catheter, by).save()
        now = timezone.now()
        for schedule in patient.schedules.filter(kind=Kind.PARACENTESIS, active=True):
            for occurrence in schedule.occurrences.filter(state=Occurrence.State.SCHEDULED):
                occurrence.state, occurrence.closed_at, occurrence.closed_by = Occurrence.State.CANCELLED, now, by
                occurrence.note = "Catheter placed: drainage moves home."
                _as_actor(occurrence, by).save(update_fields=["state", "closed_at", "closed_by", "note"])
                cancel_unsent_reminders(occurrence.reminders.all(), gettext_noop("Catheter placed"))
            schedule.active = False
            _as_actor(schedule, by).save(update_fields=["active"])
        clinic = patient.clinic
        started = scheduling.at_local(placed_on, clinic.appointment_time, patient.zone)
        home = CareSchedule(patient=patient, kind=Kind.HOME_DRAINAGE, interval_count=interval.count,
                            interval_unit=interval.unit, sends_reminders=clinic.home_drainage_reminders, started_at=started)
        _as_actor(home, by).save()
        first = scheduling.next_due(started, interval, patient.zone, clinic.appointment_time)
        _open_occurrence(home, max(first, _today_at(home, now)))
    return catheter


def record_home_drainage(patient, *, performed_at, volume_ml, by=None, performer_name="", performer_role="",
                         complication_codes=(), complications=""):
    """A drainage at home through the catheter, by the nurse (`by`) or a named caregiver."""
    return record_procedure(
        patient, kind=Kind.HOME_DRAINAGE, performed_at=performed_at, volume_ml=volume_ml, setting=Procedure.Setting.HOME,
        performed_by=None if performer_name else by, performer_name=performer_name, performer_role=performer_role,
        complication_codes=complication_codes, complications=complications, recorded_by=by,
    )


# --- The caregiver's link ---------------------------------------------------------------------------


def _signer():
    return _ShortSigner(salt=LINK_SALT, sep=SEPARATOR, algorithm="sha256")


def issue_link(patient, *, by=None, now=None):
    """A single-use link for the caregiver to log one home drainage; its absolute URL."""
    now = now or timezone.now()
    if not has_catheter(patient) or patient.status != Patient.Status.ACTIVE:
        raise ValidationError(_("A drainage log link is for an active patient with a catheter."))
    for _attempt in range(3):
        try:
            with transaction.atomic():
                link = HomeDrainageLink.objects.create(patient=patient, token=secrets.token_urlsafe(TOKEN_BYTES),
                                                       created_at=now, created_by=by, expires_at=now + LINK_LIFETIME)
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError("Could not create a unique drainage log token.")
    logger.info("home drainage link issued link=%s patient=%s", link.pk, patient.pk)
    return settings.SITE_URL + reverse("home_drainage_form", args=[_signer().sign(link.token)])


def resolve_link(signed, now=None):
    now = now or timezone.now()
    try:
        token = _signer().unsign(signed)
    except signing.BadSignature:
        raise LinkTampered("This link has been changed or is incomplete.") from None
    link = HomeDrainageLink.objects.select_related("patient__clinic").filter(token=token).first()
    if link is None:
        raise LinkUnknown("No such link.")
    if link.used_at is not None:
        raise LinkUsed("This link has already been used.", link)
    if link.expires_at <= now:
        raise LinkExpired("This link has expired.", link)
    if link.patient.status != Patient.Status.ACTIVE or not has_catheter(link.patient):
        raise LinkClosed("The link is closed.", link)
    return link


def submit_link(link, *, performed_at, volume_ml, performer_name, now=None):
    """Record the drainage logged with `link` and mark it used, exactly once (a conditional UPDATE
    claims the link; a failure rolls the claim back with it)."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = HomeDrainageLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
        if not claimed:
            link.refresh_from_db()
            if link.used_at is not None:
                raise LinkUsed("This link has already been used.", link)
            raise LinkExpired("This link has expired.", link)
        procedure = record_procedure(
            link.patient, kind=Kind.HOME_DRAINAGE, performed_at=performed_at, volume_ml=volume_ml,
            setting=Procedure.Setting.HOME, performer_name=performer_name or "Caregiver", performer_role="caregiver",
        )
        HomeDrainageLink.objects.filter(pk=link.pk).update(procedure=procedure)
    logger.info("home drainage logged through link=%s procedure=%s", link.pk, procedure.pk)
    return procedure
