"""Plan the reminders of an occurrence: who, on which channel, when (in the patient's zone, out of
quiet hours, within the text caps), and until when a late one is still worth sending."""

from datetime import datetime, timedelta

from django.utils import timezone

from .. import scheduling
from ..models import Kind, Occurrence, Reminder, ReminderEvent

CAP_WINDOW = timedelta(days=8)


def recipients(patient):
    """(recipient key, caregiver or None, contact) for everyone who may receive this patient's reminders."""
    found = []
    if patient.may_be_messaged:
        found.append(("patient", None, patient))
    for caregiver in patient.caregivers.all():
        if caregiver.may_be_messaged:
            found.append((f"caregiver-{caregiver.pk}", caregiver, caregiver))
    return found


def wanted_send_times(occurrence):
    """(purpose, local send time) the clinic wants for this kind of occurrence, before any rule."""
    clinic = occurrence.patient.clinic
    zone = occurrence.patient.zone
    if occurrence.kind == Kind.HOME_DRAINAGE:
        # Only when the clinic turned home-drainage reminders on: the morning of, nothing the day before.
        return [(Reminder.Purpose.MORNING_OF, scheduling.at_local(occurrence.due_date, clinic.drainage_reminder_morning_at, zone))]
    if occurrence.kind == Kind.PARACENTESIS:
        return [
            (Reminder.Purpose.DAY_BEFORE, scheduling.at_local(occurrence.due_date - timedelta(days=1), clinic.drainage_reminder_day_before_at, zone)),
            (Reminder.Purpose.MORNING_OF, scheduling.at_local(occurrence.due_date, clinic.drainage_reminder_morning_at, zone)),
        ]
    return [(Reminder.Purpose.CHECKIN, scheduling.at_local(occurrence.due_date, clinic.checkin_reminder_at, zone))]


def send_window(occurrence, wanted: datetime, now: datetime):
    """(send_at, expires_at) for a reminder wanted at `wanted`, or None when it cannot be useful."""
    patient = occurrence.patient
    zone = patient.zone
    allowed_from, allowed_until = patient.quiet_hours
    send_at = scheduling.move_out_of_quiet_hours(wanted, zone, allowed_from, allowed_until)
    expires_at = min(
        send_at + timedelta(minutes=patient.clinic.reminder_lateness_minutes),
        scheduling.quiet_hours_begin(send_at, zone, allowed_until),
    )
    if occurrence.kind in (Kind.PARACENTESIS, Kind.HOME_DRAINAGE):
        expires_at = min(expires_at, occurrence.due_at)  # no reminder after the appointment
    if send_at < now:
        send_at = now  # planned late (an occurrence made today): send now if still useful
    if send_at >= expires_at or scheduling.in_quiet_hours(send_at, zone, allowed_from, allowed_until):
        return None
    return send_at, expires_at


def _texts_taken(patient, recipient, send_at, occurrence, purpose):
    """Local days on which this recipient already has a text planned or sent, around `send_at`
    (not counting the very reminder being planned, which may exist from an earlier plan)."""
    zone = patient.zone
    moments = (
        Reminder.objects.filter(
            patient=patient, recipient=recipient, channel="sms", state__in=Reminder.COUNTED,
            send_at__range=(send_at - CAP_WINDOW, send_at + CAP_WINDOW),
        )
        .exclude(occurrence=occurrence, purpose=purpose, due_at=occurrence.due_at)
        .values_list("send_at", flat=True)
    )
    return [scheduling.local_date(moment, zone) for moment in moments]


def plan_reminders(occurrence, now=None):
    """Create (or revive) the reminders of an open occurrence. Returns the rows it planned or skipped.

    Nothing is planned for a patient who is not active. A text that would break the caps is kept
    as a `skipped` row with the reason, so a nurse can see why nobody was reminded.
    """
    now = now or timezone.now()
    patient = occurrence.patient
    if occurrence.state != Occurrence.State.SCHEDULED or not patient.is_active or not occurrence.schedule.sends_reminders:
        return []
    clinic = patient.clinic
    planned = []
    for recipient, caregiver, contact in recipients(patient):
        channel = contact.preferred_channel
        for purpose, wanted in wanted_send_times(occurrence):
            window = send_window(occurrence, wanted, now)
            if window is None:
                continue
            send_at, expires_at = window
            state, reason = Reminder.State.PLANNED, ""
            if channel == "sms":
                taken = _texts_taken(patient, recipient, send_at, occurrence, purpose)
                reason = scheduling.cap_reason(scheduling.local_date(send_at, patient.zone), taken, clinic.sms_per_day, clinic.sms_per_week)
                if reason:
                    state = Reminder.State.SKIPPED
            reminder, created = Reminder.objects.get_or_create(
                occurrence=occurrence, recipient=recipient, channel=channel, purpose=purpose, due_at=occurrence.due_at,
                defaults=dict(patient=patient, caregiver=caregiver, send_at=send_at, expires_at=expires_at, state=state, reason=reason),
            )
            if created:
                ReminderEvent.objects.create(reminder=reminder, at=now, to_state=state, reason=reason or "Planned")
            elif reminder.state in (Reminder.State.CANCELLED, Reminder.State.SKIPPED):
                # The same appointment time again (moved away and back, or resumed after a pause).
                reminder.move(state, reason or "Planned again", send_at=send_at, expires_at=expires_at)
            else:
                continue  # already planned, queued or sent for this very appointment time
            planned.append(reminder)
    return planned


def cancel_unsent_reminders(reminders, reason):
    """Cancel every reminder in `reminders` not yet handed to the provider.

    Queued rows are cancelled too: the send task moves a row to `sending` only from `queued`, so a
    cancelled row already in a worker's hands is never sent.
    """
    now = timezone.now()
    rows = list(reminders.filter(state__in=Reminder.UNSENT).values_list("pk", "state"))
    cancelled = []
    for pk, state in rows:
        if Reminder.objects.filter(pk=pk, state=state).update(state=Reminder.State.CANCELLED, reason=reason[:200]):
            cancelled.append(ReminderEvent(reminder_id=pk, at=now, from_state=state, to_state=Reminder.State.CANCELLED, reason=reason[:200]))
    ReminderEvent.objects.bulk_create(cancelled)
    return len(cancelled)
