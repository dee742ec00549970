"""End to end: a real Redis, real Celery worker processes and the file SMS backend.

These hold the delivery invariants where they can break: across processes, with redelivered
tasks, concurrent ticks and a worker killed in the middle of a batch.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from followup import services
from followup.messaging import delivery
from followup.models import Patient, Reminder, ReminderEvent
from followup.tasks import send_reminders

from .builders import due_text_reminders

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)


def worker_database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Worker:
    """A `celery worker` process on the test database, writing texts to its own JSONL file."""

    def __init__(self, sms_file, backend="followup.messaging.backends.file.SmsBackend", concurrency=2, broker_url=None):
        self.sms_file = sms_file
        env = {
            **os.environ, "DATABASE_URL": worker_database_url(), "SMS_BACKEND": backend, "SMS_FILE_PATH": str(sms_file),
            "REDIS_URL": broker_url or settings.CELERY_BROKER_URL, "LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-c", str(concurrency),
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
            cwd=BASE_DIR, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def broker():
    if not os.environ.get("REDIS_URL"):
        pytest.fail("REDIS_URL is not set: run the suite with `make test`, which starts Redis.")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def sms_file(tmp_path):
    return tmp_path / "sms.jsonl"


@pytest.fixture
def worker(broker, sms_file):
    started = Worker(sms_file)
    yield started
    started.stop()


def sent_keys(sms_file):
    if not sms_file.exists():
        return []
    return [json.loads(line)["key"] for line in sms_file.read_text().splitlines()]


def wait_until(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def settled(count):
    return lambda: Reminder.objects.filter(state__in=(Reminder.State.SENT, Reminder.State.UNKNOWN, Reminder.State.CANCELLED)).count() >= count


def test_due_reminders_are_sent_exactly_once_by_a_real_worker(worker, sms_file):
    reminders = due_text_reminders(40)
    delivery.dispatch_due_reminders()
    assert wait_until(settled(40)), "the worker did not send everything in time"
    keys = sent_keys(sms_file)
    assert sorted(keys) == sorted(r.key for r in Reminder.objects.all())
    assert Counter(keys).most_common(1)[0][1] == 1
    line = json.loads(sms_file.read_text().splitlines()[0])
    assert set(line) >= {"to", "body", "key", "sent_at"}
    assert len(reminders) == Reminder.objects.filter(state=Reminder.State.SENT).count()


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="concurrent ticks need PostgreSQL row locks")
def test_two_ticks_at_the_same_time_send_each_reminder_once(worker, sms_file):
    due_text_reminders(300)
    barrier = threading.Barrier(2)
    claimed = []

    def tick():
        try:
            barrier.wait()
            claimed.append(delivery.dispatch_due_reminders().claimed)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed[0] + claimed[1]) == sorted(Reminder.objects.values_list("pk", flat=True))
    assert not set(claimed[0]) & set(claimed[1])
    assert wait_until(settled(300))
    keys = sent_keys(sms_file)
    assert len(keys) == 300
    assert len(set(keys)) == 300


def test_the_same_send_task_delivered_twice_sends_once(worker, sms_file):
    due_text_reminders(20)
    ids = []
    delivery.dispatch_due_reminders(enqueue=ids.extend)
    send_reminders.delay(ids)
    send_reminders.delay(ids)  # a redelivered message
    assert wait_until(settled(20))
    time.sleep(1)  # give the second task time to do harm, if it could
    keys = sent_keys(sms_file)
    assert len(keys) == 20 and len(set(keys)) == 20


def test_patient_marked_deceased_after_the_claim_gets_nothing(worker, sms_file):
    [reminder] = due_text_reminders(1)
    ids = []
    delivery.dispatch_due_reminders(enqueue=ids.extend)
    services.change_status(Patient.objects.get(), Patient.Status.DECEASED)
    send_reminders.delay(ids)
    assert wait_until(lambda: Reminder.objects.get(pk=reminder.pk).state == Reminder.State.CANCELLED, 30)
    time.sleep(0.5)
    assert sent_keys(sms_file) == []


def test_worker_killed_mid_batch_leaves_no_duplicate_and_loses_nothing(broker, sms_file, settings):
    settings.FOLLOWUP_SENDING_TIMEOUT = timedelta(seconds=0)
    settings.FOLLOWUP_QUEUED_TIMEOUT = timedelta(seconds=0)
    # The tick asks the same backend the workers send through, as every process of a deployment does.
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "followup.messaging.backends.file.SmsBackend", str(sms_file)
    due_text_reminders(200)
    first = Worker(sms_file, backend="tests.slow_sms_backend.SmsBackend")
    try:
        delivery.dispatch_due_reminders()
        assert wait_until(lambda: len(sent_keys(sms_file)) >= 20, 60), "the first worker never got going"
        first.kill()
    finally:
        first.stop()
    in_flight = set(Reminder.objects.filter(state=Reminder.State.SENDING).values_list("pk", flat=True))
    broker.flushdb()  # the killed worker's tasks are gone with it

    second = Worker(sms_file)
    try:
        time.sleep(0.2)
        # sending -> unknown -> reconciled from the file; queued handed out again
        delivery.dispatch_due_reminders(now=timezone.now() + timedelta(seconds=1))
        assert wait_until(settled(200), 60)
    finally:
        second.stop()
    keys = sent_keys(sms_file)
    states = Counter(Reminder.objects.values_list("state", flat=True))
    assert Counter(keys).most_common(1)[0][1] == 1, "a reminder was sent twice"
    assert states[Reminder.State.SENT] == 200, states
    # In doubt: only what the killed worker's two processes had taken for sending, a chunk each; the
    # file settled every one of them (sent, or planned again and sent once).
    assert len(in_flight) <= 2 * settings.FOLLOWUP_SEND_CHUNK
    assert ReminderEvent.objects.filter(reminder_id__in=in_flight, to_state=Reminder.State.UNKNOWN).count() == len(in_flight)


def test_claimed_rows_still_waiting_in_the_queue_are_not_handed_out_again(broker, settings):
    """Under a backlog the tasks of old queued rows are still in line: a second copy is only work."""
    settings.FOLLOWUP_QUEUED_TIMEOUT = timedelta(seconds=0)
    due_text_reminders(5)
    first = delivery.dispatch_due_reminders()  # no worker runs: the task waits in Redis
    assert len(first.claimed) == 5 and broker.llen(delivery.QUEUE) == 1
    assert delivery.dispatch_due_reminders(now=timezone.now() + timedelta(seconds=1)).claimed == []
    broker.flushdb()  # the broker restarted and lost the task
    assert sorted(delivery.dispatch_due_reminders(now=timezone.now() + timedelta(seconds=2)).claimed) == sorted(first.claimed)


class RestartableRedis:
    """A redis-server of this test's own on a fixed port, without persistence, so it can be stopped and
    started again on the same address and come back empty, as a restarted broker does."""

    def __init__(self):
        from scripts.services import find_binary, free_port

        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.command = [find_binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--loglevel", "warning"]
        self.process = None

    def start(self):
        from scripts.services import wait_for_port

        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)

    def client(self):
        return redis.Redis.from_url(self.url)


@pytest.fixture
def restartable_broker():
    server = RestartableRedis()
    server.start()
    yield server
    server.stop()


def tick_in_its_own_process(broker_url, sms_file):
    """`manage.py dispatch_reminders`, as beat's tick runs: its own process, the deployment's settings."""
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "REDIS_URL": broker_url, "LOG_LEVEL": "WARNING",
           "SMS_BACKEND": "followup.messaging.backends.file.SmsBackend", "SMS_FILE_PATH": str(sms_file)}
    done = subprocess.run([sys.executable, "manage.py", "dispatch_reminders"], cwd=BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return int(done.stdout.split()[1])  # "Claimed N due reminder(s); ..."


def test_reminders_claimed_before_a_broker_restart_reach_patients_at_the_next_tick_exactly_once(restartable_broker, sms_file):
    """The queued timeout is left at its production value (5 minutes): only noticing the lost queue
    hands the rows out at once."""
    due_text_reminders(30)
    assert tick_in_its_own_process(restartable_broker.url, sms_file) == 30
    assert restartable_broker.client().llen(delivery.QUEUE) == 1  # no worker yet: the task waits in Redis
    restartable_broker.stop()
    restartable_broker.start()  # back, empty: the task and the marker are gone
    worker = Worker(sms_file, broker_url=restartable_broker.url)
    try:
        assert tick_in_its_own_process(restartable_broker.url, sms_file) == 30  # the first tick after the restart
        assert wait_until(lambda: Reminder.objects.filter(state=Reminder.State.SENT).count() == 30, 60)
        assert tick_in_its_own_process(restartable_broker.url, sms_file) == 0  # the marker is back: nothing twice
    finally:
        worker.stop()
    keys = sent_keys(sms_file)
    assert sorted(keys) == sorted(r.key for r in Reminder.objects.all()) and len(set(keys)) == 30


def test_only_one_of_two_ticks_after_a_broker_restart_hands_the_rows_out_again(broker, settings):
    settings.FOLLOWUP_QUEUED_TIMEOUT = timedelta(hours=1)
    due_text_reminders(5)
    first = delivery.dispatch_due_reminders()
    broker.flushdb()  # lost, marker and all
    after = [delivery.dispatch_due_reminders(now=timezone.now() + timedelta(seconds=s)) for s in (1, 2)]
    assert [len(tick.claimed) for tick in after] == [5, 0]
    assert [tick.broker_lost for tick in after] == [True, False]
    assert sorted(after[0].claimed) == sorted(first.claimed)
