"""Texts reach the team that cares: a clinic's own sending number, and inbound texts routed by the
number they were sent to, then the conversation, then the sender; a number shared across clinics
with nothing to decide waits for a lead.

María López is the caregiver of Alice Archer (Riverside, New York) and of Carmen Cruz (Hillcrest,
Los Angeles), on one phone: +1 202 555 0177.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from followup import services, worklist
from followup.messaging import delivery, routing
from followup.models import Caregiver, InboundMessage, Membership, Reminder

from .conftest import CONSENTED, make_staff
from .test_webhooks import TOKEN, post_signed

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
SHARED = "+12025550177"
INSTALLATION = "+12025550199"


@pytest.fixture(autouse=True)
def _twilio(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SITE_URL = "https://followup.example.org"
    settings.TWILIO_FROM_NUMBER = INSTALLATION
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hana(hillcrest):
    return make_staff("hana", hillcrest, Membership.Role.LEAD)


@pytest.fixture
def maria(alice, carmen):
    """One phone, two caregiver records: Alice's in Riverside, Carmen's in Hillcrest."""
    for patient in (alice, carmen):
        Caregiver.objects.create(patient=patient, name="María López", relationship="daughter", mobile=SHARED,
                                 preferred_channel="sms", consent_at=CONSENTED, consent_source="verbal")
    return {c.patient_id: c for c in Caregiver.objects.filter(mobile=SHARED)}


def text(client, body, to=INSTALLATION, sid="SM-in-1"):
    return post_signed(client, "/webhooks/twilio/sms/", {"MessageSid": sid, "From": SHARED, "Body": body, "To": to})


def test_a_clinic_sends_from_its_own_number_else_the_installations(alice, hillcrest, carmen):
    hillcrest.sending_number = "+12025550160"
    hillcrest.save()
    services.enrol(alice)
    services.enrol(carmen)
    riverside_reminder = Reminder.objects.filter(patient=alice, channel="sms").first()
    hillcrest_reminder = Reminder.objects.filter(patient=carmen, channel="sms").first()
    assert delivery._compose(hillcrest_reminder).from_number == "+12025550160"
    assert delivery._compose(riverside_reminder).from_number == INSTALLATION


def test_a_text_to_a_clinics_own_number_goes_to_that_clinic(client, maria, hillcrest, carmen):
    hillcrest.sending_number = "+12025550160"
    hillcrest.save()
    text(client, "Mum is much worse, drain leaking", to="+12025550160")
    message = InboundMessage.objects.get()
    assert (message.clinic, message.patient, message.caregiver, message.routed_by) == (
        hillcrest, carmen, maria[carmen.pk], "to_number")


def test_a_text_goes_to_the_latest_conversation_of_the_last_14_days(client, maria, alice, carmen, hillcrest):
    services.enrol(alice)
    services.enrol(carmen)
    sent = Reminder.objects.filter(patient=carmen, caregiver=maria[carmen.pk]).first()
    Reminder.objects.filter(pk=sent.pk).update(state=Reminder.State.SENT, sent_at=NOW - timedelta(days=3))
    text(client, "Mum is much worse, drain leaking")
    message = InboundMessage.objects.get()
    assert (message.clinic, message.patient, message.routed_by) == (hillcrest, carmen, "conversation")


def test_a_conversation_older_than_14_days_decides_nothing(client, maria, carmen):
    services.enrol(carmen)
    sent = Reminder.objects.filter(patient=carmen, caregiver=maria[carmen.pk]).first()
    Reminder.objects.filter(pk=sent.pk).update(state=Reminder.State.SENT, sent_at=NOW - timedelta(days=15))
    text(client, "Mum is much worse, drain leaking")
    assert InboundMessage.objects.get().routed_by == "unrouted"


def test_a_shared_number_with_nothing_to_decide_is_never_attached_at_random(client, maria, nina, noah, leo, hana):
    response = text(client, "Mum is much worse, drain leaking")
    assert response.status_code == 200 and "<Message>" not in response.content.decode()  # no reply naming a clinic
    message = InboundMessage.objects.get()
    assert (message.clinic, message.patient, message.caregiver, message.routed_by) == (None, None, None, "unrouted")
    assert set(message.involved_clinics.values_list("name", flat=True)) == {"Riverside Palliative Care", "Hillcrest Hospice"}
    # Neither team reads it under a patient; each clinic's lead sees it to assign.
    assert worklist.build(nina).messages_waiting.count == 0 and worklist.build(noah).messages_waiting.count == 0
    assert worklist.build(nina).unrouted_messages.count == 0
    assert [m.pk for m in worklist.build(leo).unrouted_messages.rows] == [message.pk]
    assert [m.pk for m in worklist.build(hana).unrouted_messages.rows] == [message.pk]


def test_scores_from_an_unrouted_text_are_held_until_a_lead_assigns_it(client, maria, carmen, alice, leo, hana):
    services.enrol(carmen)
    text(client, "pain 8")
    message = InboundMessage.objects.get()
    assert (message.kind, message.handled_at) == ("symptoms", None)
    assert not carmen.symptom_reports.exists() and not alice.symptom_reports.exists()
    client.force_login(hana)
    page = client.get(reverse("assign_message", args=[message.pk])).content.decode()
    assert "Carmen Cruz" in page and "Alice Archer" not in page  # a lead chooses among their own clinic's contacts
    response = client.post(reverse("assign_message", args=[message.pk]), {"contact": f"c{maria[carmen.pk].pk}"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.patient, message.routed_by, message.assigned_by) == (carmen, "assigned", hana)
    report = carmen.symptom_reports.get()
    assert (report.pain, report.source, report.completed_by, report.reported_at) == (8, "sms", "caregiver", NOW)
    assert carmen.alerts.filter(severe=True).exists()
    client.force_login(leo)
    assert client.get(reverse("assign_message", args=[message.pk])).status_code == 404  # already assigned


def test_a_nurse_cannot_assign_an_unrouted_text(client, maria, nina):
    text(client, "Mum is much worse")
    client.force_login(nina)
    assert client.get(reverse("assign_message", args=[InboundMessage.objects.get().pk])).status_code == 404


def test_stop_from_a_shared_number_still_applies_to_every_contact_with_it(client, maria, alice, carmen):
    services.enrol(alice)
    services.enrol(carmen)
    text(client, "STOP")
    assert all(c.opted_out_at == NOW for c in Caregiver.objects.filter(mobile=SHARED))
    assert not Reminder.objects.filter(recipient__startswith="caregiver-", state__in=Reminder.UNSENT).exists()


def test_a_number_of_one_clinics_contacts_goes_to_that_clinic_by_the_sender(client, alice, riverside, hillcrest):
    Caregiver.objects.create(patient=alice, name="Zoë Archer", relationship="granddaughter", mobile="+12025550178",
                             preferred_channel="sms", consent_at=CONSENTED, consent_source="verbal")
    post_signed(client, "/webhooks/twilio/sms/", {"MessageSid": "SM-z", "From": "+12025550178", "Body": "Is the nurse coming?",
                                                  "To": INSTALLATION})
    message = InboundMessage.objects.get()
    assert (message.clinic, message.patient, message.routed_by) == (riverside, alice, "sender")


def test_routing_is_a_function_of_contacts_and_the_number_written_to(maria, carmen, hillcrest):
    contacts = list(Caregiver.objects.filter(mobile=SHARED).select_related("patient__clinic"))
    assert routing.route(contacts, INSTALLATION).routed_by == "unrouted"
    hillcrest.sending_number = "+12025550160"
    hillcrest.save()
    assert routing.route(contacts, "+12025550160").patient == carmen
