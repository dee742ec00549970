"""A symptom report from another system as FHIR Observations: one ESAS-r item, or the LOINC ESAS panel
with one component per item. Either is one report through the same service as the pages (the alert
rules run), errors are OperationOutcomes naming the element, another clinic's patient is a 404, and a
transaction Bundle may carry it.

The cast: Alice Archer, Nina's patient at Riverside, enrolled on 2 March; the hospice's record system
posts through Nina's token on Friday 20 March 2026, 11:00 in New York. Carmen is Hillcrest's.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class

from followup import services
from followup.fhir import terminology
from followup.models import Alert, Occurrence, Patient, SymptomReport
from tests.conftest import make_patient

SITE = "https://followup.example.org"
NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
PANEL = {"system": "http://loinc.org", "code": "112503-8", "display": "Edmonton Symptom Assessment System"}


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = SITE


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alice(riverside, nina):
    with time_machine.travel(NOW - timedelta(days=18), tick=False):
        patient = make_patient(riverside, "RV-1001", "Alice", "Archer", mobile="+12025550101", nurse=nina)
        services.enrol(patient)
    return patient


def fhir(response, status=200):
    assert response.status_code == status, response.content
    body = response.json()
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


def esas(item, text=None):
    concept = {"coding": [{"system": f"{SITE}/fhir/R4/CodeSystem/esas-r", "code": item}]}
    if text:
        concept["text"] = text
    return concept


def one_item(patient, item="pain", score=8, **extra):
    return {"resourceType": "Observation", "status": "final", "code": esas(item), "subject": {"reference": f"Patient/{patient.pk}"},
            "effectiveDateTime": "2026-03-20T14:30:00Z", "performer": [{"reference": f"Patient/{patient.pk}"}],
            "valueInteger": score, **extra}


def panel(patient, *components, **extra):
    return {"resourceType": "Observation", "status": "final", "code": {"coding": [PANEL]},
            "subject": {"reference": f"Patient/{patient.pk}"}, "effectiveDateTime": "2026-03-20T14:30:00Z",
            "component": [{"code": esas(item, text), "valueInteger": score} for item, score, text in components], **extra}


def post(client, body, path="Observation"):
    return client.post(f"/fhir/R4/{path}", body, format="json")


# --- One item -------------------------------------------------------------------------------------


def test_one_items_observation_is_a_report_scoring_that_item_and_runs_the_alert_rules(as_nina, alice):
    response = post(as_nina, one_item(alice, "pain", 8))
    created = fhir(response, status=201)
    report = SymptomReport.objects.get(patient=alice)
    assert created["id"] == f"symptom-report-{report.pk}-pain"
    assert response["Location"] == f"{SITE}/fhir/R4/Observation/symptom-report-{report.pk}-pain/_history/1"
    assert (created["valueInteger"], created["derivedFrom"]) == (8, [{"reference": f"QuestionnaireResponse/{report.pk}"}])
    assert report.scores() == {**dict.fromkeys(report.scores()), "pain": 8}
    assert (report.source, report.completed_by, report.reported_at) == ("system", "patient", datetime(2026, 3, 20, 14, 30, tzinfo=UTC))
    alert = Alert.objects.get(report=report)
    assert alert.severe and alert.acknowledged_at is None
    checkin = Occurrence.objects.get(patient=alice, kind="checkin", state="scheduled")
    assert checkin.due_date.isoformat() <= "2026-03-21"  # a severe item brings the check-in forward


def test_the_created_observation_reads_back_at_its_location(as_nina, alice):
    response = post(as_nina, one_item(alice, "nausea", 4))
    created = fhir(response, status=201)
    location = response["Location"].removeprefix(SITE)
    assert fhir(as_nina.get(location)) == created
    assert fhir(as_nina.get(f"/fhir/R4/Observation/{created['id']}"))["meta"]["versionId"] == "1"


def test_a_whole_number_quantity_is_taken_as_the_score(as_nina, alice):
    body = one_item(alice, "tiredness", None)
    del body["valueInteger"]
    body["valueQuantity"] = {"value": 6.0, "unit": "{score}", "system": "http://unitsofmeasure.org", "code": "{score}"}
    fhir(post(as_nina, body), status=201)
    assert SymptomReport.objects.get(patient=alice).tiredness == 6


# --- The ESAS panel -------------------------------------------------------------------------------


def test_a_panel_with_components_is_one_report_with_one_alert(as_nina, alice):
    body = panel(alice, ("pain", 3, None), ("nausea", 7, None), ("other_problem", 5, "Other problem: itching"))
    body["component"][2]["code"]["coding"][0]["code"] = "other-problem"
    response = post(as_nina, body)
    created = fhir(response, status=201)
    report = SymptomReport.objects.get(patient=alice)
    assert created["id"] == f"symptom-report-{report.pk}-panel"
    assert created["code"]["coding"] == [PANEL]
    assert [(c["code"]["coding"][0]["code"], c["valueInteger"]) for c in created["component"]] == [
        ("pain", 3), ("nausea", 7), ("other-problem", 5)]
    assert (report.pain, report.nausea, report.other_problem, report.other_problem_name) == (3, 7, 5, "itching")
    assert report.completed_by == "professional"  # no performer: a professional's record
    alert = Alert.objects.get()
    assert sorted(alert.items.values_list("item", flat=True)) == ["nausea", "other_problem"]


def test_the_same_item_twice_in_a_panel_is_a_400_naming_the_component(as_nina, alice):
    outcome = fhir(post(as_nina, panel(alice, ("pain", 3, None), ("pain", 4, None))), status=400)
    assert outcome["issue"][0]["expression"] == ["Observation.component[1].code"]
    assert not SymptomReport.objects.exists()


# --- Never taken for a nurse's own call -----------------------------------------------------------


def test_a_severe_report_from_a_professionals_system_stays_open_for_the_team(as_nina, nina, alice):
    fhir(post(as_nina, one_item(alice, "shortness-of-breath", 9, performer=[{"reference": f"Practitioner/{nina.pk}"}])),
         status=201)
    response = {"resourceType": "QuestionnaireResponse", "status": "completed", "subject": {"reference": f"Patient/{alice.pk}"},
                "source": {"reference": f"Practitioner/{nina.pk}"}, "item": [{"linkId": "pain", "answer": [{"valueInteger": 9}]}]}
    fhir(post(as_nina, response, "QuestionnaireResponse"), status=201)
    reports = SymptomReport.objects.filter(patient=alice)
    assert {(r.completed_by, r.source) for r in reports} == {("professional", "system")}
    assert [alert.acknowledged_at for alert in Alert.objects.filter(patient=alice)] == [None, None]


# --- Refusals name the element ---------------------------------------------------------------------


def _without(body, key):
    return {name: value for name, value in body.items() if name != key}


@pytest.mark.parametrize(("change", "expression"), [
    (lambda body, p: {**body, "valueInteger": 11}, "Observation.valueInteger"),
    (lambda body, p: {**body, "valueInteger": "8"}, "Observation.valueInteger"),
    (lambda body, p: _without(body, "valueInteger"), "Observation.value[x]"),
    (lambda body, p: {**body, "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]}}, "Observation.code"),
    (lambda body, p: {**body, "status": "preliminary"}, "Observation.status"),
    (lambda body, p: {**body, "effectiveDateTime": "2026-03-21T09:00:00Z"}, "Observation.effectiveDateTime"),
    (lambda body, p: _without(body, "subject"), "Observation.subject"),
    (lambda body, p: {**body, "code": esas("other-problem", "Other problem")}, "Observation.code.text"),
    (lambda body, p: panel(p, ("pain", 3, None), ("nausea", 12, None)), "Observation.component[1].valueInteger"),
    (lambda body, p: panel(p), "Observation.component"),
    (lambda body, p: panel(p, ("itch", 3, None)), "Observation.component[0].code"),
])
def test_a_refused_observation_names_the_element_and_stores_nothing(as_nina, alice, change, expression):
    outcome = fhir(post(as_nina, change(one_item(alice), alice)), status=400)
    assert [issue["expression"] for issue in outcome["issue"]] == [[expression]]
    assert outcome["issue"][0]["diagnostics"]
    assert not SymptomReport.objects.exists()


def test_an_observation_about_another_clinics_patient_is_a_404_outcome(as_nina, hillcrest, noah, alice):
    carmen = make_patient(hillcrest, "HC-2001", "Carmen", "Cruz", mobile="+12025550151", nurse=noah)
    outcome = fhir(post(as_nina, one_item(carmen)), status=404)
    assert outcome["issue"][0]["code"] == "not-found"
    assert not SymptomReport.objects.exists()


# --- In a transaction -----------------------------------------------------------------------------

JOSE = "urn:uuid:0c9a3f4e-1d52-4d2b-9a39-5f6b2f0a0b11"


def jose(clinic):
    return {"resourceType": "Patient", "identifier": [{"system": f"{SITE}/fhir/sid/clinic/{clinic.pk}/mrn", "value": "RV-2040"}],
            "name": [{"family": "Núñez", "given": ["José"]}], "birthDate": "1948-07-14",
            "telecom": [{"system": "phone", "value": "+12025550140", "use": "mobile", "rank": 1}]}


def test_a_transaction_enrols_a_patient_and_records_their_panel_together(as_nina, riverside):
    scores = panel(Patient(pk=0), ("pain", 4, None), ("anxiety", 2, None))
    scores["subject"] = {"reference": JOSE}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": JOSE, "resource": jose(riverside), "request": {"method": "POST", "url": "Patient"}},
        {"resource": scores, "request": {"method": "POST", "url": "Observation"}},
    ]}
    reply = fhir(post(as_nina, bundle, ""))
    assert [entry["response"]["status"] for entry in reply["entry"]] == ["201 Created", "201 Created"]
    report = SymptomReport.objects.get()
    assert report.patient == Patient.objects.get(mrn="RV-2040") and (report.pain, report.anxiety) == (4, 2)
    assert reply["entry"][1]["resource"]["id"] == f"symptom-report-{report.pk}-panel"


def test_a_transaction_whose_observation_is_refused_enrols_nobody(as_nina, riverside):
    scores = panel(Patient(pk=0), ("pain", 14, None))
    scores["subject"] = {"reference": JOSE}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": JOSE, "resource": jose(riverside), "request": {"method": "POST", "url": "Patient"}},
        {"resource": scores, "request": {"method": "POST", "url": "Observation"}},
    ]}
    outcome = fhir(post(as_nina, bundle, ""), status=400)
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[1].Observation.component[0].valueInteger"]
    assert not Patient.objects.filter(mrn="RV-2040").exists() and not SymptomReport.objects.exists()


# --- The CapabilityStatement says so ---------------------------------------------------------------


def test_the_capability_statement_lists_observation_create_and_what_it_takes(client):
    statement = fhir(client.get("/fhir/R4/metadata"))
    by_type = {resource["type"]: resource for resource in statement["rest"][0]["resource"]}
    create = next(i for i in by_type["Observation"]["interaction"] if i["code"] == "create")
    assert "112503-8" in create["documentation"] and "valueInteger" in create["documentation"]
    assert "update" not in {i["code"] for i in by_type["Observation"]["interaction"]}
    assert "Observation" in statement["rest"][0]["interaction"][0]["documentation"]
    assert terminology.ESAS_PANEL["code"] == PANEL["code"]


def test_an_observation_cannot_be_updated(as_nina, alice):
    created = fhir(post(as_nina, one_item(alice)), status=201)
    response = as_nina.put(f"/fhir/R4/Observation/{created['id']}", {**created, "valueInteger": 2}, format="json")
    assert fhir(response, status=405)["issue"][0]["code"] == "not-supported"
    assert SymptomReport.objects.get().pain == 8
