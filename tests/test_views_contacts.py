"""Contact details, consent, language, quiet hours and caregivers: saved from forms that keep what
was typed, and the unsent reminders re-planned to match."""

import pytest
from django.urls import reverse

from followup.models import Caregiver, Reminder

CONTACT = {
    "nurse": "", "mobile": "+1 202 555 0101", "email": "alice@example.org", "preferred_channel": "sms", "language": "en",
    "time_zone": "America/New_York", "quiet_hours_end": "", "quiet_hours_start": "", "consent": "on",
    "consent_source": "written form",
}


def test_editing_contact_details(nurse_client, enrolled_alice, nina):
    response = nurse_client.post(reverse("edit_contact", args=[enrolled_alice.pk]), {
        **CONTACT, "nurse": nina.pk, "language": "es", "quiet_hours_end": "09:00", "quiet_hours_start": "19:00"})
    assert response.status_code == 302
    enrolled_alice.refresh_from_db()
    assert (enrolled_alice.language, enrolled_alice.email) == ("es", "alice@example.org")
    assert enrolled_alice.quiet_hours_end.hour == 9 and enrolled_alice.quiet_hours_start.hour == 19


@pytest.mark.parametrize("field, value, message", [
    ("mobile", "+1 202", "Enter a valid phone number (e.g. (201) 555-0123) or a number with an international call prefix."),
    ("time_zone", "Atlantis/Central", "Atlantis/Central is not a known time zone (use a name like Europe/London)."),
    ("email", "alice@", "Enter a valid email address."),
    ("quiet_hours_start", "07:00", "Messages must be allowed for part of the day: the evening time must come after the morning time."),
])
def test_bad_contact_input_shows_field_errors_and_keeps_what_was_typed(nurse_client, enrolled_alice, field, value, message):
    data = {**CONTACT, "quiet_hours_end": "09:00", "quiet_hours_start": "19:00", field: value}
    response = nurse_client.post(reverse("edit_contact", args=[enrolled_alice.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert f'value="{value}"' in response.content.decode()
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.time_zone == "America/New_York" and enrolled_alice.quiet_hours_end is None


def test_text_reminders_need_a_mobile(nurse_client, enrolled_alice):
    response = nurse_client.post(reverse("edit_contact", args=[enrolled_alice.pk]), {**CONTACT, "mobile": ""})
    assert response.context["form"].errors["mobile"] == ["A mobile number is needed for text reminders."]


def test_withdrawing_consent_records_an_opt_out_and_cancels_unsent_reminders(nurse_client, enrolled_alice):
    assert enrolled_alice.reminders.filter(state=Reminder.State.PLANNED).exists()
    data = {**CONTACT}
    del data["consent"]
    nurse_client.post(reverse("edit_contact", args=[enrolled_alice.pk]), data)
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.opted_out_at is not None and enrolled_alice.opted_out_source == "nurse"
    assert not enrolled_alice.reminders.filter(state=Reminder.State.PLANNED).exists()


def test_giving_consent_again_plans_reminders(nurse_client, enrolled_alice):
    data = {**CONTACT}
    del data["consent"]
    nurse_client.post(reverse("edit_contact", args=[enrolled_alice.pk]), data)
    nurse_client.post(reverse("edit_contact", args=[enrolled_alice.pk]),
                      {**CONTACT, "consent_source": "phone call", "consent_given_by": "the patient"})
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.may_be_messaged and enrolled_alice.consent_source == "phone call"
    assert enrolled_alice.reminders.filter(state=Reminder.State.PLANNED).exists()


def test_switching_to_email_replans_reminders_on_the_new_channel(nurse_client, enrolled_alice):
    nurse_client.post(reverse("edit_contact", args=[enrolled_alice.pk]), {**CONTACT, "preferred_channel": "email"})
    planned = enrolled_alice.reminders.filter(state=Reminder.State.PLANNED)
    assert planned.exists() and set(planned.values_list("channel", flat=True)) == {"email"}


def test_adding_a_caregiver_who_receives_reminders(nurse_client, enrolled_alice):
    response = nurse_client.post(reverse("add_caregiver", args=[enrolled_alice.pk]), {
        "name": "Dora Archer", "relationship": "daughter", "mobile": "+1 202 555 0111", "email": "", "preferred_channel": "sms",
        "language": "en", "receives_reminders": "on", "consent": "on", "consent_source": "verbal"})
    assert response.status_code == 302
    dora = Caregiver.objects.get(patient=enrolled_alice)
    assert dora.may_be_messaged
    assert enrolled_alice.reminders.filter(caregiver=dora, state=Reminder.State.PLANNED).exists()


def test_bad_caregiver_input_keeps_what_was_typed(nurse_client, enrolled_alice):
    response = nurse_client.post(reverse("add_caregiver", args=[enrolled_alice.pk]), {
        "name": "", "relationship": "son", "mobile": "not a phone", "preferred_channel": "sms", "language": "en"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["name"] == ["This field is required."]
    assert "Enter a valid phone number" in errors["mobile"][0]
    assert 'value="not a phone"' in response.content.decode()
    assert not Caregiver.objects.exists()


def test_editing_a_caregiver_to_stop_their_reminders(nurse_client, enrolled_alice, dora):
    from followup.messaging.planning import plan_reminders

    for occurrence in enrolled_alice.occurrences.filter(state="scheduled"):
        plan_reminders(occurrence)
    assert enrolled_alice.reminders.filter(caregiver=dora, state=Reminder.State.PLANNED).exists()
    response = nurse_client.post(reverse("edit_caregiver", args=[dora.pk]), {
        "name": "Dora Archer", "relationship": "daughter", "mobile": "+1 202 555 0111", "preferred_channel": "sms",
        "language": "en", "consent": "on"})
    assert response.status_code == 302
    dora.refresh_from_db()
    assert not dora.receives_reminders
    assert not enrolled_alice.reminders.filter(caregiver=dora, state=Reminder.State.PLANNED).exists()
