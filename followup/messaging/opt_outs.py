"""Consent and opt-out belong to an address (FCC 24-24; domain.md "Consent to texts, in law").

- A phone number's opt-out (`PhoneNumber`) stops texts AND automated calls to it: one revocation
  covers both. A STOP-type reply, key 9 during a call, and a revocation the nurse records all opt the
  number out, for every patient and caregiver who gives it, in every clinic, and for anyone who gives
  it later. Their unsent texts and calls are cancelled; e-mail to them goes on.
- An e-mail unsubscribe (`EmailAddress`, messaging/email.py) stops e-mail to that address only.
- START from the number is the person's own new consent: the opt-out is lifted and their reminders
  planned again. Staff lift an opt-out only on new consent in full: when (after the opt-out), how, and
  who agreed; it is kept on the number beside the opt-out it lifted.

Each patient and caregiver still has their own consent (`consent_at`, how, who agreed): a number
that is not opted out carries reminders only to the people who agreed to them.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from ..models import Caregiver, Patient, PhoneNumber
from .planning import cancel_unsent_reminders

logger = logging.getLogger(__name__)

PHONE_CHANNELS = ("sms", "voice")


def contacts_at(number):
    """Everyone who gives this number (E.164), in every clinic."""
    if not number:
        return []
    patients = list(Patient.objects.filter(mobile=number).select_related("clinic"))
    caregivers = list(Caregiver.objects.filter(mobile=number).select_related("patient__clinic"))
    return patients + caregivers


def _patient_of(contact):
    return contact if isinstance(contact, Patient) else contact.patient


def _recipient_key(contact):
    return "patient" if isinstance(contact, Patient) else f"caregiver-{contact.pk}"


def _lock_patients(contacts):
    """Lock the patients concerned, in id order as every service does: a send in progress for them
    finishes first, or sees the change."""
    ids = sorted({_patient_of(contact).pk for contact in contacts})
    list(Patient.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _locked_row(number):
    """The number's row, created if need be, locked for this transaction."""
    try:
        with transaction.atomic():
            PhoneNumber.objects.get_or_create(number=number)
    except IntegrityError:
        pass  # created at the same moment by another request
    return PhoneNumber.objects.select_for_update().get(number=number)


def is_opted_out(number):
    return bool(number) and PhoneNumber.objects.filter(number=number, opted_out_at__isnull=False).exists()


def stop_number(number, source, at=None):
    """Opt the number out of texts and automated calls, for everyone who gives it. A second opt-out
    keeps the first one's time and source. Returns the contacts it stopped."""
    at = at or timezone.now()
    with transaction.atomic():
        contacts = contacts_at(number)
        _lock_patients(contacts)
        row = _locked_row(number)
        if row.opted_out_at is None:
            row.opted_out_at, row.opted_out_source = at, source[:40]
            row.save(update_fields=["opted_out_at", "opted_out_source"])
        for contact in contacts:
            unsent = _patient_of(contact).reminders.filter(recipient=_recipient_key(contact), channel__in=PHONE_CHANNELS)
            cancel_unsent_reminders(unsent, gettext_noop("Number opted out of texts and automated calls"))
    logger.info("phone number %s opted out (%s): %d contact(s)", row.pk, source, len(contacts))
    return contacts


def _replan(contacts):
    from .. import services

    for patient in {_patient_of(contact).pk: _patient_of(contact) for contact in contacts}.values():
        services.replan_reminders(patient, gettext_noop("Number opted in again"))


def restart_number(number, source, at=None):
    """START from the number: the person's own new consent lifts the opt-out. Returns the contacts."""
    at = at or timezone.now()
    with transaction.atomic():
        contacts = contacts_at(number)
        _lock_patients(contacts)
        row = _locked_row(number)
        if row.opted_out_at is not None:
            row.opted_out_at, row.opted_out_source = None, ""
            row.consent_at, row.consent_source, row.consent_given_by = at, source[:40], "the person at the number"
            row.save()
            _replan(contacts)
    return contacts


def check_new_consent(number, *, consent_at, source, given_by, now=None):
    """Raise ValidationError keyed by field unless this new consent may lift the number's opt-out."""
    row = PhoneNumber.objects.filter(number=number).first() or PhoneNumber(number=number)
    row.check_new_consent(consent_at=consent_at, source=source, given_by=given_by, now=now)


def lift(number, *, consent_at, source, given_by, now=None):
    """Staff record new consent for an opted-out number: texts and calls to everyone who gives it may
    resume (each still needs their own consent). Returns the contacts; ValidationError keyed by field."""
    with transaction.atomic():
        contacts = contacts_at(number)
        _lock_patients(contacts)
        row = _locked_row(number)
        if row.opted_out_at is None:
            return contacts
        row.check_new_consent(consent_at=consent_at, source=source, given_by=given_by, now=now)
        row.opted_out_at, row.opted_out_source = None, ""
        row.consent_at, row.consent_source, row.consent_given_by = consent_at, source.strip()[:40], given_by.strip()[:80]
        row.save()
        _replan(contacts)
    logger.info("phone number %s: opt-out lifted on new consent (%d contact(s))", row.pk, len(contacts))
    return contacts


def sharing(contact):
    """The other patients and caregivers who give this contact's number (what its opt-out also stops)."""
    if not contact.mobile:
        return []
    return [other for other in contacts_at(contact.mobile.as_e164)
            if (type(other), other.pk) != (type(contact), contact.pk)]

