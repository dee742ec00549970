"""The name a message carries: set by the clinic's lead in the admin, the clinic's name when blank,
refused when it cannot fit one text with every template (naming the template), warned about when it
names a kind of care, and never cut mid-word."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from followup import demo
from followup.messaging import names, rendering
from followup.models import Clinic, Reminder


MONDAY_MORNING = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def lead_in_admin(client, leo):
    leo.is_staff = True
    leo.save(update_fields=["is_staff"])
    leo.user_permissions.set(Permission.objects.filter(codename__in=["view_clinic", "change_clinic"]))
    client.force_login(leo)
    return client


def clinic_form(clinic, **changes):
    data = {
        "name": clinic.name, "name_in_messages": clinic.name_in_messages, "phone": clinic.phone.as_e164,
        "time_zone": clinic.time_zone,
    }
    for field in Clinic._meta.concrete_fields:
        if field.name not in data and field.name != "id":
            value = getattr(clinic, field.attname)
            data[field.name] = value.strftime("%H:%M") if hasattr(value, "strftime") else value
    data.update(changes)
    return data


def test_the_name_in_messages_defaults_to_the_clinic_name(riverside):
    assert riverside.name_in_messages == ""
    assert riverside.messages_name == "Riverside Palliative Care"


def test_a_text_carries_the_name_in_messages_not_the_clinic_name(riverside, alice):
    riverside.name_in_messages = "Riverside Care Team"
    riverside.save()
    with time_machine.travel(MONDAY_MORNING, tick=False):
        from followup import services

        services.enrol(alice)
    reminder = Reminder.objects.filter(patient=alice, channel="sms").first()
    text = rendering.render_reminder(reminder).text
    assert text.startswith("Riverside Care Team: ")
    assert "Palliative" not in text


def test_the_lead_sets_the_name_in_messages_in_the_admin(lead_in_admin, riverside):
    response = lead_in_admin.post(reverse("admin:followup_clinic_change", args=[riverside.pk]),
                                  clinic_form(riverside, name_in_messages="Riverside Care Team"))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    riverside.refresh_from_db()
    assert riverside.name_in_messages == "Riverside Care Team"


def test_a_name_too_long_for_one_text_is_refused_in_the_admin_naming_the_template(lead_in_admin, riverside):
    too_long = "St Bartholomew's Community Specialist Team North"
    response = lead_in_admin.post(reverse("admin:followup_clinic_change", args=[riverside.pk]),
                                  clinic_form(riverside, name_in_messages=too_long))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["name_in_messages"]
    assert "checkin.en" in errors[0] and too_long in errors[0]
    riverside.refresh_from_db()
    assert riverside.name_in_messages == ""


def test_a_long_clinic_name_with_no_name_in_messages_is_refused_and_asks_for_one(riverside):
    riverside.name = "Clínica de Cuidados Continuos del Hospital Universitario Nuestra Señora"
    with pytest.raises(ValidationError) as refused:
        riverside.full_clean()
    assert "no name in messages is set" in refused.value.message_dict["name_in_messages"][0]


def test_a_name_that_fits_every_template_is_accepted(riverside):
    riverside.name_in_messages = "St. Mary's & Riverside"
    riverside.full_clean()


@pytest.mark.parametrize("name", ["Hillcrest Hospice", "Riverside Palliative Care", "Cancer Support North",
                                  "Equipo de Cuidados Paliativos", "Hospicio San José", "Oncología Norte"])
def test_a_name_naming_a_kind_of_care_is_warned_about(name):
    assert names.care_words_in(name)


def test_a_neutral_name_gets_no_warning():
    assert names.care_words_in("Hillcrest Care Team") == []
    assert names.care_words_in("St. Mary's & Riverside") == []


def test_the_admin_warns_when_the_name_in_messages_names_a_kind_of_care(lead_in_admin, riverside):
    response = lead_in_admin.post(reverse("admin:followup_clinic_change", args=[riverside.pk]),
                                  clinic_form(riverside, name_in_messages="Riverside Hospice"), follow=True)
    shown = [str(message) for message in response.context["messages"]]
    assert any("names a kind of care (hospice)" in message for message in shown), shown


def test_the_demo_clinics_carry_neutral_names_in_messages():
    for plan in demo.CLINICS:
        assert plan.name_in_messages.endswith("Care Team")
        assert names.care_words_in(plan.name_in_messages) == []


@pytest.mark.django_db
def test_the_demo_names_fit_every_template():
    for plan in demo.CLINICS:
        clinic = Clinic(name=plan.name, name_in_messages=plan.name_in_messages, phone=plan.phone, time_zone=plan.time_zone)
        assert names.templates_too_long(clinic.messages_name, clinic.phone.as_national, clinic) == []


def test_an_unchecked_long_name_is_shortened_by_whole_words():
    context = {"clinic_name": "Riverside Community Specialist Care Team and Friends of the Valley",
               "clinic_phone": "(202) 555-0100", "window": "9am-5pm", "for_caregiver": True,
               "link": "https://followup.example.org/s/AbCdEfGhIjKl.AbCdEfGhIjKlMnOpQrStUv/"}
    text = rendering.render_message("checkin", "sms", "en", context).text
    assert len(text) <= rendering.SMS_LIMIT
    name = text.split(":")[0]
    assert "Riverside Community Specialist Care Team and Friends of the Valley".startswith(name + " ")
    assert not name.endswith((" and", " of", " the"))


def test_a_checkin_text_says_the_clinics_calling_window_that_day(riverside, alice):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        from followup import services

        services.enrol(alice)
    reminder = Reminder.objects.filter(patient=alice, channel="sms", purpose=Reminder.Purpose.CHECKIN).first()
    text = rendering.render_reminder(reminder, link="https://followup.example.org/s/AbCdEfGhIjKl.AbCdEfGhIjKlMnOpQrStUv/").text
    assert "your nurse calls today 9am-5pm. Before the call, tell us how you are: followup.example.org/s/" in text


@pytest.mark.django_db
def test_a_new_clinic_is_checked_against_the_default_working_week():
    Clinic(name="Hillcrest Hospice", name_in_messages="Hillcrest Care Team", phone="+12025550150",
           time_zone="America/Los_Angeles").full_clean()
