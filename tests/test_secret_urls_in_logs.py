"""Finding 4 of the security review: a secret URL (a calendar feed, a symptom-form link, and any
other address listed in followup.jsonlog.SECRET_URL_PREFIXES) is masked in every log the project
configures: Django's and Celery's loggers, runserver's request lines and gunicorn's access log."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from followup.jsonlog import SECRET_URL_PREFIXES, redact

BASE_DIR = Path(__file__).resolve().parent.parent
FEED_TOKEN = "Zq3x_Jd8-kP2mW9vT4yR7bN1cF6hL0sAeUoIiGgKkXw"  # secrets.token_urlsafe(32): 43 characters
SYMPTOM_TOKEN = "Ab3_dE-fGh1J.abcdefghijklmnopqrstuv"


@pytest.mark.parametrize(("line", "masked"), [
    (f'"GET /calendar/{FEED_TOKEN}.ics HTTP/1.1" 200 512', '"GET /calendar/[link].ics HTTP/1.1" 200 512'),
    (f"webcal://followup.example.org/calendar/{FEED_TOKEN}.ics", "webcal://followup.example.org/calendar/[link].ics"),
    (f'"GET /s/{SYMPTOM_TOKEN}/ HTTP/1.1" 200', '"GET /s/[link]/ HTTP/1.1" 200'),
    (f'"POST /s/{SYMPTOM_TOKEN}/thanks/ HTTP/1.1" 302', '"POST /s/[link]/thanks/ HTTP/1.1" 302'),
    (f"https://followup.example.org/s/{SYMPTOM_TOKEN}/?lang=es", "https://followup.example.org/s/[link]/?lang=es"),
    (f'"POST /d/{SYMPTOM_TOKEN}/ HTTP/1.1" 302', '"POST /d/[link]/ HTTP/1.1" 302'),  # a caregiver's drainage log
])
def test_a_calendar_feed_or_symptom_link_token_is_masked(line, masked):
    assert redact(line) == masked


@pytest.mark.parametrize("prefix", SECRET_URL_PREFIXES)
def test_every_listed_secret_url_prefix_is_masked(prefix):
    assert redact(f"GET {prefix}{FEED_TOKEN}/ 200") == f"GET {prefix}[link]/ 200"


@pytest.mark.parametrize("line", [
    '"GET /calendar/ HTTP/1.1" 200', '"POST /calendar/feeds/new/ HTTP/1.1" 302', '"POST /calendar/feeds/12/revoke/ HTTP/1.1" 302',
    '"GET /patients/17/status/paused/ HTTP/1.1" 200', '"GET /static/followup/app.4f2a1b3c9d8e.css HTTP/1.1" 200',
])
def test_the_staff_pages_next_to_secret_urls_are_left_alone(line):
    assert redact(line) == line


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve_and_request(command, port, env, paths):
    """Start a web server, request `paths` once it answers, stop it; its log (stderr) as text."""
    server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError("the server did not start") from None
                time.sleep(0.2)
        for path in paths:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
            except urllib.error.HTTPError:
                pass  # a 404 or a 500 from the unmigrated database: the request line is logged either way
        time.sleep(0.5)
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    return log


SECRET_PATHS = [f"/calendar/{FEED_TOKEN}.ics", f"/s/{SYMPTOM_TOKEN}/"]


def _environment(tmp_path, **extra):
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "PYTHONUNBUFFERED": "1", **extra}


def _assert_masked(log):
    assert "/calendar/[link].ics" in log and "/s/[link]/" in log, log
    assert FEED_TOKEN not in log and SYMPTOM_TOKEN not in log, log


def test_gunicorns_access_log_masks_secret_urls(tmp_path):
    port = _free_port()
    env = _environment(tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", ACCESS_LOG="true")
    log = _serve_and_request([sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "deploy/gunicorn.conf.py"],
                             port, env, SECRET_PATHS)
    _assert_masked(log)


def test_runservers_request_log_masks_secret_urls(tmp_path):
    port = _free_port()
    log = _serve_and_request([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
                             port, _environment(tmp_path), SECRET_PATHS)
    _assert_masked(log)
