"""Every way care stops for many appointments at once moves each one's FHIR version and lastUpdated:
a discharge, a death (recorded by a nurse, by the hospital over HL7, or through FHIR), a catheter that
moves drainage home. A client that synced at version 1 sees each appointment cancelled at version 2,
and vread of version 1 still shows it booked. A reminder left for a nurse moves its Communication too.

The cast: Alice Archer, enrolled at Riverside on 2 March 2026; the story is on 20 March, 11:00 in
New York.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class

from followup import services
from followup.hospital import intake
from followup.messaging import reconcile
from followup.models import Occurrence, Reminder
from tests.conftest import make_patient
from tests.hl7_messages import adt

ENROLLED = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _friday(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def alice(riverside, nina):
    with time_machine.travel(ENROLLED, tick=False):
        patient = make_patient(riverside, "RV-1001", "Alice", "Archer", mobile="+12025550101", nurse=nina)
        services.enrol(patient)
    return patient


@pytest.fixture
def planned(alice):
    return list(Occurrence.objects.filter(patient=alice, state="scheduled").order_by("pk"))


def fhir(response, status=200):
    assert response.status_code == status, response.content
    body = response.json()
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


def assert_each_cancelled_at_version_2(client, appointments, when="2026-03-20T15:00:00Z"):
    for occurrence in appointments:
        current = fhir(client.get(f"/fhir/R4/Appointment/{occurrence.pk}"))
        assert (current["status"], current["meta"]) == ("cancelled", {"versionId": "2", "lastUpdated": when}), occurrence.kind
        assert fhir(client.get(f"/fhir/R4/Appointment/{occurrence.pk}/_history/1"))["status"] == "booked"


def changed_since(client, moment):
    bundle = fhir(client.get("/fhir/R4/Appointment", {"_lastUpdated": f"ge{moment}", "status": "cancelled"}))
    return sorted(int(entry["resource"]["id"]) for entry in bundle["entry"])


def test_a_discharge_moves_every_cancelled_appointment_and_care_plan(as_nina, nina, alice, planned):
    services.change_status(alice, "discharged", by=nina)
    assert_each_cancelled_at_version_2(as_nina, planned)
    assert changed_since(as_nina, "2026-03-20T14:00:00Z") == [o.pk for o in planned]
    for plan in alice.schedules.all():
        care_plan = fhir(as_nina.get(f"/fhir/R4/CarePlan/{plan.pk}"))
        assert care_plan["status"] == "completed" and care_plan["meta"]["lastUpdated"] == "2026-03-20T15:00:00Z"


def test_a_death_recorded_by_a_nurse_moves_every_cancelled_appointment(as_nina, nina, alice, planned):
    services.record_death(alice, died_at=datetime(2026, 3, 20, 10, 30, tzinfo=UTC), place="home", source="family", by=nina)
    assert_each_cancelled_at_version_2(as_nina, planned)


def test_a_death_from_the_hospital_over_hl7_moves_every_cancelled_appointment(as_nina, riverside, alice, planned):
    riverside.hl7_assigning_authority = "STMARYS"
    riverside.save(update_fields=["hl7_assigning_authority"])
    intake.receive(adt("A03", "MSG-0002", pid={29: "20260320061500-0400", 30: "Y"}).encode(), peer="10.20.0.7")
    assert fhir(as_nina.get(f"/fhir/R4/Patient/{alice.pk}"))["deceasedDateTime"] == "2026-03-20T10:15:00Z"
    assert_each_cancelled_at_version_2(as_nina, planned)


def test_a_death_given_through_fhir_moves_every_cancelled_appointment(as_nina, alice, planned):
    resource = fhir(as_nina.get(f"/fhir/R4/Patient/{alice.pk}"))
    fhir(as_nina.put(f"/fhir/R4/Patient/{alice.pk}", {**resource, "deceasedDateTime": "2026-03-20T06:30:00-04:00"}, format="json"))
    assert_each_cancelled_at_version_2(as_nina, planned)


def test_a_catheter_placed_moves_the_cancelled_drainage_and_its_care_plan(as_nina, nina, alice, planned):
    drainage = next(o for o in planned if o.kind == "paracentesis")
    plan = drainage.schedule
    before = fhir(as_nina.get(f"/fhir/R4/CarePlan/{plan.pk}"))["meta"]["versionId"]
    services.place_catheter(alice, placed_on=date(2026, 3, 20), type="tunnelled", by=nina)
    assert_each_cancelled_at_version_2(as_nina, [drainage])
    after = fhir(as_nina.get(f"/fhir/R4/CarePlan/{plan.pk}"))
    assert after["status"] == "completed" and after["meta"]["versionId"] != before


def test_a_reminder_left_for_a_nurse_moves_its_communication(as_nina, alice):
    reminder = Reminder.objects.filter(patient=alice, state="planned").order_by("send_at").first()
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        for state in ("queued", "sending", "unknown"):
            assert reminder.move(state, "The worker stopped after the handover.", sending_at=NOW - timedelta(hours=1))
    before = fhir(as_nina.get(f"/fhir/R4/Communication/{reminder.pk}"))
    assert reconcile._leave_for_nurse(reminder, reconcile.NO_RECORD, NOW)
    after = fhir(as_nina.get(f"/fhir/R4/Communication/{reminder.pk}"))
    assert after["statusReason"]["text"] == reconcile.NO_RECORD != before["statusReason"]["text"]
    assert int(after["meta"]["versionId"]) == int(before["meta"]["versionId"]) + 1
    assert after["meta"]["lastUpdated"] == "2026-03-20T15:00:00Z"
    assert as_nina.get(f"/fhir/R4/Communication/{reminder.pk}", HTTP_IF_NONE_MATCH=f'W/"{before["meta"]["versionId"]}"').status_code == 200
