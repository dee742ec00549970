"""Properties of the scheduling rules that must hold for any date, zone and history.

Days are drawn half from the clock-change days of each zone (found by scanning the tz database),
so the gaps and folds are hit on every run, not by luck.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from followup.scheduling import (
    MAX_INTERVAL_DAYS,
    MAX_INTERVAL_MONTHS,
    MAX_INTERVAL_WEEKS,
    MIN_INTERVAL_DAYS,
    Interval,
    Unit,
    at_local,
    cap_reason,
    intervals_in_days,
    local_date,
    next_due,
    suggested_interval_days,
)

ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "America/Santiago"]
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2037, 12, 31)

# Modest and without a deadline: the suite runs on 2 shared cores.
modest = settings(max_examples=200, deadline=None)


@cache
def clock_change_days(name):
    """Local days on which the zone's offset changes (between noon the day before and noon that day)."""
    zone = ZoneInfo(name)
    days = []
    day = date(2018, 1, 1)
    previous = datetime.combine(day, time(12), tzinfo=zone).utcoffset()
    while day < date(2031, 1, 1):
        day += timedelta(days=1)
        offset = datetime.combine(day, time(12), tzinfo=zone).utcoffset()
        if offset != previous:
            days.append(day)
        previous = offset
    return days


def test_the_clock_change_days_are_found():
    assert date(2026, 3, 8) in clock_change_days("America/New_York")
    assert date(2026, 10, 25) in clock_change_days("Europe/London")
    assert clock_change_days("Asia/Kolkata") == []


zones = st.sampled_from(ZONES)
walls = st.one_of(
    st.builds(time, st.integers(0, 3), st.integers(0, 59)),  # where the gaps and folds are
    st.builds(time, st.integers(0, 23), st.integers(0, 59)),
)
intervals = st.one_of(
    st.builds(Interval, st.integers(MIN_INTERVAL_DAYS, MAX_INTERVAL_DAYS), st.just(Unit.DAYS)),
    st.builds(Interval, st.integers(1, MAX_INTERVAL_WEEKS), st.just(Unit.WEEKS)),
    st.builds(Interval, st.integers(1, MAX_INTERVAL_MONTHS), st.just(Unit.MONTHS)),
)


@st.composite
def zone_and_day(draw):
    name = draw(zones)
    changes = clock_change_days(name)
    if changes and draw(st.booleans()):
        return name, draw(st.sampled_from(changes))
    return name, draw(st.dates(FIRST_DAY, LAST_DAY))


@st.composite
def zone_and_moment(draw):
    """A zone and an instant, often just before a clock change of that zone."""
    name, day = draw(zone_and_day())
    moment = datetime.combine(day, time(0), tzinfo=UTC) + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 24 * 60)))
    return name, moment


def is_real_wall_time(day, wall, zone):
    candidate = datetime.combine(day, wall, tzinfo=zone)
    return candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == candidate.replace(tzinfo=None)


def assert_wall_time_kept(instant, day, wall, zone):
    """`instant` is `wall` on `day` in `zone`, or, when that wall time was skipped, the moment the
    clocks jumped, later the same day."""
    seen = instant.astimezone(zone)
    assert seen.date() == day
    if is_real_wall_time(day, wall, zone):
        assert seen.time() == wall
    else:
        assert seen.time() > wall
        assert (instant - timedelta(seconds=1)).astimezone(zone).utcoffset() != seen.utcoffset()
        assert seen - datetime.combine(day, wall, tzinfo=zone) <= timedelta(hours=1)


@modest
@given(zone_and_day(), walls)
def test_due_time_is_the_wall_time_asked_for_or_just_after_a_gap_on_the_same_day(zone_day, wall):
    name, day = zone_day
    zone = ZoneInfo(name)
    assert_wall_time_kept(at_local(day, wall, zone), day, wall, zone)


@modest
@given(zone_and_day(), walls)
def test_an_ambiguous_wall_time_is_the_first_of_the_two(zone_day, wall):
    name, day = zone_day
    zone = ZoneInfo(name)
    if not is_real_wall_time(day, wall, zone):
        return
    local = datetime.combine(day, wall, tzinfo=zone)
    readings = {local.astimezone(UTC), local.replace(fold=1).astimezone(UTC)}
    assert at_local(day, wall, zone) == min(readings)


@modest
@given(zone_and_moment(), intervals, walls)
def test_next_due_is_never_before_the_last_procedure(zone_moment, interval, wall):
    name, last_done = zone_moment
    assert next_due(last_done, interval, ZoneInfo(name), wall) > last_done


@modest
@given(zone_and_moment(), intervals, walls)
def test_next_due_keeps_the_wall_time_on_the_day_one_interval_later_across_clock_changes(zone_moment, interval, wall):
    name, last_done = zone_moment
    zone = ZoneInfo(name)
    day = interval.after(local_date(last_done, zone))
    assert_wall_time_kept(next_due(last_done, interval, zone, wall), day, wall, zone)


@modest
@given(zone_and_day(), walls, st.integers(1, 14))
def test_a_daily_series_across_a_clock_change_keeps_one_occurrence_per_local_day(zone_day, wall, count):
    name, day = zone_day
    zone = ZoneInfo(name)
    moment = at_local(day - timedelta(days=count), wall, zone)
    for _ in range(count * 2):
        following = next_due(moment, Interval(1, Unit.DAYS), zone, wall)
        assert local_date(following, zone) == local_date(moment, zone) + timedelta(days=1)
        moment = following


@st.composite
def drainage_histories(draw):
    name = draw(zones)
    zone = ZoneInfo(name)
    start = datetime.combine(draw(st.dates(date(2018, 1, 1), date(2030, 1, 1))), time(0), tzinfo=zone)
    gaps = draw(st.lists(st.integers(0, 250), min_size=1, max_size=8))
    minutes = draw(st.lists(st.integers(7 * 60, 19 * 60), min_size=len(gaps) + 1, max_size=len(gaps) + 1))
    days = [start.date()]
    for gap in gaps:
        days.append(days[-1] + timedelta(days=gap))
    moments = [at_local(day, time(minute // 60, minute % 60), zone) for day, minute in zip(days, minutes)]
    # Drainages at the very same moment are refused elsewhere; here they may come in any order.
    return name, list(dict.fromkeys(draw(st.permutations(moments))))


@modest
@given(drainage_histories())
def test_suggested_interval_lies_within_the_last_three_observed_intervals(history):
    name, performed = history
    zone = ZoneInfo(name)
    observed = [days for days in intervals_in_days(performed, zone) if days > 0][-3:]
    suggestion = suggested_interval_days(performed, zone)
    if not observed:
        assert suggestion is None
        return
    low = min(max(min(observed), MIN_INTERVAL_DAYS), MAX_INTERVAL_DAYS)
    high = max(min(max(observed), MAX_INTERVAL_DAYS), MIN_INTERVAL_DAYS)
    assert low <= suggestion <= high
    Interval(suggestion, Unit.DAYS).validate()  # accepting it always works


@modest
@given(
    st.lists(st.integers(0, 60), max_size=80),
    st.integers(1, 3),
    st.integers(1, 7),
)
def test_caps_applied_greedily_never_exceed_the_day_or_any_seven_day_window(wanted, per_day, per_week):
    start = date(2026, 2, 2)
    taken = []
    for offset in wanted:
        day = start + timedelta(days=offset)
        if cap_reason(day, taken, per_day, per_week) == "":
            taken.append(day)
    for day in set(taken):
        assert taken.count(day) <= per_day
    for first in range(-6, 61):
        window_start = start + timedelta(days=first)
        in_window = [day for day in taken if window_start <= day <= window_start + timedelta(days=6)]
        assert len(in_window) <= per_week


@modest
@given(st.lists(st.integers(0, 60), min_size=1, max_size=40), st.integers(1, 3), st.integers(1, 7))
def test_caps_refuse_only_what_would_break_them(wanted, per_day, per_week):
    """Greedy planning is not over-cautious: a refused text would indeed have broken a cap."""
    start = date(2026, 2, 2)
    taken = []
    for offset in wanted:
        day = start + timedelta(days=offset)
        if cap_reason(day, taken, per_day, per_week):
            with_it = [*taken, day]
            too_many_a_day = with_it.count(day) > per_day
            too_many_a_week = any(
                sum(1 for other in with_it if first <= other <= first + timedelta(days=6)) > per_week
                for first in (day - timedelta(days=back) for back in range(7))
            )
            assert too_many_a_day or too_many_a_week
        else:
            taken.append(day)
