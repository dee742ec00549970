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

    received_at = models.DateTimeField(_("received"), default=timezone.now)
    peer = models.CharField(_("came from (address)"), max_length=64, blank=True, help_text="The address the message came from.")
    sending_application = models.CharField(_("sending application"), max_length=180, blank=True, help_text="MSH-3")
    sending_facility = models.CharField(_("sending facility"), max_length=180, blank=True, help_text="MSH-4")
    control_id = models.CharField(_("message control id"), max_length=199, blank=True, help_text="MSH-10, the hospital's id of this message.")
    message_type = models.CharField(_("message type"), max_length=20, blank=True, help_text="MSH-9, e.g. ADT^A01")
    event = models.CharField(_("trigger event"), max_length=3, blank=True, help_text="The trigger event, e.g. A01")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    ack_code = models.CharField(_("acknowledgement code"), max_length=2, help_text="MSA-1 of the acknowledgement: AA, AE or AR.")
    reason = models.CharField(_("reason"), max_length=300, blank=True, help_text="Why it was refused or not applied.")
    detail = models.CharField(_("what Followup did"), max_length=300, blank=True, help_text="What Followup did.")
    patient = models.ForeignKey(Patient, verbose_name=_("patient"), null=True, blank=True, on_delete=models.SET_NULL, related_name="hospital_messages")
    clinics = models.ManyToManyField(Clinic, verbose_name=_("clinics"), blank=True, related_name="hospital_messages",
                                     help_text="The clinics whose leads see this message.")
    raw = models.TextField(_("message as received"), help_text="The message as received (cut at the listener's size limit).")
    ack = models.TextField(_("acknowledgement sent"), help_text="The acknowledgement sent back, sent again for a repeat.")
    repeats = models.PositiveIntegerField(_("repeats"), default=0, help_text="How many times the same message id came again.")

    class Meta:
        verbose_name = _("hospital message")
        verbose_name_plural = _("hospital messages")
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

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="hospital_notices")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    message = models.ForeignKey(HospitalMessage, verbose_name=_("hospital message"), null=True, blank=True, on_delete=models.SET_NULL, related_name="notices")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    new_mobile = PhoneNumberField(_("new mobile number"), blank=True, help_text="The number the hospital now has (kind phone).")
    other_patient = models.ForeignKey(Patient, verbose_name=_("other patient record"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                      help_text="The other record of a merge, when Followup has it.")
    closed_at = models.DateTimeField(_("settled"), null=True, blank=True)
    closed_by = models.ForeignKey(User, verbose_name=_("settled by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = _("hospital notice")
        verbose_name_plural = _("hospital notices")
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
