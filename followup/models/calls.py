from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .care import Occurrence, SymptomReport
from .clinics import User
from .patients import Patient


class CallAttempt(models.Model):
    """One try at a check-in call, and what came of it."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached the patient")
        CAREGIVER = "caregiver", _("Spoke with a caregiver")
        NO_ANSWER = "no_answer", _("No answer")
        VOICEMAIL = "voicemail", _("Left a voicemail")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        DECLINED = "declined", _("Declined")

    ANSWERED = (Outcome.REACHED, Outcome.CAREGIVER)
    # Calls that reached nobody; two in a row flag the patient "not reached".
    UNANSWERED = (Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.WRONG_NUMBER)
    RETRIED = (Outcome.NO_ANSWER, Outcome.VOICEMAIL)

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="call_attempts")
    occurrence = models.ForeignKey(Occurrence, verbose_name=_("appointment"), null=True, blank=True, on_delete=models.SET_NULL, related_name="call_attempts")
    at = models.DateTimeField(_("when"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    by = models.ForeignKey(User, verbose_name=_("called by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True)
    report = models.OneToOneField(SymptomReport, verbose_name=_("symptom report"), null=True, blank=True, on_delete=models.SET_NULL, related_name="call")
    retry_at = models.DateTimeField(_("call again at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["patient", "-at"], name="call_history_idx")]

    def __str__(self):
        return f"Call {self.at:%Y-%m-%d %H:%M}: {self.get_outcome_display()}"

    @property
    def answered(self):
        return self.outcome in self.ANSWERED
