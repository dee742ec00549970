"""The caregiver's page for logging one home drainage, behind a signed single-use link (mounted at
/d/). No login, like the symptom form: the URL names nobody, the page shows a first name at most,
and it is in the patient's language (from their record) whatever the browser asks for."""

import logging

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .. import catheter, languages, symptom_links
from ..life_forms import CaregiverDrainageForm
from .symptom_form import language_of, phone_for_display

logger = logging.getLogger(__name__)



def _page(request, template, language, context, status=200):
    with translation.override(language):
        response = render(request, template, context, status=status)
    response["Content-Language"] = language
    return response


def _phone_link(clinic):
    return format_html('<a class="phone" href="tel:{}">{}</a>', clinic.phone.as_e164, phone_for_display(clinic.phone))


def _refused(request, error):
    if error.link is None:
        # Nobody's link: it names no one and speaks every language.
        response = render(request, "home_drainage/notice.html", {"notice": "broken", "languages": languages.codes()}, status=404)
        response["Content-Language"] = ", ".join(languages.codes())
        return response
    patient = error.link.patient
    return _page(request, "home_drainage/notice.html", language_of(patient),
                 {"notice": "closed", "phone": _phone_link(patient.clinic)}, status=410)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def home_drainage_form(request, signed):
    try:
        link = catheter.resolve_link(signed)
    except symptom_links.LinkError as error:
        return _refused(request, error)
    patient = link.patient
    language = language_of(patient)
    with timezone.override(patient.zone), translation.override(language):
        now = timezone.localtime().replace(second=0, microsecond=0)
        form = CaregiverDrainageForm(request.POST if request.method == "POST" else None, initial={"performed_at": now})
        if form.is_valid():
            data = form.cleaned_data
            try:
                catheter.submit_link(link, performed_at=data["performed_at"], volume_ml=data["volume_ml"],
                                     performer_name=data["name"])
            except symptom_links.LinkError as error:
                return _refused(request, error)
            except ValidationError as error:
                for field, errors in getattr(error, "error_dict", {"__all__": error.error_list}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return redirect("home_drainage_thanks", signed=signed)
        return _page(request, "home_drainage/form.html", language, {
            "form": form, "first_name": patient.given_name, "clinic": patient.clinic.name,
        })


@never_cache
@require_http_methods(["GET", "HEAD"])
def home_drainage_thanks(request, signed):
    try:
        catheter.resolve_link(signed)
    except symptom_links.LinkUsed as used:
        patient = used.link.patient
        return _page(request, "home_drainage/notice.html", language_of(patient),
                     {"notice": "thanks", "clinic": patient.clinic.name})
    except symptom_links.LinkError as error:
        return _refused(request, error)
    return redirect("home_drainage_form", signed=signed)
