"""The SVG bar charts: bars to scale, a readable axis, and a text alternative that says what they show."""

import pytest

from followup.reports.charts import axis_ticks, bar_chart, nice_ceiling


@pytest.mark.parametrize("value, top", [(0, 1), (1, 1), (3, 5), (7, 10), (12, 20), (24, 25), (26, 50), (99, 100), (101, 200)])
def test_axis_top_is_a_round_number_at_or_above_the_highest_bar(value, top):
    assert nice_ceiling(value) == top


@pytest.mark.parametrize("top, ticks", [(1, [0, 1]), (2, [0, 1, 2]), (5, [0, 1, 2, 3, 4, 5]), (20, [0, 5, 10, 15, 20]),
                                         (25, [0, 5, 10, 15, 20, 25]), (100, [0, 25, 50, 75, 100])])
def test_grid_lines_fall_on_whole_numbers(top, ticks):
    assert axis_ticks(top) == ticks


def test_bars_are_to_scale_and_stack_per_category():
    chart = bar_chart("c", "Drainages per week", ["2026-03-02", "2026-03-09"], [("Riverside", [2, 4]), ("Hillcrest", [3, 0])],
                      what="drainages", category_label="week starting ")
    heights = [(bar.series, bar.height) for bar in chart.bars]
    assert heights == [(0, 80.0), (1, 120.0), (0, 160.0), (1, 0.0)]  # axis top 5; 200 px for the full height
    riverside, hillcrest = chart.bars[0], chart.bars[1]
    assert hillcrest.y + hillcrest.height == riverside.y  # stacked on top
    assert riverside.title == "week starting 2026-03-02 - Riverside: 2"
    assert chart.legend == [(0, "Riverside"), (1, "Hillcrest")]
    assert [label for _, label in chart.ticks] == ["0", "1", "2", "3", "4", "5"]


def test_text_alternative_names_the_range_the_highest_bar_and_the_total():
    chart = bar_chart("c", "Drainages per week", ["2026-03-02", "2026-03-09"], [("Riverside", [2, 4]), ("Hillcrest", [3, 0])],
                      what="drainages", category_label="week starting ")
    assert chart.description == (
        "Drainages per week, week starting 2026-03-02 to week starting 2026-03-09. Stacked: Riverside, Hillcrest. "
        "Highest: 5 drainages (week starting 2026-03-02). Total: 9 drainages. The numbers are in the table below the chart.")


def test_percentages_scale_to_the_highest_share_up_to_100_and_have_no_total():
    chart = bar_chart("c", "Severe (%)", ["2026-02", "2026-03"], [("Severe", [25.0, None])], unit="%", ceiling=100)
    assert [bar.height for bar in chart.bars] == [200.0, 0.0]  # axis 0-25 %: a small share stays visible
    assert [label for _, label in chart.ticks] == ["0%", "5%", "10%", "15%", "20%", "25%"]
    assert bar_chart("c", "Severe (%)", ["2026-02"], [("Severe", [96.0])], unit="%", ceiling=100).ticks[-1][1] == "100%"
    assert chart.description == "Severe (%), 2026-02 to 2026-03. Highest: 25% (2026-02). The numbers are in the table below the chart."


def test_many_categories_label_every_few_bars_only():
    weeks = [f"w{i}" for i in range(52)]
    chart = bar_chart("c", "Per week", weeks, [("n", [1] * 52)])
    assert len(chart.bars) == 52
    assert [label for _, label in chart.labels][:3] == ["w0", "w3", "w6"]


def test_an_empty_chart_says_so():
    chart = bar_chart("c", "Drainages per week", ["2026-03-02"], [("Riverside", [0])])
    assert chart.empty
    assert chart.description == "Drainages per week: nothing to show in this range."
