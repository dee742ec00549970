from django.core.management.base import BaseCommand

from followup.messaging import delivery


class Command(BaseCommand):
    help = "Run one dispatch tick now: the same code the Celery beat entry runs every minute."

    def add_arguments(self, parser):
        parser.add_argument(
            "--inline", action="store_true",
            help="Send the claimed reminders in this process instead of handing them to Celery workers.",
        )

    def handle(self, *args, inline=False, **options):
        enqueue = delivery.send_reminders if inline else None
        result = delivery.dispatch_due_reminders(enqueue=enqueue)
        self.stdout.write(
            f"Claimed {len(result.claimed)} due reminder(s); {result.expired} expired; {result.unknown} marked unknown."
        )
