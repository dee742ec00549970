"""Pause, resume, discharge and death: what a change of status does to the plan and the outbox.

Alice is enrolled on Monday 2 March 2026 at 10:00 New York time, with Dora, her daughter, also
receiving her reminders by text. Each test then changes her status and checks what is left.
"""

import pytest
from django.core.exceptions import ValidationError

from followup import services
from followup.messaging.planning import plan_reminders
from followup.models import Kind, Occurrence, Patient, Reminder, StatusChange
from tests.conftest import at

T0 = at("2026-03-02 15:00")
UNSENT = (Reminder.State.PLANNED, Reminder.State.QUEUED)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def patient(clock, alice, dora):
    services.enrol(alice)
    return alice


@pytest.fixture
def one_queued(patient):
    """A reminder a dispatch tick has already claimed and handed to a worker."""
    reminder = Reminder.objects.filter(patient=patient, state=Reminder.State.PLANNED).order_by("send_at").first()
    Reminder.objects.filter(pk=reminder.pk).update(state=Reminder.State.QUEUED, claimed_at=T0)
    return reminder


def states(patient):
    return sorted(Reminder.objects.filter(patient=patient).values_list("state", flat=True))


def unsent(patient):
    return Reminder.objects.filter(patient=patient, state__in=UNSENT)


def scheduled(patient):
    return Occurrence.objects.filter(patient=patient, state=Occurrence.State.SCHEDULED)


def test_the_enrolled_patient_has_reminders_for_herself_and_her_caregiver(patient):
    assert set(unsent(patient).values_list("recipient", flat=True)) == {"patient", f"caregiver-{patient.caregivers.get().pk}"}
    assert scheduled(patient).count() == 2


@pytest.mark.parametrize("status", [Patient.Status.DECEASED, Patient.Status.DISCHARGED])
def test_death_or_discharge_cancels_every_future_occurrence_and_unsent_reminder_at_once(patient, one_queued, leo, status):
    assert unsent(patient).filter(state=Reminder.State.QUEUED).count() == 1
    services.change_status(patient, status, by=leo, note="Recorded by the team")
    assert not scheduled(patient).exists()
    assert set(Occurrence.objects.filter(patient=patient).values_list("state", flat=True)) == {"cancelled"}
    assert not unsent(patient).exists()
    assert set(states(patient)) == {"cancelled"}
    queued = Reminder.objects.get(pk=one_queued.pk)
    assert queued.state == "cancelled"
    assert queued.events.last().from_state == "queued"
    assert not patient.schedules.filter(active=True).exists()


@pytest.mark.parametrize("status", [Patient.Status.DECEASED, Patient.Status.DISCHARGED])
def test_a_status_change_records_who_and_when_and_shows_in_the_history(patient, leo, status):
    services.change_status(patient, status, by=leo, note="Family informed the team", at=at("2026-03-02 11:00"))
    patient.refresh_from_db()
    assert (patient.status, patient.status_changed_by, patient.status_changed_at) == (status, leo, at("2026-03-02 11:00"))
    change = StatusChange.objects.get(patient=patient)
    assert (change.from_status, change.to_status, change.by, change.at, change.note) == (
        "active", status, leo, at("2026-03-02 11:00"), "Family informed the team")
    cancelled = Occurrence.objects.filter(patient=patient).first()
    assert (cancelled.closed_by, cancelled.closed_at) == (leo, at("2026-03-02 11:00"))
    assert cancelled.note == f"Patient {status}"


def test_a_status_change_is_one_transaction(patient, leo, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(services, "cancel_unsent_reminders", fail)
    with pytest.raises(RuntimeError):
        services.change_status(patient, Patient.Status.DECEASED, by=leo)
    patient.refresh_from_db()
    assert patient.status == "active"
    assert not StatusChange.objects.exists()
    assert scheduled(patient).count() == 2
    assert unsent(patient).count() == 6


def test_sent_reminders_stay_in_the_record(patient, leo):
    sent = unsent(patient).first()
    Reminder.objects.filter(pk=sent.pk).update(state=Reminder.State.SENT, sent_at=T0)
    services.change_status(patient, Patient.Status.DECEASED, by=leo)
    assert Reminder.objects.get(pk=sent.pk).state == "sent"


def test_deceased_patient_gets_no_reminder(patient, leo, nina, clock):
    services.change_status(patient, Patient.Status.DECEASED, by=leo)
    # Whatever else happens to the record afterwards, nothing is planned for her again.
    services.record_symptom_report(patient, scores={"pain": 9}, completed_by="caregiver", source="web")
    clock.move_to(at("2026-03-05 15:00"), tick=False)
    services.record_procedure(patient, performed_at=at("2026-03-01 15:00"), performed_by=nina, volume_ml=4000)
    for occurrence in Occurrence.objects.filter(patient=patient):
        assert plan_reminders(occurrence) == []
    assert not unsent(patient).exists()
    assert not scheduled(patient).exists()


def test_a_discharged_patients_earlier_drainage_can_still_be_recorded(patient, leo, nina):
    services.change_status(patient, Patient.Status.DISCHARGED, by=leo)
    procedure = services.record_procedure(patient, performed_at=at("2026-03-01 15:00"), volume_ml=3000, performed_by=nina)
    assert procedure.occurrence is None
    assert not scheduled(patient).exists()


def test_a_deceased_patient_cannot_be_changed_again(patient, leo):
    services.change_status(patient, Patient.Status.DECEASED, by=leo)
    for status in (Patient.Status.ACTIVE, Patient.Status.PAUSED, Patient.Status.DISCHARGED):
        with pytest.raises(ValidationError) as refused:
            services.change_status(patient, status, by=leo)
        assert refused.value.message_dict == {"status": ["A patient recorded as deceased cannot change status."]}
    assert StatusChange.objects.filter(patient=patient).count() == 1


def test_the_same_status_again_is_refused(patient, leo):
    with pytest.raises(ValidationError, match="already active"):
        services.change_status(patient, Patient.Status.ACTIVE, by=leo)


def test_an_unknown_status_is_refused(patient, leo):
    with pytest.raises(ValidationError, match="Unknown status"):
        services.change_status(patient, "transferred", by=leo)


def test_a_death_dated_in_the_future_is_refused(patient, leo):
    with pytest.raises(ValidationError, match="cannot be dated in the future"):
        services.change_status(patient, Patient.Status.DECEASED, by=leo, at=at("2026-03-03 15:00"))
    patient.refresh_from_db()
    assert patient.status == "active"


def test_pausing_cancels_unsent_reminders_but_keeps_the_occurrences(patient, one_queued, nina):
    services.change_status(patient, Patient.Status.PAUSED, by=nina, note="Respite admission")
    assert not unsent(patient).exists()
    assert scheduled(patient).count() == 2
    assert StatusChange.objects.get(patient=patient).to_status == "paused"


def test_a_paused_patient_gets_no_new_reminders(patient, nina):
    services.change_status(patient, Patient.Status.PAUSED, by=nina)
    services.reschedule(scheduled(patient).get(kind=Kind.PARACENTESIS), at("2026-03-25 14:00"), by=nina)
    assert not unsent(patient).exists()


def test_resuming_plans_the_reminders_again(patient, nina):
    before = sorted(unsent(patient).values_list("pk", "send_at"))
    services.change_status(patient, Patient.Status.PAUSED, by=nina)
    services.change_status(patient, Patient.Status.ACTIVE, by=nina)
    assert sorted(unsent(patient).values_list("pk", "send_at")) == before
    assert set(unsent(patient).values_list("state", flat=True)) == {"planned"}
    assert list(StatusChange.objects.filter(patient=patient).order_by("at", "pk").values_list("to_status", flat=True)) == [
        "paused", "active"]


def test_resuming_after_the_reminder_time_passed_does_not_send_it_late(patient, nina, clock):
    services.change_status(patient, Patient.Status.PAUSED, by=nina)
    clock.move_to(at("2026-03-10 15:00"), tick=False)  # the check-in was due yesterday
    services.change_status(patient, Patient.Status.ACTIVE, by=nina)
    checkin = scheduled(patient).get(kind=Kind.CHECKIN)
    assert not unsent(patient).filter(occurrence=checkin).exists()
    assert unsent(patient).filter(occurrence__kind=Kind.PARACENTESIS).count() == 4


def test_a_discharged_patient_who_comes_back_resumes_her_series(patient, leo, nina, clock):
    services.record_procedure(patient, performed_at=at("2026-03-02 14:00"), performed_by=nina, volume_ml=4000)
    services.change_status(patient, Patient.Status.DISCHARGED, by=leo)
    clock.move_to(at("2026-03-10 15:00"), tick=False)
    services.change_status(patient, Patient.Status.ACTIVE, by=leo, note="Readmitted")
    drainage = scheduled(patient).get(kind=Kind.PARACENTESIS)
    assert drainage.due_at == at("2026-03-23 13:00")  # three weeks after her last drainage
    checkin = scheduled(patient).get(kind=Kind.CHECKIN)
    assert checkin.due_at == at("2026-03-17 13:00")  # a week after readmission
    assert unsent(patient).filter(occurrence=drainage).count() == 4
