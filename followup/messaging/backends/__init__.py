"""SMS backends, chosen by dotted path in settings.SMS_BACKEND like Django's e-mail backends."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """A provider refused or failed a message. `reason` is safe to store and show (no PHI)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class TransientSmsError(SmsError):
    """Worth trying again later: the provider is down, slow or rate-limiting us."""


class PermanentSmsError(SmsError):
    """Will never work: invalid number, landline, recipient blocked us at the carrier."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    key: str  # the reminder's unique key, for the provider's idempotency and our logs
    status_callback: str = ""
    from_number: str = ""  # the clinic's own sending number; "" for TWILIO_FROM_NUMBER


class BaseSmsBackend:
    def send(self, message: SmsMessage) -> str:
        """Send one message; return the provider's message id. Raise an SmsError on failure."""
        raise NotImplementedError


def get_backend(path=None) -> BaseSmsBackend:
    return import_string(path or settings.SMS_BACKEND)()
