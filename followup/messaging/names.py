"""The name a message carries: each clinic's "name in messages".

A text is read by whoever holds the phone, so the name must be one the family recognises, must not
say what kind of care the house is receiving ("X Hospice" tells a visitor someone is dying), and
must fit one GSM-7 segment with every text template, so it never has to be cut mid-word.
"""

import re
import secrets
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from .. import languages
from . import rendering

# Words that name a kind of care, in English and Spanish (accents folded before matching).
CARE_WORDS = [
    "hospice", "palliative", "oncology", "oncologic", "cancer", "tumor", "tumour", "end of life", "terminal",
    "hospicio", "paliativo", "paliativos", "paliativa", "paliativas", "oncologia", "oncologico", "oncologica",
    "cancer", "tumores", "final de la vida", "cuidados terminales",
]

# Every text a clinic's name goes into (templates/messages/sms/<kind>.txt, in every language).
TEXT_KINDS = ["day_before", "morning_of", "checkin", "help", "confirm", "other", "symptoms", "opted_out"]


def care_words_in(name):
    """The care words `name` holds, in the order of CARE_WORDS (empty when neutral)."""
    folded = " " + re.sub(r"[^a-z]+", " ", rendering.fold_accents(name).lower()) + " "
    found = []
    for word in CARE_WORDS:
        if f" {word} " in folded and word not in found:
            found.append(word)
    return found


@lru_cache
def _longest_day(language):
    """The longest day as a text writes it ("mié 30 sep"), over a whole year."""
    start = date(2026, 1, 1)
    days = (datetime.combine(start + timedelta(days=n), time(12), ZoneInfo("UTC")) for n in range(366))
    return max((rendering.appointment_context(None, moment, ZoneInfo("UTC"), language)["day"] for moment in days), key=len)


def longest_link():
    """A symptom-form link as long as the real ones on this site."""
    from ..symptom_links import TOKEN_BYTES, sign

    token = secrets.token_urlsafe(TOKEN_BYTES)
    return settings.SITE_URL + reverse("symptom_form", args=[sign(token)])


def _longest_window(clinic, language):
    """The longest calling window the clinic's week gives (any window when no clinic is known)."""
    if clinic is None or not clinic.time_zone:
        return rendering.longest_window(language)
    if clinic.pk is None:  # a clinic being added has the default week until its hours are set
        from .. import working_hours

        day = datetime(2026, 1, 5)
        return max((rendering.window_words(datetime.combine(day, opens), datetime.combine(day, closes), language)
                    for opens, closes in dict(working_hours.DEFAULT_WEEK).values()), key=len, default="")
    monday = datetime(2026, 1, 5, 12, tzinfo=ZoneInfo(clinic.time_zone))
    windows = [rendering.calling_window(clinic, monday + timedelta(days=n), language) for n in range(7)]
    return max(windows, key=len)


def worst_case_context(name, phone, language, clinic=None):
    return {
        "clinic_name": name, "clinic_phone": phone or "(202) 555-0100", "link": longest_link(),
        "day": _longest_day(language), "time": rendering.longest_time(language),
        "window": _longest_window(clinic, language), "for_caregiver": False,
    }


def templates_too_long(name, phone="", clinic=None):
    """The text templates (as "checkin.es") that would pass one segment with `name` in them, with
    this clinic's phone and calling window and a symptom link as long as this site's."""
    too_long = []
    for language in languages.codes():
        for for_caregiver in (False, True):
            context = {**worst_case_context(name, phone, language, clinic), "for_caregiver": for_caregiver}
            for kind in TEXT_KINDS:
                text = rendering.render_sms_exactly(kind, language, context)
                label = f"{kind}.{language}"
                if len(text) > rendering.SMS_LIMIT and label not in too_long:
                    too_long.append(label)
    return too_long
