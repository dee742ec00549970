"""Check-in calls with outcomes: who answered, calls nobody answered, retries, "not reached", and
check-ins whose day passed.

Riverside (New York, EST in February: 09:00 is 14:00 UTC) works Monday to Friday 09:00-17:00.
Alice is enrolled on Monday 2 February 2026 in the stable phase (a check-in a week), so her first
check-in is due Monday 9 February at 09:00; the calls are made from 10:00 that day.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from followup import calls, services
from followup.models import CallAttempt, Kind, Occurrence, Reminder, SymptomReport
from tests.conftest import at

ENROLLED = at("2026-02-02 15:00")
MONDAY_9 = at("2026-02-09 14:00")
MONDAY_10 = at("2026-02-09 15:00")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(ENROLLED, tick=False)
    return time_machine


@pytest.fixture
def patient(clock, alice):
    services.enrol(alice)
    clock.move_to(MONDAY_10, tick=False)
    return alice


def open_checkin(patient):
    return Occurrence.objects.get(patient=patient, kind=Kind.CHECKIN, state="scheduled")


def call(patient, outcome, nina, **fields):
    return calls.record_call(patient, outcome=outcome, by=nina, **fields)


class TestAnsweredCalls:
    def test_a_reached_call_stores_the_patient_as_the_one_who_answered_and_the_nurse_as_recorder(self, patient, nina):
        attempt = call(patient, "reached", nina, scores={"pain": 3})
        report = attempt.report
        assert (report.completed_by, report.recorded_by, report.source) == ("patient", nina, "nurse_call")

    @pytest.mark.parametrize("who, label", [
        ("patient", "Patient"), ("caregiver", "Family caregiver"),
        ("professional", "Health care professional caregiver"), ("caregiver_assisted", "Caregiver-assisted"),
    ])
    def test_the_four_esas_r_completed_by_options_are_stored_exactly(self, patient, nina, who, label):
        report = call(patient, "caregiver", nina, scores={"pain": 3}, completed_by=who).report
        assert SymptomReport.objects.get(pk=report.pk).get_completed_by_display() == label

    def test_a_call_with_a_caregiver_defaults_to_the_family_caregiver(self, patient, nina):
        assert call(patient, "caregiver", nina, scores={"nausea": 2}).report.completed_by == "caregiver"

    def test_an_answered_call_closes_the_checkin_and_plans_the_next(self, patient, nina):
        current = open_checkin(patient)
        call(patient, "reached", nina, scores={"pain": 3})
        current.refresh_from_db()
        assert current.state == "done"
        assert open_checkin(patient).due_at == at("2026-02-16 14:00")

    def test_a_reached_call_with_only_a_note_is_recorded(self, patient, nina):
        attempt = call(patient, "reached", nina, note="Feeling fine, did not want to score.")
        assert attempt.report is None
        assert Occurrence.objects.get(pk=attempt.occurrence_id).state == "done"

    def test_a_reached_call_with_neither_scores_nor_note_is_refused(self, patient, nina):
        with pytest.raises(ValidationError) as refused:
            call(patient, "reached", nina)
        assert "note" in refused.value.message_dict
        assert not CallAttempt.objects.exists()

    def test_scores_for_a_call_nobody_answered_are_refused(self, patient, nina):
        with pytest.raises(ValidationError) as refused:
            call(patient, "no_answer", nina, scores={"pain": 3})
        assert "outcome" in refused.value.message_dict


class TestUnansweredCalls:
    def test_no_answer_keeps_the_checkin_open_with_a_retry_four_hours_later(self, patient, nina):
        current = open_checkin(patient)
        attempt = call(patient, "no_answer", nina)
        current.refresh_from_db()
        assert current.state == "scheduled" and current.due_at == MONDAY_9
        assert attempt.retry_at == current.retry_at == MONDAY_10 + timedelta(hours=4)

    def test_a_retry_past_closing_goes_to_the_next_working_morning(self, patient, nina, clock):
        clock.move_to(at("2026-02-09 20:00"), tick=False)  # Monday 15:00: 19:00 is after closing
        assert call(patient, "voicemail", nina).retry_at == at("2026-02-10 14:00")

    def test_the_retry_delay_is_a_clinic_setting(self, patient, nina, riverside):
        riverside.checkin_retry_hours = 2
        riverside.save()
        assert call(patient, "no_answer", nina).retry_at == MONDAY_10 + timedelta(hours=2)

    def test_an_unanswered_call_keeps_the_due_time_and_its_reminders(self, patient, nina):
        current = open_checkin(patient)
        before = list(Reminder.objects.filter(occurrence=current).values_list("pk", "state", "send_at"))
        call(patient, "no_answer", nina)
        assert list(Reminder.objects.filter(occurrence=current).values_list("pk", "state", "send_at")) == before
        assert Reminder.objects.filter(patient=patient, purpose=Reminder.Purpose.CHECKIN).count() == len(before)

    def test_a_retry_time_in_the_past_is_refused(self, patient, nina):
        with pytest.raises(ValidationError) as refused:
            call(patient, "no_answer", nina, retry_at=MONDAY_10 - timedelta(hours=1))
        assert "retry_at" in refused.value.message_dict

    def test_a_retry_time_outside_working_hours_is_refused(self, patient, nina):
        with pytest.raises(ValidationError) as refused:
            call(patient, "no_answer", nina, retry_at=at("2026-02-10 02:00"))  # Monday 21:00
        assert "retry_at" in refused.value.message_dict
        assert open_checkin(patient).retry_at is None

    def test_a_retry_time_chosen_inside_working_hours_is_kept(self, patient, nina):
        assert call(patient, "no_answer", nina, retry_at=at("2026-02-09 17:30")).retry_at == at("2026-02-09 17:30")

    def test_two_unanswered_calls_in_a_row_flag_the_patient_not_reached(self, patient, nina, clock):
        call(patient, "no_answer", nina)
        patient.refresh_from_db()
        assert patient.not_reached_since is None
        clock.move_to(MONDAY_10 + timedelta(hours=4), tick=False)
        call(patient, "voicemail", nina)
        patient.refresh_from_db()
        assert patient.not_reached_since == MONDAY_10

    def test_a_wrong_number_counts_as_unanswered_and_sets_no_retry(self, patient, nina, clock):
        call(patient, "no_answer", nina)
        clock.move_to(MONDAY_10 + timedelta(hours=4), tick=False)
        attempt = call(patient, "wrong_number", nina)
        patient.refresh_from_db()
        assert attempt.retry_at is None and patient.not_reached_since is not None

    def test_an_answered_call_clears_not_reached(self, patient, nina, clock):
        call(patient, "no_answer", nina)
        clock.move_to(MONDAY_10 + timedelta(hours=1), tick=False)
        call(patient, "voicemail", nina)
        clock.move_to(MONDAY_10 + timedelta(hours=2), tick=False)
        call(patient, "caregiver", nina, scores={"pain": 2})
        patient.refresh_from_db()
        assert patient.not_reached_since is None

    def test_an_answered_call_between_two_unanswered_ones_breaks_the_run(self, patient, nina, clock):
        call(patient, "no_answer", nina)
        clock.move_to(MONDAY_10 + timedelta(hours=1), tick=False)
        call(patient, "reached", nina, note="All well.")
        clock.move_to(MONDAY_10 + timedelta(days=7), tick=False)
        call(patient, "no_answer", nina)
        patient.refresh_from_db()
        assert patient.not_reached_since is None

    def test_a_declined_call_skips_the_checkin_and_plans_the_next_a_cadence_from_today(self, patient, nina):
        current = open_checkin(patient)
        call(patient, "declined", nina)
        current.refresh_from_db()
        assert current.state == "skipped"
        assert open_checkin(patient).due_at == at("2026-02-16 14:00")

    def test_an_unknown_outcome_is_refused(self, patient, nina):
        with pytest.raises(ValidationError) as refused:
            call(patient, "hung_up", nina)
        assert "outcome" in refused.value.message_dict


class TestMissed:
    def test_a_checkin_whose_day_passed_becomes_missed_and_the_next_is_a_cadence_from_today(self, patient):
        current = open_checkin(patient)
        calls.mark_missed(at("2026-02-10 05:05"))  # Tuesday 00:05
        current.refresh_from_db()
        assert current.state == "missed"
        assert current.history.first().state == "missed"  # the change is in the history
        assert open_checkin(patient).due_at == at("2026-02-17 14:00")  # Tuesday + 7 days

    def test_a_checkin_still_on_its_day_is_not_missed(self, patient):
        assert calls.mark_missed(at("2026-02-10 04:00")) == []  # Monday 23:00

    def test_a_checkin_with_a_retry_the_next_morning_is_not_missed_that_night(self, patient, nina, clock):
        clock.move_to(at("2026-02-09 20:00"), tick=False)
        call(patient, "no_answer", nina)  # retry Tuesday 09:00
        assert calls.mark_missed(at("2026-02-10 05:05")) == []
        marked = calls.mark_missed(at("2026-02-11 05:05"))  # Wednesday 00:05: the retry's day has passed too
        assert len(marked) == 1 and Occurrence.objects.get(pk=marked[0].pk).state == "missed"

    def test_a_drainage_past_its_day_stays_open_and_overdue(self, patient, clock):
        drainage = Occurrence.objects.get(patient=patient, kind=Kind.PARACENTESIS, state="scheduled")
        later = drainage.due_at + timedelta(days=2)
        clock.move_to(later, tick=False)
        calls.mark_missed(later)
        drainage.refresh_from_db()
        assert drainage.state == "scheduled" and drainage.is_overdue

    def test_a_paused_patients_checkin_is_not_marked_missed(self, patient):
        services.change_status(patient, "paused")
        assert calls.mark_missed(at("2026-02-10 05:05")) == []


def test_the_care_tick_marks_missed_checkins_and_escalates_alerts(patient, leo, time_machine):
    from followup import tasks
    from followup.models import Alert, Heartbeat

    services.record_symptom_report(patient, scores={"pain": 9}, completed_by="patient", source="web")
    time_machine.move_to(at("2026-02-10 21:00"), tick=False)  # Tuesday 16:00
    assert tasks.care_tick() == 2  # Monday's check-in missed, the alert escalated
    assert Alert.objects.get().escalated_at == at("2026-02-10 21:00")
    assert Heartbeat.last("care") == at("2026-02-10 21:00")
