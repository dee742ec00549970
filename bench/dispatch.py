"""Reminders per second end to end, against the rate of no-op Celery tasks on the same broker.

    python scripts/services.py -- .venv/bin/python bench/dispatch.py [--reminders 10000] [--concurrency 2]

Starts on the PostgreSQL and Redis that scripts/services.py provides: migrates, creates N due text
reminders, starts one real `celery worker` (prefork, the file SMS backend), then measures
  1. N no-op tasks: from the first enqueue until the last has run;
  2. N reminders: from the dispatch tick until every row is `sent`, then checks the file holds each
     reminder's key exactly once.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
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
