"""Celery tasks of the change notifications: thin, ids only, on their own queue (`webhooks`) so that a
slow subscriber never keeps a reminder waiting for a worker."""

from celery import shared_task

from . import delivery


@shared_task(ignore_result=True)
def webhook_tick():
    """The beat entry, every minute: hand out the deliveries that are due."""
    return len(delivery.dispatch())


@shared_task(ignore_result=True, acks_late=True)
def send_webhooks(delivery_ids):
    """Safe to run twice: a delivery is sent only by the task that moved it to `sending`."""
    return delivery.send_webhooks(delivery_ids)
