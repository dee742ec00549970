"""A reply that only may mean "stop" is not read as one by us: it waits on the worklist for a nurse,
who reads it as an opt-out of the number or not; undecided after 10 business days it shows overdue."""

from datetime import date, datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.urls import reverse

from followup.messaging import inbound, possible_opt_outs
from followup.models import Caregiver, InboundMessage

from .conftest import make_patient

LONG_REPLIES = [
    "I don't want these texts any more, my mum is in hospital",
    "Please remove my number, she passed away last week",
    "wrong number, I don't know this person",
    "Ya no quiero mensajes, mi mamá está en el hospital",
    "no me manden más, está en el hospital",
]
NOT_OPT_OUTS = ["Thank you, see you Tuesday", "Can the nurse call after 3?", "Tengo más dolor hoy", "Stopped by the pharmacy, all fine"]


def text(body, number="+12025550101", n=[0]):
    n[0] += 1
    inbound.receive(provider_id=f"SM-possible-{n[0]}", from_number=number, body=body)
    return InboundMessage.objects.order_by("-pk").first()


@pytest.mark.parametrize("body", LONG_REPLIES)
def test_a_reply_that_may_mean_stop_is_flagged_and_does_not_opt_out_by_itself(alice, body):
    message = text(body)
    alice.refresh_from_db()
    assert message.kind == InboundMessage.Kind.OTHER and message.possible_opt_out
    assert alice.opted_out_at is None
    assert message.handled_at is None


@pytest.mark.parametrize("body", NOT_OPT_OUTS)
def test_an_ordinary_reply_is_not_flagged(alice, body):
    assert not text(body).possible_opt_out


def test_a_plain_stop_still_opts_out_at_once_without_a_flag(alice):
    message = text("stop texting me")
    alice.refresh_from_db()
    assert message.kind == InboundMessage.Kind.STOP and not message.possible_opt_out
    assert alice.opted_out_at is not None


def test_a_nurse_reads_it_as_an_opt_out_and_every_contact_with_the_number_stops(client, nina, riverside, alice):
    # A phone number shared by two families: the daughter cares for Alice and for her neighbour.
    neighbour = make_patient(riverside, "RV-1090", "Ruth", "O'Connor", nurse=nina, mobile="+12025550190")
    for patient in (alice, neighbour):
        Caregiver.objects.create(patient=patient, name="Dora Díaz", relationship="daughter", mobile="+12025550177",
                                 preferred_channel="sms", consent_at=alice.consent_at, consent_source="verbal")
    message = text("please don't send these any more, we are managing", number="+12025550177")
    client.force_login(nina)
    page = client.get(reverse("worklist")).content.decode()
    assert "Possible opt-out" in page and "It is an opt-out" in page
    response = client.post(reverse("decide_possible_opt_out", args=[message.pk]), {"decision": "opt_out"}, follow=True)
    assert "Opted out: no more automated texts or calls to that number." in response.content.decode()
    stopped = Caregiver.objects.filter(mobile="+12025550177")
    assert stopped.count() == 2 and all(c.opted_out_at and "read as an opt-out" in c.opted_out_source.lower() for c in stopped)
    message.refresh_from_db()
    assert message.opt_out_decision == "opt_out" and message.handled_by == nina
    alice.refresh_from_db()
    assert alice.opted_out_at is None  # her own number is another address


def test_not_an_opt_out_keeps_the_texts_going(client, nina, alice):
    message = text("I don't want your texts to wake me, send after 10")
    client.force_login(nina)
    client.post(reverse("decide_possible_opt_out", args=[message.pk]), {"decision": "not_opt_out"})
    message.refresh_from_db()
    alice.refresh_from_db()
    assert message.opt_out_decision == "not_opt_out" and message.handled_at is not None
    assert alice.opted_out_at is None


def test_a_second_decision_changes_nothing(client, nina, alice):
    message = text("no more please")
    assert message.possible_opt_out or message.kind == InboundMessage.Kind.STOP
    if message.kind == InboundMessage.Kind.STOP:
        message = text("no more of these texts for me thanks, we moved")
    client.force_login(nina)
    client.post(reverse("decide_possible_opt_out", args=[message.pk]), {"decision": "not_opt_out"})
    response = client.post(reverse("decide_possible_opt_out", args=[message.pk]), {"decision": "opt_out"}, follow=True)
    assert "Someone had already decided this message." in response.content.decode()
    alice.refresh_from_db()
    assert alice.opted_out_at is None


def test_a_decision_that_is_neither_is_refused_without_a_500(client, nina, alice):
    message = text("stop sending me these, I'm in hospital")
    client.force_login(nina)
    assert client.post(reverse("decide_possible_opt_out", args=[message.pk]), {"decision": "maybe"}).status_code == 400
    assert client.post(reverse("decide_possible_opt_out", args=[message.pk]), {}).status_code == 400


def test_another_clinics_nurse_cannot_decide(client, hillcrest, alice):
    from followup.models import Membership

    from .conftest import make_staff

    message = text("don't text me any more about this")
    outsider = make_staff("hana", hillcrest, Membership.Role.NURSE)
    client.force_login(outsider)
    assert client.post(reverse("decide_possible_opt_out", args=[message.pk]), {"decision": "opt_out"}).status_code == 404
    alice.refresh_from_db()
    assert alice.opted_out_at is None


def test_the_patient_row_on_the_call_list_carries_the_flag(client, nina, alice):
    from .test_call_list import open_item
    from followup.models import Kind

    open_item(alice, Kind.CHECKIN, 0)
    text("we don't want these messages anymore, she is too tired")
    client.force_login(nina)
    row = client.get(reverse("worklist")).context["calls"].rows[0]
    assert "Possible opt-out" in [flag.label for flag in row.flags]


def test_ten_business_days_count_weekdays_only():
    friday = date(2026, 12, 4)
    assert possible_opt_outs.business_days_between(friday, friday + timedelta(days=3)) == 1  # to Monday
    assert possible_opt_outs.business_days_between(friday, friday + timedelta(days=14)) == 10


def test_undecided_after_ten_business_days_it_shows_overdue(client, nina, alice):
    with time_machine.travel(datetime(2026, 12, 4, 15, tzinfo=dt_timezone.utc), tick=False):
        text("please stop sending these, thank you for everything")
    client.force_login(nina)
    with time_machine.travel(datetime(2026, 12, 18, 15, tzinfo=dt_timezone.utc), tick=False):
        client.force_login(nina)
        assert "overdue: more than 10 business days" not in client.get(reverse("worklist")).content.decode()
    with time_machine.travel(datetime(2026, 12, 21, 15, tzinfo=dt_timezone.utc), tick=False):
        client.force_login(nina)
        assert "overdue: more than 10 business days" in client.get(reverse("worklist")).content.decode()
