"""System-to-system access: OAuth 2.0 client credentials with private_key_jwt (SMART Backend Services),
read and write scopes, /.well-known/smart-configuration; static tokens keep working; CORS only for the
configured origins.

The cast: Riverside's EHR is registered as a client acting as the service account "riverside-ehr"
(a member of Riverside only). It signs its token requests with its own private key.
"""

import time
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from followup.models import Membership
from followup.oauth.models import Client
from tests.conftest import make_staff

SITE = "https://followup.example.org"
TOKEN_URL = f"{SITE}/oauth/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture(scope="module")
def rsa_key():
    return RSAKey.generate_key(2048, parameters={"kid": "ehr-rsa-1"})


@pytest.fixture(scope="module")
def ec_key():
    return ECKey.generate_key("P-384", parameters={"kid": "ehr-ec-1"})


@pytest.fixture
def ehr(riverside, rsa_key, ec_key):
    account = make_staff("riverside-ehr", riverside, Membership.Role.NURSE)
    return Client.objects.create(name="St. Mary's & Riverside EHR", user=account, scope="system/*.read system/Patient.write",
                                 jwks={"keys": [rsa_key.as_dict(private=False), ec_key.as_dict(private=False)]})


def assertion(client, key, alg="RS384", **changes):
    now = int(time.time())
    claims = {"iss": client.client_id, "sub": client.client_id, "aud": TOKEN_URL, "exp": now + 240, "jti": str(uuid.uuid4())}
    claims.update(changes)
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=[alg])


def ask(client_http, signed, scope="system/*.read", grant_type="client_credentials"):
    return client_http.post("/oauth/token", {"grant_type": grant_type, "client_assertion_type": ASSERTION_TYPE,
                                              "client_assertion": signed, "scope": scope})


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_system_signs_a_jwt_gets_a_token_and_reads_its_clinics_fhir(client, ehr, rsa_key, alice, carmen):
    response = ask(client, assertion(ehr, rsa_key))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("bearer", 300, "system/*.read")
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    patients = client.get("/fhir/R4/Patient", **bearer(body["access_token"])).json()
    assert {entry["resource"]["id"] for entry in patients["entry"]} == {str(alice.pk)}  # Riverside's only


def test_an_es384_signature_is_accepted_too(client, ehr, ec_key, alice):
    response = ask(client, assertion(ehr, ec_key, alg="ES384"))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("case", ["other key", "wrong audience", "expired", "too long", "iss is not sub", "unknown client", "hs256", "rs256"])
def test_a_bad_assertion_is_invalid_client(client, ehr, rsa_key, case):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "ehr-rsa-1"})
    signed = {
        "other key": lambda: assertion(ehr, stranger),
        "wrong audience": lambda: assertion(ehr, rsa_key, aud="https://elsewhere.example.org/token"),
        "expired": lambda: assertion(ehr, rsa_key, exp=int(time.time()) - 600),
        "too long": lambda: assertion(ehr, rsa_key, exp=int(time.time()) + 3600),
        "iss is not sub": lambda: assertion(ehr, rsa_key, iss="someone-else"),
        "unknown client": lambda: assertion(ehr, rsa_key, iss="nobody", sub="nobody"),
        "hs256": lambda: jwt.encode({"alg": "HS256"}, {"iss": ehr.client_id, "sub": ehr.client_id, "aud": TOKEN_URL,
                                                     "exp": int(time.time()) + 60, "jti": "x"},
                                    OctKey.import_key("a shared secret of thirty-two bytes!"), algorithms=["HS256"]),
        "rs256": lambda: assertion(ehr, rsa_key, alg="RS256"),
    }[case]()
    response = ask(client, signed)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.json()


def test_the_same_assertion_twice_is_refused(client, ehr, rsa_key):
    signed = assertion(ehr, rsa_key)
    assert ask(client, signed).status_code == 200
    again = ask(client, signed)
    assert (again.status_code, again.json()["error"]) == (401, "invalid_client")
    assert "used" in again.json()["error_description"]


def test_only_client_credentials_is_supported(client, ehr, rsa_key):
    response = ask(client, assertion(ehr, rsa_key), grant_type="authorization_code")
    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")
    plain = client.post("/oauth/token", {"grant_type": "client_credentials", "client_id": ehr.client_id, "client_secret": "x"})
    assert (plain.status_code, plain.json()["error"]) == (401, "invalid_client")
    assert client.get("/oauth/token").status_code == 405


def test_scopes_are_narrowed_to_what_the_client_may_have(client, ehr, rsa_key):
    assert ask(client, assertion(ehr, rsa_key), scope="system/*.write").json()["error"] == "invalid_scope"
    granted = ask(client, assertion(ehr, rsa_key), scope="system/Patient.read system/Appointment.write").json()
    assert granted["scope"] == "system/Patient.read"
    assert ask(client, assertion(ehr, rsa_key), scope="patient/*.read").json()["error"] == "invalid_scope"
    everything = ask(client, assertion(ehr, rsa_key), scope="").json()
    assert everything["scope"] == "system/*.read system/Patient.write"


def test_a_token_does_only_what_its_scopes_allow(client, ehr, rsa_key, alice):
    patient_only = ask(client, assertion(ehr, rsa_key), scope="system/Patient.read").json()["access_token"]
    assert client.get(f"/fhir/R4/Patient/{alice.pk}", **bearer(patient_only)).status_code == 200
    refused = client.get("/fhir/R4/Appointment", **bearer(patient_only))
    assert refused.status_code == 403
    assert refused.json()["resourceType"] == "OperationOutcome" and "Appointment" in refused.json()["issue"][0]["diagnostics"]
    assert client.get("/api/v1/patients/", **bearer(patient_only)).status_code == 403  # the REST API needs system/*
    read_all = ask(client, assertion(ehr, rsa_key), scope="system/*.read").json()["access_token"]
    assert client.get("/api/v1/patients/", **bearer(read_all)).status_code == 200
    writing = client.post("/api/v1/procedures/", {"patient": alice.pk}, content_type="application/json", **bearer(read_all))
    assert writing.status_code == 403


def test_a_transaction_needs_the_write_scope_of_each_entry(client, ehr, rsa_key, riverside, alice):
    token = ask(client, assertion(ehr, rsa_key), scope="system/*.read system/Patient.write").json()["access_token"]
    jose = {"resourceType": "Patient", "identifier": [{"system": f"{SITE}/fhir/sid/clinic/{riverside.pk}/mrn", "value": "RV-2040"}],
            "name": [{"family": "Núñez", "given": ["José"]}], "birthDate": "1948-07-14"}
    report = {"resourceType": "QuestionnaireResponse", "status": "completed", "subject": {"reference": f"Patient/{alice.pk}"},
              "item": [{"linkId": "pain", "answer": [{"valueInteger": 8}]}]}

    def transaction(*entries):
        bundle = {"resourceType": "Bundle", "type": "transaction",
                  "entry": [{"resource": body, "request": {"method": "POST", "url": body["resourceType"]}} for body in entries]}
        return client.post("/fhir/R4/", bundle, content_type="application/fhir+json", **bearer(token))

    refused = transaction(jose, report)
    assert refused.status_code == 403
    assert "Bundle.entry[1]" in refused.json()["issue"][0]["diagnostics"]
    assert "QuestionnaireResponse" in refused.json()["issue"][0]["diagnostics"]
    assert not alice.clinic.patients.filter(mrn="RV-2040").exists()  # the first entry is undone too
    assert transaction(jose).status_code == 200
    assert alice.clinic.patients.filter(mrn="RV-2040").exists()


def test_smart_2_scopes_are_understood(client, ehr, rsa_key, alice):
    ehr.scope = "system/*.rs"
    ehr.save()
    token = ask(client, assertion(ehr, rsa_key), scope="system/*.rs").json()["access_token"]
    assert client.get(f"/fhir/R4/Patient/{alice.pk}", **bearer(token)).status_code == 200


def test_a_token_expires_after_five_minutes(client, ehr, rsa_key, alice):
    token = ask(client, assertion(ehr, rsa_key)).json()["access_token"]
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        response = client.get("/fhir/R4/Patient", **bearer(token))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_switched_off_client_or_unknown_token_is_401(client, ehr, rsa_key):
    token = ask(client, assertion(ehr, rsa_key)).json()["access_token"]
    Client.objects.filter(pk=ehr.pk).update(active=False)
    assert client.get("/fhir/R4/Patient", **bearer(token)).status_code == 401
    assert client.get("/fhir/R4/Patient", **bearer("not-a-token")).status_code == 401
    assert ask(client, assertion(ehr, rsa_key)).status_code == 401


def test_static_tokens_for_people_keep_working(as_nina, alice):
    assert as_nina.get(f"/fhir/R4/Patient/{alice.pk}").status_code == 200
    assert as_nina.get("/api/v1/patients/").status_code == 200


def test_only_public_keys_may_be_registered(riverside, rsa_key, nina):
    client = Client(name="EHR", user=nina, jwks={"keys": [rsa_key.as_dict(private=True)]})
    with pytest.raises(ValidationError, match="public keys only"):
        client.full_clean()
    with pytest.raises(ValidationError):
        Client(name="EHR", user=nina, jwks={"keys": []}).full_clean()
    with pytest.raises(ValidationError, match="Unknown scope"):
        Client(name="EHR", user=nina, jwks={"keys": [rsa_key.as_dict(private=False)]}, scope="everything").full_clean()


def test_smart_configuration_describes_the_token_endpoint(client):
    for path in ("/.well-known/smart-configuration", "/fhir/R4/.well-known/smart-configuration"):
        config = client.get(path).json()
        assert config["token_endpoint"] == TOKEN_URL
        assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
        assert set(config["token_endpoint_auth_signing_alg_values_supported"]) == {"RS384", "ES384"}
        assert config["grant_types_supported"] == ["client_credentials"]
        assert "client-confidential-asymmetric" in config["capabilities"]
    statement = client.get("/fhir/R4/metadata").json()
    security = statement["rest"][0]["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    assert security["extension"][0]["extension"][0]["valueUri"] == TOKEN_URL


# --- CORS -----------------------------------------------------------------------------------------


def test_cors_answers_only_the_configured_origins(client, settings, as_nina, alice):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.riverside.example.org"]
    allowed = client.get("/fhir/R4/metadata", HTTP_ORIGIN="https://app.riverside.example.org")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.riverside.example.org"
    assert "ETag" in allowed["Access-Control-Expose-Headers"]
    other = client.get("/fhir/R4/metadata", HTTP_ORIGIN="https://evil.example.org")
    assert "Access-Control-Allow-Origin" not in other
    preflight = client.options("/fhir/R4/Patient", HTTP_ORIGIN="https://app.riverside.example.org",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization")
    assert preflight.status_code == 200
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight
    page = client.get("/login/", HTTP_ORIGIN="https://app.riverside.example.org")
    assert "Access-Control-Allow-Origin" not in page  # the staff pages are never cross-origin
