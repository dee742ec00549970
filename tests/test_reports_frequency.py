"""Procedure frequency: drainages per week and month, per clinic and overall; check-ins done
versus due. Each figure is checked against a small data set whose answer is written here."""

from datetime import date

import pytest
import time_machine

from followup.models import CareSchedule, Kind, Membership, Occurrence, Procedure
from followup.reports import queries
from followup.reports.queries import Scope

from .conftest import at, make_staff

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def lena(riverside, hillcrest):
    """Clinical lead of both clinics."""
    lead = make_staff("lena", riverside, Membership.Role.LEAD)
    Membership.objects.create(user=lead, clinic=hillcrest, role=Membership.Role.LEAD)
    return lead


@pytest.fixture
def drainages(alice, bob, carmen):
    """Riverside (New York): Alice 2, 4 and 10 March, Bob 11 March. Hillcrest (Los Angeles):
    Carmen at 06:30 UTC on 9 March, which is still 8 March in Los Angeles: the week of 2 March.
    One check-in call recorded as a procedure, and one drainage in February, count for nothing."""
    for moment in ("2026-03-02 15:00", "2026-03-04 15:00", "2026-03-10 15:00"):
        Procedure.objects.create(patient=alice, performed_at=at(moment), volume_ml=3000)
    Procedure.objects.create(patient=bob, performed_at=at("2026-03-11 15:00"), volume_ml=2000)
    Procedure.objects.create(patient=carmen, performed_at=at("2026-03-09 06:30"), volume_ml=2500)
    Procedure.objects.create(patient=alice, performed_at=at("2026-03-05 15:00"), kind=Kind.CHECKIN)
    Procedure.objects.create(patient=alice, performed_at=at("2026-02-20 15:00"), volume_ml=3000)


def scope(clinics, start="2026-03-01", end="2026-03-31", period="week"):
    return Scope(tuple(clinics), date.fromisoformat(start), date.fromisoformat(end), period)


def test_drainages_per_week_per_clinic_and_overall(riverside, hillcrest, drainages):
    rows = queries.drainages_per_period(scope([riverside, hillcrest]))
    assert [(period, counts[riverside.pk], counts[hillcrest.pk], total) for period, counts, total in rows] == [
        (date(2026, 2, 23), 0, 0, 0),  # the week of 1 March starts on Monday 23 February
        (date(2026, 3, 2), 2, 1, 3),
        (date(2026, 3, 9), 2, 0, 2),
        (date(2026, 3, 16), 0, 0, 0),
        (date(2026, 3, 23), 0, 0, 0),
        (date(2026, 3, 30), 0, 0, 0),
    ]


def test_drainages_per_month(riverside, hillcrest, drainages):
    rows = queries.drainages_per_period(scope([riverside, hillcrest], "2026-02-01", "2026-03-31", "month"))
    assert [(period, counts[riverside.pk], counts[hillcrest.pk], total) for period, counts, total in rows] == [
        (date(2026, 2, 1), 1, 0, 1),
        (date(2026, 3, 1), 4, 1, 5),
    ]


def test_range_ends_are_local_dates_and_both_included(riverside, drainages):
    rows = queries.drainages_per_period(scope([riverside], "2026-03-04", "2026-03-10"))
    assert sum(total for _, _, total in rows) == 2  # 4 and 10 March; 2 and 11 March fall outside


def test_page_shows_the_weekly_table_with_a_column_per_clinic_and_a_chart(client, lena, drainages):
    client.force_login(lena)
    body = client.get("/reports/frequency/", MARCH).content.decode()
    assert "<th scope=\"col\" class=\"num\">Hillcrest Hospice</th>" in body
    assert "<th scope=\"col\" class=\"num\">All selected clinics</th>" in body
    assert 'aria-labelledby="drainage-chart-title drainage-chart-desc"' in body
    assert "Highest: 3 drainages (week starting 2026-03-02). Total: 5 drainages." in body


@pytest.fixture
def checkins(alice, bob, carmen):
    """Alice's check-ins in the week of 2 March: done twice, missed once, skipped once, cancelled
    once (not owed). In the week of 9 March: Alice's open one due 9 March (overdue on the 12th),
    Bob's open one due 12 March (due today: not counted yet), Carmen's done on 10 March."""
    def series(patient, active=True):
        return CareSchedule.objects.create(patient=patient, kind=Kind.CHECKIN, interval_count=1, interval_unit="days", active=active)

    def occurrence(schedule, day, state):
        return Occurrence.objects.create(schedule=schedule, patient=schedule.patient, kind=Kind.CHECKIN, due_at=at(f"{day} 14:00"),
                                         due_date=date.fromisoformat(day), state=state)

    S = Occurrence.State
    alice_calls = series(alice)
    for day, state in [("2026-03-02", S.DONE), ("2026-03-03", S.DONE), ("2026-03-04", S.MISSED), ("2026-03-05", S.SKIPPED),
                       ("2026-03-06", S.CANCELLED), ("2026-03-09", S.SCHEDULED)]:
        occurrence(alice_calls, day, state)
    occurrence(series(bob), "2026-03-12", S.SCHEDULED)
    occurrence(series(carmen), "2026-03-10", S.DONE)


@time_machine.travel(at("2026-03-12 18:00"), tick=False)
def test_checkins_done_versus_due_and_missed_rate(riverside, checkins):
    rows = queries.checkins_per_period(scope([riverside], "2026-03-02", "2026-03-15"))
    assert rows == [
        # week, due, done, skipped, missed, overdue, not done %
        (date(2026, 3, 2), 4, 2, 1, 1, 0, 25.0),
        (date(2026, 3, 9), 1, 0, 0, 0, 1, 100.0),  # open since 9 March: overdue, as on the worklist; Bob's is due today
    ]


@time_machine.travel(at("2026-03-12 18:00"), tick=False)
def test_by_clinic_table_has_a_row_per_clinic_and_one_for_all(riverside, hillcrest, drainages, checkins):
    rows = queries.frequency_by_clinic(scope([riverside, hillcrest], "2026-03-02", "2026-03-15"))
    assert rows == [
        # clinic, drainages, patients drained, check-ins due, done, missed, overdue, not done %
        ("Riverside Palliative Care", 4, 2, 5, 2, 1, 1, 40.0),
        ("Hillcrest Hospice", 1, 1, 1, 1, 0, 0, 0.0),
        ("All selected clinics", 5, 3, 6, 3, 1, 1, 100 * 2 / 6),
    ]


@time_machine.travel(at("2026-03-12 18:00"), tick=False)
def test_checkin_table_and_chart_on_the_page(client, leo, checkins):
    client.force_login(leo)
    body = client.get("/reports/frequency/", {"start": "2026-03-02", "end": "2026-03-15"}).content.decode()
    assert '<td class="num">25.0 (n=4)</td>' in body  # the percentage with its n
    assert "Stacked: Done, Skipped, Missed, Overdue." in body
