"""Every figure of the reports, computed in the database.

Each function takes a `Scope` (the lead's clinics, a date range, a period) and returns small,
already-aggregated rows: counts per week, per clinic, per patient. Nothing here loads procedures,
reminders or reports into Python one by one; the two tables that grow with the data (drainages
per patient, the drainage log) are streamed from the database.

Dates are the patient's local dates: a drainage at 23:30 in Los Angeles belongs to that day, as
on the patient's page and in the scheduling engine's interval rule.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.db import connections
from django.db.models import Count, DateField, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy

from .. import scheduling
from .. import esas_r
from ..models import (ESAS_ITEMS, AdvisoryAnswer, Alert, Caregiver, Catheter, Clinic, Kind, Occurrence, Patient, Procedure, Reminder,
                      SymptomReport)
from .expressions import DayNumber, DaysBetween, HoursBetween, LocalDate, compiled, percentile, with_percentile_ranks

PERIODS = {"week": (gettext_lazy("Week starting"), TruncWeek), "month": (gettext_lazy("Month"), TruncMonth)}


@dataclass(frozen=True)
class Scope:
    """What a report covers: some of the lead's clinics, local dates start..end (both included)."""

    clinics: tuple
    start: date
    end: date
    period: str = "week"
    status: str = "all"  # the per-patient tables: one patient status, or "all"

    def patients_with_status(self, queryset, field="patient__status"):
        return queryset if self.status == "all" else queryset.filter(**{field: self.status})

    @property
    def clinic_ids(self):
        return [clinic.pk for clinic in self.clinics]

    @property
    def utc_bounds(self):
        """A UTC window sure to contain every instant whose local date is in the range.

        Zones lie within a day of UTC, so a day's margin on each side lets the indexes on the
        timestamp columns narrow the rows before the exact local-date test.
        """
        return (datetime.combine(self.start, time.min, UTC) - timedelta(days=1),
                datetime.combine(self.end + timedelta(days=1), time.min, UTC) + timedelta(days=1))

    @property
    def period_label(self):
        return PERIODS[self.period][0]

    def truncate(self, expression):
        return PERIODS[self.period][1](expression, output_field=DateField())

    def period_of(self, day):
        if self.period == "month":
            return day.replace(day=1)
        return day - timedelta(days=day.weekday())

    def periods(self):
        """Every period start the range touches, oldest first, so empty weeks show as zero."""
        current, last = self.period_of(self.start), self.period_of(self.end)
        step = relativedelta(months=1) if self.period == "month" else relativedelta(weeks=1)
        found = []
        while current <= last:
            found.append(current)
            current += step
        return found

    def local_day(self, field, zone="patient__time_zone"):
        return LocalDate(field, zone)

    def in_range(self, queryset, field, zone="patient__time_zone"):
        """`queryset` narrowed to rows whose `field` falls on a local date in the range, with that
        date annotated as `day`."""
        low, high = self.utc_bounds
        return (queryset.filter(**{f"{field}__gte": low, f"{field}__lt": high})
                .annotate(day=self.local_day(field, zone))
                .filter(day__gte=self.start, day__lte=self.end))


def as_date(value):
    """Dates from raw SQL: PostgreSQL gives date or datetime, SQLite an ISO string."""
    if value is None or type(value) is date:
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def share(part, whole):
    """Percentage, or None when there is nothing to divide by (shown blank, never 0 %)."""
    return None if not whole else 100.0 * part / whole


# --- Procedure frequency ------------------------------------------------------------------------


def drainages(scope):
    return scope.in_range(Procedure.objects.filter(kind=Kind.PARACENTESIS, patient__clinic__in=scope.clinic_ids), "performed_at")


def drainage_counts(scope):
    """{(period start, clinic id): drainages}: one query serves the weekly table and the clinic totals."""
    rows = (drainages(scope).annotate(period=scope.truncate("day"))
            .values("period", "patient__clinic_id").annotate(n=Count("id")).order_by())
    return {(as_date(row["period"]), row["patient__clinic_id"]): row["n"] for row in rows}


def drainages_per_period(scope, counts=None):
    """[(period start, {clinic id: drainages}, total)] for every period of the range."""
    counts = drainage_counts(scope) if counts is None else counts
    rows = []
    for period in scope.periods():
        per_clinic = {clinic.pk: counts.get((period, clinic.pk), 0) for clinic in scope.clinics}
        rows.append((period, per_clinic, sum(per_clinic.values())))
    return rows


def checkins(scope, now=None):
    """Check-in calls due in the range that are past due by now.

    An open check-in whose local due date has passed is overdue (the worklist's word); one marked
    missed is missed; one due today or later is not due yet. Cancelled ones (a patient discharged or
    died) were never owed.
    """
    now = now or timezone.now()
    today = LocalDate(Value(now), "patient__time_zone")
    return (Occurrence.objects.filter(kind=Kind.CHECKIN, patient__clinic__in=scope.clinic_ids,
                                      due_date__gte=scope.start, due_date__lte=scope.end)
            .exclude(state=Occurrence.State.CANCELLED)
            .exclude(state=Occurrence.State.SCHEDULED, due_date__gte=today))


CHECKIN_FIGURES = ("due", "done", "skipped", "missed", "overdue")


def checkin_counts(scope, now=None):
    """{(period start, clinic id): {due, done, skipped, missed, overdue}}."""
    rows = (checkins(scope, now).annotate(period=scope.truncate("due_date")).values("period", "patient__clinic_id")
            .annotate(due=Count("id"), done=Count("id", filter=Q(state=Occurrence.State.DONE)),
                      skipped=Count("id", filter=Q(state=Occurrence.State.SKIPPED)),
                      missed=Count("id", filter=Q(state=Occurrence.State.MISSED)),
                      overdue=Count("id", filter=Q(state=Occurrence.State.SCHEDULED)))
            .order_by())
    return {(as_date(row["period"]), row["patient__clinic_id"]): {name: row[name] for name in CHECKIN_FIGURES} for row in rows}


def _add(figures, more):
    return {name: figures[name] + more[name] for name in CHECKIN_FIGURES}


NO_CHECKINS = dict.fromkeys(CHECKIN_FIGURES, 0)


def checkins_per_period(scope, now=None, counts=None):
    """[(period start, due, done, skipped, missed, overdue, not done %)] for every period of the range."""
    counts = checkin_counts(scope, now) if counts is None else counts
    rows = []
    for period in scope.periods():
        row = NO_CHECKINS
        for clinic in scope.clinics:
            row = _add(row, counts.get((period, clinic.pk), NO_CHECKINS))
        rows.append((period, row["due"], row["done"], row["skipped"], row["missed"], row["overdue"],
                     share(row["missed"] + row["overdue"], row["due"])))
    return rows


def frequency_by_clinic(scope, now=None, drained=None, called=None):
    """[(clinic name, drainages, patients drained, check-ins due, done, missed, overdue, not done %)],
    one row per clinic and a last row for all of them together."""
    drained = drainage_counts(scope) if drained is None else drained
    called = checkin_counts(scope, now) if called is None else called
    patients = dict(drainages(scope).values_list("patient__clinic_id").annotate(n=Count("patient_id", distinct=True)).order_by())
    rows, totals = [], [0, 0, 0, 0, 0, 0]
    for clinic in scope.clinics:
        calls = NO_CHECKINS
        for (_, clinic_id), figures in called.items():
            if clinic_id == clinic.pk:
                calls = _add(calls, figures)
        figures = [sum(n for (_, clinic_id), n in drained.items() if clinic_id == clinic.pk), patients.get(clinic.pk, 0),
                   calls["due"], calls["done"], calls["missed"], calls["overdue"]]
        totals = [a + b for a, b in zip(totals, figures)]
        rows.append((clinic.name, *figures, share(figures[4] + figures[5], figures[2])))
    if len(scope.clinics) > 1:
        rows.append((gettext("All selected clinics"), *totals, share(totals[4] + totals[5], totals[2])))
    return rows


# --- Drainage log and per-patient statistics ----------------------------------------------------


def drainage_log(scope):
    """Every drainage in the range, newest first, with the days since the patient's previous one.

    The previous drainage may lie before the range, so it is looked up per row (one step back on
    the (patient, kind, performed_at) index) rather than with LAG over the range's rows only.
    """
    previous = (Procedure.objects.filter(patient=OuterRef("patient"), kind=Kind.PARACENTESIS,
                                         performed_at__lt=OuterRef("performed_at"))
                .order_by("-performed_at").values("performed_at")[:1])
    return (scope.patients_with_status(drainages(scope))
            .annotate(previous_day=LocalDate(Subquery(previous), "patient__time_zone"))
            .annotate(interval_days=DaysBetween(F("day"), F("previous_day")))
            .order_by("-performed_at", "-id"))


DRAINAGE_LOG_FIELDS = ("day", "patient_id", "patient__family_name", "patient__given_name", "patient__mrn",
                       "patient__status", "patient__clinic__name", "volume_ml", "interval_days")


SORTS = {
    # key: (SQL to order by, default direction descending?)
    "patient": ("family_name, given_name", False),
    "clinic": ("clinic_name", False),
    "status": ("status", False),
    "drainages": ("drainages", True),
    "median": ("median_interval", False),
    "last_interval": ("interval_1", False),
    "trend": ("trend_order", False),
    "mean_volume": ("mean_volume", True),
    "last_volume": ("last_volume", True),
    "last_drainage": ("last_day", True),
    "advisory": ("advisory_order", False),
}
DEFAULT_SORT = "advisory"


def _median_of_three(a, b, c):
    """SQL for the middle one of three non-null values."""
    return (f"CASE WHEN ({a} - {b}) * ({a} - {c}) <= 0 THEN {a} "
            f"WHEN ({b} - {a}) * ({b} - {c}) <= 0 THEN {b} ELSE {c} END")


def patient_statistics_sql(scope, sort=DEFAULT_SORT, limit=None, offset=0):
    """One statement: a row per patient with a drainage in the range. Returns (sql, params).

    Definitions (docs/reports.md says the same):
    - intervals are the days between successive drainage days of a patient, on the patient's
      local dates (two drainages on one day make no interval, as in the scheduling rule); an
      interval belongs to the later drainage;
    - drainages, mean volume and the median interval count what falls in the range (the first
      drainage in the range is measured from the one before it, even before the range);
    - the last three intervals, their trend and the catheter advisory are as of the end of the
      range, over the patient's whole history up to then: with the default range (ending today)
      they are what the patient's page shows.

    Layers, inside out: (a) the ORM groups drainages by patient and local day, for the patients
    with a drainage in the range; (b) LAG and LEAD over each patient's days give the interval
    ending on each day and the two before it, so the last day carries the last three; (c) GROUP BY
    patient, with the median of the intervals in the range (`percentile`: percentile_cont on
    PostgreSQL, ranks on SQLite); (d) the trend and the advisory from the last three, the last
    drainage's volume, names, order and the page.
    """
    connection = connections[Procedure.objects.db]
    qn = connection.ops.quote_name
    # Patients drained within a day of the range (in UTC: cheap, no time zone per row); those whose
    # drainages all fall just outside it in their own zone drop out at the HAVING below.
    low, high = scope.utc_bounds
    nearly_in_range = Procedure.objects.filter(kind=Kind.PARACENTESIS, performed_at__gte=low, performed_at__lt=high).values("patient_id")
    days = (scope.patients_with_status(Procedure.objects.filter(
                kind=Kind.PARACENTESIS, patient__clinic__in=scope.clinic_ids, performed_at__lt=scope.utc_bounds[1],
                patient__in=nearly_in_range))
            .annotate(day=LocalDate("performed_at", "patient__time_zone"))
            .filter(day__lte=scope.end)
            .annotate(day_number=DayNumber("day"))
            .values("patient_id", "day_number")
            .annotate(drainages=Count("id"), volume_sum=Sum("volume_ml"), volumes=Count("volume_ml"), last_at=Max("performed_at"))
            .order_by())
    days_sql, params = compiled(days)
    first = DayNumber.of(scope.start)  # an int: safe to write into the statement
    spaced = f"""
        SELECT d.*,
          d.day_number - LAG(d.day_number, 1) OVER w AS interval_days,
          LAG(d.day_number, 1) OVER w - LAG(d.day_number, 2) OVER w AS interval_before,
          LAG(d.day_number, 2) OVER w - LAG(d.day_number, 3) OVER w AS interval_before_that,
          LEAD(d.day_number, 1) OVER w AS next_day,
          CASE WHEN d.day_number >= {first} THEN 1 ELSE 0 END AS in_range
        FROM ({days_sql}) d
        WINDOW w AS (PARTITION BY d.patient_id ORDER BY d.day_number)"""
    counted = "in_range = 1 AND interval_days IS NOT NULL"
    ranked = with_percentile_ranks(spaced, connection.vendor, partition="patient_id", value="interval_days", condition=counted)
    median = percentile("interval_days", 0.5, counted, connection.vendor)
    latest = "next_day IS NULL"
    per_patient = f"""
        SELECT r.patient_id,
          SUM(r.in_range * r.drainages) AS drainages,
          {median} AS median_interval,
          MAX(CASE WHEN {latest} THEN r.interval_days END) AS interval_1,
          MAX(CASE WHEN {latest} THEN r.interval_before END) AS interval_2,
          MAX(CASE WHEN {latest} THEN r.interval_before_that END) AS interval_3,
          SUM(r.in_range * r.volume_sum) * 1.0 / NULLIF(SUM(r.in_range * r.volumes), 0) AS mean_volume,
          MAX(r.day_number) AS last_day,
          MAX(r.last_at) AS last_at
        FROM ({ranked}) r
        GROUP BY r.patient_id
        HAVING SUM(r.in_range) > 0"""
    # interval_1 is the latest, interval_3 the oldest of the three.
    median_of_last = (f"CASE WHEN s.interval_3 IS NOT NULL THEN {_median_of_three('s.interval_1', 's.interval_2', 's.interval_3')} "
                      "WHEN s.interval_2 IS NOT NULL THEN (s.interval_1 + s.interval_2) / 2.0 "
                      "ELSE s.interval_1 END")
    trend = ("CASE WHEN s.interval_3 IS NULL THEN '' "
             "WHEN s.interval_3 > s.interval_2 AND s.interval_2 > s.interval_1 THEN 'shortening' "
             "WHEN s.interval_3 < s.interval_2 AND s.interval_2 < s.interval_1 THEN 'lengthening' "
             "ELSE 'steady' END")
    patient, clinic, procedure = (qn(model._meta.db_table) for model in (Patient, Clinic, Procedure))
    catheter, answer = (qn(model._meta.db_table) for model in (Catheter, AdvisoryAnswer))
    # No advisory for a patient not active, with a catheter, or while an answer silences it (a
    # date literal: safe, and it keeps the parameters in the order of the statement).
    today = timezone.localdate().isoformat()
    quiet = (f"(p.status <> 'active' OR EXISTS (SELECT 1 FROM {catheter} k WHERE k.patient_id = s.patient_id "
             f"AND k.removed_on IS NULL) OR EXISTS (SELECT 1 FROM {answer} a WHERE a.patient_id = s.patient_id "
             f"AND a.silenced_until > '{today}'))")
    with_trend = f"""
        SELECT s.*, p.given_name, p.family_name, p.mrn, p.status, c.name AS clinic_name, lp.volume_ml AS last_volume,
          {median_of_last} AS median_of_last_three, {trend} AS trend,
          CASE WHEN {quiet} THEN 1 ELSE 0 END AS advisory_quiet
        FROM ({per_patient}) s
        JOIN {patient} p ON p.id = s.patient_id
        JOIN {clinic} c ON c.id = p.clinic_id
        LEFT JOIN {procedure} lp ON lp.patient_id = s.patient_id AND lp.kind = %s AND lp.performed_at = s.last_at"""
    params = (*params, Kind.PARACENTESIS.value)
    limit_days = scheduling.CATHETER_MEDIAN_DAYS
    # The advisory is for patients still in active care, as on the patient's page, and never for a
    # patient with a catheter or while an answer silences it.
    advisory = (f"CASE WHEN t.status <> 'active' OR t.advisory_quiet = 1 THEN '' WHEN t.median_of_last_three <= {limit_days} THEN 'median' "
                "WHEN t.trend = 'shortening' THEN 'shortening' ELSE '' END")
    key = sort.lstrip("-")
    order_sql, descending_first = SORTS.get(key, SORTS[DEFAULT_SORT])
    descending = descending_first != sort.startswith("-")
    direction = "DESC" if descending else "ASC"
    order = ", ".join(f"{column.strip()} {direction} NULLS LAST" for column in order_sql.split(","))
    page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    sql = f"""
        SELECT * FROM (
          SELECT t.*, {advisory} AS advisory,
            CASE t.trend WHEN 'shortening' THEN 1 WHEN 'steady' THEN 2 WHEN 'lengthening' THEN 3 END AS trend_order,
            CASE WHEN t.status <> 'active' OR t.advisory_quiet = 1 THEN NULL WHEN t.median_of_last_three <= {limit_days} THEN t.median_of_last_three
                 WHEN t.trend = 'shortening' THEN 1000 END AS advisory_order,
            COUNT(*) OVER () AS total
          FROM ({with_trend}) t
        ) u
        ORDER BY {order}, family_name ASC, given_name ASC, patient_id ASC{page}"""
    return sql, params


def _patient_row(names, values):
    row = dict(zip(names, values))
    row["last_drainage"] = DayNumber.to_date(row["last_day"])
    for key in ("median_interval", "mean_volume", "median_of_last_three"):
        if row[key] is not None:
            row[key] = float(row[key])
    return row


def patient_statistics(scope, sort=DEFAULT_SORT, limit=None, offset=0):
    """(rows, total) for one page of the per-patient table."""
    sql, params = patient_statistics_sql(scope, sort, limit, offset)
    with connections[Procedure.objects.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        rows = [_patient_row(names, values) for values in cursor.fetchall()]
    return rows, (rows[0]["total"] if rows else 0)


def stream_patient_statistics(scope, sort=DEFAULT_SORT, chunk_size=500):
    """Every row of the per-patient table, fetched from a server-side cursor (PostgreSQL) in
    chunks, so memory stays flat however many patients there are."""
    sql, params = patient_statistics_sql(scope, sort)
    cursor = connections[Procedure.objects.db].chunked_cursor()
    try:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        while chunk := cursor.fetchmany(chunk_size):
            for values in chunk:
                yield _patient_row(names, values)
    finally:
        cursor.close()


# --- Reminder delivery --------------------------------------------------------------------------

S = Reminder.State
REMINDER_STATES = [
    # (column, label, states): what a lead asks, in the order a reminder lives.
    ("planned", gettext_lazy("Planned"), [S.PLANNED]),
    ("sending", gettext_lazy("Being sent"), [S.QUEUED, S.SENDING]),
    ("sent", gettext_lazy("Sent"), [S.SENT]),
    ("delivered", gettext_lazy("Delivered"), [S.DELIVERED]),
    ("failed", gettext_lazy("Failed"), [S.FAILED]),
    ("unknown", gettext_lazy("Outcome unknown"), [S.UNKNOWN]),
    ("expired", gettext_lazy("Expired"), [S.EXPIRED]),
    ("skipped", gettext_lazy("Skipped"), [S.SKIPPED]),
    ("cancelled", gettext_lazy("Cancelled"), [S.CANCELLED]),
]
DRAINAGE_PURPOSES = [Reminder.Purpose.DAY_BEFORE, Reminder.Purpose.MORNING_OF]


def reminders(scope):
    """Reminders whose send time falls in the range (planned or sent, whatever became of them)."""
    return scope.in_range(Reminder.objects.filter(patient__clinic__in=scope.clinic_ids), "send_at")


def reminders_per_period(scope):
    """[(period start, channel, {state column: n}, total)] for periods and channels with reminders."""
    counts = {name: Count("id", filter=Q(state__in=states)) for name, _, states in REMINDER_STATES}
    rows = (reminders(scope).annotate(period=scope.truncate("day")).values("period", "channel")
            .annotate(total=Count("id"), **counts).order_by("period", "channel"))
    return [(as_date(row["period"]), row["channel"], {name: row[name] for name, _, _ in REMINDER_STATES}, row["total"])
            for row in rows]


def skipped_by_reason(scope):
    """[(reason, channel, n)]: why reminders were not sent (text caps, no contact...), most first."""
    rows = (reminders(scope).filter(state=S.SKIPPED).values("reason", "channel")
            .annotate(n=Count("id")).order_by("-n", "reason", "channel"))
    return [(row["reason"] or gettext("No reason recorded"), row["channel"], row["n"]) for row in rows]


def _stopped(queryset):
    """Contacts annotated with when and how the address their reminders go to was opted out: the
    phone number (texts and calls, shared by everyone who gives it) or, for e-mail, the address."""
    from django.db.models import Case, CharField, DateTimeField, When
    from django.db.models.functions import Lower

    from ..models import EmailAddress, PhoneNumber

    number = PhoneNumber.objects.filter(number=OuterRef("mobile"), opted_out_at__isnull=False)
    address = EmailAddress.objects.filter(address=Lower(OuterRef("email")), unsubscribed_at__isnull=False)
    by_email = Q(preferred_channel="email")
    return queryset.annotate(
        stopped_at=Case(When(by_email, then=Subquery(address.values("unsubscribed_at")[:1])),
                        default=Subquery(number.values("opted_out_at")[:1]), output_field=DateTimeField()),
        stopped_how=Case(When(by_email, then=Subquery(address.values("unsubscribed_source")[:1])),
                         default=Subquery(number.values("opted_out_source")[:1]), output_field=CharField()),
    ).filter(stopped_at__isnull=False)


def opt_outs_per_period(scope):
    """[(period start, how, patients, caregivers)]: who stopped automated messages in the range.

    Consent and opt-out belong to an address: a contact is counted when the address their reminders
    go to (their phone number, or their e-mail address for e-mail reminders) is opted out now and was
    opted out in the range (opting back in clears the time). One STOP from a number two families
    share counts both families' contacts.
    """
    patients = scope.in_range(_stopped(Patient.objects.filter(clinic__in=scope.clinic_ids)), "stopped_at", zone="time_zone")
    caregivers = scope.in_range(_stopped(Caregiver.objects.filter(patient__clinic__in=scope.clinic_ids)), "stopped_at")
    found = {}
    for position, queryset in enumerate((patients, caregivers)):
        for row in (queryset.annotate(period=scope.truncate("day")).values("period", "stopped_how")
                    .annotate(n=Count("id")).order_by()):
            key = (as_date(row["period"]), row["stopped_how"] or gettext("Not recorded"))
            found.setdefault(key, [0, 0])[position] = row["n"]
    return [(period, source, *counts) for (period, source), counts in sorted(found.items())]


def confirmations_per_period(scope):
    """[(period start, drainage reminders sent, confirmed, confirmation %)] and a last row for
    the whole range (period None). Sent means the provider accepted it (`sent_at` is set)."""
    sent = reminders(scope).filter(purpose__in=DRAINAGE_PURPOSES, sent_at__isnull=False)
    counts = dict(sent=Count("id"), confirmed=Count("id", filter=Q(confirmed_at__isnull=False)))
    by_period = {as_date(row["period"]): row for row in
                 sent.annotate(period=scope.truncate("day")).values("period").annotate(**counts).order_by()}
    rows = []
    for period in scope.periods():
        row = by_period.get(period, dict(sent=0, confirmed=0))
        rows.append((period, row["sent"], row["confirmed"], share(row["confirmed"], row["sent"])))
    whole = sent.aggregate(**counts)
    rows.append((None, whole["sent"], whole["confirmed"], share(whole["confirmed"], whole["sent"])))
    return rows


# --- Symptom burden -----------------------------------------------------------------------------


def symptom_reports(scope):
    return scope.in_range(SymptomReport.objects.filter(patient__clinic__in=scope.clinic_ids), "reported_at")


def _severe(item):
    return Q(**{f"{item}__gte": scheduling.SEVERE_SCORE})


def _months(scope):
    return Scope(scope.clinics, scope.start, scope.end, "month")


def severe_share_per_month(scope):
    """[(month, reports, with a severe item, %)] for every month of the range."""
    monthly = _months(scope)
    any_severe = Q()
    for item, _ in ESAS_ITEMS:
        any_severe |= _severe(item)
    by_month = {as_date(row["period"]): row for row in
                symptom_reports(scope).annotate(period=monthly.truncate("day")).values("period")
                .annotate(reports=Count("id"), severe=Count("id", filter=any_severe)).order_by()}
    rows = []
    for month in monthly.periods():
        row = by_month.get(month, dict(reports=0, severe=0))
        rows.append((month, row["reports"], row["severe"], share(row["severe"], row["reports"])))
    return rows


def severe_share_per_item(scope):
    """[(month, item label, reports scoring the item, severe, %)]: month by month, each ESAS-r item
    in the order of the form. A report that left an item blank (not asked) does not count for it."""
    monthly = _months(scope)
    counts = {}
    for item, _ in ESAS_ITEMS:
        counts[f"{item}_scored"] = Count("id", filter=Q(**{f"{item}__isnull": False}))
        counts[f"{item}_severe"] = Count("id", filter=_severe(item))
    by_month = {as_date(row["period"]): row for row in
                symptom_reports(scope).annotate(period=monthly.truncate("day")).values("period")
                .annotate(**counts).order_by()}
    rows = []
    names = esas_r.item_names()  # the reviewed ESAS-r wording of the page's language
    for month in monthly.periods():
        row = by_month.get(month, {})
        for item, _label in ESAS_ITEMS:
            label = names[item]
            scored, severe = row.get(f"{item}_scored", 0), row.get(f"{item}_severe", 0)
            rows.append((month, label, scored, severe, share(severe, scored)))
    return rows


def severe_share_by_item(scope):
    """[(item label, scored, severe, %)] over the whole range, for the chart."""
    counts = {}
    for item, _ in ESAS_ITEMS:
        counts[f"{item}_scored"] = Count("id", filter=Q(**{f"{item}__isnull": False}))
        counts[f"{item}_severe"] = Count("id", filter=_severe(item))
    whole = symptom_reports(scope).aggregate(**counts)
    names = esas_r.item_names()
    return [(names[item], whole[f"{item}_scored"], whole[f"{item}_severe"], share(whole[f"{item}_severe"], whole[f"{item}_scored"]))
            for item, _label in ESAS_ITEMS]


def acknowledgement_times(scope):
    """[(month or None for the whole range, severe alerts, acknowledged, still open, median hours,
    90th percentile hours)]: how long severe symptom alerts waited for a nurse.

    Alerts raised in the range; the wait is from `created_at` to `acknowledged_at`. Median and
    90th percentile are percentile_cont (linear interpolation), computed in the database.
    """
    monthly = _months(scope)
    alerts = (scope.in_range(Alert.objects.filter(severe=True, patient__clinic__in=scope.clinic_ids), "created_at")
              .annotate(month=monthly.truncate("day"), hours=HoursBetween(F("acknowledged_at"), F("created_at")))
              .values("month", "hours").order_by())
    alerts_sql, params = compiled(alerts)
    vendor = connections[Alert.objects.db].vendor
    acknowledged = "hours IS NOT NULL"
    rows = []
    for group in ("a.month", "0"):  # per month, then the whole range as one group
        grouped = f"SELECT a.*, {group} AS grp FROM ({alerts_sql}) a"
        ranked = with_percentile_ranks(grouped, vendor, partition="grp", value="hours", condition=acknowledged)
        figures = ", ".join(percentile("hours", fraction, acknowledged, vendor) for fraction in (0.5, 0.9))
        sql = f"""
            SELECT r.grp, COUNT(*), SUM(CASE WHEN {acknowledged} THEN 1 ELSE 0 END), {figures}
            FROM ({ranked}) r GROUP BY r.grp"""
        with connections[Alert.objects.db].cursor() as cursor:
            cursor.execute(sql, params)
            found = {(as_date(grp) if group != "0" else None): values for grp, *values in cursor.fetchall()}
        periods = monthly.periods() if group != "0" else [None]
        for month in periods:
            alerts_n, acknowledged_n, median, p90 = found.get(month, (0, 0, None, None))
            acknowledged_n = int(acknowledged_n or 0)
            rows.append((month, alerts_n, acknowledged_n, alerts_n - acknowledged_n,
                         None if median is None else float(median), None if p90 is None else float(p90)))
    return rows
