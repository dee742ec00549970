"""The API for calls, alerts and on-call contacts: the same rules as the pages, bad input 400 by field.

Riverside (New York, EST in February) works Monday to Friday 09:00-17:00. Alice is enrolled on
Monday 2 February 2026; her first check-in is due Monday 9 February at 09:00 (14:00 UTC).
"""

from datetime import timedelta

import pytest

from followup import services
from followup.models import Alert, CallAttempt, Kind, Occurrence, OnCallContact
from tests.conftest import api_client_for, at

MONDAY_10 = at("2026-02-09 15:00")


@pytest.fixture
def patient(time_machine, alice):
    time_machine.move_to(at("2026-02-02 15:00"), tick=False)
    services.enrol(alice)
    time_machine.move_to(MONDAY_10, tick=False)
    return alice


@pytest.fixture
def checkin(patient):
    return Occurrence.objects.get(patient=patient, kind=Kind.CHECKIN, state="scheduled")


def call_url(occurrence):
    return f"/api/v1/occurrences/{occurrence.pk}/call/"


def test_a_call_with_no_answer_answers_201_with_its_retry_time(as_nina, checkin):
    response = as_nina.post(call_url(checkin), {"outcome": "no_answer"}, format="json")
    assert response.status_code == 201
    assert response.json()["retry_at"] == "2026-02-09T19:00:00Z"  # 14:00 in New York


def test_a_reached_call_stores_who_answered(as_nina, checkin, nina):
    response = as_nina.post(call_url(checkin), {"outcome": "reached", "pain": 4, "completed_by": "caregiver_assisted"},
                            format="json")
    assert response.status_code == 201
    report = CallAttempt.objects.get().report
    assert (report.completed_by, report.recorded_by) == ("caregiver_assisted", nina)


def test_a_reached_call_with_nothing_recorded_is_400_on_the_note(as_nina, checkin):
    response = as_nina.post(call_url(checkin), {"outcome": "reached"}, format="json")
    assert response.status_code == 400
    assert "note" in response.json()


@pytest.mark.parametrize("retry_at", ["2026-02-09T08:00:00-05:00", "2026-02-09T22:00:00-05:00"])
def test_a_retry_time_in_the_past_or_out_of_hours_is_400_on_retry_at(as_nina, checkin, retry_at):
    response = as_nina.post(call_url(checkin), {"outcome": "no_answer", "retry_at": retry_at}, format="json")
    assert response.status_code == 400
    assert "retry_at" in response.json()
    assert not CallAttempt.objects.exists()


def test_an_unknown_outcome_is_400(as_nina, checkin):
    response = as_nina.post(call_url(checkin), {"outcome": "busy"}, format="json")
    assert response.status_code == 400 and "outcome" in response.json()


def test_another_clinics_checkin_is_404(as_noah, checkin):
    assert as_noah.post(call_url(checkin), {"outcome": "no_answer"}, format="json").status_code == 404


def test_alerts_list_their_items(as_nina, patient):
    services.record_symptom_report(patient, scores={"pain": 3}, completed_by="patient", source="web",
                                   reported_at=MONDAY_10 - timedelta(days=1))
    services.record_symptom_report(patient, scores={"pain": 8, "nausea": 7}, completed_by="patient", source="web")
    body = as_nina.get("/api/v1/alerts/").json()
    alert = body["results"][0] if "results" in body else body[0]
    assert alert["severe"] is True
    assert [item["summary"] for item in alert["items"]] == ["Pain 8, was 3: severe, up 5", "Nausea 7: severe"]


def test_acknowledging_through_the_api_needs_an_action(as_nina, patient):
    report = services.record_symptom_report(patient, scores={"pain": 8}, completed_by="patient", source="web")
    url = f"/api/v1/alerts/{report.alert.pk}/acknowledge/"
    assert as_nina.post(url, {"note": "Called"}, format="json").status_code == 400
    response = as_nina.post(url, {"action": "visit_arranged", "note": "Home visit at 14:00"}, format="json")
    assert response.status_code == 200
    assert response.json()["acknowledgement_action"] == "visit_arranged"
    assert Alert.objects.get().acknowledgement_note == "Home visit at 14:00"


def test_a_lead_adds_an_on_call_contact(leo, riverside):
    response = api_client_for(leo).post("/api/v1/on-call-contacts/", {
        "clinic": riverside.pk, "name": "Dr. O'Brien", "mobile": "+12025550142"}, format="json")
    assert response.status_code == 201
    assert OnCallContact.objects.get().mobile.as_e164 == "+12025550142"


def test_an_on_call_contact_with_neither_mobile_nor_email_is_400(leo, riverside):
    response = api_client_for(leo).post("/api/v1/on-call-contacts/", {"clinic": riverside.pk, "name": "Nobody"},
                                        format="json")
    assert response.status_code == 400 and "mobile" in response.json()
    assert not OnCallContact.objects.exists()


def test_a_nurse_cannot_add_an_on_call_contact(as_nina, riverside):
    response = as_nina.post("/api/v1/on-call-contacts/", {"clinic": riverside.pk, "name": "Olga",
                                                          "email": "olga@example.org"}, format="json")
    assert response.status_code == 404
