"""After a death: bereavement calls for the team, never automated texts to a grieving family.

Alice (Riverside, New York) dies at home on Monday 2 March 2026; her daughter Dora is her next of kin.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from followup import services, symptom_links, worklist
from followup.messaging import delivery
from followup.models import BereavementCall, Patient

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alice_died(alice, dora, nina):
    dora.next_of_kin = True
    dora.save()
    services.enrol(alice)
    services.record_death(alice, died_at=NOW - timedelta(hours=5), place="home", source="family", by=nina)
    return Patient.objects.get(pk=alice.pk)


def test_a_death_plans_the_clinics_bereavement_calls_at_2_weeks_3_6_and_13_months(alice_died, dora):
    calls = list(alice_died.bereavement_calls.order_by("due_on"))
    assert [(c.step, c.due_on) for c in calls] == [
        ("2 weeks", date(2026, 3, 16)), ("3 months", date(2026, 6, 2)), ("6 months", date(2026, 9, 2)),
        ("13 months", date(2027, 4, 2)),
    ]
    assert {c.caregiver for c in calls} == {dora}


def test_the_clinics_bereavement_plan_is_a_setting(alice, riverside, nina):
    riverside.bereavement_plan = "1 week, 1 month"
    riverside.save()
    services.enrol(alice)
    services.record_death(alice, died_at=NOW, place="inpatient_unit", source="staff", by=nina)
    assert [c.due_on for c in alice.bereavement_calls.order_by("due_on")] == [date(2026, 3, 9), date(2026, 4, 2)]


def test_a_plan_step_that_does_not_read_is_refused(riverside):
    riverside.bereavement_plan = "2 weeks, sometime"
    with pytest.raises(ValidationError) as refused:
        riverside.full_clean()
    assert "bereavement_plan" in refused.value.message_dict


def bereavement_tasks(nurse):
    """The family's calls on the nurse's call list, under its "Bereavement" chip."""
    rows = worklist.build(nurse, with_calls=True, calls_filter="bereavement").calls.rows
    return [item.task for row in rows for item in row.due if item.kind == "bereavement"]


def test_the_calls_are_listed_on_the_worklist_when_due(alice_died, nina):
    assert bereavement_tasks(nina) == []  # the first is two weeks away
    with time_machine.travel(datetime(2026, 3, 10, 15, 0, tzinfo=UTC), tick=False):
        [call] = bereavement_tasks(nina)
        assert call.step == "2 weeks"


def test_recording_an_outcome_closes_the_call(alice_died, nina):
    call = alice_died.bereavement_calls.order_by("due_on").first()
    services.record_bereavement_call(call, outcome="spoke", by=nina, note="Dora is coping; funeral on Friday")
    call.refresh_from_db()
    assert (call.outcome, call.done_by, call.done_at) == ("spoke", nina, NOW)
    with pytest.raises(ValidationError):
        services.record_bereavement_call(call, outcome="no_answer", by=nina)


def test_a_family_declining_further_calls_closes_the_remaining_ones(alice_died, nina):
    first = alice_died.bereavement_calls.order_by("due_on").first()
    services.record_bereavement_call(first, outcome="declined", by=nina)
    assert not alice_died.bereavement_calls.filter(done_at__isnull=True).exists()


def test_nothing_automated_is_ever_sent_to_the_family(alice_died, sms_outbox, mailoutbox):
    for days in (0, 14, 92, 400):
        moment = NOW + timedelta(days=days)
        with time_machine.travel(moment, tick=False):
            claimed = []
            delivery.dispatch_due_reminders(now=moment, enqueue=claimed.extend)
            delivery.send_reminders(claimed, now=moment)
    assert sms_outbox == [] and mailoutbox == []
    assert BereavementCall.objects.filter(patient=alice_died).count() == 4


def test_the_closed_link_page_for_a_patient_who_died_does_not_say_if_you_feel_worse(alice, dora, nina, client):
    services.enrol(alice)
    url = symptom_links.issue_link(alice)
    services.record_death(alice, died_at=NOW, place="home", source="family", by=nina)
    page = client.get(url.split("://", 1)[-1].split("/", 1)[1].join(["/", ""]))
    text = page.content.decode()
    assert page.status_code == 410
    assert "feel worse" not in text and "talk with someone from the team" in text


def test_a_used_link_of_a_patient_who_died_does_not_say_if_you_feel_worse_either(alice, nina, client):
    services.enrol(alice)
    link = symptom_links.resolve(symptom_links.issue_link(alice).rstrip("/").rsplit("/", 1)[-1])
    symptom_links.submit_report(link, scores={"pain": 3}, completed_by="caregiver")
    services.record_death(alice, died_at=NOW, place="home", source="family", by=nina)
    signed = symptom_links.sign(link.token)
    for url in (reverse("symptom_form", args=[signed]), reverse("symptom_thanks", args=[signed])):
        text = client.get(url).content.decode()
        assert "feel worse" not in text and "feel much worse" not in text


def test_next_of_kin_is_a_caregiver_flag_on_the_form(alice, nina, client):
    client.force_login(nina)
    response = client.post(reverse("add_caregiver", args=[alice.pk]), {
        "name": "Seán O'Brien", "relationship": "son", "preferred_channel": "none", "language": "en", "next_of_kin": "on",
    })
    assert response.status_code == 302
    assert alice.caregivers.get().next_of_kin
