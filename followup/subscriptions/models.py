"""Subscribers, the events they are told of, and the outbox of deliveries (with every attempt logged).

The tables are this module's own, apart from the reminders' outbox, so that a subscriber that fails or
hangs never holds up a reminder: their rows, ticks, tasks and Celery queue are all separate.
"""

import base64
import secrets
import uuid
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Clinic


class EventType(models.TextChoices):
    PATIENT_STATUS = "patient.status_changed", _("A patient's status changed (paused, resumed, discharged, died)")
    ALERT = "alert.raised", _("A symptom report raised an alert")
    DRAINAGE = "drainage.recorded", _("A drainage was recorded")
    APPOINTMENT = "appointment.changed", _("An appointment was booked, moved, done, missed, skipped or cancelled")


def new_secret():
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def validate_endpoint(url):
    """HTTPS, except to this machine (a receiver under test or on the same host)."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS):
        raise ValidationError("The endpoint must be an https:// address (http:// only to localhost).")


def all_event_types():
    return list(EventType.values)


class Subscriber(models.Model):
    """Another system of the clinic that wants to hear of changes: where to POST, and the secret it
    checks our signature with."""

    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), on_delete=models.CASCADE, related_name="subscribers",
                               help_text="Only this clinic's changes are sent.")
    name = models.CharField(_("name"), max_length=120, help_text="The receiving system, e.g. 'St. Mary's & Riverside EHR'.")
    url = models.URLField(_("endpoint"), max_length=500, validators=[validate_endpoint])
    secret = models.CharField(_("signing secret"), max_length=80, default=new_secret,
                              help_text="Give this to the receiving system; it checks every request's signature with it.")
    events = models.JSONField(_("event types"), default=all_event_types, help_text="The event types sent.")
    active = models.BooleanField(_("active"), default=True, help_text="Off: nothing more is sent; waiting deliveries are cancelled.")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        ordering = ["clinic", "name"]

    def __str__(self):
        return f"{self.name} ({self.clinic})"

    def clean(self):
        super().clean()
        unknown = sorted(set(self.events or []) - set(EventType.values))
        if unknown:
            raise ValidationError({"events": f"Unknown event type(s): {', '.join(unknown)}."})
        if not self.events:
            raise ValidationError({"events": "Choose at least one event type."})

    def rotate_secret(self):
        self.secret = new_secret()
        self.save(update_fields=["secret"])


class Event(models.Model):
    """One change, recorded in the transaction that made it; `key` names the history row it came from."""

    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(_("key"), max_length=80, unique=True)
    type = models.CharField(_("event type"), max_length=40, choices=EventType.choices)
    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), on_delete=models.CASCADE, related_name="+")
    occurred_at = models.DateTimeField(_("occurred"))
    data = models.JSONField(_("data"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("change event")
        verbose_name_plural = _("change events")
        ordering = ["-occurred_at"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class Delivery(models.Model):
    """The outbox row: one event for one subscriber, sent until the subscriber answers 2xx.

        pending --tick claims--> queued --task wins it--> sending --2xx--> delivered
           ^                                                  |
           +----------- not 2xx / no answer: retry later -----+--> failed (gave up after MAX_ATTEMPTS)
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Gave up")
        CANCELLED = "cancelled", _("Cancelled")

    event = models.ForeignKey(Event, verbose_name=_("change event"), on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    next_attempt_at = models.DateTimeField(_("next try at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("queued"), null=True, blank=True)
    sending_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True, help_text="The subscriber's last HTTP status.")
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="one_delivery_per_event_and_subscriber"),
        ]
        indexes = [
            # The webhook tick: pending rows due now, queued and sending rows gone stale.
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due_idx"),
            # The delivery log: a subscriber's deliveries newest first.
            models.Index(fields=["subscriber", "-created_at"], name="delivery_log_idx"),
        ]

    def __str__(self):
        return f"{self.event.type} to {self.subscriber.name} ({self.get_state_display().lower()})"


class Attempt(models.Model):
    """One POST to a subscriber: what it answered and how long it took. The delivery log."""

    delivery = models.ForeignKey(Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("when"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status_code__isnull=False) | ~Q(error=""), name="attempt_has_an_outcome"),
        ]
