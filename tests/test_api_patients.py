"""REST v1: patients and caregivers, authentication and clinic scoping."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from followup.models import Occurrence, Patient, Reminder
from tests.conftest import PASSWORD


def new_patient(home, **fields):
    values = {
        "clinic": home.pk, "mrn": "RV-1009", "given_name": "Iris", "family_name": "Irwin",
        "mobile": "+12025550109", "preferred_channel": "sms", "consent_at": "2026-01-05T15:00:00Z", "consent_source": "verbal",
    }
    values.update(fields)
    return values


# --- Authentication -----------------------------------------------------------------------------


def test_unauthenticated_call_gets_401_with_token_challenge(alice):
    response = APIClient().get("/api/v1/patients/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_unknown_token_gets_401(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/patients/").status_code == 401


def test_session_sign_in_reads_the_api(client, nina, alice):
    client.login(username="nina", password=PASSWORD)
    response = client.get("/api/v1/patients/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [alice.pk]


@pytest.mark.parametrize("path", ["patients", "procedures", "symptom-reports", "alerts", "calendar-feeds"])
def test_browsable_api_pages_render_for_signed_in_staff(client, nina, enrolled_alice, path):
    client.login(username="nina", password=PASSWORD)
    response = client.get(f"/api/v1/{path}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_session_write_without_csrf_token_is_refused(nina, riverside):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="nina", password=PASSWORD)
    response = client.post("/api/v1/patients/", new_patient(riverside), format="json")
    assert response.status_code == 403
    assert not Patient.objects.filter(mrn="RV-1009").exists()


# --- Reading and scoping ------------------------------------------------------------------------


def test_nurse_lists_only_her_clinics_patients(as_nina, alice, bob, carmen):
    body = as_nina.get("/api/v1/patients/").json()
    assert body["count"] == 2
    assert {row["id"] for row in body["results"]} == {alice.pk, bob.pk}
    first = next(row for row in body["results"] if row["id"] == alice.pk)
    assert first["mrn"] == "RV-1001"
    assert first["mobile"] == "+12025550101"
    assert first["clinic"] == alice.clinic_id


def test_nurse_of_another_clinic_gets_404_for_a_patient(as_noah, alice):
    response = as_noah.get(f"/api/v1/patients/{alice.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Patient matches the given query."}


@pytest.mark.parametrize("bad_id", ["abc", "0", "-3", "99999999999999999999999"])
def test_malformed_or_huge_ids_are_404_not_500(as_nina, alice, bad_id):
    assert as_nina.get(f"/api/v1/patients/{bad_id}/").status_code == 404


def test_patients_filter_by_status(as_nina, alice, bob, nina):
    from followup import services

    services.change_status(bob, Patient.Status.PAUSED, by=nina)
    body = as_nina.get("/api/v1/patients/", {"status": "paused"}).json()
    assert [row["id"] for row in body["results"]] == [bob.pk]


def test_filter_by_another_clinic_is_400(as_nina, alice, hillcrest):
    response = as_nina.get("/api/v1/patients/", {"clinic": hillcrest.pk})
    assert response.status_code == 400
    assert "clinic" in response.json()


def test_pages_of_fifty(as_nina, riverside):
    Patient.objects.bulk_create(
        Patient(clinic=riverside, mrn=f"RV-{n}", given_name="Pat", family_name=f"P{n:03}") for n in range(55))
    first = as_nina.get("/api/v1/patients/").json()
    assert (first["count"], len(first["results"])) == (55, 50)
    second = as_nina.get(first["next"]).json()
    assert len(second["results"]) == 5


def test_caregivers_are_listed_with_their_patient(as_nina, as_noah, dora):
    body = as_nina.get("/api/v1/caregivers/", {"patient": dora.patient_id}).json()
    assert [(row["id"], row["patient"], row["mobile"]) for row in body["results"]] == [(dora.pk, dora.patient_id, "+12025550111")]
    assert as_noah.get(f"/api/v1/caregivers/{dora.pk}/").status_code == 404


# --- Enrolling ----------------------------------------------------------------------------------


def test_enrolling_a_patient_plans_first_drainage_and_checkin(as_nina, riverside, nina):
    response = as_nina.post("/api/v1/patients/", new_patient(riverside, nurse=nina.pk, paracentesis_interval_count=2,
                                                              paracentesis_interval_unit="weeks"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    patient = Patient.objects.get(pk=body["id"])
    assert (body["status"], body["time_zone"], body["nurse"]) == ("active", "America/New_York", nina.pk)
    assert sorted(patient.schedules.values_list("kind", "interval_count", "interval_unit")) == [
        ("checkin", 7, "days"), ("paracentesis", 2, "weeks")]
    assert patient.occurrences.filter(state=Occurrence.State.SCHEDULED).count() == 2


def test_first_drainage_time_can_be_given(as_nina, riverside):
    due = (timezone.now() + timedelta(days=4)).replace(microsecond=0)
    response = as_nina.post("/api/v1/patients/", new_patient(riverside, first_drainage_due=due.isoformat()), format="json")
    assert response.status_code == 201
    assert Occurrence.objects.get(patient_id=response.json()["id"], kind="paracentesis").due_at == due


def test_enrolling_into_another_clinic_is_404_on_the_field(as_noah, riverside):
    response = as_noah.post("/api/v1/patients/", new_patient(riverside), format="json")
    assert response.status_code == 404
    assert response.json() == {"clinic": ["No clinic with this id in your clinics."]}
    assert not Patient.objects.exists()


def test_enrolling_with_missing_fields_lists_each(as_nina):
    response = as_nina.post("/api/v1/patients/", {}, format="json")
    assert response.status_code == 400
    assert {"clinic", "mrn", "given_name", "family_name"} <= set(response.json())


@pytest.mark.parametrize(("fields", "field"), [
    ({"mobile": "12345"}, "mobile"),
    ({"mobile": "", "preferred_channel": "sms"}, "mobile"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"clinic": "riverside"}, "clinic"),
    ({"paracentesis_interval_count": 1, "paracentesis_interval_unit": "days"}, "paracentesis_interval_count"),
    ({"paracentesis_interval_count": 9, "paracentesis_interval_unit": "months"}, "paracentesis_interval_count"),
    ({"first_drainage_due": "2020-01-01T09:00:00Z"}, "first_drainage_due"),
    ({"preferred_channel": "pigeon"}, "preferred_channel"),
    ({"quiet_hours_end": "09:00"}, "quiet_hours_start"),
    ({"consent_at": "not a date"}, "consent_at"),
])
def test_bad_patient_fields_are_400_with_a_message_on_the_field(as_nina, riverside, fields, field):
    response = as_nina.post("/api/v1/patients/", new_patient(riverside, **fields), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Patient.objects.filter(mrn="RV-1009").exists()


def test_duplicate_mrn_in_the_clinic_is_400(as_nina, riverside, alice):
    response = as_nina.post("/api/v1/patients/", new_patient(riverside, mrn="RV-1001"), format="json")
    assert response.status_code == 400
    assert response.json() == {"mrn": ["A patient with this MRN is already in this clinic."]}


def test_nurse_of_another_clinic_cannot_be_assigned(as_nina, riverside, noah):
    response = as_nina.post("/api/v1/patients/", new_patient(riverside, nurse=noah.pk), format="json")
    assert response.status_code == 400
    assert "nurse" in response.json()


def test_a_json_list_instead_of_an_object_is_400(as_nina):
    response = as_nina.post("/api/v1/patients/", [1, 2], format="json")
    assert response.status_code == 400


# --- Changing -----------------------------------------------------------------------------------


def test_patch_reassigns_the_nurse(as_nina, alice, leo):
    response = as_nina.patch(f"/api/v1/patients/{alice.pk}/", {"nurse": leo.pk}, format="json")
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.nurse == leo


def test_patch_ignores_fields_that_decide_reminders(as_nina, alice):
    response = as_nina.patch(f"/api/v1/patients/{alice.pk}/", {"time_zone": "Asia/Tokyo", "given_name": "Alicia"}, format="json")
    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.given_name, alice.time_zone) == ("Alicia", "America/New_York")


def test_discharge_cancels_open_occurrences_and_unsent_reminders(as_nina, enrolled_alice, nina):
    response = as_nina.post(f"/api/v1/patients/{enrolled_alice.pk}/status/", {"status": "discharged", "note": "home"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "discharged"
    assert not enrolled_alice.occurrences.filter(state=Occurrence.State.SCHEDULED).exists()
    assert not enrolled_alice.reminders.filter(state__in=Reminder.UNSENT).exists()
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.status_changed_by == nina


def test_a_deceased_patient_cannot_be_made_active_again(as_nina, enrolled_alice):
    as_nina.post(f"/api/v1/patients/{enrolled_alice.pk}/status/", {"status": "deceased"}, format="json")
    response = as_nina.post(f"/api/v1/patients/{enrolled_alice.pk}/status/", {"status": "active"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"status": ["A patient recorded as deceased cannot change status."]}


@pytest.mark.parametrize("payload", [{"status": "asleep"}, {}, {"status": "paused", "at": "2999-01-01T00:00:00Z"}])
def test_bad_status_changes_are_400(as_nina, alice, payload):
    assert as_nina.post(f"/api/v1/patients/{alice.pk}/status/", payload, format="json").status_code == 400


def test_another_clinics_patient_cannot_be_discharged(as_noah, alice):
    response = as_noah.post(f"/api/v1/patients/{alice.pk}/status/", {"status": "discharged"}, format="json")
    assert response.status_code == 404
    alice.refresh_from_db()
    assert alice.status == "active"


def test_patients_cannot_be_deleted(as_nina, alice):
    assert as_nina.delete(f"/api/v1/patients/{alice.pk}/").status_code == 405
