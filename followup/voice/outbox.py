"""The voice channel in the outbox: a reminder row with channel "voice" is claimed, re-checked, moved to
`sending` and handed over exactly like a text (messaging/delivery.py); these are the few things that
differ for a call: what is handed over, and the clinic's call caps."""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse

from .. import scheduling
from ..messaging.routing import sending_number
from ..models import Reminder
from ..models.voice import VoiceCall
from .backends import CallRequest
from .script import language_for, line, menu_key, reminder_words

# States of a call that count against the call caps: it rang, or may have. A call that ended
# no-answer, busy or failed reached nobody (`failed`) and does not count, so its one retry can go.
RANG = (Reminder.State.SENDING, Reminder.State.SENT, Reminder.State.DELIVERED, Reminder.State.UNKNOWN)


def compose_call(reminder, contact):
    """The CallRequest for a reminder row we hold in `sending`. Ids only in the URLs."""
    preview = VoiceCall(patient=reminder.patient, caregiver=reminder.caregiver, purpose=reminder.purpose,
                        language=language_for(contact))
    menu = line(menu_key(reminder.purpose, for_caregiver=reminder.caregiver_id is not None), preview.language)
    words = f"{reminder_words(preview, reminder.patient.clinic, reminder.due_at, reminder.patient.zone)} {menu}"
    return CallRequest(
        to=contact.mobile.as_e164, key=reminder.key,
        url=f"{settings.SITE_URL}{reverse('twilio-voice')}?reminder={reminder.pk}",
        status_callback=settings.SITE_URL + reverse("twilio-voice-status"), words=words,
        from_number=sending_number(reminder.patient.clinic),
    )


def spoken_words(reminder):
    """What a planned call will say when it is answered: the console backend prints the same words when
    it places the call (`make run`)."""
    return compose_call(reminder, reminder.caregiver or reminder.patient).words


def _calls_on(reminder, states, around):
    """Local days of this recipient's calls that rang (or may have) in the 8 days before `around`."""
    zone = reminder.patient.zone
    moments = Reminder.objects.filter(
        patient_id=reminder.patient_id, recipient=reminder.recipient, channel="voice", state__in=states,
        sending_at__gte=around - timedelta(days=8),
    ).values_list("sending_at", flat=True)
    return [scheduling.local_date(moment, zone) for moment in moments]


def cap_reason(patient, moment, taken):
    """Why one more call at `moment` would break the clinic's call caps ("" if it fits)."""
    clinic = patient.clinic
    reason = scheduling.cap_reason(scheduling.local_date(moment, patient.zone), taken, clinic.calls_per_day, clinic.calls_per_week)
    return reason.replace("Text", "Call").replace("text", "call")


def why_not_call(reminder, contact, now, memo):
    """The last-moment check's call part: a number to call, and the call caps. `memo` (the chunk's
    text-cap dict) also carries the calls won earlier in the same chunk."""
    if not contact.mobile:
        return Reminder.State.FAILED, "No phone number."
    key = ("voice", reminder.patient_id, reminder.recipient)
    if key not in memo:
        memo[key] = _calls_on(reminder, RANG, now)
    reason = cap_reason(reminder.patient, now, memo[key])
    if reason:
        return Reminder.State.SKIPPED, reason
    memo[key].append(scheduling.local_date(now, reminder.patient.zone))
    return None
