"""SMS backends, chosen by dotted path in settings.SMS_BACKEND like Django's e-mail backends."""

from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True)
class Handover:
    """What the provider was given for one reminder, as recorded just before the call."""

    key: str
    to: str
    sender: str
    body_sha256: str
    at: datetime


@dataclass(frozen=True)
class Sighting:
    """One message in the provider's own records that matches a handover."""

    provider_id: str
    status: str = ""  # the provider's status word (delivered, failed ...), when it has one
    at: datetime | None = None


class BaseSmsBackend:
    # Whether `went_out` can answer from the provider's records. A backend that cannot leaves every
    # reminder in doubt to a nurse.
    can_tell_what_went_out = False
    sender = ""  # the number messages come from, as the provider sees it

    def send(self, message: SmsMessage) -> str:
        """Send one message; return the provider's message id. Raise an SmsError on failure."""
        raise NotImplementedError

    def went_out(self, handovers: list[Handover]) -> dict[str, list[Sighting]]:
        """What the provider's records show for each handover, by key: the matching messages (an empty
        list: the records show it never went out). A key left out: no answer this time (ask again)."""
        return {}


def get_backend(path=None) -> BaseSmsBackend:
    return import_string(path or settings.SMS_BACKEND)()
