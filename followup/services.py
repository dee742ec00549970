"""Work that spans models: record a procedure, a symptom report, change an interval or a status.

Each is one function a view, the API, a task and a test can all call. Each runs in one transaction
and plans (or cancels) reminders in it, so a crash never leaves a half-planned patient.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import scheduling
from .messaging.planning import cancel_unsent_reminders, plan_reminders
from .models import Alert, CareSchedule, Kind, Occurrence, Patient, Procedure, StatusChange, SymptomReport

CLOSED_STATUSES = (Patient.Status.DISCHARGED, Patient.Status.DECEASED)


def _lock(patient):
    """Serialise work on one patient (two nurses, a double-submitted form, a webhook)."""
    return Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)


# --- Series and occurrences ---------------------------------------------------------------------


def enrol(patient, *, paracentesis_interval=None, first_drainage_due=None, now=None):
    """Give a new patient their two series: drainages at the clinic's default interval (or the one
    given) and check-ins at the cadence of their phase; plan the first of each."""
    now = now or timezone.now()
    clinic = patient.clinic
    interval = paracentesis_interval or scheduling.Interval(clinic.paracentesis_interval_days, scheduling.Unit.DAYS)
    with transaction.atomic():
        patient = _lock(patient)
        drainages = CareSchedule.objects.create(
            patient=patient, kind=Kind.PARACENTESIS, interval_count=interval.count, interval_unit=interval.unit
        )
        checkins = CareSchedule.objects.create(patient=patient, kind=Kind.CHECKIN, cadence_by_phase=True,
                                               interval_count=clinic.checkin_days_for_phase(patient.phase),
                                               interval_unit=scheduling.Unit.DAYS)
        zone = patient.zone
        drainage_due = first_drainage_due or scheduling.at_local(
            interval.after(scheduling.local_date(now, zone)), clinic.appointment_time, zone)
        _open_occurrence(drainages, drainage_due)
        _open_occurrence(checkins, scheduling.next_due(now, checkins.interval, zone, clinic.checkin_reminder_at))
    return drainages, checkins


def _open_occurrence(schedule, due_at):
    patient = schedule.patient
    occurrence = Occurrence.objects.create(
        schedule=schedule, patient=patient, kind=schedule.kind, due_at=due_at,
        due_date=scheduling.local_date(due_at, patient.zone),
    )
    plan_reminders(occurrence)
    return occurrence


def _plan_after(schedule, last_done: datetime):
    """Open the next occurrence of a series, one interval after the last event actually done."""
    patient = schedule.patient
    wall = patient.clinic.checkin_reminder_at if schedule.kind == Kind.CHECKIN else patient.clinic.appointment_time
    due_at = scheduling.next_due(last_done, schedule.interval, patient.zone, wall)
    # A drainage recorded late can make the natural next date collide with an already closed
    # occurrence of the same day (rare: a 2-day interval and a back-dated entry). Move on a day.
    while Occurrence.objects.filter(schedule=schedule, due_date=scheduling.local_date(due_at, patient.zone)).exists():
        due_at = due_at + timedelta(days=1)
    return _open_occurrence(schedule, due_at)


def open_occurrence(schedule):
    return schedule.occurrences.filter(state=Occurrence.State.SCHEDULED).first()


def _close(occurrence, state, by, note="", at=None):
    occurrence.state = state
    occurrence.closed_at = at or timezone.now()
    occurrence.closed_by = by
    occurrence.note = note or occurrence.note
    occurrence.save(update_fields=["state", "closed_at", "closed_by", "note"])
    cancel_unsent_reminders(occurrence.reminders.all(), f"Occurrence {occurrence.get_state_display().lower()}")


def _active_schedule(patient, kind):
    schedule = patient.schedules.filter(kind=kind, active=True).first()
    if schedule is None:
        raise ValidationError(f"This patient has no active {Kind(kind).label.lower()} series.")
    return schedule


def record_procedure(patient, *, performed_at, volume_ml=None, duration_minutes=None, complications="",
                     performed_by=None, kind=Kind.PARACENTESIS):
    """Record a drainage: create it, close the occurrence it fulfils, plan the next one and its
    reminders. The same drainage twice (same patient, same moment) is refused."""
    if performed_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"performed_at": "A procedure cannot be recorded in the future."})
    with transaction.atomic():
        patient = _lock(patient)
        schedule = _active_schedule(patient, kind)
        occurrence = open_occurrence(schedule)
        try:
            with transaction.atomic():
                procedure = Procedure.objects.create(
                    patient=patient, occurrence=occurrence, kind=kind, performed_at=performed_at, volume_ml=volume_ml,
                    duration_minutes=duration_minutes, complications=complications, performed_by=performed_by,
                )
        except IntegrityError:
            raise ValidationError({"performed_at": "This drainage is already recorded for that moment."}) from None
        if occurrence:
            _close(occurrence, Occurrence.State.DONE, performed_by, at=performed_at)
        latest = patient.procedures.filter(kind=kind).order_by("-performed_at").values_list("performed_at", flat=True).first()
        if patient.status not in CLOSED_STATUSES and schedule.follows_last_event:
            _plan_after(schedule, latest)
    return procedure


def record_symptom_report(patient, *, scores: dict, completed_by, source, recorded_by=None, other_problem_name="",
                          pps=None, phase="", note="", reported_at=None, closes_checkin=False):
    """Store an ESAS-r report and run the alert rules at once.

    A severe item brings the next check-in forward to the next day. A report from a nurse call
    (`closes_checkin`) also closes the open check-in and plans the next one at the phase's cadence.
    """
    now = timezone.now()
    with transaction.atomic():
        patient = _lock(patient)
        previous = patient.symptom_reports.order_by("-reported_at").first()
        report = SymptomReport(
            patient=patient, reported_at=reported_at or now, completed_by=completed_by, source=source,
            recorded_by=recorded_by, other_problem_name=other_problem_name.strip(), pps=pps, phase=phase, note=note,
            **scores,
        )
        report.full_clean()
        report.save()
        findings = scheduling.symptom_findings(
            report.scores(), previous.scores() if previous else None, report.other_problem_name,
            previous.other_problem_name if previous else "",
        )
        Alert.objects.bulk_create(
            Alert(patient=patient, report=report, kind=f.kind, item=f.item, score=f.score, previous_score=f.previous_score, created_at=now)
            for f in findings
        )
        if phase and phase != patient.phase:
            patient.phase = phase
            patient.save(update_fields=["phase"])
        if patient.status in CLOSED_STATUSES:
            return report
        checkins = patient.schedules.filter(kind=Kind.CHECKIN, active=True).first()
        if checkins is None:
            return report
        current = open_occurrence(checkins)
        if closes_checkin and current:
            _close(current, Occurrence.State.DONE, recorded_by, at=now)
            current = _plan_after(checkins, now)
        if any(f.kind == "severe" for f in findings):
            wall = patient.clinic.checkin_reminder_at
            sooner = scheduling.checkin_brought_forward(current.due_at if current else None, now, patient.zone, wall)
            if current is None:
                _open_occurrence(checkins, sooner)
            elif sooner != current.due_at:
                reschedule(current, sooner, by=recorded_by, note="Brought forward after a severe symptom.")
    return report


def reschedule(occurrence, due_at: datetime, *, by=None, note=""):
    """Move an open occurrence; its unsent reminders are re-planned for the new time."""
    if not occurrence.is_open:
        raise ValidationError("Only a scheduled occurrence can be moved.")
    with transaction.atomic():
        _lock(occurrence.patient)
        zone = occurrence.patient.zone
        new_date = scheduling.local_date(due_at, zone)
        clash = Occurrence.objects.filter(schedule=occurrence.schedule, due_date=new_date).exclude(pk=occurrence.pk)
        if clash.exists():
            raise ValidationError({"due_at": "This series already has an occurrence on that day."})
        cancel_unsent_reminders(occurrence.reminders.all(), "Appointment moved")
        occurrence.due_at = due_at
        occurrence.due_date = new_date
        occurrence.note = note or occurrence.note
        occurrence.save(update_fields=["due_at", "due_date", "note"])
        plan_reminders(occurrence)
    return occurrence


def skip(occurrence, *, by=None, note=""):
    """Skip an occurrence; the next one is planned one interval after the skipped date."""
    if not occurrence.is_open:
        raise ValidationError("Only a scheduled occurrence can be skipped.")
    with transaction.atomic():
        _lock(occurrence.patient)
        _close(occurrence, Occurrence.State.SKIPPED, by, note)
        if occurrence.patient.status not in CLOSED_STATUSES:
            return _plan_after(occurrence.schedule, occurrence.due_at)
    return None


def change_interval(schedule, interval: scheduling.Interval, *, by=None):
    """Set a series' interval; the open occurrence moves to one new interval after the last event."""
    interval.validate()
    with transaction.atomic():
        _lock(schedule.patient)
        schedule.interval_count = interval.count
        schedule.interval_unit = interval.unit
        schedule.cadence_by_phase = False
        schedule.save(update_fields=["interval_count", "interval_unit", "cadence_by_phase"])
        current = open_occurrence(schedule)
        last = schedule.patient.procedures.filter(kind=schedule.kind).order_by("-performed_at").first()
        if current and last:
            patient = schedule.patient
            due_at = scheduling.next_due(last.performed_at, interval, patient.zone, patient.clinic.appointment_time)
            if due_at != current.due_at:
                reschedule(current, due_at, by=by, note=f"Interval changed to {interval}.")
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
        raise ValidationError("There is no suggested interval yet: it needs at least two drainages.")
    return change_interval(_active_schedule(patient, Kind.PARACENTESIS), scheduling.Interval(days, scheduling.Unit.DAYS), by=by)


def change_status(patient, new_status, *, by=None, note="", at=None):
    """Pause, resume, discharge or record a death.

    Discharge and death cancel every future occurrence and every unsent reminder in the same
    transaction (a queued one too: the send re-checks the status at the last moment). Pause
    cancels unsent reminders but keeps the occurrences; resume plans their reminders again.
    """
    at = at or timezone.now()
    with transaction.atomic():
        patient = _lock(patient)
        old = patient.status
        if new_status == old:
            raise ValidationError({"status": f"The patient is already {patient.get_status_display().lower()}."})
        if old == Patient.Status.DECEASED:
            raise ValidationError({"status": "A patient recorded as deceased cannot change status."})
        patient.status = new_status
        patient.status_changed_at = at
        patient.status_changed_by = by
        patient.save(update_fields=["status", "status_changed_at", "status_changed_by"])
        StatusChange.objects.create(patient=patient, from_status=old, to_status=new_status, at=at, by=by, note=note)
        label = Patient.Status(new_status).label
        if new_status in CLOSED_STATUSES:
            patient.occurrences.filter(state=Occurrence.State.SCHEDULED).update(
                state=Occurrence.State.CANCELLED, closed_at=at, closed_by=by, note=f"Patient {label.lower()}")
            patient.schedules.filter(active=True).update(active=False)
            cancel_unsent_reminders(patient.reminders.all(), f"Patient {label.lower()}")
        elif new_status == Patient.Status.PAUSED:
            cancel_unsent_reminders(patient.reminders.all(), "Patient paused")
        elif new_status == Patient.Status.ACTIVE:
            for occurrence in patient.occurrences.filter(state=Occurrence.State.SCHEDULED):
                plan_reminders(occurrence)
    return patient


def acknowledge_alert(alert, *, by, note=""):
    updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=by, acknowledgement_note=note)
    alert.refresh_from_db()
    return bool(updated)
