"""Adherence: the self-reports a patient was expected to send, against those they sent.

Each patient is expected to report their symptoms themselves (the web form, a scored text, the keypad
survey) once per window of the clinic's `self_report_every_days` (weekly by default). The cadence never
shortens below weekly, even when nurse calls are daily: self-reports come from the check-in texts and
calls that the caps allow. Windows run from the day the patient's check-ins began; a window counts as
expected once it has ended, and as completed when at least one self-report fell in it.

Two expected self-reports missed in a row plan a nurse call (the open check-in is brought forward to
today) and flag the patient on the worklist; the flag clears with the next self-report. PRO-TECT
completed 91% of expected weekly surveys: the figure the reports set beside the clinic's own.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone

from . import scheduling
from .models import Kind, Occurrence, Patient, SymptomReport

logger = logging.getLogger(__name__)

SELF_REPORTED = (SymptomReport.Source.WEB, SymptomReport.Source.SMS, SymptomReport.Source.PHONE)
MIN_EVERY_DAYS = 7
MISSED_IN_A_ROW = 2
PRO_TECT_SHARE = 91.0


def every_days(clinic):
    return max(MIN_EVERY_DAYS, clinic.self_report_every_days)


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # the last day of the window
    completed: bool


@dataclass(frozen=True)
class Adherence:
    every_days: int
    windows: tuple

    @property
    def expected(self):
        return len(self.windows)

    @property
    def completed(self):
        return sum(1 for window in self.windows if window.completed)

    @property
    def share(self):
        return None if not self.expected else 100.0 * self.completed / self.expected

    @property
    def missed_in_a_row(self):
        count = 0
        for window in reversed(self.windows):
            if window.completed:
                break
            count += 1
        return count


def _windows(first_day, last_day, every, report_days):
    """The complete windows from `first_day` whose last day is before `last_day`."""
    found = []
    start = first_day
    while start + timedelta(days=every - 1) < last_day:
        end = start + timedelta(days=every - 1)
        found.append(Window(start, end, any(start <= day <= end for day in report_days)))
        start += timedelta(days=every)
    return tuple(found)


def _first_day(patient):
    started = patient.schedules.filter(kind=Kind.CHECKIN).aggregate(first=Min("started_at"))["first"]
    return scheduling.local_date(started, patient.zone) if started else None


def _last_day(patient, today):
    """Windows stop where care stopped: a discharge or a death ends what is expected."""
    if patient.status in (Patient.Status.DISCHARGED, Patient.Status.DECEASED) and patient.status_changed_at:
        return min(today, scheduling.local_date(patient.status_changed_at, patient.zone))
    return today


def self_report_days(patient):
    return [scheduling.local_date(moment, patient.zone) for moment in
            patient.symptom_reports.filter(source__in=SELF_REPORTED).values_list("reported_at", flat=True)]


def for_patient(patient, now=None):
    """The patient's adherence so far, or None before their check-ins began."""
    first = _first_day(patient)
    if first is None:
        return None
    today = scheduling.local_date(now or timezone.now(), patient.zone)
    every = every_days(patient.clinic)
    return Adherence(every, _windows(first, _last_day(patient, today), every, self_report_days(patient)))


def per_clinic_month(clinics, start, end, now=None):
    """[(clinic, month, expected, completed, %)]: each window counts in the month of its last day,
    for windows ending from `start` to `end` (local dates). Three queries for all the clinics."""
    now = now or timezone.now()
    patients = list(Patient.objects.filter(clinic__in=clinics).select_related("clinic")
                    .annotate(first=Min("schedules__started_at", filter=Q(schedules__kind=Kind.CHECKIN))))
    days = {}
    for patient_id, moment in (SymptomReport.objects.filter(patient__clinic__in=clinics, source__in=SELF_REPORTED)
                               .values_list("patient_id", "reported_at")):
        days.setdefault(patient_id, []).append(moment)
    figures = {}
    for patient in patients:
        if patient.first is None:
            continue
        every = every_days(patient.clinic)
        today = scheduling.local_date(now, patient.zone)
        reported = [scheduling.local_date(moment, patient.zone) for moment in days.get(patient.pk, [])]
        for window in _windows(scheduling.local_date(patient.first, patient.zone), _last_day(patient, today), every, reported):
            if start <= window.end <= end:
                key = (patient.clinic_id, window.end.replace(day=1))
                expected, completed = figures.get(key, (0, 0))
                figures[key] = (expected + 1, completed + window.completed)
    rows = []
    for clinic in clinics:
        month = start.replace(day=1)
        while month <= end:
            expected, completed = figures.get((clinic.pk, month), (0, 0))
            rows.append((clinic, month, expected, completed, None if not expected else 100.0 * completed / expected))
            month = (month + timedelta(days=32)).replace(day=1)
    return rows


def follow_up_missed_reports(now=None):
    """The tick's adherence step: flag and plan a nurse call for each patient who has just missed two
    expected self-reports in a row; clear the flag of those who have reported since. Returns the
    patients newly flagged.

    Only patients with no self-report in the last two windows are looked at one by one."""
    now = now or timezone.now()
    reported_since_flag = SymptomReport.objects.filter(
        patient=OuterRef("pk"), source__in=SELF_REPORTED, reported_at__gte=OuterRef("self_reports_missed_at"))
    Patient.objects.filter(self_reports_missed_at__isnull=False).filter(Exists(reported_since_flag)).update(self_reports_missed_at=None)
    flagged = []
    candidates = Patient.objects.filter(status=Patient.Status.ACTIVE, self_reports_missed_at__isnull=True,
                                        schedules__kind=Kind.CHECKIN, schedules__active=True).select_related("clinic")
    for patient in candidates.distinct():
        # A self-report in the last two windows' span means fewer than two missed in a row.
        span = timedelta(days=MISSED_IN_A_ROW * every_days(patient.clinic))
        if patient.symptom_reports.filter(source__in=SELF_REPORTED, reported_at__gte=now - span).exists():
            continue
        adherence = for_patient(patient, now)
        if adherence is None or adherence.missed_in_a_row < MISSED_IN_A_ROW:
            continue
        if _flag_and_plan_call(patient, adherence, now):
            flagged.append(patient)
    return flagged


FOLLOW_UP_EVERY = timedelta(hours=1)
HEARTBEAT = "adherence"


def follow_up_when_due(now=None):
    """From the dispatch tick: `follow_up_missed_reports` at most once an hour (two ticks running it at
    once flag nobody twice: the flag is set by a conditional UPDATE)."""
    from .models import Heartbeat

    now = now or timezone.now()
    last = Heartbeat.last(HEARTBEAT)
    if last is not None and now - last < FOLLOW_UP_EVERY:
        return None
    Heartbeat.beat(HEARTBEAT, now)
    return follow_up_missed_reports(now)


def _flag_and_plan_call(patient, adherence, now):
    from . import services

    with transaction.atomic():
        changed = Patient.objects.filter(pk=patient.pk, self_reports_missed_at__isnull=True).update(self_reports_missed_at=now)
        if not changed:
            return False  # another tick flagged them first
        checkin = Occurrence.objects.filter(patient=patient, kind=Kind.CHECKIN, state=Occurrence.State.SCHEDULED).first()
        today_at = scheduling.at_local(scheduling.local_date(now, patient.zone), patient.clinic.checkin_reminder_at, patient.zone)
        if checkin is not None and checkin.due_at > max(today_at, now):
            try:
                services.reschedule(checkin, max(today_at, now), note=f"{adherence.missed_in_a_row} expected self-reports "
                                                                     "missed in a row: nurse call.")
            except ValidationError:
                logger.warning("patient %s: the nurse call could not be brought forward", patient.pk)
    logger.info("patient %s flagged: %d self-reports missed in a row", patient.pk, adherence.missed_in_a_row)
    return True
