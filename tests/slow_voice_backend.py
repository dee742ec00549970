"""The file voice backend, slowed down, so a test can kill a worker while it is placing a batch of calls."""

import time

from followup.voice.backends import FileVoiceBackend


class VoiceBackend(FileVoiceBackend):
    def place(self, call):
        time.sleep(0.05)
        return super().place(call)
