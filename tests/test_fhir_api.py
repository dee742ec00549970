"""FHIR R4 endpoints: read and search with the REST API's authentication and scoping; Bundles for
searches, OperationOutcomes for errors, all `application/fhir+json` and valid R4 (fhir.resources R4B)."""

from datetime import UTC, datetime

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class
from rest_framework.test import APIClient

from followup import services
from followup.models import AccessLog
from tests.conftest import PASSWORD, at, make_patient

SITE = "https://followup.example.org"


def valid(resource):
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def fhir(response, status=200):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/fhir+json"
    return valid(response.json())


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def history(alice, dora, nina):
    """Alice enrolled in March, one drainage of 4.5 L, one symptom report, one reminder sent."""
    with time_machine.travel(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), tick=False):
        services.enrol(alice)
    with time_machine.travel(datetime(2026, 3, 20, 15, 0, tzinfo=UTC), tick=False):
        procedure = services.record_procedure(alice, performed_at=at("2026-03-20 14:00"), volume_ml=4500, performed_by=nina)
        report = services.record_symptom_report(alice, scores={"pain": 6, "tiredness": 3}, completed_by="patient", source="web")
    reminder = alice.reminders.filter(occurrence__state="scheduled").first()
    for state in ("queued", "sending"):
        reminder.move(state)
    reminder.move("sent", sent_at=at("2026-04-09 22:00"))
    return {"procedure": procedure, "report": report, "reminder": reminder}


# --- Reading ------------------------------------------------------------------------------------


def test_read_patient(as_nina, alice):
    resource = fhir(as_nina.get(f"/fhir/R4/Patient/{alice.pk}"))
    assert (resource["resourceType"], resource["id"]) == ("Patient", str(alice.pk))
    assert resource["identifier"][0]["value"] == "RV-1001"


def test_the_same_id_as_the_rest_api(as_nina, history):
    procedure_id = history["procedure"].pk
    assert as_nina.get(f"/api/v1/procedures/{procedure_id}/").json()["id"] == procedure_id
    assert fhir(as_nina.get(f"/fhir/R4/Procedure/{procedure_id}"))["id"] == str(procedure_id)


@pytest.mark.parametrize("path", ["Patient/{alice}", "RelatedPerson/{dora}", "CarePlan/{schedule}", "Appointment/{occurrence}",
                                  "Procedure/{procedure}", "Observation/procedure-{procedure}-volume",
                                  "QuestionnaireResponse/{report}", "Observation/symptom-report-{report}-pain",
                                  "Communication/{reminder}"])
def test_every_type_reads_by_id_and_hides_from_another_clinic(as_nina, as_noah, alice, dora, history, path):
    ids = {"alice": alice.pk, "dora": dora.pk, "schedule": alice.schedules.first().pk,
           "occurrence": alice.occurrences.first().pk, "procedure": history["procedure"].pk,
           "report": history["report"].pk, "reminder": history["reminder"].pk}
    url = "/fhir/R4/" + path.format(**ids)
    resource = fhir(as_nina.get(url))
    assert resource["resourceType"] == path.split("/")[0]
    outcome = fhir(as_noah.get(url), status=404)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "not-found"


def test_reads_and_searches_are_in_the_access_log(as_nina, nina, alice, history):
    as_nina.get(f"/fhir/R4/Procedure/{history['procedure'].pk}")
    as_nina.get("/fhir/R4/Observation", {"patient": alice.pk})
    entries = AccessLog.objects.filter(what__startswith="FHIR").order_by("pk")
    assert [(entry.what, entry.patient_id, entry.user_id) for entry in entries] == [
        ("FHIR read Procedure", alice.pk, nina.pk), ("FHIR search Observation", alice.pk, nina.pk)]


def test_a_reminder_not_yet_sent_is_no_communication(as_nina, history, alice):
    planned = alice.reminders.filter(state="planned").first()
    fhir(as_nina.get(f"/fhir/R4/Communication/{planned.pk}"), status=404)


@pytest.mark.parametrize("path", ["Patient/abc", "Patient/0", "Patient/99999999999999999999999", "Observation/procedure-1-weight",
                                  "Observation/symptom-report-1-hunger", "Observation/12"])
def test_unknown_ids_are_404_outcomes(as_nina, alice, path):
    fhir(as_nina.get(f"/fhir/R4/{path}"), status=404)


def test_unknown_resource_type_is_404(as_nina, alice):
    outcome = fhir(as_nina.get("/fhir/R4/Encounter/1"), status=404)
    assert "Encounter" in outcome["issue"][0]["diagnostics"]
    fhir(as_nina.get("/fhir/R4/Encounter"), status=404)


def test_unauthenticated_is_401_outcome(alice):
    response = APIClient().get(f"/fhir/R4/Patient/{alice.pk}")
    outcome = fhir(response, status=401)
    assert outcome["issue"][0]["code"] == "login"
    assert response["WWW-Authenticate"] == "Token"


def test_session_sign_in_reads_fhir(client, nina, alice):
    client.login(username="nina", password=PASSWORD)
    fhir(client.get(f"/fhir/R4/Patient/{alice.pk}"))


def test_writes_other_than_those_listed_are_not_supported(as_nina, alice):
    outcome = fhir(as_nina.post("/fhir/R4/Procedure", {"resourceType": "Procedure"}, format="json"), status=405)
    assert outcome["issue"][0]["code"] == "not-supported"
    fhir(as_nina.delete(f"/fhir/R4/Patient/{alice.pk}"), status=405)


def test_json_is_served_whatever_accept_says(as_nina, alice):
    fhir(as_nina.get(f"/fhir/R4/Patient/{alice.pk}", HTTP_ACCEPT="application/xml"))
    fhir(as_nina.get(f"/fhir/R4/Patient/{alice.pk}", {"_format": "xml"}), status=406)


# --- Searching ----------------------------------------------------------------------------------


def test_search_by_patient_returns_a_searchset_bundle(as_nina, alice, history):
    bundle = fhir(as_nina.get("/fhir/R4/Appointment", {"patient": alice.pk}))
    assert (bundle["type"], bundle["total"]) == ("searchset", alice.occurrences.count())
    first = bundle["entry"][0]
    assert first["fullUrl"] == f"{SITE}/fhir/R4/Appointment/{first['resource']['id']}"
    assert first["search"] == {"mode": "match"}
    assert {entry["resource"]["resourceType"] for entry in bundle["entry"]} == {"Appointment"}


def test_patient_may_be_given_as_a_reference(as_nina, alice, history):
    bundle = fhir(as_nina.get("/fhir/R4/Procedure", {"patient": f"Patient/{alice.pk}"}))
    assert [entry["resource"]["id"] for entry in bundle["entry"]] == [str(history["procedure"].pk)]


def test_observations_of_a_patient_are_volumes_and_symptom_items(as_nina, alice, history):
    bundle = fhir(as_nina.get("/fhir/R4/Observation", {"patient": alice.pk}))
    ids = {entry["resource"]["id"] for entry in bundle["entry"]}
    report = history["report"].pk
    assert ids == {f"procedure-{history['procedure'].pk}-volume", f"symptom-report-{report}-pain", f"symptom-report-{report}-tiredness",
                   f"symptom-report-{report}-panel"}
    assert bundle["total"] == 4


@pytest.mark.parametrize("resource_type", ["Patient", "RelatedPerson", "CarePlan", "Appointment", "Procedure",
                                           "QuestionnaireResponse", "Communication"])
def test_every_type_searches_in_the_callers_clinics_only(as_nina, as_noah, history, carmen, resource_type):
    bundle = fhir(as_nina.get(f"/fhir/R4/{resource_type}"))
    assert bundle["total"] >= 1
    assert all(entry["resource"]["resourceType"] == resource_type for entry in bundle["entry"])
    assert str(carmen.pk) not in {entry["resource"]["id"] for entry in bundle["entry"] if resource_type == "Patient"}
    other = fhir(as_noah.get(f"/fhir/R4/{resource_type}"))
    assert other["total"] == (1 if resource_type == "Patient" else 0)


def test_another_clinics_patient_searches_to_an_empty_bundle(as_noah, alice, history):
    bundle = fhir(as_noah.get("/fhir/R4/Observation", {"patient": alice.pk}))
    assert (bundle["total"], bundle.get("entry", [])) == (0, [])


def test_patient_search_by_id_and_mrn(as_nina, alice, bob):
    assert [e["resource"]["id"] for e in fhir(as_nina.get("/fhir/R4/Patient", {"_id": bob.pk}))["entry"]] == [str(bob.pk)]
    by_mrn = fhir(as_nina.get("/fhir/R4/Patient", {"identifier": f"{SITE}/fhir/sid/clinic/{alice.clinic_id}/mrn|RV-1001"}))
    assert [e["resource"]["id"] for e in by_mrn["entry"]] == [str(alice.pk)]
    assert fhir(as_nina.get("/fhir/R4/Patient", {"identifier": "https://elsewhere.example.org/mrn|RV-1001"}))["total"] == 0


def test_search_pages_with_next_links(as_nina, alice, history):
    total = alice.occurrences.count()
    first = fhir(as_nina.get("/fhir/R4/Appointment", {"patient": alice.pk, "_count": 1}))
    assert (first["total"], len(first["entry"])) == (total, 1)
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = fhir(as_nina.get(next_url.removeprefix(SITE)))
    assert second["entry"][0]["resource"]["id"] != first["entry"][0]["resource"]["id"]


@pytest.mark.parametrize(("resource_type", "params"), [
    ("Appointment", {"patient": "alice"}),
    ("Appointment", {"status": "arrived"}),
    ("Appointment", {"status": ""}),
    ("Appointment", {"date": "2026-13-01"}),
    ("Appointment", {"date": "ap2026-03-01"}),
    ("Appointment", {"_sort": "family"}),
    ("Appointment", {"_include": "Appointment:practitioner"}),
    ("Appointment", {"_revinclude": "Observation:patient"}),
    ("Appointment", {"_summary": "text"}),
    ("Appointment", {"_total": "some"}),
    ("Appointment", {"_elements": "status;start"}),
    ("Observation", {"patient": "1", "code": ""}),
    ("Patient", {"_lastUpdated": "yesterday"}),
    ("Appointment", {"_count": "0"}),
    ("Appointment", {"_count": "5000"}),
    ("Appointment", {"_page": "-1"}),
    ("Observation", {}),
    ("Patient", {"patient": "1"}),
])
def test_bad_search_parameters_are_400_outcomes(as_nina, alice, resource_type, params):
    outcome = fhir(as_nina.get(f"/fhir/R4/{resource_type}", params), status=400)
    assert outcome["issue"][0]["code"] == "invalid"


def test_capability_statement_is_public_and_valid(client):
    statement = fhir(client.get("/fhir/R4/metadata"))
    served = {resource["type"] for resource in statement["rest"][0]["resource"]}
    assert served == {"Patient", "RelatedPerson", "CarePlan", "Appointment", "Procedure", "Observation",
                      "QuestionnaireResponse", "Communication", "Organization", "Practitioner", "CodeSystem", "Questionnaire"}


def test_search_does_not_query_per_row(as_nina, riverside, history, django_assert_max_num_queries):
    for n in range(5):
        services.enrol(make_patient(riverside, f"RV-20{n}", "Pat", f"Page{n}", mobile=f"+120255501{20 + n}"))
    for resource_type in ("Patient", "CarePlan", "Appointment", "Procedure", "QuestionnaireResponse"):
        with django_assert_max_num_queries(8):
            bundle = fhir(as_nina.get(f"/fhir/R4/{resource_type}"))
        assert bundle["total"] >= 1
