"""Texts from patients and caregivers: opt-out and opt-in keywords, HELP, C to confirm, and
anything else for a nurse to read."""

import logging
import re
import unicodedata

import phonenumbers
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import services
from ..models import Caregiver, InboundMessage, Occurrence, Patient, Reminder, SymptomReport
from .planning import cancel_unsent_reminders, plan_reminders
from .rendering import render_reply

logger = logging.getLogger(__name__)

# The carrier keywords (CTIA; domain.md): each stops every automated message at once.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO", "AYUDA"}
CONFIRM_WORDS = {"C", "CONFIRM", "CONFIRMAR"}


# Symptom words a patient may text with a 0-10 score ("pain 8 nausea 5", "dolor 8"), in English and
# Spanish, accents folded. Each maps to its ESAS-r item.
SYMPTOM_WORDS = {
    "pain": "pain", "dolor": "pain",
    "tired": "tiredness", "tiredness": "tiredness", "cansancio": "tiredness",
    "drowsy": "drowsiness", "drowsiness": "drowsiness", "sleepy": "drowsiness", "somnolencia": "drowsiness",
    "nausea": "nausea", "nauseas": "nausea",
    "appetite": "lack_of_appetite", "apetito": "lack_of_appetite",
    "breath": "shortness_of_breath", "breathless": "shortness_of_breath", "breathing": "shortness_of_breath",
    "aire": "shortness_of_breath",
    "depression": "depression", "sad": "depression", "depresion": "depression", "tristeza": "depression",
    "anxiety": "anxiety", "anxious": "anxiety", "ansiedad": "anxiety",
    "wellbeing": "wellbeing", "bienestar": "wellbeing",
}
# A text read as words, scores and the gaps between them. Each alternative is a run of one kind of
# character, so one pass reads the whole text: no pattern is retried from every position.
TOKEN = re.compile(r"(?P<word>[a-z]+)|(?P<score>\d+)|(?P<gap>[\s,.;:=!-]+)|(?P<other>.)", re.DOTALL)
# What may stand between a word and its score: spaces and at most one of ":", "=", "-" ("pain: 8").
SCORE_JOINERS = {"", ":", "=", "-"}
# Twilio's own maximum: a longer body cannot come from it, and nothing past this is read.
MAX_BODY = 1600


def symptom_scores(body):
    """{item: score} when the whole text is symptom words with scores 0-10, else None.

    Anything more ("pain 8 since the fall") is left for a nurse to read: a sentence may say more
    than its numbers. Linear in the length of the text."""
    text = unicodedata.normalize("NFKD", body).encode("ascii", "ignore").decode().lower()
    scores, word = {}, None  # `word`: a symptom word still waiting for its score
    for token in TOKEN.finditer(text):
        kind, value = token.lastgroup, token.group()
        if kind == "gap":
            if word is not None and value.strip() not in SCORE_JOINERS:
                return None  # "pain, 8": not a score
        elif kind == "word" and word is None:
            word = value
        elif kind == "score" and word is not None and len(value) <= 2:
            item = SYMPTOM_WORDS.get(word)
            if item is None or int(value) > 10 or item in scores:
                return None
            scores[item] = int(value)
            word = None
        else:
            return None  # a word without a score, a score without a word, anything else
    return scores if scores and word is None else None


def classify(body):
    if symptom_scores(body):
        return InboundMessage.Kind.SYMPTOMS
    words = re.findall(r"[A-Za-z]+", body.upper())
    first = words[0] if words else ""
    if first in STOP_WORDS and len(words) == 1:
        return InboundMessage.Kind.STOP
    if first in START_WORDS and len(words) == 1:
        return InboundMessage.Kind.START
    if first in HELP_WORDS and len(words) == 1:
        return InboundMessage.Kind.HELP
    if first in CONFIRM_WORDS and len(words) == 1:
        return InboundMessage.Kind.CONFIRM
    return InboundMessage.Kind.OTHER


def normalise(number):
    try:
        return phonenumbers.format_number(phonenumbers.parse(number, "US"), phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return number


def _recipient_key(contact):
    return "patient" if isinstance(contact, Patient) else f"caregiver-{contact.pk}"


def _contacts(number):
    patients = list(Patient.objects.filter(mobile=number).select_related("clinic"))
    caregivers = list(Caregiver.objects.filter(mobile=number).select_related("patient__clinic"))
    return patients + caregivers


def _patient_of(contact):
    return contact if isinstance(contact, Patient) else contact.patient


def _lock_patients(contacts):
    """Lock the patients concerned, in id order as every service does: a send in progress for them
    finishes first, or sees the change."""
    ids = sorted({_patient_of(contact).pk for contact in contacts})
    list(Patient.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def opt_out(contacts, source, at):
    _lock_patients(contacts)
    for contact in contacts:
        contact.opt_out(source, at)
        contact.save(update_fields=["opted_out_at", "opted_out_source"])
        patient = _patient_of(contact)
        cancel_unsent_reminders(patient.reminders.filter(recipient=_recipient_key(contact)), "Recipient opted out")


def opt_in(contacts, source, at):
    _lock_patients(contacts)
    for contact in contacts:
        contact.opt_in(source, at)
        contact.save(update_fields=["opted_out_at", "opted_out_source", "consent_at", "consent_source"])
        for occurrence in _patient_of(contact).occurrences.filter(state=Occurrence.State.SCHEDULED):
            plan_reminders(occurrence)


def confirm(contacts, at):
    """C: the latest drainage reminder this number received, for an appointment still ahead."""
    keys = [(_patient_of(c).pk, _recipient_key(c)) for c in contacts]
    for patient_id, recipient in keys:
        reminder = (
            Reminder.objects.filter(
                patient_id=patient_id, recipient=recipient, channel="sms",
                state__in=(Reminder.State.SENT, Reminder.State.DELIVERED),
                purpose__in=(Reminder.Purpose.DAY_BEFORE, Reminder.Purpose.MORNING_OF),
                occurrence__state=Occurrence.State.SCHEDULED, occurrence__due_at__gte=at - timezone.timedelta(hours=12),
            )
            .order_by("-sent_at")
            .first()
        )
        if reminder:
            Reminder.objects.filter(occurrence=reminder.occurrence, due_at=reminder.due_at, confirmed_at__isnull=True).update(confirmed_at=at)
            return True
    return False


def record_scores(contact, body, at):
    """A scored text becomes an ESAS-r report (source SMS) and runs the alert rules at once.
    From a number shared by several patients we cannot tell whose it is: a nurse reads it instead."""
    if contact is None or len({_patient_of(c).pk for c in _contacts(contact.mobile.as_e164)}) != 1:
        return False
    patient = _patient_of(contact)
    if patient.status in services.CLOSED_STATUSES:
        return False
    by = SymptomReport.CompletedBy.CAREGIVER if isinstance(contact, Caregiver) else SymptomReport.CompletedBy.PATIENT
    services.record_symptom_report(patient, scores=symptom_scores(body), completed_by=by,
                                   source=SymptomReport.Source.SMS, reported_at=at)
    return True


def receive(*, provider_id, from_number, body):
    """Store and act on one inbound text. Returns the reply text ("" for none).

    Idempotent by the provider's message id: a retried webhook changes nothing and replies nothing.
    STOP and START are confirmed by the carrier/provider itself (Twilio's opt-out handling), so we
    do not add a second confirmation text.
    """
    now = timezone.now()
    body = body[:MAX_BODY]  # before anything reads it
    number = normalise(from_number)
    kind = classify(body)
    with transaction.atomic():
        contacts = _contacts(number)
        first = contacts[0] if contacts else None
        patient = _patient_of(first) if first else None
        try:
            with transaction.atomic():
                message = InboundMessage.objects.create(
                    provider_id=provider_id, from_number=number, body=body, kind=kind, received_at=now,
                    patient=patient, caregiver=first if isinstance(first, Caregiver) else None,
                    clinic=patient.clinic if patient else None,
                )
        except IntegrityError:
            return ""  # already received: the provider retried
        if kind == InboundMessage.Kind.STOP:
            opt_out(contacts, "SMS STOP", now)
        elif kind == InboundMessage.Kind.START:
            opt_in(contacts, "SMS START", now)
        elif kind == InboundMessage.Kind.CONFIRM and not confirm(contacts, now):
            message.kind = kind = InboundMessage.Kind.OTHER
            message.save(update_fields=["kind"])
        elif kind == InboundMessage.Kind.SYMPTOMS and not record_scores(first, body, now):
            message.kind = kind = InboundMessage.Kind.OTHER
            message.save(update_fields=["kind"])
        if kind in (InboundMessage.Kind.STOP, InboundMessage.Kind.START, InboundMessage.Kind.CONFIRM, InboundMessage.Kind.SYMPTOMS):
            message.handled_at = now
            message.save(update_fields=["handled_at"])
    logger.info("inbound message %s: %s from %d known contact(s)", message.pk, kind, len(contacts))
    if kind in (InboundMessage.Kind.STOP, InboundMessage.Kind.START):
        return ""
    language = first.language if first else "en"
    clinic = patient.clinic if patient else None
    if kind == InboundMessage.Kind.OTHER and clinic is None:
        return ""  # a number we do not know: nothing to say that would not leak who we are for
    return render_reply(kind, clinic, language).text
