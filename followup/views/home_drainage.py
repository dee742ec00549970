"""The caregiver's page for logging one home drainage, behind a signed single-use link (mounted at
/d/). No login, like the symptom form: the URL names nobody, the page shows a first name at most."""

import logging

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .. import catheter, symptom_links
from ..life_forms import CaregiverDrainageForm
from .symptom_form import language_of, phone_for_display

logger = logging.getLogger(__name__)

TEXT = {
    "en": {
        "page_name": "Drainage log",
        "title": "Log a drainage",
        "for_patient": "For {first_name}, from the {clinic} team.",
        "submit": "Send to the care team",
        "thanks_title": "Thank you",
        "thanks_body": "The drainage has been sent to the {clinic} team.",
        "closed_title": "This link is no longer in use",
        "closed_body": "Each link works once, for 3 days. Ask the team for a new one if you need it.",
        "call": "To talk with the team, call {phone}.",
        "broken_title": "This link does not work",
        "broken_body": "Part of the link may be missing or changed. Please open it again from the original message.",
    },
    "es": {
        "page_name": "Registro de drenaje",
        "title": "Registrar un drenaje",
        "for_patient": "Para {first_name}, del equipo de {clinic}.",
        "submit": "Enviar al equipo de cuidados",
        "thanks_title": "Gracias",
        "thanks_body": "El drenaje se ha enviado al equipo de {clinic}.",
        "closed_title": "Este enlace ya no está en uso",
        "closed_body": "Cada enlace funciona una vez, durante 3 días. Pida uno nuevo al equipo si lo necesita.",
        "call": "Para hablar con el equipo, llame al {phone}.",
        "broken_title": "Este enlace no funciona",
        "broken_body": "Puede que falte o haya cambiado parte del enlace. Por favor, ábralo de nuevo desde el mensaje original.",
    },
}


def _page(request, template, language, context, status=200):
    response = render(request, template, {"lang": language, "t": TEXT[language], **context}, status=status)
    response["Content-Language"] = language
    return response


def _refused(request, error):
    if error.link is None:
        return _page(request, "home_drainage/notice.html", "en", {"title": TEXT["en"]["broken_title"],
                                                                  "body": TEXT["en"]["broken_body"]}, status=404)
    patient = error.link.patient
    language = language_of(patient)
    phone = format_html('<a class="phone" href="tel:{}">{}</a>', patient.clinic.phone.as_e164,
                        phone_for_display(patient.clinic.phone))
    return _page(request, "home_drainage/notice.html", language, {
        "title": TEXT[language]["closed_title"], "body": TEXT[language]["closed_body"],
        "call": format_html(TEXT[language]["call"], phone=phone)}, status=410)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def home_drainage_form(request, signed):
    try:
        link = catheter.resolve_link(signed)
    except symptom_links.LinkError as error:
        return _refused(request, error)
    patient = link.patient
    language = language_of(patient)
    with timezone.override(patient.zone):
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
            "form": form,
            "for_patient": format_html(TEXT[language]["for_patient"], first_name=patient.given_name, clinic=patient.clinic.name),
        })


@never_cache
@require_http_methods(["GET", "HEAD"])
def home_drainage_thanks(request, signed):
    try:
        catheter.resolve_link(signed)
    except symptom_links.LinkUsed as used:
        patient = used.link.patient
        language = language_of(patient)
        return _page(request, "home_drainage/notice.html", language, {
            "title": TEXT[language]["thanks_title"],
            "body": format_html(TEXT[language]["thanks_body"], clinic=patient.clinic.name)})
    except symptom_links.LinkError as error:
        return _refused(request, error)
    return redirect("home_drainage_form", signed=signed)
