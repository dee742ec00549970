"""The events that change a patient's plan: phase episodes, a death and the bereavement calls after
it, pauses (a hospital stay), answers to the catheter advisory, a catheter placed, and the
caregiver's single-use link for logging a home drainage."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .care import Procedure
from .clinics import User
from .patients import Caregiver, Patient


class PhaseEpisode(models.Model):
    """A stretch of time in one PCOC phase: from when it began to when the next one did."""

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="phase_episodes")
    phase = models.CharField(_("PCOC phase"), max_length=14, choices=Patient.Phase.choices)
    started_at = models.DateTimeField(_("began"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    started_by = models.ForeignKey(User, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("phase episode")
        verbose_name_plural = _("phase episodes")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["patient"], condition=Q(ended_at__isnull=True), name="one_open_phase_episode"),
        ]

    def __str__(self):
        return f"{self.get_phase_display()} from {self.started_at:%Y-%m-%d}"


class Death(models.Model):
    """A patient's death as the team learnt of it. Hospital records often arrive days later."""

    class Place(models.TextChoices):
        HOME = "home", _("Home")
        INPATIENT_UNIT = "inpatient_unit", _("Inpatient unit")
        HOSPITAL = "hospital", _("Hospital")
        OTHER = "other", _("Other")

    class Source(models.TextChoices):
        FAMILY = "family", _("Family")
        STAFF = "staff", _("Staff")
        HOSPITAL_RECORD = "hospital_record", _("Hospital record")

    patient = models.OneToOneField(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="death")
    died_at = models.DateTimeField(_("date and time of death"))
    place = models.CharField(_("place of death"), max_length=16, choices=Place.choices)
    source = models.CharField(_("how the team learnt of it"), max_length=16, choices=Source.choices)
    recorded_by = models.ForeignKey(User, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("death")
        verbose_name_plural = _("deaths")

    def __str__(self):
        return f"Death on {self.died_at:%Y-%m-%d}"


class BereavementCall(models.Model):
    """A call to the family after a death: a task for a person, never an automated message."""

    class Outcome(models.TextChoices):
        SPOKE = "spoke", _("Spoke with the family")
        LEFT_MESSAGE = "left_message", _("Left a message")
        NO_ANSWER = "no_answer", _("No answer")
        DECLINED = "declined", _("Family declined further calls")
        REFERRED = "referred", _("Referred to bereavement support")

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="bereavement_calls")
    caregiver = models.ForeignKey(Caregiver, verbose_name=_("next of kin"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  help_text="The next of kin to call, when one is recorded.")
    step = models.CharField(_("how long after the death"), max_length=40, help_text='How long after the death, as the plan says: "3 months".')
    due_on = models.DateField(_("due on"))
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices, blank=True)
    done_at = models.DateTimeField(_("called"), null=True, blank=True)
    done_by = models.ForeignKey(User, verbose_name=_("called by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bereavement call")
        verbose_name_plural = _("bereavement calls")
        ordering = ["due_on", "pk"]
        indexes = [
            # Worklist: bereavement calls not yet made, by due date.
            models.Index(fields=["done_at", "due_on"], name="bereavement_open_idx"),
        ]

    def __str__(self):
        return f"Bereavement call at {self.step} ({self.due_on})"

    @property
    def step_label(self):
        """The step ("2 weeks", stored as the clinic's plan wrote it) in the page's language."""
        import re

        from ..scheduling import Interval

        match = re.fullmatch(r"(\d+) (day|week|month)s?", self.step or "")
        return str(Interval(int(match[1]), f"{match[2]}s")) if match else self.step

    @property
    def is_open(self):
        return self.done_at is None


class Pause(models.Model):
    """Why a patient's reminders are paused, and when to look again."""

    class Reason(models.TextChoices):
        HOSPITAL_ADMISSION = "hospital_admission", _("Hospital admission")
        RESPITE = "respite", _("Respite")
        PATIENT_WISH = "patient_wish", _("Patient's wish")
        OTHER = "other", _("Other")

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    review_on = models.DateField(_("review on"), null=True, blank=True, help_text="The day the worklist asks to resume or extend.")
    started_at = models.DateTimeField(_("paused"))
    started_by = models.ForeignKey(User, verbose_name=_("paused by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ended_at = models.DateTimeField(_("resumed"), null=True, blank=True)
    ended_by = models.ForeignKey(User, verbose_name=_("resumed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["patient"], condition=Q(ended_at__isnull=True), name="one_open_pause"),
        ]

    def __str__(self):
        return f"Pause ({self.get_reason_display()}) from {self.started_at:%Y-%m-%d}"


class AdvisoryAnswer(models.Model):
    """The team's answer to the "consider a catheter" advisory; it silences it for a while."""

    class Answer(models.TextChoices):
        DECLINED = "declined", _("Discussed and declined")
        REFERRED = "referred", _("Referred")
        NOT_SUITABLE = "not_suitable", _("Not suitable")

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="advisory_answers")
    answer = models.CharField(_("answer"), max_length=12, choices=Answer.choices)
    answered_on = models.DateField(_("answered on"))
    silenced_until = models.DateField(_("silenced until"), help_text="The advisory is not shown before this day.")
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(User, verbose_name=_("answered by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("catheter advisory answer")
        verbose_name_plural = _("catheter advisory answers")
        ordering = ["-answered_on", "-pk"]
        indexes = [
            # The advisory's silence: the latest answer of each patient.
            models.Index(fields=["patient", "-silenced_until"], name="advisory_silence_idx"),
        ]

    def __str__(self):
        return f"{self.get_answer_display()} on {self.answered_on}"


class Catheter(models.Model):
    """An indwelling peritoneal catheter: drainage moves home."""

    class Type(models.TextChoices):
        TUNNELLED = "tunnelled", _("Tunnelled peritoneal catheter")
        PORT = "port", _("Implanted peritoneal port")
        OTHER = "other", _("Other")

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="catheters")
    placed_on = models.DateField(_("placed on"))
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    recorded_by = models.ForeignKey(User, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("catheter")
        verbose_name_plural = _("catheters")
        ordering = ["-placed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["patient"], condition=Q(removed_on__isnull=True), name="one_catheter_in_place"),
        ]

    def __str__(self):
        return f"{self.get_type_display()} placed {self.placed_on}"


class HomeDrainageLink(models.Model):
    """A caregiver's link to log one home drainage. Like the symptom form's: the URL carries only a
    signed random token; the row says whose it is, until when, and whether it was used."""

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="home_drainage_links")
    token = models.CharField(_("secret in the link"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(User, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    procedure = models.OneToOneField(Procedure, verbose_name=_("drainage logged"), null=True, blank=True, on_delete=models.SET_NULL, related_name="link")

    class Meta:
        verbose_name = _("home drainage link")
        verbose_name_plural = _("home drainage links")

    def __str__(self):
        return f"Home drainage link {self.pk}"
