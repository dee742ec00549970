"""Whether a phone number is a mobile or a landline (a landline can be called, never texted).

phonenumbers reads only the numbering plan, and in the US and Canada mobiles and landlines share area
codes, so it cannot tell them apart. The nurse says which it is on the contact form; where Twilio Lookup
is configured (TWILIO_LOOKUP_LINE_TYPE with the Twilio credentials), its Line Type Intelligence answer
fills in a number nobody has set yet, through the SDK, from a task after the form is saved. A nurse's
answer is never overwritten by Lookup.
"""

import logging

from django.conf import settings
from django.db import transaction
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from ..models import Caregiver, LineType, Patient

logger = logging.getLogger(__name__)

LOOKUP_SOURCE = "Twilio Lookup"
# Lookup's line types we can act on; the others (VoIP, toll-free, pager...) stay unknown for the nurse.
LOOKUP_TYPES = {"mobile": LineType.MOBILE, "landline": LineType.LANDLINE}
MODELS = {"patient": Patient, "caregiver": Caregiver}


def lookup_configured():
    return bool(settings.TWILIO_LOOKUP_LINE_TYPE and settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN)


def look_up_after_commit(contact):
    """Ask Lookup about this contact's number once the form's transaction commits (ids in the task)."""
    if not lookup_configured() or not contact.mobile or contact.line_type:
        return
    from ..tasks import look_up_line_type

    kind = "caregiver" if isinstance(contact, Caregiver) else "patient"
    transaction.on_commit(lambda: look_up_line_type.delay(kind, contact.pk))


def fill_in_line_type(kind, pk, http_client=None):
    """The task's body: ask Twilio Lookup and store its answer if nobody has set the line type meanwhile."""
    contact = MODELS[kind].objects.filter(pk=pk).first()
    if contact is None or not contact.mobile or contact.line_type:
        return ""
    number = contact.mobile.as_e164
    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)
    try:
        answer = client.lookups.v2.phone_numbers(number).fetch(fields="line_type_intelligence")
    except TwilioException as error:
        logger.warning("line type lookup failed for %s %s: %s", kind, pk, type(error).__name__)
        return ""
    found = LOOKUP_TYPES.get(((answer.line_type_intelligence or {}).get("type") or ""), "")
    if found:
        # Only if the number is still the one we asked about and nobody set its type meanwhile.
        MODELS[kind].objects.filter(pk=pk, mobile=number, line_type="").update(line_type=found, line_type_source=LOOKUP_SOURCE)
    logger.info("line type lookup for %s %s: %s", kind, pk, found or "not known")
    return found
