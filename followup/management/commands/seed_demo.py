"""Fill the database with synthetic demo data: `python manage.py seed_demo [--patients N] [--force]`."""

import time

from django.conf import settings
from django.db import connection
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from followup import demo

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Create two demo clinics, their staff logins and forty synthetic patients with months of history "
        "(idempotent: what exists is left alone). --patients N adds N more patients for scale."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=0, metavar="N",
                            help="Also create N scale patients (about 10 drainages and 5 symptom reports each), "
                                 "spread over the two clinics, with bulk inserts.")
        parser.add_argument("--force", action="store_true",
                            help="Run even with DEBUG off. Only for a demo or test database: never a clinic's.")

    def handle(self, *args, patients, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo adds made-up patients and known logins (password 'followup-demo'), so it refuses to run "
                "with DEBUG off. If this is a demo or test database, run it again with --force."
            )
        if patients < 0:
            raise CommandError("--patients must be 0 or more.")
        started = time.monotonic()
        now = timezone.now()
        summary = demo.seed(now=now, scale_patients=patients, progress=self._progress if patients else None)
        if patients:
            # Fresh statistics: without them PostgreSQL plans the worklist for empty tables (seconds, not ms).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        elapsed = time.monotonic() - started

        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {summary.created_patients} patients added in {elapsed:.1f} s "
            f"({summary.reminders_now} reminders due in the next minute or two)."
        ))
        width = max(len(name) for name in demo.counts(now))
        for name, value in demo.counts(now).items():
            self.stdout.write(f"  {name:<{width}}  {value}")
        self.stdout.write(f"Logins (password {demo.PASSWORD}):")
        for username, where, admin in demo.logins():
            self.stdout.write(f"  {username:<7} {where}{'; ' + admin if admin else ''}")
        upcoming = demo.next_voice_reminders(now)
        if upcoming:
            self.stdout.write(f"Voice reminders ({settings.VOICE_BACKEND.rsplit('.', 1)[-1]} prints each call as it goes out):")
        for when, patient, words in upcoming:
            local = timezone.localtime(when, patient.zone)
            self.stdout.write(f"  {local:%a %d %b %H:%M} {patient.time_zone}: {words}")

    def _progress(self, done, total):
        if total == 0:
            return
        filled = BAR_WIDTH * done // total
        self.stdout.write(f"\rScale patients [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}", ending="")
        if done == total:
            self.stdout.write("")
        self.stdout.flush()
