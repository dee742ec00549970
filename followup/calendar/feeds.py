"""iCalendar feeds of upcoming occurrences at a secret, revocable address.

A calendar is not a safe place for names: phones sync it, share it, show it on lock screens. An event
names the kind of visit, the patient's initials and MRN, nothing else.

Calendars that subscribe re-read the whole feed and match events by UID. So that they move or cancel
an event rather than keep a stale copy, every event carries SEQUENCE (how many times the occurrence
has changed, from its history) and LAST-MODIFIED, and a skipped or cancelled occurrence stays in the
feed for CANCELLED_KEPT with STATUS:CANCELLED instead of vanishing.
"""

import hashlib

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import access
from ..models import CalendarFeed, Kind, Occurrence
from ..revisions import with_revisions

# How long an event lasts in the calendar (and in the FHIR Appointment): the occurrence has a due
# time, not an end, and a calendar needs one to draw the block.
SLOT_LENGTH = {
    Kind.PARACENTESIS: timedelta(minutes=60),
    Kind.CHECKIN: timedelta(minutes=15),
    Kind.OTHER: timedelta(minutes=30),
}
KIND_WORD = {Kind.PARACENTESIS: _("Drainage"), Kind.CHECKIN: _("Check-in call"), Kind.OTHER: _("Follow-up")}
# Occurrences due since this long ago stay in the feed, so today's missed visit does not vanish at once.
SHOWN_SINCE = timedelta(days=1)
# A skipped or cancelled occurrence stays this long after it was closed, marked cancelled, so a calendar
# that syncs weekly still learns of it.
CANCELLED_KEPT = timedelta(days=30)
CLOSED_AS_CANCELLED = (Occurrence.State.SKIPPED, Occurrence.State.CANCELLED)


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
    """Occurrences the feed shows, soonest first, each annotated with its revision: the open ones of
    the owner's assigned patients (or the clinic's), and those skipped or cancelled in the last
    CANCELLED_KEPT."""
    now = now or timezone.now()
    patients = access.patients_for(feed.owner)
    patients = patients.filter(clinic=feed.clinic_id) if feed.clinic_id else patients.filter(nurse=feed.owner)
    shown = Q(state=Occurrence.State.SCHEDULED, due_at__gte=now - SHOWN_SINCE) | Q(
        state__in=CLOSED_AS_CANCELLED, closed_at__gte=now - CANCELLED_KEPT)
    return with_revisions(
        Occurrence.objects.filter(shown, patient__in=patients).select_related("patient").order_by("due_at", "pk")
    )


def event_revision(occurrence):
    """(SEQUENCE, LAST-MODIFIED) of an occurrence's event. A close written without a history row
    still counts as a change, so a client never misses a cancellation."""
    sequence = occurrence.revision - 1
    modified = occurrence.revised_at or occurrence.closed_at or occurrence.due_at
    if occurrence.closed_at and occurrence.revised_at and occurrence.closed_at > occurrence.revised_at:
        sequence, modified = sequence + 1, occurrence.closed_at
    return sequence, modified


def summary(occurrence):
    patient = occurrence.patient
    initials = f"{patient.given_name[:1]}.{patient.family_name[:1]}.".upper()
    return f"{KIND_WORD.get(occurrence.kind, KIND_WORD[Kind.OTHER])} — {initials} {patient.mrn}"


def calendar_name(feed):
    if feed.clinic_id:
        return f"Followup — {feed.clinic.name}"
    return _("Followup — %(name)s's patients") % {"name": feed.owner.get_full_name() or feed.owner.username}


def render_feed(feed, now=None):
    """(body, last_modified): the feed as RFC 5545 bytes, each event in its patient's own time zone
    with that zone's VTIMEZONE, and the latest change among its events.

    DTSTAMP is the event's last change (RFC 5545 3.8.7.2, a calendar without METHOD), not the time of
    the request, so an unchanged feed is the same bytes and its ETag holds."""
    now = now or timezone.now()
    host = urlsplit(settings.SITE_URL).hostname or "followup"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Followup//Palliative care follow-up//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", calendar_name(feed))
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    latest_due, last_modified = now, feed.created_at
    for occurrence in feed_occurrences(feed, now):
        latest_due = max(latest_due, occurrence.due_at)
        sequence, modified = event_revision(occurrence)
        last_modified = max(last_modified, modified)
        start = occurrence.due_at.astimezone(occurrence.patient.zone)
        event = icalendar.Event()
        event.add("uid", f"occurrence-{occurrence.pk}@{host}")
        event.add("dtstamp", modified)
        event.add("last-modified", modified)
        event.add("sequence", sequence)
        event.add("dtstart", start)
        event.add("dtend", start + slot_length(occurrence.kind))
        event.add("summary", summary(occurrence))
        event.add("status", "CANCELLED" if occurrence.state in CLOSED_AS_CANCELLED else "CONFIRMED")
        calendar.add_component(event)
    # Zone rules only for the span the events cover, not the default 1970-2038 (a much larger file).
    calendar.add_missing_timezones(first_date=(now - timedelta(days=366)).date(), last_date=(latest_due + timedelta(days=366)).date())
    return calendar.to_ical(), last_modified


def etag(body):
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
