"""A month and a half of care, walked in frozen time as a palliative team lives it.

Alice Archer (Riverside Palliative Care, New York) has malignant ascites. Her daughter Dora is her
next of kin. María López cares for Alice and, in another clinic (Hillcrest Hospice), for Carmen
Cruz, on one phone. Drainages come at shortening intervals; the catheter advisory is answered
"referred"; Alice is admitted to hospital and drained on the ward; a catheter is placed and Dora
drains at home through a link; María texts from the shared number; Alice dies, and the team calls
the family.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from followup import catheter, services, worklist
from followup.messaging import delivery
from followup.models import Caregiver, InboundMessage, Kind, Membership, Occurrence, Patient, Procedure
from followup.views import timeline

from .conftest import CONSENTED, make_staff
from .test_bereavement import bereavement_tasks
from .test_webhooks import TOKEN, post_signed

INSTALLATION = "+12025550199"


def local(day, hour=10, minute=0):
    """A New York wall time in spring 2026 (EDT from 8 March: UTC-4; before it UTC-5)."""
    offset = 4 if day >= date(2026, 3, 8) else 5
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) + timedelta(hours=offset)


def tick(moment):
    claimed = []
    delivery.dispatch_due_reminders(now=moment, enqueue=claimed.extend)
    delivery.send_reminders(claimed, now=moment)


@pytest.fixture(autouse=True)
def _twilio(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SITE_URL = "https://followup.example.org"
    settings.TWILIO_FROM_NUMBER = INSTALLATION


def test_a_month_of_care(client, alice, dora, carmen, nina, leo, hillcrest, sms_outbox):
    make_staff("hana", hillcrest, Membership.Role.LEAD)
    dora.next_of_kin = True
    dora.save()
    maria = {p.pk: Caregiver.objects.create(patient=p, name="María López", relationship="niece", mobile="+12025550177",
                                            preferred_channel="sms", consent_at=CONSENTED, consent_source="verbal")
             for p in (alice, carmen)}

    # 2 March: enrolled and drained in the day unit; 21 days until the next.
    with time_machine.travel(local(date(2026, 3, 2)), tick=False):
        services.enrol(alice)
        services.enrol(carmen)
        services.record_procedure(alice, performed_at=local(date(2026, 3, 2), 9), volume_ml=5200, performed_by=nina)
    # Drainages at shortening intervals: 10, 8, then 6 days.
    for day, volume in ((date(2026, 3, 12), 5600), (date(2026, 3, 20), 6000), (date(2026, 3, 26), 6100)):
        with time_machine.travel(local(day, 11), tick=False):
            services.record_procedure(alice, performed_at=local(day, 10), volume_ml=volume, performer_name="Dr Ng",
                                      performer_role="interventional radiologist", recorded_by=nina,
                                      complication_codes=["none"])
    with time_machine.travel(local(date(2026, 3, 26), 12), tick=False):
        assert [row.patient for row in worklist.build(nina).catheter_advisories.rows] == [alice]
        services.answer_advisory(alice, answer="referred", by=nina, note="Referred to IR for an indwelling catheter")
        assert worklist.build(nina).catheter_advisories.count == 0
        assert catheter.advisory(alice) == ""

    # 1 April: admitted to hospital. Reviewed after the clinic's 7 days.
    with time_machine.travel(local(date(2026, 4, 1)), tick=False):
        pause = services.pause(alice, reason="hospital_admission", note="Admitted with sepsis", by=nina)
        assert pause.review_on == date(2026, 4, 8)
    with time_machine.travel(local(date(2026, 4, 8), 9), tick=False):
        [row] = worklist.build(nina, with_calls=True, calls_filter="paused").calls.rows
        assert (row.due[0].label, row.due[0].kind) == ("Back home?", "pause")
        # Back home: drained on the ward on 4 April.
        services.resume(alice, by=nina, ward_drainages=[{"performed_at": local(date(2026, 4, 4), 15), "volume_ml": 4800}])
        ward = Procedure.objects.get(patient=alice, performed_at=local(date(2026, 4, 4), 15))
        assert ward.setting == "hospital"
        assert alice.occurrences.get(kind=Kind.PARACENTESIS, state="scheduled").due_date == date(2026, 4, 25)

    # 9 April: the catheter is placed. Drainage moves home, every 2 days, without automated reminders.
    with time_machine.travel(local(date(2026, 4, 9), 14), tick=False):
        services.place_catheter(alice, placed_on=date(2026, 4, 9), type="tunnelled", by=nina)
        assert not alice.schedules.filter(kind=Kind.PARACENTESIS, active=True).exists()
        home = alice.occurrences.get(kind=Kind.HOME_DRAINAGE, state="scheduled")
        assert home.due_date == date(2026, 4, 11) and not home.reminders.exists()
        link = catheter.issue_link(alice, by=nina)
    # 11 April: Dora drains 650 ml at home and logs it through the link.
    with time_machine.travel(local(date(2026, 4, 11), 18), tick=False):
        path = "/" + link.split("://", 1)[1].split("/", 1)[1]
        response = client.post(path, {"performed_at": "2026-04-11T17:30", "volume_ml": "650", "name": "Dora Archer"})
        assert response.status_code == 302
        logged = Procedure.objects.get(patient=alice, kind=Kind.HOME_DRAINAGE)
        assert (logged.volume_ml, logged.setting, logged.performer_name) == (650, "home", "Dora Archer")
        assert alice.occurrences.get(kind=Kind.HOME_DRAINAGE, state="scheduled").due_date == date(2026, 4, 13)

    # 12 April: María texts from the shared number. Nothing decides whose it is: it waits for a lead.
    with time_machine.travel(local(date(2026, 4, 12), 20), tick=False):
        post_signed(client, "/webhooks/twilio/sms/", {"MessageSid": "SM-maria-1", "From": "+12025550177",
                                                      "Body": "Mum is much worse, drain leaking", "To": INSTALLATION})
        message = InboundMessage.objects.get(provider_id="SM-maria-1")
        assert (message.clinic, message.patient, message.routed_by) == (None, None, "unrouted")
        assert worklist.build(nina).messages_waiting.count == 0
        client.force_login(leo)
        client.post(reverse("assign_message", args=[message.pk]), {"contact": f"c{maria[alice.pk].pk}"})
        message.refresh_from_db()
        assert (message.patient, message.caregiver) == (alice, maria[alice.pk])
        assert [m.pk for m in worklist.build(nina).messages_waiting.rows] == [message.pk]

    # 14 April: the hospital record arrives: Alice died on the evening of the 12th, before María's text.
    with time_machine.travel(local(date(2026, 4, 14)), tick=False):
        services.record_death(alice, died_at=local(date(2026, 4, 12), 19), place="hospital", source="hospital_record", by=nina)
        alice = Patient.objects.get(pk=alice.pk)
        assert (alice.status, alice.phase) == ("deceased", "bereaved")
        assert not alice.occurrences.filter(state=Occurrence.State.SCHEDULED).exists()
        flagged = [event for event in timeline.build(alice)["events"] if event.after_death]
        assert [event.kind for event in flagged] == ["message-in"]
        sent_before = len(sms_outbox)

    # The bereavement calls: tasks for the team, never texts to the family.
    with time_machine.travel(local(date(2026, 4, 24)), tick=False):
        tick(local(date(2026, 4, 24)))
        [call] = bereavement_tasks(nina)
        assert (call.step, call.due_on, call.caregiver) == ("2 weeks", date(2026, 4, 26), dora)
        services.record_bereavement_call(call, outcome="spoke", by=nina, note="Dora would like a call at 3 months")
    with time_machine.travel(local(date(2026, 7, 10)), tick=False):
        tick(local(date(2026, 7, 10)))
        [call] = bereavement_tasks(nina)
        assert (call.step, call.due_on) == ("3 months", date(2026, 7, 12))
    assert len(sms_outbox) == sent_before  # nothing automated reached the family after the death
    assert [c.step for c in alice.bereavement_calls.order_by("due_on")] == ["2 weeks", "3 months", "6 months", "13 months"]
