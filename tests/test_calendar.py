"""iCalendar feeds: a nurse's and a clinic's upcoming occurrences at a secret, revocable address.
Parsed back with the icalendar library; times are checked in each patient's own zone."""

from datetime import UTC, datetime, time

import icalendar
import pytest
import time_machine
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from followup import services
from followup.calendar import feeds
from followup.models import AccessLog, CalendarFeed, Membership, Occurrence
from tests.conftest import PASSWORD, make_patient

ENROLLED = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def patients(alice, bob, carmen, leo, riverside):
    """Alice and Bob are Nina's, Dan (Riverside, living in Chicago) is Leo's, Carmen is Hillcrest's."""
    dan = make_patient(riverside, "RV-1003", "Dan", "Dunn", mobile="+12025550103", nurse=leo, time_zone="America/Chicago")
    with time_machine.travel(ENROLLED, tick=False):
        for patient in (alice, bob, carmen, dan):
            services.enrol(patient)
    return {"alice": alice, "bob": bob, "carmen": carmen, "dan": dan}


def events(body):
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def get_feed(client, feed):
    return client.get(f"/calendar/{feed.token}.ics")


# --- The feed -----------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False)
def test_nurse_feed_shows_her_patients_upcoming_visits_by_initials_and_mrn(client, nina, patients):
    feed = feeds.create_feed(nina)
    response = get_feed(client, feed)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response.content)
    assert set(found) == {"Drainage — A.A. RV-1001", "Check-in call — A.A. RV-1001",
                          "Drainage — B.B. RV-1002", "Check-in call — B.B. RV-1002"}
    body = response.content.decode()
    for name in ("Alice", "Archer", "Bob", "Baker", "+1202555", "example.org"):
        assert name not in body


@time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False)
def test_times_are_in_each_patients_own_zone(client, leo, patients):
    feed = feeds.create_feed(leo, patients["alice"].clinic)
    calendar = icalendar.Calendar.from_ical(get_feed(client, feed).content)
    found = {str(event["summary"]): event for event in calendar.walk("VEVENT")}
    alice_drainage = found["Drainage — A.A. RV-1001"]
    dan_drainage = found["Drainage — D.D. RV-1003"]
    assert alice_drainage["dtstart"].params["TZID"] == "America/New_York"
    assert dan_drainage["dtstart"].params["TZID"] == "America/Chicago"
    # 21 days after 2 March, at the clinic's 09:00 in each patient's zone (after the 8 March DST change).
    start = alice_drainage.decoded("dtstart")
    assert (start.date().isoformat(), start.time(), start.utcoffset().total_seconds() / 3600) == ("2026-03-23", time(9, 0), -4)
    assert dan_drainage.decoded("dtstart").astimezone(UTC) == datetime(2026, 3, 23, 14, 0, tzinfo=UTC)
    assert alice_drainage.decoded("dtend") - start == feeds.slot_length("paracentesis")
    zones = {str(component["tzid"]) for component in calendar.walk("VTIMEZONE")}
    assert zones == {"America/New_York", "America/Chicago"}


@time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False)
def test_clinic_feed_has_every_patient_of_the_clinic_and_no_other(client, nina, patients):
    feed = feeds.create_feed(nina, patients["alice"].clinic)
    mrns = {summary.split()[-1] for summary in events(get_feed(client, feed).content)}
    assert mrns == {"RV-1001", "RV-1002", "RV-1003"}


@time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False)
def test_done_occurrences_leave_the_feed_and_a_skipped_one_is_replaced_by_the_next(client, nina, patients):
    drainage = Occurrence.objects.get(patient=patients["bob"], kind="paracentesis", state="scheduled")
    services.record_procedure(patients["bob"], performed_at=timezone.now(), volume_ml=3000, performed_by=nina)
    checkin = Occurrence.objects.get(patient=patients["alice"], kind="checkin", state="scheduled")
    services.skip(checkin, by=nina)
    feed = feeds.create_feed(nina)
    calendar = icalendar.Calendar.from_ical(get_feed(client, feed).content)
    uids = {str(event["uid"]).split("@")[0] for event in calendar.walk("VEVENT")}
    assert f"occurrence-{drainage.pk}" not in uids
    confirmed = {str(event["summary"]): event for event in calendar.walk("VEVENT") if event["status"] == "CONFIRMED"}
    # The skipped check-in (9 March) is replaced by the next one, a week on.
    assert confirmed["Check-in call — A.A. RV-1001"].decoded("dtstart").date().isoformat() == "2026-03-16"


@time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False)
def test_each_read_is_in_the_access_log_as_the_owner_without_the_token(client, nina, patients):
    feed = feeds.create_feed(nina, patients["alice"].clinic)
    get_feed(client, feed)
    entry = AccessLog.objects.get(what="calendar feed")
    assert (entry.user, entry.clinic_id, entry.path) == (nina, feed.clinic_id, "/calendar/<token>.ics")
    assert feed.token not in str(list(AccessLog.objects.values()))


@time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False)
def test_uids_are_stable_per_occurrence(client, nina, patients):
    feed = feeds.create_feed(nina)
    first = {str(event["uid"]) for event in events(get_feed(client, feed).content).values()}
    second = {str(event["uid"]) for event in events(get_feed(client, feed).content).values()}
    assert first == second
    assert len(first) == 4


def test_revoked_and_unknown_tokens_are_404(client, nina, patients):
    feed = feeds.create_feed(nina)
    assert feeds.revoke_feed(feed) is True
    assert get_feed(client, feed).status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    assert feeds.revoke_feed(feed) is False


def test_clinic_feed_stops_when_its_owner_leaves_the_clinic(client, nina, patients):
    feed = feeds.create_feed(nina, patients["alice"].clinic)
    Membership.objects.filter(user=nina).delete()
    nina = type(nina).objects.get(pk=nina.pk)
    assert get_feed(client, feed).status_code == 404


def test_tokens_are_long_and_random(nina):
    first, second = feeds.create_feed(nina), feeds.create_feed(nina)
    assert len(first.token) == 43 and first.token != second.token


def test_another_clinics_feed_cannot_be_created(nina, hillcrest):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        feeds.create_feed(nina, hillcrest)


# --- The staff page -----------------------------------------------------------------------------


@pytest.fixture
def signed_in(client, nina):
    client.login(username="nina", password=PASSWORD)
    return client


def test_page_needs_sign_in(client):
    response = client.get("/calendar/")
    assert response.status_code == 302


def test_staff_create_list_and_revoke_their_feeds(signed_in, nina, riverside):
    assert signed_in.post("/calendar/feeds/new/", {"clinic": ""}).status_code == 302
    assert signed_in.post("/calendar/feeds/new/", {"clinic": riverside.pk}).status_code == 302
    mine, clinics = CalendarFeed.objects.filter(owner=nina, clinic=None).get(), CalendarFeed.objects.get(clinic=riverside)
    page = signed_in.get("/calendar/").content.decode()
    assert feeds.feed_url(mine) in page and feeds.feed_url(clinics) in page
    assert signed_in.post(f"/calendar/feeds/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert feeds.feed_url(mine) not in signed_in.get("/calendar/").content.decode()


def test_staff_cannot_subscribe_to_another_clinic_or_revoke_anothers_feed(signed_in, noah, hillcrest):
    assert signed_in.post("/calendar/feeds/new/", {"clinic": hillcrest.pk}).status_code == 404
    assert signed_in.post("/calendar/feeds/new/", {"clinic": "x"}).status_code == 404
    nohas = feeds.create_feed(noah)
    assert signed_in.post(f"/calendar/feeds/{nohas.pk}/revoke/").status_code == 404
    nohas.refresh_from_db()
    assert nohas.revoked_at is None
    assert not CalendarFeed.objects.filter(owner__username="nina").exists()


def test_feed_actions_are_post_only(signed_in):
    assert signed_in.get("/calendar/feeds/new/").status_code == 405


# --- The API ------------------------------------------------------------------------------------


@pytest.fixture
def as_nina(nina):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=nina).key}")
    return client


def test_api_creates_lists_and_revokes_feeds(as_nina, nina, riverside, client, settings):
    settings.SITE_URL = "https://followup.example.org"
    created = as_nina.post("/api/v1/calendar-feeds/", {"clinic": riverside.pk}, format="json")
    assert created.status_code == 201
    body = created.json()
    feed = CalendarFeed.objects.get(pk=body["id"])
    assert body["url"] == f"https://followup.example.org/calendar/{feed.token}.ics"
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 200
    assert [row["id"] for row in as_nina.get("/api/v1/calendar-feeds/").json()["results"]] == [feed.pk]
    revoked = as_nina.post(f"/api/v1/calendar-feeds/{feed.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 404


def test_api_refuses_another_clinics_feed_and_anothers_feeds(as_nina, noah, hillcrest):
    response = as_nina.post("/api/v1/calendar-feeds/", {"clinic": hillcrest.pk}, format="json")
    assert response.status_code == 404
    assert response.json() == {"clinic": ["No clinic with this id in your clinics."]}
    nohas = feeds.create_feed(noah)
    assert as_nina.get(f"/api/v1/calendar-feeds/{nohas.pk}/").status_code == 404
    assert as_nina.post(f"/api/v1/calendar-feeds/{nohas.pk}/revoke/").status_code == 404
    assert as_nina.get("/api/v1/calendar-feeds/").json()["count"] == 0


def test_nurse_feed_by_api_has_no_clinic(as_nina):
    body = as_nina.post("/api/v1/calendar-feeds/", {}, format="json").json()
    assert body["clinic"] is None
    assert CalendarFeed.objects.get(pk=body["id"]).created_at <= timezone.now()
