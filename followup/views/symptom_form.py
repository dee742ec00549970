"""The patient's symptom form: the ten ESAS-r items behind a signed, single-use link. No login.

The page speaks the patient's language, from their record, not the browser's: every view renders
inside translation.override(the patient's language). Its sentences come from the gettext
catalogues; the ESAS-r item wording, a validated instrument that must not drift through a
translation tool, comes from the reviewed wording table of that language (followup.esas_r).
"""

import functools
import logging

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .. import esas_r, languages, symptom_links
from ..models import ESAS_FIELDS, Patient, SymptomReport

logger = logging.getLogger(__name__)

SCORES = [str(score) for score in range(11)]


def language_of(patient):
    return languages.supported(patient.language)


def phone_for_display(number):
    """The clinic's number as the patient would dial it: national format at home, else international."""
    home = phonenumbers.region_code_for_number(number) == getattr(settings, "PHONENUMBER_DEFAULT_REGION", "US")
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


class SymptomForm(forms.Form):
    """The ten ESAS-r items (each 0-10 or blank), who is answering, and the other problem's name.
    Its words are in the active language (the view renders inside the patient's)."""

    completed_by = forms.ChoiceField(
        choices=[(SymptomReport.CompletedBy.PATIENT, "patient"), (SymptomReport.CompletedBy.CAREGIVER, "caregiver")],
        error_messages={"required": _("Please tell us who is filling this in."),
                        "invalid_choice": _("Please tell us who is filling this in.")})
    other_problem_name = forms.CharField(max_length=120, required=False,
                                         error_messages={"max_length": _("Please keep this to 120 characters or fewer.")})
    # The question that ends the form (followup/call_today.py); unanswered is kept as not answered.
    needs_call_today = forms.TypedChoiceField(choices=[("", ""), ("yes", "yes"), ("no", "no")], required=False,
                                              coerce=lambda value: value == "yes", empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ESAS_FIELDS:
            self.fields[name] = forms.TypedChoiceField(
                choices=[("", "")] + [(score, score) for score in SCORES], coerce=int, empty_value=None,
                required=False, error_messages={"invalid_choice": _("Please choose a number from 0 to 10, or leave it blank.")},
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("other_problem") is not None and not cleaned.get("other_problem_name"):
            self.add_error("other_problem_name", gettext(
                "Please write what the other problem is, or choose “Leave blank” for its score."))
        scored_or_refused = [name for name in ESAS_FIELDS if cleaned.get(name) is not None or name in self.errors]
        if not scored_or_refused and cleaned.get("needs_call_today") is not True:
            # An empty report would tell the team nothing and use up the link; "yes, call me today"
            # alone tells them what matters most (a call-request alert, followup/call_today.py).
            raise ValidationError(gettext("No number has been chosen yet. Please answer at least one question, then send "
                                          "again. Nothing has been sent and this link still works."), code="all_blank")
        return cleaned

    @property
    def has_field_errors(self):
        return any(name != forms.forms.NON_FIELD_ERRORS for name in self.errors)

    @property
    def caregiver_answers(self):
        return self["completed_by"].value() == SymptomReport.CompletedBy.CAREGIVER

    def scores(self):
        return {name: self.cleaned_data[name] for name in ESAS_FIELDS}

    def items(self):
        """What the template needs to draw each item: its words (the wording table of the active
        language), its choices, what was picked, its errors."""
        rows = []
        wording = esas_r.wording()
        for number, item in enumerate(wording, start=1):
            raw = self[item.field].value()
            picked = "" if raw is None else str(raw)
            rows.append({
                "name": item.field, "item": item.name, "best": item.best, "worst": item.worst,
                "progress": gettext("%(number)s of %(total)s") % {"number": number, "total": len(wording)},
                "scale": _scale(item.field, picked),
                "blank_picked": raw is not None and picked == "",
                "errors": self.errors.get(item.field, []),
            })
        return rows

    def call_today_choices(self):
        picked = self["needs_call_today"].value() or ""
        return [("yes", gettext("Yes"), picked == "yes"), ("no", gettext("No"), picked == "no")]

    def who_choices(self):
        picked = self["completed_by"].value() or ""
        patient, caregiver = SymptomReport.CompletedBy.PATIENT.value, SymptomReport.CompletedBy.CAREGIVER.value
        return [
            (patient, gettext("The patient"), picked == patient),
            (caregiver, gettext("A family member or friend who cares for the patient"), picked == caregiver),
        ]


@functools.lru_cache(maxsize=256)
def _scale(name, picked):
    """The radio buttons 0 to 10 of one item, `picked` checked. Written here, not in the template:
    as template nodes the ten scales were two thirds of the page's time, and an item's scale is
    the same for every patient (one per item and answer, remembered)."""
    return mark_safe("".join(
        format_html('\n      <input type="radio" id="{}-{}" name="{}" value="{}"{}>\n      <label for="{}-{}">{}</label>\n      ',
                    name, score, name, score, mark_safe(" checked") if picked == score else "", name, score, score)
        for score in SCORES))


def _phone_link(clinic, number=None):
    number = number or clinic.phone
    return format_html('<a class="phone" href="tel:{}">{}</a>', number.as_e164, phone_for_display(number))


def _page(request, template, language, context, status=200):
    """A page in the patient's language, whatever the browser asks for."""
    with translation.override(language):
        response = render(request, template, context, status=status)
    response["Content-Language"] = language
    return response


def _refused(request, error):
    """A kind page for a link that cannot open the form. A broken link names nobody, not even
    the clinic, and says so in every language the form speaks; a genuine one (expired, used,
    closed) is in its patient's language and gives the clinic's phone number."""
    reason = type(error).__name__.removeprefix("Link").lower()
    logger.info("symptom form link refused reason=%s link=%s", reason, error.link.pk if error.link else None)
    if error.link is None:
        response = render(request, "symptoms/broken_link.html", {"languages": languages.codes()}, status=404)
        response["Content-Language"] = ", ".join(languages.codes())
        return response
    patient = error.link.patient
    # The family may open it after the death: never "if you feel worse", whatever the link's state.
    reason = "bereaved" if patient.status == Patient.Status.DECEASED else reason
    return _page(request, "symptoms/closed_link.html", language_of(patient),
                 {"reason": reason, "phone": _phone_link(patient.clinic)}, status=410)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def symptom_form(request, signed):
    try:
        link = symptom_links.resolve(signed)
    except symptom_links.LinkError as error:
        return _refused(request, error)
    patient = link.patient
    language = language_of(patient)
    with translation.override(language):
        form = SymptomForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                symptom_links.submit_report(
                    link, scores=form.scores(), completed_by=form.cleaned_data["completed_by"],
                    other_problem_name=form.cleaned_data["other_problem_name"],
                    needs_call_today=form.cleaned_data["needs_call_today"],
                )
            except symptom_links.LinkError as error:
                return _refused(request, error)
            except ValidationError:
                # The form checks everything the model does; this only guards against the two drifting apart.
                logger.warning("symptom form report refused by the model link=%s", link.pk)
                form.add_error(None, gettext("Your answers could not be saved. Please check them and send again."))
            else:
                return redirect("symptom_thanks", signed=signed)
    return _page(request, "symptoms/form.html", language, {
        "form": form,
        # A first name at most: enough for a caregiver to know whose form it is.
        "first_name": patient.given_name, "clinic": patient.clinic.name, "phone": _phone_link(patient.clinic),
    })


@never_cache
@require_http_methods(["GET", "HEAD"])
def symptom_thanks(request, signed):
    """After a report is sent (POST, then redirect here, so a reload does not send it again)."""
    try:
        symptom_links.resolve(signed)
    except symptom_links.LinkUsed as used:
        patient = used.link.patient
        if patient.status == Patient.Status.DECEASED:
            return _refused(request, used)
        clinic = patient.clinic
        # While the team is closed, the out-of-hours number (the on-call team's).
        is_open = clinic.is_open(timezone.now())
        return _page(request, "symptoms/thanks.html", language_of(patient), {
            "clinic": clinic.name, "closed": not is_open,
            "phone": _phone_link(clinic) if is_open else _phone_link(clinic, clinic.out_of_hours_number),
        })
    except symptom_links.LinkError as error:
        return _refused(request, error)
    return redirect("symptom_form", signed=signed)
