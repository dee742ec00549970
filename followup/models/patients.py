import zoneinfo
from datetime import timedelta
from functools import cache

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from ..languages import language_choices
from .clinics import Clinic, User
from .validators import on_one_line


@cache
def _known_zones():
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value):
    if value not in _known_zones():
        raise ValidationError(_("%(value)s is not a known time zone (use a name like Europe/London)."),
                              params={"value": value}, code="unknown_time_zone")


def validate_mobile(number):
    """Reminders go by SMS, so a landline or a malformed number is refused."""
    import phonenumbers

    if number is None or number == "":
        return
    parsed = getattr(number, "_phonenumber", None) or number
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("Enter a valid mobile number, for example +1 202 555 0123."), code="invalid_phone")
    kind = phonenumbers.number_type(parsed)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise ValidationError(_("This is not a mobile number; text messages need a mobile."), code="not_mobile")


class Channel(models.TextChoices):
    SMS = "sms", _("Text message")
    EMAIL = "email", _("E-mail")
    NONE = "none", _("No reminders")


class Language(models.TextChoices):
    """The languages the demo and the tests name; a contact's language field offers every one in
    settings.LANGUAGES (followup.languages), so adding a language needs no migration."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


# A consent typed "now" on a laptop whose clock runs a little ahead is still now.
CLOCK_SKEW = timedelta(minutes=5)


class ContactConsent(models.Model):
    """Contact details and consent, shared by patients and caregivers (both receive reminders)."""

    mobile = PhoneNumberField(_("mobile number"), blank=True, validators=[validate_mobile])
    email = models.EmailField(_("e-mail"), blank=True)
    preferred_channel = models.CharField(_("reminders by"), max_length=5, choices=Channel.choices, default=Channel.SMS)
    language = models.CharField(_("language"), max_length=10, choices=language_choices, default=Language.ENGLISH)
    receives_reminders = models.BooleanField(_("receives reminders"), default=True)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True, help_text=_("When consent to automated messages was given."))
    consent_source = models.CharField(_("how consent was given"), max_length=40, blank=True, help_text=_("How: verbal, written form, web..."))
    consent_given_by = models.CharField(
        _("consent given by"), max_length=80, blank=True, validators=[on_one_line],
        help_text=_("Who agreed: the patient, or who for them (e.g. daughter, health care proxy). Needed to clear an opt-out."))
    opted_out_at = models.DateTimeField(_("opted out"), null=True, blank=True)
    opted_out_source = models.CharField(_("how they opted out"), max_length=40, blank=True, help_text=_("How: SMS STOP, nurse, e-mail link..."))

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.preferred_channel == Channel.SMS and not self.mobile:
            raise ValidationError({"mobile": _("A mobile number is needed for text reminders.")})
        if self.preferred_channel == Channel.EMAIL and not self.email:
            raise ValidationError({"email": _("An e-mail address is needed for e-mail reminders.")})

    @property
    def may_be_messaged(self):
        return (
            self.receives_reminders
            and self.preferred_channel != Channel.NONE
            and self.consent_at is not None
            and self.opted_out_at is None
        )

    def opt_out(self, source, at=None):
        self.opted_out_at = at or timezone.now()
        self.opted_out_source = source

    def opt_in(self, source, at=None, given_by=""):
        """Consent from the person themselves (a START text) or recorded by staff. Staff clearing an
        opt-out go through `clear_opt_out`, which asks for the new consent in full."""
        self.opted_out_at = None
        self.opted_out_source = ""
        self.consent_at = at or timezone.now()
        self.consent_source = source
        self.consent_given_by = given_by

    def clear_opt_out(self, *, consent_at, source, given_by, now=None):
        """Lift a STOP (or any opt-out) on new consent: when it was given (after the opt-out, not in
        the future), how, and who agreed. Raises ValidationError keyed by field."""
        now = now or timezone.now()
        source, given_by = (source or "").strip(), (given_by or "").strip()
        errors = {}
        if consent_at is None:
            errors["consent_at"] = _("Say when the new consent was given.")
        elif self.opted_out_at is not None and consent_at <= self.opted_out_at:
            local = timezone.localtime(self.opted_out_at)
            errors["consent_at"] = f"The new consent must be given after the opt-out ({local:%Y-%m-%d %H:%M})."
        elif consent_at > now + CLOCK_SKEW:
            errors["consent_at"] = _("The new consent cannot be in the future.")
        if not source:
            errors["consent_source"] = _("Say how the new consent was given (verbal, written form...).")
        if not given_by:
            errors["consent_given_by"] = _("Say who agreed: the patient, or who for them.")
        if errors:
            raise ValidationError(errors)
        self.opt_in(source, consent_at, given_by)


class Patient(ContactConsent):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        DISCHARGED = "discharged", _("Discharged")
        DECEASED = "deceased", _("Deceased")

    class Phase(models.TextChoices):
        STABLE = "stable", _("Stable")
        UNSTABLE = "unstable", _("Unstable")
        DETERIORATING = "deteriorating", _("Deteriorating")
        TERMINAL = "terminal", _("Terminal")
        BEREAVED = "bereaved", _("Bereaved")

    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(_("MRN"), max_length=40, validators=[on_one_line])
    given_name = models.CharField(_("given name"), max_length=80, validators=[on_one_line])
    family_name = models.CharField(_("family name"), max_length=80, validators=[on_one_line])
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="America/New_York", validators=[validate_time_zone])
    nurse = models.ForeignKey(User, verbose_name=_("nurse"), null=True, blank=True, on_delete=models.SET_NULL, related_name="patients",
                              help_text=_("The nurse this patient is assigned to."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    status_changed_by = models.ForeignKey(User, verbose_name=_("status changed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    phase = models.CharField(_("PCOC phase"), max_length=14, choices=Phase.choices, default=Phase.STABLE)
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True, help_text=_("Override of the clinic's; blank: clinic's."))
    quiet_hours_start = models.TimeField(_("quiet hours from"), null=True, blank=True, help_text=_("Override of the clinic's; blank: clinic's."))
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    not_reached_since = models.DateTimeField(
        _("not reached since"), null=True, blank=True, help_text=_("Two check-in calls in a row reached nobody; cleared when someone answers."))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="mrn_unique_per_clinic"),
            models.CheckConstraint(
                condition=Q(status="active") | Q(status_changed_at__isnull=False),
                name="status_change_has_time",
            ),
        ]
        indexes = [
            # Worklist: active patients of a clinic, per nurse.
            models.Index(fields=["clinic", "status", "nurse"], name="patient_worklist_idx"),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.mrn})"

    @property
    def full_name(self):
        return f"{self.given_name} {self.family_name}"

    @property
    def initials(self):
        return f"{self.given_name[:1]}{self.family_name[:1]}".upper()

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    @property
    def quiet_hours(self):
        """(end, start): messages may go out from `end` of the quiet night until `start` of the next."""
        return (self.quiet_hours_end or self.clinic.quiet_hours_end, self.quiet_hours_start or self.clinic.quiet_hours_start)

    def clean(self):
        super().clean()
        if (self.quiet_hours_end is None) != (self.quiet_hours_start is None):
            raise ValidationError(_("Give both ends of the quiet hours, or neither to use the clinic's."))
        if self.quiet_hours_end and self.quiet_hours_start and self.quiet_hours_end >= self.quiet_hours_start:
            raise ValidationError({"quiet_hours_start": _("Messages must be allowed for part of the day: "
                                                        "the evening time must come after the morning time.")})


class Caregiver(ContactConsent):
    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="caregivers")
    name = models.CharField(_("name"), max_length=120, validators=[on_one_line])
    relationship = models.CharField(_("relationship"), max_length=60, blank=True, validators=[on_one_line])
    next_of_kin = models.BooleanField(_("next of kin"), default=False, help_text=_("The team calls them after the patient's death."))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("caregiver")
        verbose_name_plural = _("caregivers")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.relationship or 'caregiver'})"


class StatusChange(models.Model):
    """One line of a patient's status history, shown on the timeline."""

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=10, choices=Patient.Status.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=Patient.Status.choices)
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(User, verbose_name=_("changed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-at"]
