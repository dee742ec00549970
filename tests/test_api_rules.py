"""The REST API states its rules: an enum filter given empty is a 400 naming the choices, not ignored
(and so is a true/false filter given anything else); the OpenAPI document shows an example for every
write and the business-rule 400s of each operation, and what a list's 400 means."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from followup.api import filters
from followup.api.urls import router


def _filters_of_each_list(kind):
    """(list URL, filter name, the filter) for every filter of `kind` on every list the API serves."""
    found = []
    for prefix, viewset, _ in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        for name, declared in (filterset.base_filters.items() if filterset else []):
            if isinstance(declared, kind) and not isinstance(declared, filters.filters.ModelChoiceFilter):
                found.append((f"/api/v1/{prefix}/", name, declared))
    return found


ENUMS = _filters_of_each_list(filters.filters.ChoiceFilter)
TRUE_FALSE = _filters_of_each_list(filters.filters.BooleanFilter)


@pytest.mark.parametrize(("path", "name"), [
    ("/api/v1/patients/", "status"), ("/api/v1/patients/", "phase"), ("/api/v1/occurrences/", "state"),
    ("/api/v1/occurrences/", "kind"), ("/api/v1/reminders/", "channel"), ("/api/v1/symptom-reports/", "source"),
    ("/api/v1/symptom-reports/", "source"),
])
def test_an_empty_enum_filter_is_a_400_naming_the_choices(as_nina, alice, path, name):
    response = as_nina.get(path, {name: ""})
    assert response.status_code == 400
    assert "empty value" in response.json()[name][0]


@pytest.mark.parametrize(("path", "name", "declared"), ENUMS, ids=[f"{path}?{name}=" for path, name, _ in ENUMS])
def test_every_enum_filter_of_every_list_refuses_an_empty_value(as_nina, path, name, declared):
    assert isinstance(declared, filters.ChoiceFilter)
    response = as_nina.get(path, {name: ""})
    assert response.status_code == 400, (path, name)
    assert "empty value" in response.json()[name][0]


@pytest.mark.parametrize(("path", "name", "declared"), TRUE_FALSE, ids=[f"{path}?{name}" for path, name, _ in TRUE_FALSE])
@pytest.mark.parametrize("value", ["", "maybe", "yes"])
def test_a_true_false_filter_refuses_anything_else(as_nina, path, name, declared, value):
    assert isinstance(declared, filters.BooleanFilter)
    response = as_nina.get(path, {name: value})
    assert response.status_code == 400, (path, name, value)
    assert response.json()[name] == ["Give true or false, or leave the filter out."]


def test_the_api_has_the_enum_and_true_false_filters_expected():
    assert len(ENUMS) >= 10 and len(TRUE_FALSE) == 4


def test_true_false_filters_still_filter(as_nina, alice, riverside):
    from followup import services

    services.enrol(alice)
    assert as_nina.get("/api/v1/schedules/", {"active": "true"}).json()["count"] == 2
    assert as_nina.get("/api/v1/schedules/", {"active": "false"}).json()["count"] == 0
    assert as_nina.get("/api/v1/schedules/", {"active": "0"}).json()["count"] == 0


def test_a_lists_400_says_which_filter_values_are_refused():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    listing = schema["paths"]["/api/v1/patients/"]["get"]["responses"]["400"]["description"]
    assert "empty" in listing and "true" in listing


def test_a_known_enum_value_still_filters(as_nina, alice):
    assert as_nina.get("/api/v1/patients/", {"status": "active"}).json()["count"] == 1
    assert as_nina.get("/api/v1/patients/", {"status": "paused"}).json()["count"] == 0


def test_every_write_has_an_example_and_its_business_rule_400s(rf):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    writes = [(path, method, operation) for path, operations in schema["paths"].items()
              for method, operation in operations.items() if method in ("post", "put", "patch", "delete")]
    assert len(writes) >= 11
    for path, method, operation in writes:
        refused = operation["responses"]["400"]
        assert "Refused by the rules when" in refused["description"], (method, path)
        assert refused["content"]["application/json"]["examples"], (method, path)
        body = operation.get("requestBody")
        if body is not None:
            assert body["content"]["application/json"]["examples"], (method, path)
