from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from followup.models import AccessLog

BATCH = 10_000


class Command(BaseCommand):
    help = ("Delete audit log entries older than AUDIT_RETENTION_DAYS (six years by default, never less). "
            "Run it daily, e.g. from cron; younger entries are never touched.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")

    def handle(self, *args, dry_run=False, **options):
        cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
        old = AccessLog.objects.filter(at__lt=cutoff)
        if dry_run:
            self.stdout.write(f"{old.count()} audit log entries are older than {cutoff:%Y-%m-%d %H:%M} UTC; nothing deleted.")
            return
        deleted = 0
        # In batches, so a first run over years of entries holds no lock for long. QuerySet.delete()
        # is a plain DELETE here (the log has no dependants), not AccessLog.delete(), which refuses.
        while ids := list(old.values_list("pk", flat=True)[:BATCH]):
            deleted += AccessLog.objects.filter(pk__in=ids).delete()[0]
        self.stdout.write(f"Deleted {deleted} audit log entries older than {cutoff:%Y-%m-%d %H:%M} UTC.")
