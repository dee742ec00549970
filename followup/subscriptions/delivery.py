"""Deliver events to subscribers: the webhook tick claims what is due, send tasks POST it, signed.

Deliveries are written with the change itself (followup.subscriptions.events, a transactional outbox),
so the tick only hands out what is due: a beat that runs late, or not at all for an hour, delays
deliveries and loses none. The reminders' pattern (claim with a conditional UPDATE, hand ids to tasks
after commit, retry with backoff), with one difference: a webhook is delivered *at least once*. A delivery left in `sending` by
a worker that died is sent again, with the same event id, and the receiver drops the duplicate.

Signing follows Standard Webhooks (standardwebhooks.com), through its reference library: the headers
`webhook-id` (the event id, the same on every retry), `webhook-timestamp` (seconds, this attempt) and
`webhook-signature` (`v1,` + base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` under the subscriber's
secret). A receiver refuses a timestamp more than 5 minutes off, which stops a replay.
"""

import json
import logging
import time
from datetime import UTC, timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from ..models import Heartbeat
from .models import Attempt, Delivery

logger = logging.getLogger(__name__)

TICK = "webhooks"
CLAIM_CHUNK = 500
USER_AGENT = "Followup-Webhooks/1"


def backoff(attempts):
    """Wait before attempt `attempts + 1`: 1, 2, 4, 8 ... minutes, capped at 4 hours."""
    return timedelta(minutes=min(240, 2 ** max(0, attempts - 1)))


def _resolve_stale(now):
    """Rows a lost task or a dead worker left behind go back to pending (sent again: at least once)."""
    stale = Q(state=Delivery.State.QUEUED, claimed_at__lte=now - settings.WEBHOOK_QUEUED_TIMEOUT) | Q(
        state=Delivery.State.SENDING, sending_at__lte=now - settings.WEBHOOK_SENDING_TIMEOUT)
    return Delivery.objects.filter(stale).update(state=Delivery.State.PENDING, next_attempt_at=now,
                                                 last_error="The worker stopped before an answer: sent again.")


def claim_due(now, limit=CLAIM_CHUNK):
    with transaction.atomic():
        ids = list(Delivery.objects.select_for_update(skip_locked=True)
                   .filter(state=Delivery.State.PENDING, next_attempt_at__lte=now)
                   .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
        Delivery.objects.filter(pk__in=ids, state=Delivery.State.PENDING).update(state=Delivery.State.QUEUED, claimed_at=now)
    return ids


def dispatch(now=None, enqueue=None):
    """One webhook tick: hand the due deliveries to send tasks; returns the ids claimed."""
    from .tasks import send_webhooks

    now = now or timezone.now()
    enqueue = enqueue or (lambda ids: send_webhooks.delay(ids))
    _resolve_stale(now)
    claimed = []
    while True:
        ids = claim_due(now)
        claimed.extend(ids)
        for start in range(0, len(ids), settings.WEBHOOK_SEND_BATCH):
            chunk = ids[start:start + settings.WEBHOOK_SEND_BATCH]
            transaction.on_commit(lambda chunk=chunk: enqueue(chunk))
        if len(ids) < CLAIM_CHUNK:
            break
    Heartbeat.beat(TICK, now)
    return claimed


def body_of(event):
    """The JSON a subscriber receives: the same bytes on every attempt."""
    return json.dumps({
        "type": event.type,
        "timestamp": event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "clinic": f"Organization/{event.clinic_id}",
        "data": event.data,
    }, separators=(",", ":"), sort_keys=True)


def signed_headers(subscriber, event_id, body, at):
    at = at.astimezone(UTC)
    return {
        "webhook-id": str(event_id),
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(subscriber.secret).sign(str(event_id), at, body),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def _take(delivery_id, now):
    """Win one queued delivery for sending; None when another worker has it or it is no longer due."""
    with transaction.atomic():
        delivery = (Delivery.objects.select_for_update(skip_locked=True).select_related("event", "subscriber")
                    .filter(pk=delivery_id, state=Delivery.State.QUEUED).first())
        if delivery is None:
            return None
        if not delivery.subscriber.active:
            delivery.state, delivery.last_error = Delivery.State.CANCELLED, "The subscriber was switched off."
            delivery.save(update_fields=["state", "last_error"])
            return None
        Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.SENDING, sending_at=now, attempts=F("attempts") + 1)
        delivery.state, delivery.sending_at, delivery.attempts = Delivery.State.SENDING, now, delivery.attempts + 1
        return delivery


def post(delivery, now):
    """POST one delivery; (status code or None, error text, milliseconds)."""
    body = body_of(delivery.event)
    headers = signed_headers(delivery.subscriber, delivery.event.event_id, body, now)
    started = time.monotonic()
    try:
        response = requests.post(delivery.subscriber.url, data=body.encode(), headers=headers, allow_redirects=False,
                                 timeout=(settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_READ_TIMEOUT))
    except requests.RequestException as error:
        return None, f"No answer: {type(error).__name__}", round((time.monotonic() - started) * 1000)
    elapsed = round((time.monotonic() - started) * 1000)
    return response.status_code, ("" if 200 <= response.status_code < 300 else f"Answered {response.status_code}"), elapsed


def _settle(delivery, status, error, elapsed, now):
    Attempt.objects.create(delivery=delivery, at=now, status_code=status, error=error[:200], duration_ms=elapsed)
    fields = {"last_status": status, "last_error": error[:200]}
    if not error:
        fields.update(state=Delivery.State.DELIVERED, delivered_at=now)
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        fields.update(state=Delivery.State.FAILED, last_error=f"Gave up after {delivery.attempts} attempts: {error}"[:200])
    else:
        fields.update(state=Delivery.State.PENDING, next_attempt_at=now + backoff(delivery.attempts))
    # Only from `sending`: a row already sent again after a timeout keeps its newer outcome.
    Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING, sending_at=delivery.sending_at).update(**fields)
    return not error


def send_webhooks(delivery_ids, now=None):
    """The send task's body: POST each delivery still ours to send; returns how many were accepted."""
    accepted = 0
    for delivery_id in delivery_ids:
        moment = now or timezone.now()
        delivery = _take(delivery_id, moment)
        if delivery is None:
            continue
        status, error, elapsed = post(delivery, moment)
        if error:
            logger.warning("webhook delivery %s to subscriber %s: %s", delivery.pk, delivery.subscriber_id, error)
        accepted += _settle(delivery, status, error, elapsed, moment)
    return accepted
