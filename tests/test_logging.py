"""Logs: one JSON object per line in production, and never a phone number or an e-mail address."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings

from followup.jsonlog import JsonFormatter, RedactContactDetails, redact
from followup.messaging import delivery, inbound

from .builders import due_text_reminders


@pytest.fixture
def log():
    """A logger writing JSON lines through the redaction filter into `log.output`."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactContactDetails())
    logger = logging.getLogger("tests.jsonlog")
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.DEBUG
    logger.lines = lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    yield logger
    logger.handlers, logger.propagate = [], True


def test_each_record_is_one_json_object_with_time_level_logger_message_and_extra_fields(log):
    log.info("reminder %s sent by %s", 8812, "sms", extra={"reminder": 8812, "attempt": 1})
    log.warning("dispatch tick: %d claimed", 0)
    first, second = log.lines()
    assert first["level"] == "INFO" and first["logger"] == "tests.jsonlog"
    assert first["message"] == "reminder 8812 sent by sms"
    assert first["reminder"] == 8812 and first["attempt"] == 1
    assert first["time"].endswith("Z") and first["time"][:4].isdigit()
    assert second["level"] == "WARNING" and second["message"] == "dispatch tick: 0 claimed"


def test_an_exception_stays_on_the_same_line_as_its_message(log):
    try:
        raise ValueError("bad value")
    except ValueError:
        log.exception("reminder %s could not be composed", 7)
    [entry] = log.lines()
    assert entry["level"] == "ERROR" and entry["message"] == "reminder 7 could not be composed"
    assert "Traceback" in entry["exception"] and "ValueError: bad value" in entry["exception"]


@pytest.mark.parametrize("number", [
    "+12025550123", "+1 202-555-0123", "+1 (202) 555-0123", "+1.202.555.0123", "(202) 555-0123", "202-555-0123",
    "+442079460958", "+44 20 7946 0958", "+34 612 345 678",
])
def test_phone_numbers_are_masked_wherever_they_appear(log, number):
    log.info(f"text to {number} failed")
    log.info("text to %s failed", number)
    log.info("text failed", extra={"to": number, "recipients": [number]})
    messages = [entry["message"] for entry in log.lines()]
    assert messages[:2] == ["text to [phone] failed"] * 2
    extras = log.lines()[2]
    assert extras["to"] == "[phone]" and extras["recipients"] == ["[phone]"]
    assert number not in json.dumps(log.lines())


@pytest.mark.parametrize("address", ["alice@example.org", "dora.archer+care@example.org", "BOB@mail.example.org"])
def test_email_addresses_are_masked(log, address):
    log.warning("e-mail to %s refused", address)
    assert log.lines()[0]["message"] == "e-mail to [email] refused"


def test_an_exception_text_holding_a_number_is_masked(log):
    try:
        raise RuntimeError("duplicate key (mobile)=(+12025550101) for alice@example.org")
    except RuntimeError:
        log.exception("could not save")
    [entry] = log.lines()
    assert "+12025550101" not in entry["exception"] and "alice@example.org" not in entry["exception"]
    assert "(mobile)=([phone]) for [email]" in entry["exception"]


def test_a_symptom_form_link_token_is_masked(log):
    log.info('"GET /s/Ab3_dE-fGh1J.abcdefghijklmnopqrstuv/ HTTP/1.1" 200')
    assert log.lines()[0]["message"] == '"GET /s/[link]/ HTTP/1.1" 200'


@pytest.mark.parametrize("text", [
    "reminder 8812 sent by sms", "dispatch tick: 1000 claimed, 3 expired, 0 unknown", "2026-03-02 14:05:09,120",
    "task 3f2a1b4c-1234-4567-89ab-1234567890ab succeeded in 0.0123s", "inbound message 12: stop from 1 known contact(s)",
    "patient 123456789 link 44", "/patients/17/ 302",
])
def test_ids_counts_times_and_task_ids_are_left_alone(text):
    assert redact(text) == text


def test_log_format_json_makes_django_log_json_lines_with_contact_details_masked():
    env = {**os.environ, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = ("import django, logging; django.setup(); "
            "logging.getLogger('followup.messaging.delivery').warning('reminder %s to %s', 5, '+12025550123')")
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    entries = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    [entry] = [entry for entry in entries if entry["logger"] == "followup.messaging.delivery"]
    assert entry["message"] == "reminder 5 to [phone]" and entry["level"] == "WARNING"


def test_an_unknown_log_format_refuses_to_start():
    env = {**os.environ, "LOG_FORMAT": "xml", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=settings.BASE_DIR, env=env, check=False,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "LOG_FORMAT must be plain or json" in result.stderr


@pytest.mark.django_db
def test_sending_and_receiving_messages_logs_ids_only(caplog, alice, django_capture_on_commit_callbacks):
    """The code itself logs ids: the filter above is a net, not the rule."""
    caplog.set_level(logging.DEBUG)
    due_text_reminders(3)
    ids = []
    with django_capture_on_commit_callbacks(execute=True):
        delivery.dispatch_due_reminders(enqueue=ids.extend)
    assert delivery.send_reminders(ids) == 3
    inbound.receive(provider_id="SM-log-1", from_number="+12025550101", body="Please call me, alice@example.org")
    inbound.receive(provider_id="SM-log-2", from_number="+12025550101", body="STOP")
    assert caplog.records
    for record in caplog.records:
        message = record.getMessage()
        assert "+1202555" not in message and "2025550" not in message, message
        assert "@example.org" not in message and "Please call" not in message, message
