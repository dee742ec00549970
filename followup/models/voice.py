from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .care import SymptomReport
from .messaging import Reminder
from .patients import Caregiver, Patient


class VoiceCall(models.Model):
    """One automated call, from Twilio's first webhook to its last status callback, and where its
    script stands: the keypad answers so far live here until the report is recorded."""

    class Step(models.TextChoices):
        MENU = "menu", _("Message and menu")
        WHO = "who", _("Who is answering")
        ITEM = "item", _("ESAS-r item")
        READ_BACK = "read_back", _("Read-back of a score")
        CALL_TODAY = "call_today", _("Do you need a call today?")
        DONE = "done", _("Script finished")

    call_sid = models.CharField(_("Twilio call id"), max_length=64, unique=True)
    reminder = models.ForeignKey(Reminder, verbose_name=_("reminder"), null=True, blank=True, on_delete=models.SET_NULL, related_name="calls")
    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="voice_calls")
    caregiver = models.ForeignKey(Caregiver, verbose_name=_("caregiver"), null=True, blank=True, on_delete=models.CASCADE, related_name="voice_calls")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Reminder.Purpose.choices)
    language = models.CharField(_("language"), max_length=10)
    answered_by = models.CharField(_("answered by"), max_length=24, blank=True, help_text="Twilio's answering-machine detection.")
    status = models.CharField(_("call status"), max_length=12, blank=True, help_text="Twilio's last CallStatus.")
    step = models.CharField(_("step"), max_length=10, choices=Step.choices, default=Step.MENU)
    item_index = models.PositiveSmallIntegerField(_("item asked"), default=0, help_text="Which keypad item is being asked.")
    pending_score = models.PositiveSmallIntegerField(_("score keyed, not yet confirmed"), null=True, blank=True, help_text="Keyed, waiting for its read-back.")
    tries = models.PositiveSmallIntegerField(_("unusable answers in a row"), default=0, help_text="Unusable answers in a row at this step.")
    completed_by = models.CharField(_("completed by"), max_length=18, choices=SymptomReport.CompletedBy.choices, blank=True)
    scores = models.JSONField(_("scores keyed so far"), default=dict, blank=True)
    needs_call_today = models.BooleanField(_("needs a call today"), null=True, blank=True)
    report = models.OneToOneField(SymptomReport, verbose_name=_("symptom report"), null=True, blank=True, on_delete=models.SET_NULL, related_name="voice_call")
    confirmed_at = models.DateTimeField(_("appointment confirmed"), null=True, blank=True)
    opted_out_at = models.DateTimeField(_("number opted out (key 9)"), null=True, blank=True)
    started_at = models.DateTimeField(_("answered"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("automated call")
        verbose_name_plural = _("automated calls")
        ordering = ["-started_at"]

    def __str__(self):
        return f"Call {self.pk} ({self.get_step_display()})"

    @property
    def is_over(self):
        return self.ended_at is not None or self.step == self.Step.DONE

    @property
    def contact(self):
        return self.caregiver or self.patient
