"""FHIR versions: every served resource has meta.versionId and meta.lastUpdated that each change moves;
vread (`/_history/N`) reads it as it was; reads answer an ETag and If-None-Match gives 304.

The story: Alice is enrolled on 2 March. On 6 March Nina moves her drainage two days later; on 9 March
Alice is paused. A hospital system that read everything on 5 March sees which resources moved.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class

from followup import services
from followup.models import Occurrence
from tests.conftest import at, make_patient

SITE = "https://followup.example.org"
ENROLLED = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
MOVED = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
PAUSED = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = SITE


def fhir(response, status=200):
    assert response.status_code == status, response.content
    body = response.json()
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


@pytest.fixture
def enrolled(riverside, nina):
    """Alice, registered and enrolled on 2 March (so her record's history starts then)."""
    with time_machine.travel(ENROLLED, tick=False):
        alice = make_patient(riverside, "RV-1001", "Alice", "Archer", mobile="+12025550101", nurse=nina)
        services.enrol(alice)
    return alice


def drainage_of(patient):
    return Occurrence.objects.get(patient=patient, kind="paracentesis", state="scheduled")


def move_drainage(patient, by):
    drainage = drainage_of(patient)
    with time_machine.travel(MOVED, tick=False):
        services.reschedule(drainage, drainage.due_at + timedelta(days=2), by=by)
    return drainage


def test_a_new_resource_is_version_1_last_updated_when_it_was_written(as_nina, enrolled):
    resource = fhir(as_nina.get(f"/fhir/R4/Appointment/{drainage_of(enrolled).pk}"))
    assert resource["meta"] == {"versionId": "1", "lastUpdated": "2026-03-02T14:00:00Z"}


def test_a_reschedule_moves_the_appointments_version_and_last_updated(as_nina, nina, enrolled):
    drainage = move_drainage(enrolled, nina)
    resource = fhir(as_nina.get(f"/fhir/R4/Appointment/{drainage.pk}"))
    assert resource["meta"] == {"versionId": "2", "lastUpdated": "2026-03-06T12:00:00Z"}
    assert resource["start"] == "2026-03-25T13:00:00Z"


def test_vread_reads_the_appointment_as_it_was_before_the_reschedule(as_nina, nina, enrolled):
    drainage = move_drainage(enrolled, nina)
    first = fhir(as_nina.get(f"/fhir/R4/Appointment/{drainage.pk}/_history/1"))
    assert (first["start"], first["meta"]["versionId"], first["meta"]["lastUpdated"]) == (
        "2026-03-23T13:00:00Z", "1", "2026-03-02T14:00:00Z")
    assert fhir(as_nina.get(f"/fhir/R4/Appointment/{drainage.pk}/_history/2"))["start"] == "2026-03-25T13:00:00Z"


@pytest.mark.parametrize("version", ["3", "0", "x", "1.1", "99999999999999999999"])
def test_a_version_that_never_was_is_a_404_outcome(as_nina, nina, enrolled, version):
    drainage = move_drainage(enrolled, nina)
    outcome = fhir(as_nina.get(f"/fhir/R4/Appointment/{drainage.pk}/_history/{version}"), status=404)
    assert outcome["issue"][0]["code"] == "not-found"


def test_another_clinics_resource_has_no_versions_either(as_noah, enrolled):
    fhir(as_noah.get(f"/fhir/R4/Patient/{enrolled.pk}/_history/1"), status=404)


def test_pausing_the_patient_moves_the_care_plan_whose_status_it_sets(as_nina, nina, enrolled):
    plan = enrolled.schedules.get(kind="paracentesis")
    before = fhir(as_nina.get(f"/fhir/R4/CarePlan/{plan.pk}"))
    with time_machine.travel(PAUSED, tick=False):
        services.change_status(enrolled, "paused", by=nina)
    after = fhir(as_nina.get(f"/fhir/R4/CarePlan/{plan.pk}"))
    assert (before["status"], after["status"]) == ("active", "on-hold")
    assert after["meta"]["versionId"] != before["meta"]["versionId"]
    assert after["meta"]["lastUpdated"] == "2026-03-09T12:00:00Z"
    was = fhir(as_nina.get(f"/fhir/R4/CarePlan/{plan.pk}/_history/{before['meta']['versionId']}"))
    assert was["status"] == "active"


def test_a_care_plan_version_mixing_revisions_that_never_met_is_404(as_nina, nina, enrolled):
    plan = enrolled.schedules.get(kind="paracentesis")
    with time_machine.travel(PAUSED, tick=False):
        services.change_status(enrolled, "paused", by=nina)
    with time_machine.travel(PAUSED + timedelta(days=1), tick=False):
        services.change_interval(plan, services.scheduling.Interval(14, "days"), by=nina)
    current = fhir(as_nina.get(f"/fhir/R4/CarePlan/{plan.pk}"))["meta"]["versionId"]
    series, patient = current.split(".")
    # The new interval (series revision 2) was set after the pause: it never met the patient as first written.
    fhir(as_nina.get(f"/fhir/R4/CarePlan/{plan.pk}/_history/{series}.1"), status=404)


def test_a_symptom_report_and_its_observations_share_its_version(as_nina, enrolled):
    with time_machine.travel(MOVED, tick=False):
        report = services.record_symptom_report(enrolled, scores={"pain": 7}, completed_by="patient", source="web")
    response = fhir(as_nina.get(f"/fhir/R4/QuestionnaireResponse/{report.pk}"))
    observation = fhir(as_nina.get(f"/fhir/R4/Observation/symptom-report-{report.pk}-pain"))
    assert response["meta"] == observation["meta"] == {"versionId": "1", "lastUpdated": "2026-03-06T12:00:00Z"}
    was = fhir(as_nina.get(f"/fhir/R4/Observation/symptom-report-{report.pk}-pain/_history/1"))
    assert was["valueInteger"] == 7
    fhir(as_nina.get(f"/fhir/R4/Observation/symptom-report-{report.pk}-pain/_history/2"), status=404)


def test_a_drainage_volume_observation_follows_its_procedure(as_nina, nina, enrolled):
    with time_machine.travel(MOVED, tick=False):
        procedure = services.record_procedure(enrolled, performed_at=at("2026-03-06 11:00"), volume_ml=3200, performed_by=nina)
    observation = fhir(as_nina.get(f"/fhir/R4/Observation/procedure-{procedure.pk}-volume"))
    assert observation["meta"]["versionId"] == "1"
    assert fhir(as_nina.get(f"/fhir/R4/Observation/procedure-{procedure.pk}-volume/_history/1"))["valueQuantity"]["value"] == 3200


def test_a_read_answers_an_etag_and_if_none_match_with_it_gives_304(as_nina, nina, enrolled):
    url = f"/fhir/R4/Appointment/{drainage_of(enrolled).pk}"
    first = as_nina.get(url)
    assert (first["ETag"], first["Last-Modified"]) == ('W/"1"', "Mon, 02 Mar 2026 14:00:00 GMT")
    unchanged = as_nina.get(url, HTTP_IF_NONE_MATCH='W/"1"')
    assert (unchanged.status_code, unchanged.content, unchanged["ETag"]) == (304, b"", 'W/"1"')
    move_drainage(enrolled, nina)
    changed = as_nina.get(url, HTTP_IF_NONE_MATCH='W/"1"')
    assert changed.status_code == 200 and changed["ETag"] == 'W/"2"'
    assert as_nina.get(url, HTTP_IF_NONE_MATCH='"0", W/"2"').status_code == 304


def test_a_patients_demographic_change_moves_their_version(as_nina, enrolled):
    before = fhir(as_nina.get(f"/fhir/R4/Patient/{enrolled.pk}"))["meta"]["versionId"]
    with time_machine.travel(MOVED, tick=False):
        enrolled.family_name = "O'Brien-Archer"
        enrolled.save()
    after = fhir(as_nina.get(f"/fhir/R4/Patient/{enrolled.pk}"))
    assert int(after["meta"]["versionId"]) == int(before) + 1
    old = fhir(as_nina.get(f"/fhir/R4/Patient/{enrolled.pk}/_history/{before}"))
    assert (old["name"][0]["family"], after["name"][0]["family"]) == ("Archer", "O'Brien-Archer")


def test_a_communication_counts_its_state_changes_and_keeps_only_the_current_version(as_nina, enrolled):
    reminder = enrolled.reminders.filter(state="planned").first()
    with time_machine.travel(MOVED - timedelta(minutes=1), tick=False):
        for state in ("queued", "sending"):
            reminder.move(state)
    with time_machine.travel(MOVED, tick=False):
        reminder.move("sent", sent_at=MOVED)
    resource = fhir(as_nina.get(f"/fhir/R4/Communication/{reminder.pk}"))
    # Planned, queued, sending, sent: four states, the fourth current.
    assert resource["meta"] == {"versionId": "4", "lastUpdated": "2026-03-06T12:00:00Z"}
    fhir(as_nina.get(f"/fhir/R4/Communication/{reminder.pk}/_history/4"))
    fhir(as_nina.get(f"/fhir/R4/Communication/{reminder.pk}/_history/3"), status=404)


def test_search_entries_carry_their_versions(as_nina, nina, enrolled):
    move_drainage(enrolled, nina)
    bundle = fhir(as_nina.get("/fhir/R4/Appointment", {"patient": enrolled.pk}))
    versions = {entry["resource"]["start"]: entry["resource"]["meta"]["versionId"] for entry in bundle["entry"]}
    assert versions["2026-03-25T13:00:00Z"] == "2"
