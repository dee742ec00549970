"""How the API answers bad input: 400 with field messages, 404 for anything outside the caller's clinics.

The services raise Django's `ValidationError` (sometimes with a dict of field messages); DRF only
knows its own, so this handler turns them into the same 400 shape a serializer error has.
"""

import re

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

# Database ids are positive 64-bit integers; anything else in a URL or a foreign key is simply "not found"
# rather than a database error.
_ID = re.compile(r"[0-9]{1,18}")


def parse_id(value):
    """The integer id in `value` (a URL segment or a JSON number), or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and _ID.fullmatch(value):
        number = int(value)
        return number if number > 0 else None
    return None


def field_messages(error: DjangoValidationError):
    """{field: [message, ...]} from a Django ValidationError, with DRF's name for non-field errors."""
    if hasattr(error, "error_dict"):
        messages = error.message_dict
    else:
        messages = {NON_FIELD_ERRORS: error.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else name): list(texts)
        for name, texts in messages.items()
    }


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(field_messages(exc), status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)


class NotInYourClinics(NotFound):
    """An id given in a write that names nothing the caller may see: 404, exactly as by URL."""

    def __init__(self, field_name, label):
        super().__init__({field_name: [f"No {label} with this id in your clinics."]})
