"""What a call says follows the rules of every message (main's texts and e-mail): the clinic's name in
messages, a caregiver spoken to as a caregiver, the nurse's calling window on a check-in, nothing about
the patient, and Spanish that is gender-neutral with no word whose meaning changes when its accent drops.
Each Spanish sentence is listed beside its English one for a reviewer (run with -s to print the pairs)."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.utils import translation

from followup.messaging import rendering
from followup.models import Reminder, VoiceCall
from followup.voice import script

from .test_spanish_texts import AMBIGUOUS_WITHOUT_ACCENT, GENDERED, accents_dropped
from . import test_a_new_language as new_language
from . import test_voice_calls as calls

# The voice tests' cast and telephone (tests/test_voice_calls.py).
_twilio, ring_phone, walter, esperanza, answer_survey = calls._twilio, calls.ring_phone, calls.walter, calls.esperanza, calls.answer_survey
xx = new_language.xx  # the throwaway language (a catalogue and a wording table)

PURPOSES = ["day_before", "morning_of", "checkin"]
MOMENT = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)


def template_pairs():
    """(label, english, spanish) for every spoken template, to a patient and to a caregiver."""
    for kind in [*PURPOSES, "voicemail"]:
        for for_caregiver in (False, True) if kind != "voicemail" else (False,):
            pair = []
            for language in ("en", "es"):
                context = {"clinic_name": "Hillcrest Care Team", "clinic_phone": "2 0 2, 5 5 5, 0 1 5 0",
                           "day": "Tuesday, December 8" if language == "en" else "martes 8 de diciembre",
                           "time": "9:00 AM" if language == "en" else "09:00", "for_caregiver": for_caregiver,
                           "window": "between 9 AM and 5 PM" if language == "en" else "entre las 9 y las 17 horas"}
                pair.append(rendering.render_message(kind, "voice", language, context).text)
            yield f"{kind}{' to a caregiver' if for_caregiver else ''}", *pair


def fields_of(text):
    return re.findall(r"%\((\w+)\)s", text)


def line_pairs():
    """(key, english, spanish) for every line of the keys and the survey, from the catalogue. An ESAS-r
    item's name and anchors are the form's reviewed table, word for word, so they stand in as
    placeholders here."""
    for key in script.LINES:
        english = script.line(key, "en")
        values = {name: f"<{name}>" for name in fields_of(english)}
        yield key, script.line(key, "en", **values), script.line(key, "es", **values)


PAIRS = list(template_pairs()) + list(line_pairs())


def test_each_spanish_call_sentence_beside_its_english_one_for_a_reviewer(capsys):
    with capsys.disabled():
        print("\n")
        for label, english, spanish in PAIRS:
            print(f"{label}\n  en: {english}\n  es: {spanish}\n")
    assert all(english != spanish for _, english, spanish in PAIRS)  # every line has its Spanish


@pytest.mark.parametrize(("label", "english", "spanish"), PAIRS, ids=[pair[0] for pair in PAIRS])
def test_spanish_call_words_have_no_word_whose_meaning_changes_without_its_accent(label, english, spanish):
    misread = accents_dropped(spanish) & AMBIGUOUS_WITHOUT_ACCENT
    assert not misread, f"{label}: {sorted(misread)} in {spanish!r}"


@pytest.mark.parametrize(("label", "english", "spanish"), PAIRS, ids=[pair[0] for pair in PAIRS])
def test_spanish_call_words_are_gender_neutral(label, english, spanish):
    for word in [*GENDERED, "que lo cuida", "un familiar"]:
        assert word not in spanish.lower(), f"{word!r} in {label}"


def test_the_accent_check_on_calls_catches_the_old_wording():
    old = "Para no recibir más llamadas en este número. Pulse 1 para sí. Su equipo le llamará hoy."
    assert accents_dropped(old) & AMBIGUOUS_WITHOUT_ACCENT == {"mas", "numero", "si", "llamara"}


@pytest.mark.parametrize("kind", PURPOSES)
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_reminder_call_to_a_caregiver_speaks_of_the_person_they_care_for(kind, language):
    english_or_spanish = {label: (en, es) for label, en, es in PAIRS}
    to_caregiver = english_or_spanish[f"{kind} to a caregiver"][language == "es"]
    assert {"en": "the person you care for", "es": "la persona que usted cuida"}[language] in to_caregiver
    for words in {"en": ["your appointment", "call you"], "es": ["su cita", "le llamará"]}[language]:
        assert words not in to_caregiver


@pytest.mark.django_db
class TestOnTheLine:
    def test_a_call_carries_the_clinics_name_in_messages_never_its_full_name(self, ring_phone, walter, riverside):
        riverside.name_in_messages = "Riverside Care Team"
        riverside.save()
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        assert "This is Riverside Care Team with a reminder" in phone.answer().words
        assert "Palliative" not in phone.last.words

    def test_the_voicemail_carries_the_name_in_messages_too(self, ring_phone, walter, riverside):
        riverside.name_in_messages = "Riverside Care Team"
        riverside.save()
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        words = phone.answer(answered_by="machine_end_beep").words
        assert "Riverside Care Team" in words and "Palliative" not in words

    def test_a_check_in_call_says_when_the_nurse_will_call_from_the_clinics_working_hours(self, ring_phone, walter):
        english = ring_phone(walter, Reminder.Purpose.CHECKIN).answer()
        assert "will call you today, Tuesday, December 8, between 9 AM and 5 PM." in english.words

    def test_a_spanish_check_in_call_says_the_window_too(self, ring_phone, esperanza):
        spanish = ring_phone(esperanza, Reminder.Purpose.CHECKIN).answer()
        assert "Hoy, martes 8 de diciembre, entre las 9 y las 17 horas, su equipo de enfermería va a llamarle." in spanish.words

    def test_a_whole_call_never_names_the_patient(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        spoken = [phone.answer().words]
        answer_survey(phone, {"pain": 8})
        spoken.append(phone.key("1").words)
        for words in spoken:
            assert "Walter" not in words and "O'Brien" not in words

    def test_a_family_caregiver_answering_is_asked_how_the_person_they_care_for_feels(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        phone.key("1")
        first_item = phone.key("2")
        assert "for how the person you care for feels now" in first_item.words
        answer_survey_rest(phone)
        done = phone.key("2")
        assert "If the person you care for feels much worse, do not wait" in done.words
        assert VoiceCall.objects.get().completed_by == "caregiver"

    def test_the_patient_answering_with_help_is_asked_how_they_feel(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        phone.key("1")
        assert "for how you feel now" in phone.key("4").words


def answer_survey_rest(phone):
    """Skip every item from the current one to "do you need a call today?"."""
    while "call_today" not in phone.last.gather.get("action"):
        phone.key("*")


def spoken(moment, language):
    with translation.override(language):
        return script._spoken_time(moment, language)


def test_the_spoken_window_says_one_oclock_in_the_singular_in_spanish():
    assert spoken(datetime(2026, 1, 1, 13, 0), "es") == "las 13"
    assert spoken(datetime(2026, 1, 1, 1, 0), "es") == "la 1"
    assert spoken(datetime(2026, 1, 1, 9, 30), "en") == "9:30 AM"
    assert spoken(datetime(2026, 1, 1, 17, 0), "en") == "5 PM"


def readme_says(between, until):
    """Every <Say> of the README's call scripts from the line `between` to the line `until`."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme[readme.index(between):readme.index(until)]
    return [(language, text) for language, text in re.findall(r'<Say language="([^"]+)" voice="[^"]+">(.*?)</Say>', block)]


@pytest.mark.django_db
@pytest.mark.parametrize(("patient", "language"), [("walter", "en-US"), ("esperanza", "es-US")])
def test_the_readme_shows_the_call_script_as_the_patient_hears_it(request, ring_phone, riverside, patient, language):
    """The README's TwiML (English and Spanish) is what the code says, sentence by sentence."""
    riverside.name_in_messages = "Riverside Care Team"
    riverside.save()
    phone = ring_phone(request.getfixturevalue(patient), Reminder.Purpose.CHECKIN)
    spoken = set(phone.answer().says)
    for digits in ["1", "1", "8", "1"]:
        spoken |= set(phone.key(digits).says)
    answer_survey_rest(phone)
    spoken |= set(phone.last.says) | set(phone.key("2").says)
    shown = [say for say in readme_says("A check-in call to Walter", "An answering machine hears") if say[0] == language]
    assert len(shown) >= 9
    missing = [text for said_in, text in shown if (text, said_in, script.voice(said_in[:2])["voice"]) not in spoken]
    assert not missing


@pytest.mark.django_db
def test_the_readme_shows_the_voicemail_as_it_is_left(ring_phone, riverside, walter):
    riverside.name_in_messages = "Riverside Care Team"
    riverside.save()
    phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
    left = phone.answer(answered_by="machine_end_beep").says
    [(_, shown)] = readme_says("An answering machine hears", "**The voice webhooks**")
    assert [text for text, _, _ in left] == [shown]


def test_every_word_of_a_call_comes_from_the_catalogue_so_a_new_language_needs_no_code(xx):
    """The throwaway language of tests/test_a_new_language.py (a catalogue and a wording table, nothing
    else): every line of the keys and the survey, every spoken template and the keypad items are in it."""
    values = ["Hillcrest Care Team", "2 0 2, 5 5 5, 0 1 5 0", "<phone>", "<item>", "<best>", "<worst>", "<score>", "<digits>"]
    for key in script.LINES:
        text = script.line(key, xx, **{name: f"<{name}>" for name in fields_of(script.line(key, "en"))})
        assert new_language.english_left(text, *values) == [], f"{key}: {text!r}"
    day = "xxx"  # a day the catalogue's formats wrote
    for kind in [*PURPOSES, "voicemail"]:
        for for_caregiver in (False, True):
            context = {"clinic_name": "Hillcrest Care Team", "clinic_phone": "2 0 2, 5 5 5, 0 1 5 0", "day": day,
                       "time": "9:00", "when": day, "for_caregiver": for_caregiver}
            text = rendering.render_message(kind, "voice", xx, context).text
            assert new_language.english_left(text, *values) == [], f"{kind}: {text!r}"
    _, name, best, worst = script.item_words(0, xx)
    assert new_language.english_left(" ".join([name, best, worst])) == []
    assert script.voice(xx)["voice"] != script.voice("en")["voice"]  # the catalogue names its voice
