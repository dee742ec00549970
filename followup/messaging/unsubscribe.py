"""The unsubscribe link of an e-mail: a page with one button, and the mailbox's one-click POST
(RFC 8058). Neither says whose address it is; an unknown or altered link is a plain 404."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .. import languages
from ..models import Caregiver, EmailAddress, Patient
from . import email



def _language(row):
    """The language of whoever gives this address (English when they differ or none is left)."""
    spoken = set(Patient.objects.filter(email__iexact=row.address).values_list("language", flat=True))
    spoken |= set(Caregiver.objects.filter(email__iexact=row.address).values_list("language", flat=True))
    return languages.supported(spoken.pop()) if len(spoken) == 1 else languages.SOURCE_LANGUAGE


@csrf_exempt  # the mailbox's one-click POST carries no CSRF token (RFC 8058); the token is the secret
@never_cache
@require_http_methods(["GET", "POST"])
def email_unsubscribe(request, token):
    row = EmailAddress.objects.filter(token=token).first()
    if row is None:
        raise Http404()
    language = _language(row)
    if request.method == "GET":
        template = "unsubscribe/done.html" if row.unsubscribed_at is not None else "unsubscribe/ask.html"
        return _page(request, template, language)
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    email.unsubscribe(row, email.ONE_CLICK if one_click else email.LINK)
    if one_click:
        return HttpResponse(status=200)
    return _page(request, "unsubscribe/done.html", language)


def _page(request, template, language):
    with translation.override(language):
        response = render(request, template)
    response["Content-Language"] = language
    return response
