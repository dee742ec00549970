"""The API answers life events as the pages do: the same services, 400 with field messages."""

from datetime import UTC, datetime

import pytest
import time_machine

from followup import services
from followup.models import Patient, Procedure

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alice_enrolled(alice):
    services.enrol(alice)
    return alice


def test_the_api_refuses_bereaved_for_a_living_patient_with_400(as_nina, alice_enrolled):
    response = as_nina.post("/api/v1/symptom-reports/", {"patient": alice_enrolled.pk, "pain": 3, "completed_by": "patient",
                                                         "source": "nurse_call", "phase": "bereaved"}, format="json")
    assert response.status_code == 400
    assert "record death" in response.json()["phase"][0].lower()


def test_the_api_refuses_a_new_patient_in_the_bereaved_phase(as_nina, riverside):
    response = as_nina.post("/api/v1/patients/", {"clinic": riverside.pk, "mrn": "RV-2001", "given_name": "José",
                                                  "family_name": "Núñez", "phase": "bereaved", "preferred_channel": "none"},
                            format="json")
    assert response.status_code == 400 and "phase" in response.json()


def test_recording_a_death_through_the_api(as_nina, alice_enrolled, nina):
    response = as_nina.post(f"/api/v1/patients/{alice_enrolled.pk}/death/",
                            {"died_at": "2026-03-02T06:10:00Z", "place": "hospital", "source": "hospital_record"}, format="json")
    assert response.status_code == 201
    alice = Patient.objects.get(pk=alice_enrolled.pk)
    assert (alice.status, alice.phase, alice.death.recorded_by) == ("deceased", "bereaved", nina)
    calls = as_nina.get("/api/v1/bereavement-calls/").json()
    assert [c["step"] for c in calls["results"]] == ["2 weeks", "3 months", "6 months", "13 months"]
    outcome = as_nina.post(f"/api/v1/bereavement-calls/{calls['results'][0]['id']}/outcome/", {"outcome": "spoke"},
                           format="json")
    assert outcome.status_code == 200 and outcome.json()["outcome"] == "spoke"


@pytest.mark.parametrize(("body", "field"), [
    ({"died_at": "2026-03-03T06:10:00Z", "place": "home", "source": "family"}, "died_at"),
    ({"died_at": "2026-03-02T06:10:00Z", "place": "garden", "source": "family"}, "place"),
    ({"died_at": "2026-03-02T06:10:00Z", "place": "home"}, "source"),
])
def test_bad_death_input_is_400_on_the_field(as_nina, alice_enrolled, body, field):
    response = as_nina.post(f"/api/v1/patients/{alice_enrolled.pk}/death/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert Patient.objects.get(pk=alice_enrolled.pk).status == "active"


def test_pause_and_resume_through_the_api_with_a_ward_drainage(as_nina, alice_enrolled):
    paused = as_nina.post(f"/api/v1/patients/{alice_enrolled.pk}/pause/", {"reason": "hospital_admission"}, format="json")
    assert paused.status_code == 201 and paused.json()["review_on"] == "2026-03-09"
    resumed = as_nina.post(f"/api/v1/patients/{alice_enrolled.pk}/resume/",
                           {"ward_drainages": [{"performed_at": "2026-03-02T12:00:00Z", "volume_ml": 3500}]}, format="json")
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    assert Procedure.objects.get().setting == "hospital"


def test_a_review_date_in_the_past_is_400(as_nina, alice_enrolled):
    response = as_nina.post(f"/api/v1/patients/{alice_enrolled.pk}/pause/", {"reason": "respite", "review_on": "2026-02-27"},
                            format="json")
    assert response.status_code == 400 and "review_on" in response.json()


def test_a_second_catheter_is_400(as_nina, alice_enrolled):
    first = as_nina.post(f"/api/v1/patients/{alice_enrolled.pk}/catheter/", {"placed_on": "2026-03-02", "type": "tunnelled"},
                         format="json")
    assert first.status_code == 201
    second = as_nina.post(f"/api/v1/patients/{alice_enrolled.pk}/catheter/", {"placed_on": "2026-03-02", "type": "port"},
                          format="json")
    assert second.status_code == 400 and "placed_on" in second.json()


def test_a_home_drainage_volume_above_the_bound_is_400(as_nina, alice_enrolled):
    as_nina.post(f"/api/v1/patients/{alice_enrolled.pk}/catheter/", {"placed_on": "2026-03-02", "type": "tunnelled"}, format="json")
    response = as_nina.post("/api/v1/procedures/", {"patient": alice_enrolled.pk, "kind": "home_drain",
                                                    "performed_at": "2026-03-02T14:00:00Z", "volume_ml": 7000}, format="json")
    assert response.status_code == 400 and "volume_ml" in response.json()


def test_a_paracentesis_without_a_volume_is_400(as_nina, alice_enrolled):
    response = as_nina.post("/api/v1/procedures/", {"patient": alice_enrolled.pk, "performed_at": "2026-03-02T14:00:00Z"},
                            format="json")
    assert response.status_code == 400 and "volume_ml" in response.json()


def test_a_drainage_by_someone_without_an_account_through_the_api(as_nina, alice_enrolled, nina):
    response = as_nina.post("/api/v1/procedures/", {
        "patient": alice_enrolled.pk, "performed_at": "2026-03-02T14:00:00Z", "volume_ml": 0, "setting": "clinic",
        "performer_name": "Dr Siobhán O'Neill", "performer_role": "interventional radiologist",
        "complication_codes": ["none"]}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["performed_by"], body["recorded_by"], body["volume_ml"]) == (None, nina.pk, 0)


def test_answering_the_advisory_and_skipping_with_a_reason_through_the_api(as_nina, alice_enrolled):
    answer = as_nina.post(f"/api/v1/patients/{alice_enrolled.pk}/advisory-answers/", {"answer": "referred"}, format="json")
    assert answer.status_code == 201 and answer.json()["silenced_until"] == "2026-06-02"
    occurrence = alice_enrolled.occurrences.get(kind="paracentesis", state="scheduled")
    past = as_nina.post(f"/api/v1/occurrences/{occurrence.pk}/skip/", {"reason": "too_unwell", "look_again_on": "2026-03-01"},
                        format="json")
    assert past.status_code == 400 and "look_again_on" in past.json()
    skipped = as_nina.post(f"/api/v1/occurrences/{occurrence.pk}/skip/", {"reason": "too_unwell"}, format="json")
    assert skipped.status_code == 200 and skipped.json()["state"] == "skipped"
