import fcntl
import json
from pathlib import Path

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from . import BaseSmsBackend, Sighting


class SmsBackend(BaseSmsBackend):
    """Appends one JSON object per message to settings.SMS_FILE_PATH.

    Keys: to, body, key, sent_at. Several worker processes append to one file: each line is
    written under an exclusive lock in one write call, so lines never interleave.

    It answers reconciliation from the file: a reminder whose key is in it went out, one whose key
    is not never did. Every process that sends or ticks must therefore share one SMS_FILE_PATH; a
    file that does not exist answers nothing (a wrong path must not look like "never sent").
    """

    can_tell_what_went_out = True

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

    def went_out(self, handovers):
        path = Path(settings.SMS_FILE_PATH)
        if not path.exists():
            return {}
        wanted = {handover.key for handover in handovers}
        found = {key: [] for key in wanted}
        with open(path, encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)  # no half-written last line
            for line in handle:
                if not line.strip():
                    continue
                record = json.loads(line)
                if record.get("key") in wanted:
                    found[record["key"]].append(Sighting(provider_id=f"file-{record['key']}",
                                                         at=datetime.fromisoformat(record["sent_at"])))
            fcntl.flock(handle, fcntl.LOCK_UN)
        return found
