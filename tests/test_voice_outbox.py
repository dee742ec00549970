"""The voice channel in the outbox: calls are claimed, re-checked, placed exactly once, kept out of
quiet hours and within the clinic's call caps; status callbacks move them forward; a call nobody
answered is tried once more as a new row with its own key."""

import json
import logging
from datetime import timedelta

import pytest
import time_machine
from twilio.http import HttpClient
from twilio.http.response import Response

from followup import services
from followup.messaging import delivery
from followup.models import Caregiver, Occurrence, Patient, Reminder
from followup.voice import backends, outcomes
from followup.voice.backends import CallRequest, TwilioVoiceBackend
from followup.messaging.backends import PermanentSmsError

from .conftest import at, make_patient, opt_out_number
from . import test_voice_calls as calls
from .voice_phone import SITE, post_signed

_twilio = calls._twilio  # the test Twilio account, and an empty call outbox, for every test

MORNING = "2026-03-02 14:00"  # 09:00 in New York


@pytest.fixture
def walter(riverside, nina):
    return make_patient(riverside, "RV-1004", "Walter", "O'Brien", mobile="+12025550104", line_type="landline",
                        preferred_channel="voice", nurse=nina)


@pytest.fixture
def due_call(walter):
    """Walter's check-in call, due at MORNING."""
    services.enrol(walter)
    reminder = Reminder.objects.get(patient=walter, purpose=Reminder.Purpose.CHECKIN)
    Occurrence.objects.filter(pk=reminder.occurrence_id).update(due_at=at(MORNING), due_date=at(MORNING).date())
    Reminder.objects.filter(pk=reminder.pk).update(send_at=at(MORNING), expires_at=at(MORNING) + timedelta(hours=3),
                                                   due_at=at(MORNING))
    reminder.refresh_from_db()
    return reminder


def tick_and_send(now):
    with time_machine.travel(now, tick=False):
        claimed = delivery.claim_due(now)
        return delivery.send_reminders(claimed, now=now), claimed


def call_status(client, sid, status, **extra):
    return post_signed(client, "/webhooks/twilio/voice/status/", {"CallSid": sid, "CallStatus": status, **extra})


@pytest.mark.django_db
class TestExactlyOnce:
    def test_a_due_call_is_placed_once_with_ids_only_in_its_urls(self, due_call):
        sent, _ = tick_and_send(at(MORNING) + timedelta(minutes=1))
        assert sent == 1
        [placed] = backends.calls
        assert placed.to == "+12025550104" and placed.key == due_call.key
        assert placed.url == f"{SITE}/webhooks/twilio/voice/?reminder={due_call.pk}"
        assert placed.status_callback == f"{SITE}/webhooks/twilio/voice/status/"
        due_call.refresh_from_db()
        assert due_call.state == Reminder.State.SENT and due_call.provider_id.startswith("CA")

    def test_a_redelivered_send_task_places_no_second_call(self, due_call):
        now = at(MORNING) + timedelta(minutes=1)
        _, claimed = tick_and_send(now)
        with time_machine.travel(now, tick=False):
            assert delivery.send_reminders(claimed, now=now) == 0
        assert len(backends.calls) == 1

    def test_a_second_tick_claims_no_call_already_claimed(self, due_call):
        now = at(MORNING) + timedelta(minutes=1)
        assert delivery.claim_due(now) == [due_call.pk]
        assert delivery.claim_due(now) == []

    def test_a_worker_that_died_mid_call_leaves_it_unknown_for_a_nurse_and_never_calls_again(self, due_call, settings):
        now = at(MORNING) + timedelta(minutes=1)
        # Handed over to the provider, then the worker died before recording its answer.
        Reminder.objects.filter(pk=due_call.pk).update(state=Reminder.State.SENDING, sending_at=now, handed_over_at=now,
                                                       handed_to="+12025550104", body_sha256="0" * 64)
        later = now + settings.FOLLOWUP_SENDING_TIMEOUT + timedelta(seconds=1)
        for moment in (later, later + timedelta(minutes=1)):
            with time_machine.travel(moment, tick=False):
                claimed = delivery.dispatch_due_reminders(now=moment, enqueue=lambda ids: None).claimed
            assert due_call.pk not in claimed
        due_call.refresh_from_db()
        assert due_call.state == Reminder.State.UNKNOWN and due_call.left_for_nurse_at is not None
        assert "nurse should check whether it rang" in due_call.reason
        assert backends.calls == []


@pytest.mark.django_db
class TestLastMomentChecks:
    def test_a_patient_who_died_after_the_claim_gets_no_call(self, due_call, nina):
        now = at(MORNING) + timedelta(minutes=1)
        claimed = delivery.claim_due(now)
        with time_machine.travel(now, tick=False):
            services.change_status(due_call.patient, Patient.Status.DECEASED, by=nina)
            assert delivery.send_reminders(claimed, now=now) == 0
        assert backends.calls == []

    def test_a_call_claimed_at_the_edge_of_quiet_hours_waits_for_the_morning(self, due_call):
        evening = at("2026-03-03 02:30")  # 21:30 in New York
        Reminder.objects.filter(pk=due_call.pk).update(send_at=evening - timedelta(minutes=5), expires_at=evening + timedelta(hours=14))
        tick_and_send(evening)
        due_call.refresh_from_db()
        assert due_call.state == Reminder.State.PLANNED and backends.calls == []
        assert due_call.send_at == at("2026-03-03 13:00")  # 08:00 in New York

    def test_the_clinic_call_cap_skips_a_second_call_the_same_day(self, due_call, riverside):
        now = at(MORNING) + timedelta(minutes=1)
        tick_and_send(now)
        drainage = Reminder.objects.get(patient=due_call.patient, purpose=Reminder.Purpose.MORNING_OF)
        Reminder.objects.filter(pk=drainage.pk).update(send_at=now, expires_at=now + timedelta(hours=2), state=Reminder.State.PLANNED)
        Occurrence.objects.filter(pk=drainage.occurrence_id).update(due_at=now + timedelta(hours=3))
        Reminder.objects.filter(pk=drainage.pk).update(due_at=now + timedelta(hours=3))
        tick_and_send(now + timedelta(minutes=5))
        drainage.refresh_from_db()
        assert drainage.state == Reminder.State.SKIPPED
        assert drainage.reason == "Call cap: at most 1 automated call a day."
        assert len(backends.calls) == 1

    def test_a_clinic_that_allows_two_calls_a_day_places_both(self, due_call, riverside):
        riverside.calls_per_day = 2
        riverside.save(update_fields=["calls_per_day"])
        now = at(MORNING) + timedelta(minutes=1)
        tick_and_send(now)
        drainage = Reminder.objects.get(patient=due_call.patient, purpose=Reminder.Purpose.MORNING_OF)
        Occurrence.objects.filter(pk=drainage.occurrence_id).update(due_at=now + timedelta(hours=3))
        Reminder.objects.filter(pk=drainage.pk).update(send_at=now, expires_at=now + timedelta(hours=2), due_at=now + timedelta(hours=3))
        tick_and_send(now + timedelta(minutes=5))
        assert len(backends.calls) == 2

    def test_an_opted_out_number_gets_no_call(self, due_call):
        opt_out_number(due_call.patient, at(MORNING), "Phone key 9")
        tick_and_send(at(MORNING) + timedelta(minutes=1))
        due_call.refresh_from_db()
        assert due_call.state == Reminder.State.CANCELLED and backends.calls == []


@pytest.mark.django_db
class TestCallOutcomes:
    def placed(self, due_call):
        tick_and_send(at(MORNING) + timedelta(minutes=1))
        due_call.refresh_from_db()
        return due_call

    def test_completed_moves_the_call_to_delivered(self, client, due_call):
        reminder = self.placed(due_call)
        call_status(client, reminder.provider_id, "completed")
        reminder.refresh_from_db()
        assert reminder.state == Reminder.State.DELIVERED and reminder.reason == "Call answered"

    @pytest.mark.parametrize(("status", "reason"), [("failed", "The call could not be placed"), ("canceled", "The call was cancelled")])
    def test_a_failed_call_ends_failed_without_a_retry(self, client, due_call, status, reason):
        reminder = self.placed(due_call)
        call_status(client, reminder.provider_id, status)
        reminder.refresh_from_db()
        assert reminder.state == Reminder.State.FAILED and reminder.reason == reason
        assert not Reminder.objects.filter(retry_of=reminder).exists()

    def test_ringing_and_in_progress_change_nothing(self, client, due_call):
        reminder = self.placed(due_call)
        for status in ("initiated", "ringing", "in-progress"):
            call_status(client, reminder.provider_id, status)
        reminder.refresh_from_db()
        assert reminder.state == Reminder.State.SENT

    def test_callbacks_only_move_forward(self, client, due_call):
        reminder = self.placed(due_call)
        call_status(client, reminder.provider_id, "completed")
        call_status(client, reminder.provider_id, "no-answer")
        reminder.refresh_from_db()
        assert reminder.state == Reminder.State.DELIVERED
        assert not Reminder.objects.filter(retry_of=reminder).exists()

    @pytest.mark.parametrize("status", ["no-answer", "busy"])
    def test_no_answer_gets_one_retry_later_in_allowed_hours_as_a_new_row_with_its_own_key(self, client, due_call, status):
        reminder = self.placed(due_call)
        ended = at(MORNING) + timedelta(minutes=2)
        with time_machine.travel(ended, tick=False):
            call_status(client, reminder.provider_id, status)
        reminder.refresh_from_db()
        assert reminder.state == Reminder.State.FAILED
        retry = Reminder.objects.get(retry_of=reminder)
        assert retry.state == Reminder.State.PLANNED and retry.channel == "voice"
        assert retry.send_at == ended + timedelta(minutes=120)  # the clinic's call_retry_minutes
        assert retry.key == reminder.key + "-retry" and retry.key != reminder.key
        sent, _ = tick_and_send(retry.send_at + timedelta(minutes=1))
        assert sent == 1 and [call.key for call in backends.calls] == [reminder.key, retry.key]

    def test_a_retry_nobody_answers_is_not_retried_again(self, client, due_call):
        reminder = self.placed(due_call)
        with time_machine.travel(at(MORNING) + timedelta(minutes=2), tick=False):
            call_status(client, reminder.provider_id, "no-answer")
        retry = Reminder.objects.get(retry_of=reminder)
        tick_and_send(retry.send_at + timedelta(minutes=1))
        retry.refresh_from_db()
        call_status(client, retry.provider_id, "no-answer")
        retry.refresh_from_db()
        assert retry.state == Reminder.State.FAILED
        assert Reminder.objects.filter(patient=due_call.patient, channel="voice", purpose=Reminder.Purpose.CHECKIN).count() == 2

    def test_a_repeated_no_answer_callback_plans_only_one_retry(self, client, due_call):
        reminder = self.placed(due_call)
        call_status(client, reminder.provider_id, "no-answer")
        call_status(client, reminder.provider_id, "no-answer")
        assert Reminder.objects.filter(retry_of=reminder).count() == 1

    def test_a_no_answer_late_in_the_evening_is_retried_the_next_morning(self, client, due_call):
        evening = at("2026-03-03 01:30")  # 20:30 in New York: 2 hours later is quiet
        Reminder.objects.filter(pk=due_call.pk).update(send_at=evening, expires_at=evening + timedelta(minutes=20))
        tick_and_send(evening + timedelta(minutes=1))
        due_call.refresh_from_db()
        with time_machine.travel(evening + timedelta(minutes=3), tick=False):
            call_status(client, due_call.provider_id, "no-answer")
        retry = Reminder.objects.filter(retry_of=due_call).first()
        # Moved out of quiet hours to the next morning, inside its own lateness window.
        assert retry is not None and retry.send_at == at("2026-03-03 13:00")


@pytest.mark.django_db
class TestLineType:
    def test_a_landline_can_be_called_but_not_texted(self, riverside):
        patient = Patient(clinic=riverside, mrn="RV-2001", given_name="José", family_name="Núñez", mobile="+12025550106",
                          line_type="landline", preferred_channel="sms", consent_at=at(MORNING))
        with pytest.raises(Exception) as refused:
            patient.full_clean()
        assert "landline" in str(refused.value)
        patient.preferred_channel = "voice"
        patient.full_clean()

    def test_a_number_phonenumbers_calls_a_landline_may_be_called(self, riverside):
        # +44 20 7946 0018: a London landline from the range reserved for drama.
        Patient(clinic=riverside, mrn="RV-2002", given_name="Ann", family_name="Lee", mobile="+442079460018",
                preferred_channel="voice").full_clean()

    def test_reminders_by_call_need_a_phone_number(self, riverside):
        with pytest.raises(Exception) as refused:
            Patient(clinic=riverside, mrn="RV-2003", given_name="Ann", family_name="Lee", preferred_channel="voice").full_clean()
        assert "A phone number is needed for reminders by phone call." in str(refused.value)


class FakeTwilio(HttpClient):
    """Answers like Twilio's Calls and Lookup APIs and remembers what it was asked."""

    def __init__(self, status=201, body=None):
        super().__init__(logger=logging.getLogger("tests.fake_twilio"), is_async=False)
        self.status, self.body, self.requests = status, body, []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False):
        self.requests.append({"method": method, "uri": uri, "data": data, "params": params})
        return Response(self.status, json.dumps(self.body or {"sid": "CA0123456789abcdef0123456789abcdef", "status": "queued"}))


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "test-token"
    settings.TWILIO_FROM_NUMBER = "+12025550199"


CALL = CallRequest(to="+12025550104", key="r1-patient-voice-checkin-202603021400", url=f"{SITE}/webhooks/twilio/voice/?reminder=1",
                   status_callback=f"{SITE}/webhooks/twilio/voice/status/")


def test_the_twilio_backend_places_the_call_with_machine_detection_and_status_callbacks(twilio_settings):
    fake = FakeTwilio()
    assert TwilioVoiceBackend(http_client=fake).place(CALL) == "CA0123456789abcdef0123456789abcdef"
    [request] = fake.requests
    data = request["data"]
    assert request["method"] == "POST" and request["uri"].endswith("/Calls.json")
    assert (data["To"], data["From"], data["Url"]) == ("+12025550104", "+12025550199", CALL.url)
    assert data["MachineDetection"] == "DetectMessageEnd" and data["StatusCallback"] == CALL.status_callback


def test_a_call_twilio_refuses_is_a_permanent_failure(twilio_settings):
    fake = FakeTwilio(status=400, body={"code": 21217, "message": "Phone number does not appear to be valid", "status": 400})
    with pytest.raises(PermanentSmsError):
        TwilioVoiceBackend(http_client=fake).place(CALL)


@pytest.mark.django_db
class TestLookup:
    @pytest.mark.parametrize(("answer", "expected"), [("mobile", "mobile"), ("landline", "landline"), ("nonFixedVoip", "")])
    def test_twilio_lookup_fills_in_a_line_type_nobody_set(self, riverside, twilio_settings, answer, expected):
        from followup.voice.line_types import fill_in_line_type

        patient = make_patient(riverside, "RV-2004", "Ann", "Lee", mobile="+12025550107", preferred_channel="voice")
        fake = FakeTwilio(status=200, body={"phone_number": "+12025550107", "line_type_intelligence": {"type": answer}})
        assert fill_in_line_type("patient", patient.pk, http_client=fake) == expected
        patient.refresh_from_db()
        assert patient.line_type == expected
        assert patient.line_type_source == ("Twilio Lookup" if expected else "")
        assert fake.requests[0]["uri"].endswith("/v2/PhoneNumbers/+12025550107")
        assert fake.requests[0]["params"]["Fields"] == "line_type_intelligence"

    def test_lookup_never_overwrites_the_nurse(self, riverside, twilio_settings):
        from followup.voice.line_types import fill_in_line_type

        patient = make_patient(riverside, "RV-2005", "Ann", "Lee", mobile="+12025550108", line_type="landline",
                               line_type_source="nurse", preferred_channel="voice")
        fake = FakeTwilio(status=200, body={"line_type_intelligence": {"type": "mobile"}})
        assert fill_in_line_type("patient", patient.pk, http_client=fake) == ""
        assert fake.requests == []

    def test_a_nurse_setting_the_line_type_on_the_contact_form_is_recorded_as_hers(self, client, riverside, nina):
        from .conftest import PASSWORD

        patient = make_patient(riverside, "RV-2006", "Ann", "Lee", mobile="+12025550109", nurse=nina)
        client.login(username="nina", password=PASSWORD)
        response = client.get(f"/patients/{patient.pk}/contact/")
        assert b"cannot tell a US mobile from a US landline" in response.content
        client.post(f"/patients/{patient.pk}/contact/", {
            "nurse": nina.pk, "mobile": "+12025550109", "line_type": "landline", "preferred_channel": "voice",
            "language": "en", "time_zone": "America/New_York", "consent": "on"})
        patient.refresh_from_db()
        assert (patient.line_type, patient.line_type_source, patient.preferred_channel) == ("landline", "nurse", "voice")


def test_outcomes_map_every_final_call_status():
    assert set(outcomes.CALL_STATUS) == {"completed", "no-answer", "busy", "failed", "canceled"}


@pytest.mark.django_db
def test_a_caregiver_reminded_by_call_hears_about_the_person_they_care_for(walter, riverside):
    Caregiver.objects.create(patient=walter, name="Rita O'Brien", mobile="+12025550110", preferred_channel="voice",
                             consent_at=walter.consent_at, consent_source="verbal")
    services.enrol(walter)
    reminder = Reminder.objects.get(recipient__startswith="caregiver", purpose=Reminder.Purpose.DAY_BEFORE)
    tick_and_send(reminder.send_at + timedelta(minutes=1))
    [placed] = [call for call in backends.calls if call.key == reminder.key]
    assert "the person you care for has an appointment" in placed.words and "Walter" not in placed.words
