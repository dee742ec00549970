import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand

from followup.hospital.listener import Listener


class Command(BaseCommand):
    help = ("Listen for HL7 v2 ADT messages over MLLP on HL7_MLLP_HOST:HL7_MLLP_PORT (default 127.0.0.1:2575) "
            "and answer each with an ACK. SIGTERM or Ctrl-C stops it after the messages in hand.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None, help="Overrides HL7_MLLP_HOST.")
        parser.add_argument("--port", type=int, default=None, help="Overrides HL7_MLLP_PORT.")

    def handle(self, *args, host=None, port=None, **options):
        listener = Listener(host if host is not None else settings.HL7_MLLP_HOST,
                            port if port is not None else settings.HL7_MLLP_PORT)
        self.stdout.write(f"HL7 MLLP listener on {listener.host}:{listener.port}. Ctrl-C stops it.")
        asyncio.run(listener.serve_until_signalled())
