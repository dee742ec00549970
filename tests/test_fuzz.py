"""Bad input, hostile input and other clinics' ids, thrown at every form and endpoint.

- No 500s: hypothesis fills each staff form, the patient's symptom form, each API write and the SMS
  webhooks (validly signed) with odd text, numbers, dates and JSON; every answer is below 500.
- No stored script: names and notes like `<script>alert(1)</script>` saved through the forms, the
  API, the symptom form and an SMS come back escaped on the worklist, patient pages, reports,
  audit log and admin.
- No cross-clinic leak: a Hillcrest nurse requests every URL with each Riverside object's id, by GET
  and by POST, and never sees a Riverside patient's data or changes it.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from followup import services, symptom_links
from followup.api import serializers
from followup.calendar import feeds
from followup.models import (
    ESAS_FIELDS, AccessLog, Alert, CalendarFeed, Caregiver, InboundMessage, Occurrence, Patient, Procedure, Reminder,
    SymptomReport, User,
)

FUZZ = hypothesis_settings(
    max_examples=50, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
TWILIO_TOKEN = "fuzz-test-auth-token"


@pytest.fixture(autouse=True)
def _quiet_settings(settings):
    # Thousands of sign-ins and wrong passwords from one address: the lock-out has its own tests.
    settings.AXES_ENABLED = False
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN


def staff(username):
    return User.objects.get(username=username)


@pytest.fixture
def errors_as_responses(client):
    """A view that raises gives its 500 page instead of failing the test, so the status is checked."""
    client.raise_request_exception = False
    return client


# --- Values -----------------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "'><a href=\"javascript:alert(1)\">x</a>",
]
ODD = [
    "", " ", "0", "-1", "1e309", "NaN", "Infinity", "99999999999999999999999", "1.5", "٣", "１２",
    "2026-02-30T10:00", "2026-03-08T02:30", "2026-11-01T01:30", "0001-01-01T00:00", "9999-12-31T23:59", "24:00",
    "2026-13-01", "\x00", "a\x00b", "\u202e", "\ud7ff", "' OR 1=1 --", "+12025550101", "+1 202 555 01", "not/a_zone",
    "America/New_York", "days", "weeks", "months", "on", "true", "paracentesis", "checkin", "deceased", "x" * 5000,
    *HOSTILE,
]


def recent_moments():
    now = datetime.now(UTC)
    return st.datetimes(min_value=(now - timedelta(days=800)).replace(tzinfo=None),
                        max_value=(now + timedelta(days=800)).replace(tzinfo=None))


FIELD_TEXT = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=40),
    st.integers(-10**12, 10**12).map(str),
    st.integers(0, 12).map(str),
    recent_moments().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")),
    recent_moments().map(lambda moment: moment.date().isoformat()),
)


def form_data(names):
    return st.dictionaries(st.sampled_from(sorted(names)), FIELD_TEXT, max_size=len(names))


JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False, allow_infinity=False),
              FIELD_TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def json_body(names, ids):
    value = st.one_of(JSON_VALUE, st.sampled_from(ids))
    return st.dictionaries(st.sampled_from(sorted(names)), value, max_size=len(names))


# --- The cast for this file ----------------------------------------------------------------------


@pytest.fixture
def riverside_case(riverside, nina, leo, enrolled_alice, bob, dora):
    """Alice with a drainage, a severe symptom report (so an open alert), reminders and a text from her."""
    services.record_procedure(enrolled_alice, performed_at=timezone.now() - timedelta(days=2), volume_ml=3000,
                              performed_by=nina)
    services.record_symptom_report(enrolled_alice, scores={"pain": 9}, completed_by="patient", source="web")
    InboundMessage.objects.create(provider_id="SM-alice-1", from_number="+12025550101", body="Feeling worse today",
                                  kind=InboundMessage.Kind.OTHER, received_at=timezone.now(), patient=enrolled_alice,
                                  clinic=riverside)
    feeds.create_feed(nina)
    return enrolled_alice


@pytest.fixture
def hillcrest_case(noah, carmen):
    services.enrol(carmen)
    return carmen


def signed_post(client, path, params):
    url = django_settings.SITE_URL + path
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


# --- No 500s: the staff forms ----------------------------------------------------------------------

CONSENT = {"consent", "consent_source"}
CONTACT = {"nurse", "mobile", "email", "preferred_channel", "language", "time_zone", "quiet_hours_end", "quiet_hours_start"}
STAFF_FORMS = {
    "add_patient": (lambda case: reverse("add_patient"),
                    {"clinic", "mrn", "given_name", "family_name", "date_of_birth", "nurse", "phase", "time_zone", "mobile",
                     "email", "preferred_channel", "language", "interval_count", "interval_unit", "first_drainage_on", *CONSENT}),
    "edit_contact": (lambda case: reverse("edit_contact", args=[case.pk]), CONTACT | CONSENT),
    "add_caregiver": (lambda case: reverse("add_caregiver", args=[case.pk]),
                      {"name", "relationship", "mobile", "email", "preferred_channel", "language", "receives_reminders", *CONSENT}),
    "edit_caregiver": (lambda case: reverse("edit_caregiver", args=[case.caregivers.first().pk]),
                       {"name", "relationship", "mobile", "email", "preferred_channel", "language", "receives_reminders", *CONSENT}),
    "record_drainage": (lambda case: reverse("record_drainage", args=[case.pk]),
                        {"performed_at", "volume_ml", "duration_minutes", "complications"}),
    "log_checkin": (lambda case: reverse("log_checkin", args=[case.pk]),
                    {*ESAS_FIELDS, "outcome", "completed_by", "other_problem_name", "pps", "phase", "note", "retry_at"}),
    "change_interval": (lambda case: reverse("change_interval", args=[case.pk]), {"count", "unit", "kind"}),
    "reschedule_occurrence": (lambda case: reverse("reschedule_occurrence", args=[
        case.occurrences.filter(state=Occurrence.State.SCHEDULED).first().pk]), {"due_at", "note"}),
    "acknowledge_alert": (lambda case: reverse("acknowledge_alert", args=[case.alerts.first().pk]), {"action", "note", "from", "next"}),
    "change_status": (lambda case: reverse("change_status", args=[case.pk, "paused"]), {"note"}),
    "password_change": (lambda case: reverse("password_change"), {"old_password", "new_password1", "new_password2"}),
}


@pytest.mark.parametrize("name", sorted(STAFF_FORMS))
def test_no_staff_form_answers_500(errors_as_responses, riverside_case, name):
    client = errors_as_responses
    client.force_login(staff("nina"))
    url_of, fields = STAFF_FORMS[name]
    url = url_of(riverside_case)

    @FUZZ
    @given(data=form_data(fields), htmx=st.booleans())
    def post(data, htmx):
        extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = client.post(url, data, **extra)
        assert response.status_code < 500, (url, data)

    post()


QUERY_PAGES = {
    "patients": ("nina", lambda case: reverse("patients"), {"q", "status", "page"}),
    "worklist": ("nina", lambda case: reverse("worklist"), {"clinic", "nurse", "part"}),
    "audit": ("leo", lambda case: reverse("audit"), {"mrn", "user", "action", "start", "end", "page"}),
    "audit_export": ("leo", lambda case: reverse("audit_export"), {"mrn", "user", "action", "start", "end"}),
    "report": ("leo", lambda case: reverse("reports:patient_drainages"), {"start", "end", "clinic", "period", "sort", "page"}),
    "report_export": ("leo", lambda case: reverse("reports:export", args=["patients"]), {"start", "end", "clinic", "period", "sort"}),
    "reschedule_form": ("nina", lambda case: reverse("reschedule_occurrence", args=[
        case.occurrences.filter(state=Occurrence.State.SCHEDULED).first().pk]), {"next"}),
}


@pytest.mark.parametrize("name", sorted(QUERY_PAGES))
def test_no_filter_or_query_answers_500(errors_as_responses, riverside_case, name):
    client = errors_as_responses
    who, url_of, fields = QUERY_PAGES[name]
    client.force_login(staff(who))
    url = url_of(riverside_case)

    @FUZZ
    @given(data=form_data(fields), htmx=st.booleans())
    def get(data, htmx):
        response = client.get(url, data, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
        assert response.status_code < 500, (url, data)
        if response.streaming:
            b"".join(response.streaming_content)

    get()


@FUZZ
@given(data=form_data({"username", "password", "next"}), step=st.sampled_from(["login", "login_code"]))
def test_no_sign_in_answers_500(client, nina, data, step):
    client.raise_request_exception = False
    assert client.post(reverse(step), data).status_code < 500
    assert client.get(reverse("login"), data).status_code < 500


@FUZZ
@given(status=st.one_of(st.sampled_from(["paused", "active", "deceased", "discharged", "nope"]), st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/\x00"), min_size=1, max_size=20)))
def test_no_status_in_the_address_answers_500(errors_as_responses, riverside_case, status):
    client = errors_as_responses
    client.force_login(staff("nina"))
    from urllib.parse import quote

    response = client.get(f"/patients/{riverside_case.pk}/status/{quote(status)}/")
    assert response.status_code < 500


def test_a_bare_word_as_the_return_address_is_not_a_500(errors_as_responses, riverside_case):
    client = errors_as_responses
    client.force_login(staff("nina"))
    alert = riverside_case.alerts.first()
    response = client.post(reverse("acknowledge_alert", args=[alert.pk]), {"note": "", "next": "0"})
    assert response.status_code < 500


# --- No 500s: the patient's symptom form ------------------------------------------------------------


@FUZZ
@given(data=form_data({*ESAS_FIELDS, "completed_by", "other_problem_name"}))
def test_no_symptom_form_post_answers_500(errors_as_responses, riverside_case, data):
    client = errors_as_responses
    url = symptom_links.issue_link(riverside_case).removeprefix(django_settings.SITE_URL)
    response = client.post(url, data)
    assert response.status_code < 500, data
    assert client.get(url).status_code < 500


@FUZZ
@given(signed=st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/\x00?#%"), min_size=1,
                      max_size=60))
def test_no_symptom_link_answers_500(errors_as_responses, db, signed):
    from urllib.parse import quote

    assert errors_as_responses.get(f"/s/{quote(signed)}/").status_code < 500


# --- No 500s: the API's writes ------------------------------------------------------------------------


def api_targets(case):
    schedule = case.schedules.filter(active=True).first()
    occurrence = case.occurrences.filter(state=Occurrence.State.SCHEDULED).first()
    checkin = case.occurrences.filter(state=Occurrence.State.SCHEDULED, kind="checkin").first()
    alert = case.alerts.first()
    feed = CalendarFeed.objects.filter(owner__username="nina").first()
    return {
        "create patient": ("post", "/api/v1/patients/", serializers.PatientSerializer),
        "correct patient": ("patch", f"/api/v1/patients/{case.pk}/", serializers.PatientChangeSerializer),
        "change status": ("post", f"/api/v1/patients/{case.pk}/status/", serializers.StatusChangeSerializer),
        "change interval": ("post", f"/api/v1/schedules/{schedule.pk}/interval/", serializers.IntervalSerializer),
        "reschedule": ("post", f"/api/v1/occurrences/{occurrence.pk}/reschedule/", serializers.RescheduleSerializer),
        "skip": ("post", f"/api/v1/occurrences/{occurrence.pk}/skip/", serializers.NoteSerializer),
        "record drainage": ("post", "/api/v1/procedures/", serializers.ProcedureSerializer),
        "record symptoms": ("post", "/api/v1/symptom-reports/", serializers.SymptomReportSerializer),
        "acknowledge alert": ("post", f"/api/v1/alerts/{alert.pk}/acknowledge/", serializers.AcknowledgeSerializer),
        "record call": ("post", f"/api/v1/occurrences/{checkin.pk}/call/", serializers.CallSerializer),
        "add on-call contact": ("post", "/api/v1/on-call-contacts/", serializers.OnCallContactSerializer),
        "create feed": ("post", "/api/v1/calendar-feeds/", serializers.CalendarFeedSerializer),
        "revoke feed": ("post", f"/api/v1/calendar-feeds/{feed.pk}/revoke/", serializers.NoteSerializer),
    }


API_WRITES = ["create patient", "correct patient", "change status", "change interval", "reschedule", "skip",
              "record drainage", "record symptoms", "acknowledge alert", "record call", "add on-call contact",
              "create feed", "revoke feed"]


@pytest.mark.parametrize("name", API_WRITES)
def test_no_api_write_answers_500(errors_as_responses, riverside_case, hillcrest_case, name):
    client = errors_as_responses
    client.force_login(staff("nina"))
    method, url, serializer = api_targets(riverside_case)[name]
    names = set(serializer().fields) | {"patient", "clinic", "interval", "note"}
    ids = [riverside_case.pk, hillcrest_case.pk, riverside_case.clinic_id, hillcrest_case.clinic_id, 0, -1, 2**63]

    @FUZZ
    @given(body=json_body(names, ids))
    def send(body):
        response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
        assert response.status_code < 500, (url, body, response.content[:500])
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json")

    send()


@FUZZ
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)),
       content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                     "multipart/form-data; boundary=x"]))
def test_no_api_body_answers_500(errors_as_responses, riverside_case, raw, content_type):
    client = errors_as_responses
    client.force_login(staff("nina"))
    for url in ("/api/v1/procedures/", f"/api/v1/patients/{riverside_case.pk}/status/"):
        response = client.generic("POST", url, raw, content_type=content_type)
        assert response.status_code < 500, (url, raw)


# --- No 500s: the webhooks, validly signed -----------------------------------------------------------

# Ids and numbers a column cannot hold, and NUL, which PostgreSQL refuses in text: found by this pass.
WEBHOOK_ID = st.one_of(FIELD_TEXT, st.sampled_from(["0" * 21, "SM" + "x" * 70, "SM\x00nul"]))


@pytest.mark.parametrize("path, params", [
    ("/webhooks/twilio/sms/", {"MessageSid": "SM-nul", "From": "+12025550101", "Body": "worse\x00today"}),
    ("/webhooks/twilio/status/", {"MessageSid": "SM\x00nul", "MessageStatus": "delivered"}),
    ("/webhooks/twilio/sms/", {"MessageSid": "SM-long-from", "From": "0" * 21, "Body": "hello"}),
    ("/webhooks/twilio/sms/", {"MessageSid": "SM" + "x" * 70, "From": "+12025550101", "Body": "hello"}),
])
def test_a_signed_webhook_the_database_cannot_store_is_not_a_500(errors_as_responses, riverside_case, path, params):
    assert signed_post(errors_as_responses, path, params).status_code < 500


@FUZZ
@given(params=st.fixed_dictionaries({}, optional={
    "MessageSid": WEBHOOK_ID, "From": st.one_of(WEBHOOK_ID, st.just("+12025550101")), "Body": FIELD_TEXT,
    "To": FIELD_TEXT,
}))
def test_no_inbound_sms_answers_500(errors_as_responses, riverside_case, params):
    response = signed_post(errors_as_responses, reverse("twilio-inbound"), params)
    assert response.status_code < 500, params
    assert response.status_code != 403


@FUZZ
@given(params=st.fixed_dictionaries({}, optional={
    "MessageSid": st.one_of(WEBHOOK_ID, st.sampled_from(["SM-known"])),
    "MessageStatus": st.one_of(FIELD_TEXT, st.sampled_from(["queued", "sent", "delivered", "undelivered", "failed", "read"])),
    "ErrorCode": FIELD_TEXT,
}))
def test_no_status_callback_answers_500(errors_as_responses, riverside_case, params):
    Reminder.objects.filter(patient=riverside_case).update(provider_id="SM-known")
    response = signed_post(errors_as_responses, reverse("twilio-status"), params)
    assert response.status_code < 500, params
    assert response.status_code != 403


# --- No stored script ---------------------------------------------------------------------------------


@pytest.fixture
def hostile_records(client, riverside_case, nina, leo):
    """Hostile text saved through every way in: the nurse's forms, the API, the symptom form, an SMS."""
    alice = riverside_case
    client.force_login(nina)
    now = timezone.localtime(timezone.now(), alice.zone)
    one, two, three, four = HOSTILE
    created = client.post(reverse("add_patient"), {
        "clinic": alice.clinic_id, "mrn": "RV-9001", "given_name": one, "family_name": two, "time_zone": "America/New_York",
        "phase": "stable", "preferred_channel": "sms", "language": "en", "interval_unit": "days", "nurse": nina.pk,
        "mobile": "+12025550121",
    })
    assert created.status_code == 302, created.context["form"].errors
    client.post(reverse("add_caregiver", args=[alice.pk]), {
        "name": three, "relationship": four, "preferred_channel": "sms", "language": "en", "mobile": "+12025550112",
    })
    client.post(reverse("record_drainage", args=[alice.pk]), {
        "performed_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "volume_ml": "2000", "complications": one})
    client.post(reverse("log_checkin", args=[alice.pk]), {"outcome": "reached", "pain": "8", "other_problem": "9", "other_problem_name": two[:120],
                                                          "note": three})
    occurrence = alice.occurrences.filter(state=Occurrence.State.SCHEDULED, kind="checkin").first()
    client.post(reverse("skip_occurrence", args=[occurrence.pk]), {"note": four})
    client.post(reverse("acknowledge_alert", args=[alice.alerts.filter(acknowledged_at=None).first().pk]),
                {"action": "no_action", "note": one})
    client.patch(f"/api/v1/patients/{alice.pk}/", json.dumps({"given_name": four, "family_name": three}),
                 content_type="application/json")
    client.post("/api/v1/symptom-reports/", json.dumps({
        "patient": alice.pk, "completed_by": "caregiver", "source": "sms", "other_problem": 9, "other_problem_name": one,
        "note": two}), content_type="application/json")
    link = symptom_links.issue_link(alice).removeprefix(django_settings.SITE_URL)
    client.post(link, {"completed_by": "patient", "other_problem": "8", "other_problem_name": three})
    signed_post(client, reverse("twilio-inbound"), {"MessageSid": "SM-hostile", "From": "+12025550101", "Body": two})
    client.post(reverse("change_status", args=[alice.pk, "paused"]), {"note": three})
    alice.refresh_from_db()
    # Each way in did store the text (so each page below has it to show).
    assert Patient.objects.filter(given_name=one, family_name=two).exists()
    assert Caregiver.objects.filter(name=three, relationship=four).exists()
    assert Procedure.objects.filter(complications=one).exists()
    assert SymptomReport.objects.filter(other_problem_name=two[:120]).exists()
    assert SymptomReport.objects.filter(other_problem_name=one).exists()
    assert SymptomReport.objects.filter(other_problem_name=three).exists()
    assert (alice.given_name, alice.family_name) == (four, three)
    assert InboundMessage.objects.filter(body=two).exists()
    return alice


def assert_escaped(page, where):
    assert page.status_code == 200, (where, page.status_code)
    content = page.content.decode() if not page.streaming else b"".join(page.streaming_content).decode()
    for payload in HOSTILE:
        assert payload not in content, f"{payload!r} unescaped on {where}"
    assert "<script>alert" not in content and "onerror=alert" not in content.replace("onerror=alert(1)&gt;", "")


def test_hostile_text_is_escaped_on_every_page_a_nurse_or_lead_sees(client, hostile_records, leo, nina):
    alice = hostile_records
    newcomer = Patient.objects.get(mrn="RV-9001")
    client.force_login(nina)
    pages = [reverse("worklist"), reverse("patients"), reverse("patients") + "?q=" + HOSTILE[0],
             reverse("patient", args=[alice.pk]), reverse("patient", args=[newcomer.pk]),
             reverse("edit_caregiver", args=[alice.caregivers.get(name=HOSTILE[2]).pk]),
             reverse("edit_contact", args=[alice.pk]), reverse("resume_patient", args=[alice.pk])]
    for url in pages:
        assert_escaped(client.get(url), url)
    # The API answers JSON, which a browser does not run as a page (and nosniff stops it guessing).
    answer = client.get(f"/api/v1/patients/{alice.pk}/")
    assert answer["Content-Type"] == "application/json" and answer["X-Content-Type-Options"] == "nosniff"
    assert answer.json()["given_name"] == HOSTILE[3]
    assert_escaped(client.get(reverse("worklist"), HTTP_HX_REQUEST="true"), "worklist fragment")
    leo.is_staff = leo.is_superuser = True
    leo.save()
    client.force_login(leo)
    lead_pages = [reverse("worklist"), reverse("reports:patient_drainages"), reverse("reports:drainage_log"), reverse("reports:symptoms"),
                  reverse("audit"), reverse("audit") + "?user=" + HOSTILE[1],
                  "/admin/followup/patient/", f"/admin/followup/patient/{alice.pk}/change/",
                  f"/admin/followup/patient/{alice.pk}/history/", f"/admin/followup/patient/{newcomer.pk}/change/",
                  "/admin/followup/caregiver/", "/admin/followup/procedure/", "/admin/followup/symptomreport/",
                  "/admin/followup/alert/", "/admin/followup/inboundmessage/", "/admin/followup/statuschange/",
                  "/admin/followup/accesslog/"]
    for url in lead_pages:
        assert_escaped(client.get(url), url)


def test_hostile_text_in_a_csv_export_cannot_become_a_formula(client, hostile_records, leo):
    Procedure.objects.filter(complications=HOSTILE[0]).update(complications="=HYPERLINK(\"http://example.org\")")
    client.force_login(leo)
    response = client.get(reverse("reports:export", args=["drainage-log"]))
    body = b"".join(response.streaming_content).decode()
    assert "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body


# --- No cross-clinic leak ----------------------------------------------------------------------------

RIVERSIDE_MARKERS = ["Archer", "Baker", "RV-100", "2025550101", "bob@example.org", "Dora", "Feeling worse today"]
SKIPPED_NAMESPACES = {"admin"}  # the admin is staff-only and clinic-scoped by its own tests (test_admin.py)


def named_patterns(patterns=None, prefix="", namespace=None):
    """Every named URL: (reverse name, parameter names)."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part) or None
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from named_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            params = list(entry.pattern.regex.groupindex)
            if "format" in params:
                continue
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), params


def riverside_ids(alice):
    ids = {alice.pk, alice.clinic_id}
    for model in (Patient, Caregiver, Occurrence, Procedure, SymptomReport, Alert, Reminder, InboundMessage, CalendarFeed):
        field = "clinic" if model in (Patient, InboundMessage) else "owner__memberships__clinic" if model is CalendarFeed \
            else "patient__clinic"
        ids |= set(model.objects.filter(**{field: alice.clinic_id}).values_list("pk", flat=True))
    ids |= set(alice.schedules.values_list("pk", flat=True))
    return sorted(ids)


def snapshot(clinic_id):
    """What a change by someone from another clinic would alter."""
    return {
        "patients": list(Patient.objects.filter(clinic=clinic_id).order_by("pk").values()),
        "caregivers": list(Caregiver.objects.filter(patient__clinic=clinic_id).order_by("pk").values()),
        "occurrences": list(Occurrence.objects.filter(patient__clinic=clinic_id).order_by("pk").values()),
        "procedures": list(Procedure.objects.filter(patient__clinic=clinic_id).order_by("pk").values()),
        "reports": list(SymptomReport.objects.filter(patient__clinic=clinic_id).order_by("pk").values()),
        "alerts": list(Alert.objects.filter(patient__clinic=clinic_id).order_by("pk").values()),
        "reminders": list(Reminder.objects.filter(patient__clinic=clinic_id).order_by("pk").values("pk", "state", "acknowledged_at")),
        "messages": list(InboundMessage.objects.filter(clinic=clinic_id).order_by("pk").values()),
        "feeds": list(CalendarFeed.objects.filter(owner__memberships__clinic=clinic_id).order_by("pk").values()),
    }


def fill(params, some_id):
    values = {"pk": some_id, "status": "paused", "key": "patients", "token": "x", "signed": "x"}
    return {name: values.get(name, some_id) for name in params}


def test_a_nurse_of_another_clinic_never_sees_or_changes_riverside_data(errors_as_responses, riverside_case,
                                                                         hillcrest_case, noah):
    client = errors_as_responses
    client.force_login(noah)
    before = snapshot(riverside_case.clinic_id)
    ids = riverside_ids(riverside_case)
    now = timezone.localtime(timezone.now(), riverside_case.zone).strftime("%Y-%m-%dT%H:%M")
    form = {"note": "hillcrest was here", "performed_at": now, "due_at": now, "volume_ml": "100", "count": "7", "unit": "days",
            "name": "Intruder", "pain": "9", "mobile": "+12025550199", "preferred_channel": "sms", "language": "en",
            "time_zone": "America/New_York", "clinic": riverside_case.clinic_id, "patient": riverside_case.pk}
    checked = 0
    for name, params in named_patterns():
        if any(p in params for p in ("token", "signed")) or name in ("healthz", "metrics"):
            continue  # secret addresses, not ids; operations endpoints, which carry no patient data
        for some_id in ids if params else [None]:
            url = reverse(name, kwargs=fill(params, some_id))
            if not params:
                url += f"?patient={riverside_case.pk}&clinic={riverside_case.clinic_id}&nurse={riverside_case.nurse_id}"
            responses = [client.get(url), client.post(url, form)]
            if url.startswith("/api/"):
                responses.append(client.post(url, json.dumps(form), content_type="application/json"))
                responses.append(client.patch(url, json.dumps({"given_name": "Intruder"}), content_type="application/json"))
            for response in responses:
                checked += 1
                assert response.status_code < 500, url
                body = b"".join(response.streaming_content) if response.streaming else response.content
                text = body.decode(errors="replace")
                for marker in RIVERSIDE_MARKERS:
                    assert marker not in text, f"{marker!r} shown to Hillcrest's nurse at {url} ({response.status_code})"
    assert checked > 500
    assert snapshot(riverside_case.clinic_id) == before
    assert not AccessLog.objects.filter(user=noah, patient__clinic=riverside_case.clinic_id).exists()
