"""Finding 9 of the security review: a STOP is cleared only by new consent - when it was given, how,
and who agreed - and the clearing is in the audit log, wherever it is done (the admin, the patient's
contact form, a caregiver's form). The API cannot clear one at all."""

import pytest
from django.urls import reverse

from followup.models import AccessLog, Reminder, User

from .conftest import PASSWORD, at
from .test_security_review import admin_form
from .test_views_contacts import CONTACT

STOPPED = at("2026-02-10 18:00")


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.org", PASSWORD)


@pytest.fixture
def stopped_alice(enrolled_alice):
    enrolled_alice.opt_out("SMS STOP", STOPPED)
    enrolled_alice.save()
    return enrolled_alice


@pytest.fixture
def stopped_dora(dora):
    dora.opt_out("SMS STOP", STOPPED)
    dora.save()
    return dora


def clearing_entries(patient):
    return list(AccessLog.objects.filter(patient=patient, what__startswith="opt-out cleared").values_list("username", "what"))


# --- The admin ----------------------------------------------------------------------------------


def test_an_opt_out_cannot_be_cleared_in_the_admin_without_new_consent(client, root, stopped_alice):
    client.force_login(root)
    url = reverse("admin:followup_patient_change", args=[stopped_alice.pk])
    form = admin_form(client, url)
    form.update({"opted_out_at_0": "", "opted_out_at_1": "", "opted_out_source": ""})
    response = client.post(url, form)
    assert response.status_code == 200  # the form again, with the errors
    errors = response.context["adminform"].form.errors
    assert {"consent_at", "consent_given_by"} <= set(errors)  # "how" still holds the old consent's: allowed
    stopped_alice.refresh_from_db()
    assert stopped_alice.opted_out_at == STOPPED and not stopped_alice.may_be_messaged
    assert clearing_entries(stopped_alice) == []


def test_an_opt_out_cannot_be_cleared_in_the_admin_with_the_consent_it_overrode(client, root, stopped_alice):
    client.force_login(root)
    url = reverse("admin:followup_patient_change", args=[stopped_alice.pk])
    form = admin_form(client, url)
    form.update({"opted_out_at_0": "", "opted_out_at_1": "", "opted_out_source": "", "consent_given_by": "the patient"})
    response = client.post(url, form)  # consent_at still the January consent, before the STOP
    assert "after the opt-out" in str(response.context["adminform"].form.errors["consent_at"])
    stopped_alice.refresh_from_db()
    assert stopped_alice.opted_out_at == STOPPED


def test_clearing_an_opt_out_in_the_admin_with_new_consent_is_audited(client, root, stopped_alice):
    client.force_login(root)
    url = reverse("admin:followup_patient_change", args=[stopped_alice.pk])
    form = admin_form(client, url)
    form.update({"opted_out_at_0": "", "opted_out_at_1": "", "opted_out_source": "", "consent_at_0": "2026-02-20",
                 "consent_at_1": "10:30:00", "consent_source": "signed form", "consent_given_by": "the patient"})
    response = client.post(url, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    stopped_alice.refresh_from_db()
    assert stopped_alice.opted_out_at is None and stopped_alice.may_be_messaged
    assert (stopped_alice.consent_source, stopped_alice.consent_given_by) == ("signed form", "the patient")
    assert clearing_entries(stopped_alice) == [("root", "opt-out cleared: patient (admin)")]
    assert stopped_alice.reminders.filter(state=Reminder.State.PLANNED).exists()  # texts are planned again


def test_a_caregivers_opt_out_cannot_be_cleared_in_the_caregiver_admin_without_new_consent(client, root, stopped_dora):
    client.force_login(root)
    url = reverse("admin:followup_caregiver_change", args=[stopped_dora.pk])
    form = admin_form(client, url)
    form.update({"opted_out_at_0": "", "opted_out_at_1": ""})
    response = client.post(url, form)
    assert "consent_given_by" in response.context["adminform"].form.errors
    stopped_dora.refresh_from_db()
    assert stopped_dora.opted_out_at == STOPPED


def test_clearing_a_caregivers_opt_out_in_the_patient_admin_needs_new_consent_and_is_audited(client, root, stopped_dora):
    alice = stopped_dora.patient
    client.force_login(root)
    url = reverse("admin:followup_patient_change", args=[alice.pk])
    form = admin_form(client, url)
    form.update({"caregivers-0-opted_out_at_0": "", "caregivers-0-opted_out_at_1": ""})
    response = client.post(url, form)
    assert response.status_code == 200
    stopped_dora.refresh_from_db()
    assert stopped_dora.opted_out_at == STOPPED
    form.update({"caregivers-0-consent_at_0": "2026-02-21", "caregivers-0-consent_at_1": "09:00:00",
                 "caregivers-0-consent_source": "verbal, by phone", "caregivers-0-consent_given_by": "Dora herself"})
    assert client.post(url, form).status_code == 302
    stopped_dora.refresh_from_db()
    assert stopped_dora.opted_out_at is None and stopped_dora.consent_given_by == "Dora herself"
    assert clearing_entries(alice) == [("root", f"opt-out cleared: caregiver {stopped_dora.pk} (admin)")]


def test_an_opt_out_is_still_recorded_in_the_admin_without_more_ado(client, root, alice):
    client.force_login(root)
    url = reverse("admin:followup_patient_change", args=[alice.pk])
    form = admin_form(client, url)
    form.update({"opted_out_at_0": "2026-02-11", "opted_out_at_1": "09:00:00", "opted_out_source": "phone call"})
    assert client.post(url, form).status_code == 302
    alice.refresh_from_db()
    assert alice.opted_out_at is not None and not alice.may_be_messaged


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
