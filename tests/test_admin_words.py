"""The admin in the clinic's words: machinery (heartbeats, lock-outs, sign-in code devices, API
tokens) only for superusers, staff pickers by full name, reminder recipients by name, and the
clinic's message hours read "from ... until" in that order."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from followup.models import Membership, Reminder

from .conftest import make_staff
from .test_admin import records  # noqa: F401  (the fixture)


@pytest.fixture
def lena(riverside):
    """A clinical lead allowed into the admin, with every permission but not a superuser."""
    user = make_staff("lena", riverside, Membership.Role.LEAD)
    user.first_name, user.last_name, user.is_staff = "Lena", "O'Hara", True
    user.save()
    user.user_permissions.set(Permission.objects.all())
    return user


@pytest.fixture
def root(db):
    from followup.models import User

    return User.objects.create_superuser("root", "root@example.org", "followup-test-password")


MACHINERY_URLS = ["/admin/axes/accessattempt/", "/admin/axes/accesslog/", "/admin/otp_totp/totpdevice/",
                  "/admin/followup/heartbeat/", "/admin/authtoken/tokenproxy/"]


def test_a_lead_sees_no_machinery_in_the_admin(client, lena):
    client.force_login(lena)
    index = client.get("/admin/").content.decode()
    for words in ("Heartbeats", "Access attempts", "TOTP devices", "Tokens", "AXES", "OTP_TOTP"):
        assert words not in index
    for url in MACHINERY_URLS:
        assert client.get(url).status_code == 403, url
    assert "Patients" in index


def test_a_superuser_still_reaches_the_machinery(client, root):
    client.force_login(root)
    for url in MACHINERY_URLS:
        assert client.get(url).status_code == 200, url


def test_staff_pickers_show_full_names(client, root, riverside, nina, alice):
    nina.first_name, nina.last_name = "Nina", "Núñez"
    nina.save()
    client.force_login(root)
    page = client.get(reverse("admin:followup_patient_change", args=[alice.pk])).content.decode()
    assert f'<option value="{nina.pk}" selected>Nina Núñez</option>' in page


def test_reminder_recipients_show_by_name(client, root, records):  # noqa: F811
    reminder = Reminder.objects.filter(caregiver__isnull=False).select_related("caregiver").first()
    client.force_login(root)
    page = client.get(reverse("admin:followup_reminder_changelist")).content.decode()
    assert str(reminder.caregiver) in page
    assert f">{reminder.recipient}<" not in page


def test_the_clinic_message_hours_read_from_then_until(client, root, riverside):
    client.force_login(root)
    page = client.get(reverse("admin:followup_clinic_change", args=[riverside.pk])).content.decode()
    assert page.index("Messages allowed from") < page.index("Messages allowed until")
    assert "History kept from before enrolment (days)" in page
