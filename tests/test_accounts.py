"""Accounts: five wrong sign-ins lock a username out from that address for 30 minutes with a page
that says when to try again; staff may add a TOTP code from an authenticator app, after which
signing in asks for it; an idle session ends after an hour."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from followup.models import AccessLog

from .conftest import PASSWORD

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _axes_on(settings):
    settings.AXES_ENABLED = True


def sign_in(client, username="nina", password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def code_for(device, at=None):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at.timestamp()
    return f"{totp.token():06d}"


@pytest.fixture
def nina_with_app(nina):
    return TOTPDevice.objects.create(user=nina, name="Authenticator app", confirmed=True)


# --- Lock-out after repeated failures -------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_from_that_address(client, nina):
    with time_machine.travel(START, tick=False):
        for attempt in range(4):
            assert sign_in(client, password="wrong-guess").status_code == 200
        locked = sign_in(client, password="wrong-guess")
        assert locked.status_code == 429
        assert b"You can try again in 30 minutes" in locked.content
        assert b"ask your clinical lead or your Followup administrator" in locked.content
        # Even the right password does not get in while locked.
        assert sign_in(client).status_code == 429
        assert client.get(reverse("worklist")).status_code == 302


def test_the_lock_out_page_counts_down(client, nina):
    with time_machine.travel(START, tick=False) as clock:
        for attempt in range(5):
            sign_in(client, password="wrong-guess")
        clock.shift(timedelta(minutes=12))
        page = sign_in(client)
        assert page.status_code == 429
        assert b"You can try again in 18 minutes" in page.content


def test_the_lock_out_ends_after_thirty_minutes(client, nina):
    with time_machine.travel(START, tick=False) as clock:
        for attempt in range(5):
            sign_in(client, password="wrong-guess")
        clock.shift(timedelta(minutes=31))
        response = sign_in(client)
        assert response.status_code == 302
        assert response["Location"] == reverse("worklist")


def test_the_lock_out_is_for_that_username_from_that_address_only(nina, leo):
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for attempt in range(5):
        sign_in(guesser, password="wrong-guess")
    assert sign_in(guesser).status_code == 429
    # Nina at her own computer, and Leo at the guesser's, still sign in.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.20")).status_code == 302
    assert sign_in(Client(REMOTE_ADDR="203.0.113.7"), "leo").status_code == 302


def test_a_right_password_clears_earlier_failures(client, nina):
    for attempt in range(4):
        sign_in(client, password="wrong-guess")
    assert sign_in(client).status_code == 302
    client.post(reverse("logout"))
    for attempt in range(4):
        assert sign_in(client, password="wrong-guess").status_code == 200


def test_unknown_usernames_are_locked_out_alike(client, db):
    for attempt in range(4):
        sign_in(client, "nobody", "wrong-guess")
    assert sign_in(client, "nobody", "wrong-guess").status_code == 429


def test_passwords_must_be_strong(client, nina):
    client.force_login(nina)
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "short1",
                                                         "new_password2": "short1"})
    assert response.status_code == 200
    assert b"This password is too short. It must contain at least 10 characters." in response.content
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "1234567890123",
                                                        "new_password2": "1234567890123"})
    assert b"This password is entirely numeric." in response.content


def test_the_admin_signs_in_through_the_same_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/admin/"


# --- The optional sign-in code --------------------------------------------------------------------


def test_staff_without_an_app_sign_in_with_the_password_only(client, nina):
    response = sign_in(client)
    assert response["Location"] == reverse("worklist")
    assert client.get(reverse("worklist")).status_code == 200


def test_setting_up_shows_a_qr_code_and_turns_on_with_a_first_right_code(client, nina):
    client.force_login(nina)
    assert b"<strong>Off.</strong>" in client.get(reverse("account")).content
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    content = page.content.decode()
    assert '<svg role="img" aria-label="QR code for your authenticator app"' in content
    assert "<script" not in content.split("</head>")[1]
    device = TOTPDevice.objects.get(user=nina)
    assert not device.confirmed
    assert "otpauth://totp/Followup%3Anina?" in device.config_url
    wrong = client.post(reverse("two_factor_setup"), {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert b"That code is not right" in wrong.content
    assert client.post(reverse("two_factor_setup"), {"code": "12ab"}).content.count(b"Enter the 6 digits") == 1
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=5), tick=False):  # past the wrong code's throttle
        done = client.post(reverse("two_factor_setup"), {"code": code_for(device)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("account")).content.count(b"<strong>On.</strong>") == 1
    assert AccessLog.objects.filter(username="nina", what="account: sign-in code turned on").count() == 1


def test_with_an_app_sign_in_asks_for_the_code(client, nina_with_app):
    with time_machine.travel(START, tick=False):
        response = client.post(reverse("login") + "?next=/patients/", {"username": "nina", "password": PASSWORD})
        assert response["Location"] == reverse("login_code")
        # Not signed in yet.
        assert client.get(reverse("worklist")).status_code == 302
        page = client.get(reverse("login_code"))
        assert b"Enter your sign-in code" in page.content
        done = client.post(reverse("login_code"), {"code": code_for(nina_with_app, START)})
        assert done["Location"] == "/patients/"
        assert client.get(reverse("worklist")).status_code == 200
        assert AccessLog.objects.filter(username="nina", action=AccessLog.Action.SIGN_IN).count() == 1


def test_a_wrong_code_is_refused_and_counts_as_a_failed_sign_in(client, nina_with_app):
    with time_machine.travel(START, tick=False):
        sign_in(client)
        wrong = "000000" if code_for(nina_with_app, START) != "000000" else "111111"
        page = client.post(reverse("login_code"), {"code": wrong})
        assert page.status_code == 200
        assert b"That code is not right" in page.content
        assert client.get(reverse("worklist")).status_code == 302
        assert AccessLog.objects.filter(username="nina", action=AccessLog.Action.SIGN_IN_FAILED).count() == 1


def test_five_wrong_codes_lock_the_account_out(client, nina_with_app):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client)
        wrong = "000000" if code_for(nina_with_app, START) != "000000" else "111111"
        for attempt in range(4):
            assert client.post(reverse("login_code"), {"code": wrong}).status_code == 200
            clock.shift(timedelta(seconds=20))
        assert client.post(reverse("login_code"), {"code": wrong}).status_code == 429
        # The password step is locked too, and the half-finished sign-in is forgotten.
        assert sign_in(client).status_code == 429
        assert client.get(reverse("login_code"))["Location"] == reverse("login")


def test_a_code_cannot_be_used_twice(nina_with_app):
    with time_machine.travel(START, tick=False):
        code = code_for(nina_with_app, START)
        first = Client()
        sign_in(first)
        assert first.post(reverse("login_code"), {"code": code}).status_code == 302
        second = Client()
        sign_in(second)
        assert b"That code is not right" in second.post(reverse("login_code"), {"code": code}).content


def test_the_code_step_expires_after_five_minutes(client, nina_with_app):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client)
        clock.shift(timedelta(minutes=6))
        response = client.post(reverse("login_code"), {"code": code_for(nina_with_app, START + timedelta(minutes=6))})
        assert response["Location"] == reverse("login")
        assert client.get(reverse("worklist")).status_code == 302


def test_the_code_step_without_a_password_goes_back_to_sign_in(client, nina_with_app):
    assert client.get(reverse("login_code"))["Location"] == reverse("login")


def test_turning_the_code_off_takes_a_current_code(client, nina_with_app):
    client.force_login(nina_with_app.user)
    with time_machine.travel(START, tick=False):
        wrong = "000000" if code_for(nina_with_app, START) != "000000" else "111111"
        refused = client.post(reverse("two_factor_off"), {"code": wrong})
        assert refused.status_code == 400
        assert TOTPDevice.objects.filter(user=nina_with_app.user).exists()
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        done = client.post(reverse("two_factor_off"), {"code": code_for(nina_with_app, START + timedelta(minutes=1))})
        assert done["Location"] == reverse("account")
    assert not TOTPDevice.objects.filter(user=nina_with_app.user).exists()
    client.post(reverse("logout"))
    assert sign_in(client)["Location"] == reverse("worklist")


def test_a_second_setup_is_refused_while_the_code_is_on(client, nina_with_app):
    client.force_login(nina_with_app.user)
    response = client.get(reverse("two_factor_setup"))
    assert response["Location"] == reverse("account")


# --- Session timeout ------------------------------------------------------------------------------


def test_a_session_ends_after_an_hour_without_activity(client, nina):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client)
        clock.shift(timedelta(minutes=50))
        assert client.get(reverse("worklist")).status_code == 200  # activity starts the hour again
        clock.shift(timedelta(minutes=50))
        assert client.get(reverse("worklist")).status_code == 200
        clock.shift(timedelta(minutes=61))
        response = client.get(reverse("worklist"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
