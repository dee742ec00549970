"""The scheduling rules with concrete dates: no database, dates in and dates out.

2026 daylight-saving changes used below: New York springs forward on Sunday 8 March (02:00 -> 03:00)
and falls back on Sunday 1 November (02:00 -> 01:00); London on Sunday 29 March (01:00 -> 02:00) and
Sunday 25 October (02:00 -> 01:00).
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from followup.models import Clinic
from followup.scheduling import (
    Interval,
    Unit,
    at_local,
    cap_reason,
    catheter_advisory,
    checkin_brought_forward,
    in_quiet_hours,
    intervals_in_days,
    local_date,
    move_out_of_quiet_hours,
    next_due,
    quiet_hours_begin,
    suggested_interval_days,
    symptom_findings,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
NINE = time(9, 0)
MORNING, EVENING = time(8, 0), time(21, 0)


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text, zone=NEW_YORK):
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def drainages(*days, zone=NEW_YORK):
    """Drainages at 10:00 local on each of the given days ("2026-01-05")."""
    return [datetime.combine(date.fromisoformat(day), time(10, 0), tzinfo=zone).astimezone(UTC) for day in days]


def every(start, *gaps):
    """Drainage days from `start`, each the given number of days after the one before."""
    days = [date.fromisoformat(start)]
    for gap in gaps:
        days.append(days[-1] + timedelta(days=gap))
    return drainages(*(day.isoformat() for day in days))


# --- Intervals -----------------------------------------------------------------------------------


def test_next_drainage_is_due_a_number_of_days_after_the_last_one_at_the_clinic_time():
    due = next_due(local("2026-02-02 10:30"), Interval(10, Unit.DAYS), NEW_YORK, NINE)
    assert due == local("2026-02-12 09:00")


def test_next_drainage_in_weeks():
    due = next_due(local("2026-02-02 10:30"), Interval(3, Unit.WEEKS), NEW_YORK, NINE)
    assert due == local("2026-02-23 09:00")


def test_next_drainage_in_months_keeps_the_day_of_the_month():
    due = next_due(local("2026-02-14 10:30"), Interval(2, Unit.MONTHS), NEW_YORK, NINE)
    assert due == local("2026-04-14 09:00")


@pytest.mark.parametrize(
    ("last", "months", "due"),
    [
        ("2026-01-31", 1, "2026-02-28"),  # no 31 February: the last day of the month
        ("2028-01-31", 1, "2028-02-29"),  # leap year
        ("2026-03-31", 1, "2026-04-30"),
        ("2026-08-31", 6, "2027-02-28"),
        ("2026-12-31", 2, "2027-02-28"),
    ],
)
def test_a_month_after_a_month_end_is_the_end_of_the_shorter_month(last, months, due):
    assert Interval(months, Unit.MONTHS).after(date.fromisoformat(last)) == date.fromisoformat(due)


def test_interval_counts_from_the_local_day_of_the_last_drainage():
    # 21:00 in New York on 2 February is already 3 February in UTC.
    last = local("2026-02-02 21:00")
    assert last.astimezone(UTC).date() == date(2026, 2, 3)
    assert next_due(last, Interval(2, Unit.DAYS), NEW_YORK, NINE) == local("2026-02-04 09:00")


def test_next_drainage_is_never_before_the_last_one_even_with_the_shortest_interval():
    last = local("2026-02-02 23:59")
    assert next_due(last, Interval(2, Unit.DAYS), NEW_YORK, NINE) == local("2026-02-04 09:00")


@pytest.mark.parametrize(
    "interval",
    [Interval(2, Unit.DAYS), Interval(183, Unit.DAYS), Interval(1, Unit.WEEKS), Interval(26, Unit.WEEKS),
     Interval(1, Unit.MONTHS), Interval(6, Unit.MONTHS)],
)
def test_intervals_from_two_days_to_six_months_are_accepted(interval):
    assert interval.validate() is interval


@pytest.mark.parametrize(
    ("interval", "message"),
    [
        (Interval(0, Unit.DAYS), "The interval must be at least 2 days."),
        (Interval(1, Unit.DAYS), "The interval must be at least 2 days."),
        (Interval(-3, Unit.DAYS), "The interval must be at least 2 days."),
        (Interval(0, Unit.WEEKS), "The interval must be at least 2 days."),
        (Interval(0, Unit.MONTHS), "The interval must be at least 2 days."),
        (Interval(184, Unit.DAYS), "The interval can be at most 6 months."),
        (Interval(27, Unit.WEEKS), "The interval can be at most 6 months."),
        (Interval(7, Unit.MONTHS), "The interval can be at most 6 months."),
        (Interval(3, "fortnights"), "Unknown unit 'fortnights': use days, weeks or months."),
    ],
)
def test_intervals_outside_two_days_to_six_months_are_refused(interval, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        interval.validate()


def test_interval_reads_in_the_clinics_words():
    assert [str(Interval(1, Unit.WEEKS)), str(Interval(3, Unit.WEEKS)), str(Interval(2, Unit.DAYS)),
            str(Interval(1, Unit.MONTHS))] == ["1 week", "3 weeks", "2 days", "1 month"]


def test_clinic_default_interval_is_three_weeks():
    assert Clinic().paracentesis_interval_days == 21


# --- Suggested interval ---------------------------------------------------------------------------


def test_no_suggested_interval_from_one_drainage():
    assert suggested_interval_days(drainages("2026-01-05"), NEW_YORK) is None
    assert suggested_interval_days([], NEW_YORK) is None


def test_two_drainages_suggest_the_interval_between_them():
    assert suggested_interval_days(every("2026-01-05", 10), NEW_YORK) == 10


def test_three_drainages_suggest_the_median_of_two_intervals_rounded_down():
    assert suggested_interval_days(every("2026-01-05", 10, 13), NEW_YORK) == 11  # median 11.5


def test_five_drainages_suggest_the_median_of_the_last_three_intervals():
    performed = every("2026-01-05", 30, 20, 9, 14)
    assert intervals_in_days(performed, NEW_YORK) == [30, 20, 9, 14]
    assert suggested_interval_days(performed, NEW_YORK) == 14  # median of 20, 9, 14


def test_suggested_interval_ignores_the_order_drainages_were_entered_in():
    performed = every("2026-01-05", 7, 9, 11)
    assert suggested_interval_days(list(reversed(performed)), NEW_YORK) == 9


def test_a_second_drainage_on_the_same_day_does_not_count_as_an_interval():
    performed = every("2026-01-05", 10, 0, 12)
    assert suggested_interval_days(performed, NEW_YORK) == 11


def test_suggested_interval_stays_within_the_allowed_interval():
    assert suggested_interval_days(every("2026-01-05", 1), NEW_YORK) == 2
    assert suggested_interval_days(every("2026-01-05", 200), NEW_YORK) == 183


# --- Catheter advisory ----------------------------------------------------------------------------


def test_two_drainages_fourteen_days_apart_raise_the_catheter_advisory():
    advisory = catheter_advisory(every("2026-01-05", 14), NEW_YORK)
    assert advisory == "Median interval 14 days (14 or less): consider indwelling peritoneal catheter."


def test_two_drainages_fifteen_days_apart_raise_no_advisory():
    assert catheter_advisory(every("2026-01-05", 15), NEW_YORK) == ""


def test_one_drainage_raises_no_advisory():
    assert catheter_advisory(drainages("2026-01-05"), NEW_YORK) == ""


def test_median_of_the_last_three_intervals_decides_the_advisory():
    assert catheter_advisory(every("2026-01-05", 40, 10, 12, 30), NEW_YORK).startswith("Median interval 12 days")
    assert catheter_advisory(every("2026-01-05", 10, 12, 30, 20, 28), NEW_YORK) == ""


def test_three_successively_shorter_intervals_raise_the_advisory_though_the_median_is_long():
    advisory = catheter_advisory(every("2026-01-05", 40, 30, 20), NEW_YORK)
    assert advisory == "Three successively shorter intervals: consider indwelling peritoneal catheter."


@pytest.mark.parametrize(
    "gaps",
    [
        (30, 20),  # shortening, but only two intervals
        (30, 20, 25),  # not successively shorter
        (20, 20, 20),  # equal is not shorter
        (20, 30, 40),
    ],
)
def test_intervals_that_do_not_shorten_three_times_raise_no_advisory(gaps):
    assert catheter_advisory(every("2026-01-05", *gaps), NEW_YORK) == ""


# --- Check-in cadence -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "days"),
    [("stable", 7), ("deteriorating", 3), ("unstable", 1), ("terminal", 1), ("", 7)],
)
def test_checkin_cadence_by_phase_defaults(phase, days):
    assert Clinic().checkin_days_for_phase(phase) == days


def test_checkin_cadence_follows_the_clinics_own_setting():
    clinic = Clinic(checkin_days_stable=14, checkin_days_deteriorating=2)
    assert clinic.checkin_days_for_phase("stable") == 14
    assert clinic.checkin_days_for_phase("deteriorating") == 2


def test_daily_checkin_is_due_the_next_morning():
    due = next_due(local("2026-02-02 15:00"), Interval(Clinic().checkin_days_for_phase("terminal")), NEW_YORK, NINE)
    assert due == local("2026-02-03 09:00")


def test_severe_symptom_brings_the_checkin_forward_to_the_next_day():
    due = checkin_brought_forward(local("2026-02-09 09:00"), local("2026-02-03 14:00"), NEW_YORK, NINE)
    assert due == local("2026-02-04 09:00")


def test_severe_symptom_with_no_checkin_planned_gives_one_the_next_day():
    assert checkin_brought_forward(None, local("2026-02-03 14:00"), NEW_YORK, NINE) == local("2026-02-04 09:00")


def test_a_checkin_already_sooner_stays_where_it_is():
    today = local("2026-02-03 16:00")
    assert checkin_brought_forward(today, local("2026-02-03 14:00"), NEW_YORK, NINE) == today


def test_next_day_is_the_patients_next_day_not_utcs():
    # 22:00 on 9 February in New York is 10 February in UTC: "next day" is still the 10th.
    assert checkin_brought_forward(None, local("2026-02-09 22:00"), NEW_YORK, NINE) == local("2026-02-10 09:00")


def test_checkin_brought_forward_onto_the_spring_forward_day_keeps_nine_oclock():
    due = checkin_brought_forward(None, local("2026-03-07 20:00"), NEW_YORK, NINE)
    assert due == utc("2026-03-08 13:00")  # 09:00 EDT
    assert due.astimezone(NEW_YORK).time() == NINE


# --- Daylight saving ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "last", "due_utc"),
    [
        (NEW_YORK, "2026-03-01 09:30", "2026-03-08 13:00"),  # spring forward: 09:00 EDT
        (NEW_YORK, "2026-10-25 09:30", "2026-11-01 14:00"),  # fall back: 09:00 EST
        (LONDON, "2026-03-22 09:30", "2026-03-29 08:00"),  # 09:00 BST
        (LONDON, "2026-10-18 09:30", "2026-10-25 09:00"),  # 09:00 GMT
    ],
)
def test_next_due_across_a_clock_change_lands_at_the_same_local_wall_time(zone, last, due_utc):
    due = next_due(local(last, zone), Interval(1, Unit.WEEKS), zone, NINE)
    assert due == utc(due_utc)
    assert due.astimezone(zone).time() == NINE
    assert due.astimezone(zone).date() == local(last, zone).date() + timedelta(days=7)


def test_three_weeks_across_the_us_change_is_not_three_times_168_hours():
    last = local("2026-02-23 09:00")
    due = next_due(last, Interval(3, Unit.WEEKS), NEW_YORK, NINE)
    assert due == local("2026-03-16 09:00")
    assert due - last == timedelta(weeks=3, hours=-1)


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected_utc", "expected_local"),
    [
        (NEW_YORK, "2026-03-08", time(2, 30), "2026-03-08 07:00", time(3, 0)),
        (NEW_YORK, "2026-03-08", time(2, 0), "2026-03-08 07:00", time(3, 0)),
        (NEW_YORK, "2026-03-08", time(2, 59), "2026-03-08 07:00", time(3, 0)),
        (LONDON, "2026-03-29", time(1, 30), "2026-03-29 01:00", time(2, 0)),
    ],
)
def test_a_wall_time_in_the_spring_forward_gap_moves_forward_to_when_the_clocks_jumped(
    zone, day, wall, expected_utc, expected_local
):
    instant = at_local(date.fromisoformat(day), wall, zone)
    assert instant == utc(expected_utc)
    assert instant.astimezone(zone).time() == expected_local
    assert instant.astimezone(zone).date() == date.fromisoformat(day)


def test_the_hour_after_the_gap_is_untouched():
    assert at_local(date(2026, 3, 8), time(3, 0), NEW_YORK) == utc("2026-03-08 07:00")
    assert at_local(date(2026, 3, 8), time(1, 59), NEW_YORK) == utc("2026-03-08 06:59")


@pytest.mark.parametrize(
    ("zone", "day", "expected_utc"),
    [(NEW_YORK, "2026-11-01", "2026-11-01 05:30"), (LONDON, "2026-10-25", "2026-10-25 00:30")],
)
def test_an_ambiguous_wall_time_when_clocks_go_back_takes_the_first_of_the_two(zone, day, expected_utc):
    assert at_local(date.fromisoformat(day), time(1, 30), zone) == utc(expected_utc)


def test_a_due_date_in_the_gap_lands_just_after_it_on_the_same_day():
    due = next_due(local("2026-02-08 10:00"), Interval(1, Unit.MONTHS), NEW_YORK, time(2, 30))
    assert due.astimezone(NEW_YORK) == local("2026-03-08 03:00")


def test_local_date_is_the_patients_date():
    assert local_date(utc("2026-02-03 03:00"), NEW_YORK) == date(2026, 2, 2)
    assert local_date(utc("2026-02-03 03:00"), LONDON) == date(2026, 2, 3)


# --- Quiet hours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "quiet"),
    [(time(7, 59), True), (time(8, 0), False), (time(13, 0), False), (time(20, 59), False), (time(21, 0), True),
     (time(23, 30), True)],
)
def test_quiet_hours_are_before_eight_and_from_nine_in_the_evening(wall, quiet):
    moment = datetime.combine(date(2026, 2, 3), wall, tzinfo=NEW_YORK)
    assert in_quiet_hours(moment, NEW_YORK, MORNING, EVENING) is quiet


def test_an_early_message_waits_for_the_morning():
    moved = move_out_of_quiet_hours(local("2026-02-03 06:15"), NEW_YORK, MORNING, EVENING)
    assert moved == local("2026-02-03 08:00")


def test_a_late_message_comes_forward_to_half_an_hour_before_the_evening_limit():
    moved = move_out_of_quiet_hours(local("2026-02-03 22:00"), NEW_YORK, MORNING, EVENING)
    assert moved == local("2026-02-03 20:30")


def test_a_message_inside_the_allowed_hours_stays():
    moment = local("2026-02-03 18:00")
    assert move_out_of_quiet_hours(moment, NEW_YORK, MORNING, EVENING) == moment


def test_quiet_hours_are_the_patients_own_hours():
    # 02:00 UTC is 21:00 the evening before in New York (quiet) and 02:00 in London (quiet, night).
    moment = utc("2026-02-03 02:00")
    assert move_out_of_quiet_hours(moment, NEW_YORK, MORNING, EVENING) == local("2026-02-02 20:30")
    assert move_out_of_quiet_hours(moment, LONDON, MORNING, EVENING) == local("2026-02-03 08:00", LONDON)


def test_a_per_patient_window_is_honoured():
    moved = move_out_of_quiet_hours(local("2026-02-03 09:00"), NEW_YORK, time(10, 0), time(18, 0))
    assert moved == local("2026-02-03 10:00")


def test_quiet_hours_begin_in_the_patients_evening():
    assert quiet_hours_begin(local("2026-02-03 15:00"), NEW_YORK, EVENING) == local("2026-02-03 21:00")


def test_quiet_hours_begin_on_the_spring_forward_day_at_local_nine():
    assert quiet_hours_begin(local("2026-03-08 15:00"), NEW_YORK, EVENING) == utc("2026-03-09 01:00")


# --- Text caps ------------------------------------------------------------------------------------

MONDAY = date(2026, 2, 2)


def days_from_monday(*offsets):
    return [MONDAY + timedelta(days=offset) for offset in offsets]


def test_a_first_text_fits_the_caps():
    assert cap_reason(MONDAY, [], per_day=1, per_week=3) == ""


def test_a_second_text_on_the_same_day_breaks_the_daily_cap():
    assert cap_reason(MONDAY, [MONDAY], per_day=1, per_week=3) == "Text cap: at most 1 automated text a day."


def test_two_a_day_allowed_when_the_clinic_says_so():
    assert cap_reason(MONDAY, [MONDAY], per_day=2, per_week=3) == ""


def test_a_fourth_text_in_seven_days_breaks_the_weekly_cap():
    taken = days_from_monday(-6, -4, -2)
    assert cap_reason(MONDAY, taken, per_day=1, per_week=3) == "Text cap: at most 3 automated texts a week."


def test_the_week_is_rolling_not_a_calendar_week():
    taken = days_from_monday(-6, -4, -2)
    assert cap_reason(MONDAY + timedelta(days=1), taken, per_day=1, per_week=3) == ""  # -6 has left the window


def test_texts_already_planned_later_in_the_week_count_too():
    assert cap_reason(MONDAY, days_from_monday(2, 4, 6), per_day=1, per_week=3) != ""
    assert cap_reason(MONDAY, days_from_monday(2, 4, 7), per_day=1, per_week=3) == ""


def test_a_text_must_fit_every_window_that_contains_it():
    # Texts 3 and 1 days before and 1 and 3 days after: the window from -3 to +3 would hold five.
    taken = days_from_monday(-3, -1, 1, 3)
    assert cap_reason(MONDAY, taken, per_day=1, per_week=3) != ""
    assert cap_reason(MONDAY, days_from_monday(-6, 6), per_day=1, per_week=3) == ""


# --- Symptom rules --------------------------------------------------------------------------------


def kinds(findings):
    return sorted((finding.kind, finding.item) for finding in findings)


def test_an_item_at_seven_is_severe_and_six_is_not():
    findings = symptom_findings({"pain": 7, "nausea": 6}, None)
    assert kinds(findings) == [("severe", "pain")]
    assert findings[0].score == 7


def test_wellbeing_of_nine_is_severe_because_ten_is_worst():
    assert kinds(symptom_findings({"wellbeing": 9}, None)) == [("severe", "wellbeing")]


def test_a_rise_of_three_since_the_previous_report_is_worsening():
    findings = symptom_findings({"pain": 5}, {"pain": 2})
    assert kinds(findings) == [("worsening", "pain")]
    assert (findings[0].score, findings[0].previous_score) == (5, 2)


def test_a_rise_of_two_is_not_worsening():
    assert symptom_findings({"pain": 4}, {"pain": 2}) == []


def test_a_fall_is_not_worsening():
    assert symptom_findings({"pain": 1}, {"pain": 6}) == []


def test_a_severe_rise_is_both_severe_and_worsening():
    assert kinds(symptom_findings({"anxiety": 8}, {"anxiety": 4})) == [("severe", "anxiety"), ("worsening", "anxiety")]


def test_no_worsening_without_an_earlier_score_for_the_item():
    assert symptom_findings({"pain": 6, "nausea": 5}, {"pain": None}) == []
    assert symptom_findings({"pain": 6}, None) == []


def test_items_not_asked_raise_nothing():
    assert symptom_findings({"pain": None, "nausea": None}, {"pain": 9}) == []


def test_a_newly_named_other_problem_is_noted():
    findings = symptom_findings({"other_problem": 4}, {"other_problem": None}, "Itching", "")
    assert kinds(findings) == [("new_problem", "other_problem")]
    assert findings[0].score == 4


def test_the_same_other_problem_again_is_not_new():
    assert symptom_findings({"other_problem": 4}, {"other_problem": 3}, "itching ", "Itching") == []


def test_a_different_other_problem_is_new_and_not_compared_with_the_old_one():
    findings = symptom_findings({"other_problem": 6}, {"other_problem": 1}, "Cough", "Itching")
    assert kinds(findings) == [("new_problem", "other_problem")]


def test_the_same_other_problem_rising_by_three_is_worsening():
    assert kinds(symptom_findings({"other_problem": 5}, {"other_problem": 2}, "Cough", "Cough")) == [
        ("worsening", "other_problem")]
