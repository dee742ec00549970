"""Change notifications: signed webhooks for status changes, alerts, drainages and appointment changes,
delivered at least once through their own outbox, with retry and backoff and a delivery log for leads.

The cast: Riverside's EHR ("St. Mary's & Riverside EHR") subscribes to Riverside's changes; Hillcrest's
system to Hillcrest's. The receiver is the documented example (scripts/webhook_receiver.py) on a real
socket, checking each signature with the Standard Webhooks library.
"""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import TestCase
from standardwebhooks.webhooks import Webhook

from config.celery import app as celery_app
from followup import services
from followup.subscriptions import delivery
from followup.subscriptions.models import Attempt, Delivery, Event, Subscriber
from scripts.webhook_receiver import Receiver, check
from tests.conftest import PASSWORD, at, make_patient

NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def receiver():
    """The documented receiver on a free port; `.got` holds the events it accepted."""
    got = []
    server = Receiver(("127.0.0.1", 0), "placeholder", lambda event_id, event: got.append((event_id, event)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.got = got
    server.url = f"http://127.0.0.1:{server.server_address[1]}/followup"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def ehr(riverside, receiver):
    subscriber = Subscriber.objects.create(clinic=riverside, name="St. Mary's & Riverside EHR", url=receiver.url)
    receiver.secret = subscriber.secret
    return subscriber


@pytest.fixture
def hillcrest_system(hillcrest):
    return Subscriber.objects.create(clinic=hillcrest, name="Hillcrest Hospice records", url="https://records.example.org/hook")


@pytest.fixture
def enrolled(riverside, hillcrest, nina, noah):
    """Alice (Riverside) and Carmen (Hillcrest), registered and enrolled on 2 March."""
    with time_machine.travel(NOW - timedelta(days=18), tick=False):
        alice = make_patient(riverside, "RV-1001", "Alice", "Archer", mobile="+12025550101", nurse=nina)
        carmen = make_patient(hillcrest, "HC-2001", "Carmen", "Cruz", mobile="+12025550151", nurse=noah)
        services.enrol(alice)
        services.enrol(carmen)
    return alice


def tick(at_time):
    """One webhook tick at `at_time`, its send tasks run at once (as the worker would); the ids claimed."""
    sent = []
    with time_machine.travel(at_time, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        claimed = delivery.dispatch(at_time, enqueue=sent.append)
    for ids in sent:
        with time_machine.travel(at_time, tick=False):
            delivery.send_webhooks(ids, now=at_time)
    return claimed


def discharge(patient, by, when=NOW):
    with time_machine.travel(when, tick=False):
        services.change_status(patient, "discharged", by=by, note="Moved to her daughter's")


# --- Events ---------------------------------------------------------------------------------------


def test_a_discharge_is_one_event_for_the_clinics_subscriber_and_none_for_another(nina, enrolled, ehr, hillcrest_system):
    discharge(enrolled, nina)
    status = Event.objects.get(type="patient.status_changed")
    assert status.data == {"patient": f"Patient/{enrolled.pk}", "from": "active", "to": "discharged", "at": "2026-03-20T15:00:00Z"}
    assert [d.subscriber for d in status.deliveries.all()] == [ehr]
    assert not Delivery.objects.filter(subscriber=hillcrest_system).exists()


def test_a_change_is_one_event_however_many_ticks_run(nina, enrolled, ehr, receiver):
    discharge(enrolled, nina)
    recorded = Event.objects.count()
    assert recorded >= 1
    tick(NOW + timedelta(minutes=1))
    tick(NOW + timedelta(minutes=2))
    assert Event.objects.count() == Delivery.objects.count() == recorded
    assert len(receiver.got) == recorded


def test_each_kind_of_change_is_an_event(nina, enrolled, ehr):
    drainage = enrolled.occurrences.get(kind="paracentesis", state="scheduled")
    with time_machine.travel(NOW, tick=False):
        services.reschedule(drainage, drainage.due_at + timedelta(days=1), by=nina)
        procedure = services.record_procedure(enrolled, performed_at=at("2026-03-20 14:00"), volume_ml=4200, performed_by=nina)
        services.record_symptom_report(enrolled, scores={"pain": 9}, completed_by="patient", source="web")
    by_type = {}
    for event in Event.objects.order_by("pk"):
        by_type.setdefault(event.type, []).append(event.data)
    assert by_type["drainage.recorded"] == [{"procedure": f"Procedure/{procedure.pk}", "patient": f"Patient/{enrolled.pk}",
                                             "kind": "paracentesis", "performed_at": "2026-03-20T14:00:00Z",
                                             "volume": f"Observation/procedure-{procedure.pk}-volume"}]
    assert by_type["alert.raised"][0]["patient"] == f"Patient/{enrolled.pk}"
    moved = next(data for data in by_type["appointment.changed"] if data["appointment"] == f"Appointment/{drainage.pk}"
                 and "previous_start" in data)
    assert (moved["previous_start"], moved["start"], moved["status"]) == ("2026-03-23T13:00:00Z", "2026-03-24T13:00:00Z", "booked")
    assert moved["version"] == f"Appointment/{drainage.pk}/_history/2"
    fulfilled = [data for data in by_type["appointment.changed"] if data["status"] == "fulfilled"]
    assert [data["appointment"] for data in fulfilled] == [f"Appointment/{drainage.pk}"]


def test_an_event_names_no_one(nina, enrolled, ehr, receiver):
    discharge(enrolled, nina)
    tick(NOW + timedelta(minutes=1))
    text = json.dumps([event for _, event in receiver.got])
    for private in ("Alice", "Archer", "+1202555", "daughter", "RV-1001"):
        assert private not in text


# --- Signed delivery ----------------------------------------------------------------------------


def test_the_documented_receiver_accepts_each_event_once_with_a_valid_signature(nina, enrolled, ehr, receiver):
    discharge(enrolled, nina)
    claimed = tick(NOW + timedelta(minutes=1))
    assert len(claimed) == Event.objects.count() >= 1
    assert Delivery.objects.filter(state="delivered").count() == len(claimed)
    ids = {event_id for event_id, _ in receiver.got}
    assert ids == {str(event_id) for event_id in Event.objects.values_list("event_id", flat=True)}
    status = next(event for _, event in receiver.got if event["type"] == "patient.status_changed")
    assert status["clinic"] == f"Organization/{ehr.clinic_id}" and status["data"]["to"] == "discharged"
    attempt = Attempt.objects.filter(delivery__event__type="patient.status_changed").get()
    assert attempt.status_code == 204


def test_a_tampered_body_a_wrong_secret_and_a_replay_are_refused(nina, enrolled, ehr):
    discharge(enrolled, nina)
    event = Event.objects.get(type="patient.status_changed")
    body = delivery.body_of(event)
    now = datetime.now(tz=UTC)
    headers = delivery.signed_headers(ehr, event.event_id, body, now)
    assert check(ehr.secret, body, headers)["data"]["to"] == "discharged"
    assert Webhook(ehr.secret).verify(body, headers)  # the library itself, as any receiver would call it
    with pytest.raises(ValueError, match="refused"):
        check(ehr.secret, body.replace("discharged", "active"), headers)
    with pytest.raises(ValueError, match="refused"):
        check(Subscriber(clinic=ehr.clinic).secret, body, headers)  # another subscriber's secret
    stale = delivery.signed_headers(ehr, event.event_id, body, now - timedelta(minutes=6))
    with pytest.raises(ValueError, match="too old"):
        check(ehr.secret, body, stale)


class _Answering(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.calls.append(self.headers["webhook-id"])
        time.sleep(self.server.delay)
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answering)
    server.calls, server.status, server.delay = [], 503, 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield server
    server.shutdown()
    server.server_close()


def test_a_failing_subscriber_is_retried_with_backoff_then_given_up(settings, nina, riverside, enrolled, failing_endpoint):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    Subscriber.objects.create(clinic=riverside, name="Flaky EHR", url=failing_endpoint.url, events=["patient.status_changed"])
    discharge(enrolled, nina)
    first = NOW + timedelta(minutes=1)
    tick(first)
    row = Delivery.objects.get()
    assert (row.state, row.attempts, row.last_status, row.next_attempt_at) == ("pending", 1, 503, first + timedelta(minutes=1))
    tick(first + timedelta(seconds=30))  # not due yet
    assert Delivery.objects.get().attempts == 1
    tick(first + timedelta(minutes=1))
    row = Delivery.objects.get()
    assert (row.attempts, row.next_attempt_at) == (2, first + timedelta(minutes=3))
    tick(first + timedelta(minutes=3))
    row = Delivery.objects.get()
    assert (row.state, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("Gave up after 3 attempts")
    assert len(set(failing_endpoint.calls)) == 1 and len(failing_endpoint.calls) == 3  # one event id, three tries
    assert list(row.attempt_log.values_list("status_code", flat=True)) == [503, 503, 503]


def test_a_hanging_subscriber_times_out_and_is_retried(settings, nina, riverside, enrolled, failing_endpoint):
    settings.WEBHOOK_READ_TIMEOUT = 1
    failing_endpoint.delay = 3
    Subscriber.objects.create(clinic=riverside, name="Slow EHR", url=failing_endpoint.url, events=["patient.status_changed"])
    discharge(enrolled, nina)
    tick(NOW + timedelta(minutes=1))
    row = Delivery.objects.get()
    assert (row.state, row.last_status, row.last_error) == ("pending", None, "No answer: ReadTimeout")


def test_a_delivery_a_dead_worker_left_sending_is_sent_again_with_the_same_event_id(nina, enrolled, ehr, receiver):
    discharge(enrolled, nina)
    row = Delivery.objects.get(event__type="patient.status_changed")
    Delivery.objects.filter(pk=row.pk).update(state="sending", sending_at=NOW + timedelta(minutes=1), attempts=1)
    tick(NOW + timedelta(minutes=7))
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("delivered", 2)
    assert [event_id for event_id, event in receiver.got if event["type"] == "patient.status_changed"] == [str(row.event.event_id)]


def test_the_receiver_drops_a_duplicate(nina, enrolled, ehr, receiver):
    discharge(enrolled, nina)
    tick(NOW + timedelta(minutes=1))
    row = Delivery.objects.get(event__type="patient.status_changed")
    Delivery.objects.filter(pk=row.pk).update(state="pending", next_attempt_at=NOW)  # as if the 2xx had been lost
    tick(NOW + timedelta(minutes=2))
    assert [event["type"] for _, event in receiver.got].count("patient.status_changed") == 1
    assert Delivery.objects.get(pk=row.pk).attempts == 2


def test_a_switched_off_subscriber_gets_nothing_more(nina, enrolled, ehr, receiver):
    discharge(enrolled, nina)
    Subscriber.objects.filter(pk=ehr.pk).update(active=False)
    tick(NOW + timedelta(minutes=1))
    assert receiver.got == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {"cancelled"}


def test_webhook_tasks_have_their_own_queue_so_reminders_never_wait_behind_them(settings):
    route = celery_app.amqp.router.route({}, "followup.subscriptions.tasks.send_webhooks")
    assert route["queue"].name == "webhooks"
    assert celery_app.amqp.router.route({}, "followup.tasks.send_reminders")["queue"].name == "celery"
    assert settings.CELERY_BEAT_SCHEDULE["deliver-webhooks"]["task"] == "followup.subscriptions.tasks.webhook_tick"


def test_an_endpoint_must_be_https_except_to_this_machine(riverside):
    for url in ("http://ehr.example.org/hook", "ftp://ehr.example.org/hook"):
        with pytest.raises(ValidationError):
            Subscriber(clinic=riverside, name="EHR", url=url).full_clean()
    Subscriber(clinic=riverside, name="EHR", url="https://ehr.example.org/hook").full_clean()
    Subscriber(clinic=riverside, name="EHR", url="http://127.0.0.1:9000/hook").full_clean()
    with pytest.raises(ValidationError, match="Unknown event type"):
        Subscriber(clinic=riverside, name="EHR", url="https://ehr.example.org/hook", events=["patient.renamed"]).full_clean()


def test_each_subscriber_has_its_own_secret_and_a_rotated_one_is_new(riverside):
    first = Subscriber.objects.create(clinic=riverside, name="EHR", url="https://ehr.example.org/hook")
    second = Subscriber.objects.create(clinic=riverside, name="Pharmacy", url="https://pharmacy.example.org/hook")
    assert first.secret.startswith("whsec_") and first.secret != second.secret
    old = first.secret
    first.rotate_secret()
    assert Subscriber.objects.get(pk=first.pk).secret != old


# --- The delivery log -----------------------------------------------------------------------------


def test_the_delivery_log_shows_a_lead_each_delivery_of_their_clinic(client, leo, nina, enrolled, ehr, hillcrest_system, receiver):
    discharge(enrolled, nina)
    tick(NOW + timedelta(minutes=1))
    client.login(username="leo", password=PASSWORD)
    page = client.get("/subscriptions/deliveries/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "St. Mary&#x27;s &amp; Riverside EHR" in text and "Delivered" in text and "HTTP 204" in text
    assert "Hillcrest Hospice records" not in text
    assert client.get("/subscriptions/deliveries/", {"state": "failed"}).content.decode().count("<tr>") == 2  # head + "nothing"


def test_the_delivery_log_is_for_leads_only(client, nina):
    client.login(username="nina", password=PASSWORD)
    assert client.get("/subscriptions/deliveries/").status_code == 403
    client.logout()
    assert client.get("/subscriptions/deliveries/").status_code == 302


def test_subscribers_are_managed_in_the_admin(admin_client, riverside):
    response = admin_client.post("/admin/subscriptions/subscriber/add/", {
        "clinic": riverside.pk, "name": "St. Mary's & Riverside EHR", "url": "https://ehr.example.org/hook",
        "events": ["patient.status_changed", "alert.raised"], "active": "on"})
    assert response.status_code == 302, response.content
    subscriber = Subscriber.objects.get()
    assert subscriber.events == ["patient.status_changed", "alert.raised"]
    assert subscriber.secret in admin_client.get(f"/admin/subscriptions/subscriber/{subscriber.pk}/change/").content.decode()
