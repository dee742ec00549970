"""The cast every test draws from, made with plain ORM calls so each value is visible.

Riverside Palliative Care (New York): nurse Nina, clinical lead Leo; patients Alice (texts),
Bob (e-mail) and their caregivers. Hillcrest Hospice (Los Angeles): nurse Noah, patient Carmen.
All numbers are in the reserved fictional range +1 202 555 01xx; all e-mail at example.org.
"""

import os
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from followup import services
from followup.models import Caregiver, Clinic, Membership, Patient, User

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CONSENTED = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
PASSWORD = "followup-test-password"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The real hasher costs about a second per staff member of the cast; tests need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _test_messaging(settings):
    settings.SMS_BACKEND = "followup.messaging.backends.locmem.SmsBackend"
    settings.VOICE_BACKEND = "followup.voice.backends.LocmemVoiceBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache, as a fresh server does: the worklist's filter choices and
    catheter advisories of one test's clinics are not another's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    from followup.messaging.backends import locmem

    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


@pytest.fixture
def sms_outbox():
    from followup.messaging.backends import locmem

    return locmem.outbox


@pytest.fixture
def riverside(db):
    return Clinic.objects.create(name="Riverside Palliative Care", phone="+12025550100", time_zone="America/New_York")


@pytest.fixture
def hillcrest(db):
    return Clinic.objects.create(name="Hillcrest Hospice", phone="+12025550150", time_zone="America/Los_Angeles")


def make_staff(username, clinic, role):
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, first_name=username.title())
    Membership.objects.create(user=user, clinic=clinic, role=role)
    return user


@pytest.fixture
def nina(riverside):
    return make_staff("nina", riverside, Membership.Role.NURSE)


@pytest.fixture
def nurse_client(client, nina):
    """Nina, a nurse of Riverside, signed in."""
    client.force_login(nina)
    return client


@pytest.fixture
def leo(riverside):
    return make_staff("leo", riverside, Membership.Role.LEAD)


@pytest.fixture
def noah(hillcrest):
    return make_staff("noah", hillcrest, Membership.Role.NURSE)


def opt_out_number(contact, at=None, source="SMS STOP"):
    """The contact's phone number opted out (as a STOP leaves it), written straight to its record: for
    everyone who gives the number (followup/messaging/opt_outs.py)."""
    from followup.models import PhoneNumber

    row, _ = PhoneNumber.objects.update_or_create(number=contact.mobile.as_e164 if hasattr(contact.mobile, "as_e164")
                                                  else str(contact.mobile),
                                                  defaults={"opted_out_at": at or timezone.now(), "opted_out_source": source})
    return row


def make_patient(clinic, mrn, given, family, **fields):
    values = dict(
        clinic=clinic, mrn=mrn, given_name=given, family_name=family, time_zone=clinic.time_zone,
        preferred_channel="sms", consent_at=CONSENTED, consent_source="written form",
    )
    values.update(fields)
    return Patient.objects.create(**values)


@pytest.fixture
def alice(riverside, nina):
    """Active, texts in English, consented."""
    return make_patient(riverside, "RV-1001", "Alice", "Archer", mobile="+12025550101", nurse=nina)


@pytest.fixture
def bob(riverside, nina):
    """Active, e-mail in Spanish."""
    return make_patient(riverside, "RV-1002", "Bob", "Baker", email="bob@example.org", preferred_channel="email",
                        language="es", nurse=nina)


@pytest.fixture
def carmen(hillcrest, noah):
    return make_patient(hillcrest, "HC-2001", "Carmen", "Cruz", mobile="+12025550151", nurse=noah)


@pytest.fixture
def dora(alice):
    """Alice's daughter, who also gets her reminders by text."""
    return Caregiver.objects.create(patient=alice, name="Dora Archer", relationship="daughter", mobile="+12025550111",
                                    preferred_channel="sms", consent_at=CONSENTED, consent_source="verbal")


@pytest.fixture
def enrolled_alice(alice):
    services.enrol(alice)
    return alice


def at(text):
    """An aware UTC datetime from '2026-03-01 14:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def now():
    return timezone.now()


def api_client_for(user):
    """A REST client authenticated with a fresh token of `user`, as an integrating system would be."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def as_nina(nina):
    return api_client_for(nina)


@pytest.fixture
def as_noah(noah):
    return api_client_for(noah)


def make_alert(report, *items, **fields):
    """An alert on `report` with its items, each (item, score) or (item, score, previous score): a
    score of 7 or more is severe, a rise of 3 or more is worsening. Plain ORM rows, as a report's
    alert rules would have left them."""
    from followup.models import Alert, AlertItem

    lines = [AlertItem(item=item[0], score=item[1], previous_score=item[2] if len(item) > 2 else None,
                       severe=item[1] is not None and item[1] >= 7,
                       worsening=len(item) > 2 and item[2] is not None and item[1] - item[2] >= 3) for item in items]
    fields.setdefault("severe", any(line.severe for line in lines))
    alert = Alert.objects.create(patient=report.patient, report=report, **fields)
    for line in lines:
        line.alert = alert
    AlertItem.objects.bulk_create(lines)
    return alert
