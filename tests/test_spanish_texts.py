"""Spanish texts a family reads as written: GSM-7 without a word whose meaning changes when its
accent drops (está/esta, más/mas, sí/si, cómo/como, tú/tu...), gender-neutral, and each beside its
English one for a reviewer (run with -s to print the pairs)."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from followup.messaging import rendering

KINDS = ["day_before", "morning_of", "checkin", "help", "confirm", "other", "symptoms", "opted_out"]
# Words that are other words once the accent is dropped: está -> esta ("this"), más -> mas ("but"),
# sí -> si ("if"), cómo -> como ("I eat"), tú -> tu ("your"), él -> el ("the"), mí -> mi ("my"),
# sé -> se, té -> te, dé -> de, aún -> aun, sólo/solo, número -> numero ("I number"), término -> termino,
# llamará -> llamara, recibirá -> recibira... Any of these in a folded text is a word a reader may misread.
AMBIGUOUS_WITHOUT_ACCENT = {
    "esta", "estan", "mas", "si", "como", "tu", "el", "mi", "aun", "solo", "numero", "termino", "llamara",
    "enviara", "recibira", "podra", "sera", "mama", "papa", "ingles", "publico", "ultimo", "medico",
}
GENDERED = ["enfermera", "enfermero", "la paciente", "el paciente", "cuidadora", "cuidador", "bienvenida"]


def context(language, for_caregiver, link=True):
    moment = datetime(2026, 12, 30, 14, 30, tzinfo=UTC)
    zone = ZoneInfo("America/New_York")
    return {
        "clinic_name": "Hillcrest Care Team", "clinic_phone": "(202) 555-0150", "for_caregiver": for_caregiver,
        "link": "https://followup.example.org/s/AbCdEfGhIjKl.AbCdEfGhIjKlMnOpQrStUv/" if link else "",
        "window": rendering.window_words(moment.replace(hour=9, minute=0), moment.replace(hour=17, minute=0), language),
        **rendering.appointment_context(None, moment, zone, language),
    }


def spanish_beside_english():
    for kind in KINDS:
        for for_caregiver in (False, True):
            for link in ((True, False) if kind == "checkin" else (True,)):
                label = f"{kind}{' to a caregiver' if for_caregiver else ''}{'' if link else ' (no link)'}"
                pair = [rendering.render_message(kind, "sms", language, context(language, for_caregiver, link)).text
                        for language in ("en", "es")]
                written = rendering.written_text(kind, "es", context("es", for_caregiver, link))
                yield label, *pair, written


PAIRS = list(spanish_beside_english())


def test_each_spanish_text_beside_its_english_one_for_a_reviewer(capsys):
    with capsys.disabled():
        print("\n")
        for label, english, spanish, _ in PAIRS:
            print(f"{label}\n  en: {english}\n  es: {spanish}\n")
    assert len(PAIRS) == 2 * len(KINDS) + 2


def accents_dropped(written):
    """The words of `written` that lose an accent in GSM-7, as a phone shows them."""
    return {rendering.to_gsm7(word).lower() for word in re.findall(r"\w+", written) if not rendering.is_gsm7(word)}


@pytest.mark.parametrize(("label", "english", "spanish", "written"), PAIRS, ids=[pair[0] for pair in PAIRS])
def test_spanish_text_has_no_word_whose_meaning_changes_without_its_accent(label, english, spanish, written):
    assert rendering.is_gsm7(spanish)
    misread = accents_dropped(written) & AMBIGUOUS_WITHOUT_ACCENT
    assert not misread, f"{label}: {sorted(misread)} in {spanish!r}"


@pytest.mark.parametrize(("label", "english", "spanish", "written"), PAIRS, ids=[pair[0] for pair in PAIRS])
def test_spanish_text_is_gender_neutral(label, english, spanish, written):
    for word in GENDERED:
        assert word not in spanish.lower(), f"{word!r} in {label}"


@pytest.mark.parametrize("kind", ["day_before", "morning_of", "checkin"])
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_a_message_to_a_caregiver_speaks_to_the_caregiver(kind, language, channel):
    message = rendering.render_message(kind, channel, language, context(language, for_caregiver=True))
    phrase = {"en": "the person you care for", "es": "la persona que"}[language]
    assert phrase in message.text.lower()
    mine = {"en": ["your appointment", "how you are"], "es": ["su cita", "cuéntenos qué tal se encuentra"]}[language]
    for words in mine:
        assert words not in message.text.lower()


def test_the_accent_check_catches_the_old_como_esta():
    assert accents_dropped("¿Cómo está? Si es urgente, el equipo") == {"como", "esta"}
