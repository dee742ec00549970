"""The SMS backends: what each writes, and how Twilio's answers become outcomes.

Twilio's HTTP API is the one edge we do not own: it is replaced at Twilio's own HTTP layer, so the
official SDK still builds the request and parses the answer."""

import json
import logging

import pytest
import requests
from twilio.http import HttpClient
from twilio.http.response import Response

from followup.messaging.backends import PermanentSmsError, SmsMessage, TransientSmsError, console, file, twilio

MESSAGE = SmsMessage(to="+12025550101", body="Riverside Palliative Care: nurse call today.", key="r1-patient-sms-checkin-202612011400",
                     status_callback="https://followup.example.org/webhooks/twilio/status/")


class FakeTwilio(HttpClient):
    """Answers like Twilio's Messages API and remembers what it was asked."""

    def __init__(self, status=201, body=None, raises=None):
        super().__init__(logger=logging.getLogger("tests.fake_twilio"), is_async=False)
        self.status, self.body, self.raises, self.requests = status, body, raises, []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False):
        self.requests.append({"method": method, "uri": uri, "data": data})
        if self.raises:
            raise self.raises
        return Response(self.status, json.dumps(self.body or {"sid": "SM0123456789abcdef", "status": "queued"}))


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "test-token"
    settings.TWILIO_FROM_NUMBER = "+12025550199"


def test_twilio_backend_sends_with_a_status_callback(twilio_settings):
    fake = FakeTwilio()
    assert twilio.SmsBackend(http_client=fake).send(MESSAGE) == "SM0123456789abcdef"
    [request] = fake.requests
    assert request["method"] == "POST" and request["uri"].endswith("/Messages.json")
    assert request["data"]["To"] == "+12025550101"
    assert request["data"]["From"] == "+12025550199"
    assert request["data"]["StatusCallback"] == MESSAGE.status_callback


@pytest.mark.parametrize(("code", "words"), [(21614, "not a mobile"), (21610, "opted out"), (21211, "Invalid")])
def test_twilio_refusal_that_will_never_work_is_permanent(twilio_settings, code, words):
    fake = FakeTwilio(status=400, body={"code": code, "message": "refused", "status": 400})
    with pytest.raises(PermanentSmsError, match=words):
        twilio.SmsBackend(http_client=fake).send(MESSAGE)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_twilio_overload_or_outage_is_transient(twilio_settings, status):
    fake = FakeTwilio(status=status, body={"code": 20429 if status == 429 else 20500, "message": "busy", "status": status})
    with pytest.raises(TransientSmsError):
        twilio.SmsBackend(http_client=fake).send(MESSAGE)


def test_twilio_never_reached_is_transient(twilio_settings):
    with pytest.raises(TransientSmsError, match="timed out"):
        twilio.SmsBackend(http_client=FakeTwilio(raises=requests.exceptions.ConnectTimeout())).send(MESSAGE)


def test_twilio_answer_lost_after_sending_is_not_called_transient(twilio_settings):
    """A read timeout may come after Twilio accepted the message: it must not be retried."""
    with pytest.raises(requests.exceptions.ReadTimeout):
        twilio.SmsBackend(http_client=FakeTwilio(raises=requests.exceptions.ReadTimeout())).send(MESSAGE)


def test_file_backend_appends_one_json_object_per_message(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "out" / "sms.jsonl")
    backend = file.SmsBackend()
    backend.send(MESSAGE)
    backend.send(MESSAGE)
    lines = [json.loads(line) for line in (tmp_path / "out" / "sms.jsonl").read_text().splitlines()]
    assert len(lines) == 2
    assert set(lines[0]) == {"to", "body", "key", "sent_at"}
    assert lines[0]["key"] == MESSAGE.key and lines[0]["to"] == MESSAGE.to


def test_console_backend_masks_the_number(capsys):
    console.SmsBackend().send(MESSAGE)
    printed = capsys.readouterr().out
    assert "+12025550101" not in printed
    assert "+1202555••01" in printed
    assert MESSAGE.body in printed
