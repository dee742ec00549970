import fcntl
import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from . import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    """Appends one JSON object per message to settings.SMS_FILE_PATH.

    Keys: to, body, key, sent_at. Several worker processes append to one file: each line is
    written under an exclusive lock in one write call, so lines never interleave.
    """

    def send(self, message):
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"to": message.to, "body": message.body, "key": message.key,
                           "sent_at": timezone.now().isoformat()}) + "\n"
        with open(path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line)
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
        return f"file-{message.key}"
