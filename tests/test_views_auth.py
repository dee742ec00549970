"""Signing in and out, password reset by e-mail, CSRF, and the navigation each role sees."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .conftest import PASSWORD


def test_pages_need_sign_in(client, alice):
    for url in (reverse("worklist"), reverse("patients"), reverse("patient", args=[alice.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_nurse_signs_in_and_lands_on_the_worklist(client, nina):
    page = client.get(reverse("login"))
    assert b'<label for="id_username">' in page.content
    response = client.post(reverse("login"), {"username": "nina", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("worklist")
    assert client.get(reverse("worklist")).status_code == 200


def test_wrong_password_says_so_and_keeps_the_username(client, nina):
    response = client.post(reverse("login"), {"username": "nina", "password": "not-it"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b'value="nina"' in response.content


def test_sign_out_is_a_post(client, nina):
    client.force_login(nina)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("worklist")).status_code == 302


def test_password_reset_by_email(client, nina):
    response = client.post(reverse("password_reset"), {"email": "nina@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    new_password = "a-fresh-long-password-42"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    assert Client().login(username="nina", password=new_password)


def test_password_reset_for_an_unknown_address_reveals_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert b"Check your e-mail" in response.content
    assert mail.outbox == []


def test_a_post_without_csrf_token_is_refused(nina, enrolled_alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nina)
    response = client.post(reverse("record_drainage", args=[enrolled_alice.pk]), {"performed_at": "2026-01-01T10:00"})
    assert response.status_code == 403
    assert not enrolled_alice.procedures.exists()


@pytest.mark.parametrize("who, sees_reports", [("nina", False), ("leo", True)])
def test_reports_link_only_for_clinical_leads(client, request, who, sees_reports):
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("worklist")).content.decode()
    assert ('href="/reports/"' in page) is sees_reports
    assert f'href="{reverse("patients")}"' in page


def test_a_nurse_active_every_half_hour_stays_signed_in(client, nina):
    with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), tick=False) as clock:
        client.force_login(nina)
        for _ in range(5):  # 08:30 ... 10:30, well past an hour after signing in
            clock.shift(timedelta(minutes=30))
            assert client.get(reverse("worklist")).status_code == 200


def test_an_hour_without_activity_signs_the_nurse_out(client, nina):
    with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), tick=False) as clock:
        client.force_login(nina)
        clock.shift(timedelta(minutes=30))
        assert client.get(reverse("worklist")).status_code == 200
        clock.shift(timedelta(minutes=60, seconds=1))
        response = client.get(reverse("worklist"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_reloading_the_worklist_within_a_minute_writes_no_session(client, nina):
    with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), tick=False) as clock:
        client.force_login(nina)
        client.get(reverse("worklist"))
        clock.shift(timedelta(seconds=30))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("worklist")).status_code == 200
        assert not [q for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]
        clock.shift(timedelta(seconds=31))  # a minute since the last write: the expiry moves on
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("worklist"))
        assert [q for q in queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]
