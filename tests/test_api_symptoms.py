"""REST v1: symptom reports, alerts, reminders and inbound messages."""

from datetime import UTC, datetime

import pytest
import time_machine

from followup import services
from followup.models import ESAS_FIELDS, Alert, InboundMessage, Occurrence, Reminder, SymptomReport

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # the first check-in is due on 9 March


@pytest.fixture
def alice_enrolled_in_march(alice):
    with time_machine.travel(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), tick=False):
        services.enrol(alice)
    return alice


def report(whose, **fields):
    return {"patient": whose.pk, "completed_by": "patient", "source": "nurse_call", "pain": 3, "tiredness": 4, **fields}


# --- Symptom reports ----------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_severe_item_raises_an_alert_and_brings_the_checkin_forward(as_nina, alice_enrolled_in_march, nina):
    response = as_nina.post("/api/v1/symptom-reports/", report(alice_enrolled_in_march, pain=8, closes_checkin=False), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    alert = Alert.objects.get(report_id=body["id"])
    assert [(item.item, item.score, item.severe) for item in alert.items.all()] == [("pain", 8, True)]
    assert body["alert"] == alert.pk
    assert (alert.acknowledged_by, alert.acknowledgement_action) == (nina, "called_patient")  # her own call
    assert SymptomReport.objects.get(pk=body["id"]).recorded_by == nina
    checkin = Occurrence.objects.get(patient=alice_enrolled_in_march, kind="checkin", state="scheduled")
    assert checkin.due_date.isoformat() == "2026-03-05"


@time_machine.travel(NOW, tick=False)
def test_a_nurse_call_report_closes_the_open_checkin(as_nina, alice_enrolled_in_march):
    open_checkin = Occurrence.objects.get(patient=alice_enrolled_in_march, kind="checkin", state="scheduled")
    assert as_nina.post("/api/v1/symptom-reports/", report(alice_enrolled_in_march), format="json").status_code == 201
    open_checkin.refresh_from_db()
    assert open_checkin.state == "done"


@time_machine.travel(NOW, tick=False)
def test_a_report_from_the_web_form_source_leaves_the_checkin_open(as_nina, alice_enrolled_in_march):
    open_checkin = Occurrence.objects.get(patient=alice_enrolled_in_march, kind="checkin", state="scheduled")
    as_nina.post("/api/v1/symptom-reports/", report(alice_enrolled_in_march, source="web"), format="json")
    open_checkin.refresh_from_db()
    assert open_checkin.state == "scheduled"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("fields", "field"), [
    ({"pain": 11}, "pain"),
    ({"nausea": -1}, "nausea"),
    ({"wellbeing": "bad"}, "wellbeing"),
    ({"pps": 55}, "pps"),
    ({"pps": 110}, "pps"),
    ({"other_problem": 5}, "other_problem_name"),
    ({"other_problem_name": "Itch"}, "other_problem"),
    ({"completed_by": "neighbour"}, "completed_by"),
    ({"phase": "sleepy"}, "phase"),
    ({"reported_at": "2026-03-05T15:00:00Z"}, "reported_at"),
    ({"pain": None, "tiredness": None}, "non_field_errors"),
])
def test_bad_reports_are_400_on_the_field(as_nina, alice_enrolled_in_march, fields, field):
    response = as_nina.post("/api/v1/symptom-reports/", report(alice_enrolled_in_march, **fields), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not SymptomReport.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_all_items_round_trip(as_nina, alice_enrolled_in_march):
    scores = {name: n for n, name in enumerate(ESAS_FIELDS)}
    body = as_nina.post("/api/v1/symptom-reports/", report(alice_enrolled_in_march, **scores, other_problem_name="Itch", pps=50,
                                                           phase="deteriorating"), format="json").json()
    again = as_nina.get(f"/api/v1/symptom-reports/{body['id']}/").json()
    assert {name: again[name] for name in ESAS_FIELDS} == scores
    assert (again["pps"], again["phase"], again["other_problem_name"]) == (50, "deteriorating", "Itch")


@time_machine.travel(NOW, tick=False)
def test_another_clinics_patient_gets_no_report(as_noah, alice_enrolled_in_march):
    response = as_noah.post("/api/v1/symptom-reports/", report(alice_enrolled_in_march), format="json")
    assert response.status_code == 404
    assert response.json() == {"patient": ["No patient with this id in your clinics."]}


# --- Alerts -------------------------------------------------------------------------------------


@pytest.fixture
def alert(alice_enrolled_in_march, nina):
    with time_machine.travel(NOW, tick=False):
        services.record_symptom_report(alice_enrolled_in_march, scores={"pain": 9}, completed_by="patient", source="web")
    return Alert.objects.get()


def test_open_alerts_are_listed_and_acknowledged_once(as_nina, alert, nina):
    assert [row["id"] for row in as_nina.get("/api/v1/alerts/", {"open": "true"}).json()["results"]] == [alert.pk]
    response = as_nina.post(f"/api/v1/alerts/{alert.pk}/acknowledge/",
                            {"action": "medicines_reviewed", "note": "called, pain plan adjusted"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["acknowledged_by"], body["acknowledgement_note"], body["items"][0]["item_label"]) == (
        nina.pk, "called, pain plan adjusted", "Pain")
    assert body["acknowledgement_action"] == "medicines_reviewed"
    assert as_nina.get("/api/v1/alerts/", {"open": "true"}).json()["count"] == 0
    again = as_nina.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"action": "no_action", "note": "again"}, format="json")
    assert again.status_code == 409
    alert.refresh_from_db()
    assert alert.acknowledgement_note == "called, pain plan adjusted"


def test_another_clinic_cannot_acknowledge(as_noah, alert):
    assert as_noah.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, format="json").status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_alerts_are_read_only_otherwise(as_nina, alert):
    assert as_nina.patch(f"/api/v1/alerts/{alert.pk}/", {"score": 1}, format="json").status_code == 405
    assert as_nina.delete(f"/api/v1/alerts/{alert.pk}/").status_code == 405


# --- Reminders and inbound messages (read-only) -------------------------------------------------


def test_reminders_never_carry_text_or_numbers(as_nina, alice_enrolled_in_march):
    body = as_nina.get("/api/v1/reminders/", {"patient": alice_enrolled_in_march.pk}).json()
    assert body["count"] == alice_enrolled_in_march.reminders.count() > 0
    row = body["results"][0]
    assert row["recipient"] == "patient"
    text = str(body)
    assert "+1202555" not in text and "body" not in row and "provider_id" not in row


def test_reminders_filter_by_state(as_nina, alice_enrolled_in_march):
    one = alice_enrolled_in_march.reminders.first()
    one.move(Reminder.State.QUEUED)
    one.move(Reminder.State.SENDING)
    one.move(Reminder.State.SENT, sent_at=NOW)
    body = as_nina.get("/api/v1/reminders/", {"state": "sent"}).json()
    assert [row["id"] for row in body["results"]] == [one.pk]


def test_reminders_cannot_be_written(as_nina, alice_enrolled_in_march):
    one = alice_enrolled_in_march.reminders.first()
    assert as_nina.post("/api/v1/reminders/", {}, format="json").status_code == 405
    assert as_nina.patch(f"/api/v1/reminders/{one.pk}/", {"state": "sent"}, format="json").status_code == 405


def test_another_clinics_reminders_are_hidden(as_noah, alice_enrolled_in_march):
    one = alice_enrolled_in_march.reminders.first()
    assert as_noah.get("/api/v1/reminders/").json()["count"] == 0
    assert as_noah.get(f"/api/v1/reminders/{one.pk}/").status_code == 404


def test_inbound_messages_are_listed_without_the_senders_number(as_nina, as_noah, alice, riverside):
    message = InboundMessage.objects.create(clinic=riverside, patient=alice, provider_id="SM001", from_number="+12025550101",
                                            body="STOP", kind=InboundMessage.Kind.STOP)
    body = as_nina.get("/api/v1/inbound-messages/", {"handled": "false"}).json()
    assert [(row["id"], row["kind"], row["patient"]) for row in body["results"]] == [(message.pk, "stop", alice.pk)]
    assert "from_number" not in body["results"][0]
    assert as_noah.get(f"/api/v1/inbound-messages/{message.pk}/").status_code == 404
