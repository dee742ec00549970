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


PROJECT_APPS = ("followup", "subscriptions", "oauth")


def unnamed_models_and_fields():
    """Every model and concrete field of our apps that leaves its name to Django's guess
    ("checkin days stable") rather than saying it in the clinic's words."""
    from django.apps import apps

    missing = []
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical"):
                continue
            if "verbose_name" not in model._meta.original_attrs:
                missing.append(f"{label}.{model.__name__}: verbose_name")
            if "verbose_name_plural" not in model._meta.original_attrs:
                missing.append(f"{label}.{model.__name__}: verbose_name_plural")
            for field in model._meta.get_fields(include_parents=False):
                if field.auto_created or not field.concrete:
                    continue
                # A field given no verbose_name carries none until Django derives it from the name.
                if field.deconstruct()[3].get("verbose_name") is None:
                    missing.append(f"{label}.{model.__name__}.{field.name}")
    return missing


def test_every_model_and_field_is_named_in_the_clinics_words():
    missing = unnamed_models_and_fields()
    assert missing == [], f"{len(missing)} without an explicit verbose_name:\n" + "\n".join(missing)


def labelled(page, label):
    """A form field labelled `label` (a checkbox's label has no colon)."""
    return f">{label}:</label>" in page or f">{label}</label>" in page


def test_the_clinic_settings_read_as_a_nurse_says_them(client, root, riverside):
    client.force_login(root)
    page = client.get(reverse("admin:followup_clinic_change", args=[riverside.pk])).content.decode()
    for label in ("Check-in every (days), stable phase", "Check-in every (days), terminal phase", "Texts per day",
                  "Texts per week", "Drainage every (days), by default", "Out-of-hours phone number",
                  "Reminders for home drainage", "HL7 assigning authority"):
        assert labelled(page, label), label
    for guess in ("Checkin days stable", "Sms per day", "Hl7 assigning authority", "Paracentesis interval days"):
        assert guess not in page, guess
    listing = client.get(reverse("admin:followup_clinic_changelist")).content.decode()
    assert "Team&#x27;s phone number" in listing
    assert "Drainage every (days), by default" in listing


def test_the_patient_list_and_form_read_as_a_nurse_says_them(client, root, alice):
    client.force_login(root)
    listing = client.get(reverse("admin:followup_patient_changelist")).content.decode()
    for header in ("MRN", "Family name", "Given name", "PCOC phase", "Reminders by"):
        assert f">{header}</a>" in listing, header
    assert "Preferred channel" not in listing and ">Mrn<" not in listing
    page = client.get(reverse("admin:followup_patient_change", args=[alice.pk])).content.decode()
    for label in ("Date of birth", "Phone number", "Line type", "Consent given", "How consent was given", "Consent given by",
                  "Quiet hours until", "Quiet hours from", "Next of kin"):
        assert labelled(page, label), label
    assert "Consent at" not in page and "Opted out source" not in page


def test_the_reminder_outbox_reads_as_a_nurse_says_it(client, root, records):  # noqa: F811
    client.force_login(root)
    listing = client.get(reverse("admin:followup_reminder_changelist")).content.decode()
    for header in ("Send at", "Status", "Tries", "Purpose"):
        assert f">{header}</a>" in listing, header
    assert ">Attempts<" not in listing and ">State<" not in listing
    page = client.get(reverse("admin:followup_reminder_change", args=[records["reminder"].pk])).content.decode()
    for label in ("Appointment", "Appointment time", "Too late after", "Text fingerprint (SHA-256)",
                  "Provider&#x27;s message id"):
        assert f"<label>{label}:</label>" in page, label
    assert "Body sha256" not in page and "Due at" not in page


def test_the_admin_index_names_things_as_the_team_does(client, root, records):  # noqa: F811
    client.force_login(root)
    index = client.get("/admin/").content.decode()
    for name in ("Appointments", "Team members", "Messages received", "Catheter advisory answers", "Registered systems"):
        assert f">{name}</a>" in index, name
    assert "Occurrences" not in index and "Inbound messages" not in index
