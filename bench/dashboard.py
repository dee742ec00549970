"""How fast the nurse pages render at scale: the worklist and a patient page.

Against the database in DATABASE_URL: migrates, seeds the demo with `seed_demo --patients N`
(10,000 by default: about 100,000 drainages and 50,000 symptom reports), signs in as the demo
nurse, then renders each page R times with Django's test Client and prints the median and 95th
percentile in milliseconds and the number of database queries per page.

    # PostgreSQL (a throwaway server the wrapper starts and stops)
    .venv/bin/python scripts/services.py -- .venv/bin/python bench/dashboard.py
    # SQLite
    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/dashboard.py

Options: --patients N, --runs R, --no-seed (use what the database already holds). A script that
prints figures, not a test: the query count is pinned by tests/test_worklist.py.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from followup import services
from followup.models import Alert, Kind, Occurrence, Patient, Procedure, SymptomReport, User

NURSE = "nurse"  # the demo login of the first clinic (seed_demo)


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(client, url, runs):
    """(median ms, p95 ms, median CPU ms of this process, queries, status) for `runs` renders of
    `url`, after two warm-up renders. On a shared machine the CPU time is the steadier figure; it
    includes SQLite's work (in process) but not PostgreSQL's (another process)."""
    for _ in range(2):
        client.get(url)
    timings, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return statistics.median(timings), percentile(timings, 0.95), statistics.median(cpu), len(queries), response.status_code


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-seed", action="store_true")
    args = parser.parse_args()

    engine = connection.vendor
    print(f"Database: {engine} ({settings.DATABASES['default']['NAME']})", flush=True)
    call_command("migrate", verbosity=0)
    if not args.no_seed:
        started = time.monotonic()
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", patients=args.patients, force=True, stdout=quiet)
        print(f"Seeded in {time.monotonic() - started:.0f} s", flush=True)
    # Fresh statistics, as autovacuum would have them on a live database: straight after a bulk
    # load PostgreSQL still plans for empty tables (nested loops; seconds instead of milliseconds).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    nurse = User.objects.get(username=NURSE)
    clinic_ids = list(nurse.clinic_ids())
    in_clinic = Patient.objects.filter(clinic_id__in=clinic_ids)
    print(
        f"Data: {Patient.objects.count()} patients ({in_clinic.count()} in the nurse's clinic), "
        f"{Procedure.objects.filter(kind=Kind.PARACENTESIS).count()} drainages, {SymptomReport.objects.count()} symptom reports, "
        f"{Occurrence.objects.filter(state=Occurrence.State.SCHEDULED).count()} open occurrences, "
        f"{Alert.objects.filter(acknowledged_at__isnull=True).count()} open alerts",
        flush=True,
    )
    busiest = (in_clinic.filter(status=Patient.Status.ACTIVE).annotate(drainages=Count("procedures"))
               .order_by("-drainages", "pk").first())

    # Measure as production runs: no per-query bookkeeping from DEBUG.
    settings.DEBUG = False
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "localhost")
    client.force_login(nurse)
    pages = [("worklist", reverse("worklist")), (f"patient page ({busiest.drainages} drainages)", reverse("patient", args=[busiest.pk]))]
    print(f"\n{'page':<34} {'median ms':>10} {'p95 ms':>10} {'CPU ms':>8} {'queries':>8}   ({args.runs} renders each, {engine}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    # The catheter advisories are cached: time the render that computes them all (a cold cache),
    # and one after a drainage is recorded (only that patient's are computed again).
    cache.clear()
    started = time.perf_counter()
    client.get(pages[0][1])
    cold = (time.perf_counter() - started) * 1000
    services.record_procedure(busiest, performed_at=timezone.now(), volume_ml=2000, performed_by=nurse)
    started = time.perf_counter()
    client.get(pages[0][1])
    after_drainage = (time.perf_counter() - started) * 1000
    for name, url in pages:
        median, p95, cpu, queries, status = measure(client, url, args.runs)
        if status != 200:
            raise SystemExit(f"{url} answered {status}")
        print(f"{name:<34} {median:>10.1f} {p95:>10.1f} {cpu:>8.1f} {queries:>8}")
    print(f"worklist computing every catheter advisory (cold cache): {cold:.0f} ms; "
          f"the first after a drainage is recorded: {after_drainage:.0f} ms")


if __name__ == "__main__":
    main()
