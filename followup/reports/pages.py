"""What each report page shows: its tables and the charts drawn from the same rows.

The figures are fetched once per page; a chart is built from the very rows its table shows.
"""

from django.utils import formats
from django.utils.translation import gettext, gettext_lazy

from . import queries, tables
from .charts import bar_chart


def _axis_label(period, scope):
    return formats.date_format(period, "MONTH_DAY_FORMAT" if scope.period == "week" else "YEAR_MONTH_FORMAT")


def _category(period, scope):
    return period.isoformat() if scope.period == "week" else f"{period:%Y-%m}"


def _period_words(scope):
    return gettext("week starting ") if scope.period == "week" else ""


def frequency(scope):
    drainage_counts, checkin_counts = queries.drainage_counts(scope), queries.checkin_counts(scope)
    drained = queries.drainages_per_period(scope, drainage_counts)
    called = queries.checkins_per_period(scope, counts=checkin_counts)
    periods = [row[0] for row in drained]
    categories = [_category(period, scope) for period in periods]
    axis = [_axis_label(period, scope) for period in periods]
    drainage_series = [(clinic.name, [per_clinic[clinic.pk] for _, per_clinic, _ in drained]) for clinic in scope.clinics]
    checkin_series = [(gettext("Done"), [row[2] for row in called]), (gettext("Skipped"), [row[3] for row in called]),
                      (gettext("Missed"), [row[4] for row in called]), (gettext("Overdue"), [row[5] for row in called])]
    return {
        "drainage_chart": bar_chart("drainage-chart", gettext("Drainages per week") if scope.period == "week"
                                    else gettext("Drainages per month"), categories, drainage_series,
                                    what=gettext("drainages"), category_label=_period_words(scope), axis_labels=axis),
        "checkin_chart": bar_chart("checkin-chart", gettext("Check-in calls due per week, by outcome") if scope.period == "week"
                                   else gettext("Check-in calls due per month, by outcome"), categories,
                                   checkin_series, what=gettext("check-ins due"), category_label=_period_words(scope),
                                   axis_labels=axis),
        "drainages": tables.drainages_per_period(scope, drained),
        "checkins": tables.checkins_per_period(scope, called),
        "by_clinic": tables.frequency_by_clinic(scope, drainage_counts, checkin_counts),
        "any_drainage": any(total for _, _, total in drained),
        "any_checkin": any(row[1] for row in called),
    }


def patients(scope, sort, page):
    table = tables.patient_statistics(scope, sort=sort, page=page)
    return {"patients": table, "sort": sort, "page": page, "pages": _pages(table.total),
            "headers": sort_headers(table.columns, sort)}


def sort_headers(columns, sort):
    """[(column, sort parameter of its header link, aria-sort or "")]: a header sorts by its
    column in that column's natural direction (counts and volumes largest first), and a second
    click on the sorted column reverses it."""
    current = sort.lstrip("-")
    descending = queries.SORTS[current][1] != sort.startswith("-")
    headers = []
    for column in columns:
        if column.sort is None:
            headers.append((column, "", ""))
        elif column.sort == current:
            headers.append((column, current if sort.startswith("-") else f"-{current}",
                            "descending" if descending else "ascending"))
        else:
            headers.append((column, column.sort, ""))
    return headers


def drainage_log(scope, page):
    table = tables.drainage_log(scope, page=page)
    return {"log": table, "page": page, "pages": _pages(table.total)}


def _pages(total):
    return max(1, -(-(total or 0) // tables.PAGE_SIZE))


STATE_GROUPS = [
    # Chart series: what a lead looks for first (delivered), then what needs a look.
    (gettext_lazy("Delivered"), ["delivered"]),
    (gettext_lazy("Sent, no receipt yet"), ["sent", "sending"]),
    (gettext_lazy("Failed, unknown or expired"), ["failed", "unknown", "expired"]),
    (gettext_lazy("Skipped"), ["skipped"]),
    (gettext_lazy("Cancelled"), ["cancelled"]),
    (gettext_lazy("Planned"), ["planned"]),
]


def reminders(scope):
    per_period = queries.reminders_per_period(scope)
    periods = scope.periods()
    merged = {period: {name: 0 for name, _, _ in queries.REMINDER_STATES} for period in periods}
    for period, _, counts, _ in per_period:
        for name, n in counts.items():
            merged[period][name] += n
    categories = [_category(period, scope) for period in periods]
    axis = [_axis_label(period, scope) for period in periods]
    series = [(str(label), [sum(merged[period][name] for name in names) for period in periods]) for label, names in STATE_GROUPS]
    confirmations = tables.confirmations_per_period(scope)
    return {
        "reminder_chart": bar_chart("reminder-chart", gettext("Reminders per week, by what became of them")
                                    if scope.period == "week" else gettext("Reminders per month, by what became of them"),
                                    categories, series, what=gettext("reminders"), category_label=_period_words(scope),
                                    axis_labels=axis),
        "reminders": tables.reminders_per_period(scope, per_period),
        "skipped": tables.skipped_by_reason(scope),
        "opt_outs": tables.opt_outs_per_period(scope),
        "confirmations": confirmations,
        "any_reminder": bool(per_period),
        "any_sent": bool(confirmations.rows[-1][1]),
    }


def symptoms(scope):
    monthly = queries.severe_share_per_month(scope)
    months = [row[0] for row in monthly]
    by_item = queries.severe_share_by_item(scope)
    acknowledgement = tables.acknowledgement_times(scope)
    return {
        "severe_chart": bar_chart("severe-chart", gettext("Reports with a severe item (%), per month"),
                                  [f"{month:%Y-%m}" for month in months], [(gettext("Severe"), [row[3] for row in monthly])],
                                  unit="%", ceiling=100, axis_labels=[formats.date_format(month, "YEAR_MONTH_FORMAT") for month in months],
                                  counts=[row[1] for row in monthly]),
        "item_chart": bar_chart("item-chart", gettext("Severe scores per ESAS-r item over the range (%)"),
                                [label for label, *_ in by_item], [(gettext("Severe"), [row[3] for row in by_item])],
                                unit="%", ceiling=100, axis_labels=[label.replace("Shortness of Breath", "Breath")
                                                                .replace("Lack of Appetite", "Appetite") for label, *_ in by_item],
                                counts=[row[1] for row in by_item]),
        "severe": tables.severe_share_per_month(scope, monthly),
        "severe_items": tables.severe_share_per_item(scope),
        "acknowledgement": acknowledgement,
        "acknowledgement_any": bool(acknowledgement.rows[-1][1]),
        "call_today": tables.call_today_answers(scope),
        "adherence": tables.self_report_adherence(scope),
        "any_report": any(row[1] for row in monthly),
    }
