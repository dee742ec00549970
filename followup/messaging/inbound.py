"""Texts from patients and caregivers: opt-out and opt-in keywords, HELP, C to confirm, and
anything else for a nurse to read."""

import logging
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from .. import services
from ..models import Caregiver, InboundMessage, Occurrence, Patient, Reminder, SymptomReport
from . import possible_opt_outs, routing
from .planning import cancel_unsent_reminders, plan_reminders
from .rendering import render_reply

logger = logging.getLogger(__name__)

# Opt-outs as the law reads them (FCC 24-24; domain.md "Consent to texts, in law"): each stops texts
# and automated calls to that number at once. The standard English keywords Twilio answers itself.
TWILIO_CONFIRMS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
STOP_PHRASES = TWILIO_CONFIRMS | {"OPT OUT", "PARAR", "ALTO", "BAJA", "CANCELAR", "NO MAS"}
# Natural replies that say it as plainly (accents folded, case ignored, punctuation and "please" aside).
NATURAL_STOPS = {
    "STOP TEXTING ME", "STOP TEXTING", "STOP MESSAGING ME", "STOP SENDING ME MESSAGES", "STOP SENDING MESSAGES",
    "STOP SENDING TEXTS", "NO MORE MESSAGES", "NO MORE TEXTS", "DONT TEXT ME", "DO NOT TEXT ME", "DONT TEXT ME ANYMORE",
    "DO NOT TEXT ME ANYMORE", "UNSUBSCRIBE ME", "REMOVE ME", "TAKE ME OFF YOUR LIST", "STOP IT",
    "YA NO ME MANDEN MENSAJES", "YA NO ME MANDEN MAS MENSAJES", "NO ME MANDEN MAS MENSAJES", "NO ME MANDEN MENSAJES",
    "NO ME ENVIEN MAS MENSAJES", "NO ME ENVIEN MENSAJES", "DEJEN DE ENVIARME MENSAJES", "NO MAS MENSAJES",
    "YA NO QUIERO MENSAJES", "NO QUIERO MAS MENSAJES", "DENME DE BAJA",
}
POLITE = {"PLEASE", "POR", "FAVOR", "THANKS", "THANK", "YOU", "GRACIAS"}
STOP_WORDS = {phrase for phrase in STOP_PHRASES if " " not in phrase}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO", "AYUDA"}
CONFIRM_WORDS = {"C", "CONFIRM", "CONFIRMAR"}


# Symptom words a patient may text with a 0-10 score ("pain 8 nausea 5", "falta de apetito 7"), in
# English and Spanish, accents folded: the item names printed on the form in both languages (the
# reviewed ESAS-r wording tables, followup/esas_r.py) and a few everyday words.
EVERYDAY_WORDS = {
    "tired": "tiredness", "sleepy": "drowsiness", "drowsy": "drowsiness", "breath": "shortness_of_breath",
    "breathless": "shortness_of_breath", "breathing": "shortness_of_breath", "aire": "shortness_of_breath",
    "sad": "depression", "depression": "depression", "depresion": "depression", "tristeza": "depression",
    "anxious": "anxiety", "ansiedad": "anxiety", "nausea": "nausea", "nauseas": "nausea",
}
# Words whose reading is a guess: "appetite 9" may be a good appetite or a severe lack of it. Never
# stored as a report; the nurse sees the suggested reading and confirms or corrects it.
AMBIGUOUS_WORDS = {"appetite": "lack_of_appetite", "apetito": "lack_of_appetite"}
# ESAS-r scores wellbeing 0 = best; a text "wellbeing 10" alone may mean "I feel great".
AMBIGUOUS_ALONE = {"wellbeing"}
MAX_PHRASE_WORDS = 4  # "dificultad para respirar", "shortness of breath": a longer run is not an item


def _fold(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _printed_item_names():
    from .. import esas_r

    names = {}
    for items in esas_r.every_wording().values():
        for item in items:
            if item.field != "other_problem":
                names[" ".join(re.findall(r"[a-z]+", _fold(item.name)))] = item.field
    return names


_PHRASES = None


def symptom_phrases():
    """{folded phrase: item}: the printed item names and everyday words (built once)."""
    global _PHRASES
    if _PHRASES is None:
        _PHRASES = {**_printed_item_names(), **EVERYDAY_WORDS, "well being": "wellbeing"}
    return _PHRASES


# A text read as words, scores and the gaps between them. Each alternative is a run of one kind of
# character, so one pass reads the whole text: no pattern is retried from every position.
TOKEN = re.compile(r"(?P<word>[a-z]+)|(?P<score>\d+)|(?P<gap>[\s,.;:=!-]+)|(?P<other>.)", re.DOTALL)
# What may stand between a word and its score: spaces and at most one of ":", "=", "-" ("pain: 8").
SCORE_JOINERS = {"", ":", "=", "-"}
# Twilio's own maximum: a longer body cannot come from it, and nothing past this is read.
MAX_BODY = 1600


@dataclass(frozen=True)
class ScoreReading:
    scores: dict
    ambiguous: bool  # True: a suggestion for the nurse, never a report on its own


def read_scores(body):
    """A ScoreReading when the whole text is symptom names with scores 0-10, else None.

    Anything more ("pain 8 since the fall") is left for a nurse to read: a sentence may say more
    than its numbers. Linear in the length of the text: each token is read once, and a name is at
    most MAX_PHRASE_WORDS words."""
    phrases = symptom_phrases()
    scores, words, ambiguous = {}, [], False  # `words`: a symptom name still waiting for its score
    for token in TOKEN.finditer(_fold(body)):
        kind, value = token.lastgroup, token.group()
        if kind == "gap":
            if words and value.strip() not in SCORE_JOINERS and value.strip():
                return None  # "pain, 8": not a score
        elif kind == "word":
            words.append(value)
            if len(words) > MAX_PHRASE_WORDS:
                return None
        elif kind == "score" and words and len(value) <= 2:
            phrase = " ".join(words)
            item = phrases.get(phrase) or AMBIGUOUS_WORDS.get(phrase)
            if item is None or int(value) > 10 or item in scores:
                return None
            ambiguous = ambiguous or phrase in AMBIGUOUS_WORDS
            scores[item] = int(value)
            words = []
        else:
            return None  # a score without a name, anything else
    if not scores or words:
        return None
    if set(scores) <= {"wellbeing"} and AMBIGUOUS_ALONE:
        ambiguous = True
    return ScoreReading(scores, ambiguous)


def symptom_scores(body):
    """{item: score} when the text reads unambiguously as scores, else None."""
    reading = read_scores(body)
    return reading.scores if reading and not reading.ambiguous else None


def is_opt_out(body):
    """A keyword alone ("STOP", "Opt out", "No más") or a plain natural reply ("please stop texting
    me", "ya no me manden mensajes"). Case, accents, punctuation and politeness do not matter."""
    words = re.findall(r"[A-Z]+", _fold(body[:200]).upper().replace("'", ""))
    while words and words[0] in POLITE:
        words.pop(0)
    while words and words[-1] in POLITE:
        words.pop()
    said = " ".join(words)
    return said in STOP_PHRASES or said in NATURAL_STOPS


def confirmed_by_twilio(body):
    words = re.findall(r"[A-Z]+", _fold(body[:200]).upper())
    return " ".join(words) in TWILIO_CONFIRMS


def classify(body):
    if symptom_scores(body):
        return InboundMessage.Kind.SYMPTOMS
    if is_opt_out(body):
        return InboundMessage.Kind.STOP
    words = re.findall(r"[A-Za-z]+", body.upper())
    first = words[0] if words else ""
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
        cancel_unsent_reminders(patient.reminders.filter(recipient=_recipient_key(contact)), gettext_noop("Recipient opted out"))


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
    `contact` is whom routing attached it to; None when it could not tell whose it is (a nurse
    reads it instead, or a lead assigns it first)."""
    if contact is None:
        return False
    patient = _patient_of(contact)
    if patient.status in services.CLOSED_STATUSES:
        return False
    by = SymptomReport.CompletedBy.CAREGIVER if isinstance(contact, Caregiver) else SymptomReport.CompletedBy.PATIENT
    services.record_symptom_report(patient, scores=symptom_scores(body), completed_by=by,
                                   source=SymptomReport.Source.SMS, reported_at=at)
    return True


def receive(*, provider_id, from_number, body, to_number=""):
    """Store and act on one inbound text. Returns the reply text ("" for none).

    Idempotent by the provider's message id: a retried webhook changes nothing and replies nothing.
    STOP and START are confirmed by the carrier/provider itself (Twilio's opt-out handling), so we
    do not add a second confirmation text.

    Which clinic and patient it belongs to is `routing.route`'s answer (the number it was sent to,
    then the conversation, then the sender); STOP and START still apply to every contact with the
    number. An unrouted message holds its scores until a lead assigns it.
    """
    now = timezone.now()
    body = body[:MAX_BODY]  # before anything reads it
    number = normalise(from_number)
    to = normalise(to_number) if to_number else ""
    kind = classify(body)
    with transaction.atomic():
        contacts = _contacts(number)
        found = routing.route(contacts, to, now)
        first = found.contact
        patient = found.patient
        try:
            with transaction.atomic():
                message = InboundMessage.objects.create(
                    provider_id=provider_id, from_number=number, to_number=to, body=body, kind=kind, received_at=now,
                    patient=patient, caregiver=first if isinstance(first, Caregiver) else None,
                    clinic=found.clinic, routed_by=found.routed_by,
                )
                if found.involved:
                    message.involved_clinics.set(found.involved)
        except IntegrityError:
            return ""  # already received: the provider retried
        unrouted = found.routed_by == InboundMessage.RoutedBy.UNROUTED
        if kind == InboundMessage.Kind.STOP:
            opt_out(contacts, "SMS STOP", now)
        elif kind == InboundMessage.Kind.START:
            opt_in(contacts, "SMS START", now)
        elif kind == InboundMessage.Kind.CONFIRM and not confirm(contacts, now):
            message.kind = kind = InboundMessage.Kind.OTHER
            message.save(update_fields=["kind"])
        elif kind == InboundMessage.Kind.SYMPTOMS and unrouted:
            pass  # held until a lead assigns it
        elif kind == InboundMessage.Kind.SYMPTOMS and not record_scores(first, body, now):
            message.kind = kind = InboundMessage.Kind.OTHER
            message.save(update_fields=["kind"])
        if kind == InboundMessage.Kind.OTHER and patient is not None:
            reading = read_scores(body)
            if reading is not None:  # ambiguous, or from a shared number: a suggestion for the nurse
                message.suggested_scores = reading.scores
                message.save(update_fields=["suggested_scores"])
        if kind == InboundMessage.Kind.OTHER and possible_opt_outs.may_be_opt_out(body):
            message.possible_opt_out = True  # a nurse decides (worklist, "Messages waiting")
            message.save(update_fields=["possible_opt_out"])
        if kind in (InboundMessage.Kind.STOP, InboundMessage.Kind.START, InboundMessage.Kind.CONFIRM) or (
                kind == InboundMessage.Kind.SYMPTOMS and not unrouted):
            message.handled_at = now
            message.save(update_fields=["handled_at"])
    logger.info("inbound message %s: %s from %d known contact(s), routed by %s", message.pk, kind, len(contacts),
                found.routed_by)
    if kind == InboundMessage.Kind.STOP and not confirmed_by_twilio(body) and patient is not None:
        # One confirmation, in the sender's language, where Twilio's own opt-out handling is silent.
        return render_reply("opted_out", patient.clinic, first.language).text
    if kind in (InboundMessage.Kind.STOP, InboundMessage.Kind.START):
        return ""
    speaker = first or (contacts[0] if contacts else None)
    language = speaker.language if speaker else "en"
    clinic = found.clinic
    if kind != InboundMessage.Kind.HELP and clinic is None:
        return ""  # unknown or unrouted: nothing to say that would not leak who we are for
    return render_reply(kind, clinic, language).text
