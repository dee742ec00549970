import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from . import BaseSmsBackend, PermanentSmsError, TransientSmsError

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


class SmsBackend(BaseSmsBackend):
    """Sends through Twilio's REST API with the official SDK, asking for status callbacks."""

    def __init__(self, http_client=None):
        # http_client: Twilio's own HTTP layer; tests replace it to stand in for Twilio's API.
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)

    def send(self, message):
        try:
            created = self.client.messages.create(
                to=message.to, from_=message.from_number or settings.TWILIO_FROM_NUMBER, body=message.body,
                status_callback=message.status_callback or None,
            )
        except TwilioRestException as error:
            if error.code in PERMANENT_CODES:
                raise PermanentSmsError(f"Twilio {error.code}: {PERMANENT_CODES[error.code]}") from None
            if error.status and 400 <= error.status < 500 and error.status != 429:
                raise PermanentSmsError(f"Twilio {error.code or error.status}: request refused") from None
            raise TransientSmsError(f"Twilio {error.code or error.status}: temporary failure") from None
        except requests.exceptions.ConnectTimeout:
            # Never connected, so nothing was sent. Any other network error may come after Twilio
            # accepted the message: it propagates, and the reminder ends `unknown`, not re-sent.
            raise TransientSmsError("Twilio unreachable: connection timed out") from None
        except TwilioException as error:
            raise TransientSmsError(f"Twilio client error: {type(error).__name__}") from None
        return created.sid
