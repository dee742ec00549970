"""The tables of the reports, defined once for the page and the CSV export.

A table is its columns and rows of already-formatted text, so the export holds exactly the
numbers the page shows (the same rounding, the same blanks). Each builder takes a Scope and
returns a Table; `TABLES` names them for the export URL.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import formats
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Patient
from . import queries
from .queries import REMINDER_STATES

PAGE_SIZE = 50


@dataclass
class Column:
    label: str
    kind: str = "text"  # text, count, days, percent, hours, ml, date, month
    sort: str | None = None
    wrap: bool = False  # long text that may wrap; other cells stay on one line
    of: int | None = None  # a percentage: the index of the column holding its base (n), shown beside it

    @property
    def numeric(self):
        return self.kind not in ("text", "date", "month")

    def text(self, value, *, for_page=False, base=None):
        """The cell as the CSV has it (ISO dates, bare numbers), or as the page shows it
        (`for_page`: dates in the locale's format, a percentage with its n)."""
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            return value  # a label in a number column ("Whole range")
        if self.kind in ("days", "hours"):
            return f"{value:.1f}".rstrip("0").rstrip(".")
        if self.kind == "percent":
            return f"{value:.1f} (n={base})" if for_page and base is not None else f"{value:.1f}"
        if self.kind == "ml":
            return f"{value:.0f}"
        if self.kind == "date":
            return formats.date_format(value, "SHORT_DATE_FORMAT") if for_page else value.isoformat()
        if self.kind == "month":
            return formats.date_format(value, "YEAR_MONTH_FORMAT") if for_page else f"{value:%Y-%m}"
        return str(value)


@dataclass
class Row:
    cells: list
    link: str = ""  # the cell in the table's link column links here (a patient's page)
    columns: list = field(default_factory=list)
    link_column: int = 0

    @property
    def pairs(self):
        """(text, column, link) per cell; the link only on the link column."""
        return [(cell, column, self.link if index == self.link_column else "")
                for index, (cell, column) in enumerate(zip(self.cells, self.columns))]


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: object  # an iterable of tuples of raw values, or of (values, link)
    empty: str = _("Nothing in this range.")
    caption: str = ""
    total: int | None = None  # rows in all pages, when this is one page
    links: bool = False
    link_column: int = 0  # which cell carries the row's link (the patient's name)

    def text_rows(self, for_page=False):
        for raw in self.rows:
            values, link = raw if self.links else (raw, "")
            cells = [column.text(value, for_page=for_page, base=values[column.of] if column.of is not None else None)
                     for column, value in zip(self.columns, values)]
            yield Row(cells, link, self.columns, self.link_column)

    def page_rows(self):
        """The rows for the page (a list: the template walks it and asks whether it is empty)."""
        return list(self.text_rows(for_page=True))

    def header(self):
        return [column.label for column in self.columns]


def _period_column(scope):
    return Column(scope.period_label, "date" if scope.period == "week" else "month")


# --- Procedure frequency ------------------------------------------------------------------------


def drainages_per_period(scope, rows=None):
    rows = rows if rows is not None else queries.drainages_per_period(scope)
    several = len(scope.clinics) > 1
    columns = [_period_column(scope)] + [Column(clinic.name, "count") for clinic in scope.clinics]
    if several:
        columns.append(Column(_("All selected clinics"), "count"))
    body = [(period, *(per_clinic[clinic.pk] for clinic in scope.clinics), *([total] if several else []))
            for period, per_clinic, total in rows]
    return Table("drainages", _("Drainages per week") if scope.period == "week" else _("Drainages per month"), columns, body,
                 empty=_("No drainages were recorded in this range."))


def checkins_per_period(scope, rows=None):
    rows = rows if rows is not None else queries.checkins_per_period(scope)
    columns = [_period_column(scope), Column(_("Due"), "count"), Column(_("Done"), "count"), Column(_("Skipped"), "count"),
               Column(_("Missed"), "count"), Column(_("Overdue"), "count"), Column(_("Not done (%)"), "percent", of=1)]
    return Table("checkins", _("Check-in calls per week: done versus due") if scope.period == "week"
                 else _("Check-in calls per month: done versus due"), columns, rows,
                 empty=_("No check-in calls were due in this range."),
                 caption=_("Due: check-ins whose due date is in the range and has passed. Missed: marked missed. "
                           "Overdue: still open after their due date, as on the worklist. Not done: missed or overdue, "
                           "of those due (n). Cancelled ones (discharge, death) are not counted."))


def frequency_by_clinic(scope, drained=None, called=None):
    columns = [Column(_("Clinic")), Column(_("Drainages"), "count"), Column(_("Patients drained"), "count"),
               Column(_("Check-ins due"), "count"), Column(_("Check-ins done"), "count"), Column(_("Check-ins missed"), "count"),
               Column(_("Check-ins overdue"), "count"), Column(_("Not done (%)"), "percent", of=3)]
    return Table("by-clinic", _("By clinic"), columns, queries.frequency_by_clinic(scope, drained=drained, called=called))


# --- Drainages per patient ----------------------------------------------------------------------

ADVISORY = {"median": _("Median {median} days (14 or less)"), "shortening": _("Three shorter intervals in a row")}


def _last_three(row):
    found = [row["interval_3"], row["interval_2"], row["interval_1"]]
    return ", ".join(str(days) for days in found if days is not None)


def _advisory(row):
    if not row["advisory"]:
        return ""
    median = f"{row['median_of_last_three']:.1f}".rstrip("0").rstrip(".")
    return str(ADVISORY[row["advisory"]]).format(median=median)


PATIENT_COLUMNS = [
    Column(_("Patient"), sort="patient"),
    Column(_("MRN")),
    Column(_("Status"), sort="status"),
    Column(_("Clinic"), sort="clinic", wrap=True),
    Column(_("Drainages"), "count", sort="drainages"),
    Column(_("Median interval (days)"), "days", sort="median"),
    Column(_("Last three intervals (days)"), sort="last_interval"),
    Column(_("Trend"), sort="trend"),
    Column(_("Mean volume (ml)"), "ml", sort="mean_volume"),
    Column(_("Last volume (ml)"), "ml", sort="last_volume"),
    Column(_("Last drainage"), "date", sort="last_drainage"),
    Column(_("Catheter advisory"), sort="advisory", wrap=True),
]


def _patient_values(row):
    return (f"{row['family_name']}, {row['given_name']}", row["mrn"], str(Patient.Status(row["status"]).label), row["clinic_name"],
            row["drainages"],
            row["median_interval"], _last_three(row), row["trend"], row["mean_volume"], row["last_volume"],
            row["last_drainage"], _advisory(row))


def patient_statistics(scope, sort=queries.DEFAULT_SORT, page=None):
    """One page of the table (page >= 1), or every row streamed (page None, for the export)."""
    if page is None:
        rows, total = (_patient_values(row) for row in queries.stream_patient_statistics(scope, sort)), None
        links = False
    else:
        found, total = queries.patient_statistics(scope, sort, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        rows = [(_patient_values(row), reverse("patient", args=[row["patient_id"]])) for row in found]
        links = True
    return Table("patients", _("Drainages per patient"), PATIENT_COLUMNS, rows, total=total, links=links,
                 empty=_("No patient had a drainage in this range."))


DRAINAGE_LOG_COLUMNS = [Column(_("Date"), "date"), Column(_("Patient")), Column(_("MRN")), Column(_("Status")), Column(_("Clinic")),
                        Column(_("Volume (ml)"), "ml"), Column(_("Days since previous drainage"), "count")]


def _log_values(row):
    day, patient_id, family, given, mrn, status, clinic, volume, interval = row
    return (day, f"{family}, {given}", mrn, str(Patient.Status(status).label), clinic, volume, interval), patient_id


def drainage_log(scope, page=None):
    """One page of every drainage in the range (newest first), or all of them streamed."""
    log = queries.drainage_log(scope).values_list(*queries.DRAINAGE_LOG_FIELDS)
    if page is None:
        rows = (_log_values(row)[0] for row in log.iterator(chunk_size=2000))
        return Table("drainage-log", _("Drainage log"), DRAINAGE_LOG_COLUMNS, rows)
    total = scope.patients_with_status(queries.drainages(scope)).count()
    rows = [(values, reverse("patient", args=[patient_id]))
            for values, patient_id in map(_log_values, log[(page - 1) * PAGE_SIZE:page * PAGE_SIZE])]
    return Table("drainage-log", _("Drainage log"), DRAINAGE_LOG_COLUMNS, rows, total=total, links=True, link_column=1,
                 empty=_("No drainages were recorded in this range."))


# --- Reminder delivery --------------------------------------------------------------------------

CHANNELS = {"sms": _("Text message"), "email": _("E-mail")}


def reminders_per_period(scope, rows=None):
    rows = rows if rows is not None else queries.reminders_per_period(scope)
    columns = ([_period_column(scope), Column(_("Channel"))] + [Column(label, "count") for _, label, _ in REMINDER_STATES]
               + [Column(_("Total"), "count")])
    body = [(period, str(CHANNELS.get(channel, channel)), *(counts[name] for name, _, _ in REMINDER_STATES), total)
            for period, channel, counts, total in rows]
    return Table("reminders", _("Reminders per week and channel, by what became of them") if scope.period == "week"
                 else _("Reminders per month and channel, by what became of them"), columns, body,
                 empty=_("No reminders were due to go out in this range."),
                 caption=_("Each reminder is counted once, in its state now, in the week of its send time."))


def skipped_by_reason(scope):
    columns = [Column(_("Reason"), wrap=True), Column(_("Channel")), Column(_("Skipped"), "count")]
    rows = [(reason, str(CHANNELS.get(channel, channel)), n) for reason, channel, n in queries.skipped_by_reason(scope)]
    return Table("skipped", _("Skipped reminders by reason"), columns, rows, empty=_("No reminder was skipped in this range."))


def opt_outs_per_period(scope):
    columns = [_period_column(scope), Column(_("How")), Column(_("Patients"), "count"), Column(_("Caregivers"), "count")]
    return Table("opt-outs", _("Opt-outs"), columns, queries.opt_outs_per_period(scope),
                 empty=_("Nobody opted out of messages in this range."),
                 caption=_("Patients and caregivers who stopped automated messages in the range and have not opted back in."))


def confirmations_per_period(scope):
    columns = [_period_column(scope), Column(_("Drainage reminders sent"), "count"), Column(_("Confirmed"), "count"),
               Column(_("Confirmation rate (%)"), "percent", of=1)]
    rows = [(period if period is not None else gettext("Whole range"), *figures)
            for period, *figures in queries.confirmations_per_period(scope)]
    return Table("confirmations", _("Drainage reminders confirmed"), columns, rows,
                 empty=_("No drainage reminder was sent in this range."),
                 caption=_("Confirmed: the recipient replied to say they are coming. Sent: accepted by the provider."))


# --- Symptom burden -----------------------------------------------------------------------------


def severe_share_per_month(scope, rows=None):
    rows = rows if rows is not None else queries.severe_share_per_month(scope)
    columns = [Column(_("Month"), "month"), Column(_("Reports"), "count"), Column(_("With a severe item"), "count"),
               Column(_("Severe (%)"), "percent", of=1)]
    return Table("severe", _("Symptom reports with a severe item (7-10), per month"), columns, rows,
                 empty=_("No symptom reports in this range."))


def severe_share_per_item(scope):
    columns = [Column(_("Month"), "month"), Column(_("ESAS-r item")), Column(_("Reports scoring it"), "count"),
               Column(_("Severe (7-10)"), "count"), Column(_("Severe (%)"), "percent", of=2)]
    return Table("severe-items", _("Severe scores per ESAS-r item, per month"), columns, queries.severe_share_per_item(scope),
                 empty=_("No symptom reports in this range."),
                 caption=_("A report that left an item blank (not asked) does not count for that item."))


def acknowledgement_times(scope):
    columns = [Column(_("Month"), "month"), Column(_("Severe alerts"), "count"), Column(_("Acknowledged"), "count"),
               Column(_("Not yet acknowledged"), "count"), Column(_("Median wait (hours)"), "hours"),
               Column(_("90th percentile wait (hours)"), "hours")]
    rows = [(month if month is not None else gettext("Whole range"), *figures)
            for month, *figures in queries.acknowledgement_times(scope)]
    return Table("acknowledgement", _("Time from a severe alert to its acknowledgement"), columns, rows,
                 empty=_("No severe symptom alerts in this range."),
                 caption=_("From the alert to a nurse's acknowledgement, for alerts raised in the range."))


def call_today_answers(scope):
    from ..call_today import answers_with_severe_scores

    columns = [Column(_("Do you need a call today?")), Column(_("Reports"), "count"), Column(_("With a severe item"), "count"),
               Column(_("Severe (%)"), "percent")]
    return Table("call-today", _("\"Do you need a call from your team today?\": answers and severe scores"), columns,
                 answers_with_severe_scores(queries.symptom_reports(scope)), empty=_("No symptom reports in this range."),
                 caption=_("The question ends the web form and the keypad survey; reports from nurses and texts are "
                           "not asked it. A severe item scores 7 to 10."))


def self_report_adherence(scope):
    from ..adherence import PRO_TECT_SHARE, per_clinic_month

    columns = [Column(_("Clinic")), Column(_("Month"), "month"), Column(_("Expected self-reports"), "count"),
               Column(_("Completed"), "count"), Column(_("Adherence (%)"), "percent")]
    rows = [(clinic.name, month, expected, completed, percent)
            for clinic, month, expected, completed, percent in per_clinic_month(scope.clinics, scope.start, scope.end)]
    return Table("adherence", _("Self-reports completed against expected, per clinic and month"), columns, rows,
                 empty=_("No self-report was expected in this range."),
                 caption=format_lazy(_("One expected per patient per window of the clinic's self-report cadence (weekly by "
                                       "default), counted in the month the window ends. PRO-TECT completed {share}% of "
                                       "expected weekly surveys."), share=f"{PRO_TECT_SHARE:.0f}"))


SMALL_TABLES = {
    "drainages": drainages_per_period,
    "checkins": checkins_per_period,
    "by-clinic": frequency_by_clinic,
    "reminders": reminders_per_period,
    "skipped": skipped_by_reason,
    "opt-outs": opt_outs_per_period,
    "confirmations": confirmations_per_period,
    "severe": severe_share_per_month,
    "severe-items": severe_share_per_item,
    "acknowledgement": acknowledgement_times,
    "call-today": call_today_answers,
    "adherence": self_report_adherence,
}
EXPORTS = {*SMALL_TABLES, "patients", "drainage-log"}


def for_export(key, scope, sort=None):
    """The whole table `key` for the CSV export; the two that grow with the data are streamed."""
    if key == "patients":
        return patient_statistics(scope, sort=sort or queries.DEFAULT_SORT)
    if key == "drainage-log":
        return drainage_log(scope)
    return SMALL_TABLES[key](scope)
