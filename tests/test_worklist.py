"""The worklist: what lands in each section, "today" on the patient's own date, filters, and a
query count that does not grow with the number of patients."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from followup import call_list, scheduling, services, worklist
from followup.models import (
    CareSchedule,
    InboundMessage,
    Kind,
    Occurrence,
    Patient,
    Procedure,
    Reminder,
    SymptomReport,
    User,
)

from .conftest import make_alert, make_patient

NEW_YORK = scheduling.ZoneInfo("America/New_York")


def open_drainage(patient, due_date, hour=9):
    schedule, _ = CareSchedule.objects.get_or_create(patient=patient, kind=Kind.PARACENTESIS, active=True)
    due_at = scheduling.at_local(due_date, datetime.min.time().replace(hour=hour), patient.zone)
    return Occurrence.objects.create(schedule=schedule, patient=patient, kind=Kind.PARACENTESIS, due_at=due_at, due_date=due_date)


def severe_report(patient, **scores):
    report = SymptomReport.objects.create(patient=patient, completed_by="patient", source="web", **(scores or {"pain": 8}))
    return report


def build_clinic_load(clinic, nurse, count, zones=("America/New_York",)):
    """`count` patients of `clinic` in bulk, each section of the worklist represented:
    by index modulo 4 overdue / due today / due in 3 days / nothing scheduled; every 5th has three
    drainages 7 days apart (catheter advisory), every 7th a severe alert, every 6th a failed
    reminder, every 8th a message waiting. Patients take the `zones` in turn."""
    prefix = clinic.name[:2].upper()
    patients = Patient.objects.bulk_create(
        Patient(clinic=clinic, mrn=f"{prefix}-{index:05d}", given_name="Pat", family_name=f"Load{index:05d}",
                time_zone=zones[index % len(zones)], nurse=nurse, mobile="+12025550123", consent_at=timezone.now(),
                consent_source="written form")
        for index in range(count)
    )
    schedules = CareSchedule.objects.bulk_create(CareSchedule(patient=patient, kind=Kind.PARACENTESIS) for patient in patients)
    offsets = {0: -2, 1: 0, 2: 3}

    def due(patient, offset):
        day = scheduling.local_date(timezone.now(), patient.zone) + timedelta(days=offset)
        return day, scheduling.at_local(day, datetime.min.time().replace(hour=9), patient.zone)

    occurrences = Occurrence.objects.bulk_create(
        Occurrence(schedule=schedule, patient=schedule.patient, kind=Kind.PARACENTESIS,
                   due_date=due(schedule.patient, offsets[i % 4])[0], due_at=due(schedule.patient, offsets[i % 4])[1])
        for i, schedule in enumerate(schedules) if i % 4 in offsets
    )
    Procedure.objects.bulk_create(
        Procedure(patient=patient, kind=Kind.PARACENTESIS, performed_at=timezone.now() - timedelta(days=7 * back), volume_ml=4000)
        for i, patient in enumerate(patients) if i % 5 == 0 for back in (1, 2, 3)
    )
    reports = SymptomReport.objects.bulk_create(
        SymptomReport(patient=patient, completed_by="patient", source="web", pain=8)
        for i, patient in enumerate(patients) if i % 7 == 0
    )
    for report in reports:
        make_alert(report, ("pain", 8))
    now = timezone.now()
    Reminder.objects.bulk_create(
        Reminder(occurrence=occurrence, patient=occurrence.patient, recipient="patient", channel="sms", purpose="day_before",
                 due_at=occurrence.due_at, send_at=now - timedelta(hours=2), expires_at=now, state=Reminder.State.FAILED,
                 reason="Carrier rejected the number")
        for i, occurrence in enumerate(occurrences) if i % 6 == 0
    )
    InboundMessage.objects.bulk_create(
        InboundMessage(clinic=clinic, patient=patient, provider_id=f"SM{prefix}{i:06d}", from_number="+12025550123",
                       body="Can someone call me?", kind="other")
        for i, patient in enumerate(patients) if i % 8 == 0
    )
    return patients


@pytest.fixture(autouse=True)
def _fresh_advisory_cache():
    """The catheter advisories are cached by a version of the drainage records; on SQLite row ids
    come back after a test's rollback, so each test starts with an empty cache."""
    cache.clear()
    yield
    cache.clear()


def patients_in(work, state=None):
    """The patients of the call list, in its order; with `state`, those with an item in that state
    (overdue, today, upcoming)."""
    return [row.patient for row in work.calls.rows if state is None or any(item.state == state for item in row.due)]


@pytest.fixture
def worklist_page(client, nina):
    client.force_login(nina)

    def get(**params):
        return client.get(reverse("worklist"), params)

    return get


# --- Query count ---------------------------------------------------------------------------------

# Session, user, memberships (with their roles: the lead check in the nav needs no query more); the
# call list (each zone's today is worked out as rows ask, with no query; open occurrences of the week
# with the check-ins missed in the last week, which the rows then show; open alerts, likewise;
# patients not reached or missing self-reports, current pauses, bereavement calls of the week; then
# for the rows shown: patients with their last report's time and top score, catheter, possible
# opt-out and opted-out number or address riding along, the items of their alerts, unrouted texts
# from their numbers; the caregivers only of rows whose patient cannot be rung, none here); the other
# work: the ids of the patients a catheter advisory may concern, with the version of the drainage
# records (which says whether the cached advisories hold) riding along, every other section's count in one query, and the
# first rows of each section that has any (here delivery problems, messages waiting, no upcoming
# contact and catheter advisories); and the heartbeat. The clinics and nurses of the filters are
# cached (a minute). No session write: the expiry moves on at most once a minute
# (followup/idle_timeout.py).
WORKLIST_QUERIES = 18


@pytest.mark.parametrize("patients", [10, 500])
def test_worklist_costs_the_same_queries_for_10_and_500_patients(client, nina, riverside, django_assert_num_queries, patients):
    build_clinic_load(riverside, nina, patients)
    client.force_login(nina)
    # The first view reads the filters' clinics and nurses and computes the catheter advisories (one
    # query over the drainages), caching both, and moves the session's expiry on (an UPDATE between
    # two savepoints inside a test's transaction).
    with django_assert_num_queries(WORKLIST_QUERIES + 2 + 1 + 3):
        client.get(reverse("worklist"))
    with django_assert_num_queries(WORKLIST_QUERIES):
        response = client.get(reverse("worklist"))
    assert response.status_code == 200
    work = response.context["work"]
    severe = set(range(0, patients, 7))
    assert work.calls.counts["overdue"] == len(range(0, patients, 4))
    assert work.calls.counts["alerts"] == len(severe)
    assert work.calls.total == len({i for i in range(patients) if i % 4 != 3} | severe)
    assert len(work.calls.rows) == min(work.calls.total, call_list.ROWS)
    assert work.no_upcoming_contact.count == len(range(3, patients, 4))
    assert work.catheter_advisories.count == len(range(0, patients, 5))


def test_a_leads_worklist_costs_no_query_more_for_the_unrouted_texts(client, leo, nina, riverside, django_assert_num_queries):
    build_clinic_load(riverside, nina, 10)
    client.force_login(leo)
    client.get(reverse("worklist"))
    with django_assert_num_queries(WORKLIST_QUERIES):  # their count rides with the others; none to list
        client.get(reverse("worklist"))


@pytest.mark.parametrize("patients", [10, 500])
def test_patients_in_two_zones_cost_no_query_more_however_many(client, nina, riverside, django_assert_num_queries, patients):
    # 20:00 UTC: 10 March in New York, already 11 March in Tokyo.
    with time_machine.travel(datetime(2026, 3, 10, 20, 0, tzinfo=UTC), tick=False):
        build_clinic_load(riverside, nina, patients, zones=("America/New_York", "Asia/Tokyo"))
        client.force_login(nina)
        client.get(reverse("worklist"))
        with django_assert_num_queries(WORKLIST_QUERIES):  # each patient's own today, with no query more
            response = client.get(reverse("worklist"))
    work = response.context["work"]
    assert work.calls.counts["overdue"] == len(range(0, patients, 4))
    assert work.calls.counts["today"] == len(range(1, patients, 4))
    assert work.calls.total == len({i for i in range(patients) if i % 4 != 3} | set(range(0, patients, 7)))


# --- Sections --------------------------------------------------------------------------------------


def test_overdue_today_and_next_days_follow_the_patients_local_date(worklist_page, alice, bob, riverside, nina):
    # 03:00 UTC on 10 March is still 9 March (22:00 or 23:00) in New York.
    with time_machine.travel(datetime(2026, 3, 10, 3, 0, tzinfo=UTC), tick=False):
        open_drainage(alice, date(2026, 3, 9), hour=9)  # due "today" in New York, though 10 March in UTC
        open_drainage(bob, date(2026, 3, 8))
        carol = make_patient(riverside, "RV-1003", "Carol", "Chen", nurse=nina)
        open_drainage(carol, date(2026, 3, 16))
        dan = make_patient(riverside, "RV-1004", "Dan", "Diaz", nurse=nina)
        open_drainage(dan, date(2026, 3, 17))  # 8 days ahead: not on the worklist
        work = worklist_page().context["work"]
    assert patients_in(work, "today") == [alice]
    assert patients_in(work, "overdue") == [bob]
    assert patients_in(work, "upcoming") == [carol]
    assert patients_in(work) == [bob, alice, carol]  # most urgent first; Dan is 8 days ahead
    assert (work.calls.counts["overdue"], work.calls.counts["today"], work.calls.total) == (1, 1, 3)


def test_patients_in_different_zones_each_have_their_own_today(worklist_page, alice, riverside, nina):
    # 05:30 UTC on 10 March: already 10 March in New York (01:30), still 9 March in Los Angeles (22:30).
    with time_machine.travel(datetime(2026, 3, 10, 5, 30, tzinfo=UTC), tick=False):
        west = make_patient(riverside, "RV-1005", "Wes", "Walker", nurse=nina, time_zone="America/Los_Angeles")
        open_drainage(alice, date(2026, 3, 9))
        open_drainage(west, date(2026, 3, 9))
        work = worklist_page().context["work"]
    assert patients_in(work, "overdue") == [alice]
    assert patients_in(work, "today") == [west]


def test_a_paused_or_discharged_patients_occurrence_is_not_on_the_worklist(worklist_page, alice):
    open_drainage(alice, timezone.localdate(timezone=NEW_YORK) - timedelta(days=1))
    alice.status, alice.status_changed_at = Patient.Status.PAUSED, timezone.now()
    alice.save()
    work = worklist_page().context["work"]
    assert work.calls.counts["overdue"] == 0 and patients_in(work) == []


def test_severe_alerts_come_first_and_acknowledged_ones_leave(worklist_page, alice, bob, nina):
    worse = SymptomReport.objects.create(patient=bob, completed_by="patient", source="web", nausea=6)
    worsening = make_alert(worse, ("nausea", 6, 2))
    severe = make_alert(severe_report(alice), ("pain", 8), created_at=timezone.now() - timedelta(hours=3))
    seen = make_alert(severe_report(alice), ("pain", 8, 4), acknowledged_at=timezone.now(), acknowledged_by=nina)
    response = worklist_page()
    work = response.context["work"]
    assert patients_in(work) == [alice, bob]  # the severe report first, though older
    assert [row.alerts for row in work.calls.rows] == [[severe], [worsening]]
    assert all(seen not in row.alerts for row in work.calls.rows)
    assert work.calls.counts["alerts"] == 2
    assert b"Severe symptom: Pain 8: severe" in response.content and b"Nausea 6, was 2: up 4" in response.content


def test_delivery_problems_list_unacknowledged_failed_unknown_and_expired_reminders(worklist_page, alice):
    occurrence = open_drainage(alice, timezone.localdate(timezone=NEW_YORK) + timedelta(days=2))
    now = timezone.now()

    def reminder(purpose, state, **fields):
        return Reminder.objects.create(occurrence=occurrence, patient=alice, recipient="patient", channel="sms", purpose=purpose,
                                       due_at=occurrence.due_at + timedelta(minutes=len(purpose)), send_at=now, expires_at=now,
                                       state=state, **fields)

    failed = reminder("day_before", Reminder.State.FAILED, reason="Unreachable")
    unknown = reminder("morning_of", Reminder.State.UNKNOWN)
    reminder("checkin", Reminder.State.EXPIRED, acknowledged_at=now)
    Reminder.objects.create(occurrence=occurrence, patient=alice, recipient="patient", channel="email", purpose="day_before",
                            due_at=occurrence.due_at, send_at=now, expires_at=now, state=Reminder.State.DELIVERED)
    response = worklist_page()
    assert set(response.context["work"].delivery_problems.rows) == {failed, unknown}
    delivery = response.content.decode().split('id="delivery"')[1].split("</section>")[0]
    assert "+12025550101" not in delivery and "555-0101" not in delivery  # a delivery problem never shows the number


def test_messages_waiting_are_other_and_help_messages_not_yet_handled(worklist_page, alice, riverside, nina):
    waiting = InboundMessage.objects.create(clinic=riverside, patient=alice, provider_id="SM1", from_number="+12025550101",
                                            body="My belly is swelling again", kind="other")
    help_ = InboundMessage.objects.create(clinic=riverside, patient=alice, provider_id="SM2", from_number="+12025550101",
                                          body="HELP", kind="help")
    InboundMessage.objects.create(clinic=riverside, patient=alice, provider_id="SM3", from_number="+12025550101", body="STOP", kind="stop")
    InboundMessage.objects.create(clinic=riverside, patient=alice, provider_id="SM4", from_number="+12025550101", body="Thanks",
                                  kind="other", handled_at=timezone.now(), handled_by=nina)
    response = worklist_page()
    assert response.context["work"].messages_waiting.rows == [waiting, help_]
    assert b"My belly is swelling again" in response.content


def test_active_patients_with_nothing_open_have_no_upcoming_contact(worklist_page, enrolled_alice, bob):
    work = worklist_page().context["work"]
    assert work.no_upcoming_contact.rows == [bob]


def test_catheter_advisory_flags_short_intervals_from_the_patients_drainages(worklist_page, alice, bob):
    now = timezone.now()
    for days in (0, 10, 20):
        Procedure.objects.create(patient=alice, performed_at=now - timedelta(days=days), volume_ml=5000)
    for days in (0, 30, 60):
        Procedure.objects.create(patient=bob, performed_at=now - timedelta(days=days), volume_ml=5000)
    work = worklist_page().context["work"]
    assert [advisory.patient for advisory in work.catheter_advisories.rows] == [alice]
    assert "Median interval 10 days" in work.catheter_advisories.rows[0].reason


# --- Scope and filters ----------------------------------------------------------------------------


def test_a_new_drainage_refreshes_the_cached_advisories(worklist_page, enrolled_alice):
    now = timezone.now()
    services.record_procedure(enrolled_alice, performed_at=now - timedelta(days=20), volume_ml=5000)
    assert worklist_page().context["work"].catheter_advisories.count == 0  # one drainage: no interval yet
    services.record_procedure(enrolled_alice, performed_at=now - timedelta(days=10), volume_ml=5000)
    assert worklist_page().context["work"].catheter_advisories.count == 1  # an interval of 10 days


def test_a_deleted_drainage_refreshes_the_cached_advisories(worklist_page, alice, bob):
    now = timezone.now()
    Procedure.objects.create(patient=alice, performed_at=now - timedelta(days=20), volume_ml=5000)
    mistaken = Procedure.objects.create(patient=alice, performed_at=now - timedelta(days=10), volume_ml=5000)
    for days in (0, 8):
        Procedure.objects.create(patient=bob, performed_at=now - timedelta(days=days), volume_ml=5000)
    assert {a.patient for a in worklist_page().context["work"].catheter_advisories.rows} == {alice, bob}
    mistaken.delete()
    assert {a.patient for a in worklist_page().context["work"].catheter_advisories.rows} == {bob}


def test_nurse_sees_only_her_clinics_patients(worklist_page, alice, carmen):
    open_drainage(alice, timezone.localdate(timezone=NEW_YORK) - timedelta(days=1))
    open_drainage(carmen, timezone.localdate(timezone=scheduling.ZoneInfo("America/Los_Angeles")) - timedelta(days=1))
    response = worklist_page()
    assert patients_in(response.context["work"], "overdue") == [alice]
    assert b"Carmen" not in response.content


def test_filter_by_nurse_keeps_only_that_nurses_patients(worklist_page, riverside, alice, leo):
    other = make_patient(riverside, "RV-1009", "Olga", "Ortiz", nurse=leo)
    open_drainage(alice, timezone.localdate(timezone=NEW_YORK) - timedelta(days=1))
    open_drainage(other, timezone.localdate(timezone=NEW_YORK) - timedelta(days=1))
    everyone = worklist_page().context["work"]
    only_leo = worklist_page(nurse=leo.pk).context["work"]
    assert set(patients_in(everyone, "overdue")) == {alice, other}
    assert patients_in(only_leo, "overdue") == [other]


def test_filter_by_clinic_for_a_nurse_of_two_clinics(client, nina, hillcrest, alice, carmen):
    from followup.models import Membership

    Membership.objects.create(user=nina, clinic=hillcrest, role=Membership.Role.NURSE)
    open_drainage(alice, timezone.localdate(timezone=NEW_YORK) - timedelta(days=1))
    open_drainage(carmen, timezone.localdate(timezone=scheduling.ZoneInfo("America/Los_Angeles")) - timedelta(days=1))
    client.force_login(nina)
    both = client.get(reverse("worklist")).context["work"]
    hill = client.get(reverse("worklist"), {"clinic": hillcrest.pk}).context["work"]
    assert set(patients_in(both, "overdue")) == {alice, carmen}
    assert patients_in(hill, "overdue") == [carmen]


def test_a_nurse_joining_the_clinic_is_in_the_nurse_filter_within_a_minute(worklist_page, riverside, nina):
    from followup.models import Membership
    from followup.views import worklist as worklist_views

    from .conftest import make_staff

    assert [staff.username for staff in worklist_page().context["nurses"]] == ["nina"]
    make_staff("nadia", riverside, Membership.Role.NURSE)
    later = timezone.now() + timedelta(seconds=worklist_views.FILTER_CHOICES_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        response = worklist_page(nurse=User.objects.get(username="nadia").pk)
    assert [staff.username for staff in response.context["nurses"]] == ["nadia", "nina"]
    assert response.context["nurse"].username == "nadia"


def test_filtering_by_another_clinic_or_its_nurse_is_404(worklist_page, hillcrest, noah):
    assert worklist_page(clinic=hillcrest.pk).status_code == 404
    assert worklist_page(nurse=noah.pk).status_code == 404


def test_the_worklist_never_reaches_beyond_the_users_clinics(nina, hillcrest, carmen):
    open_drainage(carmen, timezone.localdate(timezone=scheduling.ZoneInfo("America/Los_Angeles")) - timedelta(days=1))
    work = worklist.build(nina, clinic=hillcrest, with_calls=True)
    assert work.calls.total == 0 and work.calls.rows == []


def test_worklist_needs_sign_in(client):
    response = client.get(reverse("worklist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_counts_fragment_for_htmx(worklist_page, client, alice):
    open_drainage(alice, timezone.localdate(timezone=NEW_YORK) - timedelta(days=1))
    response = client.get(reverse("worklist"), {"part": "counts"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'id="worklist-counts"' in response.content
    assert b"<html" not in response.content


def test_staff_of_no_clinic_get_an_empty_worklist(client, db):
    from followup.models import User

    stranger = User.objects.create_user("stranger", "stranger@example.org", "x")
    client.force_login(stranger)
    response = client.get(reverse("worklist"))
    assert response.status_code == 200
    assert response.context["work"].overdue.count == 0


def test_worklist_warns_when_reminders_are_not_going_out(client, nina, riverside):
    from followup.messaging import delivery
    from followup.models import Heartbeat

    client.force_login(nina)
    Heartbeat.beat(delivery.TICK, timezone.now() - timedelta(minutes=12))
    page = client.get("/").content.decode()
    assert "Reminders are not going out." in page
    assert "12\xa0minutes ago" in page
    Heartbeat.beat(delivery.TICK, timezone.now())
    assert "Reminders are not going out." not in client.get("/").content.decode()
