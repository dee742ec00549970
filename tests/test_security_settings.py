"""Production settings: the deploy check is clean, HTTPS is enforced, every page carries the secure
headers and a Content Security Policy without inline script, and a missing secret stops start-up.

Settings are read once at import, so production is checked in a fresh Python process with the
environment a real deployment would have.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "followup.example.org",
              "SMS_BACKEND": "followup.messaging.backends.twilio.SmsBackend",
              "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
              # A deployment with Twilio has its credentials (the message-channel check refuses it otherwise).
              "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "test-token", "TWILIO_FROM_NUMBER": "+12025550100"}


# Set by the test run itself (conftest) or by a developer's shell; a deployment has none of them.
NOT_IN_PRODUCTION = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER",
                     "AUDIT_RETENTION_DAYS", "SECURE_HSTS_PRELOAD", "DJANGO_ALLOW_ASYNC_UNSAFE", "SMS_BACKEND",
                     "EMAIL_BACKEND", "ALLOW_CONSOLE_BACKENDS")


def environment(**env):
    return {**{key: value for key, value in os.environ.items() if key not in NOT_IN_PRODUCTION},
            "DJANGO_SETTINGS_MODULE": "config.settings", **env}


def run_django(code, **env):
    """Run `code` after django.setup() in a new process with the given environment."""
    script = "import django, json\ndjango.setup()\n" + code
    return subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=environment(**env), capture_output=True, text=True, check=False,
                          timeout=120)


def production_settings(*names, **env):
    result = run_django(f"from django.conf import settings\nprint(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))",
                        **{**PRODUCTION, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deploy_check_reports_nothing_in_production():
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=BASE_DIR,
                            env=environment(**PRODUCTION), capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("secret", [None, "django-insecure-followup-development-key-never-use-in-production", "short"])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    env = {"DEBUG": "false", "ALLOWED_HOSTS": "followup.example.org"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    result = run_django("print('started')", **env)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr
    assert "started" not in result.stdout


def test_production_settings_are_https_only():
    values = production_settings("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
                                 "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER",
                                 "TRUSTED_PROXY", "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY", "SECURE_CONTENT_TYPE_NOSNIFF")
    assert values == {
        "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 60 * 60, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": None, "TRUSTED_PROXY": False, "X_FRAME_OPTIONS": "DENY",
        "SECURE_REFERRER_POLICY": "same-origin", "SECURE_CONTENT_TYPE_NOSNIFF": True,
    }


def test_behind_a_tls_proxy_the_redirect_can_be_left_to_the_proxy():
    values = production_settings("SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER",
                                 SECURE_SSL_REDIRECT="false", SECURE_PROXY_SSL_HEADER="true")
    assert values == {"SECURE_SSL_REDIRECT": False, "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"]}


def test_a_typo_in_a_switch_stops_start_up():
    result = run_django("print('started')", **PRODUCTION, SECURE_SSL_REDIRECT="flase")
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT must be true or false" in result.stderr


PROBE = """
from django.test import Client
client = Client()
plain = client.get("/nowhere/", HTTP_HOST="followup.example.org")
secure = client.get("/nowhere/", HTTP_HOST="followup.example.org", secure=True)
proxied = client.get("/nowhere/", HTTP_HOST="followup.example.org", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "secure_hsts": secure.get("Strict-Transport-Security", ""),
    "proxied": [proxied.status_code, proxied.get("Strict-Transport-Security", "")],
}))
"""


def test_plain_http_is_redirected_and_https_answers_carry_hsts():
    result = run_django(PROBE, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://followup.example.org/nowhere/"]
    assert seen["secure_hsts"] == "max-age=31536000; includeSubDomains"
    assert seen["proxied"][0] == 301  # X-Forwarded-Proto is not trusted unless switched on


def test_a_proxy_that_says_https_is_trusted_only_when_switched_on():
    result = run_django(PROBE, **PRODUCTION, SECURE_SSL_REDIRECT="false", SECURE_PROXY_SSL_HEADER="true")
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"][0] == 404  # the proxy redirects; Django does not
    assert seen["proxied"] == [404, "max-age=31536000; includeSubDomains"]


def test_static_files_are_hashed_and_compressed_in_production_only(settings):
    values = production_settings("STORAGES", "WHITENOISE_USE_FINDERS")
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert values["WHITENOISE_USE_FINDERS"] is False
    # Development and the tests read static/ directly: no collectstatic needed.
    assert settings.STORAGES["staticfiles"]["BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE


def test_audit_retention_cannot_be_set_below_six_years():
    result = run_django("print('started')", AUDIT_RETENTION_DAYS="365")
    assert result.returncode != 0
    assert "AUDIT_RETENTION_DAYS must be at least 2192" in result.stderr


@pytest.mark.parametrize("who", ["anonymous", "nina"])
def test_every_page_carries_the_secure_headers(client, nina, who):
    if who == "nina":
        client.force_login(nina)
    response = client.get(reverse("worklist") if who == "nina" else reverse("login"))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "unsafe" not in response["Content-Security-Policy"]


def test_pages_have_no_inline_script(client, leo, enrolled_alice):
    client.force_login(leo)
    for url in (reverse("worklist"), reverse("patients"), reverse("patient", args=[enrolled_alice.pk]), reverse("audit"),
                reverse("account"), reverse("login")):
        page = client.get(url).content.decode()
        for tag in page.split("<script")[1:]:
            assert tag.split(">", 1)[0].strip().startswith("src="), f"inline script on {url}"
        assert " onclick=" not in page and " onload=" not in page and "javascript:" not in page


def test_api_docs_load_their_script_from_a_url(client, nina):
    client.force_login(nina)
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    body = page.content.decode()
    assert all(tag.split(">", 1)[0].strip().startswith("src=") for tag in body.split("<script")[1:])
    assert "script-src 'self';" in page["Content-Security-Policy"] + ";"
    assert client.get(reverse("api-docs") + "?script=").status_code == 200
