"""The OpenAPI description validates, the docs page needs no CDN, and the API keeps to its own schema
under a property-based run (schemathesis): no server error, no response the schema does not allow."""

import json
from datetime import UTC, datetime

import hypothesis
import pytest
import schemathesis
import time_machine
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from config.wsgi import application
from followup import services
from followup.models import InboundMessage


def test_schema_validates_with_no_generator_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/procedures/" in target.read_text()


def test_schema_is_served_and_valid(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/patients/", "/api/v1/procedures/", "/api/v1/alerts/{id}/acknowledge/"} <= set(schema["paths"])
    assert not any(path.startswith("/fhir/") for path in schema["paths"])


def test_docs_page_serves_its_own_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()


# --- Property-based run against the schema ------------------------------------------------------

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def wsgi_app(db, settings):
    """Followup's WSGI app, without closing the database connection after each request (as Django's
    test client does): the connection holds the test's transaction."""
    # Schemathesis talks to the app as "localhost", which production settings may not allow.
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(nina, noah, carmen, dora):
    """A clinic with every kind of object, so generated ids sometimes hit real rows."""
    patient = dora.patient
    with time_machine.travel(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), tick=False):
        services.enrol(patient)
        services.enrol(carmen)
    services.record_procedure(patient, performed_at=datetime(2026, 3, 20, 14, 0, tzinfo=UTC), volume_ml=4000, performed_by=nina)
    services.record_symptom_report(patient, scores={"pain": 9, "nausea": 2}, completed_by="patient", source="web")
    InboundMessage.objects.create(clinic=patient.clinic, patient=patient, provider_id="SM-prop", from_number="+12025550101",
                                  body="C", kind=InboundMessage.Kind.CONFIRM)
    return Token.objects.create(user=nina).key


def openapi_document():
    """The schema /api/schema/ serves, generated in-process (collection time has no database)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(JSONRenderer().render(generated))


schema = schemathesis.openapi.from_dict(openapi_document(), config=schemathesis.config.SchemathesisConfig.from_dict({
    "phases": {"stateful": {"enabled": False}},
    "generation": {"max-examples": 5, "deterministic": True},
}))


@schema.parametrize()
@hypothesis.settings(max_examples=5, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_api_keeps_to_its_schema(case, token, wsgi_app):
    case.call_and_validate(app=wsgi_app, headers={"Authorization": f"Token {token}"}, checks=CHECKS)
