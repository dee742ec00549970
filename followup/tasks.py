"""Celery tasks: thin. They carry ids, never phone numbers or message text, and call functions
that tests call directly."""

from celery import shared_task

from .messaging import delivery


@shared_task(ignore_result=True)
def dispatch_tick():
    """The beat entry, every minute. Safe to run twice at once (a second beat)."""
    result = delivery.dispatch_due_reminders()
    return len(result.claimed)


@shared_task(ignore_result=True, acks_late=True)
def send_reminders(reminder_ids):
    """Idempotent: a redelivered task finds its rows no longer `queued` and sends nothing twice."""
    return delivery.send_reminders(reminder_ids)


@shared_task(ignore_result=True)
def care_tick():
    """The beat entry, every minute: past-day check-ins become missed; alerts nobody acknowledged in
    time are escalated (their pages go out with the next dispatch tick). Safe to run twice at once:
    each change is made under the patient's or the alert's row lock."""
    from . import alerts, calls
    from .models import Heartbeat

    missed = calls.mark_missed()
    escalated = alerts.escalate_due()
    Heartbeat.beat("care")
    return len(missed) + len(escalated)
