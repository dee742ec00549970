"""Synthetic demo data: two clinics, their staff, forty patients with months of history, and on
request thousands more for scale.

No real people: names from a small fixed list, phone numbers in the reserved fictional range
+1 202 555 0100-0199, e-mail at example.org. Everything is keyed on clinic name, username and MRN,
so building twice changes nothing.

The forty story patients go through the services (enrol, record_procedure, record_symptom_report,
accept_suggested_interval, change_status) with past dates, so their occurrences, alerts and
reminders are exactly what the app would have made. The scale patients are written with
bulk_create in batches, row for row what the services would have left behind.
"""

import dataclasses
import random
import re
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from . import calls, scheduling, services
from .messaging import planning
from .models import (
    ESAS_FIELDS,
    Alert,
    AlertItem,
    Caregiver,
    CareSchedule,
    Clinic,
    InboundMessage,
    Kind,
    Membership,
    Occurrence,
    OnCallContact,
    Patient,
    Procedure,
    Reminder,
    ReminderEvent,
    StatusChange,
    SymptomReport,
    User,
)

PASSWORD = "followup-demo"
LEADS_GROUP = "Clinical leads"
# Spread over the globe so that some patients are awake, and may be texted, whatever the UTC hour.
ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Tokyo", "Australia/Sydney"]
# How many story patients per clinic get a reminder due in the next minute or two.
REMINDERS_NOW_PER_CLINIC = 3
REMINDER_NOW_SPACING = timedelta(seconds=20)

GIVEN_NAMES = [
    "Ada", "Ben", "Clara", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jonah", "Kira", "Luis", "Maya", "Noel",
    "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wes", "Yara", "Zoe",
]
FAMILY_NAMES = [
    "Abbott", "Bishop", "Castillo", "Dunn", "Ellis", "Ferreira", "Gallagher", "Hart", "Ibarra", "Jensen", "Khan", "Lowe",
    "Moreno", "Nakamura", "O'Neill", "Price", "Quintero", "Reyes", "Sato", "Turner", "Underwood", "Vance", "Walsh",
]
COMPLICATIONS = [
    "Transient hypotension, settled with oral fluids.",
    "Leak at the puncture site; dressing applied.",
    "Abdominal discomfort towards the end; drainage stopped early.",
    "Slow flow; catheter repositioned once.",
]


@dataclass(frozen=True)
class ClinicPlan:
    name: str
    name_in_messages: str  # neutral: a text from "Hillcrest Hospice" tells whoever holds the phone
    phone: str
    time_zone: str
    mrn_prefix: str
    first_phone: int  # patients' numbers start at +1 202 555 0<first_phone>
    nurse: tuple  # (username, first name, last name)
    lead: tuple


CLINICS = [
    ClinicPlan("Riverside Palliative Care", "Riverside Care Team", "+12025550100", "America/New_York", "RV", 101,
               ("nurse", "Nadia", "Reyes"), ("lead", "Lena", "Ortiz")),
    ClinicPlan("Hillcrest Hospice", "Hillcrest Care Team", "+12025550150", "America/Los_Angeles", "HC", 151,
               ("nurse2", "Owen", "Park"), ("lead2", "Grace", "Holm")),
]


@dataclass(frozen=True)
class Story:
    """One patient's course. Days count from today in the patient's zone; negative is in the past."""

    intervals: tuple | None  # days between successive drainages, oldest first; None: none done yet
    schedule: scheduling.Interval | None  # the series' interval; None: the nurse accepted the suggested one
    drainage_due_in: int
    checkin_due_in: int  # less than the phase's check-in cadence
    phase: str = Patient.Phase.STABLE
    channel: str = "sms"
    volume_ml: int = 4000
    caregiver: tuple | None = None  # (relationship, channel)
    latest: str = ""  # "severe_pain", "severe_breath", "new_problem", "call" or "not_reached" (two calls unanswered)
    reports: int = 4
    status: tuple | None = None  # (status, days ago, note)
    opted_out_days_ago: int | None = None
    consented: bool = True
    language: str = "en"
    complications: bool = False


D, W, M = scheduling.Unit.DAYS, scheduling.Unit.WEEKS, scheduling.Unit.MONTHS
Interval = scheduling.Interval

STORIES = [
    # Intervals shrinking to 9 days: the nurse accepted the suggested interval; catheter advisory; pain now severe.
    Story((28, 24, 20, 16, 13, 11, 9), None, 0, 2, phase="deteriorating", volume_ml=1800, caregiver=("daughter", "sms"),
          latest="severe_pain", complications=True),
    Story((21, 21, 20, 22, 21), Interval(3, W), 5, 4, volume_ml=4500, latest="call"),
    # Three successively shorter intervals: advisory; the drainage is two days overdue.
    Story((35, 30, 24, 19, 15, 13), None, -2, 0, volume_ml=2500, caregiver=("husband", "email")),
    Story((28, 28, 27, 29), Interval(4, W), 10, 3, channel="email", volume_ml=5200, language="es"),
    # Two check-in calls in a row reached nobody: "not reached" on the worklist.
    Story((14,), Interval(14, D), 3, 1, volume_ml=3000, reports=3, latest="not_reached"),
    Story((21, 16, 12, 9, 7), Interval(7, D), 0, 0, phase="terminal", volume_ml=1500,
          status=("deceased", 3, "Died at home with family present."), caregiver=("wife", "sms")),
    Story((21, 21, 21, 19), Interval(3, W), 4, 2, status=("paused", 2, "Admitted to hospital for a few days.")),
    Story((18, 20, 19, 18), Interval(18, D), 1, 3, opted_out_days_ago=20, volume_ml=3800),
    # Drained about every 10 days (Gu 2016): advisory; a day overdue.
    Story((10, 9, 11, 10, 10, 9, 10), Interval(10, D), -1, 1, volume_ml=3500, caregiver=("son", "sms")),
    Story((20, 18, 17, 18), Interval(18, D), 6, 2, phase="deteriorating", volume_ml=4000, latest="severe_breath"),
    Story((30, 31, 30), Interval(1, M), 20, 5, channel="email", volume_ml=5500),
    Story((42, 35, 28, 21), None, 2, 6, volume_ml=5000, language="es", complications=True),
    Story(None, Interval(3, W), 7, 0, reports=2),
    Story((21, 22, 21), Interval(3, W), 1, 5, channel="none", caregiver=("partner", "sms")),
    Story((28, 26, 25), Interval(4, W), 0, 0, status=("discharged", 10, "Moved to the care of another team.")),
    Story((21, 21, 21), Interval(3, W), -5, -1, volume_ml=4200),
    Story((8, 7, 7, 8, 7, 7), Interval(7, D), 2, 0, phase="unstable", volume_ml=2000, caregiver=("daughter", "sms"),
          complications=True),
    Story((25, 24), Interval(24, D), 8, 2, consented=False),
    Story((24, 23, 25, 24), Interval(24, D), 1, 3, volume_ml=4800, latest="call"),
    Story((42, 40), Interval(6, W), 14, 6, volume_ml=5800, latest="new_problem"),
]


@dataclass
class Summary:
    created_patients: int = 0
    reminders_now: int = 0


# --- Clinics and staff --------------------------------------------------------------------------


def ensure_clinics_and_staff():
    """The two clinics, the demo logins and the clinical leads' admin group; what exists is kept."""
    group, created = Group.objects.get_or_create(name=LEADS_GROUP)
    if created:
        # Leads may open the admin for their own clinic (the admin scopes every list to it).
        names = ["clinic", "patient", "caregiver", "membership", "calendarfeed"]
        group.permissions.set(Permission.objects.filter(
            Q(content_type__app_label="followup", codename__startswith="view_")
            | Q(content_type__app_label="followup", codename__in=[f"change_{name}" for name in names])
        ))
    clinics = []
    for plan in CLINICS:
        clinic, _ = Clinic.objects.get_or_create(name=plan.name, defaults={
            "phone": plan.phone, "time_zone": plan.time_zone, "name_in_messages": plan.name_in_messages})
        for (username, first, last), role in ((plan.nurse, Membership.Role.NURSE), (plan.lead, Membership.Role.LEAD)):
            user, created = User.objects.get_or_create(username=username, defaults={
                "first_name": first, "last_name": last, "email": f"{username}@example.org",
                "is_staff": role == Membership.Role.LEAD, "is_superuser": username == "lead",
            })
            if created:
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
                if role == Membership.Role.LEAD:
                    user.groups.add(group)
            Membership.objects.get_or_create(user=user, clinic=clinic, defaults={"role": role})
        # Paged for a severe report out of hours (the nurse's e-mail and a number of the fictional range).
        nurse = User.objects.get(username=plan.nurse[0])
        OnCallContact.objects.get_or_create(clinic=clinic, name=f"On-call nurse ({plan.nurse[1]})", defaults={
            "user": nurse, "mobile": f"+1202555{plan.first_phone + 40:04d}", "email": nurse.email})
        clinics.append(clinic)
    return clinics


def _staff(clinic, role):
    return User.objects.filter(memberships__clinic=clinic, memberships__role=role).order_by("pk").first()


# --- The forty story patients -------------------------------------------------------------------


def _phone(number):
    return f"+1202555{number:04d}"


def _email(given, family, mrn):
    return re.sub(r"[^a-z0-9.]", "", f"{given}.{family}.{mrn}".lower()) + "@example.org"


def _zone_for(clinic_index, story_index):
    # Each clinic's own zone first, then round the world.
    return ZONES[(story_index + clinic_index) % len(ZONES)]


def _awake_for_a_while(zone, clinic, moment):
    """True when `moment` is well inside the hours a reminder may go out, in `zone`."""
    wall = moment.astimezone(ZoneInfo(zone))
    opens = datetime.combine(wall.date(), clinic.quiet_hours_end, tzinfo=wall.tzinfo) + timedelta(minutes=2)
    closes = datetime.combine(wall.date(), clinic.quiet_hours_start, tzinfo=wall.tzinfo) - timedelta(minutes=35)
    return opens <= wall <= closes


def seed_story_patients(clinics, now):
    """Create the story patients that do not exist yet; returns (created, reminders due now)."""
    created = reminders_now = 0
    for clinic_index, (plan, clinic) in enumerate(zip(CLINICS, clinics)):
        nurse = _staff(clinic, Membership.Role.NURSE)
        existing = set(Patient.objects.filter(clinic=clinic).values_list("mrn", flat=True))
        remind_now_left = REMINDERS_NOW_PER_CLINIC
        for index, story in enumerate(STORIES):
            mrn = f"{plan.mrn_prefix}-{1001 + index}"
            if mrn in existing:
                continue
            zone = _zone_for(clinic_index, index)
            remind_now = (
                remind_now_left > 0 and _may_remind_now(story)
                and _awake_for_a_while(zone, clinic, now + REMINDER_NOW_SPACING * REMINDERS_NOW_PER_CLINIC)
            )
            if remind_now:
                # A check-in due today, so that a reminder about it makes sense right now.
                story = dataclasses.replace(story, checkin_due_in=0)
                remind_now_left -= 1
            with transaction.atomic():
                patient = _build_story_patient(plan, clinic_index, clinic, nurse, index, story, mrn, zone, now)
                if remind_now:
                    send_at = now + REMINDER_NOW_SPACING * (REMINDERS_NOW_PER_CLINIC - remind_now_left - 1)
                    reminders_now += _remind_now(patient, send_at, now)
            created += 1
    return created, reminders_now


def _may_remind_now(story):
    return (story.status is None and story.consented and story.opted_out_days_ago is None
            and story.channel != "none" and story.latest in ("", "new_problem"))


def _at(day, hour, minute, zone):
    return scheduling.at_local(day, time(hour, minute), ZoneInfo(zone))


def _build_story_patient(plan, clinic_index, clinic, nurse, index, story, mrn, zone, now):
    rng = random.Random(mrn)
    tz = ZoneInfo(zone)
    today = scheduling.local_date(now, tz)
    given = GIVEN_NAMES[(index * 3 + clinic_index * 11) % len(GIVEN_NAMES)]
    family = FAMILY_NAMES[(index * 7 + clinic_index * 5) % len(FAMILY_NAMES)]
    cadence = clinic.checkin_days_for_phase(story.phase)

    # Drainage dates, working back from the one before the open occurrence.
    drainage_dates = []
    if story.intervals is not None:
        schedule = story.schedule or Interval(_suggested_days(story.intervals, tz), D)
        last = today + timedelta(days=story.drainage_due_in) - schedule.delta()
        drainage_dates = [last]
        for days in reversed(story.intervals):
            drainage_dates.insert(0, drainage_dates[0] - timedelta(days=days))
    # Symptom reports: the latest nurse call one cadence before the open check-in, others weekly before it.
    last_call = today + timedelta(days=story.checkin_due_in - cadence)
    if story.status:
        last_call = min(last_call, today - timedelta(days=story.status[1] + 1))
    report_dates = [last_call - timedelta(days=7 * k) for k in reversed(range(story.reports))]
    start = min([*drainage_dates, *report_dates, today]) - timedelta(days=2)

    consent_at = _at(start, 11, 0, zone) if story.consented else None
    contact = {"preferred_channel": story.channel}
    if story.channel in ("sms", "none"):
        contact["mobile"] = _phone(plan.first_phone + index)
    if story.channel == "email" or index % 3 == 0:
        contact["email"] = _email(given, family, mrn)
    patient = Patient.objects.create(
        clinic=clinic, mrn=mrn, given_name=given, family_name=family, time_zone=zone, nurse=nurse, phase=story.phase,
        date_of_birth=today.replace(year=today.year - 48 - (index * 7) % 40, month=1 + index % 12, day=1 + index % 28),
        language=story.language, consent_at=consent_at, consent_source="written form" if index % 2 else "verbal", **contact,
    )
    if story.opted_out_days_ago is not None:
        _record_stop(patient, now - timedelta(days=story.opted_out_days_ago))
    if story.caregiver:
        _add_caregiver(plan, patient, index, story, consent_at)

    first_due = _at(drainage_dates[0] if drainage_dates else today + timedelta(days=story.drainage_due_in), 9, 0, zone)
    services.enrol(patient, paracentesis_interval=story.schedule, first_drainage_due=first_due, now=_at(start, 10, 0, zone))

    for number, day in enumerate(drainage_dates):
        volume = max(1000, min(6000, story.volume_ml + rng.randrange(-400, 401, 50)))
        services.record_procedure(
            patient, performed_at=_at(day, 10 + number % 3, 15 * (number % 4), zone), volume_ml=volume,
            duration_minutes=5 * round(volume / rng.randrange(40, 61) / 5), performed_by=nurse,
            complications=rng.choice(COMPLICATIONS) if story.complications and number % 3 == 2 else "",
        )
    _record_reports(patient, story, report_dates, rng, nurse, now, zone)
    if story.schedule is None and len(drainage_dates) >= 2:
        services.accept_suggested_interval(patient, by=nurse)
    if story.status:
        status, days_ago, note = story.status
        if status == "deceased":  # as a nurse records it: where, and who told the team
            from . import life_events

            life_events.record_death(patient, died_at=now - timedelta(days=days_ago), place="home", source="family", by=nurse,
                                     note=note)
        elif status == "paused":  # an admission: the worklist asks "back home?" on the clinic's review day
            from . import life_events

            life_events.pause(patient, reason="hospital_admission", note=note, by=nurse)
        else:
            services.change_status(patient, status, by=nurse, note=note, at=now - timedelta(days=days_ago))
    return patient


def _suggested_days(intervals, tz):
    moments = [datetime(2026, 1, 1, 12, tzinfo=UTC)]
    for days in intervals:
        moments.append(moments[-1] + timedelta(days=days))
    return scheduling.suggested_interval_days(moments, tz)


def _record_stop(patient, at):
    patient.opt_out("SMS STOP", at=at)
    patient.save(update_fields=["opted_out_at", "opted_out_source"])
    InboundMessage.objects.create(
        clinic=patient.clinic, patient=patient, provider_id=f"demo-stop-{patient.clinic_id}-{patient.mrn}",
        from_number=str(patient.mobile), body="STOP", kind=InboundMessage.Kind.STOP, received_at=at, handled_at=at,
    )


def _add_caregiver(plan, patient, index, story, consent_at):
    relationship, channel = story.caregiver
    given = GIVEN_NAMES[(index * 5 + 11) % len(GIVEN_NAMES)]
    name = f"{given} {patient.family_name}"
    contact = ({"mobile": _phone(plan.first_phone + 20 + index)} if channel == "sms"
               else {"email": _email(given, patient.family_name, patient.mrn)})
    Caregiver.objects.create(patient=patient, name=name, relationship=relationship, preferred_channel=channel,
                             consent_at=consent_at, consent_source="verbal" if consent_at else "",
                             next_of_kin=relationship in NEXT_OF_KIN, **contact)


NEXT_OF_KIN = {"wife", "husband", "partner", "daughter", "son"}  # whom the team calls after a death


def _record_reports(patient, story, report_dates, rng, nurse, now, zone):
    """Weekly ESAS-r reports that drift by at most a point or two (no alert), then the story's latest."""
    levels = {name: rng.randint(1, 4) for name in ESAS_FIELDS if name != "other_problem"}
    pps = 60 if story.phase == "stable" else 40 if story.phase != "terminal" else 20
    for number, day in enumerate(report_dates):
        if number:
            levels = {name: max(0, min(6, score + rng.choice((-1, 0, 0, 1)))) for name, score in levels.items()}
        call = number == len(report_dates) - 1 or number % 2 == 0
        services.record_symptom_report(
            patient, scores=dict(levels), pps=pps, phase=story.phase, reported_at=_at(day, 11, 30, zone),
            completed_by="patient", source="nurse_call" if call else "web",
            recorded_by=nurse if call else None, closes_checkin=call,
        )
    latest = dict(levels)
    if story.latest == "severe_pain":
        latest["pain"] = 8
        services.record_symptom_report(patient, scores=latest, pps=pps, phase=story.phase, completed_by="caregiver",
                                       source="web", reported_at=now - timedelta(hours=2))
    elif story.latest == "severe_breath":
        latest["shortness_of_breath"] = 7
        services.record_symptom_report(patient, scores=latest, pps=pps - 10, phase=story.phase, completed_by="patient",
                                       source="web", reported_at=now - timedelta(hours=3))
    elif story.latest == "new_problem":
        latest["other_problem"] = 4
        report = services.record_symptom_report(
            patient, scores=latest, pps=pps, phase=story.phase, completed_by="patient", source="web",
            other_problem_name="Itchy skin", reported_at=now - timedelta(days=1))
        if hasattr(report, "alert"):
            services.acknowledge_alert(report.alert, by=nurse, action=Alert.Action.ADVICE,
                                       note="Called back: mild rash, emollient advised.")
    elif story.latest == "not_reached":
        calls.record_call(patient, outcome="no_answer", by=nurse, at=now - timedelta(hours=26))
        calls.record_call(patient, outcome="voicemail", by=nurse, at=now - timedelta(hours=2),
                          note="Left a message asking her to call the team back.")
    elif story.latest == "call":
        services.record_symptom_report(patient, scores=latest, pps=pps, phase=story.phase, completed_by="patient",
                                       source="nurse_call", recorded_by=nurse, reported_at=now - timedelta(minutes=30),
                                       closes_checkin=True)


def _remind_now(patient, send_at, now):
    """Make sure the patient's check-in due today has a reminder going out at `send_at`.

    The clinic sends check-in reminders at 09:00 local; a demo started at any other hour would show
    nothing for a long while. Returns 1 when a reminder is now due by `send_at`, else 0.
    """
    occurrence = patient.occurrences.filter(kind=Kind.CHECKIN, state=Occurrence.State.SCHEDULED).first()
    zone = patient.zone
    if occurrence is None or occurrence.due_date != scheduling.local_date(now, zone):
        return 0
    channel = patient.preferred_channel
    allowed_until = patient.quiet_hours[1]
    expires_at = min(send_at + timedelta(minutes=patient.clinic.reminder_lateness_minutes),
                     scheduling.quiet_hours_begin(send_at, zone, allowed_until))
    key = {"occurrence": occurrence, "recipient": "patient", "channel": channel, "purpose": Reminder.Purpose.CHECKIN,
           "due_at": occurrence.due_at}
    reminder = Reminder.objects.filter(**key).first()
    if reminder is not None:
        if reminder.state != Reminder.State.PLANNED:
            return 0
        if reminder.send_at > send_at:
            reminder.move(Reminder.State.PLANNED, "Brought forward by seed_demo to show delivery",
                          send_at=send_at, expires_at=expires_at)
        return 1
    if channel == "sms":
        taken = Reminder.objects.filter(
            patient=patient, recipient="patient", channel="sms", state__in=Reminder.COUNTED,
            send_at__range=(send_at - planning.CAP_WINDOW, send_at + planning.CAP_WINDOW),
        ).values_list("send_at", flat=True)
        clinic = patient.clinic
        if scheduling.cap_reason(scheduling.local_date(send_at, zone), [scheduling.local_date(m, zone) for m in taken],
                                 clinic.sms_per_day, clinic.sms_per_week):
            return 0
    reminder = Reminder.objects.create(**key, patient=patient, send_at=send_at, expires_at=expires_at)
    ReminderEvent.objects.create(reminder=reminder, at=now, to_state=Reminder.State.PLANNED,
                                 reason="Planned by seed_demo to show delivery")
    return 1


# --- Scale patients (bulk) ----------------------------------------------------------------------

SCALE_BATCH = 500
SCALE_DRAINAGES = (8, 9, 10, 11, 12)  # about ten each
SCALE_REPORTS = (4, 5, 6)  # about five each


def scale_mrn(plan, number):
    return f"{plan.mrn_prefix}-S{number:06d}"


def seed_scale_patients(clinics, count, now, progress=None):
    """Patients 1..count (spread over the clinics), each with about ten drainages and five symptom
    reports, their open occurrences and planned reminders; bulk inserts in batches of SCALE_BATCH."""
    plans = list(zip(CLINICS, clinics))
    wanted = [(number, *plans[(number - 1) % len(plans)]) for number in range(1, count + 1)]
    existing = set(Patient.objects.filter(mrn__contains="-S").values_list("clinic_id", "mrn"))
    missing = [item for item in wanted if (item[2].pk, scale_mrn(item[1], item[0])) not in existing]
    staff = {clinic.pk: _staff(clinic, Membership.Role.NURSE) for clinic in clinics}
    done = 0
    if progress:
        progress(0, len(missing))
    for start in range(0, len(missing), SCALE_BATCH):
        batch = missing[start:start + SCALE_BATCH]
        with transaction.atomic():
            _ScaleBatch(batch, staff, now).write()
        done += len(batch)
        if progress:
            progress(done, len(missing))
    return len(missing)


class _ScaleBatch:
    """The rows of one batch of scale patients, built in memory and written model by model."""

    def __init__(self, batch, staff, now):
        self.batch = batch
        self.staff = staff
        self.now = now
        self.rng = random.Random(batch[0][0])
        self.rows = {model: [] for model in (Patient, Caregiver, StatusChange, CareSchedule, Procedure, Occurrence,
                                            SymptomReport, Alert, AlertItem, Reminder, ReminderEvent)}

    def write(self):
        courses = [self._patient(number, plan, clinic) for number, plan, clinic in self.batch]
        self._create(Patient)
        for course in courses:
            self._caregivers_and_status(course)
        self._create(Caregiver)
        self._create(StatusChange, history=False)
        for course in courses:
            self._schedules(course)
        self._create(CareSchedule)
        for course in courses:
            self._procedures_and_occurrences(course)
        # Procedures, reports and alerts are the bulk of the rows and are never changed after they are
        # made, so they get no history row of their own here: it would double the time for nothing.
        self._create(Procedure, history=False)
        self._create(Occurrence)
        for course in courses:
            self._reports(course)
        self._create(SymptomReport, history=False)
        for course in courses:
            self._alerts(course)
        self._create(Alert, history=False)
        self._create(AlertItem, history=False)
        for course in courses:
            self._reminders(course)
        self._create(Reminder, history=False)
        self.rows[ReminderEvent] = [
            ReminderEvent(reminder=reminder, at=self.now, to_state=reminder.state, reason="Planned")
            for reminder in self.rows[Reminder]
        ]
        self._create(ReminderEvent, history=False)

    def _create(self, model, history=True):
        rows = self.rows[model]
        model.objects.bulk_create(rows, batch_size=1000)
        if history:
            model.history.bulk_history_create(rows, batch_size=1000, default_change_reason="seed_demo --patients")

    # Each patient's course: a dict the later steps fill in.

    def _patient(self, number, plan, clinic):
        rng = self.rng
        zone = clinic.time_zone if number % 5 else ZONES[number // 5 % len(ZONES)]
        tz = ZoneInfo(zone)
        today = scheduling.local_date(self.now, tz)
        pattern = number % 4
        drainages = rng.choice(SCALE_DRAINAGES)
        if pattern == 0:  # steady, three weeks
            intervals = [21 + rng.randint(-3, 3) for _ in range(drainages - 1)]
        elif pattern == 1:  # shrinking towards a catheter advisory
            intervals = [max(6, 35 - 3 * k + rng.randint(-2, 2)) for k in range(drainages - 1)]
        elif pattern == 2:  # fortnightly
            intervals = [14 + rng.randint(-2, 2) for _ in range(drainages - 1)]
        else:  # monthly
            intervals = [28 + rng.randint(0, 3) for _ in range(drainages - 1)]
        interval_days = max(scheduling.MIN_INTERVAL_DAYS, round(statistics.median(intervals[-3:])))
        status = Patient.Status.ACTIVE
        if number % 40 == 5:
            status = Patient.Status.DECEASED
        elif number % 40 == 17:
            status = Patient.Status.PAUSED
        elif number % 40 == 29:
            status = Patient.Status.DISCHARGED
        closed = status in services.CLOSED_STATUSES
        # Due dates spread from a few days overdue to a full interval ahead; the closed ones ended a while ago.
        last_ago = (number * 7) % (interval_days + 4) + 1 + (20 if closed else 0)
        last = today - timedelta(days=last_ago)
        dates = [last]
        for days in reversed(intervals):
            dates.insert(0, dates[0] - timedelta(days=days))
        given = GIVEN_NAMES[number % len(GIVEN_NAMES)]
        family = FAMILY_NAMES[number // len(GIVEN_NAMES) % len(FAMILY_NAMES)]
        mrn = scale_mrn(plan, number)
        consent_at = _at(dates[0] - timedelta(days=1), 11, 0, zone)
        nurse = self.staff[clinic.pk]
        status_at = _at(last + timedelta(days=3 + number % 5), 16, 0, zone) if status != Patient.Status.ACTIVE else None
        if status == Patient.Status.PAUSED:
            status_at = self.now - timedelta(days=1 + number % 5)
        patient = Patient(
            clinic=clinic, mrn=mrn, given_name=given, family_name=family, time_zone=zone, nurse=nurse,
            phase=Patient.Phase.DETERIORATING if pattern == 1 and number % 3 == 0 else Patient.Phase.STABLE,
            email=_email(given, family, mrn), preferred_channel="email", consent_at=consent_at, consent_source="written form",
            status=status, status_changed_at=status_at, status_changed_by=nurse if status_at else None,
        )
        if number % 50 == 11:
            patient.opt_out("e-mail link", at=consent_at + timedelta(days=30))
        patient._history_date = consent_at
        self.rows[Patient].append(patient)
        return {"number": number, "patient": patient, "clinic": clinic, "nurse": nurse, "tz": tz, "zone": zone,
                "today": today, "dates": dates, "interval_days": interval_days, "closed": closed,
                "volume": 1800 if pattern == 1 else 4200, "caregivers": []}

    def _caregivers_and_status(self, course):
        patient = course["patient"]
        if course["number"] % 8 == 3:
            given = GIVEN_NAMES[(course["number"] + 7) % len(GIVEN_NAMES)]
            caregiver = Caregiver(patient=patient, name=f"{given} {patient.family_name}", relationship="family",
                                  preferred_channel="email", email=_email(given, patient.family_name, patient.mrn),
                                  consent_at=patient.consent_at, consent_source="verbal")
            caregiver._history_date = patient.consent_at
            course["caregivers"].append(caregiver)
            self.rows[Caregiver].append(caregiver)
        if patient.status != Patient.Status.ACTIVE:
            self.rows[StatusChange].append(StatusChange(
                patient=patient, from_status=Patient.Status.ACTIVE, to_status=patient.status, at=patient.status_changed_at,
                by=patient.status_changed_by))

    def _schedules(self, course):
        patient, clinic = course["patient"], course["clinic"]
        active = not course["closed"]
        course["drainages"] = CareSchedule(patient=patient, kind=Kind.PARACENTESIS, interval_count=course["interval_days"],
                                           interval_unit=D, active=active)
        course["checkins"] = CareSchedule(patient=patient, kind=Kind.CHECKIN, cadence_by_phase=True, interval_unit=D,
                                          interval_count=clinic.checkin_days_for_phase(patient.phase), active=active)
        for schedule in (course["drainages"], course["checkins"]):
            schedule.started_at = patient.consent_at
            schedule._history_date = patient.consent_at
            self.rows[CareSchedule].append(schedule)

    def _procedures_and_occurrences(self, course):
        rng, patient, zone = self.rng, course["patient"], course["zone"]
        for number, day in enumerate(course["dates"]):
            volume = max(1000, min(6000, course["volume"] + rng.randrange(-800, 801, 50)))
            procedure = Procedure(
                patient=patient, kind=Kind.PARACENTESIS, performed_at=_at(day, 9 + number % 5, 15 * (number % 4), zone),
                volume_ml=volume, duration_minutes=5 * round(volume / rng.randrange(40, 61) / 5), performed_by=course["nurse"],
                complications=rng.choice(COMPLICATIONS) if rng.random() < 0.05 else "",
            )
            self.rows[Procedure].append(procedure)
        course["occurrences"] = []
        if course["closed"]:
            return
        clinic, tz, today = course["clinic"], course["tz"], course["today"]
        drainage_due = scheduling.next_due(self.rows[Procedure][-1].performed_at, Interval(course["interval_days"], D), tz,
                                           clinic.appointment_time)
        checkin_due = scheduling.at_local(today + timedelta(days=course["number"] % 7 - 1), clinic.checkin_reminder_at, tz)
        for schedule, due_at in ((course["drainages"], drainage_due), (course["checkins"], checkin_due)):
            occurrence = Occurrence(schedule=schedule, patient=patient, kind=schedule.kind, due_at=due_at,
                                    due_date=scheduling.local_date(due_at, tz))
            course["occurrences"].append(occurrence)
            self.rows[Occurrence].append(occurrence)

    def _reports(self, course):
        rng, patient = self.rng, course["patient"]
        count = rng.choice(SCALE_REPORTS)
        last_ago = timedelta(days=1 + course["number"] % 10, hours=rng.randint(0, 6))
        if course["closed"]:
            last_ago += self.now - patient.status_changed_at
        levels = {name: rng.randint(0, 5) for name in ESAS_FIELDS if name != "other_problem"}
        course["reports"] = []
        for k in reversed(range(count)):
            # Small drifts that stay below severe; now and then an item jumps (a severe or worsening alert).
            levels = {name: min(10, score + 4) if rng.random() < 0.004 else max(0, min(6, score + rng.choice((-1, 0, 0, 1))))
                      for name, score in levels.items()}
            report = SymptomReport(
                patient=patient, reported_at=self.now - last_ago - timedelta(days=7 * k), pps=rng.choice((40, 50, 60)),
                phase=patient.phase, completed_by="patient",
                source="nurse_call" if k % 2 == 0 else "web", recorded_by=course["nurse"] if k % 2 == 0 else None, **levels,
            )
            course["reports"].append(report)
            self.rows[SymptomReport].append(report)

    def _alerts(self, course):
        previous = None
        reports = course["reports"]
        for report in reports:
            # Every report here scores every item, so the last report that scored an item is the previous one.
            findings = scheduling.symptom_findings(report.scores(), previous.scores() if previous else None)
            latest = report is reports[-1]
            if findings:
                alert = Alert(patient=course["patient"], report=report, created_at=report.reported_at,
                              severe=any(finding.kind == "severe" for finding in findings))
                if report.source == "nurse_call":  # acknowledged by the nurse's own call
                    alert.acknowledged_at, alert.acknowledged_by = report.reported_at, course["nurse"]
                    alert.acknowledgement_action = Alert.Action.CALLED
                elif not latest:  # older alerts were dealt with by the nurse the same day
                    alert.acknowledged_at = report.reported_at + timedelta(hours=3)
                    alert.acknowledged_by = course["nurse"]
                    alert.acknowledgement_action = Alert.Action.CALLED
                self.rows[Alert].append(alert)
                items = {}
                for finding in findings:
                    item = items.setdefault(finding.item, AlertItem(alert=alert, item=finding.item, score=finding.score,
                                                                    previous_score=previous.scores().get(finding.item) if previous else None))
                    item.severe |= finding.kind == "severe"
                    item.worsening |= finding.kind == "worsening"
                    item.new_problem |= finding.kind == "new_problem"
                self.rows[AlertItem].extend(items.values())
            previous = report

    def _reminders(self, course):
        patient = course["patient"]
        if patient.status != Patient.Status.ACTIVE:
            return
        recipients = [("patient", None, patient)] if patient.may_be_messaged else []
        recipients += [(None, caregiver, caregiver) for caregiver in course["caregivers"] if caregiver.may_be_messaged]
        for occurrence in course["occurrences"]:
            for purpose, wanted in planning.wanted_send_times(occurrence):
                window = planning.send_window(occurrence, wanted, self.now)
                if window is None:
                    continue
                for recipient, caregiver, contact in recipients:
                    self.rows[Reminder].append(Reminder(
                        occurrence=occurrence, patient=patient, caregiver=caregiver,
                        recipient=recipient or f"caregiver-{caregiver.pk}", channel=contact.preferred_channel,
                        purpose=purpose, due_at=occurrence.due_at, send_at=window[0], expires_at=window[1],
                    ))


# --- All of it ------------------------------------------------------------------------------------


def seed(*, now=None, scale_patients=0, progress=None):
    """Build whatever of the demo is missing. Returns a Summary of what this run added."""
    now = now or timezone.now()
    clinics = ensure_clinics_and_staff()
    summary = Summary()
    summary.created_patients, summary.reminders_now = seed_story_patients(clinics, now)
    if scale_patients:
        summary.created_patients += seed_scale_patients(clinics, scale_patients, now, progress)
    return summary


def counts(now=None):
    """What the database holds, for the closing summary."""
    now = now or timezone.now()
    by_status = dict(Patient.objects.values_list("status").annotate(n=Count("pk")))
    return {
        "clinics": Clinic.objects.count(),
        "patients": sum(by_status.values()),
        **{f"patients {status.label.lower()}": by_status.get(status.value, 0) for status in Patient.Status},
        "caregivers": Caregiver.objects.count(),
        "drainages": Procedure.objects.filter(kind=Kind.PARACENTESIS).count(),
        "symptom reports": SymptomReport.objects.count(),
        "alerts waiting": Alert.objects.filter(acknowledged_at__isnull=True).count(),
        "open occurrences": Occurrence.objects.filter(state=Occurrence.State.SCHEDULED).count(),
        "reminders planned": Reminder.objects.filter(state=Reminder.State.PLANNED).count(),
        "reminders due in the next 2 minutes": Reminder.objects.filter(
            state=Reminder.State.PLANNED, send_at__lte=now + timedelta(minutes=2)).count(),
    }


def logins():
    """(username, role and clinic, staff/superuser note) for each demo login."""
    rows = []
    for plan in CLINICS:
        for username, _, _ in (plan.nurse, plan.lead):
            user = User.objects.filter(username=username).first()
            if user is None:
                continue
            membership = user.memberships.select_related("clinic").first()
            where = f"{membership.get_role_display()}, {membership.clinic.name}" if membership else ""
            admin = "admin: superuser" if user.is_superuser else "admin: own clinic" if user.is_staff else ""
            rows.append((username, where, admin))
    return rows
