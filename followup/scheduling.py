"""The scheduling engine: plain functions, dates in and dates out, no database.

All due times are built from a local date and a local wall-clock time in the patient's zone, then
converted to UTC. Adding an interval works on local dates, so a drainage due "in 3 weeks at 09:00"
is at 09:00 local time even when a daylight-saving change falls in between.
"""

import math
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext, ngettext

MIN_INTERVAL_DAYS = 2
HOME_DRAINAGE_MIN_DAYS = 1  # a catheter may be drained daily (NICE MTG9)
MAX_INTERVAL_MONTHS = 6
# Six months in whole days: a 6-month span is 181 to 184 days long; 183 matches the clinic's
# default-interval limit, and 26 weeks (182 days) is the largest whole number of weeks in it.
MAX_INTERVAL_DAYS = 183
MAX_INTERVAL_WEEKS = 26
SEVERE_SCORE = 7  # ESAS-r 7-10 is severe (Selby 2010)
WORSENING_RISE = 3  # a rise of 3 or more since the previous report
CATHETER_MEDIAN_DAYS = 14


class Unit(TextChoices):
    DAYS = "days", _("days")
    WEEKS = "weeks", _("weeks")
    MONTHS = "months", _("months")


@dataclass(frozen=True)
class Interval:
    count: int
    unit: str = Unit.DAYS

    def __str__(self):
        """"3 weeks", "1 day" in the active language."""
        words = {Unit.DAYS: ngettext("%(count)d day", "%(count)d days", self.count),
                 Unit.WEEKS: ngettext("%(count)d week", "%(count)d weeks", self.count),
                 Unit.MONTHS: ngettext("%(count)d month", "%(count)d months", self.count)}
        return words[Unit(self.unit)] % {"count": self.count}

    def delta(self):
        if self.unit == Unit.MONTHS:
            return relativedelta(months=self.count)
        if self.unit == Unit.WEEKS:
            return relativedelta(weeks=self.count)
        return relativedelta(days=self.count)

    def after(self, day: date) -> date:
        return day + self.delta()

    def validate(self, min_days=MIN_INTERVAL_DAYS):
        """Raise ValueError unless the interval lies between 2 days (`min_days`) and 6 months.

        The bounds are per unit (2-183 days, 1-26 weeks, 1-6 months), so the answer never depends
        on which calendar month it starts from.
        """
        if self.unit not in Unit.values:
            raise ValueError(f"Unknown unit {self.unit!r}: use days, weeks or months.")
        if not isinstance(self.count, int) or isinstance(self.count, bool):
            raise ValueError("The interval must be a whole number.")
        longest = {Unit.DAYS: MAX_INTERVAL_DAYS, Unit.WEEKS: MAX_INTERVAL_WEEKS, Unit.MONTHS: MAX_INTERVAL_MONTHS}
        if self.count < 1 or (self.unit == Unit.DAYS and self.count < min_days):
            raise ValueError(f"The interval must be at least {min_days} day{'s' if min_days != 1 else ''}.")
        if self.count > longest[self.unit]:
            raise ValueError("The interval can be at most 6 months.")
        return self


def at_local(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of `wall` o'clock on `day` in `zone`.

    A wall time that does not exist (in the hour skipped when clocks go forward) moves forward to
    the first real instant after it: the moment the clocks jumped (02:30 on the US spring-forward
    day becomes 03:00). An ambiguous one (clocks go back) takes the first of the two.
    """
    local = datetime.combine(day, wall, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # In the gap. fold=0 reads the wall time with the offset from before the change, which lands
    # past the gap by its own length; fold=1 with the offset from after it, which lands before the
    # gap. The change itself lies between the two: find it to the second.
    before, after = sorted((instant, local.replace(fold=1).astimezone(UTC)))
    new_offset = after.astimezone(zone).utcoffset()
    low, high = math.floor(before.timestamp()), math.ceil(after.timestamp())
    if datetime.fromtimestamp(low, UTC).astimezone(zone).utcoffset() == new_offset:
        return after  # not a simple gap (never seen in the tz database): keep the later reading
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == new_offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def next_due(last_done: datetime, interval: Interval, zone: ZoneInfo, wall: time) -> datetime:
    """When the next event of a series is due: one interval after the last one actually done."""
    return at_local(interval.after(local_date(last_done, zone)), wall, zone)


def intervals_in_days(performed: list[datetime], zone: ZoneInfo) -> list[int]:
    """Days between successive procedures, counted on local dates (oldest first)."""
    days = sorted(local_date(moment, zone) for moment in performed)
    return [(later - earlier).days for earlier, later in zip(days, days[1:])]


def suggested_interval_days(performed: list[datetime], zone: ZoneInfo) -> int | None:
    """The patient's own rhythm: the median of the last three intervals, once there are two drainages.

    Offered to the nurse, never applied silently. Whole days: a half day (the median of two
    intervals) rounds down, because fluid that comes back sooner is the worse surprise. Kept
    within the allowed interval (2 days to 6 months) so that accepting it always works.
    """
    intervals = [days for days in intervals_in_days(performed, zone) if days > 0]
    if not intervals:
        return None
    median = math.floor(statistics.median(intervals[-3:]))
    return min(MAX_INTERVAL_DAYS, max(MIN_INTERVAL_DAYS, median))


def catheter_advisory(performed: list[datetime], zone: ZoneInfo) -> str:
    """Why an indwelling peritoneal catheter may be worth considering, or "" when it is not flagged.

    Flagged with two or more drainages and a median interval (last three) of 14 days or less, or
    when the last three intervals each got shorter. Advisory only: the clinician decides.
    """
    intervals = [days for days in intervals_in_days(performed, zone) if days > 0]
    if not intervals:
        return ""
    median = statistics.median(intervals[-3:])
    if median <= CATHETER_MEDIAN_DAYS:
        return gettext("Median interval %(median)s days (14 or less): consider indwelling peritoneal catheter.") % {
            "median": f"{median:g}"}
    last_three = intervals[-3:]
    if len(last_three) == 3 and last_three[0] > last_three[1] > last_three[2]:
        return gettext("Three successively shorter intervals: consider indwelling peritoneal catheter.")
    return ""


def checkin_brought_forward(current_due: datetime | None, now: datetime, zone: ZoneInfo, wall: time,
                            opens_at: datetime | None = None) -> datetime:
    """After a severe symptom, the next check-in is due the next day (or stays, if already sooner).

    `opens_at` is when the clinic's working day starts today (None on a day off): a report that
    arrives before it brings the check-in to this very day, at `wall` or, if that has passed, at
    the opening."""
    if opens_at is not None and now < opens_at:
        sooner = at_local(local_date(now, zone), wall, zone)
        if sooner <= now:
            sooner = opens_at
    else:
        sooner = at_local(local_date(now, zone) + timedelta(days=1), wall, zone)
    return sooner if current_due is None or current_due > sooner else current_due


# --- Messaging windows and caps ----------------------------------------------------------------


def in_quiet_hours(moment: datetime, zone: ZoneInfo, allowed_from: time, allowed_until: time) -> bool:
    wall = moment.astimezone(zone).time()
    return not (allowed_from <= wall < allowed_until)


def move_out_of_quiet_hours(moment: datetime, zone: ZoneInfo, allowed_from: time, allowed_until: time) -> datetime:
    """The nearest allowed moment on the same local day: early ones wait for the morning, late
    ones come forward to half an hour before the evening limit."""
    local = moment.astimezone(zone)
    if local.time() < allowed_from:
        return at_local(local.date(), allowed_from, zone)
    if local.time() >= allowed_until:
        latest = (datetime.combine(local.date(), allowed_until) - timedelta(minutes=30)).time()
        return at_local(local.date(), max(latest, allowed_from), zone)
    return moment


def quiet_hours_begin(moment: datetime, zone: ZoneInfo, allowed_until: time) -> datetime:
    """When quiet hours begin on the local day of `moment`."""
    return at_local(local_date(moment, zone), allowed_until, zone)


def cap_reason(day: date, taken: list[date], per_day: int, per_week: int) -> str:
    """Why one more text on `day` would break the caps, given the days already taken ("" if it fits).

    The week is any 7 consecutive days, so a text must fit every window that contains it.
    """
    if sum(1 for other in taken if other == day) >= per_day:
        return f"Text cap: at most {per_day} automated text a day."
    for start_offset in range(7):
        start = day - timedelta(days=start_offset)
        end = start + timedelta(days=6)
        if sum(1 for other in taken if start <= other <= end) >= per_week:
            return f"Text cap: at most {per_week} automated texts a week."
    return ""


# --- Symptom alert rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class SymptomFinding:
    kind: str  # "severe", "worsening" or "new_problem"
    item: str
    score: int | None
    previous_score: int | None = None


def symptom_findings(
    current: dict, previous: dict | None, other_name: str = "", previous_other_name: str = ""
) -> list[SymptomFinding]:
    """The alert rules: an item at 7 or more is severe; a rise of 3 or more since the previous
    report is worsening; an "other problem" not named in the previous report is new."""
    findings = []
    for item, score in current.items():
        if score is None:
            continue
        if score >= SEVERE_SCORE:
            findings.append(SymptomFinding("severe", item, score))
        earlier = (previous or {}).get(item)
        if item == "other_problem" and other_name.strip().lower() != previous_other_name.strip().lower():
            earlier = None  # a different problem: not comparable
        if earlier is not None and score - earlier >= WORSENING_RISE:
            findings.append(SymptomFinding("worsening", item, score, earlier))
    if other_name.strip() and other_name.strip().lower() != previous_other_name.strip().lower():
        findings.append(SymptomFinding("new_problem", "other_problem", current.get("other_problem")))
    return findings
