"""The patient's link to the symptom form: short, signed, single-use, and 72 hours long.

A check-in reminder carries `issue_link(patient)`. The URL holds only a random token and its
signature, never a name or an id: a phone may be read by anyone. The `SymptomFormLink` row behind
the token says whose form it is, when it expires and whether it was used.

    /s/<token>.<signature>/      12 + 1 + 22 characters: the path stays under 45 characters,
                                 so the link fits in a 160-character text with room for words.
"""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from . import services
from .models import Patient, SymptomFormLink, SymptomReport

logger = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(hours=72)
TOKEN_BYTES = 9  # 72 random bits, 12 URL-safe characters
SIGNATURE_CHARS = 22  # 128 bits of HMAC-SHA256: half the hash, as RFC 2104 recommends at least
SALT = "followup.symptom-form-link"
# "." is not in the URL-safe base64 alphabet, so it cannot occur in the token or the signature;
# Django's default ":" would also work but some SMS apps stop a link at a colon.
SEPARATOR = "."
# Patients whose care with the team has ended get no form: nothing about their care goes out again.
CLOSED_STATUSES = (Patient.Status.DISCHARGED, Patient.Status.DECEASED)


class LinkError(Exception):
    """Why a link cannot open the form. `link` is the row when the link was genuine, else None."""

    def __init__(self, message, link=None):
        super().__init__(message)
        self.link = link


class LinkTampered(LinkError):
    """The signature does not match: someone changed the link, or it was cut short."""


class LinkUnknown(LinkError):
    """Signed by us but no such link exists (deleted with its patient, or another installation's)."""


class LinkExpired(LinkError):
    """More than 72 hours old."""


class LinkUsed(LinkError):
    """A report was already sent with it."""


class LinkClosed(LinkError):
    """The patient has been discharged or has died: the form is closed."""


class _ShortSigner(signing.Signer):
    """Django's Signer with the HMAC-SHA256 cut to 128 bits, so the link stays short.

    Truncating only `signature()` keeps Django's constant-time comparison and its rotation
    through SECRET_KEY_FALLBACKS in `unsign()`.
    """

    def signature(self, value, key=None):
        return super().signature(value, key)[:SIGNATURE_CHARS]


def _signer():
    return _ShortSigner(salt=SALT, sep=SEPARATOR, algorithm="sha256")


def sign(token):
    return _signer().sign(token)


def issue_link(patient, now=None) -> str:
    """Create a link row for `patient`, valid for 72 hours from `now`, and return its absolute URL."""
    now = now or timezone.now()
    for _attempt in range(3):
        token = secrets.token_urlsafe(TOKEN_BYTES)
        try:
            with transaction.atomic():
                link = SymptomFormLink.objects.create(
                    patient=patient, token=token, created_at=now, expires_at=now + LINK_LIFETIME)
            break
        except IntegrityError:
            # 72 random bits: a clash is astronomically rare, but a retry costs nothing.
            continue
    else:
        raise RuntimeError("Could not create a unique symptom form token.")
    logger.info("symptom form link issued link=%s patient=%s", link.pk, patient.pk)
    return settings.SITE_URL + reverse("symptom_form", args=[sign(link.token)])


def resolve(signed, now=None) -> SymptomFormLink:
    """The link row behind a signed token, or one of the LinkError subclasses saying why not."""
    now = now or timezone.now()
    try:
        token = _signer().unsign(signed)
    except signing.BadSignature:
        raise LinkTampered("This link has been changed or is incomplete.") from None
    link = SymptomFormLink.objects.select_related("patient__clinic").filter(token=token).first()
    if link is None:
        raise LinkUnknown("No such link.")
    if link.used_at is not None:
        raise LinkUsed("This link has already been used.", link)
    if link.expires_at <= now:
        raise LinkExpired("This link has expired.", link)
    if link.patient.status in CLOSED_STATUSES:
        raise LinkClosed("The patient's care with the team has ended.", link)
    return link


def submit_report(link, *, scores, completed_by, other_problem_name="", needs_call_today=None, now=None) -> SymptomReport:
    """Record the report sent with `link` and mark the link used, in one transaction.

    The link is claimed with a conditional UPDATE first, so of two submissions racing (a double
    tap, a retried request) exactly one records a report; the other gets LinkUsed. If recording
    fails, the claim rolls back with it and the link still works.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = SymptomFormLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
        if not claimed:
            link.refresh_from_db()
            if link.used_at is not None:
                raise LinkUsed("This link has already been used.", link)
            raise LinkExpired("This link has expired.", link)
        report = services.record_symptom_report(
            link.patient, scores=scores, completed_by=completed_by, source=SymptomReport.Source.WEB,
            other_problem_name=other_problem_name, needs_call_today=needs_call_today,
        )
        SymptomFormLink.objects.filter(pk=link.pk).update(report=report)
    link.used_at, link.report = now, report
    logger.info("symptom form submitted link=%s report=%s", link.pk, report.pk)
    return report
