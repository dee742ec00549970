"""Change notifications are written with the change itself (a transactional outbox), so none is lost
when the beat runs late and none is sent for a change that rolled back; every path that changes a
patient's status, raises an alert, records a drainage or changes an appointment tells the subscriber.

The cast: St. Mary's & Riverside EHR subscribes to Riverside's changes through the documented receiver
(scripts/webhook_receiver.py) on a real socket. Alice Archer is enrolled on 2 March; the story is on
Friday 20 March 2026, 11:00 in New York.
"""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import TestCase

from followup import calls, services
from followup.hospital import intake
from followup.messaging import delivery as reminders
from followup.models import Occurrence, Reminder
from followup.subscriptions import delivery
from followup.subscriptions.models import Delivery, Event, Subscriber
from scripts.webhook_receiver import Receiver
from tests.conftest import at, make_patient
from tests.hl7_messages import adt

NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _friday(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def receiver():
    got = []
    server = Receiver(("127.0.0.1", 0), "placeholder", lambda event_id, event: got.append(event))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.got = got
    server.url = f"http://127.0.0.1:{server.server_address[1]}/followup"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def alice(riverside, nina):
    with time_machine.travel(NOW - timedelta(days=18), tick=False):
        patient = make_patient(riverside, "RV-1001", "Alice", "Archer", mobile="+12025550101", nurse=nina)
        services.enrol(patient)
    return patient


@pytest.fixture
def ehr(riverside, alice, receiver):
    """Subscribed after Alice's enrolment: what follows is what it hears of."""
    subscriber = Subscriber.objects.create(clinic=riverside, name="St. Mary's & Riverside EHR", url=receiver.url)
    receiver.secret = subscriber.secret
    return subscriber


def tick(moment):
    sent = []
    with time_machine.travel(moment, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        claimed = delivery.dispatch(moment, enqueue=sent.append)
    for ids in sent:
        with time_machine.travel(moment, tick=False):  # the receiver's clock too: it refuses a stale signature
            delivery.send_webhooks(ids, now=moment)
    return claimed


def told(event_type):
    return [event.data for event in Event.objects.filter(type=event_type).order_by("pk")]


def statuses():
    return [(data["from"], data["to"]) for data in told("patient.status_changed")]


def appointment_statuses(patient):
    return sorted((data["appointment"], data["status"]) for data in told("appointment.changed")
                  if data["patient"] == f"Patient/{patient.pk}")


def open_ones(patient):
    return list(Occurrence.objects.filter(patient=patient, state="scheduled").order_by("pk"))


# --- The outbox --------------------------------------------------------------------------------------


def test_the_event_and_its_delivery_are_written_with_the_change_before_any_tick(nina, alice, ehr):
    services.change_status(alice, "discharged", by=nina)
    event = Event.objects.get(type="patient.status_changed")
    assert event.deliveries.get().state == "pending"
    assert event.deliveries.get().subscriber == ehr


def test_a_change_that_rolls_back_leaves_no_event(nina, alice, ehr):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.change_status(alice, "discharged", by=nina)
        raise RuntimeError("the request failed after the discharge")
    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_nothing_is_lost_when_the_beat_runs_three_hours_late(nina, alice, ehr, receiver):
    drainage, _ = open_ones(alice)
    services.reschedule(drainage, drainage.due_at + timedelta(days=1), by=nina)
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        services.change_status(alice, "discharged", by=nina)
    claimed = tick(NOW + timedelta(hours=3))
    assert len(claimed) == Event.objects.count() == 4  # the move, the discharge and its two cancellations
    assert [event["type"] for event in receiver.got] == ["appointment.changed", "patient.status_changed",
                                                         "appointment.changed", "appointment.changed"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}


def test_a_change_long_after_the_last_tick_is_still_sent_once(nina, alice, ehr, receiver):
    tick(NOW)
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        services.change_status(alice, "paused", by=nina)
    tick(NOW + timedelta(days=2, minutes=1))
    tick(NOW + timedelta(days=2, minutes=2))
    assert [(event["type"], event["data"].get("to")) for event in receiver.got] == [("patient.status_changed", "paused")]


def test_nobody_subscribed_keeps_nothing(nina, alice):
    services.change_status(alice, "discharged", by=nina)
    assert not Event.objects.exists()


def test_a_subscriber_hears_only_the_kinds_it_chose(riverside, nina, alice):
    pharmacy = Subscriber.objects.create(clinic=riverside, name="Riverside Pharmacy", url="https://pharmacy.example.org/hook",
                                         events=["alert.raised"])
    services.record_symptom_report(alice, scores={"pain": 9}, completed_by="patient", source="web")
    services.change_status(alice, "paused", by=nina)
    assert [delivery.event.type for delivery in pharmacy.deliveries.all()] == ["alert.raised"]


def test_a_switched_off_subscriber_gets_no_new_deliveries(nina, alice, ehr):
    Subscriber.objects.filter(pk=ehr.pk).update(active=False)
    services.change_status(alice, "paused", by=nina)
    assert not Delivery.objects.exists()


def test_a_failing_subscriber_does_not_hold_up_a_reminder(riverside, nina, alice, sms_outbox):
    Subscriber.objects.create(clinic=riverside, name="Broken EHR", url="http://127.0.0.1:9/unreachable")
    services.record_symptom_report(alice, scores={"pain": 9}, completed_by="patient", source="web")  # an event waiting
    reminder = Reminder.objects.filter(patient=alice, state="planned", send_at__gt=NOW).order_by("send_at").first()
    moment = reminder.send_at + timedelta(minutes=1)
    tick(moment)  # the webhook is tried and fails
    assert Delivery.objects.filter(state="pending", attempts=1).exists()
    sent = []
    with time_machine.travel(moment, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        reminders.dispatch_due_reminders(now=moment, enqueue=sent.extend)
    with time_machine.travel(moment, tick=False):
        reminders.send_reminders(sent, now=moment)
    assert reminder.pk in sent
    assert Reminder.objects.get(pk=reminder.pk).state == "sent"


# --- Patient status, from every path ------------------------------------------------------------------


def test_a_pause_for_a_hospital_admission_and_the_resume_are_each_an_event(nina, alice, ehr):
    services.pause(alice, reason="hospital_admission", by=nina)
    services.resume(alice, by=nina)
    assert statuses() == [("active", "paused"), ("paused", "active")]
    assert told("patient.status_changed")[0]["at"] == "2026-03-20T15:00:00Z"


def test_a_death_is_one_status_event_and_cancels_each_appointment_with_an_event(nina, alice, ehr):
    planned = open_ones(alice)
    services.record_death(alice, died_at=at("2026-03-20 10:30"), place="home", source="family", by=nina)
    assert statuses() == [("active", "deceased")]
    assert told("patient.status_changed")[0]["at"] == "2026-03-20T10:30:00Z"
    assert appointment_statuses(alice) == sorted((f"Appointment/{o.pk}", "cancelled") for o in planned)
    assert all(data["version"].endswith("/_history/2") for data in told("appointment.changed"))


def test_a_discharge_cancels_each_appointment_with_an_event(nina, alice, ehr):
    planned = open_ones(alice)
    services.change_status(alice, "discharged", by=nina)
    assert statuses() == [("active", "discharged")]
    assert appointment_statuses(alice) == sorted((f"Appointment/{o.pk}", "cancelled") for o in planned)


@pytest.fixture
def hospital_link(riverside):
    riverside.hl7_assigning_authority = "STMARYS"
    riverside.save(update_fields=["hl7_assigning_authority"])


def test_an_hl7_admission_and_a_death_in_the_discharge_are_status_events(hospital_link, alice, ehr):
    intake.receive(adt("A01", "MSG-0001").encode(), peer="10.20.0.7")
    intake.receive(adt("A03", "MSG-0002", pid={29: "20260320061500-0400", 30: "Y"}).encode(), peer="10.20.0.7")
    assert statuses() == [("active", "paused"), ("paused", "deceased")]
    assert told("patient.status_changed")[1]["at"] == "2026-03-20T10:15:00Z"


def test_a_death_through_fhir_is_a_status_event(as_nina, alice, ehr):
    resource = as_nina.get(f"/fhir/R4/Patient/{alice.pk}").json()
    response = as_nina.put(f"/fhir/R4/Patient/{alice.pk}", {**resource, "deceasedDateTime": "2026-03-20T06:30:00-04:00"},
                           format="json")
    assert response.status_code == 200, response.content
    assert statuses() == [("active", "deceased")]


def test_a_name_corrected_is_no_status_event(as_nina, alice, ehr):
    resource = as_nina.get(f"/fhir/R4/Patient/{alice.pk}").json()
    as_nina.put(f"/fhir/R4/Patient/{alice.pk}", {**resource, "name": [{"family": "Archer-O'Neil", "given": ["Alice"]}]},
                format="json")
    assert told("patient.status_changed") == []


# --- Alerts and drainages -------------------------------------------------------------------------


def test_a_report_that_flags_something_is_one_alert_event_and_a_quiet_one_none(alice, ehr):
    quiet = services.record_symptom_report(alice, scores={"pain": 2}, completed_by="patient", source="web")
    severe = services.record_symptom_report(alice, scores={"pain": 8, "nausea": 7}, completed_by="caregiver", source="sms")
    assert quiet.pk != severe.pk
    assert told("alert.raised") == [{"alert": severe.alert.pk, "patient": f"Patient/{alice.pk}",
                                     "report": f"QuestionnaireResponse/{severe.pk}"}]


def test_an_alert_acknowledged_is_no_new_alert_event(nina, alice, ehr):
    report = services.record_symptom_report(alice, scores={"pain": 9}, completed_by="patient", source="web")
    services.acknowledge_alert(report.alert, by=nina, action="called_patient")
    assert len(told("alert.raised")) == 1


def test_a_drainage_at_the_clinic_and_one_at_home_are_each_an_event(nina, alice, ehr):
    clinic = services.record_procedure(alice, performed_at=at("2026-03-20 13:00"), volume_ml=4200, performed_by=nina)
    services.place_catheter(alice, placed_on=date(2026, 3, 20), type="tunnelled", by=nina)
    home = services.record_home_drainage(alice, performed_at=at("2026-03-20 14:30"), volume_ml=1000,
                                         performer_name="Dora Archer", performer_role="daughter", by=nina)
    assert told("drainage.recorded") == [
        {"procedure": f"Procedure/{clinic.pk}", "patient": f"Patient/{alice.pk}", "kind": "paracentesis",
         "performed_at": "2026-03-20T13:00:00Z", "volume": f"Observation/procedure-{clinic.pk}-volume"},
        {"procedure": f"Procedure/{home.pk}", "patient": f"Patient/{alice.pk}", "kind": "home_drain",
         "performed_at": "2026-03-20T14:30:00Z", "volume": f"Observation/procedure-{home.pk}-volume"},
    ]


# --- Appointments -------------------------------------------------------------------------------------


def test_a_reschedule_names_the_old_and_new_start_and_a_note_alone_is_no_event(nina, alice, ehr):
    drainage, _ = open_ones(alice)
    services.reschedule(drainage, drainage.due_at + timedelta(days=2), by=nina)
    drainage.refresh_from_db()
    drainage.note = "Daughter will drive her."
    drainage.save(update_fields=["note"])
    [moved] = told("appointment.changed")
    assert (moved["previous_start"], moved["start"], moved["status"]) == ("2026-03-23T13:00:00Z", "2026-03-25T13:00:00Z", "booked")
    assert moved["version"] == f"Appointment/{drainage.pk}/_history/2"


def test_a_skipped_check_in_is_cancelled_and_its_replacement_booked(nina, alice, ehr):
    _, checkin = open_ones(alice)
    services.skip(checkin, by=nina, reason="declined")
    changes = appointment_statuses(alice)
    assert (f"Appointment/{checkin.pk}", "cancelled") in changes
    replacement = Occurrence.objects.get(patient=alice, kind="checkin", state="scheduled")
    assert (f"Appointment/{replacement.pk}", "booked") in changes


def test_a_check_in_not_done_by_the_end_of_its_day_is_a_no_show_event(alice, ehr):
    _, checkin = open_ones(alice)
    with time_machine.travel(checkin.due_at + timedelta(days=1, hours=12), tick=False):
        calls.mark_missed()
    assert (f"Appointment/{checkin.pk}", "noshow") in appointment_statuses(alice)


def test_a_catheter_placed_cancels_the_drainage_appointment_with_an_event(nina, alice, ehr):
    drainage, _ = open_ones(alice)
    services.place_catheter(alice, placed_on=date(2026, 3, 20), type="tunnelled", by=nina)
    changes = appointment_statuses(alice)
    assert (f"Appointment/{drainage.pk}", "cancelled") in changes
    home = Occurrence.objects.get(patient=alice, kind="home_drain", state="scheduled")
    assert (f"Appointment/{home.pk}", "booked") in changes


def test_an_appointment_moved_through_fhir_is_an_event(as_nina, alice, ehr):
    drainage, _ = open_ones(alice)
    resource = as_nina.get(f"/fhir/R4/Appointment/{drainage.pk}").json()
    response = as_nina.put(f"/fhir/R4/Appointment/{drainage.pk}", {**resource, "start": "2026-03-24T13:00:00Z"}, format="json")
    assert response.status_code == 200, response.content
    assert told("appointment.changed")[0]["start"] == "2026-03-24T13:00:00Z"
