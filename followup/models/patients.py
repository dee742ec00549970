import zoneinfo
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
from .phone_numbers import PhoneNumber
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


def validate_phone(number):
    """A number patients can be reached on: a mobile for texts, or a landline for calls. Which one it
    is lives in `line_type`; `ContactConsent.clean` refuses a landline for texts."""
    import phonenumbers

    if number is None or number == "":
        return
    parsed = getattr(number, "_phonenumber", None) or number
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("Enter a valid phone number, for example +1 202 555 0123."), code="invalid_phone")


def looks_like_a_landline(number):
    """phonenumbers' own reading: only a number whose numbering plan says "fixed line" (the UK's 020,
    say). In the US and Canada mobiles and landlines share area codes, so it answers False there:
    only the nurse or a carrier lookup can tell."""
    import phonenumbers

    parsed = getattr(number, "_phonenumber", None) or number
    return phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


class LineType(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline (calls only)")


class Channel(models.TextChoices):
    SMS = "sms", _("Text message")
    EMAIL = "email", _("E-mail")
    VOICE = "voice", _("Phone call")
    NONE = "none", _("No reminders")


class Language(models.TextChoices):
    """The languages the demo and the tests name; a contact's language field offers every one in
    settings.LANGUAGES (followup.languages), so adding a language needs no migration."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Español"




class ContactConsent(models.Model):
    """Contact details and consent, shared by patients and caregivers (both receive reminders)."""

    mobile = PhoneNumberField(_("phone number"), blank=True, validators=[validate_phone])
    line_type = models.CharField(
        _("line type"), max_length=8, choices=LineType.choices, blank=True,
        help_text=_("Mobile or landline; blank: not known. A landline can only be called, never texted."))
    line_type_source = models.CharField(_("line type given by"), max_length=20, blank=True,
                                        help_text=_("Who said so: nurse, or Twilio Lookup."))
    email = models.EmailField(_("e-mail"), blank=True)
    preferred_channel = models.CharField(_("reminders by"), max_length=5, choices=Channel.choices, default=Channel.SMS)
    language = models.CharField(_("language"), max_length=10, choices=language_choices, default=Language.ENGLISH)
    receives_reminders = models.BooleanField(_("receives reminders"), default=True)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True, help_text=_("When consent to automated messages was given."))
    consent_source = models.CharField(_("how consent was given"), max_length=40, blank=True, help_text=_("How: verbal, written form, web..."))
    consent_given_by = models.CharField(
        _("consent given by"), max_length=80, blank=True, validators=[on_one_line],
        help_text=_("Who agreed: the patient, or who for them (e.g. daughter, health care proxy). Needed to clear an opt-out."))
    # The opt-out is not here: it belongs to the address (PhoneNumber, EmailAddress), see `address_opt_out`.

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.preferred_channel == Channel.SMS and not self.mobile:
            raise ValidationError({"mobile": _("A mobile number is needed for text reminders.")})
        if self.preferred_channel == Channel.SMS and self.line_type == LineType.LANDLINE:
            raise ValidationError({"mobile": _("This number is a landline: it can be called but not texted. "
                                               "Choose phone calls for its reminders.")})
        if self.preferred_channel == Channel.SMS and not self.line_type and looks_like_a_landline(self.mobile):
            raise ValidationError({"mobile": _("This is not a mobile number; text messages need a mobile.")})
        if self.preferred_channel == Channel.VOICE and not self.mobile:
            raise ValidationError({"mobile": _("A phone number is needed for reminders by phone call.")})
        if self.preferred_channel == Channel.EMAIL and not self.email:
            raise ValidationError({"email": _("An e-mail address is needed for e-mail reminders.")})

    def address_opt_out(self):
        """(when, how) the address this contact's reminders go to was opted out, or None: the phone
        number's opt-out for texts and calls (shared by everyone who gives the number), the e-mail
        address's unsubscribe for e-mail. One query; not cached, so it is never stale."""
        if self.preferred_channel == Channel.EMAIL:
            from .messaging import EmailAddress

            row = EmailAddress.objects.filter(address=self.email.strip().lower(), unsubscribed_at__isnull=False).first() \
                if self.email else None
            return (row.unsubscribed_at, row.unsubscribed_source) if row else None
        row = self.number_opt_out()
        return (row.opted_out_at, row.opted_out_source) if row else None

    def number_opt_out(self):
        """The PhoneNumber row of this contact's number when it is opted out, else None."""
        if not self.mobile:
            return None
        return PhoneNumber.objects.filter(number=self.mobile.as_e164, opted_out_at__isnull=False).first()

    @property
    def opted_out_at(self):
        found = self.address_opt_out()
        return found[0] if found else None

    @property
    def opted_out_source(self):
        found = self.address_opt_out()
        return found[1] if found else ""

    @property
    def may_be_messaged(self):
        return (
            self.receives_reminders
            and self.preferred_channel != Channel.NONE
            and self.consent_at is not None
            and self.address_opt_out() is None
        )

    def opt_in(self, source, at=None, given_by=""):
        """Record this person's consent to automated reminders (from staff, or the hospital). An
        opt-out of their number or address is lifted apart, on new consent in full
        (followup/messaging/opt_outs.py)."""
        self.consent_at = at or timezone.now()
        self.consent_source = source
        self.consent_given_by = given_by

    def withdraw_consent(self):
        self.consent_at, self.consent_source, self.consent_given_by = None, "", ""


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
    self_reports_missed_at = models.DateTimeField(
        _("self-reports missed since"), null=True, blank=True,
        help_text=_("Two expected self-reports missed in a row (followup/adherence.py); cleared by the next self-report."))

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
