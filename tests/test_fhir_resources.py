"""FHIR R4 resources: each builder's output validates with fhir.resources (R4B models, the R4 series'
current release) and carries the mapping the integration guide documents."""

from datetime import UTC, datetime

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class

from followup import services
from followup.fhir import resources
from followup.models import Occurrence, Reminder
from tests.conftest import at

SITE = "https://followup.example.org"


def valid(resource):
    """The resource, after fhir.resources has accepted it (unknown elements and bad values raise)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def alice_in_march(alice):
    with time_machine.travel(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), tick=False):
        services.enrol(alice)
    return alice


# --- Patient and RelatedPerson ------------------------------------------------------------------


def test_patient_carries_mrn_name_telecom_and_language(alice):
    alice.email = "alice@example.org"
    alice.date_of_birth = datetime(1950, 4, 2).date()
    resource = valid(resources.patient_resource(alice))
    assert resource["id"] == str(alice.pk)
    assert resource["identifier"][0]["system"] == f"{SITE}/fhir/sid/clinic/{alice.clinic_id}/mrn"
    assert resource["identifier"][0]["value"] == "RV-1001"
    assert resource["identifier"][0]["type"]["coding"][0]["code"] == "MR"
    assert resource["name"][0] == {"use": "official", "text": "Alice Archer", "family": "Archer", "given": ["Alice"]}
    # Alice prefers texts: her phone is ranked first.
    assert resource["telecom"] == [
        {"system": "phone", "value": "+12025550101", "use": "mobile", "rank": 1},
        {"system": "email", "value": "alice@example.org", "use": "home", "rank": 2},
    ]
    assert resource["communication"][0]["language"]["coding"][0] == {"system": "urn:ietf:bcp:47", "code": "en", "display": "English"}
    assert resource["birthDate"] == "1950-04-02"
    assert resource["active"] is True
    assert "deceasedDateTime" not in resource


def test_email_preference_ranks_email_first(bob):
    resource = valid(resources.patient_resource(bob))
    assert resource["telecom"] == [{"system": "email", "value": "bob@example.org", "use": "home", "rank": 1}]
    assert resource["communication"][0]["language"]["coding"][0]["code"] == "es"


def test_deceased_patient_is_inactive_with_time_of_death(alice, nina):
    services.change_status(alice, "deceased", by=nina, at=at("2026-03-05 06:30"))
    alice.refresh_from_db()
    resource = valid(resources.patient_resource(alice))
    assert (resource["active"], resource["deceasedDateTime"]) == (False, "2026-03-05T06:30:00Z")


def test_discharged_patient_is_inactive_and_paused_is_active(alice, bob, nina):
    services.change_status(alice, "discharged", by=nina)
    services.change_status(bob, "paused", by=nina)
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert valid(resources.patient_resource(alice))["active"] is False
    assert valid(resources.patient_resource(bob))["active"] is True


def test_patient_without_contact_details_has_no_telecom(alice):
    alice.mobile = ""
    alice.preferred_channel = "none"
    assert "telecom" not in valid(resources.patient_resource(alice))


def test_caregiver_is_a_related_person_of_the_patient(dora):
    resource = valid(resources.related_person_resource(dora))
    assert resource["patient"] == {"reference": f"Patient/{dora.patient_id}"}
    assert resource["relationship"] == [{"text": "daughter"}]
    assert resource["telecom"] == [{"system": "phone", "value": "+12025550111", "use": "mobile", "rank": 1}]


# --- CarePlan and Appointment -------------------------------------------------------------------


def test_care_plan_has_the_interval_as_scheduled_timing(alice_in_march):
    drainages = alice_in_march.schedules.get(kind="paracentesis")
    resource = valid(resources.care_plan_resource(drainages))
    assert (resource["status"], resource["intent"]) == ("active", "plan")
    detail = resource["activity"][0]["detail"]
    assert detail["scheduledTiming"] == {"repeat": {"frequency": 1, "period": 21, "periodUnit": "d"}}
    assert detail["status"] == "scheduled"
    checkins = alice_in_march.schedules.get(kind="checkin")
    assert valid(resources.care_plan_resource(checkins))["activity"][0]["detail"]["scheduledTiming"]["repeat"]["period"] == 7


def test_weekly_and_monthly_intervals_use_fhir_units(alice_in_march):
    drainages = alice_in_march.schedules.get(kind="paracentesis")
    for count, unit, fhir_unit in [(3, "weeks", "wk"), (2, "months", "mo")]:
        drainages.interval_count, drainages.interval_unit = count, unit
        repeat = valid(resources.care_plan_resource(drainages))["activity"][0]["detail"]["scheduledTiming"]["repeat"]
        assert (repeat["period"], repeat["periodUnit"]) == (count, fhir_unit)


def test_ended_and_paused_series(alice_in_march, nina):
    services.change_status(alice_in_march, "paused", by=nina)
    schedule = alice_in_march.schedules.get(kind="paracentesis")
    schedule.patient.refresh_from_db()
    assert valid(resources.care_plan_resource(schedule))["status"] == "on-hold"
    services.change_status(alice_in_march, "discharged", by=nina)
    schedule.refresh_from_db()
    assert valid(resources.care_plan_resource(schedule))["status"] == "completed"


@pytest.mark.parametrize(("state", "status"), [("scheduled", "booked"), ("done", "fulfilled"), ("missed", "noshow"),
                                               ("skipped", "cancelled"), ("cancelled", "cancelled")])
def test_appointment_status_follows_the_occurrence(alice_in_march, state, status):
    occurrence = Occurrence.objects.get(patient=alice_in_march, kind="paracentesis")
    occurrence.state = state
    resource = valid(resources.appointment_resource(occurrence))
    assert resource["status"] == status
    # Drainage due 23 March at 09:00 New York (13:00 UTC), an hour long.
    assert (resource["start"], resource["end"], resource["minutesDuration"]) == ("2026-03-23T13:00:00Z", "2026-03-23T14:00:00Z", 60)
    assert resource["participant"][0]["actor"] == {"reference": f"Patient/{alice_in_march.pk}"}
    assert resource["supportingInformation"] == [{"reference": f"CarePlan/{occurrence.schedule_id}"}]


# --- Procedure and volume -----------------------------------------------------------------------


@time_machine.travel(datetime(2026, 3, 20, 15, 0, tzinfo=UTC), tick=False)
def test_drainage_is_a_procedure_and_its_volume_an_observation_part_of_it(alice_in_march, nina):
    procedure = services.record_procedure(alice_in_march, performed_at=at("2026-03-20 14:00"), volume_ml=4500,
                                          duration_minutes=40, complications="Mild pain at the site", performed_by=nina)
    resource = valid(resources.procedure_resource(procedure))
    assert resource["status"] == "completed"
    assert resource["performedPeriod"] == {"start": "2026-03-20T14:00:00Z", "end": "2026-03-20T14:40:00Z"}
    assert resource["complication"] == [{"text": "Mild pain at the site"}]
    assert resource["basedOn"] == [{"reference": f"CarePlan/{procedure.occurrence.schedule_id}"}]
    assert resource["performer"] == [{"actor": {"reference": f"Practitioner/{nina.pk}", "display": "Nina"}}]
    volume = valid(resources.volume_observation(procedure))
    assert volume["id"] == f"procedure-{procedure.pk}-volume"
    assert volume["partOf"] == [{"reference": f"Procedure/{procedure.pk}"}]
    assert volume["valueQuantity"] == {"value": 4500, "unit": "mL", "system": "http://unitsofmeasure.org", "code": "mL"}


@time_machine.travel(datetime(2026, 3, 20, 15, 0, tzinfo=UTC), tick=False)
def test_procedure_without_duration_has_a_performed_time(alice_in_march):
    procedure = services.record_procedure(alice_in_march, performed_at=at("2026-03-20 14:00"), volume_ml=4000)
    resource = valid(resources.procedure_resource(procedure))
    assert resource["performedDateTime"] == "2026-03-20T14:00:00Z"
    assert "performer" not in resource and "complication" not in resource


# --- Symptom reports ----------------------------------------------------------------------------


@pytest.fixture
def report(alice_in_march, nina):
    with time_machine.travel(datetime(2026, 3, 4, 15, 0, tzinfo=UTC), tick=False):
        return services.record_symptom_report(
            alice_in_march, scores={"pain": 8, "nausea": 0, "shortness_of_breath": 4, "other_problem": 5},
            other_problem_name="Itch", pps=50, phase="deteriorating", completed_by="caregiver", source="nurse_call",
            recorded_by=nina)


def test_report_is_a_questionnaire_response_with_one_item_per_scored_question(report):
    resource = valid(resources.questionnaire_response_resource(report))
    answers = {item["linkId"]: item["answer"][0] for item in resource["item"]}
    assert answers["pain"] == {"valueInteger": 8}
    assert answers["shortness-of-breath"] == {"valueInteger": 4}
    assert answers["other-problem"] == {"valueInteger": 5}
    assert answers["other-problem-name"] == {"valueString": "Itch"}
    assert answers["pps"] == {"valueInteger": 50}
    assert answers["pcoc-phase"]["valueCoding"]["code"] == "deteriorating"
    assert "tiredness" not in answers  # not asked
    assert resource["source"] == {"display": "Family caregiver"}
    assert resource["author"] == {"reference": f"Practitioner/{report.recorded_by_id}", "display": "Nina"}
    assert resource["authored"] == "2026-03-04T15:00:00Z"


def test_each_scored_item_is_an_observation_derived_from_the_report(report):
    observations = [valid(observation) for observation in resources.esas_observations(report)]
    by_code = {obs["code"]["coding"][0]["code"]: obs for obs in observations}
    assert set(by_code) == {"pain", "nausea", "shortness-of-breath", "other-problem"}
    pain = by_code["pain"]
    assert pain["id"] == f"symptom-report-{report.pk}-pain"
    assert (pain["valueInteger"], pain["interpretation"][0]["text"]) == (8, "severe")
    assert pain["code"]["coding"][0]["system"] == f"{SITE}/fhir/R4/CodeSystem/esas-r"
    assert pain["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{report.pk}"}]
    assert by_code["nausea"]["interpretation"][0]["text"] == "none"
    assert by_code["other-problem"]["code"]["text"] == "Other problem: Itch"


# --- Communication ------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "status"), [("sent", "completed"), ("delivered", "completed"), ("failed", "not-done"),
                                               ("unknown", "unknown")])
def test_sent_reminder_is_a_communication_without_its_text(alice_in_march, dora, state, status):
    reminder = alice_in_march.reminders.first()
    reminder.state, reminder.sent_at, reminder.reason = state, at("2026-03-22 22:00"), "Provider reported failed (error 30003)"
    resource = valid(resources.communication_resource(reminder))
    assert resource["status"] == status
    assert resource["medium"][0]["coding"][0] == {"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode",
                                                  "code": "SMSWRIT", "display": "SMS message"}
    assert resource["recipient"] == [{"reference": f"Patient/{alice_in_march.pk}"}]
    assert resource["about"] == [{"reference": f"Appointment/{reminder.occurrence_id}"}]
    assert resource["sent"] == "2026-03-22T22:00:00Z"
    assert "payload" not in resource
    assert "+1202555" not in str(resource)


def test_caregivers_reminder_names_the_related_person(alice_in_march, dora):
    reminder = Reminder(pk=41, occurrence=alice_in_march.occurrences.first(), patient=alice_in_march, caregiver=dora,
                        recipient=f"caregiver-{dora.pk}", channel="email", purpose="checkin", state="sent",
                        due_at=at("2026-03-09 13:00"), send_at=at("2026-03-09 13:00"), expires_at=at("2026-03-09 16:00"),
                        sent_at=at("2026-03-09 13:00"))
    resource = valid(resources.communication_resource(reminder))
    assert resource["recipient"] == [{"reference": f"RelatedPerson/{dora.pk}"}]
    assert resource["medium"][0]["coding"][0]["code"] == "EMAILWRIT"
