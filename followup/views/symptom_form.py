"""The patient's symptom form: the ten ESAS-r items behind a signed, single-use link. No login.

The words a patient reads live in TEXT below, one dict per language, rather than in gettext
catalogues: the page speaks the patient's language (from their record, not the browser's), the
ESAS-r item wording is a validated instrument that must not drift through a translation tool,
and the whole text of both languages can be read and reviewed side by side in one place.
"""

import logging

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .. import symptom_links
from ..models import ESAS_FIELDS, Patient, SymptomReport

logger = logging.getLogger(__name__)

# (field, item name, 0 end, 10 end): the anchors are the ESAS-r wording (revised 2010, administration
# manual), word for word; only the short item name above each scale is ours.
ESAS_WORDING = {
    "en": [
        ("pain", "Pain", "No Pain", "Worst Possible Pain"),
        ("tiredness", "Tiredness", "No Tiredness (Tiredness = lack of energy)", "Worst Possible Tiredness"),
        ("drowsiness", "Drowsiness", "No Drowsiness (Drowsiness = feeling sleepy)", "Worst Possible Drowsiness"),
        ("nausea", "Nausea", "No Nausea", "Worst Possible Nausea"),
        ("lack_of_appetite", "Lack of Appetite", "No Lack of Appetite", "Worst Possible Lack of Appetite"),
        ("shortness_of_breath", "Shortness of Breath", "No Shortness of Breath", "Worst Possible Shortness of Breath"),
        ("depression", "Depression", "No Depression (Depression = feeling sad)", "Worst Possible Depression"),
        ("anxiety", "Anxiety", "No Anxiety (Anxiety = feeling nervous)", "Worst Possible Anxiety"),
        ("wellbeing", "Wellbeing", "Best Wellbeing (Wellbeing = how you feel overall)", "Worst Possible Wellbeing"),
        ("other_problem", "Other Problem", "No Other Problem (for example constipation)", "Worst Possible"),
    ],
    "es": [
        ("pain", "Dolor", "Sin dolor", "Máximo dolor imaginable"),
        ("tiredness", "Cansancio", "Sin cansancio (cansancio = falta de energía)", "Máximo cansancio imaginable"),
        ("drowsiness", "Somnolencia", "Sin somnolencia (somnolencia = sentirse adormilado)", "Máxima somnolencia imaginable"),
        ("nausea", "Náuseas", "Sin náuseas", "Máximas náuseas imaginables"),
        ("lack_of_appetite", "Falta de apetito", "Sin falta de apetito", "Máxima falta de apetito imaginable"),
        ("shortness_of_breath", "Dificultad para respirar", "Sin dificultad para respirar",
         "Máxima dificultad para respirar imaginable"),
        ("depression", "Desánimo", "Sin desánimo (desánimo = sentirse triste)", "Máximo desánimo imaginable"),
        ("anxiety", "Nerviosismo", "Sin nerviosismo (nerviosismo = sentirse intranquilo)", "Máximo nerviosismo imaginable"),
        ("wellbeing", "Bienestar", "Máximo bienestar (bienestar = sentirse bien en general)", "Máximo malestar imaginable"),
        ("other_problem", "Otro problema", "Sin otro problema (por ejemplo, estreñimiento)", "Máximo imaginable"),
    ],
}

TEXT = {
    "en": {
        "title": "How are you feeling now?",
        "for_patient": "This form is for {first_name}, from the {clinic} team.",
        "instruction": "Please tap the number that best describes how you feel NOW.",
        "instruction_caregiver": "Please tap the number that best describes how the patient feels NOW.",
        "progress": "{number} of {total}",
        "all_blank": "No number has been chosen yet. Please answer at least one question, then send again. "
                     "Nothing has been sent and this link still works.",
        "scale_help": "0 is the best and 10 the worst. You can leave out any question you do not want to answer.",
        "urgent": "This form is not for emergencies. If you feel much worse, do not wait: call the team on {phone}.",
        "who_legend": "Who is filling this in?",
        "who_patient": "The patient",
        "who_caregiver": "A family member or friend who cares for the patient",
        "who_required": "Please tell us who is filling this in.",
        "no_answer": "Leave blank",
        "other_name_label": "What is the other problem?",
        "other_name_required": "Please write what the other problem is, or choose \u201cLeave blank\u201d for its score.",
        "other_name_too_long": "Please keep this to 120 characters or fewer.",
        "score_invalid": "Please choose a number from 0 to 10, or leave it blank.",
        "errors_title": "Some answers need another look",
        "errors_intro": "Please check the questions marked below. Your other answers are kept.",
        "submit": "Send to my care team",
        "not_saved": "Your answers could not be saved. Please check them and send again.",
        "thanks_title": "Thank you",
        "thanks_body": "Your answers have been sent to the {clinic} team.",
        "thanks_call": "If you feel much worse, please call the team on {phone}. Do not wait for them to call you.",
        "thanks_call_closed": "The team is closed now. If you feel much worse, please call the out-of-hours number "
                              "{phone}. Do not wait for them to call you.",
        "thanks_close": "You can close this page now.",
        "expired_title": "This link has expired",
        "expired_body": "Links to the symptom form work for 3 days. Your team will send a new one with your next check-in.",
        "used_title": "This form has already been sent",
        "used_body": "Each link works once, and the answers sent first have reached your care team. Thank you.",
        "closed_title": "This link is no longer in use",
        "closed_body": "This symptom form is closed.",
        "call_genuine": "If anything has changed or you feel worse, please call your care team on {phone}.",
        "call_bereaved": "If you would like to talk with someone from the team, you can call {phone}.",
        "broken_title": "This link does not work",
        "broken_body": "Part of the link may be missing or changed, which can happen when a link is copied. "
                       "Please open it again from the original message.",
        "broken_call": "If you feel worse, please call your care team on the number they gave you.",
        "page_name": "Symptom form",
    },
    "es": {
        "title": "¿Cómo se siente ahora?",
        "for_patient": "Este formulario es para {first_name}, del equipo de {clinic}.",
        "instruction": "Por favor, toque el número que mejor describa cómo se siente AHORA.",
        "instruction_caregiver": "Por favor, toque el número que mejor describa cómo se siente el paciente AHORA.",
        "progress": "{number} de {total}",
        "all_blank": "Todavía no ha elegido ningún número. Por favor, conteste al menos una pregunta y envíe de nuevo. "
                     "No se ha enviado nada y este enlace sigue funcionando.",
        "scale_help": "0 es lo mejor y 10 lo peor. Puede dejar sin contestar cualquier pregunta que no quiera responder.",
        "urgent": "Este formulario no es para emergencias. Si se siente mucho peor, no espere: llame al equipo al {phone}.",
        "who_legend": "¿Quién está completando este formulario?",
        "who_patient": "El paciente",
        "who_caregiver": "Un familiar o amigo que cuida al paciente",
        "who_required": "Por favor, díganos quién está completando el formulario.",
        "no_answer": "Dejar en blanco",
        "other_name_label": "¿Cuál es el otro problema?",
        "other_name_required": "Por favor, escriba cuál es el otro problema, o elija \u201cDejar en blanco\u201d "
                               "en su puntuación.",
        "other_name_too_long": "Por favor, use 120 caracteres o menos.",
        "score_invalid": "Por favor, elija un número del 0 al 10, o déjelo en blanco.",
        "errors_title": "Algunas respuestas necesitan revisión",
        "errors_intro": "Por favor, revise las preguntas marcadas abajo. Sus otras respuestas se han guardado en la página.",
        "submit": "Enviar a mi equipo de cuidados",
        "not_saved": "No se pudieron guardar sus respuestas. Por favor, revíselas y envíelas de nuevo.",
        "thanks_title": "Gracias",
        "thanks_body": "Sus respuestas se han enviado al equipo de {clinic}.",
        "thanks_call": "Si se siente mucho peor, por favor llame al equipo al {phone}. No espere a que le llamen.",
        "thanks_call_closed": "El equipo está cerrado ahora. Si se siente mucho peor, por favor llame al número "
                              "fuera de horario {phone}. No espere a que le llamen.",
        "thanks_close": "Ya puede cerrar esta página.",
        "expired_title": "Este enlace ha caducado",
        "expired_body": "Los enlaces al formulario de síntomas funcionan durante 3 días. Su equipo le enviará uno nuevo "
                        "con su próximo control.",
        "used_title": "Este formulario ya se ha enviado",
        "used_body": "Cada enlace funciona una sola vez, y las primeras respuestas enviadas han llegado a su equipo. Gracias.",
        "closed_title": "Este enlace ya no está en uso",
        "closed_body": "Este formulario de síntomas está cerrado.",
        "call_genuine": "Si algo ha cambiado o se siente peor, por favor llame a su equipo de cuidados al {phone}.",
        "call_bereaved": "Si desea hablar con alguien del equipo, puede llamar al {phone}.",
        "broken_title": "Este enlace no funciona",
        "broken_body": "Puede que falte o haya cambiado parte del enlace, algo que ocurre al copiarlo. "
                       "Por favor, ábralo de nuevo desde el mensaje original.",
        "broken_call": "Si se siente peor, por favor llame a su equipo de cuidados al número que le dieron.",
        "page_name": "Formulario de síntomas",
    },
}
LANGUAGES = tuple(TEXT)
SCORES = [str(score) for score in range(11)]


def language_of(patient):
    return patient.language if patient.language in TEXT else "en"


def phone_for_display(number):
    """The clinic's number as the patient would dial it: national format at home, else international."""
    home = phonenumbers.region_code_for_number(number) == getattr(settings, "PHONENUMBER_DEFAULT_REGION", "US")
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


class SymptomForm(forms.Form):
    """The ten ESAS-r items (each 0-10 or blank), who is answering, and the other problem's name."""

    completed_by = forms.ChoiceField(choices=[(SymptomReport.CompletedBy.PATIENT, "patient"),
                                              (SymptomReport.CompletedBy.CAREGIVER, "caregiver")])
    other_problem_name = forms.CharField(max_length=120, required=False)

    def __init__(self, language, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language = language
        self.text = TEXT[language]
        for name in ESAS_FIELDS:
            self.fields[name] = forms.TypedChoiceField(
                choices=[("", "")] + [(score, score) for score in SCORES], coerce=int, empty_value=None,
                required=False, error_messages={"invalid_choice": self.text["score_invalid"]},
            )
        self.fields["completed_by"].error_messages.update(
            required=self.text["who_required"], invalid_choice=self.text["who_required"])
        self.fields["other_problem_name"].error_messages["max_length"] = self.text["other_name_too_long"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("other_problem") is not None and not cleaned.get("other_problem_name"):
            self.add_error("other_problem_name", self.text["other_name_required"])
        scored_or_refused = [name for name in ESAS_FIELDS if cleaned.get(name) is not None or name in self.errors]
        if not scored_or_refused:
            # An empty report would tell the team nothing and use up the link.
            raise ValidationError(self.text["all_blank"], code="all_blank")
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
        """What the template needs to draw each item: its words, its choices, what was picked, its errors."""
        rows = []
        wording = ESAS_WORDING[self.language]
        for number, (name, item, best, worst) in enumerate(wording, start=1):
            raw = self[name].value()
            picked = "" if raw is None else str(raw)
            rows.append({
                "name": name, "item": item, "best": best, "worst": worst,
                "progress": self.text["progress"].format(number=number, total=len(wording)),
                "choices": [(score, picked == score) for score in SCORES],
                "blank_picked": raw is not None and picked == "",
                "errors": self.errors.get(name, []),
            })
        return rows

    def who_choices(self):
        picked = self["completed_by"].value() or ""
        patient, caregiver = SymptomReport.CompletedBy.PATIENT.value, SymptomReport.CompletedBy.CAREGIVER.value
        return [
            (patient, self.text["who_patient"], picked == patient),
            (caregiver, self.text["who_caregiver"], picked == caregiver),
        ]


def _phone_link(clinic, number=None):
    number = number or clinic.phone
    return format_html('<a class="phone" href="tel:{}">{}</a>', number.as_e164, phone_for_display(number))


def _say(language, key, **values):
    """One sentence of TEXT with its values (a phone link, a name) escaped into it."""
    return format_html(TEXT[language][key], **values)


def _page(request, template, language, context, status=200):
    context = {"lang": language, "t": TEXT[language], **context}
    response = render(request, template, context, status=status)
    response["Content-Language"] = language
    return response


def _refused(request, error):
    """A kind page for a link that cannot open the form. A broken link names nobody, not even
    the clinic; a genuine one (expired, used, closed) gives its clinic's phone number."""
    reason = type(error).__name__.removeprefix("Link").lower()
    logger.info("symptom form link refused reason=%s link=%s", reason, error.link.pk if error.link else None)
    if error.link is None:
        texts = [(language, TEXT[language]) for language in LANGUAGES]
        response = render(request, "symptoms/broken_link.html", {"lang": LANGUAGES[0], "texts": texts}, status=404)
        response["Content-Language"] = ", ".join(LANGUAGES)
        return response
    patient = error.link.patient
    language = language_of(patient)
    if patient.status == Patient.Status.DECEASED:
        # The family may open it after the death: never "if you feel worse", whatever the link's state.
        return _page(request, "symptoms/closed_link.html", language, {
            "title": TEXT[language]["closed_title"], "body": TEXT[language]["closed_body"],
            "call": _say(language, "call_bereaved", phone=_phone_link(patient.clinic)),
        }, status=410)
    return _page(request, "symptoms/closed_link.html", language, {
        "title": TEXT[language][f"{reason}_title"], "body": TEXT[language][f"{reason}_body"],
        "call": _say(language, "call_genuine", phone=_phone_link(patient.clinic)),
    }, status=410)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def symptom_form(request, signed):
    try:
        link = symptom_links.resolve(signed)
    except symptom_links.LinkError as error:
        return _refused(request, error)
    patient = link.patient
    language = language_of(patient)
    form = SymptomForm(language, request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            symptom_links.submit_report(
                link, scores=form.scores(), completed_by=form.cleaned_data["completed_by"],
                other_problem_name=form.cleaned_data["other_problem_name"],
            )
        except symptom_links.LinkError as error:
            return _refused(request, error)
        except ValidationError:
            # The form checks everything the model does; this only guards against the two drifting apart.
            logger.warning("symptom form report refused by the model link=%s", link.pk)
            form.add_error(None, form.text["not_saved"])
        else:
            return redirect("symptom_thanks", signed=signed)
    return _page(request, "symptoms/form.html", language, {
        "form": form,
        # A first name at most: enough for a caregiver to know whose form it is.
        "for_patient": _say(language, "for_patient", first_name=patient.given_name, clinic=patient.clinic.name),
        "urgent": _say(language, "urgent", phone=_phone_link(patient.clinic)),
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
        language = language_of(patient)
        return _page(request, "symptoms/thanks.html", language, {
            "body": _say(language, "thanks_body", clinic=patient.clinic.name),
            # While the team is closed, the out-of-hours number (the on-call team's).
            "call": _say(language, "thanks_call", phone=_phone_link(clinic)) if clinic.is_open(timezone.now())
            else _say(language, "thanks_call_closed", phone=_phone_link(clinic, clinic.out_of_hours_number)),
        })
    except symptom_links.LinkError as error:
        return _refused(request, error)
    return redirect("symptom_form", signed=signed)
