"""Texts and status callbacks from Twilio: verified, idempotent, and acted on at once."""

from datetime import timedelta

import pytest
import time_machine
from twilio.request_validator import RequestValidator

from followup import services
from followup.messaging import delivery
from followup.models import InboundMessage, Reminder


TOKEN = "test-twilio-auth-token"


@pytest.fixture(autouse=True)
def _twilio(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SITE_URL = "https://followup.example.org"


def post_signed(client, path, params, token=TOKEN):
    signature = RequestValidator(token).compute_signature("https://followup.example.org" + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def text_in(client, body, sender="+12025550101", sid="SM0001"):
    return post_signed(client, "/webhooks/twilio/sms/", {"MessageSid": sid, "From": sender, "Body": body, "To": "+12025550199"})


@pytest.mark.django_db
class TestSignature:
    def test_forged_inbound_webhook_gets_403_and_changes_nothing(self, client, alice):
        response = post_signed(client, "/webhooks/twilio/sms/", {"MessageSid": "SM1", "From": "+12025550101", "Body": "STOP"}, token="wrong")
        assert response.status_code == 403
        alice.refresh_from_db()
        assert alice.opted_out_at is None
        assert not InboundMessage.objects.exists()

    def test_unsigned_status_callback_gets_403(self, client):
        response = client.post("/webhooks/twilio/status/", {"MessageSid": "SM1", "MessageStatus": "delivered"})
        assert response.status_code == 403

    def test_webhook_refuses_get(self, client):
        assert client.get("/webhooks/twilio/sms/").status_code == 405

    def test_signed_request_missing_fields_is_400_not_500(self, client):
        assert post_signed(client, "/webhooks/twilio/sms/", {"Body": "hi"}).status_code == 400


@pytest.mark.django_db
class TestOptOut:
    @pytest.mark.parametrize("word", ["STOP", "stop", "Stopall", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", " stop. "])
    def test_every_opt_out_keyword_stops_messages(self, client, enrolled_alice, word):
        response = text_in(client, word)
        assert response.status_code == 200
        enrolled_alice.refresh_from_db()
        assert enrolled_alice.opted_out_at is not None
        assert enrolled_alice.opted_out_source == "SMS STOP"
        assert not Reminder.objects.filter(patient=enrolled_alice, state__in=Reminder.UNSENT).exists()

    def test_stop_by_signed_webhook_stops_the_next_reminder(self, client, enrolled_alice, sms_outbox, django_capture_on_commit_callbacks):
        text_in(client, "STOP")
        reminder = Reminder.objects.filter(patient=enrolled_alice).order_by("send_at").first()
        now = reminder.send_at + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = []
            delivery.dispatch_due_reminders(now=now, enqueue=claimed.extend)
        delivery.send_reminders(claimed, now=now)
        assert claimed == []
        assert sms_outbox == []

    def test_stop_from_caregiver_stops_only_the_caregiver(self, client, alice, dora):
        services.enrol(alice)
        text_in(client, "STOP", sender="+12025550111")
        dora.refresh_from_db()
        alice.refresh_from_db()
        assert dora.opted_out_at is not None
        assert alice.opted_out_at is None
        assert Reminder.objects.filter(patient=alice, recipient="patient", state=Reminder.State.PLANNED).exists()
        assert not Reminder.objects.filter(recipient=f"caregiver-{dora.pk}", state=Reminder.State.PLANNED).exists()

    def test_start_opts_back_in_and_plans_reminders_again(self, client, enrolled_alice):
        text_in(client, "STOP", sid="SM1")
        text_in(client, "START", sid="SM2")
        enrolled_alice.refresh_from_db()
        assert enrolled_alice.opted_out_at is None
        assert enrolled_alice.consent_source == "SMS START"
        assert Reminder.objects.filter(patient=enrolled_alice, state=Reminder.State.PLANNED).exists()

    def test_retried_webhook_is_recorded_once(self, client, alice):
        text_in(client, "I feel worse today", sid="SM9")
        text_in(client, "I feel worse today", sid="SM9")
        assert InboundMessage.objects.filter(provider_id="SM9").count() == 1


@pytest.mark.django_db
class TestReplies:
    def test_help_answers_with_the_clinics_contact(self, client, alice):
        response = text_in(client, "HELP")
        assert "(202) 555-0100" in response.content.decode()
        assert "Riverside Palliative Care" in response.content.decode()

    def test_help_in_spanish_for_a_spanish_speaker(self, client, alice):
        alice.language = "es"
        alice.save()
        assert "para ayuda llame al" in text_in(client, "AYUDA").content.decode()

    @time_machine.travel("2026-12-01 15:00Z", tick=False)  # a Tuesday, 10:00 in New York: the team is working
    def test_any_other_text_waits_for_a_nurse(self, client, alice):
        response = text_in(client, "Pain is worse since last night")
        message = InboundMessage.objects.get()
        assert message.kind == InboundMessage.Kind.OTHER
        assert message.patient == alice
        assert message.handled_at is None
        assert "A nurse will read your message" in response.content.decode()

    def test_text_from_unknown_number_is_kept_and_gets_no_reply(self, client, db):
        response = text_in(client, "hello?", sender="+12025550177")
        assert InboundMessage.objects.get().patient is None
        assert "<Message>" not in response.content.decode()

    def test_c_confirms_the_upcoming_appointment(self, client, enrolled_alice):
        reminder = Reminder.objects.get(patient=enrolled_alice, purpose=Reminder.Purpose.DAY_BEFORE)
        Reminder.objects.filter(pk=reminder.pk).update(state=Reminder.State.SENT, sent_at=reminder.send_at)
        with time_machine.travel(reminder.send_at + timedelta(hours=1), tick=False):
            response = text_in(client, "C")
        reminder.refresh_from_db()
        assert reminder.confirmed_at is not None
        assert "confirmed" in response.content.decode()
        assert InboundMessage.objects.get().kind == InboundMessage.Kind.CONFIRM


@pytest.mark.django_db
class TestStatusCallbacks:
    @pytest.fixture
    def sent(self, enrolled_alice):
        reminder = Reminder.objects.filter(patient=enrolled_alice).first()
        Reminder.objects.filter(pk=reminder.pk).update(state=Reminder.State.SENT, provider_id="SM-out-1")
        return reminder

    def callback(self, client, status, sid="SM-out-1", **extra):
        return post_signed(client, "/webhooks/twilio/status/", {"MessageSid": sid, "MessageStatus": status, **extra})

    def test_delivered_callback_marks_delivered(self, client, sent):
        assert self.callback(client, "delivered").status_code == 200
        sent.refresh_from_db()
        assert sent.state == Reminder.State.DELIVERED

    def test_late_sent_after_delivered_does_not_move_back(self, client, sent):
        self.callback(client, "delivered")
        self.callback(client, "sent")
        self.callback(client, "failed", ErrorCode="30003")
        sent.refresh_from_db()
        assert sent.state == Reminder.State.DELIVERED

    def test_repeated_callback_is_idempotent(self, client, sent):
        self.callback(client, "undelivered", ErrorCode="30006")
        self.callback(client, "undelivered", ErrorCode="30006")
        sent.refresh_from_db()
        assert sent.state == Reminder.State.FAILED
        assert sent.events.filter(to_state=Reminder.State.FAILED).count() == 1
        assert "30006" in sent.reason

    def test_callback_resolves_an_unknown_outcome(self, client, sent):
        Reminder.objects.filter(pk=sent.pk).update(state=Reminder.State.UNKNOWN)
        self.callback(client, "delivered")
        sent.refresh_from_db()
        assert sent.state == Reminder.State.DELIVERED

    def test_callback_for_an_unknown_message_is_accepted_and_ignored(self, client, db):
        assert self.callback(client, "delivered", sid="SM-nobody").status_code == 200


@pytest.mark.django_db
class TestSymptomReplies:
    @time_machine.travel("2026-12-01 15:00Z", tick=False)  # a Tuesday, 10:00 in New York: the team is working
    def test_scored_text_becomes_a_symptom_report_with_alerts(self, client, enrolled_alice):
        response = text_in(client, "Pain 8, nausea 3")
        report = enrolled_alice.symptom_reports.get()
        assert (report.pain, report.nausea, report.tiredness) == (8, 3, None)
        assert report.source == "sms" and report.completed_by == "patient"
        assert enrolled_alice.alerts.get().severe
        assert InboundMessage.objects.get().kind == InboundMessage.Kind.SYMPTOMS
        assert "your scores reach your nurse" in response.content.decode()

    def test_spanish_scores_from_a_caregiver_are_recorded_as_the_caregivers(self, client, alice, dora):
        services.enrol(alice)
        text_in(client, "dolor 6 náuseas 2", sender="+12025550111")
        report = alice.symptom_reports.get()
        assert (report.pain, report.nausea, report.completed_by) == (6, 2, "caregiver")

    @pytest.mark.parametrize("body", ["pain 8 since I fell yesterday", "pain 12", "pain 8 pain 9", "8"])
    def test_text_that_is_more_than_scores_is_left_for_a_nurse(self, client, enrolled_alice, body):
        text_in(client, body)
        assert not enrolled_alice.symptom_reports.exists()
        assert InboundMessage.objects.get().kind == InboundMessage.Kind.OTHER

    def test_scores_from_a_number_two_patients_share_are_left_for_a_nurse(self, client, alice, riverside):
        from .conftest import make_patient

        make_patient(riverside, "RV-1003", "Adam", "Archer", mobile="+12025550101")
        text_in(client, "pain 8")
        assert not alice.symptom_reports.exists()
        assert InboundMessage.objects.get().kind == InboundMessage.Kind.OTHER
