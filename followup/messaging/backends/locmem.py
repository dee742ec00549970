from . import BaseSmsBackend

outbox = []


class SmsBackend(BaseSmsBackend):
    """Keeps messages in `outbox` (a module list), like Django's locmem e-mail backend: for tests."""

    def send(self, message):
        outbox.append(message)
        return f"locmem-{len(outbox)}"
