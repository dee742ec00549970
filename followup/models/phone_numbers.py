from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# A consent typed "now" on a laptop whose clock runs a little ahead is still now.
CLOCK_SKEW = timedelta(minutes=5)


class PhoneNumber(models.Model):
    """A phone number we text or call, and its opt-out. Consent and opt-out belong to the number
    (FCC 24-24: one revocation covers texts and automated calls): a STOP, a key 9 or a revocation the
    nurse records stops texts and automated calls to it for every patient and caregiver who gives it,
    in every clinic, including anyone who gives it later. Only new consent in full lifts it: when
    (after the opt-out), how, and who agreed; that consent is kept here beside the opt-out it lifted.

    An e-mail address has its own record (EmailAddress): an unsubscribe stops e-mail to that address only.
    """

    number = models.CharField(_("phone number"), max_length=20, unique=True, help_text="E.164.")
    opted_out_at = models.DateTimeField(_("opted out"), null=True, blank=True)
    opted_out_source = models.CharField(_("how it opted out"), max_length=40, blank=True, help_text="How: SMS STOP, phone key 9, nurse...")
    consent_at = models.DateTimeField(_("new consent given"), null=True, blank=True, help_text="The new consent that last lifted an opt-out.")
    consent_source = models.CharField(_("how the new consent was given"), max_length=40, blank=True, help_text="How it was given: verbal, SMS START...")
    consent_given_by = models.CharField(_("new consent given by"), max_length=80, blank=True, help_text="Who agreed: the patient, or who for them.")
    created_at = models.DateTimeField(_("first recorded"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        indexes = [
            # The opt-outs report: numbers opted out in a date range.
            models.Index(fields=["opted_out_at"], name="phone_number_opted_out_idx"),
        ]

    def __str__(self):
        return f"Phone number {self.pk}"

    @property
    def is_opted_out(self):
        return self.opted_out_at is not None

    def check_new_consent(self, *, consent_at, source, given_by, now=None):
        """What new consent must say to lift this number's opt-out. Raises ValidationError keyed by field."""
        now = now or timezone.now()
        errors = {}
        if consent_at is None:
            errors["consent_at"] = _("Say when the new consent was given.")
        elif self.opted_out_at is not None and consent_at <= self.opted_out_at:
            local = timezone.localtime(self.opted_out_at)
            errors["consent_at"] = _("The new consent must be given after the opt-out (%(when)s).") % {
                "when": f"{local:%Y-%m-%d %H:%M}"}
        elif consent_at > now + CLOCK_SKEW:
            errors["consent_at"] = _("The new consent cannot be in the future.")
        if not (source or "").strip():
            errors["consent_source"] = _("Say how the new consent was given (verbal, written form...).")
        if not (given_by or "").strip():
            errors["consent_given_by"] = _("Say who agreed: the patient, or who for them.")
        if errors:
            raise ValidationError(errors)
