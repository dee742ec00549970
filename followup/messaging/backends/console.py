import sys

from . import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    """Prints each message to the worker's console: for development."""

    def send(self, message):
        sys.stdout.write(f"--- SMS to {message.to} (key {message.key}) ---\n{message.body}\n---\n")
        sys.stdout.flush()
        return f"console-{message.key}"
