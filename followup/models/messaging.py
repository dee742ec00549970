from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .care import Alert, Occurrence
from .clinics import Clinic, OnCallContact, User
from .patients import Caregiver, Patient


class Reminder(models.Model):
    """The outbox row. Timing lives here, never in Celery: the dispatch tick sends what is due.

    The unique key is (occurrence, recipient, channel, purpose, due_at): at most one message for
    each appointment time. When a nurse moves an appointment, unsent reminders move with it, and
    a reminder already sent for the old time does not stop one for the new time.

    A staff page (an alert to the on-call contacts, or its escalation to the clinical leads) is a row
    of the same outbox with `alert` set instead of `occurrence` and `patient`: its key is (alert,
    recipient, channel, purpose), so nobody is paged twice about one alert.
    """

    class Purpose(models.TextChoices):
        DAY_BEFORE = "day_before", _("Day before")
        MORNING_OF = "morning_of", _("Morning of")
        CHECKIN = "checkin", _("Check-in")
        ON_CALL = "on_call", _("On-call alert")
        ESCALATION = "escalation", _("Escalation")

    STAFF_PURPOSES = (Purpose.ON_CALL, Purpose.ESCALATION)

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        QUEUED = "queued", _("Queued")  # claimed by a tick, handed to a worker
        SENDING = "sending", _("Sending")  # a worker is calling the provider
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")
        EXPIRED = "expired", _("Expired")
        SKIPPED = "skipped", _("Skipped")
        CANCELLED = "cancelled", _("Cancelled")

    UNSENT = (State.PLANNED, State.QUEUED)
    PROBLEMS = (State.FAILED, State.UNKNOWN, State.EXPIRED)
    # States that count against the text caps: the message went, or may have gone, out.
    COUNTED = (State.PLANNED, State.QUEUED, State.SENDING, State.SENT, State.DELIVERED, State.UNKNOWN)

    occurrence = models.ForeignKey(Occurrence, verbose_name=_("appointment"), null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    patient = models.ForeignKey(Patient, verbose_name=_("patient"), null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    caregiver = models.ForeignKey(Caregiver, verbose_name=_("caregiver"), null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    alert = models.ForeignKey(Alert, verbose_name=_("alert"), null=True, blank=True, on_delete=models.CASCADE, related_name="pages",
                              help_text="A staff page: the alert it is about.")
    on_call = models.ForeignKey(OnCallContact, verbose_name=_("on-call contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="pages")
    staff = models.ForeignKey(User, verbose_name=_("clinical lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="pages",
                              help_text="A staff page to a clinical lead.")
    recipient = models.CharField(_("recipient"), max_length=24, help_text='"patient", "caregiver-<id>", "oncall-<id>" or "lead-<id>"')
    channel = models.CharField(_("channel"), max_length=5, choices=[("sms", _("Text message")), ("email", _("E-mail"))])
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    due_at = models.DateTimeField(_("appointment time"), help_text="The appointment time this reminder is about.")
    send_at = models.DateTimeField(_("send at"))
    expires_at = models.DateTimeField(_("too late after"))
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.PLANNED)
    reason = models.CharField(_("reason"), max_length=200, blank=True, help_text="Why it was skipped, failed, expired...")
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    claimed_at = models.DateTimeField(_("queued"), null=True, blank=True)
    sending_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=64, blank=True)
    # What the provider was about to see, written just before the call: reconciliation asks the
    # provider about exactly this message when the worker died before recording the outcome.
    handed_over_at = models.DateTimeField(_("handed to the provider"), null=True, blank=True)
    handed_to = models.CharField(_("sent to"), max_length=254, blank=True, help_text="The number or address the provider was given.")
    handed_from = models.CharField(_("sent from"), max_length=254, blank=True)
    body_sha256 = models.CharField(_("text fingerprint (SHA-256)"), max_length=64, blank=True, help_text="SHA-256 of the exact text handed over.")
    left_for_nurse_at = models.DateTimeField(_("left for a nurse"), null=True, blank=True, help_text="The provider could not say whether it went out.")
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True, help_text="A nurse has seen this problem.")
    acknowledged_by = models.ForeignKey(User, verbose_name=_("acknowledged by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed by the recipient"), null=True, blank=True, help_text="The recipient replied C.")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["send_at"]
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "recipient", "channel", "purpose", "due_at"], name="reminder_key"),
            models.UniqueConstraint(fields=["alert", "recipient", "channel", "purpose"], condition=Q(alert__isnull=False),
                                    name="staff_page_key"),
            models.CheckConstraint(
                condition=Q(alert__isnull=True, occurrence__isnull=False, patient__isnull=False)
                | Q(alert__isnull=False, occurrence__isnull=True, patient__isnull=True),
                name="reminder_for_a_patient_or_staff",
            ),
        ]
        indexes = [
            # The dispatch tick: queued and sending rows gone stale (claim_due, expire_and_resolve).
            models.Index(fields=["state", "send_at"], name="reminder_due_idx"),
            # The tick's claim: planned rows due now, oldest first, among any number planned for later
            # (claim_due; bench/dispatch.py --planned).
            models.Index(fields=["send_at"], name="reminder_planned_idx", condition=Q(state="planned")),
            # The tick's expiry: unsent rows past their lateness window (expire_and_resolve).
            models.Index(fields=["expires_at"], name="reminder_unsent_expiry_idx", condition=Q(state__in=["planned", "queued"])),
            # Reconciliation: rows in doubt that the provider has not been asked about in vain.
            models.Index(fields=["sending_at"], name="reminder_in_doubt_idx", condition=Q(state="unknown", left_for_nurse_at=None)),
            # Text caps: a patient's messages around a day.
            models.Index(fields=["patient", "channel", "send_at"], name="reminder_cap_idx"),
            # Status callbacks find the row by the provider's message id.
            models.Index(fields=["provider_id"], name="reminder_provider_idx", condition=~Q(provider_id="")),
        ]

    def __str__(self):
        return f"Reminder {self.key} ({self.state})"

    @property
    def is_staff_page(self):
        return self.alert_id is not None

    @property
    def key(self):
        if self.is_staff_page:
            return f"a{self.alert_id}-{self.recipient}-{self.channel}-{self.purpose}"
        return f"r{self.occurrence_id}-{self.recipient}-{self.channel}-{self.purpose}-{self.due_at:%Y%m%d%H%M}"

    def move(self, to_state, reason="", **fields):
        """Move this row to `to_state` only if it is still in the state we loaded; True if we won.

        A conditional UPDATE, so two workers racing for the same row cannot both move it.
        """
        now = timezone.now()
        changed = Reminder.objects.filter(pk=self.pk, state=self.state).update(state=to_state, reason=reason[:200], **fields)
        if changed:
            ReminderEvent.objects.create(reminder_id=self.pk, at=now, from_state=self.state, to_state=to_state, reason=reason[:200])
            self.state = to_state
            self.reason = reason[:200]
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(changed)


class ReminderEvent(models.Model):
    """Every state change of a reminder, with time and reason."""

    reminder = models.ForeignKey(Reminder, verbose_name=_("reminder"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"))
    from_state = models.CharField(_("from"), max_length=10, blank=True)
    to_state = models.CharField(_("to"), max_length=10)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reminder event")
        verbose_name_plural = _("reminder events")
        ordering = ["at", "id"]


class InboundMessage(models.Model):
    class Kind(models.TextChoices):
        STOP = "stop", _("Opt-out")
        START = "start", _("Opt back in")
        HELP = "help", _("Help")
        CONFIRM = "confirm", _("Confirmation")
        SYMPTOMS = "symptoms", _("Symptom scores")
        OTHER = "other", _("Message")

    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages")
    patient = models.ForeignKey(Patient, verbose_name=_("patient"), null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages")
    caregiver = models.ForeignKey(Caregiver, verbose_name=_("caregiver"), null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages")
    class RoutedBy(models.TextChoices):
        TO_NUMBER = "to_number", _("The number it was sent to")
        CONVERSATION = "conversation", _("The latest conversation")
        SENDER = "sender", _("The sender's number")
        ASSIGNED = "assigned", _("Assigned by a clinical lead")
        UNROUTED = "unrouted", _("Waiting to be assigned")
        UNKNOWN = "unknown", _("Unknown sender")

    provider_id = models.CharField(_("provider's message id"), max_length=64, unique=True)
    from_number = models.CharField(_("from number"), max_length=20)
    to_number = models.CharField(_("to number"), max_length=20, blank=True)
    routed_by = models.CharField(_("routed by"), max_length=12, choices=RoutedBy.choices, blank=True)
    involved_clinics = models.ManyToManyField(
        Clinic, verbose_name=_("clinics sharing the number"), blank=True, related_name="unrouted_messages",
        help_text="A shared number's clinics, whose leads may assign the message while it is unrouted.")
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    assigned_by = models.ForeignKey(User, verbose_name=_("assigned by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("message"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    handled_by = models.ForeignKey(User, verbose_name=_("handled by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    suggested_scores = models.JSONField(
        _("suggested scores"), null=True, blank=True,
        help_text="Scores read from a text whose words or direction are ambiguous ('appetite 9'): never a report "
                  "until a nurse confirms or corrects them.")
    class OptOutDecision(models.TextChoices):
        OPT_OUT = "opt_out", "Read as an opt-out"
        NOT_OPT_OUT = "not_opt_out", "Not an opt-out"

    possible_opt_out = models.BooleanField(
        _("may be an opt-out"), default=False, help_text="A reply that may mean 'stop': waits for a nurse to decide (overdue after 10 business days).")
    opt_out_decision = models.CharField(_("opt-out decision"), max_length=12, choices=OptOutDecision.choices, blank=True)

    class Meta:
        verbose_name = _("message received")
        verbose_name_plural = _("messages received")
        ordering = ["-received_at"]
        indexes = [
            # Worklist: messages a nurse has not handled yet.
            models.Index(fields=["kind", "handled_at"], name="inbound_waiting_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} received {self.received_at:%Y-%m-%d %H:%M}"


class Heartbeat(models.Model):
    """When a periodic job last ran (the dispatch tick), for /healthz and the late-tick banner."""

    name = models.CharField(_("job"), max_length=40, unique=True)
    last_at = models.DateTimeField(_("last ran"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} at {self.last_at}"

    @classmethod
    def beat(cls, name, at=None):
        cls.objects.update_or_create(name=name, defaults={"last_at": at or timezone.now()})

    @classmethod
    def last(cls, name):
        return cls.objects.filter(name=name).values_list("last_at", flat=True).first()


class EmailAddress(models.Model):
    """An e-mail address we write to, with the secret of its unsubscribe link and its opt-out.

    An e-mail unsubscribe belongs to the address: it stops e-mail to that address only, for every
    patient and caregiver who gives it, and not texts or calls to anyone's phone."""

    address = models.EmailField(_("address"), unique=True)  # lower-cased
    token = models.CharField(_("secret in the unsubscribe link"), max_length=43, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    unsubscribed_source = models.CharField(_("how they unsubscribed"), max_length=40, blank=True,
                                           help_text="How: one-click (mailbox button), link in the e-mail.")

    class Meta:
        verbose_name = _("e-mail address")
        verbose_name_plural = _("e-mail addresses")

    def __str__(self):
        return f"E-mail address {self.pk}"

    @classmethod
    def is_unsubscribed(cls, address):
        return cls.objects.filter(address=address.strip().lower(), unsubscribed_at__isnull=False).exists()
