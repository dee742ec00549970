"""Call-placing backends, chosen by dotted path in settings.VOICE_BACKEND like the SMS backends.

A backend places one call and returns its CallSid; what the call says is TwiML that Twilio fetches
from our voice webhook when it is answered. The errors are the SMS backends' own (SmsError and its
transient and permanent kinds), so the outbox treats a refused call as it treats a refused text.
"""

import fcntl
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from twilio.rest import Client

from ..messaging.backends.console import masked
from ..messaging.backends.twilio import twilio_errors

calls = []  # the locmem backend's outbox, for tests


@dataclass(frozen=True)
class CallRequest:
    to: str  # E.164
    key: str  # the reminder's unique key
    url: str  # our voice webhook: TwiML when the call is answered
    status_callback: str
    words: str = ""  # what a person answering hears first (the console backend prints it)
    from_number: str = ""  # the clinic's own number (messaging.routing.sending_number); "" for TWILIO_FROM_NUMBER


class BaseVoiceBackend:
    def place(self, call: CallRequest) -> str:
        raise NotImplementedError


class ConsoleVoiceBackend(BaseVoiceBackend):
    """Prints what the call would say, for development (`make run`). The number is masked."""

    def place(self, call):
        sys.stdout.write(f"--- Voice call to {masked(call.to)} (key {call.key}) ---\n{call.words}\n---\n")
        sys.stdout.flush()
        return f"CAconsole-{call.key}"[:64]


class FileVoiceBackend(BaseVoiceBackend):
    """Appends one JSON object per call to settings.VOICE_FILE_PATH (keys: to, key, url, placed_at),
    under an exclusive lock, as the file SMS backend does: several workers can share one file."""

    def place(self, call):
        path = Path(settings.VOICE_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": call.to, "key": call.key, "url": call.url, "placed_at": timezone.now().isoformat()}) + "\n"
        with open(path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line)
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
        return f"CAfile-{call.key}"[:64]


class LocmemVoiceBackend(BaseVoiceBackend):
    def place(self, call):
        calls.append(call)
        return f"CAlocmem{len(calls):026d}"


class TwilioVoiceBackend(BaseVoiceBackend):
    """Places calls through Twilio's REST API with the official SDK: answering-machine detection that
    waits for the end of the greeting (so a voicemail is left whole), status callbacks as the call
    moves on."""

    def __init__(self, http_client=None):
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)

    def place(self, call):
        with twilio_errors(refused="call refused"):
            created = self.client.calls.create(
                to=call.to, from_=call.from_number or settings.TWILIO_FROM_NUMBER, url=call.url, method="POST",
                status_callback=call.status_callback, status_callback_method="POST",
                status_callback_event=["initiated", "ringing", "answered", "completed"],
                machine_detection="DetectMessageEnd", timeout=settings.FOLLOWUP_CALL_RING_SECONDS,
            )
        return created.sid


def get_voice_backend(path=None) -> BaseVoiceBackend:
    return import_string(path or settings.VOICE_BACKEND)()
