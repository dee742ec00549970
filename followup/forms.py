"""Nurse-facing forms. Each turns what was typed into domain values (an aware datetime in the
patient's zone, a `scheduling.Interval`, ESAS-r scores) and explains every refusal on its field.

Date-time fields are read and shown in the current time zone; the patient views activate the
patient's zone, so a nurse types the patient's local time.
"""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import esas_r, scheduling
from .access import clinics_for
from .models import ESAS_ITEMS, Alert, CallAttempt, Caregiver, Membership, Occurrence, Patient, Procedure, SymptomReport, User
from .messaging import opt_outs
from .models.validators import on_one_line
from .voice.line_types import LOOKUP_SOURCE

FUTURE_GRACE = timedelta(minutes=5)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class PhoneInput(forms.TextInput):
    """A plain telephone box: shows exactly what was typed, even a number that does not parse (the
    phone-number widget would reformat it into something the nurse never typed)."""

    input_type = "tel"

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "tel", **(attrs or {})})


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


def _whole_number(what, low, high, **kwargs):
    message = format_lazy(_("Enter {what} as a whole number from {low} to {high}."), what=what, low=low, high=high)
    return forms.IntegerField(
        min_value=low, max_value=high,
        error_messages={"invalid": message, "min_value": message, "max_value": message},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}), **kwargs,
    )


def _past_moment(value, what):
    if value and value > timezone.now() + FUTURE_GRACE:
        raise ValidationError(format_lazy(_("{what} cannot be in the future."), what=what), code="future")
    return value


def staff_of(clinic_ids):
    return User.objects.filter(memberships__clinic_id__in=clinic_ids, is_active=True).distinct().order_by("first_name", "username")


class NurseForm:
    """What every form here shares: ids of its own (the patient page shows several forms, and a
    label must find its field), and the first field in error takes the focus when shown again."""

    id_prefix = "form"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)

    def full_clean(self):
        super().full_clean()
        for name, field in self.fields.items():
            if name in self.errors and not field.widget.is_hidden:
                field.widget.attrs["autofocus"] = True
                break


class NurseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


# --- Care events -------------------------------------------------------------------------------


class DrainageForm(NurseForm, forms.Form):
    """A drainage: when, how much (0 for a dry tap), who performed it (a staff member, or a name and
    role) apart from who records it, where, and the coded complications."""

    id_prefix = "drainage"

    performed_at = forms.DateTimeField(label=_("Performed at"), widget=LocalDateTimeInput(),
                                       help_text=_("The patient's local time."))
    volume_ml = _whole_number(_("the volume in millilitres"), 0, 20000, label=_("Volume drained (ml)"),
                              help_text=_("0 for a dry tap."))
    duration_minutes = _whole_number(_("the duration in minutes"), 1, 1440, label=_("Duration (minutes)"), required=False)
    setting = forms.TypedChoiceField(label=_("Where"), choices=Procedure.Setting.choices, initial=Procedure.Setting.CLINIC,
                                     required=False, empty_value=Procedure.Setting.CLINIC)
    performed_by = NurseChoiceField(label=_("Performed by"), queryset=User.objects.none(), required=False,
                                    empty_label=_("Me, or the person named below"))
    performer_name = forms.CharField(label=_("Performer's name"), required=False, max_length=120,
                                     help_text=_("When they have no account here."))
    performer_role = forms.CharField(label=_("Performer's role"), required=False, max_length=80,
                                     help_text=_("For example: interventional radiologist."))
    complication_codes = forms.MultipleChoiceField(label=_("Complications"), choices=Procedure.Complication.choices,
                                                   widget=forms.CheckboxSelectMultiple, initial=[Procedure.Complication.NONE],
                                                   required=False)
    complications = forms.CharField(label=_("Other complication"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, clinic=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if clinic is not None:
            self.fields["performed_by"].queryset = staff_of([clinic.pk])
        if user is not None and not self.is_bound:
            self.fields["performed_by"].initial = user.pk

    def clean_performed_at(self):
        return _past_moment(self.cleaned_data["performed_at"], _("A drainage"))

    def clean(self):
        data = super().clean()
        codes = data.get("complication_codes") or []
        if Procedure.Complication.NONE in codes and len(codes) > 1:
            self.add_error("complication_codes", _("\"None\" cannot go with a complication."))
        if Procedure.Complication.OTHER in codes and not (data.get("complications") or "").strip():
            self.add_error("complications", _("Describe the other complication."))
        if data.get("performed_by") and (data.get("performer_name") or "").strip():
            self.add_error("performer_name", _("Choose a staff member or give a name, not both."))
        elif (data.get("performer_name") or "").strip() and not (data.get("performer_role") or "").strip():
            self.add_error("performer_role", _("Give the performer's role, for example interventional radiologist."))
        return data


class CheckinForm(NurseForm, forms.Form):
    """A check-in call: its outcome and, when someone answered, who answered and the ESAS-r items as
    they scored them on the phone, 0 (best) to 10. An unanswered call may name when to try again."""

    id_prefix = "checkin"

    outcome = forms.ChoiceField(label=_("Outcome of the call"), choices=CallAttempt.Outcome.choices,
                                initial=CallAttempt.Outcome.REACHED, widget=forms.RadioSelect,
                                error_messages={"required": _("Choose what came of the call.")})
    completed_by = forms.ChoiceField(
        label=_("Who answered the questions"), required=False, choices=[("", _("As the outcome says"))] + SymptomReport.CompletedBy.choices,
        help_text=_("The ESAS-r's own options. You are recorded as the one who entered the report."))
    other_problem_name = forms.CharField(label=_("Other problem (name it)"), max_length=120, required=False)
    pps = forms.TypedChoiceField(label=_("PPS (%)"), required=False, coerce=int, empty_value=None,
                                 choices=[("", _("Not assessed"))] + [(value, f"{value} %") for value in range(0, 101, 10)])
    phase = forms.ChoiceField(label=_("PCOC phase"), required=False, choices=[("", _("Unchanged"))] + Patient.Phase.choices)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    retry_at = forms.DateTimeField(label=_("Try again at (optional)"), required=False, widget=LocalDateTimeInput(),
                                   help_text=_("No answer or voicemail: blank for the clinic's retry time. The patient's local time."))

    field_order = ["outcome", "completed_by"] + [name for name, _ in ESAS_ITEMS] + ["other_problem_name", "pps", "phase", "note", "retry_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = esas_r.item_names()  # the reviewed ESAS-r wording of the page's language
        for name, _label in ESAS_ITEMS:
            self.fields[name] = _whole_number(_("a score"), 0, 10, label=names[name], required=False)
            self.fields[name].widget.attrs.update(min=0, max=10)
        self.order_fields(self.field_order)

    @property
    def esas_fields(self):
        return [self[name] for name, _ in ESAS_ITEMS]

    @property
    def other_fields(self):
        return [self[name] for name in ("other_problem_name", "pps", "phase", "note")]

    def clean(self):
        data = super().clean()
        scores = self.scores()
        scored = any(score is not None for score in scores.values())
        outcome = data.get("outcome")
        answered = outcome in CallAttempt.ANSWERED
        if outcome and not answered and scored:
            self.add_error("outcome", _("Scores can be recorded only when someone answered."))
        if answered and not self.errors and not scored and not (data.get("note") or "").strip():
            self.add_error("note", _("Enter the scores they gave, or a note of what was said."))
        if data.get("retry_at") and outcome not in CallAttempt.RETRIED:
            self.add_error("retry_at", _("A retry time is for a call nobody answered."))
        if scores.get("other_problem") is not None and not (data.get("other_problem_name") or "").strip():
            self.add_error("other_problem_name", _("Name the other problem that was scored."))
        return data

    def scores(self):
        return {name: self.cleaned_data.get(name) for name, _ in ESAS_ITEMS}


class RescheduleForm(NurseForm, forms.Form):
    id_prefix = "reschedule"

    due_at = forms.DateTimeField(label=_("New date and time"), widget=LocalDateTimeInput(), help_text=_("The patient's local time."))
    note = forms.CharField(label=_("Reason (optional)"), required=False, max_length=500)

    def clean_due_at(self):
        value = self.cleaned_data["due_at"]
        if value < timezone.now() - FUTURE_GRACE:
            raise ValidationError(_("Choose a time from now on."), code="past")
        if value > timezone.now() + timedelta(days=366):
            raise ValidationError(_("Choose a time within the next year."), code="too_far")
        return value


class SkipForm(NurseForm, forms.Form):
    """Why it is skipped and when to look again (7 days for a drainage, the next cadence step for a call)."""

    id_prefix = "skip"

    reason = forms.ChoiceField(label=_("Why"), choices=[("", _("Choose a reason"))] + Occurrence.SkipReason.choices)
    look_again_on = forms.DateField(label=_("Look again on"), widget=DateInput(), help_text=_("The patient's local date."))
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)

    def __init__(self, *args, zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_look_again_on(self):
        day = self.cleaned_data["look_again_on"]
        if day < timezone.localdate(timezone=self.zone):
            raise ValidationError(_("Choose today or a later day."), code="past")
        return day


class IntervalForm(NurseForm, forms.Form):
    """The drainage interval; `cleaned_data["interval"]` is a validated `scheduling.Interval`."""

    id_prefix = "interval"

    count = _whole_number(_("the interval"), 0, 999, label=_("Every"))
    unit = forms.ChoiceField(label=_("Unit"), choices=scheduling.Unit.choices)

    def clean(self):
        data = super().clean()
        if "count" in data and "unit" in data:
            try:
                data["interval"] = scheduling.Interval(data["count"], data["unit"]).validate()
            except ValueError as error:
                self.add_error("count", str(error))
        return data


class AcknowledgeAlertForm(NurseForm, forms.Form):
    id_prefix = "ack"

    action = forms.ChoiceField(label=_("What was done"), choices=[("", _("Choose..."))] + Alert.Action.choices,
                               error_messages={"required": _("Choose what was done about this alert.")})
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class StatusForm(NurseForm, forms.Form):
    id_prefix = "status"

    note = forms.CharField(label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --- Patients and caregivers -------------------------------------------------------------------


# The contact form says why it asks (issue 15): the number's format cannot answer it in the US.
LINE_TYPE_HELP = _("A landline can only be called, never texted. The number alone cannot tell which it is: phonenumbers "
                   "cannot tell a US mobile from a US landline, which share area codes. Blank: not known yet; Twilio "
                   "Lookup fills it in where it is set up.")


class ConsentFields(NurseForm, forms.ModelForm):
    """Consent to automated messages as one checkbox. The person's consent (when, how, who agreed) is
    theirs; the opt-out belongs to the address their reminders go to (messaging/opt_outs.py): the phone
    number, for everyone who gives it, or the e-mail address. Unticking records a revocation: this
    person's consent ends and that address is opted out. Ticking again after an opt-out takes new
    consent in full (how, and who agreed; when: now) and lifts it."""

    consent = forms.BooleanField(label=_("Agrees to automated reminders"), required=False)
    consent_source = forms.CharField(label=_("How consent was given"), required=False, max_length=40,
                                     help_text=_("For example: verbal, written form."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = self.instance.pk is not None
        # (when, how) the saved address was opted out, and who else gives the number (the contact page says so).
        self.address_opt_out = self.instance.address_opt_out() if saved else None
        self.sharing = opt_outs.sharing(self.instance) if saved else []
        self._saved_address = _reminder_address(self.instance) if saved else None
        self._address_action = None
        self.was_consented = bool(self.instance.consent_at and not self.address_opt_out)
        self.fields["consent"].initial = self.was_consented
        self.fields["consent_source"].initial = self.instance.consent_source if self.was_consented else ""
        # True once the form lifted an opt-out (the view records it in the audit log).
        self.clears_opt_out = False
        if self.address_opt_out:
            # Clearing an opt-out takes new consent in full: how, and who agreed (when: now).
            self.fields["consent_given_by"] = forms.CharField(
                label=_("Who agreed"), required=False, max_length=80, validators=[on_one_line],
                help_text=_("The patient, or who for them (e.g. daughter, health care proxy)."))

    def sharing_here(self):
        """Who else gives this number, in this patient's clinic (by name); the others are only counted."""
        if not self.sharing:
            return [], 0
        clinic_id = self.instance.clinic_id if isinstance(self.instance, Patient) else self.instance.patient.clinic_id
        here = [c for c in self.sharing if (c.clinic_id if isinstance(c, Patient) else c.patient.clinic_id) == clinic_id]
        return [c.full_name if isinstance(c, Patient) else c.name for c in here], len(self.sharing) - len(here)

    def sharing_words(self):
        """Who else gives this number, as the contact page says it: by name in this clinic, counted in others."""
        names, elsewhere = self.sharing_here()
        if not names and not elsewhere:
            return ""
        values = {"names": ", ".join(names), "count": elsewhere}
        if names and elsewhere:
            return ngettext("This number is also given for %(names)s and %(count)s contact of another team: an opt-out "
                            "of the number stops their texts and calls too.",
                            "This number is also given for %(names)s and %(count)s contacts of another team: an opt-out "
                            "of the number stops their texts and calls too.", elsewhere) % values
        if names:
            return gettext("This number is also given for %(names)s: an opt-out of the number stops their texts and "
                           "calls too.") % values
        return ngettext("This number is also given for %(count)s contact of another team: an opt-out of the number "
                        "stops their texts and calls too.",
                        "This number is also given for %(count)s contacts of another team: an opt-out of the number "
                        "stops their texts and calls too.", elsewhere) % values

    def clean(self):
        data = super().clean()
        if data.get("consent") and not self.was_consented and not (data.get("consent_source") or "").strip():
            self.add_error("consent_source", _("Say how consent was given (verbal, written form...)."))
        if data.get("consent") and self.address_opt_out and not (data.get("consent_given_by") or "").strip():
            self.add_error("consent_given_by", _("Say who agreed: the patient, or who for them."))
        return data

    def _post_clean(self):
        # Apply consent before the model's own validation, so it judges the result.
        data = self.cleaned_data
        if "consent" in data:
            if data["consent"] and self.address_opt_out:
                if not {"consent_source", "consent_given_by"} & set(self._errors):
                    now, source, given_by = timezone.now(), data.get("consent_source", "").strip(), data.get("consent_given_by", "").strip()
                    try:
                        if self._saved_address[0] == "phone":
                            opt_outs.check_new_consent(self._saved_address[1], consent_at=now, source=source, given_by=given_by)
                        self.instance.opt_in(source, now, given_by)
                        self._address_action = ("lift", now, source, given_by)
                        self.clears_opt_out = True
                    except ValidationError as error:
                        for name, problems in error.message_dict.items():
                            self.add_error(name if name in self.fields else None, problems)
            elif data["consent"] and not self.was_consented:
                self.instance.opt_in(data.get("consent_source", "").strip())
            elif not data["consent"] and self.was_consented:
                self.instance.withdraw_consent()
                self._address_action = ("stop",)
        if "line_type" in self.changed_data:
            self.instance.line_type_source = "nurse" if data.get("line_type") else ""
        elif "mobile" in self.changed_data and self.instance.line_type_source == LOOKUP_SOURCE:
            self.instance.line_type, self.instance.line_type_source = "", ""  # a new number: ask Lookup again
        # A value its field already refused is reported once, by the field: the model's own rule
        # ("a mobile number is needed") would only repeat it.
        refused = {name: len(errors) for name, errors in self._errors.items()}
        super()._post_clean()
        for name, count in refused.items():
            del self._errors[name][count:]

    def shared_number_changed(self):
        """(the other contacts who give the number, what happened to it) when saving opted the number out
        or lifted its opt-out: the view records it in their audit trail too."""
        if not (self._address_action and self._saved_address and self._saved_address[0] == "phone"):
            return [], ""
        return self.sharing, "opt-out of a shared number cleared" if self.clears_opt_out else "shared number opted out"

    def save(self, commit=True):
        contact = super().save(commit)
        if commit and self._address_action and self._saved_address:
            _apply_to_address(self._saved_address, self._address_action)
        return contact


def _reminder_address(contact):
    """("phone", E.164) or ("email", address): where this contact's reminders go, as saved."""
    if contact.preferred_channel == "email":
        return ("email", contact.email.strip().lower()) if contact.email else None
    return ("phone", contact.mobile.as_e164) if contact.mobile else None


def _apply_to_address(address, action):
    """A revocation the nurse recorded (the number or address is opted out), or the new consent that
    lifts an opt-out, in the view's transaction."""
    from .messaging import email

    kind, value = address
    if action[0] == "stop":
        if kind == "phone":
            opt_outs.stop_number(value, "nurse")
        else:
            email.unsubscribe(email.address_row(value), "nurse")
        return
    _, at, source, given_by = action
    if kind == "phone":
        opt_outs.lift(value, consent_at=at, source=source, given_by=given_by)
    else:
        email.resubscribe(email.address_row(value))


class PatientContactForm(ConsentFields):
    id_prefix = "contact"

    nurse = NurseChoiceField(label=_("Assigned nurse"), queryset=User.objects.none(), required=False, empty_label=_("Nobody yet"))

    class Meta:
        model = Patient
        fields = ["nurse", "mobile", "line_type", "email", "preferred_channel", "language", "time_zone", "quiet_hours_end",
                  "quiet_hours_start"]
        labels = {
            "mobile": _("Phone"), "line_type": _("Line type"), "email": _("E-mail"), "preferred_channel": _("Reminders by"),
            "language": _("Language"), "time_zone": _("Time zone"), "quiet_hours_end": _("Messages allowed from"),
            "quiet_hours_start": _("Messages allowed until"),
        }
        help_texts = {
            "mobile": _("For example +1 202 555 0123."),
            "line_type": LINE_TYPE_HELP,
            "time_zone": _("A name like America/New_York."),
            "quiet_hours_end": _("Blank for the clinic's hours."),
            "quiet_hours_start": _("Blank for the clinic's hours."),
        }
        widgets = {"mobile": PhoneInput(), "quiet_hours_end": TimeInput(), "quiet_hours_start": TimeInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nurse"].queryset = staff_of([self.instance.clinic_id])


class PatientCreateForm(ConsentFields):
    """A new patient of one of the nurse's clinics, with their first drainage date and interval."""

    id_prefix = "patient"

    clinic = forms.ModelChoiceField(label=_("Clinic"), queryset=None, empty_label=None)
    nurse = NurseChoiceField(label=_("Assigned nurse"), queryset=User.objects.none(), required=False, empty_label=_("Nobody yet"))
    interval_count = _whole_number(_("the interval"), 0, 999, label=_("Drainage every"), required=False,
                                   help_text=_("Blank for the clinic's default."))
    interval_unit = forms.ChoiceField(label=_("Unit"), choices=scheduling.Unit.choices, initial=scheduling.Unit.DAYS)
    first_drainage_on = forms.DateField(label=_("First drainage due on"), required=False, widget=DateInput(),
                                        help_text=_("Blank: one interval from today."))

    class Meta:
        model = Patient
        fields = ["clinic", "mrn", "given_name", "family_name", "date_of_birth", "nurse", "phase", "time_zone",
                  "mobile", "line_type", "email", "preferred_channel", "language"]
        labels = {"mrn": _("MRN"), "given_name": _("Given name"), "family_name": _("Family name"),
                  "date_of_birth": _("Date of birth"), "time_zone": _("Time zone"), "mobile": _("Phone"),
                  "line_type": _("Line type"), "email": _("E-mail"),
                  "preferred_channel": _("Reminders by"), "phase": _("Phase"), "language": _("Language")}
        help_texts = {"mobile": _("For example +1 202 555 0123."), "line_type": LINE_TYPE_HELP,
                      "time_zone": _("A name like America/New_York.")}
        widgets = {"date_of_birth": DateInput(), "mobile": PhoneInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        clinics = clinics_for(user).order_by("name")
        self.fields["clinic"].queryset = clinics
        self.fields["nurse"].queryset = staff_of(user.clinic_ids())
        first = clinics.first()
        if first and not self.is_bound:
            self.fields["time_zone"].initial = first.time_zone
            self.fields["nurse"].initial = user.pk
        if len(user.clinic_ids()) == 1:
            self.fields["clinic"].widget = forms.HiddenInput()
            self.fields["clinic"].initial = first

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        if born and born > timezone.localdate():
            raise ValidationError(_("The date of birth cannot be in the future."), code="future")
        return born

    def clean_phase(self):
        phase = self.cleaned_data.get("phase")
        if phase == Patient.Phase.BEREAVED:
            from .life_events import BEREAVED_REFUSED

            raise ValidationError(BEREAVED_REFUSED, code="bereaved_living")
        return phase

    def clean_first_drainage_on(self):
        day = self.cleaned_data.get("first_drainage_on")
        if day and day < timezone.localdate() - timedelta(days=1):
            raise ValidationError(_("Choose today or a later day."), code="past")
        return day

    def clean(self):
        data = super().clean()
        clinic, nurse = data.get("clinic"), data.get("nurse")
        if clinic and nurse and not Membership.objects.filter(user=nurse, clinic=clinic).exists():
            self.add_error("nurse", _("This nurse is not on the staff of that clinic."))
        if clinic and data.get("mrn") and Patient.objects.filter(clinic=clinic, mrn=data["mrn"]).exists():
            self.add_error("mrn", _("A patient with this MRN is already enrolled at this clinic."))
        if data.get("interval_count") is not None:
            try:
                data["interval"] = scheduling.Interval(data["interval_count"], data.get("interval_unit", "days")).validate()
            except ValueError as error:
                self.add_error("interval_count", str(error))
        return data


class CaregiverForm(ConsentFields):
    id_prefix = "caregiver"

    class Meta:
        model = Caregiver
        fields = ["name", "relationship", "mobile", "line_type", "email", "preferred_channel", "language", "receives_reminders",
                  "next_of_kin"]
        labels = {"name": _("Name"), "relationship": _("Relationship"), "mobile": _("Phone"), "line_type": _("Line type"),
                  "email": _("E-mail"), "preferred_channel": _("Reminders by"), "language": _("Language"),
                  "receives_reminders": _("Receives the patient's reminders"), "next_of_kin": _("Next of kin")}
        help_texts = {"mobile": _("For example +1 202 555 0123."), "line_type": LINE_TYPE_HELP,
                      "relationship": _("For example: daughter, husband, friend.")}
        widgets = {"mobile": PhoneInput()}


class PatientSearchForm(NurseForm, forms.Form):
    id_prefix = "search"

    q = forms.CharField(label=_("Name or MRN"), required=False, max_length=80)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status"))] + Patient.Status.choices)
