from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .clinics import Clinic, User
from .patients import Patient


class AppendOnlyError(Exception):
    pass


class AccessLog(models.Model):
    """Who saw or changed what, when, from where (HIPAA 45 CFR 164.312(b) audit controls).

    Append-only: rows are never updated, and deleted only by the retention job once older than the
    retention period (six years by default). On PostgreSQL a trigger enforces this in the database too.
    Field-level changes are in each model's simple-history table; this log says who looked and acted.
    Its foreign keys have no database constraint and never cascade: the log keeps the ids of a user,
    clinic or patient removed later, and nothing ever rewrites a row.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        CHANGE = "change", _("Changed")
        EXPORT = "export", _("Exported")
        SIGN_IN = "sign_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        SIGN_OUT = "sign_out", _("Signed out")

    at = models.DateTimeField(_("when"), default=timezone.now)
    user = models.ForeignKey(User, verbose_name=_("staff member"), null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    username = models.CharField(_("username"), max_length=150, blank=True, help_text="Kept if the account is later removed.")
    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    patient = models.ForeignKey(Patient, verbose_name=_("patient"), null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    what = models.CharField(_("what"), max_length=200, help_text="The page, endpoint or object, e.g. 'patient page' or 'POST /patients/3/drainage/'.")
    method = models.CharField(_("HTTP method"), max_length=8, blank=True)
    path = models.CharField(_("page address"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [
            # The lead's audit page: one patient's accesses, newest first.
            models.Index(fields=["patient", "-at"], name="access_patient_idx"),
            # The lead's audit page and the retention job: a clinic's log by time.
            models.Index(fields=["clinic", "-at"], name="access_clinic_idx"),
            models.Index(fields=["at"], name="access_time_idx"),
        ]

    def __str__(self):
        return f"{self.username or 'anonymous'} {self.get_action_display().lower()} {self.what} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The access log is append-only; old rows go only through the retention job.")
