"""Every message a patient or caregiver can receive: one GSM-7 segment, and nothing a stranger
reading the phone should learn (no diagnosis, procedure, medication or name)."""

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from followup.messaging import rendering

TEMPLATES = Path(settings.BASE_DIR) / "templates" / "messages"
REMINDERS = ["day_before", "morning_of", "checkin"]
REPLIES = ["help", "confirm", "other", "symptoms", "opted_out"]
LANGUAGES = [code for code, _name in settings.LANGUAGES]  # every language Followup speaks

FORBIDDEN = [
    "paracentesis", "paracentesis", "drain", "drenaje", "ascites", "ascitis", "fluid", "liquido", "líquido",
    "abdomen", "cancer", "cáncer", "tumor", "metasta", "liver", "higado", "hígado", "catheter", "cateter",
    "catéter", "morphine", "morfina", "opioid", "medication", "medicament", "medicina", "palliative care team",
    "hospice care", "diagnos", "procedure", "procedimiento", "oncolog", "symptom", "sintoma", "síntoma",
]
PATIENT_NAMES = ["Alice", "Archer", "Bob", "Baker"]

LONG_CLINIC_NAMES = [
    "St Bartholomew's Community Specialist Palliative Care and Hospice at Home Service (North)",
    "Clínica de Cuidados Continuos del Hospital Universitario Nuestra Señora de la Candelaria",
    "Riverside",
]
# A production SITE_URL of ordinary length with the symptom-form path (12 + 1 + 22 characters).
LONG_LINK = "https://followup.example.org/s/AbCdEfGhIjKl.AbCdEfGhIjKlMnOpQrStUv/"


class FakePhone:
    as_national = "(202) 555-0100"


def contexts():
    moment = datetime(2026, 12, 30, 14, 30, tzinfo=UTC)  # a Wednesday: long Spanish day names
    for clinic_name in LONG_CLINIC_NAMES:
        for language in LANGUAGES:
            for for_caregiver in (False, True):
                context = {
                    "clinic_name": clinic_name, "clinic_phone": FakePhone.as_national, "link": LONG_LINK,
                    "window": rendering.window_words(moment.replace(hour=9, minute=0), moment.replace(hour=17, minute=0), language),
                    "for_caregiver": for_caregiver,
                    **rendering.appointment_context(None, moment, ZoneInfo("America/New_York"), language),
                }
                yield clinic_name + (" (caregiver)" if for_caregiver else ""), language, context


def all_messages():
    for clinic_name, language, context in contexts():
        for kind in REMINDERS:
            for channel in ("sms", "email"):
                yield f"{kind}/{channel}/{language}/{clinic_name[:12]}", channel, rendering.render_message(kind, channel, language, context)
        for kind in REPLIES:
            yield f"{kind}/sms/{language}/{clinic_name[:12]}", "sms", rendering.render_message(kind, "sms", language, context)
            # While the team is closed, the reply names the out-of-hours number instead.
            yield (f"{kind}/sms/{language}/{clinic_name[:12]}/closed", "sms",
                   rendering.render_message(kind, "sms", language, {**context, "closed": True}))
    yield "help/unknown", "sms", rendering.render_message("help", "sms", "en", {"clinic_name": "", "clinic_phone": ""})


MESSAGES = list(all_messages())


def test_every_template_file_is_rendered_by_this_test():
    covered = set(REMINDERS + REPLIES)
    on_disk = {path.name.split(".txt")[0] for path in (TEMPLATES / "sms").glob("*.txt")}
    assert on_disk == covered
    assert {path.name.split(".")[0] for path in (TEMPLATES / "email").glob("[!_]*")} == set(REMINDERS)


@pytest.mark.parametrize(("name", "channel", "message"), [m for m in MESSAGES if m[1] == "sms"], ids=lambda v: v if isinstance(v, str) else "")
def test_text_is_one_gsm7_segment(name, channel, message):
    assert len(message.text) <= rendering.SMS_LIMIT, message.text
    assert rendering.is_gsm7(message.text), message.text


@pytest.mark.parametrize(("name", "channel", "message"), MESSAGES, ids=lambda v: v if isinstance(v, str) else "")
def test_message_names_no_diagnosis_procedure_medication_or_patient(name, channel, message):
    everything = " ".join([message.text, message.subject, re.sub(r"<[^>]+>", " ", message.html)]).lower()
    for word in FORBIDDEN:
        assert word.lower() not in everything, f"{word!r} in {name}"
    for patient_name in PATIENT_NAMES:
        assert patient_name.lower() not in everything


def _checkin_text_with_link(name, channel, message):
    return name.startswith("checkin/sms") and "followup.example.org" in message.text


@pytest.mark.parametrize(("name", "channel", "message"), [m for m in MESSAGES if "unknown" not in m[0] and not _checkin_text_with_link(*m)],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_message_says_how_to_reach_the_team(name, channel, message):
    assert "(202) 555-0100" in message.text


@pytest.mark.parametrize(("name", "channel", "message"), [m for m in MESSAGES if _checkin_text_with_link(*m)], ids=lambda v: v if isinstance(v, str) else "")
def test_checkin_text_says_when_the_nurse_calls_and_what_the_link_is_for(name, channel, message):
    language = name.split("/")[2]
    nine_to_five = rendering.window_words(datetime(2026, 12, 30, 9), datetime(2026, 12, 30, 17), language)
    assert nine_to_five in message.text, message.text
    assert nine_to_five == {"en": "9am-5pm", "es": "de 9 a 17 h"}.get(language, nine_to_five)
    assert {"en": "tell us how", "es": "cuéntenos"}.get(language, "") in message.text.lower()
    assert message.text.endswith(LONG_LINK.removeprefix("https://"))


@pytest.mark.parametrize("kind", REMINDERS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_reminder_says_how_to_stop(kind, language):
    _, _, context = next(contexts())
    # A check-in text carrying the symptom link has no room left: it ends with the link (STOP still works).
    assert "STOP" in rendering.render_message(kind, "sms", language, {**context, "link": ""}).text
    email = rendering.render_message(kind, "email", language, context)
    assert {"en": "To stop these e-mails", "es": "Para dejar de recibir"}.get(language, "") in email.text


def test_a_name_too_long_for_one_segment_is_shortened_by_whole_words_never_mid_word():
    _, _, context = next(contexts())
    for kind in REMINDERS + REPLIES:
        for language in LANGUAGES:
            text = rendering.render_message(kind, "sms", language, context).text
            name = text.split(":")[0]
            assert LONG_CLINIC_NAMES[0].startswith(name) and LONG_CLINIC_NAMES[0][len(name)] == " ", text


def test_spanish_text_is_folded_into_gsm7():
    assert rendering.to_gsm7("¿Cómo está? Mañana, miércoles") == "¿Como esta? Mañana, miércoles"  # é is in GSM-7, á and ó are not


def test_appointment_day_and_time_are_in_the_patients_language():
    moment = datetime(2026, 12, 30, 14, 30, tzinfo=UTC)
    assert rendering.appointment_context(None, moment, ZoneInfo("America/New_York"), "en") == {
        "day": "Wed December 30", "date": "Wednesday, Dec. 30, 2026", "time": "9:30 a.m."}
    assert rendering.appointment_context(None, moment, ZoneInfo("Europe/Madrid"), "es") == {
        "day": "mié 30 de diciembre", "date": "miércoles, 30 de diciembre de 2026", "time": "15:30"}
