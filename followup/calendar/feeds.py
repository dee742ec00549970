"""iCalendar feeds of upcoming occurrences at a secret, revocable address.

A calendar is not a safe place for names: phones sync it, share it, show it on lock screens. An event
names the kind of visit, the patient's initials and MRN, nothing else.
"""

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from .. import access
from ..models import CalendarFeed, Kind, Occurrence

# How long an event lasts in the calendar (and in the FHIR Appointment): the occurrence has a due
# time, not an end, and a calendar needs one to draw the block.
SLOT_LENGTH = {
    Kind.PARACENTESIS: timedelta(minutes=60),
    Kind.CHECKIN: timedelta(minutes=15),
    Kind.OTHER: timedelta(minutes=30),
}
KIND_WORD = {Kind.PARACENTESIS: "Drainage", Kind.CHECKIN: "Check-in call", Kind.OTHER: "Follow-up"}
# Occurrences due since this long ago stay in the feed, so today's missed visit does not vanish at once.
SHOWN_SINCE = timedelta(days=1)


def slot_length(kind):
    return SLOT_LENGTH.get(kind, SLOT_LENGTH[Kind.OTHER])


def create_feed(owner, clinic=None):
    """A new feed of the owner's own patients, or of every patient of `clinic` (a clinic they belong to)."""
    if clinic is not None and clinic.pk not in owner.clinic_ids():
        raise PermissionDenied("Only a member of the clinic can subscribe to its calendar.")
    return CalendarFeed.objects.create(token=secrets.token_urlsafe(32), owner=owner, clinic=clinic)


def revoke_feed(feed, at=None):
    """Stop a feed for good; its address answers 404 from now on. False when it was already revoked."""
    revoked = CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(revoked_at=at or timezone.now())
    feed.refresh_from_db(fields=["revoked_at"])
    return bool(revoked)


def feed_url(feed):
    return f"{settings.SITE_URL}{reverse('calendar-feed', args=[feed.token])}"


def live_feed(token):
    """The feed behind a token, or None when it is unknown, revoked, or its owner left the clinic."""
    feed = CalendarFeed.objects.filter(token=token, revoked_at__isnull=True).select_related("owner", "clinic").first()
    if feed is None or not feed.owner.is_active:
        return None
    if feed.clinic_id is not None and feed.clinic_id not in feed.owner.clinic_ids():
        return None
    return feed


def feed_occurrences(feed, now=None):
    """Open occurrences the feed shows, soonest first: the owner's assigned patients, or the clinic's."""
    now = now or timezone.now()
    patients = access.patients_for(feed.owner)
    patients = patients.filter(clinic=feed.clinic_id) if feed.clinic_id else patients.filter(nurse=feed.owner)
    return (
        Occurrence.objects.filter(patient__in=patients, state=Occurrence.State.SCHEDULED, due_at__gte=now - SHOWN_SINCE)
        .select_related("patient")
        .order_by("due_at")
    )


def summary(occurrence):
    patient = occurrence.patient
    initials = f"{patient.given_name[:1]}.{patient.family_name[:1]}.".upper()
    return f"{KIND_WORD.get(occurrence.kind, 'Follow-up')} — {initials} {patient.mrn}"


def calendar_name(feed):
    if feed.clinic_id:
        return f"Followup — {feed.clinic.name}"
    return f"Followup — {feed.owner.get_full_name() or feed.owner.username}'s patients"


def render_feed(feed, now=None):
    """The feed as RFC 5545 bytes: each event in its patient's own time zone, with that zone's VTIMEZONE."""
    now = now or timezone.now()
    host = urlsplit(settings.SITE_URL).hostname or "followup"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Followup//Palliative care follow-up//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", calendar_name(feed))
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    latest = now
    for occurrence in feed_occurrences(feed, now):
        latest = max(latest, occurrence.due_at)
        start = occurrence.due_at.astimezone(occurrence.patient.zone)
        event = icalendar.Event()
        event.add("uid", f"occurrence-{occurrence.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("dtend", start + slot_length(occurrence.kind))
        event.add("summary", summary(occurrence))
        calendar.add_component(event)
    # Zone rules only for the span the events cover, not the default 1970-2038 (a much larger file).
    calendar.add_missing_timezones(first_date=(now - timedelta(days=366)).date(), last_date=(latest + timedelta(days=366)).date())
    return calendar.to_ical()
