"""A week of Alice's care at Riverside, in frozen time, as the team lives it.

Riverside Palliative Care (New York; EST in February, so 09:00 there is 14:00 UTC) works Monday to
Friday, 09:00-17:00. Olga O'Neill is on call out of hours; Leo is the clinical lead; Nina is
Alice's nurse; Dora is Alice's daughter. Alice is deteriorating: a check-in call every 3 days.

- Friday 6 Feb: Alice is enrolled; her first check-in is due Monday at 09:00.
- Monday: she scores pain 2 on the web form. Nina calls at 10:00 (no answer) and again at 14:00
  (voicemail): the check-in stays open, the retry moves to Tuesday morning, Alice is "not reached".
- Tuesday 09:15: Dora answers and scores Alice's tiredness. At noon Alice texts "nausea 4".
- Wednesday 11:00: pain 6 on the web form, compared with Monday's pain 2 (not with the nausea-only
  text): "Pain 6, was 2: up 4". Nobody acknowledges it; at 15:00 it is escalated to Leo, once.
- Thursday 03:00: Alice texts "pain 8". Olga is paged once on each channel; the reply names the
  out-of-hours number; the check-in comes to Thursday 09:00.
- Nobody logs Thursday's call: just after midnight it is missed, and the next is planned for Monday.
"""

from datetime import timedelta

import pytest

from followup import alerts, calls, services, worklist
from followup.messaging import delivery, inbound
from followup.models import Alert, Caregiver, Kind, Occurrence, OnCallContact, Reminder
from tests.conftest import CONSENTED, at

OLGA_MOBILE = "+12025550140"
OUT_OF_HOURS = "+12025550199"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(at("2026-02-06 15:00"), tick=False)
    return time_machine


def open_checkin(patient):
    return Occurrence.objects.get(patient=patient, kind=Kind.CHECKIN, state="scheduled")


def dispatch(now, clock, capture):
    clock.move_to(now, tick=False)
    claimed = []
    with capture(execute=True):
        delivery.dispatch_due_reminders(now=now, enqueue=claimed.extend)
    return delivery.send_reminders(claimed, now=now)


def text_in(provider_id, body, now, clock, number="+12025550101"):
    clock.move_to(now, tick=False)
    return inbound.receive(provider_id=provider_id, from_number=number, body=body)


def test_a_week_of_calls_and_alerts(clock, alice, nina, leo, riverside, sms_outbox, mailoutbox,
                                    django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    riverside.out_of_hours_phone = OUT_OF_HOURS
    riverside.save()
    OnCallContact.objects.create(clinic=riverside, name="Olga O'Neill", mobile=OLGA_MOBILE, email="olga@example.org")
    Caregiver.objects.create(patient=alice, name="Dora Archer", relationship="daughter", mobile="+12025550111",
                             preferred_channel="sms", consent_at=CONSENTED, consent_source="verbal")
    alice.phase = "deteriorating"
    alice.save()
    services.enrol(alice)
    monday_checkin = open_checkin(alice)
    assert monday_checkin.due_at == at("2026-02-09 14:00")

    # Monday 08:30: pain 2 on the web form.
    clock.move_to(at("2026-02-09 13:30"), tick=False)
    services.record_symptom_report(alice, scores={"pain": 2}, completed_by="patient", source="web")
    # 09:00: the check-in reminder goes out, once.
    dispatch(at("2026-02-09 14:00"), clock, capture)
    reminders_before = list(Reminder.objects.filter(occurrence=monday_checkin).values_list("pk", "state"))

    # 10:00: no answer. The check-in stays open, its due time and reminders as they were.
    clock.move_to(at("2026-02-09 15:00"), tick=False)
    first = calls.record_call(alice, outcome="no_answer", by=nina)
    assert first.retry_at == at("2026-02-09 19:00")  # 14:00, inside working hours
    monday_checkin.refresh_from_db()
    assert (monday_checkin.state, monday_checkin.due_at) == ("scheduled", at("2026-02-09 14:00"))
    assert list(Reminder.objects.filter(occurrence=monday_checkin).values_list("pk", "state")) == reminders_before

    # 14:00, the retry: a voicemail. 18:00 is after closing: try again Tuesday morning.
    clock.move_to(at("2026-02-09 19:00"), tick=False)
    second = calls.record_call(alice, outcome="voicemail", by=nina, note="Left a message to call back.")
    assert second.retry_at == at("2026-02-10 14:00")
    alice.refresh_from_db()
    assert alice.not_reached_since == at("2026-02-09 15:00")
    alice_row = next(row for row in worklist.build(nina, with_calls=True).calls.rows if row.patient == alice)
    assert "not_reached" in [flag.key for flag in alice_row.flags]
    # Monday night: the retry is on Tuesday, so the check-in is not missed.
    assert calls.mark_missed(at("2026-02-10 05:05")) == []

    # Tuesday 09:15: Dora answers, and scores her mother's tiredness.
    clock.move_to(at("2026-02-10 14:15"), tick=False)
    third = calls.record_call(alice, outcome="caregiver", by=nina, scores={"tiredness": 5},
                              note="Dora says she sleeps most of the day.")
    assert (third.report.completed_by, third.report.recorded_by) == ("caregiver", nina)
    alice.refresh_from_db()
    assert alice.not_reached_since is None
    monday_checkin.refresh_from_db()
    assert monday_checkin.state == "done"
    assert open_checkin(alice).due_at == at("2026-02-13 14:00")  # Friday 09:00, three days on

    # Tuesday noon: a text scoring only nausea.
    text_in("SM-tue", "nausea 4", at("2026-02-10 17:00"), clock)
    assert not Alert.objects.exists()

    # Wednesday 11:00: pain 6, compared with Monday's pain 2.
    clock.move_to(at("2026-02-11 16:00"), tick=False)
    wednesday = services.record_symptom_report(alice, scores={"pain": 6}, completed_by="patient", source="web")
    worse = wednesday.alert
    assert [item.summary for item in worse.items.all()] == ["Pain 6, was 2: up 4"]
    assert not worse.pages.exists()  # in working hours, and not severe: nobody is paged

    # Nobody acknowledges it: at 15:00, four working hours later, it goes to Leo, once.
    assert alerts.escalate_due(at("2026-02-11 19:59")) == []
    assert [a.pk for a in alerts.escalate_due(at("2026-02-11 20:00"))] == [worse.pk]
    assert alerts.escalate_due(at("2026-02-11 20:05")) == []
    dispatch(at("2026-02-11 20:01"), clock, capture)
    dispatch(at("2026-02-11 20:02"), clock, capture)
    assert [(m.to, "Alice" in m.body) for m in mailoutbox] == [(["leo@example.org"], False)]

    # Thursday 03:00: a severe text. Olga is paged once on each channel; Alice is told the
    # out-of-hours number; her check-in comes to Thursday 09:00.
    reply = text_in("SM-thu", "pain 8", at("2026-02-12 08:00"), clock)
    assert "(202) 555-0199" in reply
    severe = Alert.objects.get(report__reported_at=at("2026-02-12 08:00"))
    assert [item.summary for item in severe.items.all()] == ["Pain 8, was 6: severe"]
    dispatch(at("2026-02-12 08:01"), clock, capture)
    dispatch(at("2026-02-12 08:02"), clock, capture)
    pages = [m for m in sms_outbox if m.to == OLGA_MOBILE]
    assert len(pages) == 1 and f"/alerts/{severe.pk}/" in pages[0].body
    assert [m.to for m in mailoutbox[1:]] == [["olga@example.org"]]
    thursday_checkin = open_checkin(alice)
    assert thursday_checkin.due_at == at("2026-02-12 14:00")

    # Thursday 09:30: Nina deals with both alerts, saying what she did.
    clock.move_to(at("2026-02-12 14:30"), tick=False)
    services.acknowledge_alert(severe, by=nina, action=Alert.Action.CALLED, note="Breakthrough dose advised.")
    services.acknowledge_alert(worse, by=nina, action=Alert.Action.MEDICINES)
    assert not worklist.build(nina).alerts.rows

    # Nobody logs Thursday's call. Just after midnight it is missed; the next is planned from today.
    assert [o.pk for o in calls.mark_missed(at("2026-02-13 05:05"))] == [thursday_checkin.pk]
    thursday_checkin.refresh_from_db()
    assert thursday_checkin.state == "missed"
    assert open_checkin(alice).due_at == at("2026-02-16 14:00")  # Monday 09:00, three days on
    missed_row = next(row for row in worklist.build(nina, now=at("2026-02-13 14:00"), with_calls=True).calls.rows
                      if row.patient == alice)
    assert [item.occurrence_id for item in missed_row.due if item.state == "missed"] == [thursday_checkin.pk]
    # Her drainage, due later in the month, is untouched.
    assert Occurrence.objects.get(patient=alice, kind=Kind.PARACENTESIS).state == "scheduled"
    # Alice herself got one check-in reminder on Monday and none for the calls that reached nobody.
    monday_texts = [m for m in sms_outbox if m.to == "+12025550101" and "call" in m.body.lower()]
    assert len(monday_texts) >= 1
    assert Reminder.objects.filter(occurrence=monday_checkin, purpose=Reminder.Purpose.CHECKIN,
                                   recipient="patient").count() == 1
    assert timedelta(0) < thursday_checkin.closed_at - thursday_checkin.due_at
