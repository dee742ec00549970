"""FHIR search parameter values: dates with prefixes, tokens, sort keys, result parameters.

Each parser turns the text of one parameter into something both a queryset (a `Q`) and a list of
built resources (a predicate) can use, or raises SearchError naming the parameter and what it takes.
https://hl7.org/fhir/R4/search.html
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Q
from rest_framework import exceptions


class SearchError(exceptions.ParseError):
    pass


DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
_DATE = re.compile(
    r"(?P<prefix>[a-z]{2})?(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2})"
    r"(?:T(?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?"
)


def _next_month(year, month):
    return (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass(frozen=True)
class DateRange:
    """A date search value: the range its precision covers, [start, end), and the comparison asked for.

    `2026-03` covers all of March; `ge2026-03-23` everything from the start of that day. A value
    without a time zone is read as UTC."""

    prefix: str
    start: datetime
    end: datetime

    def q(self, field):
        if self.prefix == "eq":
            return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})
        if self.prefix == "ne":
            return Q(**{f"{field}__lt": self.start}) | Q(**{f"{field}__gte": self.end})
        if self.prefix in ("gt", "sa"):
            return Q(**{f"{field}__gte": self.end})
        if self.prefix in ("lt", "eb"):
            return Q(**{f"{field}__lt": self.start})
        if self.prefix == "ge":
            return Q(**{f"{field}__gte": self.start})
        return Q(**{f"{field}__lt": self.end})  # le

    def matches(self, moment):
        if moment is None:
            return False
        inside = self.start <= moment < self.end
        return {
            "eq": inside, "ne": not inside, "gt": moment >= self.end, "sa": moment >= self.end,
            "lt": moment < self.start, "eb": moment < self.start, "ge": moment >= self.start,
        }.get(self.prefix, moment < self.end)


def parse_date(name, text):
    match = _DATE.fullmatch(text)
    if not match:
        raise SearchError(f"{name} must be a FHIR date, optionally with a prefix ({', '.join(DATE_PREFIXES)}), "
                          f"e.g. ge2026-03-01 or 2026-03-23T09:00:00Z; not {text!r}.")
    prefix = match["prefix"] or "eq"
    if prefix not in DATE_PREFIXES:
        raise SearchError(f"{name}: the prefix {prefix!r} is not supported (use one of {', '.join(DATE_PREFIXES)}).")
    try:
        year = int(match["year"])
        if match["time"]:
            moment = datetime.fromisoformat(f"{match['year']}-{match['month']}-{match['day']}T{match['time']}"
                                            f"{(match['zone'] or 'Z').replace('Z', '+00:00')}")
            precision = timedelta(seconds=1) if match["time"].count(":") == 2 else timedelta(minutes=1)
            if "." in match["time"]:
                precision = timedelta(microseconds=1)
            return DateRange(prefix, moment.astimezone(UTC), moment.astimezone(UTC) + precision)
        if match["day"]:
            start = date(year, int(match["month"]), int(match["day"]))
            end = start + timedelta(days=1)
        elif match["month"]:
            start = date(year, int(match["month"]), 1)
            end = date(*_next_month(year, start.month), 1)
        else:
            start, end = date(year, 1, 1), date(year + 1, 1, 1)
    except (ValueError, OverflowError):
        raise SearchError(f"{name}: {text!r} is not a real date or time.") from None
    as_moment = lambda day: datetime(day.year, day.month, day.day, tzinfo=UTC)  # noqa: E731
    return DateRange(prefix, as_moment(start), as_moment(end))


def tokens(name, text, allowed=None):
    """A token value, comma-separated for OR. `allowed`: the codes accepted (anything else is a 400)."""
    values = [value.strip() for value in text.split(",")]
    if not all(values):
        raise SearchError(f"{name} must not be empty.")
    if allowed is not None:
        unknown = [value for value in values if value not in allowed]
        if unknown:
            raise SearchError(f"{name}: unknown value(s) {', '.join(map(repr, unknown))}; "
                              f"use one of {', '.join(sorted(allowed))}.")
    return values


def coded(name, text, codes):
    """A `code` token, `system|code`, `|code`... against {(system, code): value}: the values it names."""
    found = set()
    for value in tokens(name, text):
        system, bar, code = value.rpartition("|")
        hits = {hit for (known_system, known_code), hit in codes.items()
                if known_code == code and (not bar or known_system == system)}
        found |= hits
    return found


def sort_keys(text, allowed):
    """`_sort=date,-_lastUpdated` to [(key, descending)], each key one of `allowed`."""
    keys = []
    for value in tokens("_sort", text):
        descending = value.startswith("-")
        key = value.removeprefix("-")
        if key not in allowed:
            raise SearchError(f"_sort: cannot sort by {key!r}; use {', '.join(sorted(allowed))} (with - for descending).")
        keys.append((key, descending))
    return keys
