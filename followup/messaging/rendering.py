"""Every message to a patient or caregiver is a template per channel, rendered here in the contact's
language: the words come from the gettext catalogues (locale/<code>/LC_MESSAGES/django.po), the day
and time from Django's locale formats, so a new language needs a catalogue, not code.

Minimum necessary (domain.md): the clinic, the day and time, how to reach the team, how to stop.
Never a diagnosis, a procedure, a medication or the patient's name: a phone may be read by anyone.
A text is one GSM-7 segment: at most 160 characters from the GSM 03.38 basic set.
"""

import logging
import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from importlib import import_module

from django.conf import settings
from django.template import engines
from django.template.loader import render_to_string
from django.utils import dateformat, translation
from django.utils.translation import pgettext

from .. import languages

logger = logging.getLogger(__name__)

SMS_LIMIT = 160

# GSM 03.38 basic character set (one septet each). Characters of the extension table (e.g. [ ] { } €)
# take two septets, so we keep to the basic set and count one character as one septet.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


class MessageTooLong(ValueError):
    pass


@dataclass(frozen=True)
class Rendered:
    text: str
    subject: str = ""
    html: str = ""


def to_gsm7(text):
    """Fold text into the GSM-7 basic set: accents the set lacks are dropped (día -> dia),
    typographic quotes and dashes become plain ones, anything else unknown becomes '?'."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2026", "...").replace("\u00a0", " ")
    folded = []
    for char in text:
        if char in GSM7_BASIC:
            folded.append(char)
            continue
        base = unicodedata.normalize("NFKD", char)[0]
        folded.append(base if base in GSM7_BASIC else "?")
    return "".join(folded)


def fold_accents(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def is_gsm7(text):
    return all(char in GSM7_BASIC for char in text)


def render_text(template_name, context):
    """A text or plain-text e-mail template, rendered without HTML escaping: a text is not HTML, and
    "St. Mary's & Riverside" must not arrive as "St. Mary&#x27;s &amp; Riverside". Every .txt
    template is rendered here (the "text" engine in settings.TEMPLATES); HTML stays escaped."""
    return engines["text"].get_template(template_name).render(context)


def _clean_text(text):
    return re.sub(r"[ \t]+", " ", re.sub(r"\s*\n\s*", " ", text)).strip()


def clinic_phone(clinic):
    return clinic.phone.as_national if clinic.phone else ""


def appointment_context(clinic, moment, zone, language):
    """The day and time as the language writes them, from Django's locale formats: `day` short for a
    text ("Wed December 30" / "mié 30 de diciembre"), `date` in full for an e-mail ("Wednesday,
    Dec. 30, 2026" / "miércoles, 30 de diciembre de 2026"), `time` ("2:30 p.m." / "14:30")."""
    local = moment.astimezone(zone)
    language = languages.supported(language)
    with translation.override(language):
        day = pgettext("the day of an appointment in a text: weekday, then month and day", "%(weekday)s %(month_day)s") % {
            "weekday": dateformat.format(local, "D"),
            "month_day": dateformat.format(local, locale_format("MONTH_DAY_FORMAT", language))}
        date = pgettext("the day of an appointment in an e-mail: weekday, then date", "%(weekday)s, %(date)s") % {
            "weekday": dateformat.format(local, "l"), "date": dateformat.format(local, locale_format("DATE_FORMAT", language))}
        time = dateformat.time_format(local, locale_format("TIME_FORMAT", language))
    return {"day": day, "date": date, "time": time}


def locale_format(name, language):
    """Django's own format for `language`, as the language writes dates in a letter. The staff
    screens' compact formats (config/formats, one format across every table) are not for patients."""
    try:
        module = import_module(f"django.conf.locale.{translation.to_locale(language)}.formats")
    except ImportError:
        module = None
    return getattr(module, name, None) or getattr(settings, name)


def _hour(moment):
    """An hour as a short text writes it in the active language: "9am", "2:30pm" / "9", "14:30".
    The patterns are Django date formats (G g i, and backslash-escaped letters) from the catalogue."""
    if moment.minute == 0:
        pattern = (pgettext("an hour on the hour before noon in a text; a Django date format", "g\\a\\m") if moment.hour < 12
                   else pgettext("an hour on the hour after noon in a text; a Django date format", "g\\p\\m"))
    else:
        pattern = (pgettext("an hour and minutes before noon in a text; a Django date format", "g:i\\a\\m") if moment.hour < 12
                   else pgettext("an hour and minutes after noon in a text; a Django date format", "g:i\\p\\m"))
    return dateformat.format(moment, pattern)


def window_words(opens, closes, language):
    """When the nurse calls, as a short text says it: "9am-5pm" / "de 9 a 17 h"."""
    with translation.override(languages.supported(language)):
        return pgettext("the hours a nurse calls, in a text", "%(opens)s-%(closes)s") % {
            "opens": _hour(opens), "closes": _hour(closes)}


def longest_window(language):
    from datetime import datetime

    return window_words(datetime(2026, 1, 1, 10, 30), datetime(2026, 1, 1, 12, 30), language)


def longest_time(language):
    """The longest time of day as an appointment text writes it in `language` ("12:30 p.m.")."""
    from datetime import datetime

    language = languages.supported(language)
    with translation.override(language):
        return max((dateformat.time_format(datetime(2026, 1, 1, hour, 30), locale_format("TIME_FORMAT", language))
                    for hour in range(24)), key=len)


def calling_window(clinic, moment, language):
    """The clinic's calling window on the local day of `moment` (its working hours that day),
    in words; "" when the team does not work that day."""
    zone = ZoneInfo(clinic.time_zone)
    local = moment.astimezone(zone)
    window = clinic.calling_window(local.date())
    if window is None:
        return ""
    opens, closes = (edge.astimezone(zone) for edge in window)
    return window_words(opens, closes, language)


def link_in_text(link):
    """A link as a text shows it: without "https://", which every phone that opens links adds back.
    Eight characters matter in one segment."""
    return link.removeprefix("https://")


# Words a shortened name must not end on ("St Mary's Care and").
DANGLING = {"and", "&", "of", "the", "for", "at", "y", "de", "del", "la", "las", "los", "el", "en", "-"}


def _words_of(name, count):
    words = name.split()[:count]
    while len(words) > 1 and words[-1].lower().strip(",.-") in DANGLING:
        words.pop()
    return " ".join(words).rstrip(" -,&")


def _render_sms(template, context):
    return to_gsm7(_clean_text(render_text(template, context)))


def written_text(kind, language, context):
    """A text in `language` as its template writes it, before it is folded into GSM-7 (for a reviewer,
    and for the check that no word changes its meaning when its accent drops)."""
    with translation.override(languages.supported(language)):
        return _clean_text(render_text(f"messages/sms/{kind}.txt", context))


def render_sms_exactly(kind, language, context):
    """A text as it would go out, with the name as given: for checking a name fits."""
    with translation.override(languages.supported(language)):
        return _render_sms(f"messages/sms/{kind}.txt", {**context, "link": link_in_text(context.get("link", ""))})


def _fit_sms(template, context):
    """Render a text in one segment. The clinic's name in messages is checked to fit every template
    when it is set (followup/messaging/names.py); a name that was never checked (or a site whose
    address grew) is shortened by whole words, never mid-word. If even its first word leaves no room
    for the symptom-form link, the text goes without the link: the reminder matters more."""
    context = {**context, "link": link_in_text(context.get("link", ""))}
    name = context["clinic_name"]
    words = len(name.split())
    for count in range(max(words, 1), 0, -1):
        text = _render_sms(template, {**context, "clinic_name": name if count == words else _words_of(name, count)})
        if len(text) <= SMS_LIMIT:
            return text
    if context.get("link"):
        logger.warning("%s: no room for the symptom link in one segment; sent without it", template)
        return _fit_sms(template, {**context, "link": ""})
    raise MessageTooLong(f"{template} renders longer than {SMS_LIMIT} characters")


def render_message(kind, channel, language, context):
    """Render one message in `language` (the site's default for one Followup does not speak).
    kind: a reminder purpose (day_before, morning_of, checkin) or a reply (help, confirm, other,
    symptoms, opted_out); channel: sms, email or voice (the words a call speaks, followup/voice/script.py)."""
    language = languages.supported(language)
    base = f"messages/{channel}/{kind}"
    with translation.override(language):
        if channel == "sms":
            return Rendered(text=_fit_sms(f"{base}.txt", context))
        if channel == "voice":
            return Rendered(text=_clean_text(render_text(f"{base}.txt", context)))
        subject = _clean_text(render_text(f"{base}.subject.txt", context))
        return Rendered(
            subject=subject,
            text=render_text(f"{base}.txt", context).strip() + "\n",
            html=render_to_string(f"{base}.html", {**context, "subject": subject, "language": language}),
        )


def render_reminder(reminder, link="", unsubscribe_url=""):
    patient = reminder.patient
    clinic = patient.clinic
    contact = reminder.caregiver or patient
    context = {
        "clinic_name": clinic.messages_name,
        "clinic_phone": clinic_phone(clinic),
        "link": link,
        "for_caregiver": reminder.caregiver_id is not None,
        "unsubscribe_url": unsubscribe_url,
        "window": calling_window(clinic, reminder.occurrence.due_at, contact.language),
        **appointment_context(clinic, reminder.due_at, patient.zone, contact.language),
    }
    return render_message(reminder.purpose, reminder.channel, contact.language, context)


def render_reply(kind, clinic, language, now=None):
    """A reply to a patient's text. While the team is closed it names the out-of-hours number."""
    from django.utils import timezone

    closed = clinic is not None and not clinic.is_open(now or timezone.now())
    phone = ""
    if clinic:
        phone = clinic.out_of_hours_number.as_national if closed and clinic.out_of_hours_number else clinic_phone(clinic)
    context = {"clinic_name": clinic.messages_name if clinic else "", "clinic_phone": phone, "closed": closed}
    return render_message(kind, "sms", language, context)


def staff_language(page):
    """A page to staff is in the language of the recipient's account; an on-call contact without an
    account gets the site's language."""
    user = page.staff if page.staff_id else (page.on_call.user if page.on_call_id and page.on_call.user_id else None)
    return languages.supported(user.language if user else "")


def render_staff_page(page, link):
    """A page to the on-call contacts or the clinical leads about an alert: the clinic's name, the
    link and nothing about the patient. In the recipient's language (staff_language)."""
    clinic = page.alert.patient.clinic
    context = {"clinic_name": clinic.name, "link": link, "hours": clinic.escalate_after_working_hours,
               "severe": page.alert.severe, "call_requested": page.alert.call_requested}
    base = f"messages/staff/{page.purpose}"
    language = staff_language(page)
    with translation.override(language):
        if page.channel == "sms":
            return Rendered(text=_fit_sms(f"{base}.sms.txt", context))
        subject = _clean_text(render_text(f"{base}.subject.txt", context))
        text = render_text(f"{base}.txt", context).strip() + "\n"
        return Rendered(subject=subject, text=text, html=render_to_string(
            "messages/staff/email.html", {"subject": subject, "text": text, "language": language}))
