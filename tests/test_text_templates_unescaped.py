"""Finding 10 of the security review: texts and plain-text e-mails are not HTML, so they render
without HTML escaping ("St. Mary's & Riverside Care", never "St. Mary&#x27;s &amp; Riverside Care");
HTML e-mails stay escaped."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from followup.messaging import rendering
from followup.models import Clinic, Reminder, User

from .conftest import make_patient

TEMPLATES = Path(settings.BASE_DIR) / "templates"
HOSTILE = "O'Neil & \"Sons\" <Care>"
ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")
TEXT_TEMPLATES = sorted(str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.txt"))
CONTEXT = {
    "clinic_name": HOSTILE, "clinic_phone": "(202) 555-0100 & ext. <2>", "link": "https://followup.example.org/s/a'b&c/",
    "day": "Mon 2 Mar", "time": "10:00 AM", "for_caregiver": True, "hours": 4,
    "user": User(username="o'neil&<sons>", first_name=HOSTILE, last_name="D'Arcy"),
    "protocol": "https", "domain": "followup.example.org", "uid": "MQ", "token": "set-a1b2c3", "site_name": HOSTILE,
}


def test_there_are_text_templates_to_check():
    assert any(name.startswith("messages/sms/") for name in TEXT_TEMPLATES)
    assert any(name.startswith("messages/email/") for name in TEXT_TEMPLATES)


@pytest.mark.parametrize("name", TEXT_TEMPLATES)
def test_every_text_template_renders_names_without_html_entities(name):
    text = rendering.render_text(name, CONTEXT)
    assert not ENTITY.search(text), text


@pytest.mark.parametrize("kind", ["day_before", "morning_of", "checkin"])
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_plain_text_email_carries_the_clinic_name_as_written(kind, language):
    message = rendering.render_message(kind, "email", language, CONTEXT)
    assert HOSTILE in message.text
    assert not ENTITY.search(message.text + message.subject)


@pytest.mark.parametrize("kind", ["day_before", "morning_of", "checkin", "help", "confirm", "other", "symptoms"])
def test_every_text_carries_the_clinic_name_without_entities(kind):
    text = rendering.render_message(kind, "sms", "en", {**CONTEXT, "clinic_name": "St. Mary's & Riverside"}).text
    assert "Mary's &" in text and not ENTITY.search(text), text


def test_st_marys_and_riverside_care_texts_its_name_as_written(db, nina):
    clinic = Clinic.objects.create(name="St. Mary's & Riverside Care", phone="+12025550170", time_zone="America/New_York")
    from followup import services

    patient = make_patient(clinic, "SM-1", "José", "Núñez", mobile="+12025550171")
    services.enrol(patient)
    reminder = Reminder.objects.filter(patient=patient, channel="sms").first()
    text = rendering.render_reminder(reminder).text
    assert text.startswith("St. Mary's & Riverside Care") and "&#x27;" not in text and "&amp;" not in text


@pytest.mark.parametrize("kind", ["day_before", "morning_of", "checkin"])
def test_html_emails_stay_escaped(kind):
    html = rendering.render_message(kind, "email", "en", CONTEXT).html
    assert "&lt;Care&gt;" in html and "<Care>" not in html
    assert "O&#x27;Neil &amp; &quot;Sons&quot;" in html


def test_the_password_reset_email_has_no_html_entities(client, riverside):
    User.objects.create_user("oneil", "oneil@example.org", "x", first_name="Siobhán", last_name="O'Neil & <Sons>")
    client.post(reverse("password_reset"), {"email": "oneil@example.org"})
    [message] = mail.outbox
    assert "O'Neil & <Sons>" in message.body
    assert not ENTITY.search(message.body + message.subject)
