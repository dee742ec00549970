"""Deliver reminders: the dispatch tick claims what is due, send tasks send it, exactly once.

The life of a reminder row:

    planned --tick claims--> queued --send task wins the row--> sending --provider answers--> sent
       |                       |                                   |                            |
       |                       +-- re-check fails: skipped /       +-- worker died: unknown     +-- callback: delivered
       +-- too late: expired       expired / cancelled / planned       |                             or failed
                                                                       +-- reconciliation (reconcile.py): sent when the
                                                                           provider's records show it, planned again only
                                                                           when they show it never went out, else left
                                                                           for a nurse

Each arrow is a conditional UPDATE (`WHERE state = <the state we saw>`), so two ticks, two beats,
two workers or a redelivered task can never both move the same row, and only the one that moved it
to `sending` calls the provider.
"""

import functools
import hashlib
import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from .. import alerts, scheduling
from ..languages import in_source_language
from ..models import Alert, EmailAddress, Heartbeat, Occurrence, Patient, Reminder, ReminderEvent
from ..voice import outbox as voice_outbox
from ..voice.backends import CallRequest, get_voice_backend
from . import opt_outs
from .backends import PermanentSmsError, SmsError, SmsMessage, get_backend
from .rendering import render_reminder, render_staff_page

logger = logging.getLogger(__name__)

TICK = "dispatch"
QUEUE = "celery"  # Celery's default queue: in Redis, a list of that name holds the waiting tasks
# A key the tick keeps in the broker next to the queue. Gone means the broker lost its data (a restart
# without persistence, a flush, a new managed instance): every task it held is gone with it.
BROKER_MARKER = "followup:dispatch:broker-kept"
# Written with the move to `sending`, replaced by the body's hash just before the provider call: a row
# in doubt that still carries it never reached the provider (a row written by older code has "").
NOT_HANDED_OVER = "not handed over"
MAX_ATTEMPTS = 5
CLAIM_CHUNK = 1000
SENT_LIKE = (Reminder.State.SENDING, Reminder.State.SENT, Reminder.State.DELIVERED, Reminder.State.UNKNOWN)


def backoff(attempts):
    """Minutes to wait before attempt `attempts + 1`: 1, 2, 4, 8 ... capped at 30."""
    return timedelta(minutes=min(30, 2 ** max(0, attempts - 1)))


@dataclass
class TickResult:
    claimed: list = field(default_factory=list)
    expired: int = 0
    unknown: int = 0
    reconciled: dict = field(default_factory=dict)
    broker_lost: bool = False


def _events(rows, to_state, reason, at):
    ReminderEvent.objects.bulk_create(
        ReminderEvent(reminder_id=pk, at=at, from_state=from_state, to_state=to_state, reason=reason) for pk, from_state in rows
    )


def _bulk_move(rows, to_state, reason, at, **fields):
    """Move rows [(pk, state), ...] that are still in the state we saw; returns the pks moved.

    Only used inside a transaction holding row locks on `rows`, so the conditional UPDATE moves all
    of them; the condition stays as a guard."""
    by_state = {}
    for pk, state in rows:
        by_state.setdefault(state, []).append(pk)
    moved = []
    for state, pks in by_state.items():
        Reminder.objects.filter(pk__in=pks, state=state).update(state=to_state, reason=reason, **fields)
        moved.extend((pk, state) for pk in pks)
    _events(moved, to_state, reason, at)
    return [pk for pk, _ in moved]


def expire_and_resolve(now):
    """Housekeeping of the tick: rows too late to be useful expire; rows left in `sending` by a
    worker that died become `unknown` (re-sent only if the provider's records show it never went out)."""
    with transaction.atomic():
        late = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(state__in=Reminder.UNSENT, expires_at__lte=now)
            .values_list("pk", "state")
        )
        _bulk_move(late, Reminder.State.EXPIRED, "Too late to be useful: its lateness window passed before it could be sent.", now)
        stuck = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(state=Reminder.State.SENDING, sending_at__lte=now - settings.FOLLOWUP_SENDING_TIMEOUT)
            .values_list("pk", "state")
        )
        _bulk_move(stuck, Reminder.State.UNKNOWN, "The worker stopped while sending: it may or may not have gone out. Not re-sent unless the provider shows it never did.", now)
    return len(late), len(stuck)


def due_rows(now):
    """The claim query: planned rows whose time has come, oldest first. One range of the partial
    index reminder_planned_idx, however many rows are planned for later."""
    return (Reminder.objects.select_for_update(skip_locked=True).filter(state=Reminder.State.PLANNED, send_at__lte=now)
            .order_by("send_at").values_list("pk", "state"))


def claim_due(now, limit=CLAIM_CHUNK, queued_before=None):
    """Claim up to `limit` rows for this tick: queued rows claimed before `queued_before` (their task
    was lost: a broker that lost its data, or one that timed out), then planned rows whose time has
    come. Rows another tick holds are skipped, not waited for."""
    with transaction.atomic():
        claimed = []
        if queued_before is not None:
            stale = list(Reminder.objects.select_for_update(skip_locked=True)
                         .filter(state=Reminder.State.QUEUED, claimed_at__lt=queued_before)
                         .order_by("claimed_at").values_list("pk", "state")[:limit])
            claimed = _bulk_move(stale, Reminder.State.QUEUED, "", now, claimed_at=now)
        if len(claimed) < limit:
            claimed += _claim_planned(now, limit - len(claimed))
        return claimed


def _claim_planned(now, limit):
    """planned -> queued for up to `limit` due rows, with their events. On PostgreSQL one statement:
    the rows never travel to Python and back, so a tick's cost stays that of the rows it claims."""
    if connection.vendor != "postgresql":
        return _bulk_move(list(due_rows(now)[:limit]), Reminder.State.QUEUED, "", now, claimed_at=now)
    due_sql, due_params = due_rows(now).values("pk")[:limit].query.sql_with_params()
    reminders, events = Reminder._meta.db_table, ReminderEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH claimed AS (
                    UPDATE {reminders} SET state = %s, reason = '', claimed_at = %s
                    WHERE id = ANY(ARRAY({due_sql})) AND state = %s RETURNING id, send_at),
                logged AS (
                    INSERT INTO {events} (reminder_id, at, from_state, to_state, reason)
                    SELECT id, %s, %s, %s, '' FROM claimed)
                SELECT id FROM claimed ORDER BY send_at, id""",
            [Reminder.State.QUEUED, now, *due_params, Reminder.State.PLANNED, now, Reminder.State.PLANNED, Reminder.State.QUEUED],
        )
        return [pk for (pk,) in cursor.fetchall()]


def tasks_waiting():
    """Tasks waiting in the broker's queue for a worker, or None when the broker does not answer."""
    return look_at_broker(None)[0]


def look_at_broker(now):
    """(tasks waiting, lost) from the broker in one round trip; (None, False) when it does not answer.

    `lost` is True for exactly one tick after the broker lost its data: the marker key is gone, and
    this tick is the one that put it back (SET NX), so two ticks at once never both call it lost.
    `now=None` only looks."""
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2)
        if now is None:
            return client.llen(QUEUE), False
        pipe = client.pipeline(transaction=False)
        pipe.llen(QUEUE)
        pipe.set(BROKER_MARKER, now.isoformat(), nx=True)
        waiting, marker_was_gone = pipe.execute()
        return waiting, bool(marker_was_gone)
    except redis.RedisError:
        return None, False


def dispatch_due_reminders(now=None, enqueue=None):
    """One dispatch tick: what the beat entry and `manage.py dispatch_reminders` run.

    Ids are handed to send tasks in batches only after the claim has committed. When the broker lost
    its data (its marker key is gone), every queued row's task went with it: they are all handed out
    again now. Otherwise queued rows whose task seems lost are handed out again after the queued
    timeout, and only when the broker's queue is empty: under a backlog their tasks are still waiting
    in line, and a second copy would only add work (never a second message: the send is guarded by
    the row's state). Rows in doubt are reconciled with the provider's records first.
    """
    from ..tasks import send_reminders
    from .reconcile import settle_rows_in_doubt

    now = now or timezone.now()
    result = TickResult()
    if enqueue is None:
        waiting, result.broker_lost = look_at_broker(now)
        rehand_stale = waiting == 0
    else:  # sending in this process (tests, `dispatch_reminders --inline`): no broker to ask
        rehand_stale = True
    queued_before = now if result.broker_lost else now - settings.FOLLOWUP_QUEUED_TIMEOUT if rehand_stale else None
    if result.broker_lost:
        logger.warning("dispatch tick: the broker lost its data (marker gone): queued reminders are handed out again now")
    enqueue = enqueue or (lambda ids: send_reminders.delay(ids))
    result.expired, result.unknown = expire_and_resolve(now)
    result.reconciled = settle_rows_in_doubt(now)
    batch = settings.FOLLOWUP_DISPATCH_BATCH
    while True:
        ids = claim_due(now, queued_before=queued_before)
        if not ids:
            break
        result.claimed.extend(ids)
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            transaction.on_commit(lambda chunk=chunk: enqueue(chunk))
        if len(ids) < CLAIM_CHUNK:
            break
    Heartbeat.beat(TICK, now)
    logger.info("dispatch tick: %d claimed, %d expired, %d unknown, reconciled %s", len(result.claimed), result.expired,
                result.unknown, result.reconciled or "none")
    return result


# --- Sending ---------------------------------------------------------------------------------------


def _contact(reminder):
    return reminder.caregiver or reminder.patient


def texts_already_out(reminders, now):
    """{(patient_id, recipient): [local dates]} of the texts these recipients were sent (or may have
    been sent) in the last 8 days: one query for a whole chunk."""
    keys = {(r.patient_id, r.recipient) for r in reminders if r.channel == "sms" and not r.is_staff_page}
    found = {key: [] for key in keys}
    if not keys:
        return found
    zones = {r.patient_id: r.patient.zone for r in reminders if not r.is_staff_page}
    rows = Reminder.objects.filter(
        patient_id__in={patient_id for patient_id, _ in keys}, channel="sms", state__in=SENT_LIKE,
        sending_at__gte=now - timedelta(days=8),
    ).values_list("patient_id", "recipient", "sending_at")
    for patient_id, recipient, sending_at in rows:
        if (patient_id, recipient) in found:
            found[(patient_id, recipient)].append(scheduling.local_date(sending_at, zones[patient_id]))
    return found


def why_not_now(reminder, now, texts_out):
    """The last-moment check. Returns (state, reason) when the row must not go out now, else None.
    `texts_out` is `texts_already_out(...)` for the rows checked together. A staff page has its
    own checks (`alerts.why_not_page`): no patient status, consent, quiet hours or text caps."""
    if reminder.is_staff_page:
        return alerts.why_not_page(reminder, now)
    patient = reminder.patient
    contact = _contact(reminder)
    occurrence = reminder.occurrence
    if patient.status != Patient.Status.ACTIVE:
        return Reminder.State.CANCELLED, f"Patient {in_source_language(Patient.Status(patient.status).label).lower()}."
    if reminder.channel in opt_outs.PHONE_CHANNELS and contact.mobile and opt_outs.is_opted_out(contact.mobile.as_e164):
        return Reminder.State.CANCELLED, gettext_noop("Number opted out of texts and automated calls.")
    if contact.consent_at is None or not contact.receives_reminders:
        return Reminder.State.CANCELLED, "No consent to automated messages."
    if contact.preferred_channel != reminder.channel:
        return Reminder.State.CANCELLED, "Recipient changed how they want to be reminded."
    if occurrence.state != Occurrence.State.SCHEDULED or occurrence.due_at != reminder.due_at:
        return Reminder.State.CANCELLED, "The appointment was moved, done or cancelled."
    if now >= reminder.expires_at:
        return Reminder.State.EXPIRED, "Too late to be useful: its lateness window passed before it could be sent."
    allowed_from, allowed_until = patient.quiet_hours
    if scheduling.in_quiet_hours(now, patient.zone, allowed_from, allowed_until):
        return Reminder.State.PLANNED, "Quiet hours: waits for the morning."
    if reminder.channel == "voice":
        return voice_outbox.why_not_call(reminder, contact, now, texts_out)
    if reminder.channel == "sms":
        if not contact.mobile:
            return Reminder.State.FAILED, "No mobile number."
        clinic = patient.clinic
        taken = texts_out.get((reminder.patient_id, reminder.recipient), [])
        reason = scheduling.cap_reason(scheduling.local_date(now, patient.zone), taken, clinic.sms_per_day, clinic.sms_per_week)
        if reason:
            return Reminder.State.SKIPPED, reason
    elif not contact.email:
        return Reminder.State.FAILED, "No e-mail address."
    elif EmailAddress.is_unsubscribed(contact.email):
        return Reminder.State.CANCELLED, "Address unsubscribed from e-mail."
    return None


def _next_allowed(reminder, now):
    patient = reminder.patient
    allowed_from, allowed_until = patient.quiet_hours
    later = scheduling.move_out_of_quiet_hours(now, patient.zone, allowed_from, allowed_until)
    if later <= now:  # after the evening limit: the next morning
        later = scheduling.at_local(scheduling.local_date(now, patient.zone) + timedelta(days=1), allowed_from, patient.zone)
    return later


def take_for_sending(reminder_ids, now):
    """Win a few rows for sending, settling why the others must not go out. Returns the rows won.

    One short transaction per chunk of FOLLOWUP_SEND_CHUNK rows (10), taken just before their
    provider calls: a worker killed mid-batch leaves at most that chunk in doubt (`unknown`), never
    the whole batch. The patients are locked first, in id order, as every service locks them, so a
    death, a pause or an opt-out recorded at the same moment is either seen here or waits until these
    messages are on their way. Rows move `queued -> sending` only from `queued`, so a redelivered
    task or a second worker finds nothing left to do.
    """
    with transaction.atomic():
        queued = Reminder.objects.filter(pk__in=reminder_ids, state=Reminder.State.QUEUED)
        list(Patient.objects.select_for_update().filter(pk__in=queued.values("patient_id")).order_by("pk").values_list("pk"))
        # Staff pages: an acknowledgement at this moment is either seen here or waits for the send.
        list(Alert.objects.select_for_update().filter(pk__in=queued.values("alert_id")).order_by("pk").values_list("pk"))
        reminders = list(queued.select_related("patient__clinic", "caregiver", "occurrence", "alert__patient__clinic",
                                               "on_call", "staff").order_by("pk"))
        texts_out = texts_already_out(reminders, now)
        won = []
        for reminder in reminders:
            verdict = why_not_now(reminder, now, texts_out)
            if verdict is None:
                won.append(reminder)
                if reminder.channel == "sms" and not reminder.is_staff_page:
                    texts_out[(reminder.patient_id, reminder.recipient)].append(scheduling.local_date(now, reminder.patient.zone))
                continue
            state, reason = verdict
            if state == Reminder.State.PLANNED:
                later = _next_allowed(reminder, now)
                if later < reminder.expires_at:
                    reminder.move(state, reason, send_at=later)
                    continue
                state, reason = Reminder.State.EXPIRED, "Quiet hours until after its lateness window."
            reminder.move(state, reason)
        # The patients are locked, so nothing else can have moved these queued rows meanwhile.
        Reminder.objects.filter(pk__in=[r.pk for r in won], state=Reminder.State.QUEUED).update(
            state=Reminder.State.SENDING, sending_at=now, attempts=F("attempts") + 1, reason="", body_sha256=NOT_HANDED_OVER)
        ReminderEvent.objects.bulk_create(
            ReminderEvent(reminder_id=r.pk, at=now, from_state=Reminder.State.QUEUED, to_state=Reminder.State.SENDING) for r in won
        )
        for reminder in won:
            reminder.state, reminder.sending_at, reminder.attempts = Reminder.State.SENDING, now, reminder.attempts + 1
            reminder.body_sha256 = NOT_HANDED_OVER
        return won


@functools.cache
def _status_callback_path():
    return reverse("twilio-status")


def _status_callback_url():
    return settings.SITE_URL + _status_callback_path()


def _compose(reminder):
    """Everything up to the provider call; any failure here is safe to retry (nothing went out)."""
    if reminder.is_staff_page:
        return _compose_staff_page(reminder)
    if reminder.channel == "voice":
        return voice_outbox.compose_call(reminder, _contact(reminder))
    link = ""
    if reminder.purpose == Reminder.Purpose.CHECKIN:
        from ..symptom_links import issue_link

        link = issue_link(reminder.patient)
    contact = _contact(reminder)
    if reminder.channel == "sms":
        message = render_reminder(reminder, link=link)
        from .routing import sending_number

        return SmsMessage(to=contact.mobile.as_e164, body=message.text, key=reminder.key, status_callback=_status_callback_url(),
                          from_number=sending_number(reminder.patient.clinic))
    from . import email

    message = render_reminder(reminder, link=link, unsubscribe_url=email.unsubscribe_url(email.address_row(contact.email)))
    return email.compose(reminder, message, contact.email)


def body_sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_handover(ready, backend, moment):
    """Write down what the provider is about to see, in one UPDATE for the chunk, before any call:
    the number or address, the sender, the hash of the exact text, the time. Reconciliation asks the
    provider about exactly this message if the outcome is never recorded."""
    for reminder, outgoing in ready:
        if isinstance(outgoing, SmsMessage):
            # The clinic's own sending number when it has one (routing.sending_number), else the backend's.
            reminder.handed_to, reminder.handed_from, text = outgoing.to, outgoing.from_number or backend.sender, outgoing.body
        elif isinstance(outgoing, CallRequest):  # a call: its number, the clinic's number, the words a person hears first
            reminder.handed_to, reminder.handed_from, text = outgoing.to, outgoing.from_number, outgoing.words
        else:
            reminder.handed_to, reminder.handed_from, text = ", ".join(outgoing.to), outgoing.from_email, outgoing.body
        reminder.handed_over_at, reminder.body_sha256 = moment, body_sha256(text)
    Reminder.objects.bulk_update([reminder for reminder, _ in ready], ["handed_over_at", "handed_to", "handed_from", "body_sha256"])


def _compose_staff_page(page):
    """A page to staff: the clinic's name and a link to the alert, never anything about the patient."""
    message = render_staff_page(page, alerts.alert_link(page.alert))
    mobile, email = alerts.page_contact(page)
    if page.channel == "sms":
        return SmsMessage(to=mobile.as_e164, body=message.text, key=page.key, status_callback=_status_callback_url())
    outgoing = EmailMultiAlternatives(subject=message.subject, body=message.text, to=[email],
                                      headers={"X-Followup-Key": page.key}, connection=get_connection())
    outgoing.attach_alternative(message.html, "text/html")
    return outgoing


def _call_provider(outgoing, backend):
    """Hand the message over. Returns the provider's id; raises SmsError or an e-mail error."""
    if isinstance(outgoing, SmsMessage):
        return backend.send(outgoing)
    if isinstance(outgoing, CallRequest):
        return get_voice_backend().place(outgoing)
    outgoing.send()
    status = getattr(outgoing, "anymail_status", None)  # set by django-anymail's backends
    return (status.message_id if status else "") or ""


def _is_permanent_email_error(error):
    try:
        from anymail.exceptions import AnymailRecipientsRefused
    except ImportError:  # pragma: no cover - anymail is a dependency
        AnymailRecipientsRefused = ()
    return isinstance(error, (smtplib.SMTPRecipientsRefused, AnymailRecipientsRefused))


def _record_failure(reminder, reason, permanent, now):
    if permanent or reminder.attempts >= MAX_ATTEMPTS:
        reminder.move(Reminder.State.FAILED, reason if permanent else f"Gave up after {reminder.attempts} attempts: {reason}")
        return
    retry_at = now + backoff(reminder.attempts)
    if retry_at >= reminder.expires_at:
        reminder.move(Reminder.State.EXPIRED, f"Could not be sent before its lateness window passed: {reason}")
    else:
        # Back to planned: the tick picks it up again at retry_at. Safe because the provider refused it.
        reminder.move(Reminder.State.PLANNED, f"Will retry: {reason}", send_at=retry_at)


def send_reminders(reminder_ids, now=None):
    """The send task's body: re-check and send each reminder that is still ours to send."""
    sent = 0
    chunk = settings.FOLLOWUP_SEND_CHUNK
    backend = get_backend()
    for start in range(0, len(reminder_ids), chunk):
        moment = now or timezone.now()
        ready = [(r, outgoing) for r in take_for_sending(reminder_ids[start:start + chunk], moment)
                 if (outgoing := _compose_or_retry(r, moment)) is not None]
        if ready:
            record_handover(ready, backend, moment)
        for reminder, outgoing in ready:
            sent += _send(reminder, outgoing, backend, now or timezone.now())
    return sent


def _compose_or_retry(reminder, moment):
    """The message for a reminder we hold in `sending`, or None after recording why it could not be
    composed (nothing was sent: it is retried later)."""
    try:
        return _compose(reminder)
    except Exception as error:  # noqa: BLE001
        logger.exception("reminder %s could not be composed", reminder.pk)
        _record_failure(reminder, f"Could not compose the message: {type(error).__name__}", False, moment)
        return None


def _send(reminder, outgoing, backend, moment):
    """Hand over one composed reminder we hold in `sending`; record the outcome. 1 if sent."""
    try:
        provider_id = _call_provider(outgoing, backend)
    except SmsError as error:
        logger.warning("reminder %s not sent: %s", reminder.pk, error.reason)
        _record_failure(reminder, error.reason, isinstance(error, PermanentSmsError), moment)
        return 0
    except Exception as error:  # noqa: BLE001
        if _is_permanent_email_error(error):
            _record_failure(reminder, f"E-mail refused: {type(error).__name__}", True, moment)
        elif isinstance(error, (smtplib.SMTPException, ConnectionError, TimeoutError)):
            _record_failure(reminder, f"E-mail server unavailable: {type(error).__name__}", False, moment)
        else:
            # The provider may have accepted it before failing: never risk a second copy.
            logger.exception("reminder %s: unexpected error from the channel", reminder.pk)
            reminder.move(Reminder.State.UNKNOWN, f"Unexpected error from the channel ({type(error).__name__}): not re-sent.")
        return 0
    reminder.move(Reminder.State.SENT, "", sent_at=timezone.now(), provider_id=(provider_id or "")[:64])
    logger.info("reminder %s sent by %s", reminder.pk, reminder.channel)
    return 1


# --- Status callbacks and figures ----------------------------------------------------------------------

# Provider statuses in the order a message goes through them; callbacks only move forward.
PROVIDER_STATUS = {
    "accepted": None, "queued": None, "sending": None, "sent": None,
    "delivered": Reminder.State.DELIVERED,
    "undelivered": Reminder.State.FAILED,
    "failed": Reminder.State.FAILED,
}


def apply_status_callback(provider_id, status, error_code=""):
    """A status callback from the provider. Forward only and idempotent: `delivered` and `failed`
    are final; a late `sent` after `delivered` changes nothing; an `unknown` row is resolved."""
    to_state = PROVIDER_STATUS.get(status)
    if to_state is None:
        return False
    reminder = Reminder.objects.filter(provider_id=provider_id).first()
    if reminder is None or reminder.state not in (Reminder.State.SENT, Reminder.State.UNKNOWN):
        return False
    reason = f"Provider reported {status}" + (f" (error {error_code})" if error_code else "")
    return reminder.move(to_state, reason)


def delivery_counts(now=None):
    """Counts for the dashboard and /healthz."""
    now = now or timezone.now()
    totals = Reminder.objects.aggregate(
        due=Count("pk", filter=Q(state__in=Reminder.UNSENT, send_at__lte=now)),
        sending=Count("pk", filter=Q(state=Reminder.State.SENDING)),
        sent=Count("pk", filter=Q(state__in=(Reminder.State.SENT, Reminder.State.DELIVERED))),
        failed=Count("pk", filter=Q(state=Reminder.State.FAILED)),
        unknown=Count("pk", filter=Q(state=Reminder.State.UNKNOWN)),
        expired=Count("pk", filter=Q(state=Reminder.State.EXPIRED)),
    )
    last_tick = Heartbeat.last(TICK)
    totals["last_tick"] = last_tick
    totals["tick_age_seconds"] = round((now - last_tick).total_seconds()) if last_tick else None
    return totals


def last_tick():
    return Heartbeat.last(TICK)


def tick_is_late(now=None, **known):
    """No dispatch tick in the last 5 minutes: reminders are not going out.
    `last=` passes a heartbeat already read (None: never ran)."""
    last = known["last"] if "last" in known else Heartbeat.last(TICK)
    return last is None or (now or timezone.now()) - last > settings.FOLLOWUP_TICK_LATE_AFTER


def as_of(moment: datetime | None):
    return moment.isoformat() if moment else None
