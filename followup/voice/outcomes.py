"""How a call ended moves its outbox row forward, and a call nobody answered is tried once more.

Status callbacks: completed -> delivered; no-answer, busy, failed, canceled -> failed. Forward only and
idempotent, like the text status callbacks. A no-answer or busy call gets one retry, later in the
allowed hours, as a NEW row (its own key, `retry_of` the first), so every row is still sent at most once.
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from .. import scheduling
from ..messaging.planning import send_window
from ..models import Occurrence, Reminder, ReminderEvent
from .calls import MACHINE

logger = logging.getLogger(__name__)

CALL_STATUS = {
    "completed": Reminder.State.DELIVERED,
    "no-answer": Reminder.State.FAILED,
    "busy": Reminder.State.FAILED,
    "failed": Reminder.State.FAILED,
    "canceled": Reminder.State.FAILED,
}
RETRIED = ("no-answer", "busy")
# Stored in English, shown in the reader's language (gettext_noop: the catalogue has them).
REASONS = {"no-answer": gettext_noop("No answer"), "busy": gettext_noop("Line busy"),
           "failed": gettext_noop("The call could not be placed"), "canceled": gettext_noop("The call was cancelled")}
ANSWERED = {"machine": gettext_noop("Voicemail left"), "fax": gettext_noop("Fax machine: hung up"), "human": gettext_noop("Call answered")}


def _reason(status, answered_by, error_code):
    if status == "completed":
        reason = ANSWERED["machine" if answered_by in MACHINE else "fax" if answered_by == "fax" else "human"]
    else:
        reason = REASONS[status]
    return reason + (f" (error {error_code})" if error_code else "")


def apply_call_status(call_sid, status, *, answered_by="", error_code="", now=None):
    """A call's final status. Returns True when it moved the row."""
    to_state = CALL_STATUS.get(status)
    if to_state is None:
        return False  # initiated, ringing, in-progress: nothing to settle yet
    now = now or timezone.now()
    reminder = Reminder.objects.select_related("patient__clinic", "occurrence").filter(provider_id=call_sid, channel="voice").first()
    if reminder is None or reminder.state not in (Reminder.State.SENT, Reminder.State.UNKNOWN):
        return False
    with transaction.atomic():
        if not reminder.move(to_state, _reason(status, answered_by, error_code)):
            return False
        if status in RETRIED:
            plan_retry(reminder, now)
    logger.info("reminder %s: call %s", reminder.pk, status)
    return True


def _later_in_allowed_hours(patient, now):
    """`call_retry_minutes` after now; if that falls in the quiet night, the next allowed morning."""
    wanted = now + timedelta(minutes=patient.clinic.call_retry_minutes)
    allowed_from, allowed_until = patient.quiet_hours
    moved = scheduling.move_out_of_quiet_hours(wanted, patient.zone, allowed_from, allowed_until)
    if moved < wanted:  # past the evening limit: not earlier the same evening, but the next morning
        moved = scheduling.at_local(scheduling.local_date(wanted, patient.zone) + timedelta(days=1), allowed_from, patient.zone)
    return moved


def plan_retry(reminder, now):
    """One more try of an unanswered call, `call_retry_minutes` later and inside the allowed hours; none
    for a retry, an appointment no longer open, or when no allowed moment is left before it expires."""
    if reminder.retry_of_id is not None:
        return None
    occurrence = reminder.occurrence
    if occurrence.state != Occurrence.State.SCHEDULED or occurrence.due_at != reminder.due_at or not reminder.patient.is_active:
        return None
    window = send_window(occurrence, _later_in_allowed_hours(reminder.patient, now), now)
    if window is None:
        ReminderEvent.objects.create(reminder=reminder, at=now, from_state=reminder.state, to_state=reminder.state,
                                     reason=gettext_noop("No retry: no allowed time left before it would be too late."))
        return None
    send_at, expires_at = window
    try:
        with transaction.atomic():
            retry = Reminder.objects.create(
                occurrence=occurrence, patient=reminder.patient, caregiver=reminder.caregiver, recipient=reminder.recipient,
                channel="voice", purpose=reminder.purpose, due_at=reminder.due_at, send_at=send_at, expires_at=expires_at,
                retry_of=reminder)
    except IntegrityError:
        return None  # a repeated callback: the retry exists already
    ReminderEvent.objects.create(reminder=retry, at=now, to_state=Reminder.State.PLANNED, reason=gettext_noop("Retry of a call nobody answered"))
    return retry
