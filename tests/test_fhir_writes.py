"""FHIR writes through the same services as the pages: Patient create (enrols) and update (demographics,
death), conditional create and update on the MRN, Appointment update for a reschedule, a symptom report
from another system as a QuestionnaireResponse (alert rules run), a transaction Bundle; errors as
OperationOutcomes naming the element; another clinic's reference is 404."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class

from followup import services
from followup.models import Alert, Occurrence, Patient, SymptomReport

SITE = "https://followup.example.org"
NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = SITE


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def fhir(response, status=200):
    assert response.status_code == status, response.content
    body = response.json()
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


def mrn_system(clinic):
    return f"{SITE}/fhir/sid/clinic/{clinic.pk}/mrn"


def jose(clinic, nurse=None, **extra):
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": mrn_system(clinic), "value": "RV-2040"}],
        "name": [{"family": "Núñez", "given": ["José"]}],
        "birthDate": "1948-07-14",
        "telecom": [{"system": "phone", "value": "+12025550140", "use": "mobile", "rank": 1}],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}}],
    }
    if nurse:
        resource["generalPractitioner"] = [{"reference": f"Practitioner/{nurse.pk}"}]
    resource.update(extra)
    return resource


def post(client, path, body, **headers):
    return client.post(f"/fhir/R4/{path}", body, format="json", **headers)


def put(client, path, body, **headers):
    return client.put(f"/fhir/R4/{path}", body, format="json", **headers)


# --- Patient --------------------------------------------------------------------------------------


def test_creating_a_patient_enrols_them_as_the_page_does(as_nina, riverside, nina):
    response = post(as_nina, "Patient", jose(riverside, nina))
    created = fhir(response, status=201)
    patient = Patient.objects.get(pk=created["id"])
    assert (patient.given_name, patient.family_name, patient.mrn, patient.language, str(patient.mobile)) == (
        "José", "Núñez", "RV-2040", "es", "+12025550140")
    assert patient.nurse == nina and patient.clinic == riverside
    assert set(patient.schedules.values_list("kind", flat=True)) == {"paracentesis", "checkin"}
    assert patient.occurrences.filter(state="scheduled").count() == 2
    assert response["Location"] == f"{SITE}/fhir/R4/Patient/{patient.pk}/_history/{created['meta']['versionId']}"
    assert response["ETag"] == f'W/"{created["meta"]["versionId"]}"'


def test_conditional_create_on_the_mrn_finds_the_patient_instead_of_a_second(as_nina, riverside):
    first = fhir(post(as_nina, "Patient", jose(riverside)), status=201)
    again = post(as_nina, "Patient", jose(riverside), HTTP_IF_NONE_EXIST=f"identifier={mrn_system(riverside)}|RV-2040")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert Patient.objects.filter(mrn="RV-2040").count() == 1


def test_the_same_mrn_twice_without_a_condition_is_a_400_naming_the_identifier(as_nina, riverside):
    post(as_nina, "Patient", jose(riverside))
    outcome = fhir(post(as_nina, "Patient", jose(riverside)), status=400)
    assert outcome["issue"][0]["expression"] == ["Patient.identifier"]
    assert "already" in outcome["issue"][0]["diagnostics"]


def test_a_bad_birth_date_is_a_400_naming_birth_date_and_nothing_is_created(as_nina, riverside):
    outcome = fhir(post(as_nina, "Patient", jose(riverside, birthDate="2031-01-01")), status=400)
    assert [issue["expression"] for issue in outcome["issue"]] == [["Patient.birthDate"]]
    assert not Patient.objects.filter(mrn="RV-2040").exists()


def test_a_patient_for_another_clinic_is_404(as_nina, hillcrest):
    outcome = fhir(post(as_nina, "Patient", jose(hillcrest, managingOrganization={"reference": f"Organization/{hillcrest.pk}"})),
                   status=404)
    assert outcome["issue"][0]["code"] == "not-found"
    assert not Patient.objects.filter(mrn="RV-2040").exists()


def test_updating_a_patient_corrects_the_name_and_moves_the_version(as_nina, riverside):
    created = fhir(post(as_nina, "Patient", jose(riverside)), status=201)
    changed = {**created, "name": [{"family": "Núñez-O'Hara", "given": ["José", "Luis"]}]}
    updated = fhir(put(as_nina, f"Patient/{created['id']}", changed))
    assert updated["name"][0]["family"] == "Núñez-O'Hara" and updated["name"][0]["given"] == ["José Luis"]
    assert int(updated["meta"]["versionId"]) > int(created["meta"]["versionId"])


def test_an_update_against_an_old_version_is_412(as_nina, riverside):
    created = fhir(post(as_nina, "Patient", jose(riverside)), status=201)
    fhir(put(as_nina, f"Patient/{created['id']}", {**created, "birthDate": "1948-07-15"}))
    stale = put(as_nina, f"Patient/{created['id']}", {**created, "birthDate": "1948-07-16"},
                HTTP_IF_MATCH=f'W/"{created["meta"]["versionId"]}"')
    assert fhir(stale, status=412)["issue"][0]["code"] == "conflict"
    assert Patient.objects.get(pk=created["id"]).date_of_birth.isoformat() == "1948-07-15"


def test_a_death_given_as_deceased_date_time_is_recorded_and_cancels_what_was_planned(as_nina, riverside):
    created = fhir(post(as_nina, "Patient", jose(riverside)), status=201)
    died = {**created, "deceasedDateTime": "2026-03-20T06:30:00-04:00"}
    updated = fhir(put(as_nina, f"Patient/{created['id']}", died))
    patient = Patient.objects.get(pk=created["id"])
    assert patient.status == "deceased" and patient.status_changed_at == datetime(2026, 3, 20, 10, 30, tzinfo=UTC)
    assert updated["deceasedDateTime"] == "2026-03-20T10:30:00Z" and updated["active"] is False
    assert not patient.occurrences.filter(state="scheduled").exists()
    undo = {**updated}
    del undo["deceasedDateTime"]
    assert fhir(put(as_nina, f"Patient/{created['id']}", undo), status=400)["issue"][0]["expression"] == ["Patient.deceasedDateTime"]


def test_conditional_update_updates_the_patient_the_mrn_names_or_creates_them(as_nina, riverside):
    query = f"identifier={mrn_system(riverside)}|RV-2040"
    created = put(as_nina, f"Patient?{query}", jose(riverside))
    assert created.status_code == 201
    updated = put(as_nina, f"Patient?{query}", jose(riverside, birthDate="1948-07-15"))
    assert updated.status_code == 200 and updated.json()["id"] == created.json()["id"]
    assert Patient.objects.get(mrn="RV-2040").date_of_birth.isoformat() == "1948-07-15"


# --- Appointment ----------------------------------------------------------------------------------


@pytest.fixture
def enrolled(riverside, nina):
    with time_machine.travel(NOW - timedelta(days=18), tick=False):
        from tests.conftest import make_patient

        alice = make_patient(riverside, "RV-1001", "Alice", "Archer", mobile="+12025550101", nurse=nina)
        services.enrol(alice)
    return alice


def test_a_new_start_reschedules_the_appointment_and_its_reminders(as_nina, enrolled):
    drainage = Occurrence.objects.get(patient=enrolled, kind="paracentesis", state="scheduled")
    current = fhir(as_nina.get(f"/fhir/R4/Appointment/{drainage.pk}"))
    moved = fhir(put(as_nina, f"Appointment/{drainage.pk}", {**current, "start": "2026-03-25T13:00:00Z"}))
    assert moved["start"] == "2026-03-25T13:00:00Z" and moved["meta"]["versionId"] == "2"
    assert all(r.due_at == datetime(2026, 3, 25, 13, 0, tzinfo=UTC)
               for r in drainage.reminders.filter(state__in=("planned", "queued")))


def test_cancelling_an_appointment_skips_it_and_plans_the_next(as_nina, enrolled):
    checkin = Occurrence.objects.get(patient=enrolled, kind="checkin", state="scheduled")
    current = fhir(as_nina.get(f"/fhir/R4/Appointment/{checkin.pk}"))
    cancelled = fhir(put(as_nina, f"Appointment/{checkin.pk}", {**current, "status": "cancelled"}))
    assert cancelled["status"] == "cancelled"
    assert Occurrence.objects.filter(patient=enrolled, kind="checkin", state="scheduled").exclude(pk=checkin.pk).exists()


def test_an_appointment_status_that_cannot_be_set_is_400_naming_status(as_nina, enrolled):
    drainage = Occurrence.objects.get(patient=enrolled, kind="paracentesis", state="scheduled")
    current = fhir(as_nina.get(f"/fhir/R4/Appointment/{drainage.pk}"))
    outcome = fhir(put(as_nina, f"Appointment/{drainage.pk}", {**current, "status": "fulfilled"}), status=400)
    assert outcome["issue"][0]["expression"] == ["Appointment.status"]


# --- QuestionnaireResponse -------------------------------------------------------------------------


def report(patient, pain=8, **extra):
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "subject": {"reference": f"Patient/{patient.pk}"},
            "authored": "2026-03-20T14:30:00Z", "source": {"reference": f"Patient/{patient.pk}"},
            "item": [{"linkId": "pain", "answer": [{"valueInteger": pain}]}, {"linkId": "nausea", "answer": [{"valueInteger": 2}]}],
            **extra}


def test_a_symptom_report_from_another_system_runs_the_alert_rules(as_nina, enrolled):
    created = fhir(post(as_nina, "QuestionnaireResponse", report(enrolled)), status=201)
    stored = SymptomReport.objects.get(pk=created["id"])
    assert (stored.pain, stored.nausea, stored.completed_by) == (8, 2, "patient")
    assert Alert.objects.filter(patient=enrolled, report=stored).exists()  # pain 8 is severe
    checkin = Occurrence.objects.get(patient=enrolled, kind="checkin", state="scheduled")
    assert checkin.due_date.isoformat() <= "2026-03-21"  # a check-in by tomorrow at the latest


def test_a_report_with_a_score_out_of_range_is_400_naming_the_item(as_nina, enrolled):
    outcome = fhir(post(as_nina, "QuestionnaireResponse", report(enrolled, pain=11)), status=400)
    assert outcome["issue"][0]["expression"] == ["QuestionnaireResponse.item.where(linkId='pain')"]
    assert not SymptomReport.objects.exists()


def test_a_report_about_another_clinics_patient_is_404(as_noah, enrolled):
    outcome = fhir(post(as_noah, "QuestionnaireResponse", report(enrolled)), status=404)
    assert outcome["issue"][0]["code"] == "not-found"
    assert not SymptomReport.objects.exists()


# --- Transaction ----------------------------------------------------------------------------------


def test_a_transaction_creates_a_patient_and_their_report_together(as_nina, riverside):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:0c9a3f4e-1d52-4d2b-9a39-5f6b2f0a0b11", "resource": jose(riverside),
         "request": {"method": "POST", "url": "Patient"}},
        {"resource": {**report(Patient(pk=0)), "subject": {"reference": "urn:uuid:0c9a3f4e-1d52-4d2b-9a39-5f6b2f0a0b11"},
                      "source": {"reference": "urn:uuid:0c9a3f4e-1d52-4d2b-9a39-5f6b2f0a0b11"}},
         "request": {"method": "POST", "url": "QuestionnaireResponse"}},
    ]}
    reply = fhir(post(as_nina, "", bundle))
    assert reply["type"] == "transaction-response"
    assert [entry["response"]["status"] for entry in reply["entry"]] == ["201 Created", "201 Created"]
    patient = Patient.objects.get(mrn="RV-2040")
    assert SymptomReport.objects.get().patient == patient


def test_a_transaction_with_one_bad_entry_changes_nothing(as_nina, riverside):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": jose(riverside), "request": {"method": "POST", "url": "Patient"}},
        {"resource": jose(riverside, identifier=[{"system": mrn_system(riverside), "value": "RV-2041"}], birthDate="2031-01-01"),
         "request": {"method": "POST", "url": "Patient"}},
    ]}
    outcome = fhir(post(as_nina, "", bundle), status=400)
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[1].Patient.birthDate"]
    assert not Patient.objects.filter(mrn__in=["RV-2040", "RV-2041"]).exists()


def test_the_capability_statement_lists_the_writes(client):
    statement = client.get("/fhir/R4/metadata").json()
    by_type = {resource["type"]: resource for resource in statement["rest"][0]["resource"]}
    assert {i["code"] for i in by_type["Patient"]["interaction"]} >= {"create", "update"}
    assert by_type["Patient"]["conditionalCreate"] is True and by_type["Patient"]["conditionalUpdate"] is True
    assert "create" in {i["code"] for i in by_type["QuestionnaireResponse"]["interaction"]}
    assert "update" in {i["code"] for i in by_type["Appointment"]["interaction"]}
    assert "create" not in {i["code"] for i in by_type["Procedure"]["interaction"]}
    assert statement["rest"][0]["interaction"][0]["code"] == "transaction"
