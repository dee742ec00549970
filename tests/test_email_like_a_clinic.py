"""E-mail as a clinic sends it: from the clinic's name with its reply-to, a one-click unsubscribe
(RFC 8058) and a link in the body that stop e-mail to that address at once, dates in the reader's
language, every e-mail setting from the environment, and a misconfigured channel found at start."""

import re
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.core import checks, mail
from django.core.management.base import SystemCheckError
from django.urls import reverse

from followup import services
from followup.messaging import delivery
from followup.messaging import email as clinic_email
from followup.messaging.checks import run_at_worker_start
from followup.models import EmailAddress, Reminder

from .conftest import at, make_patient

pytestmark = pytest.mark.django_db


def send_bobs_checkin(bob, django_capture_on_commit_callbacks):
    with time_machine.travel(at("2026-11-30 12:00"), tick=False):
        services.enrol(bob)
    reminder = Reminder.objects.get(patient=bob, purpose=Reminder.Purpose.CHECKIN)
    now = reminder.send_at + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        claimed = []
        delivery.dispatch_due_reminders(now=now, enqueue=claimed.extend)
    with time_machine.travel(now, tick=False):
        delivery.send_reminders(claimed, now=now)
    reminder.refresh_from_db()
    return reminder


@pytest.fixture
def sent_to_bob(bob, riverside, django_capture_on_commit_callbacks):
    riverside.name_in_messages = "Riverside Care Team"
    riverside.reply_to_email = "team@riverside.example.org"
    riverside.save()
    send_bobs_checkin(bob, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    return message


def unsubscribe_path(message):
    return re.search(r"<https?://[^/]+(/u/[^>]+)>", message.extra_headers["List-Unsubscribe"]).group(1)


def test_email_comes_from_the_clinics_name_with_its_reply_to(sent_to_bob):
    assert sent_to_bob.from_email == "Riverside Care Team <no-reply@example.org>"
    assert sent_to_bob.reply_to == ["team@riverside.example.org"]


def test_email_carries_rfc_8058_one_click_unsubscribe_headers_and_a_link_in_the_body(sent_to_bob):
    assert sent_to_bob.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = unsubscribe_path(sent_to_bob)
    assert path in sent_to_bob.body
    assert path in sent_to_bob.alternatives[0][0]
    assert "bob" not in path.lower()  # the link holds no address


def test_one_click_post_opts_the_address_out_of_email_at_once_with_its_source(client, sent_to_bob, bob):
    response = client.post(unsubscribe_path(sent_to_bob), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    row = EmailAddress.objects.get(address="bob@example.org")
    assert row.unsubscribed_at is not None and row.unsubscribed_source == clinic_email.ONE_CLICK
    assert not bob.reminders.filter(channel="email", state__in=Reminder.UNSENT).exists()


def test_the_link_in_the_body_asks_once_then_confirms_in_the_readers_language(client, sent_to_bob):
    path = unsubscribe_path(sent_to_bob)
    page = client.get(path)
    assert page.status_code == 200 and "Dejar de recibir correos" in page.content.decode()
    assert EmailAddress.objects.get(address="bob@example.org").unsubscribed_at is None
    done = client.post(path)
    assert "No enviaremos más correos a esta dirección" in done.content.decode()
    assert EmailAddress.objects.get(address="bob@example.org").unsubscribed_source == clinic_email.LINK


def test_a_repeated_one_click_post_changes_nothing(client, sent_to_bob):
    path = unsubscribe_path(sent_to_bob)
    client.post(path, {"List-Unsubscribe": "One-Click"})
    first = EmailAddress.objects.get(address="bob@example.org")
    with time_machine.travel(first.unsubscribed_at + timedelta(days=1)):
        assert client.post(path).status_code == 200
    again = EmailAddress.objects.get(address="bob@example.org")
    assert (again.unsubscribed_at, again.unsubscribed_source) == (first.unsubscribed_at, first.unsubscribed_source)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_or_unknown_unsubscribe_link_is_a_404_that_says_nothing(client, sent_to_bob, method):
    path = unsubscribe_path(sent_to_bob)
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    for wrong in (tampered, "/u/never-issued-token/"):
        response = getattr(client, method)(wrong)
        assert response.status_code == 404
        assert b"bob" not in response.content.lower() and b"Riverside" not in response.content
    assert EmailAddress.objects.get(address="bob@example.org").unsubscribed_at is None


def test_an_unsubscribed_address_gets_no_more_email_for_anyone_who_gives_it(client, sent_to_bob, riverside, nina,
                                                                                  django_capture_on_commit_callbacks):
    client.post(unsubscribe_path(sent_to_bob), {"List-Unsubscribe": "One-Click"})
    # Bob's wife gives the same address for her own reminders, and her phone for texts.
    dora = make_patient(riverside, "RV-1003", "Dora", "Baker", email="Bob@example.org", preferred_channel="email",
                        language="es", nurse=nina)
    reminder = send_bobs_checkin(dora, django_capture_on_commit_callbacks)
    assert reminder.state == Reminder.State.CANCELLED and "unsubscribed" in reminder.reason
    assert len(mail.outbox) == 1
    dora.refresh_from_db()
    assert dora.opted_out_at is None  # the address's opt-out, not the person's


def test_spanish_email_dates_come_from_djangos_locale_formats(sent_to_bob):
    assert re.search(r"\b\d{1,2} de (enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre) de 20\d\d", sent_to_bob.body)
    assert "Dic." not in sent_to_bob.body and "Dic" not in sent_to_bob.subject


def test_every_email_setting_is_read_from_the_environment_including_the_file_path(tmp_path):
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(tmp_path),
        "EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "2525", "EMAIL_USE_SSL": "true", "EMAIL_TIMEOUT": "7",
        "EMAIL_HOST_USER": "u", "EMAIL_HOST_PASSWORD": "p", "SERVER_EMAIL": "ops@example.org", "DEBUG": "true",
    }
    code = ("import django; django.setup(); from django.conf import settings as s; from django.core.mail import send_mail;"
            "print(s.EMAIL_FILE_PATH, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_SSL, s.EMAIL_TIMEOUT, s.SERVER_EMAIL);"
            "send_mail('Subject', 'Body', None, ['bob@example.org'])")
    import os

    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"{tmp_path} smtp.example.org 2525 True 7 ops@example.org" in result.stdout
    assert len(list(tmp_path.iterdir())) == 1  # the filebased backend composed and wrote the e-mail


def test_a_misconfigured_channel_is_found_by_a_system_check_and_stops_the_worker(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = ""
    settings.SMS_BACKEND = "followup.messaging.backends.twilio.SmsBackend"
    settings.TWILIO_ACCOUNT_SID = ""
    found = {error.id for error in checks.run_checks(tags=["followup"])}
    assert {"followup.E102", "followup.E106"} <= found
    with pytest.raises(SystemCheckError, match="EMAIL_FILE_PATH"):
        run_at_worker_start()


def test_a_well_configured_channel_passes_the_check(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    run_at_worker_start()


def test_the_unsubscribe_link_is_masked_in_logs():
    from followup import jsonlog

    assert "/u/" in jsonlog.SECRET_URL_PREFIXES
    assert reverse("email-unsubscribe", args=["x" * 32]).startswith("/u/")
