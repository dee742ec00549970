"""Check-in calls with outcomes, as a palliative team makes them.

- A call records its outcome: reached the patient, spoke with a caregiver, no answer, left a
  voicemail, wrong number, declined.
- Scores are recorded only when someone answered, with who answered (the four ESAS-r options). The
  nurse is the recorder, never the one who completed the report. An answered call with neither
  scores nor a note is refused.
- No answer or voicemail: the check-in stays open with a retry time kept beside its due time (the
  clinic's `checkin_retry_hours`, 4 by default, later; inside working hours, else the next working
  morning). The due time and its reminders stay, so the patient gets no second "nurse call today".
- Two calls in a row that reached nobody (no answer, voicemail, wrong number) flag the patient
  "not reached" until someone answers or the patient sends a report.
- Declined: the check-in is closed as skipped and the next one planned one cadence step from today.
- The care tick marks a check-in whose local day (and retry day) has passed `missed` and plans the
  next one a cadence step from today. A drainage past its day stays open and overdue.
"""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import scheduling, services
from .models import CallAttempt, Kind, Occurrence, Patient, SymptomReport

logger = logging.getLogger(__name__)

DEFAULT_COMPLETED_BY = {
    CallAttempt.Outcome.REACHED: SymptomReport.CompletedBy.PATIENT,
    CallAttempt.Outcome.CAREGIVER: SymptomReport.CompletedBy.CAREGIVER,
}


def retry_time(clinic, after):
    """When to try an unanswered call again: `checkin_retry_hours` later if the team works then,
    else when it next opens (the next working morning)."""
    wanted = after + timedelta(hours=clinic.checkin_retry_hours)
    return clinic.next_opening(wanted) or wanted


def validate_retry_at(clinic, retry_at, now):
    services._require_aware(retry_at, "retry_at")
    if retry_at < now - services.CLOCK_TOLERANCE:
        raise ValidationError({"retry_at": _("Choose a retry time from now on.")})
    if not clinic.is_open(retry_at):
        raise ValidationError({"retry_at": _("Choose a retry time inside the team's working hours.")})


def record_call(patient, *, outcome, by, occurrence=None, note="", scores=None, completed_by="", other_problem_name="",
                pps=None, phase="", retry_at=None, at=None):
    """Record one check-in call on the patient's open check-in (or `occurrence`). Returns the CallAttempt.

    Without an open check-in only an answered call with scores can be recorded (it plans the next one).

    Raises ValidationError keyed by field: `outcome`, `completed_by`, `note` (an answered call with
    nothing recorded), `retry_at` (in the past or outside working hours), or a score's field.
    """
    now = timezone.now()
    at = at or now
    scores = {name: value for name, value in (scores or {}).items() if value is not None}
    if outcome not in CallAttempt.Outcome.values:
        raise ValidationError({"outcome": _("Choose what came of the call.")})
    answered = outcome in CallAttempt.ANSWERED
    if scores and not answered:
        raise ValidationError({"outcome": _("Scores can be recorded only when someone answered.")})
    if answered and not scores and not note.strip():
        raise ValidationError({"note": _("Enter the scores they gave, or a note of what was said.")})
    if completed_by and completed_by not in SymptomReport.CompletedBy.values:
        raise ValidationError({"completed_by": _("Choose who answered the questions.")})
    if retry_at is not None and outcome not in CallAttempt.RETRIED:
        raise ValidationError({"retry_at": _("A retry time is for a call nobody answered.")})
    services._not_in_future(at, "at", "A call cannot be dated in the future.")
    with transaction.atomic():
        patient = services._lock(patient)
        if occurrence is None:
            checkins = patient.schedules.filter(kind=Kind.CHECKIN, active=True).first()
            occurrence = services.open_occurrence(checkins) if checkins else None
        if occurrence is not None:
            occurrence = services._locked_open(occurrence, "called")
            if occurrence.kind != Kind.CHECKIN:
                raise ValidationError(_("Only a check-in call has an outcome."))
        elif not (answered and scores):
            raise ValidationError(_("This patient has no open check-in to record a call on."))
        attempt = CallAttempt(patient=patient, occurrence=occurrence, at=at, outcome=outcome, by=by, note=note.strip())
        attempt._history_user = by
        if answered:
            if scores:
                attempt.report = services.record_symptom_report(
                    patient, scores=scores, completed_by=completed_by or DEFAULT_COMPLETED_BY[outcome],
                    source=SymptomReport.Source.NURSE_CALL, recorded_by=by, other_problem_name=other_problem_name,
                    pps=pps, phase=phase, note=note.strip(), reported_at=at, closes_checkin=True,
                )
            else:
                services._close(occurrence, Occurrence.State.DONE, by, note.strip(), at=at)
                services._plan_after(occurrence.schedule, at)
            patient.refresh_from_db(fields=["not_reached_since"])  # a report clears it itself
            _set_not_reached(patient, None, by)
        elif outcome == CallAttempt.Outcome.DECLINED:
            services._close(occurrence, Occurrence.State.SKIPPED, by, note.strip() or "Declined the call.", at=at)
            services._plan_after(occurrence.schedule, now)
            _set_not_reached(patient, None, by)
        else:
            if outcome in CallAttempt.RETRIED:
                if retry_at is not None:
                    validate_retry_at(patient.clinic, retry_at, now)
                attempt.retry_at = retry_at or retry_time(patient.clinic, at)
                occurrence.retry_at = attempt.retry_at
                services._as_actor(occurrence, by).save(update_fields=["retry_at"])
        attempt.save()
        if outcome in CallAttempt.UNANSWERED:
            last_two = list(patient.call_attempts.order_by("-at", "-pk").values_list("outcome", "at")[:2])
            if len(last_two) == 2 and all(found in CallAttempt.UNANSWERED for found, _ in last_two):
                if patient.not_reached_since is None:
                    _set_not_reached(patient, last_two[1][1], by)
    logger.info("check-in call %s recorded: %s", attempt.pk, outcome)
    return attempt


def _set_not_reached(patient, since, by):
    if patient.not_reached_since == since:
        return
    patient.not_reached_since = since
    services._as_actor(patient, by).save(update_fields=["not_reached_since"])


def mark_missed(now=None):
    """The care tick: each open check-in of an active patient whose local day has passed (and whose
    retry, if any, was on an earlier day too) becomes `missed`, and the next one is planned one
    cadence step from today. Drainages are left open: they still have to happen. Returns the
    occurrences marked. Each is saved on its own (its history records the change)."""
    now = now or timezone.now()
    candidates = (Occurrence.objects.filter(kind=Kind.CHECKIN, state=Occurrence.State.SCHEDULED, due_at__lt=now,
                                            patient__status=Patient.Status.ACTIVE)
                  .select_related("patient").order_by("due_at", "pk"))
    marked = []
    for occurrence in candidates:
        zone = occurrence.patient.zone
        today = scheduling.local_date(now, zone)
        last_day = occurrence.due_date
        if occurrence.retry_at is not None:
            last_day = max(last_day, scheduling.local_date(occurrence.retry_at, zone))
        if last_day >= today:
            continue
        with transaction.atomic():
            try:
                current = services._locked_open(occurrence, "missed")
            except ValidationError:
                continue  # closed meanwhile
            if current.patient.status != Patient.Status.ACTIVE:
                continue
            services._close(current, Occurrence.State.MISSED, None, "Not done by the end of its day.", at=now)
            schedule = current.schedule
            if schedule.active:
                services._open_occurrence(schedule, scheduling.next_due(now, schedule.interval, zone, services._wall(schedule)))
        marked.append(current)
    return marked
