"""The patient page's "days between drainages" chart: an outlier (a gap of months) is cut off at the
top of the scale and marked, so the ordinary intervals stay readable and the axis labels fit."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from followup.charts import interval_chart, scale_top

NEW_YORK = ZoneInfo("America/New_York")


def drainages_after(start, *gaps):
    moments = [start]
    for gap in gaps:
        moments.append(moments[-1] + timedelta(days=gap))
    return moments


def bar_heights(svg):
    return [float(height) for height in re.findall(r'class="bar[^"]*"[^>]*height="([\d.]+)"', svg)]


def test_a_gap_of_years_is_cut_off_at_the_top_and_marked():
    chart = interval_chart(drainages_after(datetime(2019, 1, 1, 15, tzinfo=UTC), 2772, 10, 9, 11), NEW_YORK, current_days=10)
    svg = str(chart.svg)
    assert svg.count('class="clip-marker"') == 1
    assert "<title>2772 days (cut off)</title>" in svg
    axis_numbers = [int(n) for n in re.findall(r'text-anchor="end">(\d+)</text>', svg)]
    assert max(axis_numbers) == 14  # two weeks, not 2,772 days
    assert "drawn cut off at the top of the scale" in chart.description
    assert chart.points[0] == ("to 4 Aug", 2772)  # the table still has the true number


def test_the_cut_bar_fills_the_scale_and_the_others_keep_their_proportions():
    chart = interval_chart(drainages_after(datetime(2026, 1, 1, 15, tzinfo=UTC), 200, 7, 14), NEW_YORK)
    cut, week, fortnight = bar_heights(str(chart.svg))
    assert cut == fortnight  # 14 days is the top of the scale
    assert abs(fortnight - 2 * week) < 0.2


def test_ordinary_intervals_are_never_cut():
    chart = interval_chart(drainages_after(datetime(2026, 1, 1, 15, tzinfo=UTC), 7, 10, 21, 14), NEW_YORK)
    assert "clip-marker" not in str(chart.svg)
    assert scale_top([7, 10, 21, 14]) == 21


def test_the_current_interval_stays_on_the_scale():
    assert scale_top([5, 6, 90], current_days=28) == 28
