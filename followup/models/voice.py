from django.db import models
from django.utils import timezone

from .care import SymptomReport
from .messaging import Reminder
from .patients import Caregiver, Patient


class VoiceCall(models.Model):
    """One automated call, from Twilio's first webhook to its last status callback, and where its
    script stands: the keypad answers so far live here until the report is recorded."""

    class Step(models.TextChoices):
        MENU = "menu", "Message and menu"
        WHO = "who", "Who is answering"
        ITEM = "item", "ESAS-r item"
        READ_BACK = "read_back", "Read-back of a score"
        CALL_TODAY = "call_today", "Do you need a call today?"
        DONE = "done", "Script finished"

    call_sid = models.CharField(max_length=64, unique=True)
    reminder = models.ForeignKey(Reminder, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="voice_calls")
    caregiver = models.ForeignKey(Caregiver, null=True, blank=True, on_delete=models.CASCADE, related_name="voice_calls")
    purpose = models.CharField(max_length=10, choices=Reminder.Purpose.choices)
    language = models.CharField(max_length=2)
    answered_by = models.CharField(max_length=24, blank=True, help_text="Twilio's answering-machine detection.")
    status = models.CharField(max_length=12, blank=True, help_text="Twilio's last CallStatus.")
    step = models.CharField(max_length=10, choices=Step.choices, default=Step.MENU)
    item_index = models.PositiveSmallIntegerField(default=0, help_text="Which keypad item is being asked.")
    pending_score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Keyed, waiting for its read-back.")
    tries = models.PositiveSmallIntegerField(default=0, help_text="Unusable answers in a row at this step.")
    completed_by = models.CharField(max_length=18, choices=SymptomReport.CompletedBy.choices, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    needs_call_today = models.BooleanField(null=True, blank=True)
    report = models.OneToOneField(SymptomReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="voice_call")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"Call {self.pk} ({self.get_step_display()})"

    @property
    def is_over(self):
        return self.ended_at is not None or self.step == self.Step.DONE

    @property
    def contact(self):
        return self.caregiver or self.patient
