"""Portable terminology: SNOMED CT for a drainage and a check-in call, the LOINC ESAS panel on the ESAS-r
Questionnaire, Followup's own code systems served at the URLs the codings name, identifier systems from
settings per clinic, and the clinic and its staff served as Organization and Practitioner."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from fhir.resources.R4B import get_fhir_model_class

from config.settings import env_id_map
from followup import services
from followup.fhir import terminology
from tests.conftest import at

SITE = "https://followup.example.org"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = SITE
    settings.FHIR_TERMINOLOGY_BASE = ""
    settings.FHIR_MRN_SYSTEMS = {}


def fhir(response, status=200):
    assert response.status_code == status, response.content
    body = response.json()
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


@pytest.fixture
def enrolled(alice, nina):
    with time_machine.travel(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), tick=False):
        services.enrol(alice)
    with time_machine.travel(datetime(2026, 3, 20, 15, 0, tzinfo=UTC), tick=False):
        procedure = services.record_procedure(alice, performed_at=at("2026-03-20 14:00"), volume_ml=4500, performed_by=nina)
        report = services.record_symptom_report(alice, scores={"pain": 6}, completed_by="patient", source="nurse_call",
                                                recorded_by=nina)
    return {"procedure": procedure, "report": report}


def codings(concept):
    return {(coding["system"], coding["code"]) for coding in concept["coding"]}


def test_a_drainage_is_coded_percutaneous_drainage_of_ascites_beside_the_local_code(as_nina, enrolled):
    procedure = fhir(as_nina.get(f"/fhir/R4/Procedure/{enrolled['procedure'].pk}"))
    assert codings(procedure["code"]) == {(f"{SITE}/fhir/R4/CodeSystem/care-kind", "paracentesis"),
                                          ("http://snomed.info/sct", "178012008")}


def test_a_check_in_call_is_coded_telephone_encounter(as_nina, alice, enrolled):
    checkin = alice.occurrences.filter(kind="checkin").first()
    appointment = fhir(as_nina.get(f"/fhir/R4/Appointment/{checkin.pk}"))
    assert ("http://snomed.info/sct", "185317003") in codings(appointment["serviceType"][0])


def test_the_questionnaire_a_response_names_is_served_and_coded_with_the_loinc_esas_panel(as_nina, client, enrolled):
    response = fhir(as_nina.get(f"/fhir/R4/QuestionnaireResponse/{enrolled['report'].pk}"))
    assert response["questionnaire"] == f"{SITE}/fhir/R4/Questionnaire/esas-r"
    questionnaire = fhir(client.get(response["questionnaire"].removeprefix(SITE)))  # no sign-in needed
    assert questionnaire["url"] == response["questionnaire"]
    assert questionnaire["code"] == [{"system": "http://loinc.org", "code": "112503-8", "display": "Edmonton Symptom Assessment System"}]
    assert {item["linkId"] for item in questionnaire["item"]} >= {answer["linkId"] for answer in response["item"]}


def test_every_local_coding_names_a_code_system_served_at_that_url(as_nina, client, alice, enrolled):
    local = set()
    for path in (f"Procedure/{enrolled['procedure'].pk}", f"Observation/symptom-report-{enrolled['report'].pk}-pain",
                 f"Observation/procedure-{enrolled['procedure'].pk}-volume", f"Appointment/{alice.occurrences.first().pk}",
                 f"CarePlan/{alice.schedules.first().pk}"):
        body = str(as_nina.get(f"/fhir/R4/{path}").json())
        local |= {part.split("'")[0] for part in body.split(f"{SITE}/fhir/R4/CodeSystem/")[1:]}
    assert local >= {"care-kind", "esas-r", "esas-r-severity", "observation"}
    for name in local:
        system = fhir(client.get(f"/fhir/R4/CodeSystem/{name}"))
        assert system["url"] == f"{SITE}/fhir/R4/CodeSystem/{name}"
    esas = fhir(client.get("/fhir/R4/CodeSystem/esas-r"))
    assert {concept["code"] for concept in esas["concept"]} >= {"pain", "lack-of-appetite", "other-problem"}
    fhir(client.get("/fhir/R4/CodeSystem/unknown"), status=404)


def test_code_systems_stay_where_settings_put_them_when_site_url_changes(as_nina, settings, enrolled):
    settings.FHIR_TERMINOLOGY_BASE = "https://terminology.riverside.example.org/fhir"
    settings.SITE_URL = "https://followup-new.example.org"
    observation = as_nina.get(f"/fhir/R4/Observation/symptom-report-{enrolled['report'].pk}-pain").json()
    assert observation["code"]["coding"][0]["system"] == "https://terminology.riverside.example.org/fhir/CodeSystem/esas-r"


def test_each_clinic_can_have_its_own_mrn_system(as_nina, settings, alice, riverside, hillcrest):
    settings.FHIR_MRN_SYSTEMS = {riverside.pk: "urn:oid:2.16.840.1.113883.19.5"}
    patient = fhir(as_nina.get(f"/fhir/R4/Patient/{alice.pk}"))
    assert patient["identifier"][0]["system"] == "urn:oid:2.16.840.1.113883.19.5"
    found = fhir(as_nina.get("/fhir/R4/Patient", {"identifier": "urn:oid:2.16.840.1.113883.19.5|RV-1001"}))
    assert [entry["resource"]["id"] for entry in found["entry"]] == [str(alice.pk)]
    # The old default system no longer names Riverside; Hillcrest, not configured, keeps its default.
    assert fhir(as_nina.get("/fhir/R4/Patient", {"identifier": f"{SITE}/fhir/sid/clinic/{riverside.pk}/mrn|RV-1001"}))["total"] == 0
    assert terminology.mrn_system(hillcrest.pk) == f"{SITE}/fhir/sid/clinic/{hillcrest.pk}/mrn"


def test_a_clinics_own_mrn_system_is_kept_when_site_url_moves_and_writes_go_by_it(as_nina, settings, riverside):
    oid = "urn:oid:2.16.840.1.113883.19.5"
    settings.FHIR_MRN_SYSTEMS = {riverside.pk: oid}
    jose = {"resourceType": "Patient", "identifier": [{"system": oid, "value": "RV-2040"}],
            "name": [{"family": "Núñez", "given": ["José"]}], "birthDate": "1948-07-14"}
    created = fhir(as_nina.post("/fhir/R4/Patient", jose, format="json", HTTP_IF_NONE_EXIST=f"identifier={oid}|RV-2040"), status=201)
    assert created["identifier"][0]["system"] == oid
    settings.SITE_URL = "https://followup-new.example.org"
    again = as_nina.post("/fhir/R4/Patient", jose, format="json", HTTP_IF_NONE_EXIST=f"identifier={oid}|RV-2040")
    assert again.status_code == 200 and again.json()["id"] == created["id"]
    assert again.json()["identifier"][0]["system"] == oid
    # Named by the default system, which no longer names Riverside, the MRN is refused (nothing enrolled twice).
    stale = {**jose, "identifier": [{"system": f"{SITE}/fhir/sid/clinic/{riverside.pk}/mrn", "value": "RV-2041"}]}
    outcome = fhir(as_nina.post("/fhir/R4/Patient", stale, format="json"), status=400)
    assert outcome["issue"][0]["expression"] == ["Patient.identifier"]


def test_mrn_systems_setting_refuses_a_malformed_pair(monkeypatch):
    monkeypatch.setenv("FHIR_MRN_SYSTEMS", "1=urn:oid:2.16.840.1.113883.19.5,riverside")
    with pytest.raises(ImproperlyConfigured, match="FHIR_MRN_SYSTEMS"):
        env_id_map("FHIR_MRN_SYSTEMS")
    monkeypatch.setenv("FHIR_MRN_SYSTEMS", "1=urn:oid:2.16.840.1.113883.19.5, 2=https://mrn.example.org")
    assert env_id_map("FHIR_MRN_SYSTEMS") == {1: "urn:oid:2.16.840.1.113883.19.5", 2: "https://mrn.example.org"}


def test_a_patient_references_their_clinic_and_nurse_and_both_read(as_nina, alice, nina, riverside):
    patient = fhir(as_nina.get(f"/fhir/R4/Patient/{alice.pk}"))
    assert patient["managingOrganization"] == {"reference": f"Organization/{riverside.pk}", "display": "Riverside Palliative Care"}
    assert patient["generalPractitioner"] == [{"reference": f"Practitioner/{nina.pk}"}]
    organization = fhir(as_nina.get(f"/fhir/R4/{patient['managingOrganization']['reference']}"))
    assert (organization["name"], organization["telecom"][0]["value"]) == ("Riverside Palliative Care", "+12025550100")
    practitioner = fhir(as_nina.get(f"/fhir/R4/{patient['generalPractitioner'][0]['reference']}"))
    assert practitioner["name"] == [{"text": "Nina", "given": ["Nina"]}]
    assert "telecom" not in practitioner  # staff e-mail stays out
    assert practitioner["meta"]["versionId"]


def test_the_performer_of_a_drainage_is_a_practitioner_reference(as_nina, nina, enrolled):
    procedure = fhir(as_nina.get(f"/fhir/R4/Procedure/{enrolled['procedure'].pk}"))
    assert procedure["performer"][0]["actor"]["reference"] == f"Practitioner/{nina.pk}"


def test_another_clinics_organization_and_staff_are_404(as_nina, hillcrest, noah, leo):
    fhir(as_nina.get(f"/fhir/R4/Organization/{hillcrest.pk}"), status=404)
    fhir(as_nina.get(f"/fhir/R4/Practitioner/{noah.pk}"), status=404)
    staff = fhir(as_nina.get("/fhir/R4/Practitioner"))
    assert {entry["resource"]["name"][0]["text"] for entry in staff["entry"]} == {"Nina", "Leo"}
    assert fhir(as_nina.get("/fhir/R4/Organization", {"name": "river"}))["total"] == 1


def test_a_practitioner_version_moves_when_their_name_changes(as_nina, nina):
    before = as_nina.get(f"/fhir/R4/Practitioner/{nina.pk}")
    nina.last_name = "O'Neill"
    nina.save()
    after = as_nina.get(f"/fhir/R4/Practitioner/{nina.pk}", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert after.json()["name"][0]["family"] == "O'Neill"
