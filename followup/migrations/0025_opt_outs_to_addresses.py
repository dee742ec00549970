"""Move each patient's and caregiver's opt-out onto the address it belongs to, keeping its time and source.

- A STOP or a key 9 (a source naming SMS, a key or STOP) belongs to the phone number: one PhoneNumber row
  per number, opted out at the earliest of its contacts' opt-outs, with that one's source.
- An e-mail unsubscribe (a source naming e-mail, a link or one-click) belongs to the e-mail address.
- Any other source (the nurse unticked consent, a typed "phone call") was the person withdrawing consent:
  the address their reminders went to is opted out, and their own consent ends as well.
- With no such address left, only their consent ends.

Nobody who was stopped before is messaged after: a shared number now stops everyone who gives it.
"""

import secrets

from django.db import migrations

PHONE_WORDS = ("sms", "stop", "key", "text")
EMAIL_WORDS = ("mail", "link", "one-click")


def _kind(source):
    words = (source or "").lower()
    if any(word in words for word in EMAIL_WORDS):
        return "email"
    if any(word in words for word in PHONE_WORDS):
        return "phone"
    return "person"


def _stop_number(PhoneNumber, number, at, source):
    row = PhoneNumber.objects.filter(number=number).first()
    if row is None:
        PhoneNumber.objects.create(number=number, opted_out_at=at, opted_out_source=source[:40], created_at=at)
    elif row.opted_out_at is None or at < row.opted_out_at:
        row.opted_out_at, row.opted_out_source = at, source[:40]
        row.save(update_fields=["opted_out_at", "opted_out_source"])


def _stop_email(EmailAddress, address, at, source):
    address = address.strip().lower()
    row = EmailAddress.objects.filter(address=address).first()
    if row is None:
        EmailAddress.objects.create(address=address, token=secrets.token_urlsafe(24), unsubscribed_at=at,
                                    unsubscribed_source=source[:40])
    elif row.unsubscribed_at is None or at < row.unsubscribed_at:
        row.unsubscribed_at, row.unsubscribed_source = at, source[:40]
        row.save(update_fields=["unsubscribed_at", "unsubscribed_source"])


def move(apps, schema_editor):
    PhoneNumber = apps.get_model("followup", "PhoneNumber")
    EmailAddress = apps.get_model("followup", "EmailAddress")
    for model_name in ("Patient", "Caregiver"):
        model = apps.get_model("followup", model_name)
        for contact in model.objects.filter(opted_out_at__isnull=False).order_by("opted_out_at", "pk").iterator():
            at, source, kind = contact.opted_out_at, contact.opted_out_source or "", _kind(contact.opted_out_source)
            mobile, email = str(contact.mobile or ""), contact.email or ""
            by_email = contact.preferred_channel == "email"
            if kind == "phone" and mobile:
                _stop_number(PhoneNumber, mobile, at, source)
            elif kind == "email" and email:
                _stop_email(EmailAddress, email, at, source)
            else:
                if by_email and email:
                    _stop_email(EmailAddress, email, at, source)
                elif mobile:
                    _stop_number(PhoneNumber, mobile, at, source)
                elif email:
                    _stop_email(EmailAddress, email, at, source)
                if kind == "person" or not (mobile or email):
                    model.objects.filter(pk=contact.pk).update(consent_at=None, consent_source="", consent_given_by="")


def back(apps, schema_editor):
    """Each number's opt-out back onto every contact who gives it (an e-mail unsubscribe stays on its address)."""
    PhoneNumber = apps.get_model("followup", "PhoneNumber")
    for row in PhoneNumber.objects.filter(opted_out_at__isnull=False):
        for model_name in ("Patient", "Caregiver"):
            apps.get_model("followup", model_name).objects.filter(mobile=row.number).update(
                opted_out_at=row.opted_out_at, opted_out_source=row.opted_out_source)


class Migration(migrations.Migration):

    dependencies = [
        ("followup", "0024_phone_numbers"),
    ]

    operations = [
        migrations.RunPython(move, back),
    ]
