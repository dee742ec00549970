"""The worklist: what a nurse should act on now, in a fixed number of queries.

Every section is one count and one bounded list, so the page costs the same whether the clinic has
ten patients or ten thousand. The other work beside the call list (`OTHER_WORK`) shows its first few
rows there; each section's own page (`section_listing`) lists all of them, a page at a time. "Today"
is the patient's own local date: open occurrences carry `due_date` in the patient's zone, and each
section compares it with today in that zone (one OR branch per time zone in use, usually one or two).

The two worklist actions a nurse takes without opening the patient (acknowledging a delivery
problem, marking a message handled) live here too, as conditional UPDATEs: two nurses clicking at
once both see success and the row records the first of them.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When, prefetch_related_objects
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from django.utils import timezone, translation

from . import access, call_list, life_worklist, scheduling
from .alerts import triage_rank
from .models import AdvisoryAnswer, Alert, Catheter, InboundMessage, Kind, Occurrence, Patient, Procedure, Reminder, User

ROWS_PER_SECTION = 25
PREVIEW_ROWS = 5  # of each section of other work on the worklist, whose own page has every row
SECTION_PAGE_ROWS = 50
UPCOMING_DAYS = 7
# Open work is shown for patients still under care; a discharged or deceased patient's leftovers
# would only crowd the list (their reminders are already cancelled).
UNDER_CARE = (Patient.Status.ACTIVE, Patient.Status.PAUSED)
WAITING_KINDS = (InboundMessage.Kind.OTHER, InboundMessage.Kind.HELP)
# scheduling.catheter_advisory looks at the last three positive intervals; a few extra drainages
# cover two recorded on the same local day (an interval of 0, which the rule ignores).
ADVISORY_DRAINAGES = 6
ADVISORY_CACHE_SECONDS = 60 * 60
# Up to this many patients with changed drainages are recomputed one by one; more, and all are.
ADVISORY_INCREMENTAL = 200


@dataclass
class Section:
    """One worklist section: its total and the first rows to act on."""

    count: int
    rows: list = field(default_factory=list)

    @property
    def more(self):
        return max(self.count - len(self.rows), 0)


@dataclass
class Listing:
    """A section of other work before it is read: its rows in order (a queryset), and what the row
    template gets for each (`wrap`: a catheter advisory carries its reason). `count`: how many rows,
    when the listing already knows (None: `_other_work` counts them with the other sections)."""

    rows: object
    wrap: object = list
    count: int | None = None

    def first(self, total):
        """The section with its first rows, read only when it has any (`total`, counted with the
        other sections by `_other_work`)."""
        return Section(total, self.wrap(list(self.rows[:PREVIEW_ROWS])) if total else [])

    def page(self, number):
        """One page of every row (Django's Paginator: a count and a slice)."""
        page = Paginator(self.rows, SECTION_PAGE_ROWS).get_page(number)
        page.object_list = self.wrap(list(page.object_list))
        return page


class _InOrder(Sequence):
    """The rows of these ids, in this order, read a slice at a time (what `Listing` slices, and
    Django's Paginator too)."""

    def __init__(self, ids, queryset):
        self.ids, self.queryset = ids, queryset

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, index):
        ids = self.ids[index] if isinstance(index, slice) else [self.ids[index]]
        found = self.queryset.in_bulk(ids) if ids else {}
        rows = [found[pk] for pk in ids if pk in found]
        return rows if isinstance(index, slice) else rows[0]


class _RowCount(Subquery):
    """How many rows a queryset has, as a scalar subquery (a DISTINCT one too)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


@dataclass
class CatheterAdvisory:
    patient: Patient
    reason: str


@dataclass
class Worklist:
    overdue: Section
    due_today: Section
    next_days: Section
    alerts: Section
    severe_alerts: int
    from_hospital: Section
    delivery_problems: Section
    messages_waiting: Section
    no_upcoming_contact: Section
    catheter_advisories: Section
    # Life events (followup/life_worklist.py): their actions, below the table.
    unrouted_messages: Section
    phase_to_resolve: Section
    calls: object = None  # call_list.CallList: one row per patient (the page's table)


def local_todays(zone_names, now):
    """{zone name: today's date there}."""
    return {name: scheduling.local_date(now, ZoneInfo(name)) for name in zone_names}


def _by_local_day(todays, lookup):
    """Q matching open occurrences whose due_date stands in relation `lookup(today)` to the
    patient's own today. With one time zone in use (the usual clinic) the zone need not be named."""
    if len(todays) == 1:
        return lookup(next(iter(todays.values())))
    condition = Q()
    for index, (zone, today) in enumerate(sorted(todays.items())):
        branch = Q(patient__time_zone=zone) & lookup(today)
        condition = branch if index == 0 else condition | branch
    return condition


def _day_starts(todays, offset):
    """(earliest, latest) UTC instant at which the local day `today + offset` begins, over the zones."""
    starts = [scheduling.at_local(today + timedelta(days=offset), time(0), ZoneInfo(zone)) for zone, today in todays.items()]
    return min(starts), max(starts)


def _between(todays, first, last):
    """Occurrences due from the local day `today + first` up to, not including, `today + last`, in any zone."""
    return Q(due_at__gte=_day_starts(todays, first)[0], due_at__lt=_day_starts(todays, last)[1])


def _section_of(day, today):
    if day < today:
        return "overdue"
    if day == today:
        return "today"
    if day <= today + timedelta(days=UPCOMING_DAYS):
        return "upcoming"
    return None


def occurrence_counts(active_patients, todays, now):
    """{"overdue", "today", "upcoming": number of open occurrences} of these patients.

    Counted per due date without joining the patients (the scope is an id subquery, far cheaper
    than a join over thousands of occurrences). Only the few dates whose section depends on the
    patient's zone (when the zones in use are on different dates) are counted again per zone.
    """
    counts = {"overdue": 0, "today": 0, "upcoming": 0}
    open_in_scope = Occurrence.objects.filter(state=Occurrence.State.SCHEDULED, patient_id__in=active_patients.values("pk"))
    per_day = (open_in_scope.filter(due_at__lt=_day_starts(todays, UPCOMING_DAYS + 1)[1])
               .values_list("due_date").annotate(n=Count("pk")).order_by())
    dates = set(todays.values())
    first, last = min(dates), max(dates)
    zone_dependent = {first + timedelta(days=offset) for offset in range((last - first).days + 1)}
    zone_dependent |= {day + timedelta(days=UPCOMING_DAYS) for day in zone_dependent}
    if len(dates) == 1:
        zone_dependent = set()
    for day, number in per_day:
        if day not in zone_dependent and (section := _section_of(day, first)):
            counts[section] += number
    if zone_dependent:
        spread = (last - first).days + 1  # local dates in use, one apart per zone offset
        near = _between(todays, 0, spread) | _between(todays, UPCOMING_DAYS, UPCOMING_DAYS + spread)
        per_zone = (open_in_scope.filter(near, due_date__in=sorted(zone_dependent))
                    .values_list("due_date", "patient__time_zone").annotate(n=Count("pk")).order_by())
        for day, zone, number in per_zone:
            # A zone not seen a moment ago: a patient's zone was changed in between.
            today = todays[zone] if zone in todays else scheduling.local_date(now, ZoneInfo(zone))
            if section := _section_of(day, today):
                counts[section] += number
    return counts


@dataclass
class Scope:
    """Whose work: the user's clinics (or one of them), and optionally one nurse's patients."""

    user: object
    clinic_ids: list
    nurse: object
    patients: object  # the Patient queryset of the scope
    now: object


def _scope(user, clinic, nurse, now):
    # Never wider than the user's clinics, whatever `clinic` the caller passes.
    clinic_ids = sorted(pk for pk in user.clinic_ids() if clinic is None or pk == clinic.pk)
    patients = access.patients_for(user).filter(clinic_id__in=clinic_ids)
    if nurse is not None:
        patients = patients.filter(nurse=nurse)
    return Scope(user, clinic_ids, nurse, patients, now or timezone.now())


def build(user, *, clinic=None, nurse=None, now=None, with_calls=False, calls_filter=""):
    """The worklist for `user`, optionally narrowed to one of their clinics and one nurse's patients.

    With `with_calls` (the page) the due work comes as one row per patient (`call_list`), and the
    per-section lists of appointments and alerts are left empty.

    The view checks `clinic` and `nurse` against the user's clinics (another clinic is a 404); the
    scope here stays within the user's clinics in any case: a foreign clinic gives an empty list.
    """
    scope = _scope(user, clinic, nurse, now)
    other = _other_work(scope)
    if with_calls:
        nothing = Section(0)
        return Worklist(calls=call_list.build(scope.patients, scope.now, active_filter=calls_filter), overdue=nothing,
                        due_today=nothing, next_days=nothing, alerts=nothing, severe_alerts=0, **other)

    now, active_patients = scope.now, scope.patients.filter(status=Patient.Status.ACTIVE)
    patient_scope = Q(patient__clinic_id__in=scope.clinic_ids)
    if nurse is not None:
        patient_scope &= Q(patient__nurse=nurse)
    listed = (Occurrence.objects.filter(patient_scope, state=Occurrence.State.SCHEDULED, patient__status=Patient.Status.ACTIVE)
              .select_related("patient", "patient__nurse").order_by("due_at", "pk"))
    alerts = Alert.objects.filter(patient_scope, acknowledged_at__isnull=True, patient__status__in=UNDER_CARE)
    is_severe = Case(When(severe=True, then=Value(1)), default=Value(0), output_field=IntegerField())
    # Triage (alerts.triage_rank): a call requested today first, then severe, then the rest, then "can wait".
    alert_rows = (alerts.select_related("patient", "report").annotate(severe_total=Window(Sum(is_severe)))
                  .order_by(triage_rank(), "-created_at", "-pk"))

    zones = list(active_patients.order_by().values_list("time_zone", flat=True).distinct()) or ["UTC"]
    todays = local_todays(zones, now)
    counts = occurrence_counts(active_patients, todays, now)
    # Exact: the patient's local due date against their own today. The UTC bounds around each
    # condition are looser (every zone in use) and only let the (state, due_at) index skip rows.
    overdue_q = _by_local_day(todays, lambda today: Q(due_date__lt=today)) & Q(due_at__lt=_day_starts(todays, 0)[1])
    today_q = _by_local_day(todays, lambda today: Q(due_date=today)) & _between(todays, 0, 1)
    next_q = (_by_local_day(todays, lambda today: Q(due_date__gt=today, due_date__lte=today + timedelta(days=UPCOMING_DAYS)))
              & _between(todays, 1, UPCOMING_DAYS + 1))
    alerts_section = _counted(alert_rows)
    prefetch_related_objects(alerts_section.rows, "items")  # one query for the items of the rows shown
    return Worklist(
        overdue=Section(counts["overdue"], list(listed.filter(overdue_q)[:ROWS_PER_SECTION])),
        due_today=Section(counts["today"], list(listed.filter(today_q)[:ROWS_PER_SECTION])),
        next_days=Section(counts["upcoming"], list(listed.filter(next_q)[:ROWS_PER_SECTION])),
        alerts=alerts_section,
        severe_alerts=alerts_section.rows[0].severe_total if alerts_section.rows else 0,
        **other,
    )


def _counted(queryset):
    """The first rows of a section and its total, in one query: each row carries the total as a
    window count over the whole (unsliced) result."""
    rows = list(queryset.annotate(section_total=Window(Count("pk")))[:ROWS_PER_SECTION])
    return Section(rows[0].section_total if rows else 0, rows)


def _other_work(scope):
    """{Worklist field: Section} of the other work. How many rows each section has comes in one query
    (a COUNT subquery each, riding on the user's own row); then the first rows of the sections that
    have any, one query each: most days most sections are empty."""
    listings = {field: listing(scope) for _, field, listing in OTHER_WORK}
    uncounted = [field for field, listing in listings.items() if listing.count is None]
    counts = (User.objects.filter(pk=scope.user.pk)
              .annotate(**{f"n_{field}": _RowCount(listings[field].rows.order_by().prefetch_related(None).values("pk"))
                           for field in uncounted})
              .values(*(f"n_{field}" for field in uncounted)).get())
    counts.update({f"n_{field}": listing.count for field, listing in listings.items() if listing.count is not None})
    # An empty queryset (unrouted texts, for a nurse) compiles to no subquery at all: None.
    return {field: listing.first(counts[f"n_{field}"] or 0) for field, listing in listings.items()}


# What a row of patients in other work shows (name, MRN, nurse): the rest of the record stays in the database.
LISTED_PATIENT = ["given_name", "family_name", "mrn", "nurse__first_name", "nurse__last_name", "nurse__username"]


def _from_hospital(scope):
    from .hospital import notices

    return Listing(notices.open_notices(scope.clinic_ids, scope.nurse))


def _delivery_problems(scope):
    # Few reminders have problems, many patients have reminders: find the problems first (the
    # state index) and then keep those of patients in scope.
    return Listing(Reminder.objects.filter(state__in=Reminder.PROBLEMS, acknowledged_at__isnull=True,
                                           patient__in=scope.patients.filter(status__in=UNDER_CARE).values("pk"))
                   .select_related("patient", "caregiver").order_by("-send_at", "-pk"))


def _messages_waiting(scope):
    messages = InboundMessage.objects.filter(clinic_id__in=scope.clinic_ids, handled_at__isnull=True, kind__in=WAITING_KINDS)
    if scope.nurse is not None:
        messages = messages.filter(patient__nurse=scope.nurse)
    return Listing(messages.select_related("patient", "caregiver").order_by("received_at", "pk"))


def _unrouted_texts(scope):
    return Listing(life_worklist.unrouted_texts(scope.user))


def _phase_to_resolve(scope):
    return Listing(life_worklist.phase_to_resolve(scope.patients))


def _no_upcoming_contact(scope):
    has_open = Occurrence.objects.filter(patient=OuterRef("pk"), state=Occurrence.State.SCHEDULED)
    return Listing(scope.patients.filter(status=Patient.Status.ACTIVE).exclude(Exists(has_open))
                   .select_related("nurse").only(*LISTED_PATIENT).order_by("family_name", "given_name", "pk"))


def _catheter_advisories(scope):
    """Active patients in scope flagged by `scheduling.catheter_advisory`, longest enrolled first. The
    flags come from `advisory_reasons` (cached); the scope is applied here, so a status or nurse
    change shows at once. None for a patient with a catheter, or while an answer silences it (one
    date for the scope: a zone apart changes nothing here).

    The scope's candidates are read as ids and matched with the flags here: a clinic can have
    hundreds flagged, and a list of hundreds of ids in the SQL costs more to build than the ids cost
    to read. The section's count is then known without a COUNT. The version of the drainage records,
    which says whether the cached flags still hold, rides along on every row (computed once)."""
    today = scheduling.local_date(scope.now, ZoneInfo("UTC"))
    candidates = list(
        scope.patients.filter(status=Patient.Status.ACTIVE)
        .exclude(Exists(Catheter.objects.filter(patient=OuterRef("pk"), removed_on__isnull=True)))
        .exclude(Exists(AdvisoryAnswer.objects.filter(patient=OuterRef("pk"), silenced_until__gt=today)))
        .annotate(last=Subquery(Procedure.objects.order_by("-pk").values("pk")[:1]), changed=Subquery(_last_history_id()))
        .order_by("pk").values_list("pk", "last", "changed"))
    reasons = advisory_reasons(scope.clinic_ids, version=candidates[0][1:]) if candidates else {}
    flagged = [pk for pk, _, _ in candidates if pk in reasons]
    return Listing(_InOrder(flagged, Patient.objects.select_related("nurse").only(*LISTED_PATIENT)), count=len(flagged),
                   wrap=lambda patients: [CatheterAdvisory(patient, reasons[patient.pk]) for patient in patients])


# The other work, in the order of the page: (key in URLs and anchors, Worklist field, its listing).
OTHER_WORK = [
    ("hospital", "from_hospital", _from_hospital),
    ("delivery", "delivery_problems", _delivery_problems),
    ("messages", "messages_waiting", _messages_waiting),
    ("unrouted", "unrouted_messages", _unrouted_texts),
    ("phase", "phase_to_resolve", _phase_to_resolve),
    ("uncovered", "no_upcoming_contact", _no_upcoming_contact),
    ("catheter", "catheter_advisories", _catheter_advisories),
]


def section_listing(user, key, *, clinic=None, nurse=None, now=None):
    """Every row of one section of other work, for its own page. KeyError for an unknown key."""
    listing = {key: listing for key, _, listing in OTHER_WORK}[key]
    return listing(_scope(user, clinic, nurse, now))


def advisory_reasons(clinic_ids, version=None):
    """{patient id: why a catheter may be worth considering} for the patients of these clinics.

    Computing it reads every drainage of the clinics (one window query keeping each patient's last
    few): at 50,000 drainages that is half a second. So it is cached with the version of the
    drainage records it saw: the newest procedure and the newest procedure history row, which
    moves on every insert, edit and delete made through the ORM. When the version has moved on,
    only the patients whose drainages changed since are computed again; the whole is recomputed
    when that is most of them, or after ADVISORY_CACHE_SECONDS. `version`: (newest procedure id,
    newest history id) when the caller has read them already.
    """
    if version is None:
        newest = Procedure.objects.annotate(changed=Subquery(_last_history_id())).order_by("-pk").values_list("pk", "changed")
        version = newest.first() or (0, 0)
    last, changed = version[0] or 0, version[1] or 0
    # The reasons are words of the page's language: one entry per language.
    key = f"followup:catheter-advisories:{translation.get_language()}:{','.join(str(pk) for pk in sorted(clinic_ids))}"
    cached = cache.get(key)
    if cached and (cached["last"], cached["changed"]) == (last, changed):
        return cached["reasons"]
    if cached and cached["last"] <= last and cached["changed"] <= changed:
        # Drainages recorded, edited or deleted since (bulk inserts leave no history row: the
        # newest procedure id catches those).
        touched = Procedure.history.filter(history_id__gt=cached["changed"]).order_by().values("patient_id").union(
            Procedure.objects.filter(pk__gt=cached["last"]).order_by().values("patient_id"))
        patients = {row["patient_id"] for row in touched[:ADVISORY_INCREMENTAL + 1]}
        if len(patients) <= ADVISORY_INCREMENTAL:
            reasons = {pk: reason for pk, reason in cached["reasons"].items() if pk not in patients}
            reasons.update(_compute_advisory_reasons(clinic_ids, only=patients))
            cache.set(key, {"last": last, "changed": changed, "reasons": reasons}, ADVISORY_CACHE_SECONDS)
            return reasons
    reasons = _compute_advisory_reasons(clinic_ids)
    cache.set(key, {"last": last, "changed": changed, "reasons": reasons}, ADVISORY_CACHE_SECONDS)
    return reasons


def _last_history_id():
    return Procedure.history.model.objects.order_by("-history_id").values("history_id")[:1]  # the primary key index


def _compute_advisory_reasons(clinic_ids, only=None):
    """The advisories of the clinics' patients (or of the patients in `only`)."""
    drainages = Procedure.objects.filter(kind=Kind.PARACENTESIS, patient__clinic_id__in=clinic_ids)
    if only is not None:
        drainages = drainages.filter(patient_id__in=sorted(only) or [0])
    latest = (
        drainages
        .annotate(newest_first=Window(RowNumber(), partition_by=[F("patient_id")], order_by=F("performed_at").desc()))
        .filter(newest_first__lte=ADVISORY_DRAINAGES)
        .order_by("patient_id", "performed_at")
        .values_list("patient_id", "performed_at", "patient__time_zone")
    )
    performed = defaultdict(list)
    zones = {}
    for patient_id, performed_at, zone in latest:
        performed[patient_id].append(performed_at)
        zones[patient_id] = zone
    reasons = {}
    for patient_id, moments in performed.items():
        if len(moments) >= 2:
            reason = scheduling.catheter_advisory(moments, ZoneInfo(zones[patient_id]))
            if reason:
                reasons[patient_id] = reason
    return reasons


def acknowledge_reminder(reminder, *, by):
    """A nurse has seen a failed, unknown or expired reminder. True if this call recorded it."""
    return bool(Reminder.objects.filter(pk=reminder.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=by))


def mark_message_handled(message, *, by):
    """A nurse has dealt with a patient's message. True if this call recorded it."""
    return bool(InboundMessage.objects.filter(pk=message.pk, handled_at__isnull=True).update(
        handled_at=timezone.now(), handled_by=by))
