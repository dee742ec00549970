"""Reconciliation: settle reminders in doubt from the provider's own records (architecture invariant 3).

A reminder is in doubt (`unknown`) when its worker stopped between winning the row and recording the
provider's answer. Just before the call the worker wrote down what the provider would see (the number,
the sender, the hash of the exact text, the time), so each tick asks the provider about exactly that
message:

- the provider's records show it: the row is `sent` (or `delivered` / `failed`, as they say), with the
  provider's id, so later status callbacks find it;
- the records show it never went out: the row goes back to `planned` and the same tick claims it (or
  it expires, if its lateness window has passed);
- the row never reached the provider (the worker stopped before the call): back to `planned` too;
- nobody can say (e-mail, the console backend, rows from before the handover was recorded): the row
  stays `unknown` for a nurse, and is not asked about again;
- the provider did not answer this time (Twilio unreachable): it is asked again at the next tick.

E-mail cannot be settled: an SMTP server or an e-mail service accepts a message and keeps no record we
can query by content, so e-mail in doubt always goes to a nurse.

Every move is a conditional UPDATE on the state and the `sending_at` we read, so two ticks reconciling
at once (or a tick whose answer is stale because the row was sent again meanwhile) can never move the
same row twice. No lock is held while the provider is asked.
"""

import logging
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Reminder, ReminderEvent
from .backends import Handover, get_backend
from .delivery import NOT_HANDED_OVER, PROVIDER_STATUS

logger = logging.getLogger(__name__)

SETTLED_SENT = "Settled from the provider's records: it went out."
NEVER_WENT_OUT = "The provider's records show it never went out: planned again."
NEVER_HANDED_OVER = "The worker stopped before handing it to the provider: planned again."
TOO_LATE = "Never went out, and its lateness window has passed."
EMAIL_CANNOT_TELL = "E-mail servers keep no record we can ask: a nurse should check whether it arrived."
BACKEND_CANNOT_TELL = "The text provider cannot say whether it went out: a nurse should check."
NO_RECORD = "No record of what was handed to the provider: a nurse should check."


def rows_in_doubt(now, limit):
    """Unknown rows not yet given up on, oldest first (reminder_in_doubt_idx). Only once the sending
    timeout has passed since the handover: a text the provider accepted a moment ago may still wait in
    its own queue, unlisted, and must not be taken for one that never went out."""
    return list(Reminder.objects.filter(state=Reminder.State.UNKNOWN, left_for_nurse_at=None,
                                        sending_at__lte=now - settings.FOLLOWUP_SENDING_TIMEOUT).order_by("sending_at")[:limit])


def _settle(reminder, to_state, reason, now, **fields):
    """Move a row still in the doubt we read (same state and sending_at) and record the event."""
    with transaction.atomic():
        changed = Reminder.objects.filter(
            pk=reminder.pk, state=Reminder.State.UNKNOWN, sending_at=reminder.sending_at, left_for_nurse_at=None,
        ).update(state=to_state, reason=reason[:200], **fields)
        if changed:
            ReminderEvent.objects.create(reminder_id=reminder.pk, at=now, from_state=Reminder.State.UNKNOWN, to_state=to_state,
                                         reason=reason[:200])
    return bool(changed)


def _leave_for_nurse(reminder, reason, now):
    return bool(Reminder.objects.filter(
        pk=reminder.pk, state=Reminder.State.UNKNOWN, sending_at=reminder.sending_at, left_for_nurse_at=None,
    ).update(left_for_nurse_at=now, reason=reason[:200]))


def _plan_again(reminder, reason, now):
    if now >= reminder.expires_at:
        return "expired" if _settle(reminder, Reminder.State.EXPIRED, TOO_LATE, now) else None
    return "planned" if _settle(reminder, Reminder.State.PLANNED, reason, now, send_at=now) else None


def settle_rows_in_doubt(now=None, limit=None):
    """One round of reconciliation, run by the tick. Returns counts by outcome (sent, planned, expired,
    left for nurse ...). Idempotent: a second round finds nothing left to do for what the first settled."""
    now = now or timezone.now()
    rows = rows_in_doubt(now, limit or settings.FOLLOWUP_RECONCILE_BATCH)
    if not rows:
        return {}
    outcomes = Counter()
    texts = []
    for reminder in rows:
        if reminder.body_sha256 == NOT_HANDED_OVER:
            outcome = _plan_again(reminder, NEVER_HANDED_OVER, now)
        elif not reminder.body_sha256 or reminder.handed_over_at is None:
            outcome = "left for nurse" if _leave_for_nurse(reminder, NO_RECORD, now) else None
        elif reminder.channel != "sms":
            outcome = "left for nurse" if _leave_for_nurse(reminder, EMAIL_CANNOT_TELL, now) else None
        else:
            texts.append(reminder)
            continue
        if outcome:
            outcomes[outcome] += 1
    if texts:
        try:
            outcomes.update(_settle_texts(texts, now))
        except Exception:  # noqa: BLE001 - the tick must go on; the rows stay in doubt and are asked about again
            logger.exception("reconciliation: the text provider's records could not be read")
    if outcomes:
        logger.info("reconciliation: %s", dict(outcomes))
    return dict(outcomes)


def _settle_texts(reminders, now):
    backend = get_backend()
    outcomes = Counter()
    if not backend.can_tell_what_went_out:
        for reminder in reminders:
            if _leave_for_nurse(reminder, BACKEND_CANNOT_TELL, now):
                outcomes["left for nurse"] += 1
        return outcomes
    answers = backend.went_out([
        Handover(key=r.key, to=r.handed_to, sender=r.handed_from, body_sha256=r.body_sha256, at=r.handed_over_at) for r in reminders
    ])
    # A message already recorded against another reminder is not this one's: two families who share a
    # phone get the same words, and one of them must not be taken for the other.
    seen = {sighting.provider_id for sightings in answers.values() for sighting in sightings}
    taken = set(Reminder.objects.filter(provider_id__in=seen).exclude(pk__in=[r.pk for r in reminders])
                .values_list("provider_id", flat=True)) if seen else set()
    for reminder in reminders:
        sightings = answers.get(reminder.key)
        if sightings is None:
            continue  # no answer this time: asked again at the next tick
        mine = [s for s in sightings if s.provider_id not in taken]
        if not mine:
            outcome = _plan_again(reminder, NEVER_WENT_OUT, now)
        else:
            sighting = mine[0]
            taken.add(sighting.provider_id)
            to_state = PROVIDER_STATUS.get(sighting.status.lower()) or Reminder.State.SENT
            reason = SETTLED_SENT if to_state == Reminder.State.SENT else f"{SETTLED_SENT} Provider reported {sighting.status.lower()}."
            moved = _settle(reminder, to_state, reason, now, sent_at=sighting.at or reminder.handed_over_at,
                            provider_id=sighting.provider_id[:64])
            outcome = to_state if moved else None
        if outcome:
            outcomes[str(outcome)] += 1
    return outcomes
