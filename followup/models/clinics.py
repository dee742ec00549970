from datetime import time

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from phonenumber_field.modelfields import PhoneNumberField

from .validators import on_one_line


class Clinic(models.Model):
    """A palliative care team. Every patient belongs to one; staff see only their clinics.

    The numbers below are clinic settings a clinical lead can change; their defaults come from
    shared/domain.md (each with its source there).
    """

    name = models.CharField(max_length=120, unique=True, validators=[on_one_line])
    phone = PhoneNumberField(help_text="The number patients call to reach the team.")
    time_zone = models.CharField(max_length=64, default="America/New_York")

    paracentesis_interval_days = models.PositiveSmallIntegerField(
        default=21, validators=[MinValueValidator(2), MaxValueValidator(183)],
        help_text="Default drainage interval for a new patient ('every few weeks': 3 weeks).",
    )
    checkin_days_stable = models.PositiveSmallIntegerField(default=7, validators=[MinValueValidator(1)])
    checkin_days_unstable = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    checkin_days_deteriorating = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1)])
    checkin_days_terminal = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    appointment_time = models.TimeField(default=time(9, 0), help_text="Local time a new occurrence is due.")
    quiet_hours_end = models.TimeField(default=time(8, 0), help_text="No automated message before this.")
    quiet_hours_start = models.TimeField(default=time(21, 0), help_text="No automated message from this on.")
    drainage_reminder_day_before_at = models.TimeField(default=time(18, 0))
    drainage_reminder_morning_at = models.TimeField(default=time(8, 0))
    checkin_reminder_at = models.TimeField(default=time(9, 0))
    reminder_lateness_minutes = models.PositiveSmallIntegerField(
        default=180, validators=[MinValueValidator(10)],
        help_text="A reminder not sent within this long after its time expires instead of going out late.",
    )
    history_window_days = models.PositiveSmallIntegerField(
        "history kept from before enrolment (days)", default=365, validators=[MaxValueValidator(3660)],
        help_text="A drainage or symptom report may be dated up to this many days before the patient's series "
                  "began (history entered later); anything earlier is refused as a likely typing slip.",
    )
    sms_per_day = models.PositiveSmallIntegerField(default=1)
    sms_per_week = models.PositiveSmallIntegerField(default=3)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def checkin_days_for_phase(self, phase):
        return {
            "stable": self.checkin_days_stable,
            "unstable": self.checkin_days_unstable,
            "deteriorating": self.checkin_days_deteriorating,
            "terminal": self.checkin_days_terminal,
        }.get(phase, self.checkin_days_stable)


class User(AbstractUser):
    """Staff. Custom from the first migration so it can grow without a painful swap."""

    def clinic_ids(self):
        if not hasattr(self, "_clinic_ids"):
            self._clinic_ids = set(self.memberships.values_list("clinic_id", flat=True))
        return self._clinic_ids

    def is_lead_of(self, clinic_id):
        return self.memberships.filter(clinic_id=clinic_id, role=Membership.Role.LEAD).exists()

    def is_lead_anywhere(self):
        return self.memberships.filter(role=Membership.Role.LEAD).exists()


class Membership(models.Model):
    class Role(models.TextChoices):
        NURSE = "nurse", "Nurse"
        LEAD = "lead", "Clinical lead"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.NURSE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "clinic"], name="one_role_per_clinic")]

    def __str__(self):
        return f"{self.user} - {self.get_role_display()} at {self.clinic}"


class CalendarFeed(models.Model):
    """A secret, revocable iCalendar URL of upcoming occurrences: one nurse's, or a whole clinic's."""

    token = models.CharField(max_length=43, unique=True)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feeds")
    clinic = models.ForeignKey(Clinic, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feeds",
                               help_text="Blank: the owner's own patients. Set: every patient of this clinic.")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Calendar feed of {self.clinic or self.owner}"
