"""The file backend, slowed down, so a test can kill a worker while it is in the middle of a batch."""

import time

from followup.messaging.backends import file


class SmsBackend(file.SmsBackend):
    def send(self, message):
        time.sleep(0.05)
        return super().send(message)
