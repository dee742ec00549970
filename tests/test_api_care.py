"""REST v1: care schedules, occurrences and drainages; writes go through the same services as the pages."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from followup import services
from followup.models import Occurrence, Procedure, Reminder
from tests.conftest import at

ENROLLED = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def alice_since_march(alice):
    """Alice enrolled on 2 March 2026 (drainage every 21 days, the clinic's default)."""
    with time_machine.travel(ENROLLED, tick=False):
        services.enrol(alice)
    return alice


def drainage(whose, **fields):
    return {"patient": whose.pk, "performed_at": "2026-03-20T14:00:00Z", "volume_ml": 4500, "duration_minutes": 40, **fields}


# --- Recording a drainage -----------------------------------------------------------------------


@time_machine.travel(LATER, tick=False)
def test_recording_a_drainage_closes_the_due_one_and_plans_the_next(as_nina, alice_since_march, nina):
    due = Occurrence.objects.get(patient=alice_since_march, kind="paracentesis")
    response = as_nina.post("/api/v1/procedures/", drainage(alice_since_march), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    procedure = Procedure.objects.get(pk=body["id"])
    assert (procedure.volume_ml, procedure.performed_by, procedure.occurrence) == (4500, nina, due)
    due.refresh_from_db()
    assert due.state == Occurrence.State.DONE
    # 21 days after the drainage's local date (20 March in New York), at the clinic's 09:00 (EDT).
    upcoming = Occurrence.objects.get(patient=alice_since_march, kind="paracentesis", state="scheduled")
    assert upcoming.due_at == at("2026-04-10 13:00")
    assert body["next_occurrence"] == {"id": upcoming.pk, "kind": "paracentesis", "due_at": "2026-04-10T13:00:00Z",
                                       "due_date": "2026-04-10"}
    assert set(upcoming.reminders.values_list("purpose", flat=True)) == {"day_before", "morning_of"}


@time_machine.travel(LATER, tick=False)
def test_api_plans_exactly_what_the_service_the_form_calls_plans(as_nina, alice_since_march, bob, riverside):
    with time_machine.travel(ENROLLED, tick=False):
        services.enrol(bob)
    as_nina.post("/api/v1/procedures/", drainage(alice_since_march), format="json")
    services.record_procedure(bob, performed_at=at("2026-03-20 14:00"), volume_ml=4500, duration_minutes=40)

    def plan(patient):
        occurrence = Occurrence.objects.get(patient=patient, kind="paracentesis", state="scheduled")
        return occurrence.due_at, sorted(occurrence.reminders.values_list("purpose", "send_at"))

    alice_plan, bob_plan = plan(alice_since_march), plan(bob)
    assert alice_plan[0] == bob_plan[0]
    # Bob takes e-mail, Alice texts; the send times are the same.
    assert alice_plan[1] == bob_plan[1]


@time_machine.travel(LATER, tick=False)
def test_the_same_drainage_twice_is_400(as_nina, alice_since_march):
    as_nina.post("/api/v1/procedures/", drainage(alice_since_march), format="json")
    response = as_nina.post("/api/v1/procedures/", drainage(alice_since_march), format="json")
    assert response.status_code == 400
    assert response.json() == {"performed_at": ["This drainage is already recorded for that moment."]}
    assert Procedure.objects.count() == 1


@time_machine.travel(LATER, tick=False)
@pytest.mark.parametrize(("fields", "field"), [
    ({"performed_at": "2026-03-21T15:00:00Z"}, "performed_at"),
    ({"performed_at": "yesterday"}, "performed_at"),
    ({"volume_ml": -1}, "volume_ml"),
    ({"volume_ml": None}, "volume_ml"),
    ({"volume_ml": 30000}, "volume_ml"),
    ({"volume_ml": "lots"}, "volume_ml"),
    ({"duration_minutes": 2000}, "duration_minutes"),
    ({"kind": "surgery"}, "kind"),
    ({"patient": "alice"}, "patient"),
    ({"patient": None}, "patient"),
])
def test_bad_drainage_fields_are_400_on_the_field(as_nina, alice_since_march, fields, field):
    response = as_nina.post("/api/v1/procedures/", drainage(alice_since_march, **fields), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Procedure.objects.exists()


@time_machine.travel(LATER, tick=False)
def test_another_clinics_patient_in_the_body_is_404(as_noah, alice_since_march):
    response = as_noah.post("/api/v1/procedures/", drainage(alice_since_march), format="json")
    assert response.status_code == 404
    assert response.json() == {"patient": ["No patient with this id in your clinics."]}
    assert not Procedure.objects.exists()


@time_machine.travel(LATER, tick=False)
@pytest.mark.parametrize("unknown", [987654, 2**70, -1])
def test_unknown_patient_in_the_body_is_404_like_another_clinics(as_nina, alice_since_march, unknown):
    response = as_nina.post("/api/v1/procedures/", drainage(alice_since_march, patient=unknown), format="json")
    assert response.status_code == 404
    assert response.json() == {"patient": ["No patient with this id in your clinics."]}


@time_machine.travel(LATER, tick=False)
def test_patient_without_a_drainage_series_is_400(as_nina, bob):
    response = as_nina.post("/api/v1/procedures/", drainage(bob), format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This patient has no active drainage (paracentesis) series."]}


@time_machine.travel(LATER, tick=False)
def test_procedures_filter_by_date_and_scope(as_nina, as_noah, alice_since_march):
    as_nina.post("/api/v1/procedures/", drainage(alice_since_march, performed_at="2026-03-05T14:00:00Z"), format="json")
    as_nina.post("/api/v1/procedures/", drainage(alice_since_march), format="json")
    after = as_nina.get("/api/v1/procedures/", {"performed_after": "2026-03-10T00:00:00Z"}).json()
    assert [row["performed_at"] for row in after["results"]] == ["2026-03-20T14:00:00Z"]
    before = as_nina.get("/api/v1/procedures/", {"performed_before": "2026-03-10T00:00:00Z"}).json()
    assert [row["performed_at"] for row in before["results"]] == ["2026-03-05T14:00:00Z"]
    assert as_nina.get("/api/v1/procedures/", {"performed_after": "soon"}).status_code == 400
    assert as_noah.get("/api/v1/procedures/").json()["count"] == 0
    some = after["results"][0]["id"]
    assert as_noah.get(f"/api/v1/procedures/{some}/").status_code == 404


# --- Occurrences --------------------------------------------------------------------------------


@time_machine.travel(LATER, tick=False)
def test_occurrences_filter_by_state_kind_and_due_range(as_nina, alice_since_march):
    body = as_nina.get("/api/v1/occurrences/", {"state": "scheduled", "kind": "paracentesis",
                                                 "due_after": "2026-03-23T00:00:00Z", "due_before": "2026-03-24T00:00:00Z"}).json()
    assert [(row["kind"], row["due_at"]) for row in body["results"]] == [("paracentesis", "2026-03-23T13:00:00Z")]
    assert as_nina.get("/api/v1/occurrences/", {"state": "lost"}).status_code == 400


@time_machine.travel(LATER, tick=False)
def test_rescheduling_moves_the_occurrence_and_its_reminders(as_nina, alice_since_march):
    due = Occurrence.objects.get(patient=alice_since_march, kind="paracentesis")
    response = as_nina.post(f"/api/v1/occurrences/{due.pk}/reschedule/", {"due_at": "2026-03-25T14:00:00Z", "note": "clinic closed"},
                            format="json")
    assert response.status_code == 200
    assert response.json()["due_at"] == "2026-03-25T14:00:00Z"
    planned = due.reminders.filter(state=Reminder.State.PLANNED)
    assert set(planned.values_list("due_at", flat=True)) == {at("2026-03-25 14:00")}


@time_machine.travel(LATER, tick=False)
@pytest.mark.parametrize("payload", [{"due_at": "2026-03-01T14:00:00Z"}, {"due_at": 5}, {}])
def test_bad_reschedules_are_400(as_nina, alice_since_march, payload):
    due = Occurrence.objects.get(patient=alice_since_march, kind="paracentesis")
    response = as_nina.post(f"/api/v1/occurrences/{due.pk}/reschedule/", payload, format="json")
    assert response.status_code == 400
    assert "due_at" in response.json()


@time_machine.travel(LATER, tick=False)
def test_skipping_plans_the_next_and_a_second_skip_is_400(as_nina, alice_since_march):
    due = Occurrence.objects.get(patient=alice_since_march, kind="checkin", state="scheduled")
    response = as_nina.post(f"/api/v1/occurrences/{due.pk}/skip/", {"note": "in hospital"}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "skipped"
    assert Occurrence.objects.filter(patient=alice_since_march, kind="checkin", state="scheduled").exists()
    again = as_nina.post(f"/api/v1/occurrences/{due.pk}/skip/", {}, format="json")
    assert again.status_code == 400
    assert "non_field_errors" in again.json()


@time_machine.travel(LATER, tick=False)
def test_another_clinics_occurrence_cannot_be_moved(as_noah, alice_since_march):
    due = Occurrence.objects.get(patient=alice_since_march, kind="paracentesis")
    response = as_noah.post(f"/api/v1/occurrences/{due.pk}/reschedule/", {"due_at": "2026-03-25T14:00:00Z"}, format="json")
    assert response.status_code == 404
    assert Occurrence.objects.get(pk=due.pk).due_at == due.due_at


# --- Series -------------------------------------------------------------------------------------


@time_machine.travel(LATER, tick=False)
def test_changing_the_interval_of_a_series(as_nina, alice_since_march):
    schedule = alice_since_march.schedules.get(kind="paracentesis")
    response = as_nina.post(f"/api/v1/schedules/{schedule.pk}/interval/", {"count": 2, "unit": "weeks"}, format="json")
    assert response.status_code == 200
    assert (response.json()["interval_count"], response.json()["interval"]) == (2, "2 weeks")
    listed = as_nina.get("/api/v1/schedules/", {"patient": alice_since_march.pk, "kind": "paracentesis"}).json()
    assert [row["id"] for row in listed["results"]] == [schedule.pk]


@time_machine.travel(LATER, tick=False)
@pytest.mark.parametrize("payload", [{"count": 1, "unit": "days"}, {"count": 7, "unit": "months"}, {"count": "x", "unit": "days"},
                                     {"count": 3, "unit": "fortnights"}])
def test_out_of_range_intervals_are_400(as_nina, alice_since_march, payload):
    schedule = alice_since_march.schedules.get(kind="paracentesis")
    response = as_nina.post(f"/api/v1/schedules/{schedule.pk}/interval/", payload, format="json")
    assert response.status_code == 400
    assert {"count", "unit"} & set(response.json())


@time_machine.travel(LATER, tick=False)
def test_ended_series_interval_cannot_change(as_nina, alice_since_march, nina):
    services.change_status(alice_since_march, "discharged", by=nina)
    schedule = alice_since_march.schedules.get(kind="paracentesis")
    response = as_nina.post(f"/api/v1/schedules/{schedule.pk}/interval/", {"count": 2, "unit": "weeks"}, format="json")
    assert response.status_code == 400


def test_another_clinics_series_is_404(as_noah, enrolled_alice):
    schedule = enrolled_alice.schedules.first()
    assert as_noah.get(f"/api/v1/schedules/{schedule.pk}/").status_code == 404
    assert as_noah.post(f"/api/v1/schedules/{schedule.pk}/interval/", {"count": 2, "unit": "weeks"}, format="json").status_code == 404


def test_timestamps_come_back_in_utc(as_nina, enrolled_alice):
    row = as_nina.get("/api/v1/occurrences/").json()["results"][0]
    assert row["due_at"].endswith("Z")
    assert datetime.fromisoformat(row["due_at"]) - Occurrence.objects.get(pk=row["id"]).due_at == timedelta(0)
