"""Checks on text fields that more than one model needs."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def on_one_line(value):
    """A name or an identifier is one line: a CR or LF in it would start a new line in a text
    message, a CSV row, an HL7 segment or a log line, where whoever typed it could forge one."""
    if "\r" in value or "\n" in value:
        raise ValidationError(_("Enter this on one line, without line breaks."), code="line_break")
