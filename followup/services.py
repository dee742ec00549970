"""Work that spans models: record a procedure, a symptom report, change an interval or a status.

Each is one function a view, the API, a task and a test can all call. Each runs in one transaction
and plans (or cancels) reminders in it, so a crash never leaves a half-planned patient. Bad input
raises ValidationError with a message for the field it concerns.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from . import alerts, care_dates, scheduling
from .languages import in_source_language
from .messaging.planning import cancel_unsent_reminders, plan_reminders
from .models import (
    DRAINAGE_KINDS,
    ESAS_FIELDS,
    HOME_DRAINAGE_MAX_ML,
    CareSchedule,
    Kind,
    Occurrence,
    Patient,
    Procedure,
    StatusChange,
    SymptomReport,
)

CLOSED_STATUSES = (Patient.Status.DISCHARGED, Patient.Status.DECEASED)
# A clock a few minutes fast on a nurse's tablet is not a procedure "in the future".
CLOCK_TOLERANCE = timedelta(minutes=5)


def _lock(patient):
    """Serialise work on one patient (two nurses, a double-submitted form, a webhook)."""
    return Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)


def _require_aware(moment, field):
    if moment is not None and timezone.is_naive(moment):
        raise ValidationError({field: _("Give the time with its time zone.")})


def _not_in_future(moment, field, message):
    _require_aware(moment, field)
    if moment is not None and moment > timezone.now() + CLOCK_TOLERANCE:
        raise ValidationError({field: message})


def _validated(interval, field="interval_count"):
    try:
        return interval.validate()
    except ValueError as error:
        raise ValidationError({field: str(error)}) from None


def _as_actor(instance, by):
    """Name the staff member in the object's history (django-simple-history reads this)."""
    if by is not None:
        instance._history_user = by
    return instance


# --- Series and occurrences ---------------------------------------------------------------------


def _wall(schedule):
    """The local time of day this series' occurrences are due."""
    clinic = schedule.patient.clinic
    return clinic.checkin_reminder_at if schedule.kind == Kind.CHECKIN else clinic.appointment_time


def _today_at(schedule, now=None):
    patient = schedule.patient
    today = scheduling.local_date(now or timezone.now(), patient.zone)
    return scheduling.at_local(today, _wall(schedule), patient.zone)


def _free_due(schedule, due_at, exclude=None):
    """`due_at`, or the same wall time on the first later day free of another occurrence of the series.

    The series allows one occurrence a day; a closed one (done, skipped, cancelled) can already hold
    the natural day, e.g. a back-dated entry with a 2-day interval, or a check-in skipped for the very
    day a severe symptom brings the next one forward to.
    """
    zone = schedule.patient.zone
    wall = due_at.astimezone(zone).time()
    day = scheduling.local_date(due_at, zone)
    taken = Occurrence.objects.filter(schedule=schedule, due_date__gte=day)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    taken_days = set(taken.values_list("due_date", flat=True))
    if day not in taken_days:
        return due_at
    while day in taken_days:
        day += timedelta(days=1)
    return scheduling.at_local(day, wall, zone)


def _open_occurrence(schedule, due_at):
    patient = schedule.patient
    day = scheduling.local_date(due_at, patient.zone)
    # An occurrence cancelled by a discharge is taken up again when the patient comes back and the
    # same day is due: it was never done, and its reminders (same key) can be planned again.
    occurrence = schedule.occurrences.filter(due_date=day, state=Occurrence.State.CANCELLED).first()
    if occurrence:
        occurrence.state = Occurrence.State.SCHEDULED
        occurrence.due_at = due_at
        occurrence.closed_at = occurrence.closed_by = None
        occurrence.note = "Planned again."
        occurrence.save(update_fields=["state", "due_at", "closed_at", "closed_by", "note"])
    else:
        due_at = _free_due(schedule, due_at)
        occurrence = Occurrence.objects.create(
            schedule=schedule, patient=patient, kind=schedule.kind, due_at=due_at,
            due_date=scheduling.local_date(due_at, patient.zone),
        )
    plan_reminders(occurrence)
    return occurrence


def _plan_after(schedule, last_done: datetime):
    """Open the next occurrence of a series, one interval after the last event actually done."""
    patient = schedule.patient
    return _open_occurrence(schedule, scheduling.next_due(last_done, schedule.interval, patient.zone, _wall(schedule)))


def _move(occurrence, due_at, *, by=None, note=""):
    """Move an open occurrence (to a free day of its series) and re-plan its unsent reminders."""
    due_at = _free_due(occurrence.schedule, due_at, exclude=occurrence)
    if due_at == occurrence.due_at:
        return occurrence
    cancel_unsent_reminders(occurrence.reminders.all(), gettext_noop("Appointment moved"))
    occurrence.due_at = due_at
    occurrence.due_date = scheduling.local_date(due_at, occurrence.patient.zone)
    occurrence.note = note or occurrence.note
    _as_actor(occurrence, by).save(update_fields=["due_at", "due_date", "note"])
    plan_reminders(occurrence)
    return occurrence


def _last_event(schedule):
    """When the last event of this series was actually done: a recorded procedure of its kind, or a
    done occurrence (a check-in call); None when nothing has been done yet."""
    moments = [
        schedule.patient.procedures.filter(kind=schedule.kind).order_by("-performed_at")
        .values_list("performed_at", flat=True).first(),
        schedule.occurrences.filter(state=Occurrence.State.DONE, closed_at__isnull=False).order_by("-closed_at")
        .values_list("closed_at", flat=True).first(),
    ]
    moments = [moment for moment in moments if moment is not None]
    return max(moments) if moments else None


def _series_start(schedule):
    """When the series began (set by enrol(), in the past for an import or the demo)."""
    return schedule.started_at


def _due_from_history(schedule, now=None):
    """Where the open occurrence of a series belongs: one interval after its last event done.

    With nothing done yet, one interval after the series began (as enrolment counted it), but not
    before today: without a recorded event there is no honest "overdue".
    """
    patient = schedule.patient
    last = _last_event(schedule)
    due_at = scheduling.next_due(last or _series_start(schedule), schedule.interval, patient.zone, _wall(schedule))
    if last is None:
        due_at = max(due_at, _today_at(schedule, now))
    return due_at


def open_occurrence(schedule):
    return schedule.occurrences.filter(state=Occurrence.State.SCHEDULED).first()


# Why unsent reminders were cancelled, stored in English and shown in the reader's language (the
# timeline looks each one up in the catalogue).
OCCURRENCE_CLOSED = {
    Occurrence.State.DONE: gettext_noop("Occurrence done"), Occurrence.State.MISSED: gettext_noop("Occurrence missed"),
    Occurrence.State.SKIPPED: gettext_noop("Occurrence skipped"), Occurrence.State.CANCELLED: gettext_noop("Occurrence cancelled"),
    Occurrence.State.SCHEDULED: gettext_noop("Occurrence scheduled"),
}
PATIENT_CLOSED = [gettext_noop("Patient discharged"), gettext_noop("Patient deceased"), gettext_noop("Patient paused"),
                  gettext_noop("Patient active")]


def _close(occurrence, state, by, note="", at=None):
    occurrence.state = state
    occurrence.closed_at = at or timezone.now()
    occurrence.closed_by = by
    occurrence.note = note or occurrence.note
    _as_actor(occurrence, by).save(update_fields=["state", "closed_at", "closed_by", "note", "skip_reason"])
    cancel_unsent_reminders(occurrence.reminders.all(), OCCURRENCE_CLOSED[occurrence.state])


def _active_schedule(patient, kind):
    schedule = patient.schedules.filter(kind=kind, active=True).first()
    if schedule is None:
        raise ValidationError(gettext("This patient has no active %(kind)s series.") % {"kind": Kind(kind).label.lower()})
    return schedule


def _locked_open(occurrence, action):
    """Lock the patient and re-read the occurrence: another nurse may have closed it meanwhile."""
    _lock(occurrence.patient)
    current = Occurrence.objects.select_related("schedule", "patient__clinic").get(pk=occurrence.pk)
    if not current.is_open:
        raise ValidationError(f"Only a scheduled occurrence can be {action}.")
    return current


def enrol(patient, *, paracentesis_interval=None, first_drainage_due=None, now=None):
    """Give a new patient their two series: drainages at the clinic's default interval (or the one
    given) and check-ins at the cadence of their phase; plan the first of each."""
    now = now or timezone.now()
    clinic = patient.clinic
    interval = _validated(
        paracentesis_interval or scheduling.Interval(clinic.paracentesis_interval_days, scheduling.Unit.DAYS)
    )
    _require_aware(first_drainage_due, "first_drainage_due")
    with transaction.atomic():
        patient = _lock(patient)
        if patient.status in CLOSED_STATUSES:
            raise ValidationError(gettext("A %(status)s patient cannot be enrolled.") % {"status": patient.get_status_display().lower()})
        if patient.schedules.filter(active=True).exists():
            raise ValidationError(_("This patient is already enrolled."))
        drainages = CareSchedule(
            patient=patient, kind=Kind.PARACENTESIS, interval_count=interval.count, interval_unit=interval.unit
        )
        checkins = CareSchedule(patient=patient, kind=Kind.CHECKIN, cadence_by_phase=True,
                                interval_count=clinic.checkin_days_for_phase(patient.phase), interval_unit=scheduling.Unit.DAYS)
        for series in (drainages, checkins):
            series.started_at = now  # in the past for an import or the demo
            series._history_date = now
            series.save()
        zone = patient.zone
        drainage_due = first_drainage_due or scheduling.next_due(now, interval, zone, clinic.appointment_time)
        _open_occurrence(drainages, drainage_due)
        _open_occurrence(checkins, scheduling.next_due(now, checkins.interval, zone, clinic.checkin_reminder_at))
    return drainages, checkins


def _check_procedure(kind, volume_ml, complication_codes, complications, performed_by, performer_name, performer_role,
                     setting):
    errors = {}
    if kind in DRAINAGE_KINDS and volume_ml is None:
        errors["volume_ml"] = _("Enter the volume drained in ml (0 for a dry tap).")
    if kind == Kind.HOME_DRAINAGE and volume_ml is not None and volume_ml > HOME_DRAINAGE_MAX_ML:
        errors["volume_ml"] = (f"A home drainage of more than {HOME_DRAINAGE_MAX_ML} ml is not plausible: "
                               "check the volume.")
    codes = list(complication_codes or [])
    unknown = sorted(set(codes) - set(Procedure.Complication.values))
    if unknown:
        errors["complication_codes"] = f"Unknown complication: {', '.join(map(str, unknown))}."
    elif Procedure.Complication.NONE in codes and len(set(codes)) > 1:
        errors["complication_codes"] = _("\"None\" cannot go with a complication.")
    elif Procedure.Complication.OTHER in codes and not (complications or "").strip():
        errors["complications"] = _("Describe the other complication.")
    if setting not in Procedure.Setting.values:
        errors["setting"] = _("Choose where it was done: clinic or day unit, home, or hospital ward.")
    if performed_by is not None and performer_name.strip():
        errors["performer_name"] = _("Name the performer or choose a staff member, not both.")
    elif performer_name.strip() and not performer_role.strip():
        errors["performer_role"] = _("Give the performer's role, for example interventional radiologist.")
    if errors:
        raise ValidationError(errors)
    return sorted(set(codes), key=Procedure.Complication.values.index)


def record_procedure(patient, *, performed_at, volume_ml=None, duration_minutes=None, complications="",
                     performed_by=None, kind=Kind.PARACENTESIS, complication_codes=(), setting=None,
                     performer_name="", performer_role="", recorded_by=None):
    """Record a drainage: create it, close the occurrence it fulfils, plan the next one and its
    reminders. The same drainage twice (same patient, same moment) is refused.

    `performed_by` (a staff account) or `performer_name` and `performer_role` say who did it;
    `recorded_by` who typed it in (the performer when not given). A drainage needs its volume, 0
    for a dry tap. `setting`: clinic (the default), home (the default for a home drainage), hospital.

    A drainage dated before one already recorded completes the history only: the open occurrence
    follows the latest drainage and stays where it is. One from before the series began (history
    entered after enrolment) moves the open occurrence to one interval after it without closing it.
    A discharged or deceased patient's earlier drainage can still be recorded; nothing is planned.
    """
    if setting is None:
        setting = Procedure.Setting.HOME if kind == Kind.HOME_DRAINAGE else Procedure.Setting.CLINIC
    recorded_by = recorded_by or performed_by
    if (complications or "").strip() and not complication_codes:
        complication_codes = [Procedure.Complication.OTHER]  # free text from an older caller: an "other" complication
    _not_in_future(performed_at, "performed_at", _("A procedure cannot be recorded in the future."))
    codes = _check_procedure(kind, volume_ml, complication_codes, complications, performed_by, performer_name or "",
                             performer_role or "", setting)
    with transaction.atomic():
        patient = _lock(patient)
        care_dates.check_care_moment(patient, performed_at, field="performed_at", what="A drainage", kind=kind)
        schedule = patient.schedules.filter(kind=kind, active=True).first()
        if schedule is None and patient.status not in CLOSED_STATUSES:
            schedule = _active_schedule(patient, kind)  # raises: nothing to plan the next one in
        procedure = Procedure(
            patient=patient, kind=kind, performed_at=performed_at, volume_ml=volume_ml, duration_minutes=duration_minutes,
            complications=complications.strip() if Procedure.Complication.OTHER in codes else "",
            complication_codes=codes, setting=setting, performed_by=performed_by,
            performer_name=(performer_name or "").strip(), performer_role=(performer_role or "").strip(),
            recorded_by=recorded_by,
        )
        procedure.full_clean(exclude=["occurrence"], validate_unique=False, validate_constraints=False)
        duplicate = ValidationError({"performed_at": _("This drainage is already recorded for that moment.")})
        if patient.procedures.filter(kind=kind, performed_at=performed_at).exists():
            raise duplicate
        is_latest = not patient.procedures.filter(kind=kind, performed_at__gt=performed_at).exists()
        current = open_occurrence(schedule) if schedule and is_latest else None
        next_due = None
        if schedule and is_latest and schedule.follows_last_event:
            next_due = scheduling.next_due(performed_at, schedule.interval, patient.zone, _wall(schedule))
        # A drainage from before the series began (history entered after enrolment) was not the one
        # the open occurrence asked for; nor was a second one on the day the open one counts from. In
        # both the open occurrence stays open, re-timed to one interval after this drainage.
        keeps_open = current is not None and next_due is not None and (
            performed_at < _series_start(schedule)
            or current.due_date == scheduling.local_date(next_due, patient.zone)
        )
        procedure.occurrence = None if keeps_open else current
        try:
            with transaction.atomic():
                _as_actor(procedure, recorded_by).save()
        except IntegrityError:
            raise duplicate from None  # a concurrent request without the patient lock (e.g. the admin)
        if keeps_open:
            _move(current, next_due, by=recorded_by)
        elif current:
            _close(current, Occurrence.State.DONE, recorded_by, at=performed_at)
            _open_occurrence(schedule, next_due or scheduling.next_due(
                current.due_at, schedule.interval, patient.zone, _wall(schedule)))
        elif next_due:
            _open_occurrence(schedule, next_due)
    return procedure


def _reschedule_for_phase(checkins, current, by=None, now=None):
    """The patient's phase changed: the open check-in follows the new phase's cadence, counted from
    the last check-in done, but not before today (the old cadence was no missed call)."""
    due_at = max(_due_from_history(checkins, now), _today_at(checkins, now))
    return _move(current, due_at, by=by, note=f"Phase {checkins.patient.get_phase_display().lower()}: "
                                              f"check-in every {checkins.interval}.")


def record_symptom_report(patient, *, scores: dict, completed_by, source, recorded_by=None, other_problem_name="",
                          pps=None, phase="", note="", reported_at=None, closes_checkin=False, needs_call_today=None,
                          partial=False):
    """Store an ESAS-r report and run the alert rules at once (followup.alerts).

    `needs_call_today` is the patient's answer to "Do you need a call from your team today?" (None: not
    asked or not answered): yes raises a call-request alert whatever the scores (followup/call_today.py).
    `partial`: a keypad survey that stopped before its last question.

    A severe item brings the next check-in forward: to the same day when the report arrives before
    the clinic's working day starts, else to the next calendar day; out of hours it also pages the
    on-call contacts. A report from a nurse call (`closes_checkin`) also closes the open check-in and
    plans the next one at the phase's cadence, and its alert is acknowledged by that call in the
    nurse's name. A new phase moves the open check-in to the new cadence when the series follows it.
    """
    now = timezone.now()
    unknown = sorted(set(scores) - set(ESAS_FIELDS))
    if unknown:
        raise ValidationError(f"Unknown ESAS-r item: {', '.join(unknown)}.")
    _not_in_future(reported_at, "reported_at", _("A symptom report cannot be dated in the future."))
    from . import life_events

    with transaction.atomic():
        patient = _lock(patient)
        care_dates.check_report(patient, reported_at)
        life_events.check_phase(patient, phase)
        report = SymptomReport(
            patient=patient, reported_at=reported_at or now, completed_by=completed_by, source=source,
            recorded_by=recorded_by, other_problem_name=other_problem_name.strip(), pps=pps, phase=phase, note=note,
            needs_call_today=needs_call_today, partial=partial, **scores,
        )
        report.full_clean()
        _as_actor(report, recorded_by).save()
        report.patient = patient
        alert = alerts.raise_alert(report, now)
        own_call = source == SymptomReport.Source.NURSE_CALL and recorded_by is not None
        alerts.after_report(report, alert, acknowledged_by=recorded_by if own_call else None, now=now)
        if patient.not_reached_since is not None:
            patient.not_reached_since = None  # they are in touch again
            _as_actor(patient, recorded_by).save(update_fields=["not_reached_since"])
        # After a death the phase stays "bereaved": a late report keeps the phase it gave.
        phase_changed = bool(phase) and phase != patient.phase and patient.status != Patient.Status.DECEASED
        if phase_changed:
            life_events.start_phase(patient, phase, at=report.reported_at, by=recorded_by)
            patient.phase = phase
            _as_actor(patient, recorded_by).save(update_fields=["phase"])
        if patient.status in CLOSED_STATUSES:
            return report
        checkins = patient.schedules.filter(kind=Kind.CHECKIN, active=True).first()
        if checkins is None:
            return report
        current = open_occurrence(checkins)
        if closes_checkin:
            if current:
                _close(current, Occurrence.State.DONE, recorded_by, at=report.reported_at)
            current = _plan_after(checkins, report.reported_at)
        elif phase_changed and checkins.cadence_by_phase and current:
            current = _reschedule_for_phase(checkins, current, by=recorded_by, now=now)
        if alert is not None and alert.severe:
            sooner = alerts.checkin_after_severe(patient, current.due_at if current else None, now)
            if current is None:
                _open_occurrence(checkins, sooner)
            elif sooner != current.due_at:
                _move(current, sooner, by=recorded_by, note="Brought forward after a severe symptom.")
    return report


def reschedule(occurrence, due_at: datetime, *, by=None, note=""):
    """Move an open occurrence; its unsent reminders are re-planned for the new time."""
    _require_aware(due_at, "due_at")
    with transaction.atomic():
        occurrence = _locked_open(occurrence, "moved")
        new_date = scheduling.local_date(due_at, occurrence.patient.zone)
        clash = Occurrence.objects.filter(schedule=occurrence.schedule, due_date=new_date).exclude(pk=occurrence.pk)
        if clash.exists():
            raise ValidationError({"due_at": _("This series already has an occurrence on that day.")})
        _move(occurrence, due_at, by=by, note=note)
    return occurrence


SKIP_LOOK_AGAIN_DAYS = 7  # a skipped drainage: look again in a week


def default_look_again(occurrence, now=None):
    """When to look again after a skip: in 7 days for a drainage; the next cadence step for a call
    (one interval after the skipped date, but not before today)."""
    patient = occurrence.patient
    today = scheduling.local_date(now or timezone.now(), patient.zone)
    if occurrence.kind in DRAINAGE_KINDS:
        return today + timedelta(days=SKIP_LOOK_AGAIN_DAYS)
    return max(occurrence.schedule.interval.after(occurrence.due_date), today)


def skip(occurrence, *, by=None, note="", reason="", look_again_on=None):
    """Skip an occurrence, saying why, and plan the next one on the day to look again
    (`default_look_again` unless given; a day in the past is refused). The series still counts
    from the last event done: a drainage recorded on the look-again day plans the next one a full
    interval after it."""
    if reason and reason not in Occurrence.SkipReason.values:
        raise ValidationError({"reason": _("Choose why it was skipped.")})
    with transaction.atomic():
        occurrence = _locked_open(occurrence, "skipped")
        patient = occurrence.patient
        if look_again_on is not None and look_again_on < scheduling.local_date(timezone.now(), patient.zone):
            raise ValidationError({"look_again_on": _("Choose today or a later day to look again.")})
        look_again_on = look_again_on or default_look_again(occurrence)
        occurrence.skip_reason = reason or Occurrence.SkipReason.OTHER
        _close(occurrence, Occurrence.State.SKIPPED, by, note)
        if patient.status not in CLOSED_STATUSES:
            schedule = occurrence.schedule
            return _open_occurrence(schedule, scheduling.at_local(look_again_on, _wall(schedule), patient.zone))
    return None


def change_interval(schedule, interval: scheduling.Interval, *, by=None):
    """Set a series' own interval (a check-in series then stops following the phase).

    The open occurrence moves to one new interval after the last event done; with nothing done yet,
    one new interval after the series began, but not before today.
    """
    _validated(interval)
    with transaction.atomic():
        schedule.patient = _lock(schedule.patient)  # fresh phase and zone, under the lock
        if not CareSchedule.objects.filter(pk=schedule.pk, active=True).exists():
            raise ValidationError(_("This series has ended; its interval can no longer change."))
        schedule.interval_count = interval.count
        schedule.interval_unit = interval.unit
        schedule.cadence_by_phase = False
        _as_actor(schedule, by).save(update_fields=["interval_count", "interval_unit", "cadence_by_phase"])
        current = open_occurrence(schedule)
        if current and schedule.follows_last_event:
            _move(current, _due_from_history(schedule), by=by, note=f"Interval changed to {interval}.")
    return schedule


def follow_phase_cadence(schedule, *, by=None):
    """Let a check-in series follow the patient's PCOC phase again (the clinic's cadence settings)."""
    if schedule.kind != Kind.CHECKIN:
        raise ValidationError(_("Only check-in calls follow the patient's phase."))
    with transaction.atomic():
        schedule.patient = _lock(schedule.patient)
        schedule.cadence_by_phase = True
        schedule.interval_count = schedule.interval.count
        schedule.interval_unit = scheduling.Unit.DAYS
        _as_actor(schedule, by).save(update_fields=["interval_count", "interval_unit", "cadence_by_phase"])
        current = open_occurrence(schedule)
        if current:
            _reschedule_for_phase(schedule, current, by=by)
    return schedule


def suggested_interval_days(patient):
    performed = list(patient.procedures.filter(kind=Kind.PARACENTESIS).values_list("performed_at", flat=True))
    return scheduling.suggested_interval_days(performed, patient.zone)


def catheter_advisory(patient):
    performed = list(patient.procedures.filter(kind=Kind.PARACENTESIS).values_list("performed_at", flat=True))
    return scheduling.catheter_advisory(performed, patient.zone)


def accept_suggested_interval(patient, *, by=None):
    days = suggested_interval_days(patient)
    if days is None:
        raise ValidationError(_("There is no suggested interval yet: it needs at least two drainages."))
    return change_interval(_active_schedule(patient, Kind.PARACENTESIS), scheduling.Interval(days, scheduling.Unit.DAYS), by=by)


def _readmit(patient, now, by=None):
    """A discharged patient comes back: their series resume with the intervals they had, each due
    one interval after its last event, and an overdue one due today rather than in the past."""
    drainage = Kind.HOME_DRAINAGE if patient.catheters.filter(removed_on__isnull=True).exists() else Kind.PARACENTESIS
    for kind in (drainage, Kind.CHECKIN):
        if patient.schedules.filter(kind=kind, active=True).exists():
            continue
        schedule = patient.schedules.filter(kind=kind).order_by("-pk").first()
        if schedule is None:
            continue
        schedule.active = True
        _as_actor(schedule, by).save(update_fields=["active"])
        last = _last_event(schedule) or now
        due_at = scheduling.next_due(last, schedule.interval, patient.zone, _wall(schedule))
        _open_occurrence(schedule, max(due_at, _today_at(schedule, now)))


def _end_care(patient, at, by, label):
    """Discharge or death: cancel every open occurrence, end every series, cancel unsent reminders.

    Row by row through the ORM, so each change is in the object's history (the FHIR resource
    version moves with it), never a bare queryset update."""
    for occurrence in patient.occurrences.filter(state=Occurrence.State.SCHEDULED):
        occurrence.state = Occurrence.State.CANCELLED
        occurrence.closed_at, occurrence.closed_by, occurrence.note = at, by, f"Patient {label}"
        _as_actor(occurrence, by).save(update_fields=["state", "closed_at", "closed_by", "note"])
    for schedule in patient.schedules.filter(active=True):
        schedule.active = False
        _as_actor(schedule, by).save(update_fields=["active"])
    cancel_unsent_reminders(patient.reminders.all(), f"Patient {label}")


def change_status(patient, new_status, *, by=None, note="", at=None, _death=False):
    """Pause, resume, discharge or record a death.

    Discharge and death cancel every future occurrence and every unsent reminder in the same
    transaction (a queued one too: the send re-checks the status at the last moment). Pause
    cancels unsent reminders but keeps the occurrences; resume plans their reminders again.
    A discharged patient may come back (their series resume); a death is final.

    A death goes through `record_death` (place "other", source "staff" when only the status is
    given), and a pause made here has the reason "other" and no review date: `life_events.pause`
    records both.
    """
    from . import life_events

    if new_status not in Patient.Status.values:
        raise ValidationError({"status": f"Unknown status {new_status!r}."})
    _not_in_future(at, "at", _("A status change cannot be dated in the future."))
    now = timezone.now()
    at = at or now
    if new_status == Patient.Status.DECEASED and not _death:
        if patient.status == Patient.Status.DECEASED:
            raise ValidationError({"status": _("The patient is already deceased.")})
        life_events.record_death(patient, died_at=at, place="other", source="staff", by=by, note=note)
        return Patient.objects.select_related("clinic").get(pk=patient.pk)
    with transaction.atomic():
        patient = _lock(patient)
        old = patient.status
        if new_status == old:
            raise ValidationError({"status": gettext("The patient is already %(status)s.") % {
                "status": patient.get_status_display().lower()}})
        if old == Patient.Status.DECEASED:
            raise ValidationError({"status": _("A patient recorded as deceased cannot change status.")})
        patient.status = new_status
        patient.status_changed_at = at
        patient.status_changed_by = by
        _as_actor(patient, by).save(update_fields=["status", "status_changed_at", "status_changed_by"])
        StatusChange.objects.create(patient=patient, from_status=old, to_status=new_status, at=at, by=by, note=note)
        if old == Patient.Status.PAUSED:
            life_events.end_pause(patient, by=by, at=now)
        label = in_source_language(Patient.Status(new_status).label).lower()  # stored: the record stays in English
        if new_status in CLOSED_STATUSES:
            _end_care(patient, at, by, label)
            return patient
        if old == Patient.Status.DISCHARGED:
            _readmit(patient, now, by)
        if new_status == Patient.Status.PAUSED:
            life_events.begin_pause(patient, note=note, by=by, at=at)
            cancel_unsent_reminders(patient.reminders.all(), gettext_noop("Patient paused"))
        elif new_status == Patient.Status.ACTIVE:
            for occurrence in patient.occurrences.filter(state=Occurrence.State.SCHEDULED):
                plan_reminders(occurrence)
    return patient


def acknowledge_alert(alert, *, by, action, note=""):
    """Record what was done about an alert (followup.alerts.acknowledge)."""
    return alerts.acknowledge(alert, by=by, action=action, note=note)


def replan_reminders(patient, reason="Contact details changed"):
    """Contact, consent, language or caregivers changed: re-plan the unsent reminders of the open
    occurrences so they go to the right people, on the right channel, at the right time. Rows already
    handed to the provider are left alone (they cannot be recalled)."""
    with transaction.atomic():
        patient = _lock(patient)
        for occurrence in patient.occurrences.filter(state=Occurrence.State.SCHEDULED):
            cancel_unsent_reminders(occurrence.reminders.all(), reason)
            plan_reminders(occurrence)


# Life events live in their own modules (named in the clinic's words) and are reached from here too:
# `services.record_death`, `services.pause`, `services.resume`, ...
_LIFE_EVENTS = {
    "record_death": "life_events", "pause": "life_events", "resume": "life_events", "extend_pause": "life_events",
    "resolve_phase": "life_events", "record_bereavement_call": "bereavement", "answer_advisory": "catheter",
    "place_catheter": "catheter", "record_home_drainage": "catheter",
}


def __getattr__(name):
    if name in _LIFE_EVENTS:
        import importlib

        return getattr(importlib.import_module(f"followup.{_LIFE_EVENTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
