"""Consent and opt-out belong to a phone number (issue 16 part 5, issue 15): a STOP, key 9 or a
revocation the nurse records stops texts AND automated calls to the number, for every patient and
caregiver who gives it, in every clinic; an e-mail unsubscribe stops only that address; new consent
in full lifts the number's opt-out for everyone on it.

+1 202 555 0101 is Alice Archer's (Riverside) and also the number Hillcrest has for Carmen Cruz's
family: two families on one number.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from followup import services
from followup.messaging import email, opt_outs
from followup.models import Caregiver, EmailAddress, PhoneNumber, Reminder

from . import test_voice_calls as calls
from .conftest import CONSENTED, make_patient
from .test_views_contacts import CONTACT
from .test_webhooks import text_in

SHARED = "+12025550101"
_twilio, ring_phone = calls._twilio, calls.ring_phone


@pytest.fixture
def carmen_on_alices_number(hillcrest, noah):
    """Carmen, a Hillcrest patient, whose family gave the same number as Alice's."""
    carmen = make_patient(hillcrest, "HC-2001", "Carmen", "Cruz", mobile=SHARED, nurse=noah)
    services.enrol(carmen)
    return carmen


def unsent_texts(patient):
    return Reminder.objects.filter(patient=patient, channel="sms", state__in=Reminder.UNSENT)


@pytest.mark.django_db
class TestOneNumberTwoFamilies:
    def test_one_stop_from_a_number_two_families_share_stops_both(self, client, enrolled_alice, carmen_on_alices_number):
        carmen = carmen_on_alices_number
        assert unsent_texts(enrolled_alice).exists() and unsent_texts(carmen).exists()
        text_in(client, "STOP", sender=SHARED)
        for patient in (enrolled_alice, carmen):
            patient.refresh_from_db()
            assert patient.opted_out_source == "SMS STOP" and not patient.may_be_messaged
            assert not unsent_texts(patient).exists()
        assert PhoneNumber.objects.get(number=SHARED).opted_out_source == "SMS STOP"

    def test_a_spanish_baja_from_the_number_stops_both_too(self, client, enrolled_alice, carmen_on_alices_number):
        text_in(client, "BAJA", sender=SHARED)
        assert not unsent_texts(enrolled_alice).exists() and not unsent_texts(carmen_on_alices_number).exists()

    def test_a_contact_who_gives_the_number_later_is_not_texted_either(self, client, enrolled_alice, bob):
        text_in(client, "STOP", sender=SHARED)
        services.enrol(bob)
        Caregiver.objects.create(patient=bob, name="Rosa Baker", mobile=SHARED, preferred_channel="sms",
                                 consent_at=CONSENTED, consent_source="verbal")
        services.replan_reminders(bob)
        assert not Reminder.objects.filter(patient=bob, recipient__startswith="caregiver", state__in=Reminder.UNSENT).exists()
        assert Reminder.objects.filter(patient=bob, recipient="patient", channel="email", state__in=Reminder.UNSENT).exists()

    def test_a_re_consent_on_the_contact_form_restores_both_families(self, client, nina, enrolled_alice, carmen_on_alices_number):
        text_in(client, "STOP", sender=SHARED)
        client.force_login(nina)
        response = client.post(reverse("edit_contact", args=[enrolled_alice.pk]),
                               {**CONTACT, "consent_source": "phone call", "consent_given_by": "the patient"})
        assert response.status_code == 302
        row = PhoneNumber.objects.get(number=SHARED)
        assert row.opted_out_at is None and (row.consent_source, row.consent_given_by) == ("phone call", "the patient")
        assert unsent_texts(enrolled_alice).exists() and unsent_texts(carmen_on_alices_number).exists()

    def test_start_from_the_number_restores_both_families(self, client, enrolled_alice, carmen_on_alices_number):
        text_in(client, "STOP", sender=SHARED, sid="SM1")
        text_in(client, "START", sender=SHARED, sid="SM2")
        assert unsent_texts(enrolled_alice).exists() and unsent_texts(carmen_on_alices_number).exists()

    def test_a_re_consent_restores_only_people_who_agreed_themselves(self, client, nina, enrolled_alice, carmen_on_alices_number):
        carmen = carmen_on_alices_number
        carmen.withdraw_consent()
        carmen.save()
        text_in(client, "STOP", sender=SHARED)
        opt_outs.lift(SHARED, consent_at=datetime.now(UTC), source="verbal", given_by="Alice herself")
        assert unsent_texts(enrolled_alice).exists() and not unsent_texts(carmen).exists()

    def test_unticking_consent_opts_the_number_out_for_everyone_who_gives_it(self, client, nina, enrolled_alice,
                                                                           carmen_on_alices_number):
        client.force_login(nina)
        data = {**CONTACT}
        del data["consent"]
        client.post(reverse("edit_contact", args=[enrolled_alice.pk]), data)
        assert PhoneNumber.objects.get(number=SHARED).opted_out_source == "nurse"
        assert not unsent_texts(carmen_on_alices_number).exists()

    def test_the_contact_page_says_who_else_gives_the_number_and_what_an_opt_out_stops(
            self, client, nina, enrolled_alice, carmen_on_alices_number, dora):
        dora.mobile = SHARED
        dora.save()
        client.force_login(nina)
        page = client.get(reverse("edit_contact", args=[enrolled_alice.pk])).content.decode()
        assert "stops texts and automated calls to that number, for everyone who gives it" in page
        assert "This number is also given for Dora Archer and 1 contact of another team" in page
        assert "Carmen" not in page  # another clinic's patient is counted, never named

    def test_the_contact_page_of_an_opted_out_number_says_since_when_and_how(self, client, nina, enrolled_alice):
        text_in(client, "STOP", sender=SHARED)
        client.force_login(nina)
        page = client.get(reverse("edit_contact", args=[enrolled_alice.pk])).content.decode()
        assert "Texts and automated calls to this number were stopped on" in page and "(SMS STOP)" in page
        assert 'name="consent_given_by"' in page

    def test_a_second_stop_keeps_the_first_ones_time_and_source(self, client, enrolled_alice):
        first = opt_outs.stop_number(SHARED, "Phone key 9", datetime(2026, 3, 1, tzinfo=UTC))
        opt_outs.stop_number(SHARED, "SMS STOP")
        row = PhoneNumber.objects.get(number=SHARED)
        assert (row.opted_out_at, row.opted_out_source) == (datetime(2026, 3, 1, tzinfo=UTC), "Phone key 9")
        assert len(first) == 1


@pytest.mark.django_db
class TestKey9:
    def test_key_9_on_a_call_stops_texts_to_that_number_too(self, ring_phone, riverside, nina):
        walter = make_patient(riverside, "RV-1004", "Walter", "O'Brien", mobile="+12025550104", line_type="mobile",
                              preferred_channel="voice", nurse=nina)
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        # His wife gets his reminders by text too, on the same mobile.
        wife = Caregiver.objects.create(patient=walter, name="Wendy O'Brien", mobile="+12025550104", preferred_channel="sms",
                                        consent_at=CONSENTED, consent_source="verbal")
        services.replan_reminders(walter)
        assert Reminder.objects.filter(caregiver=wife, channel="sms", state__in=Reminder.UNSENT).exists()
        phone.answer()
        phone.key("9")
        wife.refresh_from_db()
        assert wife.opted_out_source == "Phone key 9" and not wife.may_be_messaged
        assert not Reminder.objects.filter(caregiver=wife, channel="sms", state__in=Reminder.UNSENT).exists()
        assert not Reminder.objects.filter(patient=walter, channel="voice", state__in=Reminder.UNSENT).exists()

    def test_a_text_stop_stops_calls_to_that_number(self, client, riverside, nina):
        walter = make_patient(riverside, "RV-1004", "Walter", "O'Brien", mobile="+12025550104", line_type="mobile",
                              preferred_channel="voice", nurse=nina)
        services.enrol(walter)
        assert Reminder.objects.filter(patient=walter, channel="voice", state__in=Reminder.UNSENT).exists()
        text_in(client, "STOP", sender="+12025550104")
        assert not Reminder.objects.filter(patient=walter, channel="voice", state__in=Reminder.UNSENT).exists()


@pytest.mark.django_db
class TestEmailIsItsOwnAddress:
    def test_an_email_unsubscribe_stops_only_that_address(self, enrolled_alice, bob, riverside, nina):
        services.enrol(bob)
        bob.mobile = SHARED  # Bob's phone is Alice's number; his reminders come by e-mail
        bob.save()
        email.unsubscribe(email.address_row("bob@example.org"), email.ONE_CLICK)
        assert not Reminder.objects.filter(patient=bob, channel="email", state__in=Reminder.UNSENT).exists()
        assert unsent_texts(enrolled_alice).exists()  # the number Bob also gives is untouched
        assert not PhoneNumber.objects.filter(number=SHARED).exists()

    def test_a_phone_opt_out_leaves_email_reminders_to_the_same_person_alone(self, client, bob):
        bob.mobile = SHARED
        bob.save()
        services.enrol(bob)
        text_in(client, "STOP", sender=SHARED)
        bob.refresh_from_db()
        assert bob.may_be_messaged and bob.opted_out_at is None  # his reminders go to his e-mail address
        assert Reminder.objects.filter(patient=bob, channel="email", state__in=Reminder.UNSENT).exists()

    def test_unticking_an_email_contacts_consent_unsubscribes_the_address_and_a_re_consent_restores_it(
            self, client, nina, bob):
        services.enrol(bob)
        client.force_login(nina)
        data = {**CONTACT, "mobile": "", "email": "bob@example.org", "preferred_channel": "email", "language": "es"}
        del data["consent"]
        client.post(reverse("edit_contact", args=[bob.pk]), data)
        assert EmailAddress.objects.get(address="bob@example.org").unsubscribed_source == "nurse"
        client.post(reverse("edit_contact", args=[bob.pk]),
                    {**data, "consent": "on", "consent_source": "phone call", "consent_given_by": "Bob himself"})
        assert EmailAddress.objects.get(address="bob@example.org").unsubscribed_at is None
        assert Reminder.objects.filter(patient=bob, channel="email", state__in=Reminder.UNSENT).exists()


@pytest.mark.django_db
def test_the_opt_outs_report_counts_both_families_for_one_stop(client, leo, enrolled_alice, carmen_on_alices_number):
    from followup.reports import queries
    from followup.reports.queries import Scope

    text_in(client, "STOP", sender=SHARED)
    now = datetime.now(UTC)
    clinics = (enrolled_alice.clinic, carmen_on_alices_number.clinic)
    scope = Scope(clinics=clinics, start=(now - timedelta(days=1)).date(), end=(now + timedelta(days=1)).date(), period="week")
    [(_, how, patients, caregivers)] = queries.opt_outs_per_period(scope)
    assert (how, patients, caregivers) == ("SMS STOP", 2, 0)


BEFORE = [("followup", "0023_call_request_alerts")]
AFTER = [("followup", "0026_remove_contact_opt_outs")]
T = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_each_opt_out_to_its_address_keeping_its_time_and_source():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    clinic = old.get_model("followup", "Clinic").objects.create(name="St. Mary's & Riverside", phone="+12025550100")
    Patient, Caregiver_ = old.get_model("followup", "Patient"), old.get_model("followup", "Caregiver")
    consent = dict(consent_at=T - timedelta(days=30), consent_source="written form")
    stopped = Patient.objects.create(clinic=clinic, mrn="1", given_name="Alice", family_name="Archer", mobile=SHARED,
                                     opted_out_at=T, opted_out_source="SMS STOP", **consent)
    # Another family on the same number, opted out a day later by the same kind of reply.
    Patient.objects.create(clinic=clinic, mrn="2", given_name="Carmen", family_name="Cruz", mobile=SHARED,
                           opted_out_at=T + timedelta(days=1), opted_out_source="SMS STOP", **consent)
    unsubscribed = Patient.objects.create(clinic=clinic, mrn="3", given_name="Bob", family_name="Baker", email="Bob@example.org",
                                          preferred_channel="email", opted_out_at=T, opted_out_source="e-mail link", **consent)
    withdrawn = Caregiver_.objects.create(patient=stopped, name="Dora Archer", mobile="+12025550111", opted_out_at=T,
                                          opted_out_source="nurse", **consent)
    keyed = Patient.objects.create(clinic=clinic, mrn="4", given_name="José", family_name="Núñez", mobile="+12025550104",
                                   preferred_channel="voice", opted_out_at=T, opted_out_source="Phone key 9", **consent)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    numbers = {row.number: (row.opted_out_at, row.opted_out_source) for row in new.get_model("followup", "PhoneNumber").objects.all()}
    assert numbers == {SHARED: (T, "SMS STOP"), "+12025550111": (T, "nurse"), "+12025550104": (T, "Phone key 9")}
    address = new.get_model("followup", "EmailAddress").objects.get(address="bob@example.org")
    assert (address.unsubscribed_at, address.unsubscribed_source) == (T, "e-mail link") and address.token
    NewPatient, NewCaregiver = new.get_model("followup", "Patient"), new.get_model("followup", "Caregiver")
    assert NewPatient.objects.get(pk=stopped.pk).consent_at == consent["consent_at"]  # a STOP is the number's
    assert NewPatient.objects.get(pk=unsubscribed.pk).consent_at == consent["consent_at"]
    assert NewPatient.objects.get(pk=keyed.pk).consent_at == consent["consent_at"]
    assert NewCaregiver.objects.get(pk=withdrawn.pk).consent_at is None  # the nurse recorded her withdrawal
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
