"""Acting from the worklist: acknowledging a delivery problem or an alert, marking a message
handled; inline with HTMX or as a plain form post."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followup import services
from followup.models import Alert, InboundMessage, Reminder


@pytest.fixture
def failed_reminder(enrolled_alice):
    occurrence = enrolled_alice.occurrences.filter(state="scheduled").first()
    now = timezone.now()
    return Reminder.objects.create(occurrence=occurrence, patient=enrolled_alice, recipient="patient", channel="sms",
                                   purpose="day_before", due_at=occurrence.due_at + timedelta(minutes=1), send_at=now,
                                   expires_at=now, state=Reminder.State.FAILED, reason="Unreachable")


@pytest.fixture
def waiting_message(alice, riverside):
    return InboundMessage.objects.create(clinic=riverside, patient=alice, provider_id="SMW1", from_number="+12025550101",
                                         body="Can you call?", kind="other")


@pytest.fixture
def severe_alert(enrolled_alice):
    report = services.record_symptom_report(enrolled_alice, scores={"pain": 9}, completed_by="patient", source="web")
    return report.alert


def test_acknowledging_a_delivery_problem_takes_it_off_the_worklist(nurse_client, failed_reminder):
    response = nurse_client.post(reverse("acknowledge_reminder", args=[failed_reminder.pk]), {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    failed_reminder.refresh_from_db()
    assert failed_reminder.acknowledged_at is not None
    assert failed_reminder.acknowledged_by.username == "nina"
    assert nurse_client.get("/").context["work"].delivery_problems.count == 0


def test_acknowledging_inline_returns_the_done_row_and_refreshes_the_counts(nurse_client, failed_reminder):
    response = nurse_client.post(reverse("acknowledge_reminder", args=[failed_reminder.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "worklist-changed"
    assert b"Delivery problem acknowledged." in response.content
    again = nurse_client.post(reverse("acknowledge_reminder", args=[failed_reminder.pk]), HTTP_HX_REQUEST="true")
    assert b"Someone had already acknowledged" in again.content


def test_a_reminder_without_a_problem_cannot_be_acknowledged(nurse_client, enrolled_alice):
    planned = enrolled_alice.reminders.filter(state=Reminder.State.PLANNED).first()
    assert nurse_client.post(reverse("acknowledge_reminder", args=[planned.pk])).status_code == 404


def test_marking_a_message_handled(nurse_client, waiting_message, nina):
    response = nurse_client.post(reverse("mark_message_handled", args=[waiting_message.pk]))
    assert response.status_code == 302
    waiting_message.refresh_from_db()
    assert waiting_message.handled_at is not None and waiting_message.handled_by == nina
    assert nurse_client.get("/").context["work"].messages_waiting.count == 0


def test_marking_handled_needs_post(nurse_client, waiting_message):
    assert nurse_client.get(reverse("mark_message_handled", args=[waiting_message.pk])).status_code == 405


def test_acknowledging_an_alert_from_the_worklist_inline(nurse_client, severe_alert, nina):
    response = nurse_client.post(reverse("acknowledge_alert", args=[severe_alert.pk]), {"from": "worklist", "action": "called_patient"},
                                 HTTP_HX_REQUEST="true")
    assert b"Alert acknowledged." in response.content
    assert response["HX-Trigger"] == "worklist-changed"
    severe_alert.refresh_from_db()
    assert severe_alert.acknowledged_by == nina


def test_acknowledging_an_alert_with_a_note_keeps_it_on_the_timeline(nurse_client, severe_alert):
    page = nurse_client.get(reverse("acknowledge_alert", args=[severe_alert.pk]))
    assert b"<h1>Severe symptom alert</h1>" in page.content
    response = nurse_client.post(reverse("acknowledge_alert", args=[severe_alert.pk]),
                                 {"action": "advice_given", "note": "Extra dose advised"})
    assert response["Location"] == reverse("patient", args=[severe_alert.patient_id])
    severe_alert.refresh_from_db()
    assert severe_alert.acknowledgement_note == "Extra dose advised"
    timeline = nurse_client.get(response["Location"]).content.decode()
    assert "Extra dose advised" in timeline and "acknowledged by Nina" in timeline and "advice given" in timeline


def test_acknowledging_twice_is_harmless(nurse_client, severe_alert):
    nurse_client.post(reverse("acknowledge_alert", args=[severe_alert.pk]), {"action": "called_patient", "note": "first"})
    response = nurse_client.post(reverse("acknowledge_alert", args=[severe_alert.pk]),
                                 {"action": "no_action", "note": "second"}, follow=True)
    assert b"Someone had already acknowledged this alert." in response.content
    assert Alert.objects.get(pk=severe_alert.pk).acknowledgement_note == "first"


def test_next_must_be_one_of_our_pages(nurse_client, failed_reminder):
    response = nurse_client.post(reverse("acknowledge_reminder", args=[failed_reminder.pk]), {"next": "https://example.org/"})
    assert response["Location"] == reverse("worklist")
