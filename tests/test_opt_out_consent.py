"""Finding 9 of the security review: a STOP is cleared only by new consent - when it was given, how,
and who agreed - and the clearing is in the audit log, wherever it is done (the phone number's page in
the admin, the patient's contact form, a caregiver's form). The API cannot clear one at all.

The opt-out belongs to the number (followup/messaging/opt_outs.py): clearing it, anywhere, clears it
for everyone who gives the number."""

import pytest
from django.urls import reverse

from followup.models import AccessLog, PhoneNumber, Reminder, User

from .conftest import PASSWORD, at, opt_out_number
from .test_security_review import admin_form
from .test_views_contacts import CONTACT

STOPPED = at("2026-02-10 18:00")


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.org", PASSWORD)


@pytest.fixture
def stopped_alice(enrolled_alice):
    opt_out_number(enrolled_alice, STOPPED)
    return enrolled_alice


@pytest.fixture
def stopped_dora(dora):
    opt_out_number(dora, STOPPED)
    return dora


def clearing_entries(patient):
    return list(AccessLog.objects.filter(patient=patient, what__startswith="opt-out cleared").values_list("username", "what"))


# --- The admin (the phone number's page) ---------------------------------------------------------


def number_url(contact):
    return reverse("admin:followup_phonenumber_change", args=[PhoneNumber.objects.get(number=contact.mobile.as_e164).pk])


def test_an_opt_out_cannot_be_cleared_in_the_admin_without_new_consent(client, root, stopped_alice):
    client.force_login(root)
    url = number_url(stopped_alice)
    form = admin_form(client, url)
    form.update({"opted_out_at_0": "", "opted_out_at_1": "", "opted_out_source": ""})
    response = client.post(url, form)
    assert response.status_code == 200  # the form again, with the errors
    errors = response.context["adminform"].form.errors
    assert {"consent_at", "consent_source", "consent_given_by"} <= set(errors)
    stopped_alice.refresh_from_db()
    assert stopped_alice.opted_out_at == STOPPED and not stopped_alice.may_be_messaged
    assert clearing_entries(stopped_alice) == []


def test_an_opt_out_cannot_be_cleared_in_the_admin_with_a_consent_from_before_it(client, root, stopped_alice):
    client.force_login(root)
    url = number_url(stopped_alice)
    form = admin_form(client, url)
    form.update({"opted_out_at_0": "", "opted_out_at_1": "", "opted_out_source": "", "consent_at_0": "2026-02-01",
                 "consent_at_1": "10:00:00", "consent_source": "signed form", "consent_given_by": "the patient"})
    response = client.post(url, form)
    assert "after the opt-out" in str(response.context["adminform"].form.errors["consent_at"])
    stopped_alice.refresh_from_db()
    assert stopped_alice.opted_out_at == STOPPED


def test_clearing_an_opt_out_in_the_admin_with_new_consent_is_audited(client, root, stopped_alice):
    client.force_login(root)
    url = number_url(stopped_alice)
    form = admin_form(client, url)
    form.update({"opted_out_at_0": "", "opted_out_at_1": "", "opted_out_source": "", "consent_at_0": "2026-02-20",
                 "consent_at_1": "10:30:00", "consent_source": "signed form", "consent_given_by": "the patient"})
    response = client.post(url, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    stopped_alice.refresh_from_db()
    assert stopped_alice.opted_out_at is None and stopped_alice.may_be_messaged
    row = PhoneNumber.objects.get(number=stopped_alice.mobile.as_e164)
    assert (row.consent_source, row.consent_given_by) == ("signed form", "the patient")
    assert clearing_entries(stopped_alice) == [("root", f"opt-out cleared: phone number {row.pk} (admin)")]
    assert stopped_alice.reminders.filter(state=Reminder.State.PLANNED).exists()  # texts are planned again


def test_clearing_a_shared_numbers_opt_out_in_the_admin_is_audited_for_each_family(client, root, stopped_alice, riverside, nina):
    from .conftest import make_patient

    neighbour = make_patient(riverside, "RV-1077", "Nadia", "Núñez", mobile=stopped_alice.mobile, nurse=nina)
    client.force_login(root)
    url = number_url(stopped_alice)
    form = admin_form(client, url)
    assert "Alice Archer" in client.get(url).text and "Nadia Núñez" in client.get(url).text  # who gives it
    form.update({"opted_out_at_0": "", "opted_out_at_1": "", "opted_out_source": "", "consent_at_0": "2026-02-20",
                 "consent_at_1": "10:30:00", "consent_source": "verbal", "consent_given_by": "Nadia herself"})
    assert client.post(url, form).status_code == 302
    assert len(clearing_entries(stopped_alice)) == 1 and len(clearing_entries(neighbour)) == 1


def test_an_opt_out_given_by_letter_is_recorded_in_the_admin_for_a_number(client, root, enrolled_alice):
    client.force_login(root)
    response = client.post(reverse("admin:followup_phonenumber_add"), {
        "number": "+1 202 555 0101", "opted_out_at_0": "2026-02-11", "opted_out_at_1": "09:00:00",
        "opted_out_source": "letter", "consent_at_0": "", "consent_at_1": "", "consent_source": "", "consent_given_by": ""})
    assert response.status_code == 302, response.context["adminform"].form.errors
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.opted_out_source == "letter" and not enrolled_alice.may_be_messaged
    assert not enrolled_alice.reminders.filter(state=Reminder.State.PLANNED, channel="sms").exists()


def test_the_phone_number_pages_are_for_superusers_only(client, leo, stopped_alice):
    client.force_login(leo)
    assert client.get(number_url(stopped_alice)).status_code in (302, 403)


# --- The nurse's forms --------------------------------------------------------------------------


def test_clearing_an_opt_out_on_the_contact_form_needs_who_agreed(client, nina, stopped_alice):
    client.force_login(nina)
    response = client.post(reverse("edit_contact", args=[stopped_alice.pk]), {**CONTACT, "consent_source": "phone call"})
    assert "consent_given_by" in response.context["form"].errors
    stopped_alice.refresh_from_db()
    assert stopped_alice.opted_out_at == STOPPED
    assert clearing_entries(stopped_alice) == []


def test_clearing_an_opt_out_on_the_contact_form_is_audited(client, nina, stopped_alice):
    client.force_login(nina)
    client.post(reverse("edit_contact", args=[stopped_alice.pk]),
                {**CONTACT, "consent_source": "phone call", "consent_given_by": "the patient"})
    stopped_alice.refresh_from_db()
    assert stopped_alice.may_be_messaged and stopped_alice.consent_at > STOPPED
    assert (stopped_alice.consent_source, stopped_alice.consent_given_by) == ("phone call", "the patient")
    assert clearing_entries(stopped_alice) == [("nina", "opt-out cleared: patient")]


def test_clearing_a_caregivers_opt_out_on_the_caregiver_form_needs_who_agreed_and_is_audited(client, nina, stopped_dora):
    client.force_login(nina)
    data = {"name": "Dora Archer", "relationship": "daughter", "mobile": "+1 202 555 0111", "email": "",
            "preferred_channel": "sms", "language": "en", "receives_reminders": "on", "consent": "on", "consent_source": "verbal"}
    response = client.post(reverse("edit_caregiver", args=[stopped_dora.pk]), data)
    assert "consent_given_by" in response.context["form"].errors
    client.post(reverse("edit_caregiver", args=[stopped_dora.pk]), {**data, "consent_given_by": "Dora herself"})
    stopped_dora.refresh_from_db()
    assert stopped_dora.opted_out_at is None and stopped_dora.consent_given_by == "Dora herself"
    assert clearing_entries(stopped_dora.patient) == [("nina", f"opt-out cleared: caregiver {stopped_dora.pk}")]


# --- The API ------------------------------------------------------------------------------------


def test_the_api_cannot_clear_an_opt_out(as_nina, stopped_alice):
    response = as_nina.patch(f"/api/v1/patients/{stopped_alice.pk}/", {"opted_out_at": None, "opted_out_source": "",
                                                                      "consent_at": "2026-02-20T10:00:00Z"}, format="json")
    assert response.status_code in (200, 400)
    stopped_alice.refresh_from_db()
    assert stopped_alice.opted_out_at == STOPPED and not stopped_alice.may_be_messaged
