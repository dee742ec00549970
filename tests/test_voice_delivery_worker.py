"""End to end for calls: a real Redis, real Celery worker processes and the file voice backend. The
delivery invariants hold for the voice channel where they can break: concurrent ticks and a worker
killed in the middle of a batch."""

import json
import os
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from followup.messaging import delivery
from followup.models import Clinic, Patient, Reminder, ReminderEvent

from .builders import due_text_reminders
from .test_delivery_worker import Worker, broker, wait_until  # noqa: F401 - broker is a fixture

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def due_call_reminders(count):
    """`count` reminders due now, as calls (the text builder's rows, moved to the voice channel)."""
    reminders = due_text_reminders(count)
    clinic = Clinic.objects.get(name="Benchmark Clinic")
    clinic.calls_per_day, clinic.calls_per_week = 1000, 1000
    clinic.save(update_fields=["calls_per_day", "calls_per_week"])
    Patient.objects.filter(clinic=clinic).update(preferred_channel="voice", line_type="landline")
    Reminder.objects.filter(pk__in=[r.pk for r in reminders]).update(channel="voice")
    return reminders


@pytest.fixture
def call_file(tmp_path, monkeypatch):
    path = tmp_path / "calls.jsonl"
    monkeypatch.setenv("VOICE_BACKEND", "tests.slow_voice_backend.VoiceBackend")
    monkeypatch.setenv("VOICE_FILE_PATH", str(path))
    return path


def placed_keys(call_file):
    if not call_file.exists():
        return []
    return [json.loads(line)["key"] for line in call_file.read_text().splitlines()]


def settled(count):
    return lambda: Reminder.objects.filter(state__in=(Reminder.State.SENT, Reminder.State.UNKNOWN)).count() >= count


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="concurrent ticks need PostgreSQL row locks")
def test_two_ticks_at_the_same_time_place_each_call_once(broker, call_file, tmp_path):  # noqa: F811
    due_call_reminders(120)
    worker = Worker(tmp_path / "sms.jsonl")
    barrier = threading.Barrier(2)
    claimed = []

    def tick():
        try:
            barrier.wait()
            claimed.append(delivery.dispatch_due_reminders().claimed)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=tick) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not set(claimed[0]) & set(claimed[1])
        assert wait_until(settled(120), 90), "the worker did not place every call in time"
    finally:
        worker.stop()
    keys = placed_keys(call_file)
    assert len(keys) == 120 and len(set(keys)) == 120


def test_a_worker_killed_mid_batch_places_no_call_twice_and_loses_none(broker, call_file, tmp_path, settings):  # noqa: F811
    settings.FOLLOWUP_SENDING_TIMEOUT = timedelta(seconds=0)
    settings.FOLLOWUP_QUEUED_TIMEOUT = timedelta(seconds=0)
    due_call_reminders(120)
    first = Worker(tmp_path / "sms.jsonl")
    try:
        delivery.dispatch_due_reminders()
        assert wait_until(lambda: len(placed_keys(call_file)) >= 15, 60), "the first worker never got going"
        first.kill()
    finally:
        first.stop()
    in_flight = set(Reminder.objects.filter(state=Reminder.State.SENDING).values_list("pk", flat=True))
    broker.flushdb()  # the killed worker's tasks are gone with it

    second = Worker(tmp_path / "sms.jsonl")
    try:
        time.sleep(0.2)
        delivery.dispatch_due_reminders(now=timezone.now() + timedelta(seconds=1))  # sending -> unknown; queued handed out again
        assert wait_until(settled(120), 60)
    finally:
        second.stop()
    keys = placed_keys(call_file)
    states = Counter(Reminder.objects.values_list("state", flat=True))
    assert Counter(keys).most_common(1)[0][1] == 1, "a call was placed twice"
    assert states[Reminder.State.SENT] + states[Reminder.State.UNKNOWN] == 120, states
    # In doubt: only what the killed worker's two processes had taken, a chunk each. A call that never
    # reached the provider was planned again and placed once; one that may have rung waits for a nurse.
    assert len(in_flight) <= 2 * settings.FOLLOWUP_SEND_CHUNK
    assert ReminderEvent.objects.filter(reminder_id__in=in_flight, to_state=Reminder.State.UNKNOWN).count() == len(in_flight)
    assert not Reminder.objects.filter(state=Reminder.State.UNKNOWN, left_for_nurse_at__isnull=True).exists()
