from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import scheduling
from .clinics import User
from .patients import Patient


class Kind(models.TextChoices):
    PARACENTESIS = "paracentesis", _("Drainage (paracentesis)")
    CHECKIN = "checkin", _("Check-in call")
    HOME_DRAINAGE = "home_drain", _("Home drainage (catheter)")
    OTHER = "other", _("Other")


DRAINAGE_KINDS = (Kind.PARACENTESIS, Kind.HOME_DRAINAGE)


class CareSchedule(models.Model):
    """A series of care events for one patient: their drainages, or their check-in calls."""

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="schedules")
    kind = models.CharField(_("kind of care"), max_length=12, choices=Kind.choices)
    interval_count = models.PositiveSmallIntegerField(_("every (how many)"), default=3, validators=[MinValueValidator(1)])
    interval_unit = models.CharField(_("every (days, weeks or months)"), max_length=6, choices=scheduling.Unit.choices, default=scheduling.Unit.WEEKS)
    cadence_by_phase = models.BooleanField(
        _("interval follows the PCOC phase"), default=False, help_text="Check-ins: the interval follows the patient's PCOC phase (clinic settings)."
    )
    follows_last_event = models.BooleanField(
        _("counts from the last one done"), default=True, help_text="The next one is due one interval after the last one actually done."
    )
    active = models.BooleanField(_("active"), default=True)
    sends_reminders = models.BooleanField(
        _("sends reminders"), default=True, help_text="Off for home drainage by default (the clinic's setting): no automated reminders.")
    started_at = models.DateTimeField(
        _("series began"), default=timezone.now, help_text="When the series began: the base for its first occurrence, and the line "
                                        "between a drainage it asked for and one entered as earlier history.")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("care schedule")
        verbose_name_plural = _("care schedules")
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind"], condition=Q(active=True), name="one_active_series_per_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} every {self.interval_label}"

    @property
    def interval(self):
        if self.cadence_by_phase:
            return scheduling.Interval(self.patient.clinic.checkin_days_for_phase(self.patient.phase), scheduling.Unit.DAYS)
        return scheduling.Interval(self.interval_count, self.interval_unit)

    @property
    def interval_label(self):
        return str(self.interval)

    def clean(self):
        super().clean()
        if not self.cadence_by_phase:
            try:
                scheduling.Interval(self.interval_count or 0, self.interval_unit).validate(
                    min_days=scheduling.HOME_DRAINAGE_MIN_DAYS if self.kind == Kind.HOME_DRAINAGE else scheduling.MIN_INTERVAL_DAYS)
            except ValueError as error:
                raise ValidationError({"interval_count": str(error)}) from None


class Occurrence(models.Model):
    """One due instance of a series."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        DONE = "done", _("Done")
        MISSED = "missed", _("Missed")
        SKIPPED = "skipped", _("Skipped")
        CANCELLED = "cancelled", _("Cancelled")

    class SkipReason(models.TextChoices):
        PATIENT_DECLINED = "declined", _("Patient declined")
        TOO_UNWELL = "too_unwell", _("Too unwell")
        IN_HOSPITAL = "in_hospital", _("In hospital")
        NOT_NEEDED = "not_needed", _("Not needed yet")
        UNREACHABLE = "unreachable", _("Could not be reached")
        OTHER = "other", _("Other")

    schedule = models.ForeignKey(CareSchedule, verbose_name=_("care schedule"), on_delete=models.CASCADE, related_name="occurrences")
    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="occurrences")
    kind = models.CharField(_("kind of care"), max_length=12, choices=Kind.choices)
    due_at = models.DateTimeField(_("due at"))
    due_date = models.DateField(_("due on"), help_text="The local day it is due, in the patient's time zone.")
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.SCHEDULED)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(User, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True)
    skip_reason = models.CharField(_("why skipped"), max_length=12, choices=SkipReason.choices, blank=True)
    retry_at = models.DateTimeField(
        _("call again at"), null=True, blank=True,
        help_text="A check-in call that reached nobody: when to try again. The due time and its reminders stay.")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "due_date"], name="one_occurrence_per_schedule_day"),
            # The planner relies on this: a series never has two open occurrences.
            models.UniqueConstraint(fields=["schedule"], condition=Q(state="scheduled"), name="one_open_occurrence_per_schedule"),
        ]
        indexes = [
            # Worklist: open occurrences of a clinic's patients by due time.
            models.Index(fields=["state", "due_at"], name="occurrence_open_due_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} due {self.due_date}"

    @property
    def is_open(self):
        return self.state == self.State.SCHEDULED

    @property
    def is_overdue(self):
        return self.is_open and self.due_date < timezone.localdate(timezone=self.patient.zone)


HOME_DRAINAGE_MAX_ML = 3000  # a catheter drains small volumes; more is a typing mistake (NICE MTG9)


class Procedure(models.Model):
    """What was performed. Each drainage is recorded once: the same moment twice is refused.

    Who performed it (a staff account, or a name and role) is kept apart from who recorded it.
    A volume of 0 is a dry tap.
    """

    class Setting(models.TextChoices):
        CLINIC = "clinic", _("Clinic or day unit")
        HOME = "home", _("Home")
        HOSPITAL = "hospital", _("Hospital ward")

    class Complication(models.TextChoices):
        NONE = "none", _("None")
        HYPOTENSION = "hypotension", _("Hypotension")
        LEAK = "leak", _("Leak at the puncture site")
        INFECTION = "infection", _("Infection")
        PAIN = "pain", _("Pain")
        BLEEDING = "bleeding", _("Bleeding")
        OTHER = "other", _("Other")

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="procedures")
    occurrence = models.OneToOneField(Occurrence, verbose_name=_("appointment"), null=True, blank=True, on_delete=models.SET_NULL, related_name="procedure")
    kind = models.CharField(_("kind of care"), max_length=12, choices=Kind.choices, default=Kind.PARACENTESIS)
    performed_at = models.DateTimeField(_("performed at"))
    volume_ml = models.PositiveIntegerField(
        _("volume drained (ml)"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(20000)]
    )
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1440)])
    complication_codes = models.JSONField(_("complications (coded)"), default=list, blank=True, help_text="Coded complications; [] when not recorded.")
    complications = models.TextField(_("other complication"), blank=True, help_text="What the \"other\" complication was.")
    setting = models.CharField(_("where"), max_length=10, choices=Setting.choices, default=Setting.CLINIC)
    performed_by = models.ForeignKey(User, verbose_name=_("performed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     help_text="The staff member who performed it, when they have an account.")
    performer_name = models.CharField(_("performer's name"), max_length=120, blank=True, help_text="Who performed it, without an account here.")
    performer_role = models.CharField(_("performer's role"), max_length=80, blank=True, help_text="For example: interventional radiologist.")
    recorded_by = models.ForeignKey(User, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["-performed_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind", "performed_at"], name="procedure_once_per_moment"),
            models.CheckConstraint(condition=Q(volume_ml__isnull=True) | Q(volume_ml__gte=0, volume_ml__lte=20000), name="volume_in_range"),
        ]
        indexes = [
            # Interval history and reports: a patient's drainages in time order.
            models.Index(fields=["patient", "kind", "performed_at"], name="procedure_history_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.performed_at:%Y-%m-%d}"

    @property
    def performer_label(self):
        if self.performer_name:
            return f"{self.performer_name} ({self.performer_role})" if self.performer_role else self.performer_name
        if self.performed_by_id:
            return self.performed_by.get_full_name() or self.performed_by.username
        return ""

    @property
    def complications_label(self):
        labels = dict(self.Complication.choices)
        words = [self.complications if code == self.Complication.OTHER and self.complications else str(labels.get(code, code))
                 for code in self.complication_codes or []]
        return ", ".join(words)

    def clean(self):
        super().clean()
        if self.performed_at and self.performed_at > timezone.now() + timedelta(minutes=5):
            raise ValidationError({"performed_at": _("A procedure cannot be recorded in the future.")})


ESAS_ITEMS = [
    ("pain", "Pain"),
    ("tiredness", "Tiredness"),
    ("drowsiness", "Drowsiness"),
    ("nausea", "Nausea"),
    ("lack_of_appetite", "Lack of Appetite"),
    ("shortness_of_breath", "Shortness of Breath"),
    ("depression", "Depression"),
    ("anxiety", "Anxiety"),
    ("wellbeing", "Wellbeing"),
    ("other_problem", "Other Problem"),
]
ESAS_FIELDS = [name for name, _label in ESAS_ITEMS]


def _esas_field(label):
    return models.PositiveSmallIntegerField(label, null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)])


class SymptomReport(models.Model):
    """An ESAS-r report: each item its own field, 0 (best) to 10 (worst), blank when not asked."""

    class CompletedBy(models.TextChoices):
        """The four options of the ESAS-r form (revised November 2010), in its words."""

        PATIENT = "patient", _("Patient")
        CAREGIVER = "caregiver", _("Family caregiver")
        PROFESSIONAL = "professional", _("Health care professional caregiver")
        ASSISTED = "caregiver_assisted", _("Caregiver-assisted")

    class Source(models.TextChoices):
        NURSE_CALL = "nurse_call", _("Nurse call")
        WEB = "web", _("Patient web form")
        SMS = "sms", _("SMS reply")
        SYSTEM = "system", _("Another system")  # e.g. the hospital's record, through FHIR

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="symptom_reports")
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    pain = _esas_field(_("Pain"))
    tiredness = _esas_field(_("Tiredness"))
    drowsiness = _esas_field(_("Drowsiness"))
    nausea = _esas_field(_("Nausea"))
    lack_of_appetite = _esas_field(_("Lack of Appetite"))
    shortness_of_breath = _esas_field(_("Shortness of Breath"))
    depression = _esas_field(_("Depression"))
    anxiety = _esas_field(_("Anxiety"))
    wellbeing = _esas_field(_("Wellbeing"))
    other_problem = _esas_field(_("Other Problem"))
    other_problem_name = models.CharField(_("other problem (its name)"), max_length=120, blank=True)
    pps = models.PositiveSmallIntegerField(_("PPS (%)"), null=True, blank=True, validators=[MaxValueValidator(100)])
    phase = models.CharField(_("PCOC phase"), max_length=14, choices=Patient.Phase.choices, blank=True)
    completed_by = models.CharField(_("completed by"), max_length=18, choices=CompletedBy.choices)
    source = models.CharField(_("how it came in"), max_length=10, choices=Source.choices)
    recorded_by = models.ForeignKey(User, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("symptom report")
        verbose_name_plural = _("symptom reports")
        ordering = ["-reported_at"]
        constraints = [
            *[
                models.CheckConstraint(condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__lte": 10}), name=f"esas_{name}_0_10")
                for name in ESAS_FIELDS
            ],
            models.CheckConstraint(
                condition=Q(pps__isnull=True) | Q(pps__in=range(0, 101, 10)), name="pps_in_tens"
            ),
        ]
        indexes = [
            # Alert rules and the trend chart: a patient's reports newest first.
            models.Index(fields=["patient", "-reported_at"], name="report_history_idx"),
        ]

    def __str__(self):
        return f"ESAS-r {self.reported_at:%Y-%m-%d}"

    def scores(self):
        return {name: getattr(self, name) for name in ESAS_FIELDS}

    def clean(self):
        super().clean()
        if self.pps is not None and self.pps % 10:
            raise ValidationError({"pps": _("PPS goes in steps of 10 (0, 10, ... 100).")})
        if self.other_problem is not None and not self.other_problem_name.strip():
            raise ValidationError({"other_problem_name": _("Name the other problem that was scored.")})


class Alert(models.Model):
    """One alert per symptom report that flagged anything: its items, and one acknowledgement."""

    class Action(models.TextChoices):
        CALLED = "called_patient", _("Called the patient")
        ADVICE = "advice_given", _("Advice given")
        MEDICINES = "medicines_reviewed", _("Medicines reviewed")
        VISIT = "visit_arranged", _("Visit arranged")
        REFERRED = "referred", _("Referred")
        NO_ACTION = "no_action", _("No action needed")

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="alerts")
    report = models.OneToOneField(SymptomReport, verbose_name=_("symptom report"), on_delete=models.CASCADE, related_name="alert")
    severe = models.BooleanField(_("severe"), default=False, help_text="At least one item scored 7 or more.")
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, verbose_name=_("acknowledged by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledgement_action = models.CharField(
        _("action taken"), max_length=20, choices=Action.choices, blank=True,
        help_text="What was done. Blank only for alerts acknowledged before actions were recorded.")
    acknowledgement_note = models.TextField(_("acknowledgement note"), blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True, help_text="When it was escalated to the clinical leads.")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at"]
        indexes = [
            # Worklist: unacknowledged alerts, severe first.
            models.Index(fields=["acknowledged_at", "severe"], name="alert_open_idx"),
        ]

    def __str__(self):
        return f"Alert {self.created_at:%Y-%m-%d}: " + "; ".join(str(item) for item in self.items.all())

    @property
    def is_open(self):
        return self.acknowledged_at is None

    @property
    def action_label(self):
        if self.acknowledged_at and not self.acknowledgement_action:
            return "Action not recorded"
        return self.get_acknowledgement_action_display()


class AlertItem(models.Model):
    """One flagged item of an alert, with its score and the last score of that item."""

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="items")
    item = models.CharField(_("symptom"), max_length=24)
    score = models.PositiveSmallIntegerField(_("score"), null=True)
    previous_score = models.PositiveSmallIntegerField(_("previous score"), null=True, help_text="The last score of this item within 30 days.")
    severe = models.BooleanField(_("severe"), default=False)
    worsening = models.BooleanField(_("worsening"), default=False)
    new_problem = models.BooleanField(_("new problem"), default=False)
    # Alerts were once one row per item, each acknowledged on its own; those acknowledgements are kept here.
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, verbose_name=_("acknowledged by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledgement_note = models.TextField(_("acknowledgement note"), blank=True)

    class Meta:
        verbose_name = _("alert item")
        verbose_name_plural = _("alert items")
        ordering = ["-severe", "-score", "pk"]
        constraints = [models.UniqueConstraint(fields=["alert", "item"], name="one_alert_item_per_item")]

    def __str__(self):
        return self.summary

    @property
    def item_label(self):
        """The item's name in the reviewed ESAS-r wording of the active language (followup.esas_r)."""
        from ..esas_r import item_names

        if self.item == "other_problem" and self.alert.report.other_problem_name:
            return self.alert.report.other_problem_name
        return item_names().get(self.item, self.item)

    @property
    def reasons(self):
        found = []
        if self.severe:
            found.append(gettext("severe"))
        if self.worsening and self.score is not None and self.previous_score is not None:
            found.append(gettext("up %(points)s") % {"points": self.score - self.previous_score})
        if self.new_problem:
            found.append(gettext("new problem"))
        return found

    @property
    def summary(self):
        """"Pain 8, was 3: severe, up 5"."""
        text = self.item_label if self.score is None else f"{self.item_label} {self.score}"
        if self.previous_score is not None:
            text += gettext(", was %(score)s") % {"score": self.previous_score}
        return f"{text}: {', '.join(self.reasons)}"


class SymptomFormLink(models.Model):
    """A patient's link to the symptom form. The URL carries a signed `token` (no PHI); the row
    makes it work once and lets a nurse see whether it was used."""

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="symptom_links")
    token = models.CharField(_("secret in the link"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    report = models.OneToOneField(SymptomReport, verbose_name=_("symptom report"), null=True, blank=True, on_delete=models.SET_NULL, related_name="link")

    class Meta:
        verbose_name = _("symptom form link")
        verbose_name_plural = _("symptom form links")

    def __str__(self):
        return f"Symptom form link {self.pk}"
