"""Calendars that learn of changes: SEQUENCE and LAST-MODIFIED on every event, skipped and cancelled
occurrences kept for 30 days as STATUS:CANCELLED, ETag and Last-Modified with conditional GET and HEAD.

The story: Nina subscribes to her own patients' feed. Her calendar app reads it on Thursday; on Friday
Alice's drainage is moved and Bob's check-in is skipped; the app reads it again and, matching events by
UID and trusting the higher SEQUENCE (RFC 5545 3.8.7.4), moves the one and cancels the other.
"""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine

from followup import services
from followup.calendar import feeds
from followup.models import Occurrence

ENROLLED = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
THURSDAY = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def enrolled(alice, bob):
    with time_machine.travel(ENROLLED, tick=False):
        services.enrol(alice)
        services.enrol(bob)
    return alice, bob


@pytest.fixture
def feed(nina, enrolled):
    with time_machine.travel(ENROLLED, tick=False):
        return feeds.create_feed(nina)


def read(client, feed, at, **headers):
    with time_machine.travel(at, tick=False):
        return client.get(f"/calendar/{feed.token}.ics", headers=headers)


def by_uid(body):
    return {str(event["uid"]): event for event in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def uid(occurrence):
    return f"occurrence-{occurrence.pk}@{feeds.urlsplit(feeds.settings.SITE_URL).hostname or 'followup'}"


def sync(client_copy, feed_body):
    """What a subscribing calendar does: take each event whose SEQUENCE is new or higher; an event
    marked cancelled is removed from view."""
    for key, event in by_uid(feed_body).items():
        held = client_copy.get(key)
        if held is None or int(event["sequence"]) > int(held["sequence"]):
            client_copy[key] = event
    return {key: event for key, event in client_copy.items() if event["status"] != "CANCELLED"}


def open_one(patient, kind):
    return Occurrence.objects.get(patient=patient, kind=kind, state="scheduled")


def test_a_calendar_reading_two_versions_moves_the_rescheduled_event_and_cancels_the_skipped_one(client, nina, enrolled, feed):
    alice, bob = enrolled
    drainage, checkin = open_one(alice, "paracentesis"), open_one(bob, "checkin")
    thursday = read(client, feed, THURSDAY).content
    copy = dict(by_uid(thursday))
    assert int(copy[uid(drainage)]["sequence"]) == 0 and copy[uid(checkin)]["status"] == "CONFIRMED"
    was = copy[uid(drainage)].decoded("dtstart")

    with time_machine.travel(FRIDAY, tick=False):
        services.reschedule(drainage, drainage.due_at + timedelta(days=2), by=nina)
        services.skip(checkin, by=nina)
    friday = read(client, feed, FRIDAY).content

    shown = sync(copy, friday)
    moved = shown[uid(drainage)]
    assert moved.decoded("dtstart") - was == timedelta(days=2)
    assert moved.decoded("dtstart").date().isoformat() == "2026-03-25"
    assert int(moved["sequence"]) == 1
    assert moved.decoded("last-modified") == FRIDAY
    assert uid(checkin) not in shown
    cancelled = by_uid(friday)[uid(checkin)]
    assert (cancelled["status"], int(cancelled["sequence"]), cancelled.decoded("last-modified")) == ("CANCELLED", 1, FRIDAY)
    # The check-in that replaces it is a new event of its own.
    assert open_one(bob, "checkin").pk != checkin.pk and uid(open_one(bob, "checkin")) in shown


def test_every_event_has_sequence_last_modified_and_a_dtstamp_of_its_last_change(client, enrolled, feed):
    events = by_uid(read(client, feed, THURSDAY).content)
    assert len(events) == 4
    for event in events.values():
        assert int(event["sequence"]) == 0
        assert event.decoded("last-modified") == ENROLLED == event.decoded("dtstamp")


def test_an_unchanged_feed_is_the_same_bytes_at_every_read(client, enrolled, feed):
    assert read(client, feed, THURSDAY).content == read(client, feed, THURSDAY + timedelta(hours=3)).content


def test_a_cancellation_by_discharge_reaches_the_calendar(client, nina, enrolled, feed):
    alice, _ = enrolled
    drainage = open_one(alice, "paracentesis")
    before = by_uid(read(client, feed, THURSDAY).content)[uid(drainage)]
    with time_machine.travel(FRIDAY, tick=False):
        services.change_status(alice, "discharged", by=nina)
    after = by_uid(read(client, feed, FRIDAY).content)[uid(drainage)]
    assert after["status"] == "CANCELLED"
    assert int(after["sequence"]) > int(before["sequence"])
    assert after.decoded("last-modified") == FRIDAY


def test_a_cancelled_event_leaves_the_feed_thirty_days_after_it_was_cancelled(client, nina, enrolled, feed):
    _, bob = enrolled
    checkin = open_one(bob, "checkin")
    with time_machine.travel(FRIDAY, tick=False):
        services.skip(checkin, by=nina)
    assert uid(checkin) in by_uid(read(client, feed, FRIDAY + timedelta(days=29)).content)
    assert uid(checkin) not in by_uid(read(client, feed, FRIDAY + timedelta(days=30, minutes=1)).content)


def test_an_unchanged_feed_answers_304_to_its_etag_and_a_changed_one_a_new_body(client, nina, enrolled, feed):
    alice, _ = enrolled
    first = read(client, feed, THURSDAY)
    assert first["ETag"].startswith('"') and first["Last-Modified"] == "Mon, 02 Mar 2026 14:00:00 GMT"
    again = read(client, feed, THURSDAY + timedelta(hours=1), **{"If-None-Match": first["ETag"]})
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    with time_machine.travel(FRIDAY, tick=False):
        drainage = open_one(alice, "paracentesis")
        services.reschedule(drainage, drainage.due_at + timedelta(days=1), by=nina)
    changed = read(client, feed, FRIDAY, **{"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert changed["Last-Modified"] == "Fri, 06 Mar 2026 12:00:00 GMT"


def test_if_modified_since_answers_304_until_an_event_changes(client, nina, enrolled, feed):
    alice, _ = enrolled
    since = {"If-Modified-Since": "Mon, 02 Mar 2026 14:00:00 GMT"}
    assert read(client, feed, THURSDAY, **since).status_code == 304
    with time_machine.travel(FRIDAY, tick=False):
        services.skip(open_one(alice, "checkin"), by=nina)
    assert read(client, feed, FRIDAY, **since).status_code == 200


def test_head_answers_the_headers_without_the_body(client, enrolled, feed):
    with time_machine.travel(THURSDAY, tick=False):
        got = client.get(f"/calendar/{feed.token}.ics")
        head = client.head(f"/calendar/{feed.token}.ics")
    assert head.status_code == 200 and head.content == b""
    assert (head["ETag"], head["Last-Modified"], head["Content-Type"]) == (got["ETag"], got["Last-Modified"], got["Content-Type"])
    assert client.post(f"/calendar/{feed.token}.ics").status_code == 405


def test_a_revoked_feed_answers_404_to_head_too(client, enrolled, feed):
    feeds.revoke_feed(feed)
    assert client.head(f"/calendar/{feed.token}.ics").status_code == 404
