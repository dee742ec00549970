import contextlib
import hashlib
import logging
from datetime import timedelta

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from . import BaseSmsBackend, PermanentSmsError, Sighting, TransientSmsError

logger = logging.getLogger(__name__)

# Our clock and Twilio's may differ a little: a message created up to this long before our record of
# the handover is still the one we handed over.
CLOCK_SLACK = timedelta(minutes=5)
LIST_LIMIT = 100  # messages to one number from ours in the window: far more than a day's reminders

# Twilio error codes that will never succeed on a retry (https://www.twilio.com/docs/api/errors).
PERMANENT_CODES = {
    21211: "Invalid 'To' phone number",
    21214: "'To' number cannot be reached",
    21408: "Region not enabled for this account",
    21610: "Recipient has opted out at the carrier (replied STOP)",
    21612: "'To' number cannot receive this message",
    21614: "'To' number is not a mobile number",
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered by the carrier",
}


@contextlib.contextmanager
def twilio_errors(refused="request refused"):
    """Twilio's SDK errors as the outbox's: permanent when a retry can never succeed (a known code, or
    a 4xx other than 429), transient otherwise. Shared by texts and calls (followup/voice/backends.py)."""
    try:
        yield
    except TwilioRestException as error:
        if error.code in PERMANENT_CODES:
            raise PermanentSmsError(f"Twilio {error.code}: {PERMANENT_CODES[error.code]}") from None
        if error.status and 400 <= error.status < 500 and error.status != 429:
            raise PermanentSmsError(f"Twilio {error.code or error.status}: {refused}") from None
        raise TransientSmsError(f"Twilio {error.code or error.status}: temporary failure") from None
    except requests.exceptions.ConnectTimeout:
        # Never connected, so nothing was sent. Any other network error may come after Twilio
        # accepted the request: it propagates, and the reminder ends `unknown`, not sent again.
        raise TransientSmsError("Twilio unreachable: connection timed out") from None
    except TwilioException as error:
        raise TransientSmsError(f"Twilio client error: {type(error).__name__}") from None


class SmsBackend(BaseSmsBackend):
    """Sends through Twilio's REST API with the official SDK, asking for status callbacks.

    Reconciliation lists the messages to that number from ours since the handover (Twilio filters by
    send date, a day at a time; the exact time is checked here) and matches the hash of the body."""

    can_tell_what_went_out = True

    def __init__(self, http_client=None):
        # http_client: Twilio's own HTTP layer; tests replace it to stand in for Twilio's API.
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)
        self.sender = settings.TWILIO_FROM_NUMBER

    def went_out(self, handovers):
        # One listing per number (two reminders to one phone share it), from the earliest handover.
        by_number = {}
        for handover in handovers:
            by_number.setdefault((handover.to, handover.sender or self.sender), []).append(handover)
        answers = {}
        for (to, sender), group in by_number.items():
            since = min(handover.at for handover in group) - CLOCK_SLACK
            try:
                listed = list(self.client.messages.list(to=to, from_=sender, date_sent_after=since, limit=LIST_LIMIT))
            except (TwilioException, requests.exceptions.RequestException) as error:
                logger.warning("reconciliation: Twilio did not answer for reminder %s (%s)", group[0].key, type(error).__name__)
                continue  # no answer this time: the rows stay in doubt and are asked about again
            for handover in group:
                answers[handover.key] = [
                    Sighting(provider_id=message.sid, status=str(message.status or ""), at=message.date_sent or message.date_created)
                    for message in listed
                    if hashlib.sha256((message.body or "").encode("utf-8")).hexdigest() == handover.body_sha256
                    and (message.date_created or message.date_sent) is not None
                    and (message.date_created or message.date_sent) >= handover.at - CLOCK_SLACK
                ]
        return answers
    def send(self, message):
        with twilio_errors():
            created = self.client.messages.create(
                to=message.to, from_=message.from_number or settings.TWILIO_FROM_NUMBER, body=message.body,
                status_callback=message.status_callback or None,
            )
        return created.sid
