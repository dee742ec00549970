"""The languages Followup speaks: settings.LANGUAGES, each a gettext catalogue in
locale/<code>/LC_MESSAGES/django.po and a reviewed ESAS-r wording table (followup.esas_r).

Who reads which language: a patient's pages and messages are in the patient's (or the caregiver's)
own language from their record, never the browser's, since a family member's phone may be set to
another; staff pages are in the language of the staff member's account; a page nobody is signed
in to follows the browser (Django's LocaleMiddleware).
"""

import functools

from django.conf import settings
from django.utils import translation

# The language the source strings are written in: it has no catalogue of its own.
SOURCE_LANGUAGE = "en"


@functools.lru_cache(maxsize=2048)
def _remembered(language, message):
    return translation.gettext(message)


def gettext(message):
    """Django's `gettext`, remembered per language, for code that writes the same few words row after
    row (the worklist's forty rows ask for some four hundred): the catalogues do not change while a
    process runs. For literal messages, which makemessages finds as it finds Django's."""
    return _remembered(translation.get_language(), message)


def language_choices():
    """(code, name) for every language in settings.LANGUAGES: the choices of a language field, read
    when a form is drawn, so a language added to the settings needs no migration."""
    return list(settings.LANGUAGES)


def codes():
    return [code for code, _name in settings.LANGUAGES]


def supported(code):
    """`code` when Followup speaks it, else the site's default language."""
    return code if code in codes() else settings.LANGUAGE_CODE


def name_of(code):
    return dict(settings.LANGUAGES).get(code, code)


# What systems call (the REST API, FHIR, OAuth, webhooks, metrics): their labels and messages are part
# of the contract with the integrator, so they stay in the source language whatever Accept-Language says.
MACHINE_PATHS = ("/api/", "/fhir/", "/oauth/", "/webhooks/", "/.well-known/", "/metrics", "/healthz")


def in_source_language(text):
    """`text` (a lazy translation, a choice's label) in English: what systems read (FHIR displays,
    code systems) is part of a contract and never follows the language of whoever caused it."""
    with translation.override(SOURCE_LANGUAGE):
        return str(text)


class StaffLanguageMiddleware:
    """Every page a signed-in staff member asks for is in the language of their account; what
    systems call is in English.

    After AuthenticationMiddleware (it needs request.user) and after LocaleMiddleware, whose choice
    from the browser it replaces; LocaleMiddleware still adds Content-Language to the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if request.path.startswith(MACHINE_PATHS):
            translation.activate(SOURCE_LANGUAGE)
            request.LANGUAGE_CODE = SOURCE_LANGUAGE
        elif user is not None and user.is_authenticated and getattr(user, "language", ""):
            language = supported(user.language)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
