"""Planning reminders: who, when in the patient's own zone, out of quiet hours, within the caps."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from followup import scheduling, services
from followup.messaging import delivery
from followup.messaging.planning import plan_reminders
from followup.models import CareSchedule, Kind, Occurrence, Patient, Reminder

from .conftest import at, make_patient


def drainage_on(patient, day, wall=time(9, 0)):
    schedule, _ = CareSchedule.objects.get_or_create(patient=patient, kind=Kind.PARACENTESIS, active=True,
                                                     defaults={"interval_count": 14, "interval_unit": "days"})
    due_at = scheduling.at_local(day, wall, patient.zone)
    occurrence = Occurrence.objects.create(schedule=schedule, patient=patient, kind=Kind.PARACENTESIS, due_at=due_at, due_date=day)
    return occurrence


def local_times(occurrence):
    zone = occurrence.patient.zone
    return {r.purpose: r.send_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") for r in occurrence.reminders.filter(recipient="patient")}


@pytest.fixture
def frozen():
    with time_machine.travel(at("2026-01-10 12:00"), tick=False):
        yield


@pytest.mark.django_db
class TestSendTimes:
    def test_drainage_is_reminded_the_evening_before_and_the_morning_of(self, alice, frozen):
        occurrence = drainage_on(alice, date(2026, 1, 20))
        plan_reminders(occurrence)
        assert local_times(occurrence) == {"day_before": "2026-01-19 18:00", "morning_of": "2026-01-20 08:00"}

    def test_drainage_reminder_does_not_outlive_the_appointment(self, alice, frozen):
        occurrence = drainage_on(alice, date(2026, 1, 20), wall=time(9, 0))
        plan_reminders(occurrence)
        morning = occurrence.reminders.get(purpose="morning_of")
        assert morning.expires_at == occurrence.due_at

    def test_reminder_expires_at_the_lateness_window(self, alice, frozen):
        occurrence = drainage_on(alice, date(2026, 1, 20), wall=time(15, 0))
        plan_reminders(occurrence)
        morning = occurrence.reminders.get(purpose="morning_of")
        assert morning.expires_at - morning.send_at == timedelta(minutes=180)

    def test_clinic_time_inside_quiet_hours_moves_to_the_morning(self, alice, riverside, frozen):
        riverside.drainage_reminder_morning_at = time(6, 30)
        riverside.save()
        occurrence = drainage_on(alice, date(2026, 1, 20), wall=time(11, 0))
        plan_reminders(occurrence)
        assert local_times(occurrence)["morning_of"] == "2026-01-20 08:00"

    def test_patients_own_quiet_hours_are_respected(self, alice, frozen):
        alice.quiet_hours_end, alice.quiet_hours_start = time(10, 0), time(17, 0)
        alice.save()
        occurrence = drainage_on(alice, date(2026, 1, 20), wall=time(14, 0))
        plan_reminders(occurrence)
        assert local_times(occurrence) == {"day_before": "2026-01-19 16:30", "morning_of": "2026-01-20 10:00"}

    def test_reminder_planned_after_its_time_goes_now_if_still_useful(self, alice):
        with time_machine.travel(at("2026-01-20 14:30"), tick=False):  # 09:30 in New York
            occurrence = drainage_on(alice, date(2026, 1, 20), wall=time(13, 0))
            plan_reminders(occurrence)
        assert local_times(occurrence) == {"morning_of": "2026-01-20 09:30"}

    def test_patient_in_another_zone_is_reminded_in_their_own_time(self, riverside, frozen):
        tokyo = make_patient(riverside, "RV-9", "Kenji", "Sato", mobile="+12025550109", time_zone="Asia/Tokyo")
        occurrence = drainage_on(tokyo, date(2026, 1, 20))
        plan_reminders(occurrence)
        assert local_times(occurrence) == {"day_before": "2026-01-19 18:00", "morning_of": "2026-01-20 08:00"}


@pytest.mark.django_db
class TestWhoIsReminded:
    def test_paused_patient_gets_no_reminders_planned(self, alice, frozen):
        Patient.objects.filter(pk=alice.pk).update(status=Patient.Status.PAUSED, status_changed_at=at("2026-01-09 12:00"))
        alice.refresh_from_db()
        assert plan_reminders(drainage_on(alice, date(2026, 1, 20))) == []

    def test_patient_without_consent_gets_no_reminders(self, alice, frozen):
        alice.consent_at = None
        alice.save()
        assert plan_reminders(drainage_on(alice, date(2026, 1, 20))) == []

    def test_caregiver_can_receive_instead_of_the_patient(self, alice, dora, frozen):
        alice.receives_reminders = False
        alice.save()
        planned = plan_reminders(drainage_on(alice, date(2026, 1, 20)))
        assert {r.recipient for r in planned} == {f"caregiver-{dora.pk}"}

    def test_email_patient_is_reminded_by_email(self, bob, frozen):
        planned = plan_reminders(drainage_on(bob, date(2026, 1, 20)))
        assert {r.channel for r in planned} == {"email"}


@pytest.mark.django_db
class TestCaps:
    def test_second_text_on_the_same_day_is_skipped_with_the_reason(self, alice, frozen):
        plan_reminders(drainage_on(alice, date(2026, 1, 20)))
        checkins = CareSchedule.objects.create(patient=alice, kind=Kind.CHECKIN, interval_count=7, interval_unit="days")
        due = scheduling.at_local(date(2026, 1, 20), time(9, 0), alice.zone)
        occurrence = Occurrence.objects.create(schedule=checkins, patient=alice, kind=Kind.CHECKIN, due_at=due, due_date=date(2026, 1, 20))
        [checkin] = plan_reminders(occurrence)
        assert checkin.state == Reminder.State.SKIPPED
        assert checkin.reason == "Text cap: at most 1 automated text a day."

    def test_fourth_text_in_a_week_is_skipped(self, alice, frozen):
        for day in (date(2026, 1, 13), date(2026, 1, 15)):  # two drainages: texts on the 12th, 13th, 14th, 15th
            occurrence = drainage_on(alice, day)
            plan_reminders(occurrence)
            Occurrence.objects.filter(pk=occurrence.pk).update(state=Occurrence.State.DONE)
        states = list(Reminder.objects.order_by("send_at").values_list("state", "reason"))
        assert [s for s, _ in states] == ["planned", "planned", "planned", "skipped"]
        assert states[-1][1] == "Text cap: at most 3 automated texts a week."

    def test_emails_are_not_counted_against_the_text_caps(self, bob, frozen):
        first = plan_reminders(drainage_on(bob, date(2026, 1, 20)))
        assert all(r.state == Reminder.State.PLANNED for r in first)


@pytest.mark.django_db
class TestRescheduling:
    def test_moving_an_appointment_moves_its_unsent_reminders(self, alice, frozen):
        services.enrol(alice)
        occurrence = Occurrence.objects.get(patient=alice, kind=Kind.PARACENTESIS)
        old = set(occurrence.reminders.values_list("pk", flat=True))
        new_due = occurrence.due_at + timedelta(days=3)
        services.reschedule(occurrence, new_due)
        assert set(Reminder.objects.filter(pk__in=old).values_list("state", flat=True)) == {"cancelled"}
        live = occurrence.reminders.filter(state=Reminder.State.PLANNED)
        assert {r.due_at for r in live} == {new_due}
        assert live.count() == 2

    def test_moving_back_to_the_original_time_revives_the_reminders(self, alice, frozen):
        services.enrol(alice)
        occurrence = Occurrence.objects.get(patient=alice, kind=Kind.PARACENTESIS)
        original = occurrence.due_at
        services.reschedule(occurrence, original + timedelta(days=3))
        services.reschedule(occurrence, original)
        assert occurrence.reminders.filter(state=Reminder.State.PLANNED, due_at=original).count() == 2


# Three zones, each across its own daylight-saving change in 2026.
DST_CASES = [
    ("America/New_York", date(2026, 3, 9)),  # clocks went forward on Sunday 8 March
    ("Europe/London", date(2026, 3, 30)),  # forward on Sunday 29 March
    ("Australia/Sydney", date(2026, 4, 6)),  # back on Sunday 5 April
    ("America/New_York", date(2026, 11, 2)),  # back on Sunday 1 November
]


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "day"), DST_CASES)
def test_reminders_keep_their_local_time_across_a_dst_change(riverside, zone, day):
    patient = make_patient(riverside, f"DST-{zone}-{day}", "Test", "Zone", mobile="+12025550120", time_zone=zone)
    with time_machine.travel(scheduling.at_local(day - timedelta(days=10), time(12, 0), ZoneInfo(zone)), tick=False):
        occurrence = drainage_on(patient, day)
        plan_reminders(occurrence)
    assert local_times(occurrence) == {
        "day_before": f"{day - timedelta(days=1)} 18:00",
        "morning_of": f"{day} 08:00",
    }
    for reminder in occurrence.reminders.all():
        assert not scheduling.in_quiet_hours(reminder.send_at, patient.zone, time(8, 0), time(21, 0))


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "day"), DST_CASES)
def test_send_in_quiet_hours_after_a_dst_change_waits_for_the_local_morning(riverside, zone, day, sms_outbox):
    """A UTC instant that was 08:00 local before the change is 07:00 or 09:00 after it."""
    patient = make_patient(riverside, f"Q-{zone}-{day}", "Test", "Zone", mobile="+12025550121", time_zone=zone)
    with time_machine.travel(scheduling.at_local(day - timedelta(days=10), time(12, 0), ZoneInfo(zone)), tick=False):
        occurrence = drainage_on(patient, day, wall=time(12, 0))
        plan_reminders(occurrence)
    reminder = occurrence.reminders.get(purpose="morning_of")
    half_past_seven = scheduling.at_local(day, time(7, 30), patient.zone)
    Reminder.objects.filter(pk=reminder.pk).update(state=Reminder.State.QUEUED)
    with time_machine.travel(half_past_seven, tick=False):
        delivery.send_reminders([reminder.pk], now=half_past_seven)
    reminder.refresh_from_db()
    assert sms_outbox == []
    assert reminder.state == Reminder.State.PLANNED
    assert reminder.send_at.astimezone(patient.zone).strftime("%H:%M") == "08:00"


@pytest.mark.django_db
def test_daily_cap_holds_at_send_time_when_two_texts_race(alice, riverside, frozen, sms_outbox):
    """Two texts for one day got past planning (the cap was 2 then, 1 now): only one goes out."""
    riverside.sms_per_day = 2
    riverside.save()
    day = date(2026, 1, 12)
    plan_reminders(drainage_on(alice, day, wall=time(12, 0)))
    checkins = CareSchedule.objects.create(patient=alice, kind=Kind.CHECKIN, interval_count=7, interval_unit="days")
    plan_reminders(Occurrence.objects.create(schedule=checkins, patient=alice, kind=Kind.CHECKIN,
                                             due_at=scheduling.at_local(day, time(9, 0), alice.zone), due_date=day))
    riverside.sms_per_day = 1
    riverside.save()
    now = scheduling.at_local(day, time(10, 0), alice.zone)
    ids = list(Reminder.objects.filter(patient=alice, purpose__in=["morning_of", "checkin"]).values_list("pk", flat=True))
    assert len(ids) == 2
    Reminder.objects.filter(pk__in=ids).update(state=Reminder.State.QUEUED, send_at=now, expires_at=now + timedelta(hours=1))
    with time_machine.travel(now, tick=False):
        delivery.send_reminders(ids, now=now)
    assert len(sms_outbox) == 1
    assert Reminder.objects.get(pk__in=ids, state=Reminder.State.SKIPPED).reason.startswith("Text cap")
