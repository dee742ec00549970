"""Server-rendered SVG charts for the patient page: one small chart per ESAS-r item, and the days
between drainages. No JavaScript and no inline style: colours come from classes in app.css.

Each chart carries a text alternative (an SVG <title> and <desc> it is labelled by) and the numbers
it plots, which the page also shows as a table.
"""

import math
import statistics
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from . import esas_r, scheduling
from .models import ESAS_ITEMS

# Small multiples: one viewBox, scaled by CSS to the column width.
WIDTH, HEIGHT = 240, 96
LEFT, RIGHT, TOP, BOTTOM = 24, 8, 8, 18
# An interval longer than this many times the patient's median (a gap of months, a pause in
# hospital) would flatten every other bar: the scale stops there and the long bar is cut, marked.
OUTLIER_FACTOR = 3


@dataclass
class Chart:
    key: str
    title: str
    description: str
    svg: str = ""  # SVG markup, marked safe
    points: list = field(default_factory=list)  # (label, value) pairs, oldest first

    @property
    def latest(self):
        return self.points[-1][1] if self.points else None


def _day(moment: date) -> str:
    return formats.date_format(moment, "MONTH_DAY_FORMAT")


def _x_positions(days: list[date]) -> list[float]:
    """Horizontal positions proportional to time, so a long gap between reports looks long."""
    inner = WIDTH - LEFT - RIGHT
    if len(days) == 1:
        return [LEFT + inner / 2]
    first, last = days[0], days[-1]
    span = (last - first).days or 1
    return [LEFT + inner * (day - first).days / span for day in days]


def _y(score: float, top_value: float) -> float:
    inner = HEIGHT - TOP - BOTTOM
    return TOP + inner * (1 - score / top_value)


def _svg(key, title, description, body) -> SafeString:
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{key}-title {key}-desc" '
        f'focusable="false"><title id="{key}-title">{escape(title)}</title><desc id="{key}-desc">{escape(description)}</desc>'
        f"{body}</svg>"
    )


def _esas_chart(item, label, dated_scores) -> Chart:
    key = f"esas-{item}"
    points = [(_day(day), score) for day, score in dated_scores]
    if not dated_scores:
        return Chart(key, label, gettext("%(item)s: not scored yet.") % {"item": label})
    scores = [score for _, score in dated_scores]
    latest = scores[-1]
    band = (gettext("severe") if latest >= scheduling.SEVERE_SCORE else gettext("moderate") if latest >= 4
            else gettext("mild") if latest >= 1 else gettext("none"))
    description = ngettext(
        "%(item)s: %(count)d score from %(first)s to %(last)s; latest %(latest)s of 10 (%(band)s), lowest %(lowest)s, "
        "highest %(highest)s.",
        "%(item)s: %(count)d scores from %(first)s to %(last)s; latest %(latest)s of 10 (%(band)s), lowest %(lowest)s, "
        "highest %(highest)s.", len(scores)) % {
        "item": label, "count": len(scores), "first": points[0][0], "last": points[-1][0], "latest": latest, "band": band,
        "lowest": min(scores), "highest": max(scores)}
    xs = _x_positions([day for day, _ in dated_scores])
    severe_top, severe_bottom = _y(10, 10), _y(scheduling.SEVERE_SCORE, 10)
    parts = [
        (f'<rect class="band-severe" x="{LEFT}" y="{severe_top:.1f}" width="{WIDTH - LEFT - RIGHT}" '
         f'height="{severe_bottom - severe_top:.1f}"/>'),
    ]
    for value in (0, 5, 10):
        y = _y(value, 10)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{value}</text>')
    coordinates = [(x, _y(score, 10)) for x, score in zip(xs, scores)]
    if len(coordinates) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        parts.append(f'<polyline class="line" points="{path}"/>')
    for (x, y), (day_label, score) in zip(coordinates, points):
        css = "point severe" if score >= scheduling.SEVERE_SCORE else "point"
        parts.append(f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(day_label)}: {score}</title></circle>')
    parts.append(f'<text class="axis" x="{LEFT}" y="{HEIGHT - 4}">{escape(points[0][0])}</text>')
    if len(points) > 1:
        parts.append(f'<text class="axis" x="{WIDTH - RIGHT}" y="{HEIGHT - 4}" text-anchor="end">{escape(points[-1][0])}</text>')
    return Chart(key, label, description, _svg(key, label, description, "".join(parts)), points)


def esas_charts(reports, zone) -> list[Chart]:
    """One chart per ESAS-r item, from `reports` oldest first; an item never scored gets an empty chart."""
    charts = []
    names = esas_r.item_names()  # the reviewed ESAS-r wording of the page's language
    for item, _label in ESAS_ITEMS:
        label = names[item]
        dated = [(scheduling.local_date(report.reported_at, zone), getattr(report, item))
                 for report in reports if getattr(report, item) is not None]
        if item == "other_problem":
            named = [report.other_problem_name for report in reports if report.other_problem is not None]
            if named and named[-1]:
                label = gettext("Other problem (%(name)s)") % {"name": named[-1]}
        charts.append(_esas_chart(item, label, dated))
    return charts


def interval_chart(performed, zone, current_days=None) -> Chart:
    """Bars of the days between successive drainages (local dates), with the current interval as
    a dashed line when it is a whole number of days."""
    key = "drainage-intervals"
    title = gettext("Days between drainages")
    days = sorted(scheduling.local_date(moment, zone) for moment in performed)
    intervals = [(later, (later - earlier).days) for earlier, later in pairwise(days)]
    if not intervals:
        return Chart(key, title, gettext("Fewer than two drainages recorded: no interval yet."))
    points = [(gettext("to %(day)s") % {"day": _day(day)}, length) for day, length in intervals]
    lengths = [length for _, length in intervals]
    top = scale_top(lengths, current_days)
    clipped = [length for length in lengths if length > top]
    description = ngettext("%(count)d interval between drainages, oldest first: %(lengths)s.",
                           "%(count)d intervals between drainages, oldest first: %(lengths)s.", len(lengths)) % {
        "count": len(lengths), "lengths": ", ".join(_days(length) for length in lengths)}
    if current_days:
        description += " " + gettext("Current interval: %(days)s.") % {"days": _days(current_days)}
    if clipped:
        description += " " + ngettext(
            "%(count)d interval longer than %(top)s is drawn cut off at the top of the scale, marked with a triangle.",
            "%(count)d intervals longer than %(top)s are drawn cut off at the top of the scale, marked with a triangle.",
            len(clipped)) % {"count": len(clipped), "top": _days(top)}
    inner = WIDTH - LEFT - RIGHT
    slot = inner / len(lengths)
    bar = max(min(slot * 0.7, 28), 2)
    parts = []
    for value in (0, top // 2, top):
        y = _y(value, top)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{value}</text>')
    for index, ((label, length), (day, _)) in enumerate(zip(points, intervals)):
        x = LEFT + slot * index + (slot - bar) / 2
        y = _y(min(length, top), top)
        height = _y(0, top) - y
        short = " short" if length <= scheduling.CATHETER_MEDIAN_DAYS else ""
        cut = " clipped" if length > top else ""
        parts.append(f'<rect class="bar{short}{cut}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}">'
                     f"<title>{escape(_days(length))}, {escape(label)}</title></rect>")
        if cut:
            middle = x + bar / 2
            parts.append(f'<path class="clip-marker" d="M{middle - 4:.1f},{TOP - 1:.1f} L{middle:.1f},1 '
                         f'L{middle + 4:.1f},{TOP - 1:.1f} Z"><title>{escape(gettext("%(days)s (cut off)") % {"days": _days(length)})}'
                         "</title></path>")
    if current_days:
        y = _y(current_days, top)
        parts.append(f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
    parts.append(f'<text class="axis" x="{LEFT}" y="{HEIGHT - 4}">{escape(_day(intervals[0][0]))}</text>')
    if len(intervals) > 1:
        parts.append(f'<text class="axis" x="{WIDTH - RIGHT}" y="{HEIGHT - 4}" text-anchor="end">{escape(_day(intervals[-1][0]))}</text>')
    return Chart(key, title, description, _svg(key, title, description, "".join(parts)), points)


def _days(count):
    return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}


def scale_top(lengths, current_days=None):
    """The top of the interval chart's scale, in whole weeks: the longest interval, unless that is an
    outlier (over OUTLIER_FACTOR times the median), when the scale ends just above the others."""
    limit = OUTLIER_FACTOR * max(statistics.median(lengths), 1)
    ordinary = [length for length in lengths if length <= limit]  # never empty: half are at most the median
    top = max(max(ordinary), current_days or 0, 7)
    return 7 * math.ceil(top / 7)
