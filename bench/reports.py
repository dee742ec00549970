"""How fast the reports are with 10,000 patients and 100,000 drainages, and how much memory an export takes.

    python scripts/services.py -- .venv/bin/python bench/reports.py

Runs on the PostgreSQL that scripts/services.py provides (without DATABASE_URL: a new SQLite file in
the temporary folder, never the development database). Builds, with bulk_create:
  - two clinics: North (1,000 patients) and South (9,000), one clinical lead of both;
  - 10 drainages per patient over the last year: 100,000 (10,000 of them North's);
  - per patient, 5 check-in calls in the last 12 weeks, 7 reminders in various states, 3 ESAS-r
    reports (a severe alert, mostly acknowledged, for each report with severe pain), and 2 % opt-outs;
then prints, through Django's test client signed in as the lead:
  1. each report page: median of 3 requests, for the default range (12 weeks) and for a year;
  2. each CSV export over the year: time to stream it to the end;
  (both as elapsed time and as CPU time - this process plus the PostgreSQL backend, read from /proc -
  which is what the request costs whatever else the machine is doing);
  3. peak Python memory (tracemalloc) while streaming the drainage log and the per-patient table
     for North alone and for both clinics: 10,000 and 100,000 drainages, 1,000 and 10,000 patients.
"""

import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.gettempdir()}/followup-bench-reports-{os.getpid()}.sqlite3"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from followup.models import (Alert, CareSchedule, Clinic, Kind, Membership, Occurrence, Patient, Procedure,  # noqa: E402
                             Reminder, SymptomReport, User)

NORTH_PATIENTS, SOUTH_PATIENTS = 1_000, 9_000
DRAINAGES_PER_PATIENT = 10
TODAY = date.today()
NAMES = ["Ada", "Ben", "Cleo", "Dev", "Edith", "Femi", "Gus", "Hana", "Ivo", "June"]
FAMILIES = ["Archer", "Baker", "Cruz", "Diaz", "Evans", "Fox", "Gray", "Hill", "Ito", "Jones"]
REMINDER_STATES = (["delivered"] * 70 + ["sent"] * 10 + ["failed"] * 3 + ["unknown"] * 1 + ["expired"] * 2 + ["skipped"] * 5
                   + ["cancelled"] * 5 + ["planned"] * 4)
BATCH = 5000


def noon(day, zone_hours):
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(hours=zone_hours)


def build():
    rng = random.Random(20260325)
    north = Clinic.objects.create(name="Bench North", phone="+12025550100", time_zone="America/New_York")
    south = Clinic.objects.create(name="Bench South", phone="+12025550150", time_zone="America/Los_Angeles")
    lead = User.objects.create_user("bench-lead", "bench-lead@example.org", "bench-lead-password")
    Membership.objects.bulk_create([Membership(user=lead, clinic=north, role="lead"), Membership(user=lead, clinic=south, role="lead")])
    patients = []
    for clinic, count in ((north, NORTH_PATIENTS), (south, SOUTH_PATIENTS)):
        for number in range(count):
            opted_out = noon(TODAY - timedelta(days=rng.randrange(84)), 0) if rng.random() < 0.02 else None
            patients.append(Patient(clinic=clinic, mrn=f"{clinic.name[6]}-{number:05d}", given_name=rng.choice(NAMES),
                                    family_name=rng.choice(FAMILIES), time_zone=clinic.time_zone, mobile="+12025550101",
                                    consent_at=datetime(2025, 1, 1, tzinfo=UTC), consent_source="written form",
                                    opted_out_at=opted_out, opted_out_source="SMS STOP" if opted_out else ""))
    patients = Patient.objects.bulk_create(patients, batch_size=BATCH)

    procedures = []
    for patient in patients:
        rhythm = rng.randrange(7, 36)
        day = TODAY - timedelta(days=rng.randrange(1, 20))
        for _ in range(DRAINAGES_PER_PATIENT):
            procedures.append(Procedure(patient=patient, kind=Kind.PARACENTESIS, performed_at=noon(day, rng.randrange(-3, 4)),
                                        volume_ml=rng.choice([None, 1500, 2500, 3500, 4500, 5500])))
            day -= timedelta(days=max(2, rhythm + rng.randrange(-4, 5)))
    Procedure.objects.bulk_create(procedures, batch_size=BATCH)

    schedules = CareSchedule.objects.bulk_create(
        [CareSchedule(patient=p, kind=kind, cadence_by_phase=kind == Kind.CHECKIN) for p in patients for kind in (Kind.PARACENTESIS, Kind.CHECKIN)],
        batch_size=BATCH)
    occurrences = []
    for schedule in schedules:
        if schedule.kind == Kind.PARACENTESIS:
            due = TODAY + timedelta(days=rng.randrange(1, 21))
            occurrences.append(Occurrence(schedule=schedule, patient=schedule.patient, kind=schedule.kind, due_at=noon(due, 2),
                                          due_date=due, state="scheduled"))
            continue
        for week in range(5):
            due = TODAY - timedelta(days=7 * (5 - week) - rng.randrange(7))
            state = "scheduled" if week == 4 else rng.choice(["done"] * 8 + ["missed", "skipped"])
            occurrences.append(Occurrence(schedule=schedule, patient=schedule.patient, kind=schedule.kind, due_at=noon(due, 1),
                                          due_date=due, state=state))
    occurrences = Occurrence.objects.bulk_create(occurrences, batch_size=BATCH)

    reminders = []
    for occurrence in occurrences:
        purposes = ["day_before", "morning_of"] if occurrence.kind == Kind.PARACENTESIS else ["checkin"]
        for purpose in purposes:
            send = occurrence.due_at - timedelta(days=7 * rng.randrange(12) if occurrence.kind == Kind.PARACENTESIS else 0, hours=3)
            state = rng.choice(REMINDER_STATES)
            sent = send if state in ("delivered", "sent", "failed") else None
            reminders.append(Reminder(occurrence=occurrence, patient=occurrence.patient, recipient="patient", channel=rng.choice(["sms"] * 4 + ["email"]),
                                      purpose=purpose, due_at=occurrence.due_at, send_at=send, expires_at=send + timedelta(hours=3),
                                      state=state, sent_at=sent, reason="Text cap: at most 1 automated text a day." if state == "skipped" else "",
                                      confirmed_at=sent + timedelta(hours=2) if sent and purpose != "checkin" and rng.random() < 0.6 else None))
    Reminder.objects.bulk_create(reminders, batch_size=BATCH)

    reports = []
    for patient in patients:
        for weeks_ago in rng.sample(range(12), 3):
            scores = {item: rng.randrange(11) for item in ("pain", "tiredness", "drowsiness", "nausea", "lack_of_appetite",
                                                           "shortness_of_breath", "depression", "anxiety", "wellbeing")}
            reports.append(SymptomReport(patient=patient, reported_at=noon(TODAY - timedelta(weeks=weeks_ago, days=rng.randrange(7)), 0),
                                         completed_by="patient", source="web", **scores))
    reports = SymptomReport.objects.bulk_create(reports, batch_size=BATCH)
    alerts = [Alert(patient=report.patient, report=report, kind="severe", item="pain", score=report.pain, created_at=report.reported_at,
                    acknowledged_at=report.reported_at + timedelta(minutes=rng.randrange(5, 48 * 60)) if rng.random() < 0.95 else None)
              for report in reports if report.pain >= 7]
    Alert.objects.bulk_create(alerts, batch_size=BATCH)
    return lead, north, dict(procedures=len(procedures), reminders=len(reminders), reports=len(reports), alerts=len(alerts),
                             occurrences=len(occurrences))


def database_cpu():
    """CPU seconds used so far by the PostgreSQL backend serving this connection (0 on SQLite,
    whose work is in this process). Read from /proc: the machine may be busy with other work, and
    CPU time, unlike elapsed time, does not grow with the queue for the cores."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(client, url, query):
    """(elapsed seconds, CPU seconds of this process and the database backend, CSV rows or None)."""
    database_before = database_cpu()
    started, cpu_started = time.perf_counter(), time.process_time()
    response = client.get(url, query)
    if response.streaming:
        rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
    else:
        rows = None
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, cpu + database_cpu() - database_before, rows


def peak_memory(client, url, query):
    """Peak bytes allocated by Python while the export streams to the end (nothing kept)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    response = client.get(url, query)
    rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, rows


def main():
    setup_test_environment()
    call_command("migrate", verbosity=0)
    if Patient.objects.exists():
        sys.exit("bench/reports.py builds its own data: run it on an empty database (scripts/services.py gives one).")
    print(f"database: {connection.vendor}")
    started = time.perf_counter()
    lead, north, counts = build()
    print(f"built {NORTH_PATIENTS + SOUTH_PATIENTS} patients, " + ", ".join(f"{n} {what}" for what, n in counts.items())
          + f" in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(lead)
    default = {}
    year = {"start": (TODAY - timedelta(days=365)).isoformat(), "end": TODAY.isoformat()}

    print(f"\nload average before: {' '.join(f'{n:.1f}' for n in os.getloadavg())} on {os.cpu_count()} cores")
    print("\npage (median of 3, seconds)        12 weeks: elapsed   CPU   1 year: elapsed   CPU")
    for url in ["/reports/", "/reports/frequency/", "/reports/frequency/?period=month", "/reports/patients/",
                "/reports/patients/?sort=-median", "/reports/drainages/", "/reports/reminders/", "/reports/symptoms/"]:
        path, _, extra = url.partition("?")
        extra = dict(part.split("=") for part in extra.split("&")) if extra else {}
        figures = []
        for query in (default, year):
            timed(client, path, {**query, **extra})  # warm the cache of the query plan
            runs = [timed(client, path, {**query, **extra}) for _ in range(3)]
            figures += [statistics.median(run[0] for run in runs), statistics.median(run[1] for run in runs)]
        print(f"{url:<34} {figures[0]:17.3f} {figures[1]:5.2f} {figures[2]:15.3f} {figures[3]:5.2f}")

    print("\nCSV export (1 year, both clinics)     rows   elapsed    CPU")
    for key in ["drainages", "checkins", "by-clinic", "patients", "drainage-log", "reminders", "skipped", "opt-outs",
                "confirmations", "severe", "severe-items", "acknowledgement"]:
        elapsed, cpu, rows = timed(client, f"/reports/export/{key}.csv", year)
        print(f"{key:<34} {rows:>8} {elapsed:9.3f} {cpu:6.2f}")

    print("\npeak memory while streaming an export (tracemalloc)")
    for key in ["drainage-log", "patients"]:
        for label, query in (("North", {**year, "clinic": north.pk}), ("both clinics", year)):
            peak, rows = peak_memory(client, f"/reports/export/{key}.csv", query)
            print(f"{key:<14} {label:<13} {rows:>7} rows   peak {peak / 1024 / 1024:6.2f} MiB")
    print(f"\nload average after: {' '.join(f'{n:.1f}' for n in os.getloadavg())}")


if __name__ == "__main__":
    main()
