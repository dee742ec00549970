"""The unsubscribe link of an e-mail: a page with one button, and the mailbox's one-click POST
(RFC 8058). Neither says whose address it is; an unknown or altered link is a plain 404."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..models import Caregiver, EmailAddress, Patient
from . import email

WORDS = {
    "en": {
        "title": "Stop these e-mails", "ask": "Stop appointment e-mails to this address?",
        "button": "Stop e-mails", "done_title": "E-mails stopped",
        "done": "We will send no more e-mails to this address.",
        "only": "This stops e-mail only. Texts and calls to a phone stop when you reply STOP to a text.",
        "again": "To get e-mails again, ask your care team.",
    },
    "es": {
        "title": "Dejar de recibir estos correos", "ask": "¿Dejar de recibir correos de citas en esta dirección?",
        "button": "Dejar de recibir correos", "done_title": "Correos detenidos",
        "done": "No enviaremos más correos a esta dirección.",
        "only": "Esto detiene solo los correos. Los textos y llamadas a un teléfono se detienen al responder STOP a un texto.",
        "again": "Para volver a recibir correos, hable con su equipo de atención.",
    },
}


def _language(row):
    """The language of whoever gives this address (English when they differ or none is left)."""
    languages = set(Patient.objects.filter(email__iexact=row.address).values_list("language", flat=True))
    languages |= set(Caregiver.objects.filter(email__iexact=row.address).values_list("language", flat=True))
    return languages.pop() if len(languages) == 1 and languages <= set(WORDS) else "en"


@csrf_exempt  # the mailbox's one-click POST carries no CSRF token (RFC 8058); the token is the secret
@never_cache
@require_http_methods(["GET", "POST"])
def email_unsubscribe(request, token):
    row = EmailAddress.objects.filter(token=token).first()
    if row is None:
        raise Http404()
    language = _language(row)
    context = {"t": WORDS[language], "lang": language}
    if request.method == "GET":
        if row.unsubscribed_at is not None:
            return render(request, "unsubscribe/done.html", context)
        return render(request, "unsubscribe/ask.html", context)
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    email.unsubscribe(row, email.ONE_CLICK if one_click else email.LINK)
    if one_click:
        return HttpResponse(status=200)
    return render(request, "unsubscribe/done.html", context)
