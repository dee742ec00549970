"""The worklist for calling: one row per patient, holding everything due for them, most urgent first.

A nurse works down the list with a phone: who is this, what is due and since when, how bad were the
last symptoms, whom to ring (a `tel:` link and the language), and what to know before dialling (asked
for a call today, opted out, no consent, only a caregiver to call, catheter at home, phase, not reached
last time, self-reports missed, paused, a bereavement call, a text that found no patient).

Urgency, in the order the clinic works:
  0 the patient asked for a call today ("Do you need a call from your team today?": yes), whatever the scores
  1 an unacknowledged severe symptom report
  2 an overdue drainage
  3 an overdue or missed call, a patient not reached at the last two calls (and a worsening symptom)
  4 something due today (and a pause whose review day has come; an alert the patient says can wait;
    two expected self-reports missed in a row, whose nurse call is planned for today)
  5 something due in the next 7 days

The page costs the same queries whatever the size of the clinic: the candidates come from a few
grouped or bounded queries (open occurrences in the next week, open alerts, the small sets of the
other states), ranked in Python; details are fetched for the rows shown only.
"""

import functools
import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import CharField, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, Subquery, Value, prefetch_related_objects
from django.db.models.functions import Coalesce, Greatest, Lower, Trim
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _, pgettext

from . import scheduling
from .alerts import triage_rank
from .languages import gettext
from .links import link
from .models import (ESAS_FIELDS, Alert, BereavementCall, Caregiver, Catheter, EmailAddress, InboundMessage, Kind, Occurrence,
                     Patient, Pause, PhoneNumber, SymptomReport)

ROWS = 40  # a screen and a half at 1366x768; the chips narrow the rest
UPCOMING_DAYS = 7
MISSED_DAYS = 7  # a check-in the care tick marked missed stays on the list for a week
UNDER_CARE = (Patient.Status.ACTIVE, Patient.Status.PAUSED)

CALL_REQUESTED, SEVERE_ALERT, OVERDUE_DRAINAGE, OVERDUE_CALL, TODAY, NEXT_DAYS = range(6)
URGENCY_LABELS = {
    CALL_REQUESTED: _("Asked for a call today"),
    SEVERE_ALERT: _("Severe symptoms"),
    OVERDUE_DRAINAGE: _("Drainage overdue"),
    OVERDUE_CALL: _("Call overdue, missed or not reached"),
    TODAY: _("Due today"),
    NEXT_DAYS: _("Next 7 days"),
}

# The filter chips, in the order they are shown, with the words on them. The exceptions (a call asked
# for, self-reports missed) show only while someone is in them, so the bar stays on one line at 1366 px.
FILTERS = {
    "overdue": _("Overdue"),
    "today": _("Today"),
    "alerts": _("Alerts"),
    "call_requested": _("Call requested"),
    "not_reached": _("Not reached"),
    "self_reports": _("Self-reports missed"),
    "paused": _("Paused"),
    "bereavement": _("Bereavement"),
}
WHEN_ANY = {"call_requested", "self_reports"}


@functools.lru_cache(maxsize=1024)
def _formatted(day, format_name, language):
    return formats.date_format(day, format_name)


def _day(day, format_name="MONTH_DAY_FORMAT"):
    """A date as the page's language writes it. Forty rows repeat the same few days of the week:
    each is formatted once per language (Django's date_format parses the format on every call)."""
    return _formatted(day, format_name, translation.get_language())


@dataclass
class Due:
    """One thing due for the patient: an open drainage or call, or another task, with its state."""

    label: str
    day: date | None
    state: str  # overdue, today, upcoming, missed, alert, task
    kind: str = ""  # paracentesis, checkin, pause, bereavement
    task: object = None  # the bereavement call, for its "Record outcome"
    retry_at: datetime | None = None  # an open check-in's: when to try again, after a call that reached nobody
    occurrence_id: int | None = None  # the drainage or call it is, for a drainage or call

    @property
    def when(self):
        """How the row says when: "overdue since 26 Nov", "today", "missed 27 Nov", "Wed 2 Dec", or
        for a pause "(review 3 Dec)". Written here rather than in the template: forty rows of it."""
        if self.day is None:
            return ""
        day = _day(self.day)
        if self.kind == "pause":
            return "(%s)" % (gettext("review %(day)s") % {"day": day})
        if self.state == "overdue":
            return gettext("overdue since %(day)s") % {"day": day}
        if self.state == "today":
            return gettext("today")
        if self.state == "missed":
            return gettext("missed %(day)s") % {"day": day}
        return f"{_day(self.day, 'D')} {day}"


@dataclass
class Contact:
    """Whom to ring: the patient or a caregiver, the number, the language."""

    name: str
    role: str  # "patient" or a relationship ("daughter")
    number: str  # E.164, for tel:
    shown: str  # as a nurse reads it
    language: str
    language_code: str = "en"

    @property
    def language_shown(self):
        """The language beside the number, when it is not English (the flag a nurse needs before dialling)."""
        return self.language if self.language_code != "en" else ""


@dataclass
class Flag:
    key: str
    label: str
    tone: str = "info"  # info, warn, danger


@dataclass
class Candidate:
    """What ranks a patient before the details are fetched."""

    urgency: int
    since: date | None = None
    facts: set = field(default_factory=set)  # filter keys this patient matches
    listed: bool = True  # False: shown only under its filter chip (a paused patient whose review is not due)
    pause: Pause | None = None  # the current pause of a paused patient (its reason and review day)
    bereavement_calls: list = field(default_factory=list)  # the family's calls due within the week

    def merge(self, urgency, since, *facts, listed=True):
        if urgency < self.urgency or (urgency == self.urgency and since and (self.since is None or since < self.since)):
            self.urgency, self.since = urgency, since
        self.facts.update(facts)
        self.listed = self.listed or listed


@dataclass
class Button:
    """A next step on the row: a link, its words, and the words a screen reader adds (whose step)."""

    url: str
    label: str
    for_whom: str
    secondary: bool = False


@dataclass
class PatientRow:
    patient: Patient
    urgency: int
    since: date | None
    candidate: Candidate | None = None
    due: list = field(default_factory=list)
    alerts: list = field(default_factory=list)
    last_reported_at: datetime | None = None  # the last symptom report's
    last_esas_max: int | None = None  # its highest score (None: no report, or nothing scored)
    contact: Contact | None = None
    flags: list = field(default_factory=list)

    @property
    def urgency_label(self):
        return URGENCY_LABELS[self.urgency]

    @property
    def last_report_day(self):
        return scheduling.local_date(self.last_reported_at, self.patient.zone) if self.last_reported_at else None

    @property
    def last_report_title(self):
        day = self.last_report_day
        return gettext("Last report %(day)s") % {"day": _day(day, "SHORT_DATE_FORMAT")} if day else ""

    @property
    def acknowledge(self):
        """The alert to acknowledge from the row: a call request or a severe alert, or any alert when
        nothing else is due. None: the row's next step is a link (`buttons`)."""
        alert = self.alerts[0] if self.alerts else None
        if alert and (alert.severe or alert.call_requested or not self.due):
            return alert
        return None

    @property
    def buttons(self):
        """The next step when it is not an acknowledgement: resume or extend a pause, record the
        family's call, record a drainage, log a call, or open the patient."""
        patient, item = self.patient, self.due[0] if self.due else None
        name = patient.full_name
        kind = item.kind if item else ""
        if kind == "pause" or patient.status == Patient.Status.PAUSED:
            return [Button(link("resume_patient", patient.pk), gettext("Resume"), name),
                    Button(link("extend_pause", patient.pk), gettext("Extend"),
                           gettext("the pause of %(name)s") % {"name": name}, secondary=True)]
        if kind == "bereavement":
            return [Button(link("record_bereavement_call", item.task.pk), gettext("Record outcome"),
                           gettext("of the call to the family of %(name)s") % {"name": name})]
        if kind == Kind.PARACENTESIS:
            return [Button(link("record_drainage", patient.pk), gettext("Record"),
                           gettext("drainage for %(name)s") % {"name": name})]
        if kind == Kind.CHECKIN or patient.not_reached_since:
            return [Button(link("log_checkin", patient.pk), gettext("Log call"), gettext("with %(name)s") % {"name": name})]
        return [Button(link("patient", patient.pk), pgettext("open a page", "Open"), name, secondary=True)]


@dataclass
class CallList:
    rows: list
    total: int  # patients matching the filter
    counts: dict  # filter key -> patients
    everyone: int  # patients on the list without a filter
    active_filter: str = ""

    @property
    def more(self):
        return max(self.total - len(self.rows), 0)

    @property
    def alert_actions(self):
        """What a nurse can say was done about an alert, required to acknowledge it from its row."""
        return Alert.Action.choices

    @property
    def chips(self):
        return [(key, label, self.counts.get(key, 0)) for key, label in FILTERS.items()
                if key not in WHEN_ANY or self.counts.get(key) or key == self.active_filter]


def _state_of(day, today):
    if day < today:
        return "overdue"
    if day == today:
        return "today"
    return "upcoming"


class LocalTodays(dict):
    """{zone name: today's date there}, each zone worked out the first time a row of that zone asks."""

    def __init__(self, now):
        super().__init__()
        self.now = now

    def __missing__(self, zone):
        self[zone] = today = scheduling.local_date(self.now, ZoneInfo(zone))
        return today


def _horizon(now):
    """The last day anyone's next week reaches: the date fourteen hours east of UTC (the furthest zone
    ahead), plus a week. Each row is then held to its own zone's week."""
    return (now.astimezone(ZoneInfo("UTC")) + timedelta(hours=14)).date() + timedelta(days=UPCOMING_DAYS)


def _occurrence_candidates(patients, todays, now, found):
    """Open drainages and calls up to a week ahead of active patients, and check-ins the care tick
    marked missed in the last week of patients under care (with the overdue calls): one query. It
    also keeps what the rows show of them (`Found.occurrences`), for a patient of any status: a paused
    patient's open items stay listed on the row."""
    open_soon = Q(state=Occurrence.State.SCHEDULED, due_date__lte=_horizon(now))
    missed = Q(kind=Kind.CHECKIN, state=Occurrence.State.MISSED, closed_at__gte=now - timedelta(days=MISSED_DAYS))
    rows = (Occurrence.objects.filter(open_soon | missed, patient__in=patients.values("pk"))
            .values_list("patient_id", "patient__time_zone", "patient__status", "pk", "kind", "state", "due_date", "retry_at")
            .order_by("due_at", "pk"))  # the rows' order; sorted here, as the due times need not be read (a cost per value)
    week = timedelta(days=UPCOMING_DAYS)
    for patient_id, zone, status, pk, kind, state, day, retry_at in rows:
        found.occurrences[patient_id].append((pk, kind, state, day, retry_at))
        if state == Occurrence.State.MISSED:
            if status not in UNDER_CARE:
                continue
            urgency, facts = OVERDUE_CALL, ("overdue",)
        elif status != Patient.Status.ACTIVE:
            continue
        else:
            today = todays[zone]
            if day > today + week:
                continue
            if day < today:
                urgency = OVERDUE_DRAINAGE if kind == Kind.PARACENTESIS else OVERDUE_CALL
                facts = ("overdue",)
            elif day == today:
                urgency, facts = TODAY, ("today",)
            else:
                urgency, facts = NEXT_DAYS, ()
        candidate = found.get(patient_id)
        if candidate is None:
            found[patient_id] = Candidate(urgency, day, set(facts))
        else:
            candidate.merge(urgency, day, *facts)


def _alert_candidates(patients, todays, now, found):
    """Patients under care with an unacknowledged alert: one who asked for a call today first of all,
    then a severe one; a worsening one with the calls; one the patient says can wait with today's
    work. The alerts themselves are kept for the rows (`Found.alerts`, in triage order)."""
    alerts = (Alert.objects.filter(acknowledged_at__isnull=True, patient__in=patients.values("pk"))
              .annotate(zone=F("patient__time_zone"), patient_status=F("patient__status"))
              .order_by(triage_rank(), "-created_at", "-pk"))
    for alert in alerts:
        found.alerts[alert.patient_id].append(alert)
        if alert.patient_status not in UNDER_CARE:
            continue
        urgency = CALL_REQUESTED if alert.call_requested else SEVERE_ALERT if alert.severe else TODAY if alert.can_wait else OVERDUE_CALL
        day = scheduling.local_date(alert.created_at, ZoneInfo(alert.zone))
        facts = ("alerts", "call_requested") if alert.call_requested else ("alerts",)
        found.setdefault(alert.patient_id, Candidate(urgency, day)).merge(urgency, day, *facts)


def _unreached_candidates(patients, todays, now, found):
    """Patients under care whose last two check-in calls reached nobody (`Patient.not_reached_since`),
    with the overdue calls; and active patients who missed two expected self-reports in a row
    (followup/adherence.py), whose planned nurse call is today's work. One query for both."""
    rows = (patients.filter(Q(status__in=UNDER_CARE, not_reached_since__isnull=False)
                            | Q(status=Patient.Status.ACTIVE, self_reports_missed_at__isnull=False))
            .values_list("pk", "time_zone", "status", "not_reached_since", "self_reports_missed_at").order_by())
    for patient_id, zone, status, not_reached_since, self_reports_missed_at in rows:
        if not_reached_since is not None:
            day = scheduling.local_date(not_reached_since, ZoneInfo(zone))
            found.setdefault(patient_id, Candidate(OVERDUE_CALL, day)).merge(OVERDUE_CALL, day, "not_reached")
        if self_reports_missed_at is not None and status == Patient.Status.ACTIVE:
            day = scheduling.local_date(self_reports_missed_at, ZoneInfo(zone))
            found.setdefault(patient_id, Candidate(TODAY, day)).merge(TODAY, day, "self_reports")


def _paused_candidates(patients, todays, now, found):
    """Paused patients: under the "Paused" chip always; on the list itself from their review day."""
    pauses = (Pause.objects.filter(ended_at__isnull=True, patient__in=patients.filter(status=Patient.Status.PAUSED).values("pk"))
              .annotate(zone=F("patient__time_zone")).only("patient_id", "reason", "review_on").order_by())
    for pause in pauses:
        review_on = pause.review_on
        due = review_on is not None and review_on <= todays[pause.zone]
        urgency = TODAY if due else NEXT_DAYS
        candidate = found.setdefault(pause.patient_id, Candidate(urgency, review_on, listed=due))
        candidate.merge(urgency, review_on, "paused", listed=due)
        candidate.pause = pause


def _bereavement_candidates(patients, todays, now, found):
    """Calls to the family of a patient who died, due within the week or overdue (tasks for staff)."""
    horizon = _horizon(now)
    calls = (BereavementCall.objects.filter(done_at__isnull=True, due_on__lte=horizon,
                                            patient__in=patients.filter(status=Patient.Status.DECEASED).values("pk"))
             .annotate(zone=F("patient__time_zone")).select_related("caregiver").order_by("due_on", "pk"))
    for call in calls:
        day, today = call.due_on, todays[call.zone]
        if day > today + timedelta(days=UPCOMING_DAYS):
            continue
        urgency = OVERDUE_CALL if day < today else TODAY if day == today else NEXT_DAYS
        candidate = found.setdefault(call.patient_id, Candidate(urgency, day))
        candidate.merge(urgency, day, "bereavement")
        candidate.bereavement_calls.append(call)


CANDIDATE_SOURCES = [_occurrence_candidates, _alert_candidates, _unreached_candidates, _paused_candidates,
                     _bereavement_candidates]


class Found(dict):
    """{patient id: Candidate} for everyone with something on the worklist, and what the candidates'
    queries read that the rows show, by patient id: open and lately missed occurrences (`occurrences`:
    id, kind, state, due date and retry time, in due order) and open alerts (`alerts`, in triage order)."""

    def __init__(self):
        super().__init__()
        self.occurrences, self.alerts = defaultdict(list), defaultdict(list)


def candidates(patients, todays, now):
    """`Found`: a Candidate for everyone with something on the worklist."""
    found = Found()
    for source in CANDIDATE_SOURCES:
        source(patients, todays, now, found)
    return found


def _ranked(found, active_filter, rows=ROWS):
    """(how many match the filter, the first `rows` of them in order: most urgent, then what has
    waited longest, then a stable order)."""
    chosen = [(c.urgency, c.since or date.max, pk, c) for pk, c in found.items()
              if (active_filter in c.facts if active_filter else c.listed)]
    return len(chosen), [(pk, c) for _, _, pk, c in heapq.nsmallest(rows, chosen, key=lambda item: item[:3])]


def _contact(patient, candidate):
    """The patient's own mobile, or else the first caregiver with one (a caregiver-only contact). After
    a death, never the patient's own number: the family's bereavement call rings the next of kin it
    names, or else the first caregiver with a mobile."""
    if patient.mobile_e164 and patient.status != Patient.Status.DECEASED:
        return Contact(patient.full_name, "patient", patient.mobile_e164, _shown(patient.mobile_e164), patient.get_language_display(),
                       patient.language)
    named = [call.caregiver for call in candidate.bereavement_calls if call.caregiver and call.caregiver.mobile]
    for caregiver in named + patient.callable_caregivers:
        return Contact(caregiver.name, caregiver.relationship or "caregiver", caregiver.mobile.as_e164, _shown(caregiver.mobile.as_e164),
                       caregiver.get_language_display(), caregiver.language)
    return None


@functools.lru_cache(maxsize=4096)
def _shown(number):
    """An E.164 number as a nurse reads it: national for the US, international otherwise. The same
    numbers show on every reload, and parsing one costs more than the rest of its row: each is
    worked out once per process."""
    import phonenumbers

    parsed = phonenumbers.parse(number)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL
                                      if phonenumbers.region_code_for_number(parsed) == "US"
                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _flags(patient, row):
    """The opt-out belongs to the number or e-mail address (messaging/opt_outs.py): the patients'
    query says whether the patient's is opted out (`number_opted_out`, `email_opted_out`)."""
    flags = []
    if any(alert.call_requested for alert in row.alerts):
        flags.append(Flag("call_requested", gettext("Asked for a call today"), "danger"))
    elif row.alerts and all(alert.can_wait for alert in row.alerts):
        flags.append(Flag("can_wait", gettext("Patient says it can wait"), "info"))
    by_email = patient.preferred_channel == "email"
    if patient.status == Patient.Status.DECEASED:
        pass  # the patient's own texts ended with the death: whom to ring is the family
    elif patient.email_opted_out if by_email else patient.number_opted_out:
        words = gettext("E-mail address opted out") if by_email else gettext("Number opted out of texts and calls")
        flags.append(Flag("opted_out", words, "warn"))
    elif patient.consent_at is None:
        flags.append(Flag("no_consent", gettext("No consent to texts"), "warn"))
    if row.contact and row.contact.role != "patient":
        flags.append(Flag("caregiver_only", gettext("Call %(whom)s") % {"whom": row.contact.role}, "info"))
    elif row.contact is None:
        flags.append(Flag("no_number", gettext("No phone number"), "danger"))
    if patient.not_reached_since:
        since = scheduling.local_date(patient.not_reached_since, patient.zone)
        flags.append(Flag("not_reached", gettext("Not reached since %(day)s") % {
            "day": _day(since)}, "danger"))
    if patient.self_reports_missed_at and patient.status == Patient.Status.ACTIVE:
        flags.append(Flag("self_reports", gettext("Self-reports missed"), "warn"))
    if patient.phase != Patient.Phase.STABLE:
        flags.append(Flag("phase", patient.get_phase_display(), "danger" if patient.phase in ("unstable", "terminal") else "info"))
    if patient.status == Patient.Status.PAUSED:
        flags.append(Flag("paused", gettext("Paused"), "info"))
    return flags


def _life_details(rows, todays, now):
    """What life events add to the rows shown: the pause and its review day, the family's bereavement
    call (both read with the candidates), a catheter at home, and a text from one of the row's numbers
    that found no patient."""
    for row in rows.values():
        today = todays[row.patient.time_zone]
        for call in row.candidate.bereavement_calls:
            row.due.append(Due(gettext("Bereavement call (%(step)s)") % {"step": call.step_label}, call.due_on, _state_of(call.due_on, today),
                               kind="bereavement", task=call))
        if row.candidate.bereavement_calls:
            row.flags.append(Flag("bereavement", gettext("Bereavement call"), "info"))
        if row.patient.has_catheter:
            row.flags.append(Flag("catheter", gettext("Catheter at home"), "info"))
        pause = row.candidate.pause
        if pause is None:
            continue
        words = gettext("Paused: %(reason)s") % {"reason": pause.get_reason_display().lower()}
        if pause.review_on:
            words = gettext("Paused: %(reason)s, review %(day)s") % {
                "reason": pause.get_reason_display().lower(), "day": _day(pause.review_on)}
            if pause.review_on <= today:
                label = gettext("Back home?") if pause.reason == Pause.Reason.HOSPITAL_ADMISSION else gettext("Resume or extend?")
                row.due.insert(0, Due(label, pause.review_on, _state_of(pause.review_on, today), kind="pause"))
        row.flags = [Flag("paused", words, "info") if flag.key == "paused" else flag for flag in row.flags]
    numbers = defaultdict(list)  # a number two families share rings on both their rows
    for row in rows.values():
        if row.contact:
            numbers[row.contact.number].append(row)
    unrouted = (InboundMessage.objects.filter(routed_by=InboundMessage.RoutedBy.UNROUTED, assigned_at__isnull=True,
                                              from_number__in=list(numbers) or [""])
                .values_list("from_number", flat=True).distinct())
    for number in unrouted:
        for row in numbers[str(number)]:
            row.flags.append(Flag("unrouted", gettext("Unrouted text from this number"), "warn"))


def _message_details(rows, todays, now):
    """A reply from the patient or a caregiver that may mean "stop", waiting for a nurse to decide."""
    for row in rows.values():
        if row.patient.possible_opt_out_waiting:
            row.flags.append(Flag("possible_opt_out", gettext("Possible opt-out"), "warn"))


ROW_DETAILS = [_life_details, _message_details]  # functions (rows by patient id, todays, now) adding more to each row
# What a row reads of the patient (the rest of the record stays in the database). The mobile comes as
# the E.164 text it is stored as (`mobile_e164`), not parsed into a phone number object for each row.
ROW_FIELDS = ["given_name", "family_name", "mrn", "preferred_channel", "language", "status", "consent_at", "phase",
              "time_zone", "not_reached_since", "self_reports_missed_at"]


def _details(ranked, found, todays, now):
    """The rows shown, with what each needs: open items and alerts (read with the candidates), the
    last report, whom to call, flags."""
    ids = [pk for pk, _ in ranked]
    latest_report = SymptomReport.objects.filter(patient=OuterRef("pk")).order_by("-reported_at", "-pk")
    # The highest score of the last report: an unscored item counts as -1 (SQLite's MAX() of a NULL is NULL).
    top_score = Greatest(*[Coalesce(name, Value(-1)) for name in ESAS_FIELDS])
    callable_caregivers = Prefetch("caregivers", queryset=Caregiver.objects.exclude(mobile="").order_by("pk"),
                                   to_attr="callable_caregivers")
    catheter = Catheter.objects.filter(patient=OuterRef("pk"), removed_on__isnull=True)
    possible_opt_out = InboundMessage.objects.filter(patient=OuterRef("pk"), possible_opt_out=True, handled_at__isnull=True)
    number_opted_out = PhoneNumber.objects.filter(number=OuterRef("mobile"), opted_out_at__isnull=False)
    email_opted_out = EmailAddress.objects.filter(address=Lower(Trim(OuterRef("email"))), unsubscribed_at__isnull=False)
    # The row shows no nurse, and of the clinic only its zone (for a retry time): no clinic row per patient.
    patients = {patient.pk: patient for patient in Patient.objects.filter(pk__in=ids or [0]).only(*ROW_FIELDS)
                .annotate(clinic_time_zone=F("clinic__time_zone"), mobile_e164=ExpressionWrapper(F("mobile"), output_field=CharField()),
                          last_reported_at=Subquery(latest_report.values("reported_at")[:1]),
                          last_esas_max=Subquery(latest_report.annotate(top=top_score).values("top")[:1]),
                          has_catheter=Exists(catheter),
                          possible_opt_out_waiting=Exists(possible_opt_out), number_opted_out=Exists(number_opted_out),
                          email_opted_out=Exists(email_opted_out))}
    # Caregivers to ring only for the rows that cannot ring the patient (`_contact`): most days none.
    prefetch_related_objects([p for p in patients.values() if not p.mobile_e164 or p.status == Patient.Status.DECEASED],
                             callable_caregivers)
    prefetch_related_objects([alert for pk in ids for alert in found.alerts.get(pk, ())], "items")

    rows = {}
    for pk, candidate in ranked:
        patient = patients[pk]
        today = todays[patient.time_zone]
        row = PatientRow(patient, candidate.urgency, candidate.since, candidate, alerts=found.alerts.get(pk, []),
                         last_reported_at=patient.last_reported_at,
                         last_esas_max=patient.last_esas_max if patient.last_esas_max != -1 else None)
        occurrences = found.occurrences.get(pk, ())  # (id, kind, state, due date, retry time), in due order
        for occurrence_id, kind, state, day, _retry_at in occurrences:
            if state == Occurrence.State.MISSED:
                row.due.append(Due(gettext("Check-in call"), day, "missed", kind, occurrence_id=occurrence_id))
        for occurrence_id, kind, state, day, retry_at in occurrences:
            if state != Occurrence.State.MISSED and day <= today + timedelta(days=UPCOMING_DAYS):
                label = gettext("Drainage") if kind == Kind.PARACENTESIS else gettext("Check-in call")
                row.due.append(Due(label, day, _state_of(day, today), kind, retry_at=retry_at, occurrence_id=occurrence_id))
        row.contact = _contact(patient, candidate)
        row.flags = _flags(patient, row)
        rows[pk] = row
    for add in ROW_DETAILS:
        add(rows, todays, now)
    return [rows[pk] for pk, _ in ranked]


def build(patients, now, *, active_filter=""):
    """The call list of `patients` (the worklist's scope), optionally narrowed to one filter chip."""
    todays = LocalTodays(now)
    found = candidates(patients, todays, now)
    counts = {key: sum(1 for c in found.values() if key in c.facts) for key in FILTERS}
    total, first = _ranked(found, active_filter)
    everyone = sum(1 for c in found.values() if c.listed)
    return CallList(_details(first, found, todays, now), total, counts, everyone, active_filter)
