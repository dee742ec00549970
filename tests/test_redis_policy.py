"""A worker warns at start-up when Redis may evict queued tasks (maxmemory-policy other than noeviction).

Run against the real Redis the test run provides: the policy is changed with CONFIG SET and put back.
"""

import json
import logging
import os
import subprocess
import sys
import time

import pytest
import redis
from celery import signals
from django.conf import settings

from followup.operations.worker import check_eviction_policy, client_for

LIMITED_USER = "followup-no-config"


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, decode_responses=True)
    saved = client.config_get("maxmemory-policy")["maxmemory-policy"]
    yield client
    client.config_set("maxmemory-policy", saved)


def warnings_about_policy(caplog):
    return [r for r in caplog.records if r.levelno == logging.WARNING and "maxmemory-policy" in r.getMessage()]


def test_an_evicting_redis_is_warned_about(broker, caplog):
    broker.config_set("maxmemory-policy", "allkeys-lru")
    assert check_eviction_policy(broker) == "allkeys-lru"
    [warning] = warnings_about_policy(caplog)
    assert "allkeys-lru, not noeviction" in warning.getMessage()


def test_noeviction_passes_quietly(broker, caplog):
    broker.config_set("maxmemory-policy", "noeviction")
    assert check_eviction_policy(broker) == "noeviction"
    assert not warnings_about_policy(caplog)


def test_a_managed_redis_that_forbids_config_is_noted_not_warned(broker, caplog):
    caplog.set_level(logging.INFO)
    broker.config_set("maxmemory-policy", "allkeys-lru")
    broker.execute_command("ACL", "SETUSER", LIMITED_USER, "on", ">limited-password", "~*", "+@all", "-config")
    try:
        limited = redis.Redis.from_url(settings.CELERY_BROKER_URL, username=LIMITED_USER, password="limited-password")
        assert check_eviction_policy(limited) is None
    finally:
        broker.execute_command("ACL", "DELUSER", LIMITED_USER)
    assert not warnings_about_policy(caplog)
    assert any("Could not check Redis maxmemory-policy" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)


def test_a_redis_that_does_not_answer_is_noted_not_raised(caplog):
    caplog.set_level(logging.INFO)
    assert check_eviction_policy(client_for("redis://127.0.0.1:1/0")) is None
    assert any("Could not check" in r.getMessage() for r in caplog.records)


def test_the_check_runs_when_a_worker_is_ready(broker, caplog):
    broker.config_set("maxmemory-policy", "volatile-lru")
    signals.worker_ready.send(sender=None)
    assert "volatile-lru, not noeviction" in warnings_about_policy(caplog)[0].getMessage()


@pytest.mark.worker
def test_a_real_worker_logs_the_warning_as_a_json_line(broker, tmp_path):
    broker.config_set("maxmemory-policy", "allkeys-random")
    log_file = tmp_path / "worker.log"
    env = {**os.environ, "REDIS_URL": settings.CELERY_BROKER_URL, "LOG_FORMAT": "json"}
    with open(log_file, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "-c", "1", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-n", f"policy-{os.getpid()}@%h"],
            cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "not noeviction" not in log_file.read_text():
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(30)
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.startswith("{")]
    [warning] = [entry for entry in lines if "not noeviction" in entry["message"]]
    assert warning["level"] == "WARNING" and "allkeys-random" in warning["message"]
    assert warning["logger"] == "followup.operations.worker"
