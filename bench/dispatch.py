"""Reminders per second end to end, against the rate of no-op Celery tasks on the same broker; or,
with --planned, how long one tick takes to claim 1,000 due rows among many planned for later.

    python scripts/services.py -- .venv/bin/python bench/dispatch.py [--reminders 10000] [--concurrency 2]
    python scripts/services.py -- .venv/bin/python bench/dispatch.py --planned 10000 100000 1000000

Starts on the PostgreSQL and Redis that scripts/services.py provides: migrates, creates N due text
reminders, starts one real `celery worker` (prefork, the file SMS backend), then measures
  1. N no-op tasks: from the first enqueue until the last has run;
  2. N reminders: from the dispatch tick until every row is `sent`, then checks the file holds each
     reminder's key exactly once.

--planned N [N ...] (PostgreSQL): 1,000 due text reminders, and planned rows for later added in SQL
(generate_series, copying those rows with later times) until N rows are planned in all. At each N the
real tick (expiry, claim, hand-out to Redis; no worker) runs five times on the same 1,000 due rows, put
back to `planned` between runs; it prints the median and slowest tick and the EXPLAIN (ANALYZE) of the
claim query.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import json  # noqa: E402

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.noop_tasks import noop  # noqa: E402
from followup.messaging import delivery  # noqa: E402
from followup.models import Reminder  # noqa: E402
from tests.builders import due_text_reminders  # noqa: E402


def start_worker(sms_file, concurrency):
    env = {**os.environ, "SMS_BACKEND": "followup.messaging.backends.file.SmsBackend", "SMS_FILE_PATH": str(sms_file)}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-c", str(concurrency), "-I", "bench.noop_tasks",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=BASE_DIR, env=env, start_new_session=True,
    )


def wait(condition, timeout, poll=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False


DUE = 1000


def plan_later_rows(due_ids, count, already):
    """`count` more planned rows, due later than now, copied in SQL from the due rows (each due row's
    occurrence gets rows for later appointment times, one minute apart, so every key stays unique)."""
    copied = [f.column for f in Reminder._meta.concrete_fields if f.column != "id"]
    later = {
        "due_at": "r.due_at + (g * interval '1 minute')",
        "send_at": "now() + interval '1 hour' + (g * interval '1 minute')",
        "expires_at": "now() + interval '2 hours' + (g * interval '1 minute')",
        "state": "'planned'",
    }
    columns = ", ".join(f'"{column}"' for column in copied)
    values = ", ".join(later.get(column, f'r."{column}"') for column in copied)
    per_row = count // len(due_ids)
    first = already // len(due_ids) + 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Reminder._meta.db_table} ({columns}) SELECT {values} FROM {Reminder._meta.db_table} r "
            "CROSS JOIN generate_series(%s, %s) AS g WHERE r.id = ANY(%s)",
            [first, first + per_row - 1, list(due_ids)],
        )
        cursor.execute(f"VACUUM ANALYZE {Reminder._meta.db_table}")  # statistics as autovacuum keeps them on a live database
    return per_row * len(due_ids)


def put_back(due_ids, broker):
    Reminder.objects.filter(pk__in=due_ids).update(state=Reminder.State.PLANNED, claimed_at=None)
    broker.delete(delivery.QUEUE)


def planned_bench(sizes):
    from django.db import transaction

    if connection.vendor != "postgresql":
        sys.exit("--planned measures PostgreSQL: run it under scripts/services.py")
    call_command("migrate", verbosity=0)
    Reminder.objects.all().delete()
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    due_ids = [row.pk for row in due_text_reminders(DUE)]
    planned = DUE
    print(f"database: {connection.vendor}; {DUE:,} due text reminders; the tick hands their ids to Redis, no worker runs")
    for size in sorted(sizes):
        started = time.perf_counter()
        planned += plan_later_rows(due_ids, size - planned, planned)
        seeded = time.perf_counter() - started
        ticks = []
        for _ in range(5):
            put_back(due_ids, broker)
            started = time.perf_counter()
            result = delivery.dispatch_due_reminders()
            ticks.append(time.perf_counter() - started)
            assert sorted(result.claimed) == sorted(due_ids), "the tick did not claim exactly the due rows"
        put_back(due_ids, broker)
        timings, claim = [], []

        def timed(execute, sql, params, many, context):
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - began, " ".join(sql.split())[:110]))
                if "WITH claimed AS" in sql or ("FOR UPDATE SKIP LOCKED" in sql and "planned" in str(params) and not claim):
                    claim[:] = [sql, params]

        with connection.execute_wrapper(timed):
            started = time.perf_counter()
            delivery.dispatch_due_reminders()
            traced = time.perf_counter() - started
        put_back(due_ids, broker)
        with transaction.atomic(), connection.cursor() as cursor:  # the claim statement of the traced tick, rolled back
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + claim[0], claim[1])
            plan = "\n".join(line for (line,) in cursor.fetchall())
            transaction.set_rollback(True)
        ticks.sort()
        print(f"\n{planned:>9,} planned ({planned - DUE:,} for later, added in {seeded:.1f} s): one tick claims {DUE:,} due rows "
              f"in {ticks[2] * 1000:.0f} ms (median of 5; slowest {ticks[-1] * 1000:.0f} ms)")
        in_sql = sum(seconds for seconds, _ in timings)
        print(f"  one more tick, traced: {traced * 1000:.0f} ms, of which {len(timings)} SQL statements {in_sql * 1000:.0f} ms; the slowest:")
        for seconds, sql in sorted(timings, reverse=True)[:4]:
            print(f"    {seconds * 1000:6.1f} ms  {sql}")
        print("  the claim statement's plan, EXPLAIN (ANALYZE, BUFFERS):")
        print("    " + plan.replace("\n", "\n    "))
    put_back(due_ids, broker)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--planned", type=int, nargs="+", metavar="N", help="planned rows in all, e.g. 10000 100000 1000000")
    args = parser.parse_args()
    if args.planned:
        planned_bench(args.planned)
        return
    n = args.reminders

    call_command("migrate", verbosity=0)
    Reminder.objects.all().delete()
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    print(f"database: {connection.vendor}; broker: {settings.CELERY_BROKER_URL}; worker concurrency {args.concurrency}")

    sms_file = Path(tempfile.mkdtemp()) / "sms.jsonl"
    worker = start_worker(sms_file, args.concurrency)
    try:
        warm = f"warm-{uuid.uuid4()}"
        noop.delay(warm)
        if not wait(lambda: broker.get(warm) == b"1", 60):
            sys.exit("the worker did not start")

        counter = f"noop-{uuid.uuid4()}"
        started = time.perf_counter()
        for _ in range(n):
            noop.delay(counter)
        wait(lambda: int(broker.get(counter) or 0) >= n, 600, poll=0.01)
        noop_seconds = time.perf_counter() - started
        noop_rate = n / noop_seconds
        print(f"no-op tasks:  {n} in {noop_seconds:.2f} s = {noop_rate:,.0f} tasks/s")

        built = time.perf_counter()
        due_text_reminders(n)
        print(f"built {n} due reminders in {time.perf_counter() - built:.1f} s")
        started = time.perf_counter()
        delivery.dispatch_due_reminders()
        claimed = time.perf_counter() - started
        done = wait(lambda: Reminder.objects.filter(state=Reminder.State.SENT).count() >= n, 900, poll=0.1)
        reminder_seconds = time.perf_counter() - started
        if not done:
            sys.exit(f"only {Reminder.objects.filter(state=Reminder.State.SENT).count()} of {n} sent in 900 s")
        reminder_rate = n / reminder_seconds
        print(f"reminders:    {n} in {reminder_seconds:.2f} s = {reminder_rate:,.0f} reminders/s (tick claimed and enqueued in {claimed:.2f} s)")
        print(f"ratio reminders/no-op: {reminder_rate / noop_rate:.2f}")

        keys = Counter(json.loads(line)["key"] for line in sms_file.read_text().splitlines())
        duplicates = sum(1 for count in keys.values() if count > 1)
        print(f"check: {len(keys)} distinct keys in the SMS file, {duplicates} sent more than once, "
              f"states {dict(Counter(Reminder.objects.values_list('state', flat=True)))}")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)


if __name__ == "__main__":
    main()
