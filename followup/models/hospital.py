"""What the hospital tells us over HL7 v2 (ADT over MLLP), and what it leaves for a nurse to decide.

`HospitalMessage` is the log of every message the listener received, with the acknowledgement it
was answered with (sent again, unchanged, when the hospital repeats a message control id).
`HospitalNotice` is what a nurse settles on the worklist: "back home? resume", a new phone number
to confirm, two records the hospital merged, a death reported without its time.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from .clinics import Clinic, User
from .patients import Patient


class HospitalMessage(models.Model):
    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        IGNORED = "ignored", _("Not used by Followup")
        NOT_APPLIED = "not_applied", _("Not applied")
        REFUSED = "refused", _("Refused")

    received_at = models.DateTimeField(default=timezone.now)
    peer = models.CharField(max_length=64, blank=True, help_text="The address the message came from.")
    sending_application = models.CharField(max_length=180, blank=True, help_text="MSH-3")
    sending_facility = models.CharField(max_length=180, blank=True, help_text="MSH-4")
    control_id = models.CharField(max_length=199, blank=True, help_text="MSH-10, the hospital's id of this message.")
    message_type = models.CharField(max_length=20, blank=True, help_text="MSH-9, e.g. ADT^A01")
    event = models.CharField(max_length=3, blank=True, help_text="The trigger event, e.g. A01")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    ack_code = models.CharField(max_length=2, help_text="MSA-1 of the acknowledgement: AA, AE or AR.")
    reason = models.CharField(max_length=300, blank=True, help_text="Why it was refused or not applied.")
    detail = models.CharField(max_length=300, blank=True, help_text="What Followup did.")
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="hospital_messages")
    clinics = models.ManyToManyField(Clinic, blank=True, related_name="hospital_messages",
                                     help_text="The clinics whose leads see this message.")
    raw = models.TextField(help_text="The message as received (cut at the listener's size limit).")
    ack = models.TextField(help_text="The acknowledgement sent back, sent again for a repeat.")
    repeats = models.PositiveIntegerField(default=0, help_text="How many times the same message id came again.")

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            # A repeat of a message id from the same sender changes nothing and gets the same ACK.
            models.UniqueConstraint(fields=["sending_application", "sending_facility", "control_id"],
                                    condition=~Q(control_id=""), name="hospital_message_once"),
        ]
        indexes = [
            # The leads' page and /metrics: recent messages, newest first.
            models.Index(fields=["-received_at"], name="hospital_message_recent_idx"),
        ]

    def __str__(self):
        return f"{self.message_type or 'HL7 message'} {self.control_id or '(no id)'}: {self.get_outcome_display()}"


class HospitalNotice(models.Model):
    class Kind(models.TextChoices):
        BACK_HOME = "back_home", _("Back home? Resume")
        PHONE_TO_CONFIRM = "phone", _("New phone number to confirm")
        MERGED_RECORDS = "merged", _("Hospital merged two records")
        DEATH_WITHOUT_TIME = "death", _("Death reported without a time")

    class Outcome(models.TextChoices):
        RESUMED = "resumed", _("Resumed")
        KEPT_PAUSED = "kept_paused", _("Kept paused")
        NUMBER_USED = "number_used", _("New number used")
        NUMBER_KEPT = "number_kept", _("Current number kept")
        SEEN = "seen", _("Seen")
        SUPERSEDED = "superseded", _("Replaced by a later notice")
        CLOSED = "closed", _("Patient's care ended")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="hospital_notices")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    message = models.ForeignKey(HospitalMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices")
    created_at = models.DateTimeField(default=timezone.now)
    detail = models.CharField(max_length=300, blank=True)
    new_mobile = PhoneNumberField(blank=True, help_text="The number the hospital now has (kind phone).")
    other_patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                      help_text="The other record of a merge, when Followup has it.")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The worklist: a clinic's open notices.
            models.Index(fields=["patient"], condition=Q(closed_at__isnull=True), name="hospital_notice_open_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for patient {self.patient_id}"

    @property
    def is_open(self):
        return self.closed_at is None
