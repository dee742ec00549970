"""Drainages per patient: counts, intervals, medians, trend, volumes and the catheter advisory,
each against a hand-built history whose answer is written here."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from followup import scheduling
from followup.models import Procedure
from followup.reports import queries, tables
from followup.reports.queries import Scope

from .conftest import make_patient

NEW_YORK = ZoneInfo("America/New_York")
FEB_MARCH = {"start": "2026-02-01", "end": "2026-03-20"}


def drain(patient, day, volume=None, hour=9):
    """A drainage at `hour` o'clock on `day`, local time in New York."""
    moment = datetime.fromisoformat(day).replace(hour=hour, tzinfo=NEW_YORK)
    return Procedure.objects.create(patient=patient, performed_at=moment, volume_ml=volume)


def rows_by_name(clinic, start="2026-02-01", end="2026-03-20", sort=queries.DEFAULT_SORT):
    rows, _ = queries.patient_statistics(Scope((clinic,), date.fromisoformat(start), date.fromisoformat(end)), sort)
    return {row["given_name"]: row for row in rows}


@pytest.fixture
def histories(riverside, alice, bob):
    """Alice drains more and more often; Bob less and less; Dan at an even rhythm; Eve has only two
    intervals; Fay was drained twice on one day; Gus only before the range; Hal once, first ever."""
    for day, volume in [("2026-01-05", 5000), ("2026-01-26", 4500), ("2026-02-13", 4000), ("2026-02-27", None), ("2026-03-09", 3000)]:
        drain(alice, day, volume)  # intervals 21, 18, 14, 10
    for day in ["2026-01-01", "2026-01-15", "2026-02-02", "2026-02-23", "2026-03-18"]:
        drain(bob, day, 2000)  # intervals 14, 18, 21, 23
    dan = make_patient(riverside, "RV-1003", "Dan", "Dunn")
    for day in ["2026-01-20", "2026-02-10", "2026-03-03", "2026-03-17"]:
        drain(dan, day, 5000)  # intervals 21, 21, 14
    eve = make_patient(riverside, "RV-1004", "Eve", "Evans")
    for day in ["2026-02-02", "2026-02-12", "2026-02-25"]:
        drain(eve, day, 1500)  # intervals 10, 13
    fay = make_patient(riverside, "RV-1005", "Fay", "Fox")
    drain(fay, "2026-03-01", 2000, hour=9)
    drain(fay, "2026-03-01", 1000, hour=15)  # same day: no interval
    drain(fay, "2026-03-11", 2500)
    gus = make_patient(riverside, "RV-1006", "Gus", "Gray")
    drain(gus, "2026-01-10", 3000)
    hal = make_patient(riverside, "RV-1007", "Hal", "Hill")
    drain(hal, "2026-03-05", 4000)


def test_drainages_and_volumes_count_what_falls_in_the_range(riverside, histories):
    rows = rows_by_name(riverside)
    assert {name: row["drainages"] for name, row in rows.items()} == {
        "Alice": 3, "Bob": 3, "Dan": 3, "Eve": 3, "Fay": 3, "Hal": 1}  # Gus: nothing in the range
    assert rows["Alice"]["mean_volume"] == 3500.0  # 4000 and 3000; the drainage without a volume is left out
    assert rows["Alice"]["last_volume"] == 3000
    assert rows["Fay"]["mean_volume"] == pytest.approx(5500 / 3)
    assert rows["Fay"]["last_volume"] == 2500


def test_a_patient_drained_only_just_outside_the_range_in_their_own_time_zone_is_not_listed(riverside, alice):
    drain(alice, "2026-01-31", hour=22)  # 03:00 UTC on 1 February, still 31 January in New York
    drain(alice, "2026-03-21", hour=10)
    assert rows_by_name(riverside) == {}


def test_last_volume_is_the_volume_of_the_latest_drainage(riverside, alice):
    drain(alice, "2026-03-01", 4000)
    drain(alice, "2026-03-08")  # no volume recorded
    drain(alice, "2026-03-15", 3200)
    assert rows_by_name(riverside)["Alice"]["last_volume"] == 3200


def test_median_interval_counts_intervals_ending_in_the_range(riverside, histories):
    rows = rows_by_name(riverside)
    assert rows["Alice"]["median_interval"] == 14.0  # 18, 14, 10: the 18 is measured from 26 January
    assert rows["Bob"]["median_interval"] == 21.0  # 18, 21, 23
    assert rows["Dan"]["median_interval"] == 21.0  # 21, 21, 14
    assert rows["Eve"]["median_interval"] == 11.5  # 10, 13: the middle of two is their mean
    assert rows["Fay"]["median_interval"] == 10.0  # 0 (same day) left out, then 10
    assert rows["Hal"]["median_interval"] is None


def test_last_three_intervals_trend_and_advisory(riverside, histories):
    rows = rows_by_name(riverside)
    found = {name: (row["interval_3"], row["interval_2"], row["interval_1"], row["trend"], row["advisory"]) for name, row in rows.items()}
    assert found == {
        # oldest, middle, latest, trend, advisory
        "Alice": (18, 14, 10, "shortening", "median"),  # median of the last three is 14: 14 or less
        "Bob": (18, 21, 23, "lengthening", ""),
        "Dan": (21, 21, 14, "steady", ""),
        "Eve": (None, 10, 13, "", "median"),  # two intervals: no trend; their median 11.5
        "Fay": (None, None, 10, "", "median"),
        "Hal": (None, None, None, "", ""),
    }


def test_three_shorter_intervals_flag_the_advisory_even_with_a_long_median(riverside, alice):
    for day in ["2026-01-01", "2026-01-31", "2026-02-25", "2026-03-17"]:
        drain(alice, day)  # 30, 25, 20
    row = rows_by_name(riverside)["Alice"]
    assert (row["trend"], row["advisory"], row["median_of_last_three"]) == ("shortening", "shortening", 25.0)


def test_intervals_are_counted_on_local_dates_across_a_clock_change(riverside, alice):
    """09:00 on 1 March (EST) to 09:00 on 15 March (EDT) is 13 days 23 hours, and 14 days on the calendar."""
    drain(alice, "2026-03-01")
    drain(alice, "2026-03-15")
    assert rows_by_name(riverside)["Alice"]["interval_1"] == 14


@pytest.mark.parametrize("gaps, trend", [
    ([21, 18, 14, 10], "shortening"),
    ([30, 25, 20], "shortening"),
    ([20, 20, 20], "steady"),
    ([10, 30, 12], "steady"),
    ([14, 18, 21], "lengthening"),
    ([40, 15, 16, 17], "lengthening"),
    ([7], ""),
    ([15, 16], ""),
    ([14, 30, 30], "steady"),
    ([0, 20, 0, 16, 12], "shortening"),  # same-day repeats are not intervals: 20, 16, 12
    ([], ""),
])
def test_advisory_is_the_patient_pages_rule_and_trend_follows_the_definition(riverside, alice, gaps, trend):
    first = datetime(2025, 9, 1, 9, tzinfo=NEW_YORK)
    moments = [first]
    for gap in gaps:
        moments.append(moments[-1] + timedelta(days=gap, hours=1 if gap == 0 else 0))
    for moment in moments:
        Procedure.objects.create(patient=alice, performed_at=moment)
    row = rows_by_name(riverside, "2025-09-01", "2026-03-20")["Alice"]
    expected = scheduling.catheter_advisory(moments, NEW_YORK)
    assert bool(row["advisory"]) == bool(expected)
    if expected:
        assert expected.startswith("Median" if row["advisory"] == "median" else "Three successively shorter")
    assert row["trend"] == trend


def test_advisory_text_on_the_page_names_the_median(client, leo, histories):
    client.force_login(leo)
    body = client.get("/reports/patients/", FEB_MARCH).content.decode()
    assert "Median 11.5 days (14 or less)" in body  # Eve
    assert "Median 14 days (14 or less)" in body  # Alice


def test_each_row_links_to_the_patients_page(client, leo, alice, histories):
    client.force_login(leo)
    link = f'<a href="/patients/{alice.pk}/">Archer, Alice</a>'
    assert link in client.get("/reports/patients/", FEB_MARCH).content.decode()
    assert link in client.get("/reports/drainages/", FEB_MARCH).content.decode()


def names_in_order(client, **query):
    """Family names in the order the table lists them."""
    body = client.get("/reports/patients/", {**FEB_MARCH, **query}).content.decode()
    listed = [name for name in ("Archer", "Baker", "Dunn", "Evans", "Fox", "Hill") if f">{name}," in body]
    return sorted(listed, key=lambda name: body.index(f">{name},"))


def test_default_order_puts_the_advisories_first_smallest_median_first(client, leo, histories):
    client.force_login(leo)
    assert names_in_order(client) == ["Fox", "Evans", "Archer", "Baker", "Dunn", "Hill"]


@pytest.mark.parametrize("sort, order", [
    ("patient", ["Archer", "Baker", "Dunn", "Evans", "Fox", "Hill"]),
    ("-patient", ["Hill", "Fox", "Evans", "Dunn", "Baker", "Archer"]),
    ("drainages", ["Archer", "Baker", "Dunn", "Evans", "Fox", "Hill"]),  # largest first, then by name
    ("-drainages", ["Hill", "Archer", "Baker", "Dunn", "Evans", "Fox"]),
    ("median", ["Fox", "Evans", "Archer", "Baker", "Dunn", "Hill"]),  # shortest first; no median last
    ("-median", ["Baker", "Dunn", "Archer", "Evans", "Fox", "Hill"]),
    ("trend", ["Archer", "Dunn", "Baker", "Evans", "Fox", "Hill"]),  # shortening, steady, lengthening, none
    ("mean_volume", ["Dunn", "Hill", "Archer", "Baker", "Fox", "Evans"]),  # 5000, 4000, 3500, 2000, 1833, 1500
])
def test_table_sorts_by_any_column(client, leo, histories, sort, order):
    client.force_login(leo)
    assert names_in_order(client, sort=sort) == order


def test_sorted_column_header_says_so_and_links_to_the_reverse_order(client, leo, histories):
    client.force_login(leo)
    body = client.get("/reports/patients/", {**FEB_MARCH, "sort": "median"}).content.decode()
    assert 'aria-sort="ascending"><a href="?start=2026-02-01&amp;end=2026-03-20&amp;clinic=&amp;status=active&amp;sort=-median">' in body


def test_table_pages_through_many_patients(client, leo, histories, monkeypatch):
    monkeypatch.setattr(tables, "PAGE_SIZE", 4)
    client.force_login(leo)
    first = client.get("/reports/patients/", {**FEB_MARCH, "sort": "patient"}).content.decode()
    second = client.get("/reports/patients/", {**FEB_MARCH, "sort": "patient", "page": 2}).content.decode()
    assert "Page 1 of 2 (6 rows)" in first and "Evans, Eve" in first and "Fox" not in first
    assert "Page 2 of 2 (6 rows)" in second and "Fox, Fay" in second and "Hill, Hal" in second and "Archer" not in second


def test_drainage_log_gives_days_since_the_previous_drainage_even_before_the_range(client, leo, histories):
    client.force_login(leo)
    response = client.get("/reports/export/drainage-log.csv", {"start": "2026-02-13", "end": "2026-02-13"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[1:] == ['2026-02-13,"Archer, Alice",RV-1001,Active,Riverside Palliative Care,4000,18']
