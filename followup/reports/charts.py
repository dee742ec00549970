"""Server-rendered SVG bar charts for the reports: geometry here, markup in reports/_chart.html.

A chart is a picture of a table that is on the same page. It carries its own text alternative
(an SVG <title> and <desc> that say what it shows and its extremes), a <title> on every bar with
its exact number, and a legend in HTML. Colours come from classes in reports.css, chosen to stay
apart for the common colour-vision deficiencies (Okabe-Ito palette).
"""

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext

WIDTH, HEIGHT = 960, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 46
MAX_LABELS = 18  # more category labels than this collide; the others stay in each bar's <title>


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclass
class Chart:
    key: str
    title: str
    description: str
    bars: list = field(default_factory=list)
    ticks: list = field(default_factory=list)  # (y, label)
    labels: list = field(default_factory=list)  # (x, label)
    legend: list = field(default_factory=list)  # (series index, label)
    counts: list = field(default_factory=list)  # (x, "n=3") under each labelled bar of a percentage chart
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    tick_x: int = LEFT - 6
    label_y: float = HEIGHT - BOTTOM + 16

    @property
    def empty(self):
        return not any(bar.height > 0 for bar in self.bars)


def nice_ceiling(value):
    """The axis top: the smallest 1, 2, 2.5 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def axis_ticks(top):
    """Grid lines at whole steps: 4 or 5 of them when the top allows (0, 25, 50, 75, 100)."""
    for parts in (4, 5, 2):
        step = top / parts
        if step == int(step):
            return [step * i for i in range(parts + 1)]
    return [0, top]


def _number(value, unit):
    text = f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return f"{text}{unit}"


def bar_chart(key, title, categories, series, *, unit="", ceiling=None, what="", category_label="", axis_labels=None,
              counts=None):
    """A bar chart: one bar per category, stacked when there are several series.

    `series` is [(label, [value per category])]; None counts as 0 in the picture (and is blank in
    the table). The axis ends at a round number above the highest bar, never above `ceiling`
    (100 for percentages: small shares stay readable); `what` names one unit of the bars in
    the description ("drainages"); `axis_labels` are shorter names for under the bars; `counts` is
    the n behind each bar of a percentage (shown under its label and in its title: 67 % of 3
    reports is not 67 % of 300).
    """
    count = len(categories)
    totals = [sum(values[i] or 0 for _, values in series) for i in range(count)]
    axis_top = nice_ceiling(max(totals, default=0))
    if ceiling is not None:
        axis_top = min(axis_top, ceiling)
    inner_width = WIDTH - LEFT - RIGHT
    inner_height = HEIGHT - TOP - BOTTOM
    slot = inner_width / max(count, 1)
    bar_width = max(slot * 0.7, 1)
    chart = Chart(key=key, title=title, description="")
    for i, category in enumerate(categories):
        x = LEFT + i * slot + (slot - bar_width) / 2
        base = HEIGHT - BOTTOM
        for index, (label, values) in enumerate(series):
            value = values[i] or 0
            height = inner_height * value / axis_top if axis_top else 0
            base -= height
            name = f"{label}: " if len(series) > 1 else ""
            n = f" (n={counts[i]})" if counts is not None else ""
            chart.bars.append(Bar(round(x, 1), round(base, 1), round(bar_width, 1), round(height, 1), index,
                                  f"{category_label}{category} - {name}{_number(values[i] or 0, unit)}{n}"))
    for value in axis_ticks(axis_top):
        y = HEIGHT - BOTTOM - inner_height * value / axis_top
        chart.ticks.append((round(y, 1), _number(float(value) if value % 1 else int(value), unit)))
    every = max(1, math.ceil(count / MAX_LABELS))
    axis_labels = axis_labels or categories
    chart.labels = [(round(LEFT + i * slot + slot / 2, 1), str(axis_labels[i])) for i in range(count) if i % every == 0]
    if counts is not None:
        chart.counts = [(round(LEFT + i * slot + slot / 2, 1), f"n={counts[i]}") for i in range(count) if i % every == 0]
    if len(series) > 1:
        chart.legend = [(index, label) for index, (label, _) in enumerate(series)]
    chart.description = describe(title, categories, series, totals, unit, what, category_label, counts)
    return chart


def describe(title, categories, series, totals, unit, what, category_label, counts=None):
    """The text alternative: what the chart covers, its highest bar and its total."""
    if not categories or not any(totals):
        return gettext("%(title)s: nothing to show in this range.") % {"title": title}
    highest = max(range(len(totals)), key=lambda i: totals[i])
    parts = [gettext("%(title)s, %(first)s to %(last)s.") % {
        "title": title, "first": f"{category_label}{categories[0]}", "last": f"{category_label}{categories[-1]}"}]
    if len(series) > 1:
        parts.append(gettext("Stacked: %(series)s.") % {"series": ", ".join(str(label) for label, _ in series)})
    n = f", n={counts[highest]}" if counts is not None else ""
    parts.append((gettext("Highest: %(value)s %(what)s") % {"value": _number(totals[highest], unit), "what": what}).rstrip()
                 + f" ({category_label}{categories[highest]}{n}).")
    if not unit:
        parts.append((gettext("Total: %(value)s %(what)s") % {"value": sum(totals), "what": what}).rstrip() + ".")
    parts.append(gettext("The numbers are in the table below the chart."))
    return " ".join(parts)
