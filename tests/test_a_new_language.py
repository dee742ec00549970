"""A language added with nothing but a catalogue and an ESAS-r wording table (README, Languages):
"xx", whose every word is x's, compiled in the test's own folder. The patient's pages and every
message template render in it, and not one English word is left: none of the words patients and
families read is written in code."""

import html
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import django
import polib
import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import translation

from followup import catheter, esas_r, languages, services, symptom_links
from followup.messaging import email as clinic_email
from followup.messaging import rendering
from followup.models import ESAS_FIELDS, Caregiver, Clinic, Patient

from .conftest import make_patient

NOW = datetime(2026, 3, 30, 15, 0, tzinfo=UTC)  # a Monday, 11:00 in New York: the team is open
TEMPLATES = Path(settings.BASE_DIR) / "templates" / "messages"
OUR_CATALOGUE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
# Django's own words that a page or a message of ours can show: day and month names, a.m./p.m.,
# a form field's "This field is required.".
DJANGO_CATALOGUE = Path(django.__file__).parent / "conf" / "locale" / "en" / "LC_MESSAGES" / "django.po"
DJANGO_WORDS = ("utils/dates.py", "utils/dateformat.py", "forms/")
CODE = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>|&\w+;|\\.")  # placeholders, tags, entities, escapes


def in_xs(text):
    """Every letter outside placeholders, tags and escapes becomes x (X for a capital): the same
    length and the same shape as the English, in GSM-7, and recognisably no language at all."""
    parts, last = [], 0
    for match in CODE.finditer(text):
        parts.append(re.sub(r"[a-z]", "x", re.sub(r"[A-Z]", "X", text[last:match.start()])))
        parts.append(match.group())
        last = match.end()
    parts.append(re.sub(r"[a-z]", "x", re.sub(r"[A-Z]", "X", text[last:])))
    return "".join(parts)


def pseudo_catalogue():
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "xx",
                          "Plural-Forms": "nplurals=2; plural=(n != 1);"}
    ours = polib.pofile(str(OUR_CATALOGUE))
    djangos = [entry for entry in polib.pofile(str(DJANGO_CATALOGUE))
               if any(path.startswith(DJANGO_WORDS) for path, _line in entry.occurrences)]
    seen = set()
    for entry in [*ours, *djangos]:
        if (entry.msgctxt, entry.msgid) in seen:
            continue
        seen.add((entry.msgctxt, entry.msgid))
        translated = polib.POEntry(msgctxt=entry.msgctxt, msgid=entry.msgid, msgid_plural=entry.msgid_plural)
        if "Django date format" in (entry.msgctxt or ""):  # format letters stay; the literal ones ("\a\m") become x's
            translated.msgstr = re.sub(r"\\.", r"\\x", entry.msgid)
        elif entry.msgid_plural:
            translated.msgstr_plural = {0: in_xs(entry.msgid), 1: in_xs(entry.msgid_plural)}
        else:
            translated.msgstr = in_xs(entry.msgid)
        catalogue.append(translated)
    return catalogue


def wording_table(english):
    lines = ['language = "xx"\n']
    for item in english:
        lines.append(f'[[items]]\nfield = "{item.field}"\nname = "{in_xs(item.name)}"\n'
                     f'best = "{in_xs(item.best)}"\nworst = "{in_xs(item.worst)}"\n')
    return "\n".join(lines)


@pytest.fixture
def xx(tmp_path, settings):
    """The throwaway language: locale/xx/LC_MESSAGES/django.mo and locale/xx/esas_r.toml, in the
    test's folder, added to LOCALE_PATHS and LANGUAGES; nothing else."""
    folder = tmp_path / "locale" / "xx"
    (folder / "LC_MESSAGES").mkdir(parents=True)
    pseudo_catalogue().save_as_mofile(str(folder / "LC_MESSAGES" / "django.mo"))
    (folder / "esas_r.toml").write_text(wording_table(esas_r.wording("en")), encoding="utf-8")
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, tmp_path / "locale"]
    settings.LANGUAGES = [*settings.LANGUAGES, ("xx", "Xxxxx")]
    yield "xx"
    shutil.rmtree(folder)


def english_left(text, *values):
    """The words of `text` that are not x's, once the values put into it (a name, a link) are taken out."""
    text = html.unescape(text)
    for value in sorted(filter(None, values), key=len, reverse=True):
        text = text.replace(value, " ")
    return [word for word in re.findall(r"[^\W\d_]+", text) if set(word.lower()) != {"x"}]


def page_words(response):
    """What a reader meets on a page: its text, and the attributes a screen reader says aloud."""
    page = response.content.decode()
    spoken = re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', page)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join([re.sub(r"<[^>]+>", " ", text), *spoken])


@pytest.fixture
def clinic(db):
    return Clinic.objects.create(name="Hillcrest Care Team", phone="+12025550150", time_zone="America/New_York")


@pytest.fixture
def xavier(xx, clinic):
    """A patient who reads language xx, with a daughter who reads it too."""
    patient = make_patient(clinic, "HC-9001", "Xavier", "Núñez", mobile="+12025550160", email="xavier@example.org",
                           language="xx")
    Caregiver.objects.create(patient=patient, name="Xia Núñez", relationship="daughter", email="xia@example.org",
                             preferred_channel="email", language="xx", consent_at=NOW, consent_source="verbal")
    return patient


VALUES = ["Hillcrest Care Team", "Xavier", "(202) 555-0150", "+12025550150"]


def test_the_throwaway_language_is_one_followup_speaks(xx):
    assert languages.supported("xx") == "xx"
    assert [item.field for item in esas_r.wording("xx")] == ESAS_FIELDS
    with translation.override("xx"):
        assert translation.gettext("Thank you") == "Xxxxx xxx"


@time_machine.travel(NOW, tick=False)
def test_the_symptom_form_and_its_pages_are_in_the_new_language_with_no_english_left(xavier):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the patient's language wins over the browser's
    path = urlsplit(symptom_links.issue_link(xavier)).path
    form = client.get(path)
    assert form.status_code == 200 and form["Content-Language"] == "xx"
    assert '<html lang="xx">' in form.content.decode()
    assert english_left(page_words(form), *VALUES) == []
    # Answers that need another look: the error summary and every field's message.
    refused = client.post(path, {"completed_by": "", "pain": "11", "other_problem": "4", "other_problem_name": ""})
    assert refused.status_code == 200 and 'class="field-error"' in refused.content.decode()
    assert english_left(page_words(refused), *VALUES) == []
    client.post(path, {"completed_by": "patient", "pain": "3", "other_problem_name": ""})
    thanks = client.get(path + "thanks/")
    assert thanks.status_code == 200 and english_left(page_words(thanks), *VALUES) == []
    used = client.get(path)
    assert used.status_code == 410 and english_left(page_words(used), *VALUES) == []


@time_machine.travel(NOW, tick=False)
def test_an_expired_link_and_a_death_are_told_in_the_new_language(xavier):
    path = urlsplit(symptom_links.issue_link(xavier)).path
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        expired = Client().get(path)
    assert expired.status_code == 410 and english_left(page_words(expired), *VALUES) == []
    Patient.objects.filter(pk=xavier.pk).update(status=Patient.Status.DECEASED, status_changed_at=NOW)
    closed = Client().get(path)
    assert closed.status_code == 410 and english_left(page_words(closed), *VALUES) == []


def test_the_home_drainage_page_is_in_the_new_language(xavier):
    with time_machine.travel(datetime(2026, 2, 20, 15, 0, tzinfo=UTC), tick=False):
        services.enrol(xavier)
    with time_machine.travel(NOW, tick=False):
        services.place_catheter(xavier, placed_on=date(2026, 3, 28), type="tunnelled")
        path = urlsplit(catheter.issue_link(xavier)).path
        client = Client()
        form = client.get(path)
        assert form.status_code == 200 and english_left(page_words(form), *VALUES) == []
        refused = client.post(path, {"performed_at": "", "volume_ml": "99999", "name": ""})
        assert refused.status_code == 200 and english_left(page_words(refused), *VALUES) == []
        client.post(path, {"performed_at": "2026-03-30T10:30", "volume_ml": "900", "name": "Xia"})
        thanks = client.get(path + "thanks/")
        assert thanks.status_code == 200 and english_left(page_words(thanks), *VALUES) == []


def test_the_unsubscribe_pages_are_in_the_new_language(xavier):
    url = clinic_email.unsubscribe_url(clinic_email.address_row("xavier@example.org"))
    client = Client()
    ask = client.get(url)
    assert ask.status_code == 200 and english_left(page_words(ask), *VALUES) == []
    done = client.post(url)
    assert done.status_code == 200 and english_left(page_words(done), *VALUES) == []


def message_contexts(language):
    moment = datetime(2026, 12, 30, 14, 30, tzinfo=UTC)
    zone = ZoneInfo("America/New_York")
    for for_caregiver in (False, True):
        for link in ("", "https://followup.example.org/s/AbCd.EfGh/"):
            for window in ("", rendering.window_words(moment.replace(hour=14), moment.replace(hour=22, minute=30), language)):
                for closed in (False, True):
                    yield {"clinic_name": "Hillcrest Care Team", "clinic_phone": "(202) 555-0150", "link": link,
                           "for_caregiver": for_caregiver, "window": window, "closed": closed, "hours": 4,
                           "unsubscribe_url": "https://followup.example.org/u/tok/" if link else "",
                           **rendering.appointment_context(None, moment, zone, language)}


def test_every_message_template_renders_in_the_new_language_with_no_english_left(xx):
    kinds = {"sms": sorted(path.name.removesuffix(".txt") for path in (TEMPLATES / "sms").glob("*.txt")),
             "email": sorted({path.name.split(".")[0] for path in (TEMPLATES / "email").glob("[!_]*")})}
    staff = sorted(str(path.relative_to(TEMPLATES.parent)) for path in (TEMPLATES / "staff").glob("*.txt"))
    assert kinds["sms"] and kinds["email"] and staff
    rendered = 0
    for context in message_contexts(xx):
        values = [*VALUES, context["link"], context["unsubscribe_url"], context["link"].removeprefix("https://")]
        for channel, names in kinds.items():
            for kind in names:
                message = rendering.render_message(kind, channel, xx, context)
                for part in (message.text, message.subject, re.sub(r"<[^>]+>", " ", message.html)):
                    assert english_left(part, *values) == [], f"{kind}/{channel}: {part!r}"
                assert channel == "email" or (rendering.is_gsm7(message.text) and len(message.text) <= rendering.SMS_LIMIT)
                rendered += 1
        with translation.override(xx):
            for name in staff:
                text = rendering.render_text(name, context)
                assert english_left(text, *values) == [], f"{name}: {text!r}"
    assert rendered == 16 * (len(kinds["sms"]) + len(kinds["email"]))


def test_the_days_and_hours_of_a_message_come_from_the_catalogue_and_the_locale_formats(xx):
    moment = datetime(2026, 12, 30, 14, 30, tzinfo=UTC)
    words = rendering.appointment_context(None, moment, ZoneInfo("America/New_York"), xx)
    assert english_left(" ".join(words.values())) == []
    assert rendering.window_words(moment.replace(hour=9, minute=0), moment.replace(hour=17, minute=30), xx) == "9xx-5:30xx"


def test_a_text_in_the_new_language_is_checked_against_a_clinics_name_in_messages(xx):
    from followup.messaging import names

    long_name = "Hillcrest Community Care Team of the Northern Valley and the Riverside Towns"
    assert any(label.endswith(".xx") for label in names.templates_too_long(long_name))


@pytest.fixture
def xena(xx, clinic):
    """The clinic's lead, who chose language xx in her account."""
    from .conftest import make_staff

    lead = make_staff("xena", clinic, "lead")
    lead.language = "xx"
    lead.save(update_fields=["language"])
    return lead


STAFF_PAGES = ["worklist", "patients", "account", "calendar-feeds", "reports:index", "reports:frequency", "reports:reminders",
               "reports:symptoms", "reports:patient_drainages", "audit", "hospital_messages"]
PATIENT_PAGES = ["patient", "record_drainage", "log_checkin", "edit_contact", "add_caregiver", "pause_patient", "record_death"]
# What the pages show that nobody wrote in code: the people, the clinic, what a nurse typed, codes.
DATA = [*VALUES, "Xena", "xena", "Núñez", "HC-9002", "America/New_York", "written form", "English", "Español", "Xxxxx",
        "Followup", "MRN", "ESAS-r", "PPS", "PCOC", "CSV", "HL7", "UTC", "ml", "n=",
        "sign-in", "patient page"]  # the audit log shows what was recorded, as it was recorded


def test_staff_pages_in_the_new_language_leave_no_english_from_code(xena, clinic):
    from django.urls import reverse

    from followup.models import SymptomReport

    patient = make_patient(clinic, "HC-9002", "Xavier", "Núñez", mobile="+12025550161", nurse=xena)
    with time_machine.travel(NOW, tick=False):
        services.enrol(patient)
        services.record_symptom_report(patient, scores={"pain": 9, "nausea": 4}, completed_by=SymptomReport.CompletedBy.PATIENT,
                                       source=SymptomReport.Source.SMS)
        client = Client()
        client.force_login(xena)
        urls = [reverse(name) for name in STAFF_PAGES] + [reverse(name, args=[patient.pk]) for name in PATIENT_PAGES]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200 and response["Content-Language"] == "xx", url
            left = english_left(page_words(response), *DATA)
            assert left == [], f"{url}: {sorted(set(left))}"
