"""Forms for the life events a nurse records: a death, a pause and its end, the catheter and its
advisory, home drainage, bereavement calls, an unrouted text, a phase to resolve. Like forms.py,
each turns text into domain values and explains refusals on the field; times are the patient's."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .forms import FUTURE_GRACE, DateInput, LocalDateTimeInput, NurseForm, _past_moment, _whole_number
from .models import HOME_DRAINAGE_MAX_ML, AdvisoryAnswer, BereavementCall, Catheter, Death, Patient, Pause, Procedure


def _not_past(day, zone):
    if day is not None and day < timezone.localdate(timezone=zone):
        raise ValidationError(_("The review date cannot be in the past."), code="past")
    return day


class DeathForm(NurseForm, forms.Form):
    id_prefix = "death"

    died_at = forms.DateTimeField(label=_("Date and time of death"), widget=LocalDateTimeInput(),
                                  help_text=_("The patient's local time; now unless you know better."))
    place = forms.ChoiceField(label=_("Place of death"), choices=[("", _("Choose"))] + Death.Place.choices)
    source = forms.ChoiceField(label=_("How the team learnt of it"), choices=[("", _("Choose"))] + Death.Source.choices)
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_died_at(self):
        value = self.cleaned_data["died_at"]
        if value and value > timezone.now() + FUTURE_GRACE:
            raise ValidationError(_("A death cannot be recorded in the future."), code="future")
        return value


class PauseForm(NurseForm, forms.Form):
    id_prefix = "pause"

    reason = forms.ChoiceField(label=_("Reason"), choices=[("", _("Choose a reason"))] + Pause.Reason.choices)
    review_on = forms.DateField(label=_("Review on"), widget=DateInput(), required=False,
                                help_text=_("The day the worklist asks to resume or extend. Blank for a hospital "
                                            "admission: the clinic's default."))
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_review_on(self):
        return _not_past(self.cleaned_data.get("review_on"), self.zone)

    def clean(self):
        data = super().clean()
        if data.get("reason") and data["reason"] != Pause.Reason.HOSPITAL_ADMISSION and not data.get("review_on") \
                and "review_on" not in self.errors:
            self.add_error("review_on", _("Give the day to review this pause."))
        return data


class ExtendPauseForm(NurseForm, forms.Form):
    id_prefix = "extend"

    review_on = forms.DateField(label=_("Review again on"), widget=DateInput())
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)

    def __init__(self, *args, zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_review_on(self):
        return _not_past(self.cleaned_data.get("review_on"), self.zone)


WARD_ROWS = 3


class ResumeForm(NurseForm, forms.Form):
    """Ending a pause; after an admission, the drainages done on the ward (up to three)."""

    id_prefix = "resume"

    ward_drainages = forms.TypedChoiceField(
        label=_("Were drainages done on the ward?"), required=False, coerce=lambda value: value == "yes",
        choices=[("no", _("No")), ("yes", _("Yes: recorded below"))], initial="no", widget=forms.RadioSelect)

    def __init__(self, *args, ask_ward=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.ask_ward = ask_ward
        if not ask_ward:
            del self.fields["ward_drainages"]
            return
        for row in range(1, WARD_ROWS + 1):
            self.fields[f"ward_{row}_at"] = forms.DateTimeField(label=format_lazy(_("Ward drainage {row}: when"), row=row), required=False,
                                                                widget=LocalDateTimeInput())
            self.fields[f"ward_{row}_volume"] = _whole_number(_("the volume in millilitres"), 0, 20000,
                                                              label=format_lazy(_("Ward drainage {row}: volume (ml)"), row=row), required=False)

    def clean(self):
        data = super().clean()
        data["drainages"] = []
        if not self.ask_ward or not data.get("ward_drainages"):
            return data
        for row in range(1, WARD_ROWS + 1):
            at, volume = data.get(f"ward_{row}_at"), data.get(f"ward_{row}_volume")
            if at is None and volume is None:
                continue
            if at is None:
                self.add_error(f"ward_{row}_at", _("Give when this drainage was done."))
                continue
            try:
                _past_moment(at, _("A drainage"))
            except ValidationError as error:
                self.add_error(f"ward_{row}_at", error)
                continue
            if volume is None:
                self.add_error(f"ward_{row}_volume", _("Enter the volume drained in ml (0 for a dry tap)."))
                continue
            data["drainages"].append({"performed_at": at, "volume_ml": volume})
        if not data["drainages"] and not self.errors:
            self.add_error("ward_1_at", _("Record the ward drainage, or answer “No”."))
        return data


class AdvisoryAnswerForm(NurseForm, forms.Form):
    id_prefix = "advisory"

    answer = forms.ChoiceField(label=_("Answer"), choices=[("", _("Choose"))] + AdvisoryAnswer.Answer.choices)
    answered_on = forms.DateField(label=_("On"), widget=DateInput())
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)


class CatheterForm(NurseForm, forms.Form):
    id_prefix = "catheter"

    placed_on = forms.DateField(label=_("Placed on"), widget=DateInput())
    type = forms.ChoiceField(label=_("Type"), choices=Catheter.Type.choices)
    interval_days = _whole_number(_("the interval in days"), 1, 14, label=_("Drain at home every (days)"),
                                  help_text=_("1 or more; the clinic's default when blank."), required=False)


class HomeDrainageForm(NurseForm, forms.Form):
    id_prefix = "home"

    performed_at = forms.DateTimeField(label=_("Drained at"), widget=LocalDateTimeInput(), help_text=_("The patient's local time."))
    volume_ml = _whole_number(_("the volume in millilitres"), 0, HOME_DRAINAGE_MAX_ML, label=_("Volume (ml)"))
    performer_name = forms.CharField(label=_("Drained by (if not you)"), required=False, max_length=120,
                                     help_text=_("For example the district nurse or a caregiver."))
    performer_role = forms.CharField(label=_("Their role"), required=False, max_length=80)
    complication_codes = forms.MultipleChoiceField(label=_("Complications"), choices=Procedure.Complication.choices,
                                                   widget=forms.CheckboxSelectMultiple, initial=[Procedure.Complication.NONE])
    complications = forms.CharField(label=_("Other complication"), required=False, max_length=500)

    def clean_performed_at(self):
        return _past_moment(self.cleaned_data["performed_at"], _("A drainage"))

    def clean(self):
        data = super().clean()
        if (data.get("performer_name") or "").strip() and not (data.get("performer_role") or "").strip():
            self.add_error("performer_role", _("Give their role, for example district nurse or daughter."))
        return data


class BereavementCallForm(NurseForm, forms.Form):
    id_prefix = "bereavement"

    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", _("Choose"))] + BereavementCall.Outcome.choices)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=1000)


class AssignMessageForm(NurseForm, forms.Form):
    id_prefix = "assign"

    contact = forms.ChoiceField(label=_("Whose message is this?"))

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .messaging.routing import contact_key, patient_of

        self.by_key = {contact_key(c): c for c in candidates}
        choices = []
        for key, contact in self.by_key.items():
            patient = patient_of(contact)
            values = {"name": contact.name, "patient": patient.full_name, "mrn": patient.mrn, "clinic": patient.clinic.name}
            label = (gettext("the patient %(patient)s (%(mrn)s), %(clinic)s") if contact is patient
                     else gettext("%(name)s, caregiver of %(patient)s (%(mrn)s), %(clinic)s")) % values
            choices.append((key, label))
        self.fields["contact"].choices = [("", _("Choose"))] + choices

    def clean_contact(self):
        return self.by_key[self.cleaned_data["contact"]]


class PhaseForm(NurseForm, forms.Form):
    id_prefix = "phase"

    phase = forms.ChoiceField(label=_("The patient's phase now"),
                              choices=[("", _("Choose"))] + [c for c in Patient.Phase.choices if c[0] != Patient.Phase.BEREAVED])


class CaregiverDrainageForm(forms.Form):
    """What a caregiver fills in through the link: when, how much, their name."""

    performed_at = forms.DateTimeField(label=_("When did you drain?"), widget=LocalDateTimeInput())
    volume_ml = _whole_number(_("the amount in ml"), 0, HOME_DRAINAGE_MAX_ML, label=_("How much came out (ml)?"))
    name = forms.CharField(label=_("Your name"), max_length=120)

    def clean_performed_at(self):
        value = self.cleaned_data["performed_at"]
        if value and value > timezone.now() + FUTURE_GRACE:
            raise ValidationError(_("This time is in the future: please check it."), code="future")
        return value
