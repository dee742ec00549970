"""FHIR searches clients expect: `date` and `status` on Appointment, `code` and `date` on Observation,
`_lastUpdated` everywhere, `_sort`, `_include=Appointment:patient`, `_revinclude=Observation:patient`,
`_summary=count`, `_total`, `_elements`; and a CapabilityStatement that lists exactly what is accepted.

The cast: Alice (enrolled 2 March, a drainage and two symptom reports), Bob (enrolled 4 March), both
Nina's at Riverside; Carmen at Hillcrest, whom Nina never sees.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class

from followup import services
from followup.fhir import catalogue, resources, terminology
from tests.conftest import at, make_patient

SITE = "https://followup.example.org"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = SITE


def fhir(response, status=200):
    assert response.status_code == status, response.content
    body = response.json()
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


def ids(bundle, mode="match"):
    return [entry["resource"]["id"] for entry in bundle.get("entry", []) if entry["search"]["mode"] == mode]


@pytest.fixture
def cast(riverside, hillcrest, nina, noah):
    with time_machine.travel(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), tick=False):
        alice = make_patient(riverside, "RV-1001", "Alice", "Archer", mobile="+12025550101", nurse=nina)
        services.enrol(alice)
    with time_machine.travel(datetime(2026, 3, 4, 14, 0, tzinfo=UTC), tick=False):
        bob = make_patient(riverside, "RV-1002", "Bob", "Baker", email="bob@example.org", preferred_channel="email", nurse=nina)
        services.enrol(bob)
        carmen = make_patient(hillcrest, "HC-2001", "Carmen", "Cruz", mobile="+12025550151", nurse=noah)
        services.enrol(carmen)
    with time_machine.travel(datetime(2026, 3, 20, 15, 0, tzinfo=UTC), tick=False):
        procedure = services.record_procedure(alice, performed_at=at("2026-03-20 14:00"), volume_ml=4500, performed_by=nina)
        first = services.record_symptom_report(alice, scores={"pain": 6, "tiredness": 3}, completed_by="patient", source="web")
    with time_machine.travel(datetime(2026, 3, 27, 15, 0, tzinfo=UTC), tick=False):
        second = services.record_symptom_report(alice, scores={"pain": 4}, completed_by="patient", source="web")
    return {"alice": alice, "bob": bob, "carmen": carmen, "procedure": procedure, "first": first, "second": second}


# --- Appointment: date and status --------------------------------------------------------------


def test_appointments_by_date_range(as_nina, cast):
    bundle = fhir(as_nina.get("/fhir/R4/Appointment?date=ge2026-04-01&date=lt2026-05-01"))
    starts = [entry["resource"]["start"] for entry in bundle["entry"]]
    assert starts and all("2026-04" in start for start in starts)
    day = fhir(as_nina.get("/fhir/R4/Appointment", {"date": "2026-03-25", "patient": cast["bob"].pk}))
    assert [entry["resource"]["start"] for entry in day["entry"]] == ["2026-03-25T13:00:00Z"]


def test_appointments_by_status(as_nina, cast):
    fulfilled = fhir(as_nina.get("/fhir/R4/Appointment", {"status": "fulfilled"}))
    assert ids(fulfilled) == [str(cast["procedure"].occurrence_id)]
    either = fhir(as_nina.get("/fhir/R4/Appointment", {"status": "fulfilled,booked"}))
    assert {entry["resource"]["status"] for entry in either["entry"]} == {"fulfilled", "booked"}


def test_an_unknown_status_names_the_values_accepted(as_nina, cast):
    outcome = fhir(as_nina.get("/fhir/R4/Appointment", {"status": "arrived"}), status=400)
    assert "booked" in outcome["issue"][0]["diagnostics"] and "status" in outcome["issue"][0]["diagnostics"]


# --- Observation: code and date ----------------------------------------------------------------


def test_observations_by_code_with_or_without_system(as_nina, cast):
    alice, first, second = cast["alice"], cast["first"], cast["second"]
    pain = fhir(as_nina.get("/fhir/R4/Observation", {"patient": alice.pk, "code": "pain"}))
    assert ids(pain) == [f"symptom-report-{second.pk}-pain", f"symptom-report-{first.pk}-pain"]
    system = resources.code_system("esas-r")
    assert ids(fhir(as_nina.get("/fhir/R4/Observation", {"patient": alice.pk, "code": f"{system}|tiredness"}))) == [
        f"symptom-report-{first.pk}-tiredness"]
    assert ids(fhir(as_nina.get("/fhir/R4/Observation", {"patient": alice.pk, "code": "http://elsewhere.example.org|pain"}))) == []


def test_observations_by_date(as_nina, cast):
    alice, second = cast["alice"], cast["second"]
    bundle = fhir(as_nina.get("/fhir/R4/Observation", {"patient": alice.pk, "date": "gt2026-03-21"}))
    assert ids(bundle) == [f"symptom-report-{second.pk}-pain", f"symptom-report-{second.pk}-panel"]


def test_observations_by_the_loinc_esas_panel_code_are_whole_reports(as_nina, cast):
    alice, first, second = cast["alice"], cast["first"], cast["second"]
    panels = fhir(as_nina.get("/fhir/R4/Observation", {"patient": alice.pk, "code": "http://loinc.org|112503-8"}))
    assert ids(panels) == [f"symptom-report-{second.pk}-panel", f"symptom-report-{first.pk}-panel"]
    first_panel = panels["entry"][1]["resource"]
    assert [(c["code"]["coding"][0]["code"], c["valueInteger"]) for c in first_panel["component"]] == [("pain", 6), ("tiredness", 3)]


# --- _lastUpdated and _sort --------------------------------------------------------------------


def test_last_updated_finds_what_changed_since(as_nina, cast):
    since = fhir(as_nina.get("/fhir/R4/Patient", {"_lastUpdated": "ge2026-03-04"}))
    assert ids(since) == [str(cast["bob"].pk)]
    reports = fhir(as_nina.get("/fhir/R4/QuestionnaireResponse", {"_lastUpdated": "gt2026-03-21"}))
    assert ids(reports) == [str(cast["second"].pk)]
    observations = fhir(as_nina.get("/fhir/R4/Observation", {"patient": cast["alice"].pk, "_lastUpdated": "lt2026-03-21"}))
    assert len(ids(observations)) == 4  # the volume, and the first report's pain, tiredness and panel


def test_sort_by_date_either_way(as_nina, cast):
    ascending = fhir(as_nina.get("/fhir/R4/Appointment", {"_sort": "date"}))
    starts = [entry["resource"]["start"] for entry in ascending["entry"]]
    assert starts == sorted(starts)
    descending = fhir(as_nina.get("/fhir/R4/Appointment", {"_sort": "-date"}))
    assert [entry["resource"]["start"] for entry in descending["entry"]] == sorted(starts, reverse=True)


def test_sort_patients_by_family_name_and_last_updated(as_nina, cast):
    assert ids(fhir(as_nina.get("/fhir/R4/Patient", {"_sort": "-family"}))) == [str(cast["bob"].pk), str(cast["alice"].pk)]
    assert ids(fhir(as_nina.get("/fhir/R4/Patient", {"_sort": "-_lastUpdated"}))) == [str(cast["bob"].pk), str(cast["alice"].pk)]


def test_sort_observations_oldest_first(as_nina, cast):
    bundle = fhir(as_nina.get("/fhir/R4/Observation", {"patient": cast["alice"].pk, "_sort": "date", "code": "pain"}))
    assert ids(bundle) == [f"symptom-report-{cast['first'].pk}-pain", f"symptom-report-{cast['second'].pk}-pain"]


# --- _include and _revinclude ------------------------------------------------------------------


def test_include_brings_each_appointments_patient_once(as_nina, cast):
    bundle = fhir(as_nina.get("/fhir/R4/Appointment", {"_include": "Appointment:patient", "_sort": "date"}))
    assert len(ids(bundle)) == 5  # Alice's done drainage and the next, her check-in; Bob's two
    assert sorted(ids(bundle, "include")) == sorted([str(cast["alice"].pk), str(cast["bob"].pk)])
    included = [entry for entry in bundle["entry"] if entry["search"]["mode"] == "include"]
    assert all(entry["resource"]["meta"]["versionId"] for entry in included)
    assert str(cast["carmen"].pk) not in ids(bundle, "include")


def test_revinclude_brings_a_patients_observations(as_nina, cast):
    bundle = fhir(as_nina.get("/fhir/R4/Patient", {"_id": cast["alice"].pk, "_revinclude": "Observation:patient"}))
    assert ids(bundle) == [str(cast["alice"].pk)]
    assert len(ids(bundle, "include")) == 6  # the volume, pain, tiredness and their panel, then pain and its panel
    assert {entry["resource"]["resourceType"] for entry in bundle["entry"] if entry["search"]["mode"] == "include"} == {"Observation"}


def test_revinclude_is_refused_where_nothing_refers_back(as_nina, cast):
    outcome = fhir(as_nina.get("/fhir/R4/Appointment", {"_revinclude": "Observation:patient"}), status=400)
    assert "_revinclude" in outcome["issue"][0]["diagnostics"]


# --- _summary, _total, _elements ---------------------------------------------------------------


def test_summary_count_answers_the_total_alone(as_nina, cast):
    bundle = fhir(as_nina.get("/fhir/R4/Appointment", {"_summary": "count", "status": "booked"}))
    assert (bundle["total"], bundle["entry"]) == (4, [])


def test_total_none_leaves_out_the_count_but_still_pages(as_nina, cast):
    bundle = fhir(as_nina.get("/fhir/R4/Appointment", {"_total": "none", "_count": 2}))
    assert "total" not in bundle and len(ids(bundle)) == 2
    assert any(link["relation"] == "next" for link in bundle["link"])
    last = fhir(as_nina.get("/fhir/R4/Appointment", {"_total": "none", "_count": 2, "_page": 3}))
    assert not any(link["relation"] == "next" for link in last["link"])


@pytest.mark.parametrize("mode", ["accurate", "estimate"])
def test_total_accurate_and_estimate_both_count(as_nina, cast, mode):
    bundle = fhir(as_nina.get("/fhir/R4/Appointment", {"_total": mode, "_count": 1}))
    assert bundle["total"] == 5 and len(ids(bundle)) == 1


def test_an_unknown_total_or_summary_mode_is_a_400_naming_it(as_nina, cast):
    assert "_total" in fhir(as_nina.get("/fhir/R4/Appointment", {"_total": "exact"}), status=400)["issue"][0]["diagnostics"]
    assert "_summary" in fhir(as_nina.get("/fhir/R4/Appointment", {"_summary": "text"}), status=400)["issue"][0]["diagnostics"]


def test_summary_count_with_include_still_answers_the_total_alone(as_nina, cast):
    bundle = fhir(as_nina.get("/fhir/R4/Appointment", {"_summary": "count", "_include": "Appointment:patient"}))
    assert (bundle["total"], bundle["entry"]) == (5, [])


def test_include_with_sort_keeps_the_matches_in_order_and_the_patients_after(as_nina, cast):
    bundle = fhir(as_nina.get("/fhir/R4/Appointment", {"_include": "Appointment:patient", "_sort": "-date"}))
    starts = [entry["resource"]["start"] for entry in bundle["entry"] if entry["search"]["mode"] == "match"]
    assert starts == sorted(starts, reverse=True)
    modes = [entry["search"]["mode"] for entry in bundle["entry"]]
    assert modes == ["match"] * 5 + ["include"] * 2
    assert bundle["total"] == 5  # the included patients are not counted


def test_revinclude_on_a_patient_search_brings_only_that_patients_observations(as_nina, cast):
    bundle = fhir(as_nina.get("/fhir/R4/Patient", {"_id": cast["bob"].pk, "_revinclude": "Observation:patient"}))
    assert ids(bundle) == [str(cast["bob"].pk)] and ids(bundle, "include") == []


def _every_search_parameter():
    cases = []
    for name in [*catalogue.TYPES, "Observation"]:
        for param in [*catalogue.params_of(name), "_count", "_page", "_sort", "_include", "_revinclude", "_summary", "_total",
                      "_elements"]:
            cases.append((name, param))
    return cases


@pytest.mark.parametrize(("resource_type", "param"), _every_search_parameter())
def test_every_search_parameter_given_empty_is_a_400_naming_it(as_nina, cast, resource_type, param):
    query = {param: ""}
    if resource_type == "Observation" and param != "patient":
        query["patient"] = cast["alice"].pk
    outcome = fhir(as_nina.get(f"/fhir/R4/{resource_type}", query), status=400)
    assert param in outcome["issue"][0]["diagnostics"], outcome


def test_elements_subsets_each_match_and_says_so(as_nina, cast):
    # A subsetted resource need not be valid on its own (its required participant is left out):
    # that is what the SUBSETTED tag tells the client.
    response = as_nina.get("/fhir/R4/Appointment", {"_elements": "status,start"})
    assert response.status_code == 200
    first = response.json()["entry"][0]["resource"]
    assert set(first) == {"resourceType", "id", "meta", "status", "start"}
    assert first["meta"]["tag"][0]["code"] == "SUBSETTED"


def test_next_links_keep_repeated_parameters(as_nina, cast):
    bundle = fhir(as_nina.get("/fhir/R4/Appointment?date=ge2026-03-01&date=lt2026-06-01&_count=1"))
    following = next(link["url"] for link in bundle["link"] if link["relation"] == "next")
    assert following.count("date=") == 2
    assert fhir(as_nina.get(following.removeprefix(SITE)))["total"] == bundle["total"]


# --- The CapabilityStatement says exactly what is accepted -------------------------------------

SAMPLES = {"reference": "1", "token": "x", "date": "ge2026-01-01", "string": "a", "uri": "http://example.org/x"}
SAMPLE_VALUES = {("Appointment", "status"): "booked", ("Observation", "code"): "pain"}


def test_every_parameter_the_capability_statement_lists_is_accepted_and_no_other(as_nina, client, cast):
    statement = fhir(client.get("/fhir/R4/metadata"))
    for resource in statement["rest"][0]["resource"]:
        name = resource["type"]
        listed = {param["name"]: param["type"] for param in resource["searchParam"]}
        if name in terminology.CONFORMANCE:
            assert set(listed) == {"url"}
            fhir(client.get(f"/fhir/R4/{name}", {"url": "http://example.org/x"}))
            fhir(client.get(f"/fhir/R4/{name}", {"notlisted": "1"}), status=400)
            continue
        assert set(listed) == set(catalogue.params_of(name))
        for param, kind in listed.items():
            query = {param: SAMPLE_VALUES.get((name, param), SAMPLES[kind])}
            if name == "Observation" and param != "patient":
                query["patient"] = cast["alice"].pk
            fhir(as_nina.get(f"/fhir/R4/{name}", query))
        scope = {"patient": cast["alice"].pk} if "patient" in listed else {}
        for include in resource.get("searchInclude", []):
            fhir(as_nina.get(f"/fhir/R4/{name}", {"_include": include, **scope}))
        for revinclude in resource.get("searchRevInclude", []):
            fhir(as_nina.get(f"/fhir/R4/{name}", {"_revinclude": revinclude}))
        for key in resource["documentation"].removeprefix("_sort by: ").rstrip(".").split(", "):
            fhir(as_nina.get(f"/fhir/R4/{name}", {"_sort": key, **scope}))
        fhir(as_nina.get(f"/fhir/R4/{name}", {**scope, "notlisted": "1"}), status=400)
        assert [interaction["code"] for interaction in resource["interaction"]][0] == "read"
