"""Replies that only may be an opt-out, decided by a nurse.

A keyword or a plain "stop texting me" opts out at once (`inbound.is_opt_out`). A longer reply that
reads like one ("I don't want these texts any more, my mum is in hospital", "ya no quiero mensajes
por favor") is not taken on our own reading: it waits on the worklist as a "possible opt-out" for a
nurse, who reads it as an opt-out (the number is opted out as if it had said STOP, with the nurse
as the source) or not. One that waits more than `OVERDUE_BUSINESS_DAYS` business days is shown
overdue: the FCC rule (domain.md "Consent to texts, in law") gives ten business days to honour a
revocation made by any reasonable means.
"""

import re
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import InboundMessage

OVERDUE_BUSINESS_DAYS = 10

# Folded to upper case without accents or apostrophes; matched as whole words anywhere in the text.
PHRASES = (
    "STOP", "UNSUBSCRIBE", "OPT OUT", "OPTOUT", "DONT TEXT", "DO NOT TEXT", "DONT SEND", "DO NOT SEND", "DONT CONTACT",
    "DO NOT CONTACT", "NO MORE", "ANY MORE TEXTS", "ANYMORE TEXTS", "LEAVE ME ALONE", "NOT INTERESTED", "TAKE ME OFF",
    "REMOVE ME", "REMOVE MY NUMBER", "WRONG NUMBER", "DONT WANT THESE", "DONT WANT YOUR", "DONT WANT ANY",
    "BAJA", "PARAR", "PAREN", "YA NO", "NO ME MANDEN", "NO ME ENVIEN", "NO QUIERO", "DEJEN DE", "NUMERO EQUIVOCADO",
    "NO MAS MENSAJES",
)
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(phrase) for phrase in PHRASES) + r")\b")


def may_be_opt_out(body):
    """True when a reply that is not itself an opt-out holds words that may mean one."""
    from .inbound import _fold  # noqa: PLC0415 - inbound imports this module

    folded = re.sub(r"[^A-Z ]+", " ", _fold(body[:400]).upper().replace("'", "").replace("’", ""))
    return bool(_PATTERN.search(re.sub(r" +", " ", folded)))


def business_days_between(first: date, last: date) -> int:
    """Monday-to-Friday days after `first` up to and including `last`."""
    days, day = 0, first
    while day < last:
        day += timedelta(days=1)
        days += day.weekday() < 5
    return days


def is_overdue(message, today: date) -> bool:
    return business_days_between(message.received_at.date(), today) > OVERDUE_BUSINESS_DAYS


def decide(message, *, opt_out, by):
    """A nurse's reading of a possible opt-out. Opting out applies to every contact with the number,
    as a STOP would. True if this call decided it (nobody had yet)."""
    from .inbound import _contacts
    from .inbound import opt_out as opt_out_contacts

    if not message.possible_opt_out:
        raise ValidationError("This message was not flagged as a possible opt-out.")
    now = timezone.now()
    decision = InboundMessage.OptOutDecision.OPT_OUT if opt_out else InboundMessage.OptOutDecision.NOT_OPT_OUT
    with transaction.atomic():
        decided = InboundMessage.objects.filter(pk=message.pk, handled_at__isnull=True).update(
            handled_at=now, handled_by=by, opt_out_decision=decision)
        if decided and opt_out:
            opt_out_contacts(_contacts(message.from_number), f"Reply read as an opt-out by {by.get_full_name() or by.username}", now)
    message.refresh_from_db()
    return bool(decided)
