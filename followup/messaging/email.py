"""E-mail as a clinic sends it: from the clinic's name in messages, replying to the clinic's mailbox,
with a one-click unsubscribe (RFC 8058) in its headers and a link in its body.

The unsubscribe link holds only a random token of the address's row (EmailAddress): no address, no
name, nothing a mail log or a forwarded message gives away. An unsubscribe stops e-mail to that
address at once, and only e-mail: a phone number's consent is its own (see the contact page).
"""

import logging
import secrets
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from ..models import EmailAddress, Reminder

logger = logging.getLogger(__name__)

ONE_CLICK = "One-Click"  # the mailbox's button (RFC 8058)
LINK = "Link in the e-mail"


def address_row(address):
    address = address.strip().lower()
    row = EmailAddress.objects.filter(address=address).first()
    if row:
        return row
    try:
        with transaction.atomic():
            return EmailAddress.objects.create(address=address, token=secrets.token_urlsafe(24))
    except IntegrityError:  # written at the same moment by another worker
        return EmailAddress.objects.get(address=address)


def unsubscribe_url(row):
    return settings.SITE_URL + reverse("email-unsubscribe", args=[row.token])


def from_address(clinic):
    """"Hillcrest Care Team <no-reply@example.org>": the clinic's name, the site's sending address."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((clinic.messages_name, address))


def compose(reminder, message, to):
    """The e-mail for one reminder. `message`: its Rendered text and HTML, which carry the link."""
    clinic = reminder.patient.clinic
    url = unsubscribe_url(address_row(to))
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.text, from_email=from_address(clinic), to=[to],
        reply_to=[clinic.reply_to_email] if clinic.reply_to_email else None,
        headers={
            "X-Followup-Key": reminder.key,
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        connection=get_connection(),
    )
    email.attach_alternative(message.html, "text/html")
    return email


def unsubscribe(row, source, now=None):
    """Opt the address out of e-mail, at once; a second time changes nothing. Unsent e-mail
    reminders to it are cancelled. Returns True when this call opted it out."""
    from .planning import cancel_unsent_reminders

    now = now or timezone.now()
    with transaction.atomic():
        row = EmailAddress.objects.select_for_update().get(pk=row.pk)
        if row.unsubscribed_at is not None:
            return False
        row.unsubscribed_at, row.unsubscribed_source = now, source
        row.save(update_fields=["unsubscribed_at", "unsubscribed_source"])
        unsent = Reminder.objects.filter(channel="email").filter(
            patient__email__iexact=row.address, recipient="patient",
        ) | Reminder.objects.filter(channel="email", caregiver__email__iexact=row.address)
        cancel_unsent_reminders(unsent, gettext_noop("Address unsubscribed from e-mail"))
    logger.info("e-mail address %s unsubscribed (%s)", row.pk, source)
    return True


def resubscribe(row):
    """Staff recorded new consent for an unsubscribed address (with who agreed, on the contact):
    e-mail to it may resume. Returns True when this call lifted the unsubscribe."""
    lifted = EmailAddress.objects.filter(pk=row.pk, unsubscribed_at__isnull=False).update(unsubscribed_at=None,
                                                                                         unsubscribed_source="")
    if lifted:
        logger.info("e-mail address %s: unsubscribe lifted on new consent", row.pk)
    return bool(lifted)
