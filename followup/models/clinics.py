from datetime import time
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from .. import working_hours
from ..languages import language_choices
from .validators import on_one_line


def parse_bereavement_plan(text):
    """[(label, relativedelta)] from "2 weeks, 3 months"; ValueError when a step does not read."""
    import re

    from dateutil.relativedelta import relativedelta

    steps = []
    for part in [part.strip() for part in (text or "").split(",") if part.strip()]:
        match = re.fullmatch(r"(\d{1,3})\s*(day|week|month)s?", part.lower())
        if not match or int(match[1]) < 1:
            raise ValueError(f"{part!r} is not a step like \"2 weeks\" or \"3 months\".")
        count, unit = int(match[1]), match[2]
        label = f"{count} {unit}{'' if count == 1 else 's'}"
        steps.append((label, relativedelta(**{f"{unit}s": count})))
    return steps


def validate_bereavement_plan(text):
    from django.core.exceptions import ValidationError

    try:
        parse_bereavement_plan(text)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class Clinic(models.Model):
    """A palliative care team. Every patient belongs to one; staff see only their clinics.

    The numbers below are clinic settings a clinical lead can change; their defaults come from
    shared/domain.md (each with its source there).
    """

    name = models.CharField(_("name"), max_length=120, unique=True, validators=[on_one_line])
    name_in_messages = models.CharField(
        _("name in messages"), max_length=60, blank=True, validators=[on_one_line],
        help_text="The name texts and e-mails carry, as a family would recognise it (\"Hillcrest Care Team\"). "
                  "It must fit one text with every message, and should not name a kind of care: whoever holds "
                  "the phone reads it. Blank: the clinic's name.")
    phone = PhoneNumberField(_("team's phone number"), help_text="The number patients call to reach the team.")
    reply_to_email = models.EmailField(
        _("reply-to e-mail"), blank=True, help_text="Where a patient's reply to an e-mail goes (the team's shared mailbox). Blank: no reply-to.")
    time_zone = models.CharField(_("time zone"), max_length=64, default="America/New_York")

    paracentesis_interval_days = models.PositiveSmallIntegerField(
        _("drainage every (days), by default"), default=21, validators=[MinValueValidator(2), MaxValueValidator(183)],
        help_text="Default drainage interval for a new patient ('every few weeks': 3 weeks).",
    )
    checkin_days_stable = models.PositiveSmallIntegerField(_("check-in every (days), stable phase"), default=7, validators=[MinValueValidator(1)])
    checkin_days_unstable = models.PositiveSmallIntegerField(_("check-in every (days), unstable phase"), default=1, validators=[MinValueValidator(1)])
    checkin_days_deteriorating = models.PositiveSmallIntegerField(_("check-in every (days), deteriorating phase"), default=3, validators=[MinValueValidator(1)])
    checkin_days_terminal = models.PositiveSmallIntegerField(_("check-in every (days), terminal phase"), default=1, validators=[MinValueValidator(1)])

    appointment_time = models.TimeField(_("usual appointment time"), default=time(9, 0), help_text="Local time a new occurrence is due.")
    quiet_hours_end = models.TimeField(_("quiet hours until"), default=time(8, 0), help_text="No automated message before this.")
    quiet_hours_start = models.TimeField(_("quiet hours from"), default=time(21, 0), help_text="No automated message from this on.")
    drainage_reminder_day_before_at = models.TimeField(_("drainage reminder the day before, at"), default=time(18, 0))
    drainage_reminder_morning_at = models.TimeField(_("drainage reminder the same morning, at"), default=time(8, 0))
    checkin_reminder_at = models.TimeField(_("check-in reminder at"), default=time(9, 0))
    reminder_lateness_minutes = models.PositiveSmallIntegerField(
        _("a reminder is too late after (minutes)"), default=180, validators=[MinValueValidator(10)],
        help_text="A reminder not sent within this long after its time expires instead of going out late.",
    )
    history_window_days = models.PositiveSmallIntegerField(
        _("history kept from before enrolment (days)"), default=365, validators=[MaxValueValidator(3660)],
        help_text="A drainage or symptom report may be dated up to this many days before the patient's series "
                  "began (history entered later); anything earlier is refused as a likely typing slip.",
    )
    sms_per_day = models.PositiveSmallIntegerField(_("texts per day"), default=1)
    sms_per_week = models.PositiveSmallIntegerField(_("texts per week"), default=3)
    # Automated calls (followup/voice/): the same FCC healthcare-exemption limits as texts, counted apart.
    calls_per_day = models.PositiveSmallIntegerField(_("calls per day"), default=1, help_text="Automated reminder calls a day per recipient.")
    calls_per_week = models.PositiveSmallIntegerField(_("calls per week"), default=3, help_text="Automated reminder calls a week per recipient.")
    call_retry_minutes = models.PositiveSmallIntegerField(
        _("unanswered reminder call tried again after (minutes)"), default=120, validators=[MinValueValidator(15), MaxValueValidator(720)],
        help_text="A reminder call nobody answered is tried once more this long after, inside the allowed hours.")
    self_report_every_days = models.PositiveSmallIntegerField(
        _("a self-report expected every (days)"), default=7, validators=[MinValueValidator(7), MaxValueValidator(31)],
        help_text="How often each patient is expected to report their symptoms themselves (adherence); never "
                  "more often than weekly, whatever the nurse-call cadence.")
    hl7_assigning_authority = models.CharField(
        _("HL7 assigning authority"), max_length=60, blank=True,
        help_text="The hospital's assigning authority for this clinic's MRNs (PID-3.4). Blank: the clinic's "
                  "patients are matched only by an MRN sent without an authority, and only when no other clinic has it.",
    )

    out_of_hours_phone = PhoneNumberField(
        _("out-of-hours phone number"), blank=True, help_text="The number patients call when the team is closed (on call). Blank: the team's number.")
    checkin_retry_hours = models.PositiveSmallIntegerField(
        _("call again after no answer (hours)"), default=4, validators=[MinValueValidator(1), MaxValueValidator(72)],
        help_text="An unanswered check-in call is tried again this many hours later (inside working hours, "
                  "else the next working morning).")
    escalate_after_working_hours = models.PositiveSmallIntegerField(
        _("escalate an alert after (working hours)"), default=4, validators=[MinValueValidator(1), MaxValueValidator(80)],
        help_text="An alert nobody acknowledged within this many working hours is escalated to the clinical leads.")
    # Life events (issue 11; docs/scheduling.md "Life events").
    sending_number = PhoneNumberField(
        _("texts come from"), blank=True, help_text="The number this clinic's texts come from; blank: the installation's TWILIO_FROM_NUMBER.")
    admission_review_days = models.PositiveSmallIntegerField(
        _("review a hospital admission after (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="A pause for a hospital admission is reviewed this many days later unless a date is given.")
    bereavement_plan = models.CharField(
        _("bereavement calls after a death"), max_length=200, default="2 weeks, 3 months, 6 months, 13 months", validators=[validate_bereavement_plan],
        help_text="When the team calls the family after a death, e.g. \"2 weeks, 3 months, 6 months, 13 months\".")
    advisory_silence_months = models.PositiveSmallIntegerField(
        _("catheter advisory silenced for (months)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="An answer to the catheter advisory silences it for this many months.")
    home_drainage_interval_days = models.PositiveSmallIntegerField(
        _("home drainage every (days)"), default=2, validators=[MinValueValidator(1), MaxValueValidator(14)],
        help_text="Home drainage through a catheter: every this many days by default.")
    home_drainage_reminders = models.BooleanField(
        _("reminders for home drainage"), default=False, help_text="Send automated reminders for home drainages (off: daily texts would crowd out "
                                 "the check-in links under the caps).")

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def messages_name(self):
        return self.name_in_messages.strip() or self.name

    def clean(self):
        """The name in messages (or the clinic's name when blank) fits one segment with every text."""
        super().clean()
        from ..messaging.names import templates_too_long

        if not self.name:
            return
        too_long = templates_too_long(self.messages_name, self.phone.as_national if self.phone else "", self)
        if too_long:
            which = "the name in messages" if self.name_in_messages.strip() else "the clinic's name (no name in messages is set)"
            raise ValidationError({"name_in_messages": (
                f"\"{self.messages_name}\" is too long for one text with the {too_long[0]} message"
                f"{' (and ' + ', '.join(too_long[1:]) + ')' if len(too_long) > 1 else ''}: shorten {which}."
            )})

    # --- Working hours (see followup/working_hours.py; Mon-Fri 09:00-17:00 when none are set) ---

    @property
    def zone(self):
        return ZoneInfo(self.time_zone)

    def week(self):
        """{weekday (0 = Monday): (opens, closes)} of the clinic's working hours."""
        if not hasattr(self, "_week"):
            rows = {row.weekday: (row.opens_at, row.closes_at) for row in self.working_hours.all()}
            self._week = rows or dict(working_hours.DEFAULT_WEEK)
        return self._week

    def is_open(self, moment):
        return working_hours.is_open(self.week(), self.zone, moment)

    def next_opening(self, moment):
        """`moment` when the team is working then, else the moment it next opens."""
        return working_hours.next_opening(self.week(), self.zone, moment)

    def opening_on(self, day):
        """(opens, closes) as aware datetimes on the local `day`, or None on a day off."""
        return working_hours.day_window(self.week(), self.zone, day)

    def calling_window(self, day):
        """When the team calls patients on `day`: its working hours that day (None on a day off)."""
        return self.opening_on(day)

    def after_working_hours(self, moment, hours):
        """The moment `hours` working hours after `moment` (closed time does not count)."""
        return working_hours.add_working_hours(self.week(), self.zone, moment, hours)

    @property
    def out_of_hours_number(self):
        return self.out_of_hours_phone or self.phone

    def checkin_days_for_phase(self, phase):
        return {
            "stable": self.checkin_days_stable,
            "unstable": self.checkin_days_unstable,
            "deteriorating": self.checkin_days_deteriorating,
            "terminal": self.checkin_days_terminal,
        }.get(phase, self.checkin_days_stable)


class WorkingHours(models.Model):
    """One weekday the team works, in the clinic's zone. A clinic with none works Mon-Fri 09:00-17:00."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, pgettext_lazy("a day of the clinic's working week", "Monday")
        TUESDAY = 1, pgettext_lazy("a day of the clinic's working week", "Tuesday")
        WEDNESDAY = 2, pgettext_lazy("a day of the clinic's working week", "Wednesday")
        THURSDAY = 3, pgettext_lazy("a day of the clinic's working week", "Thursday")
        FRIDAY = 4, pgettext_lazy("a day of the clinic's working week", "Friday")
        SATURDAY = 5, pgettext_lazy("a day of the clinic's working week", "Saturday")
        SUNDAY = 6, pgettext_lazy("a day of the clinic's working week", "Sunday")

    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(_("day of the week"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["clinic", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "weekday"], name="one_working_day_per_weekday"),
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")), name="working_day_closes_after_it_opens"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"

    def clean(self):
        super().clean()
        if self.opens_at is not None and self.closes_at is not None and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The team must close after it opens.")})


class User(AbstractUser):
    """Staff. Custom from the first migration so it can grow without a painful swap."""

    # Every staff page this person opens is in this language (followup.languages.StaffLanguageMiddleware).
    language = models.CharField(_("language of the pages"), max_length=10, choices=language_choices, default="en",
                                help_text="The language of Followup's pages for this person (settings.LANGUAGES).")

    def _roles(self):
        """{clinic id: role}, read once per request (the user object lives as long as the request)."""
        if not hasattr(self, "_clinic_roles"):
            self._clinic_roles = dict(self.memberships.values_list("clinic_id", "role"))
        return self._clinic_roles

    def clinic_ids(self):
        return set(self._roles())

    def is_lead_of(self, clinic_id):
        return self._roles().get(clinic_id) == Membership.Role.LEAD

    def is_lead_anywhere(self):
        return Membership.Role.LEAD in self._roles().values()


class Membership(models.Model):
    class Role(models.TextChoices):
        NURSE = "nurse", _("Nurse")
        LEAD = "lead", _("Clinical lead")

    user = models.ForeignKey(User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.NURSE)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [models.UniqueConstraint(fields=["user", "clinic"], name="one_role_per_clinic")]

    def __str__(self):
        return f"{self.user} - {self.get_role_display()} at {self.clinic}"


class OnCallContact(models.Model):
    """Who is paged when a severe report arrives out of hours: a staff member's mobile and/or e-mail."""

    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), on_delete=models.CASCADE, related_name="on_call_contacts")
    name = models.CharField(_("name"), max_length=120, help_text="As the team knows them, e.g. 'On-call nurse' or a name.")
    user = models.ForeignKey(User, verbose_name=_("staff member"), null=True, blank=True, on_delete=models.SET_NULL, related_name="on_call_contacts",
                             help_text="The staff member, when they have an account.")
    mobile = PhoneNumberField(_("mobile number"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    active = models.BooleanField(_("on the rota"), default=True)

    class Meta:
        verbose_name = _("on-call contact")
        verbose_name_plural = _("on-call contacts")
        ordering = ["clinic", "name"]

    def __str__(self):
        return f"{self.name} (on call, {self.clinic})"

    def clean(self):
        super().clean()
        if not self.mobile and not self.email:
            raise ValidationError({"mobile": _("Give a mobile number or an e-mail address (or both) to reach them.")})

    @property
    def channels(self):
        return [channel for channel, value in (("sms", self.mobile), ("email", self.email)) if value]


class CalendarFeed(models.Model):
    """A secret, revocable iCalendar URL of upcoming occurrences: one nurse's, or a whole clinic's."""

    token = models.CharField(_("secret in the link"), max_length=43, unique=True)
    owner = models.ForeignKey(User, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="calendar_feeds")
    clinic = models.ForeignKey(Clinic, verbose_name=_("clinic"), null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feeds",
                               help_text="Blank: the owner's own patients. Set: every patient of this clinic.")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return f"Calendar feed of {self.clinic or self.owner}"
