"""A clinic's working week: plain functions, no database.

The week is {weekday (0 = Monday): (opens, closes)} in the clinic's zone; a weekday missing from it
is a day off. Moments are aware datetimes; answers are in UTC. Built on `scheduling.at_local`, so a
day with a daylight-saving change still opens at its wall-clock time.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import scheduling

DEFAULT_WEEK = {weekday: (time(9, 0), time(17, 0)) for weekday in range(5)}  # Monday to Friday, 09:00-17:00
# Looking further than this for an opening means the clinic has no working hours at all.
HORIZON_DAYS = 14


def day_window(week, zone: ZoneInfo, day: date):
    """(opens, closes) on the local `day`, or None on a day off."""
    hours = week.get(day.weekday())
    if hours is None:
        return None
    return scheduling.at_local(day, hours[0], zone), scheduling.at_local(day, hours[1], zone)


def is_open(week, zone: ZoneInfo, moment: datetime) -> bool:
    window = day_window(week, zone, scheduling.local_date(moment, zone))
    return window is not None and window[0] <= moment < window[1]


def next_opening(week, zone: ZoneInfo, moment: datetime) -> datetime | None:
    """`moment` if the team works then, else when it next opens (None: no working hours at all)."""
    day = scheduling.local_date(moment, zone)
    for offset in range(HORIZON_DAYS):
        window = day_window(week, zone, day + timedelta(days=offset))
        if window is None or moment >= window[1]:
            continue
        return max(moment, window[0])
    return None


def add_working_hours(week, zone: ZoneInfo, moment: datetime, hours: float) -> datetime | None:
    """The moment `hours` of working time after `moment`: the clock runs only while the team works."""
    left = timedelta(hours=hours)
    current = moment
    for _ in range(HORIZON_DAYS * 8):
        start = next_opening(week, zone, current)
        if start is None:
            return None
        closes = day_window(week, zone, scheduling.local_date(start, zone))[1]
        if start + left <= closes:
            return start + left
        left -= closes - start
        current = closes
    return None
