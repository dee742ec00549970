"""The REST API states its rules: an enum filter given empty is a 400 naming the choices, not ignored;
the OpenAPI document shows an example for every write and the business-rule 400s of each operation."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.mark.parametrize(("path", "name"), [
    ("/api/v1/patients/", "status"), ("/api/v1/patients/", "phase"), ("/api/v1/occurrences/", "state"),
    ("/api/v1/occurrences/", "kind"), ("/api/v1/reminders/", "channel"), ("/api/v1/symptom-reports/", "source"),
    ("/api/v1/symptom-reports/", "source"),
])
def test_an_empty_enum_filter_is_a_400_naming_the_choices(as_nina, alice, path, name):
    response = as_nina.get(path, {name: ""})
    assert response.status_code == 400
    assert "empty value" in response.json()[name][0]


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
