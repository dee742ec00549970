"""The services a view, the API and a task call: record a drainage or a symptom report, change an
interval, skip or move an occurrence, acknowledge an alert.

Time is frozen at Monday 2 March 2026, 10:00 in New York (15:00 UTC), when Alice is enrolled at
Riverside: her first drainage is due three weeks later, on Monday 23 March at 09:00 (after the
clocks went forward on 8 March, so 13:00 UTC), and her first check-in call a week later.
"""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from followup import scheduling, services
from followup.models import Alert, Kind, Occurrence, Procedure, Reminder, SymptomReport
from tests.conftest import at, make_patient

T0 = at("2026-03-02 15:00")
SCHEDULED, DONE, SKIPPED = Occurrence.State.SCHEDULED, Occurrence.State.DONE, Occurrence.State.SKIPPED


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def patient(clock, alice):
    """Alice, enrolled at T0."""
    services.enrol(alice)
    return alice


def open_drainage(patient):
    return Occurrence.objects.get(patient=patient, kind=Kind.PARACENTESIS, state=SCHEDULED)


def open_checkin(patient):
    return Occurrence.objects.get(patient=patient, kind=Kind.CHECKIN, state=SCHEDULED)


def reminders(occurrence, state=None):
    rows = Reminder.objects.filter(occurrence=occurrence).order_by("send_at")
    if state:
        rows = rows.filter(state=state)
    return [(row.purpose, row.send_at, row.state) for row in rows]


def checkins(patient):
    return patient.schedules.get(kind=Kind.CHECKIN, active=True)


def drainage_series(patient):
    return patient.schedules.get(kind=Kind.PARACENTESIS, active=True)


def report(patient, **fields):
    values = dict(completed_by=SymptomReport.CompletedBy.PATIENT, source=SymptomReport.Source.WEB)
    values.update(fields)
    return services.record_symptom_report(patient, **values)


# --- Enrolment ------------------------------------------------------------------------------------


def test_enrolment_plans_the_first_drainage_three_weeks_out_and_a_checkin_a_week_out(patient):
    assert open_drainage(patient).due_at == at("2026-03-23 13:00")
    assert open_checkin(patient).due_at == at("2026-03-09 13:00")
    assert reminders(open_drainage(patient)) == [
        ("day_before", at("2026-03-22 22:00"), "planned"),  # 18:00 EDT
        ("morning_of", at("2026-03-23 12:00"), "planned"),  # 08:00 EDT
    ]


def test_enrolling_twice_is_refused(patient):
    with pytest.raises(ValidationError, match="already enrolled"):
        services.enrol(patient)
    assert patient.schedules.count() == 2


def test_enrolment_with_an_interval_of_zero_days_is_refused(clock, alice):
    with pytest.raises(ValidationError) as refused:
        services.enrol(alice, paracentesis_interval=scheduling.Interval(0, scheduling.Unit.DAYS))
    assert refused.value.message_dict == {"interval_count": ["The interval must be at least 2 days."]}
    assert not alice.schedules.exists()


# --- Recording a drainage -------------------------------------------------------------------------


def test_recording_a_drainage_closes_the_open_occurrence_and_plans_the_next_one_interval_later(patient, nina, clock):
    clock.move_to(at("2026-03-20 16:00"), tick=False)
    first = open_drainage(patient)
    procedure = services.record_procedure(patient, performed_at=at("2026-03-20 14:00"), volume_ml=4500,
                                          duration_minutes=40, performed_by=nina)
    first.refresh_from_db()
    assert (first.state, first.closed_at, first.closed_by) == (DONE, at("2026-03-20 14:00"), nina)
    assert procedure.occurrence == first
    following = open_drainage(patient)
    assert following.due_at == at("2026-04-10 13:00")  # 09:00 New York time, three weeks on
    assert following.due_date == date(2026, 4, 10)


def test_the_next_drainage_gets_its_reminders_and_the_done_one_loses_its_unsent_ones(patient, nina, clock):
    clock.move_to(at("2026-03-20 16:00"), tick=False)
    first = open_drainage(patient)
    services.record_procedure(patient, performed_at=at("2026-03-20 14:00"), performed_by=nina, volume_ml=4000)
    assert reminders(open_drainage(patient)) == [
        ("day_before", at("2026-04-09 22:00"), "planned"),
        ("morning_of", at("2026-04-10 12:00"), "planned"),
    ]
    assert {state for _, _, state in reminders(first)} == {"cancelled"}


def test_the_next_drainage_is_due_at_the_clinic_time_in_the_patients_own_zone(clock, riverside, nina):
    erin = make_patient(riverside, "RV-1005", "Erin", "Ellis", mobile="+12025550105", time_zone="Europe/London")
    services.enrol(erin)
    clock.move_to(at("2026-03-20 12:00"), tick=False)
    services.record_procedure(erin, performed_at=at("2026-03-20 10:00"), performed_by=nina, volume_ml=4000)
    assert open_drainage(erin).due_at == at("2026-04-10 08:00")  # 09:00 BST in London


def test_a_drainage_entered_from_before_enrolment_moves_the_first_one_without_closing_it(patient, nina):
    services.record_procedure(patient, performed_at=at("2026-02-23 15:00"), performed_by=nina, volume_ml=4000)
    first = open_drainage(patient)
    assert first.due_at == at("2026-03-16 13:00")  # 23 Feb + 3 weeks, 09:00 EDT
    assert not Occurrence.objects.filter(patient=patient, kind=Kind.PARACENTESIS, state=DONE).exists()
    assert Procedure.objects.get(patient=patient).occurrence is None


def test_a_drainage_on_the_morning_of_enrolment_keeps_the_first_one_three_weeks_later(patient, nina):
    services.record_procedure(patient, performed_at=at("2026-03-02 14:00"), performed_by=nina, volume_ml=4000)
    assert open_drainage(patient).due_at == at("2026-03-23 13:00")
    assert Occurrence.objects.filter(patient=patient, kind=Kind.PARACENTESIS).count() == 1


def test_a_back_dated_drainage_completes_the_history_without_moving_the_plan(patient, nina, clock):
    clock.move_to(at("2026-03-20 16:00"), tick=False)
    services.record_procedure(patient, performed_at=at("2026-03-20 14:00"), performed_by=nina, volume_ml=4000)
    services.record_procedure(patient, performed_at=at("2026-03-10 14:00"), performed_by=nina, volume_ml=4000)
    assert open_drainage(patient).due_at == at("2026-04-10 13:00")
    assert patient.procedures.count() == 2
    assert services.suggested_interval_days(patient) == 10


def test_a_drainage_in_the_future_is_refused(patient, nina):
    with pytest.raises(ValidationError) as refused:
        services.record_procedure(patient, performed_at=at("2026-03-03 15:00"), performed_by=nina, volume_ml=4000)
    assert refused.value.message_dict == {"performed_at": ["A procedure cannot be recorded in the future."]}
    assert not Procedure.objects.exists()
    assert open_drainage(patient).due_at == at("2026-03-23 13:00")


def test_a_nurse_clock_a_minute_fast_is_not_the_future(patient, nina):
    services.record_procedure(patient, performed_at=at("2026-03-02 15:01"), performed_by=nina, volume_ml=4000)
    assert Procedure.objects.count() == 1


def test_the_same_drainage_twice_is_refused_and_recorded_once(patient, nina, clock):
    clock.move_to(at("2026-03-20 16:00"), tick=False)
    services.record_procedure(patient, performed_at=at("2026-03-20 14:00"), volume_ml=4000, performed_by=nina)
    with pytest.raises(ValidationError) as refused:
        services.record_procedure(patient, performed_at=at("2026-03-20 14:00"), volume_ml=4000, performed_by=nina)
    assert refused.value.message_dict == {"performed_at": ["This drainage is already recorded for that moment."]}
    assert Procedure.objects.filter(patient=patient).count() == 1
    assert open_drainage(patient).due_at == at("2026-04-10 13:00")
    assert Occurrence.objects.filter(patient=patient, kind=Kind.PARACENTESIS).count() == 2


def test_a_negative_volume_is_refused_on_its_field(patient, nina):
    with pytest.raises(ValidationError) as refused:
        services.record_procedure(patient, performed_at=at("2026-03-02 14:00"), volume_ml=-1, performed_by=nina)
    assert "volume_ml" in refused.value.message_dict
    assert not Procedure.objects.exists()


def test_a_drainage_for_a_patient_never_enrolled_says_why_it_cannot_plan(clock, alice, nina):
    with pytest.raises(ValidationError, match="no active drainage"):
        services.record_procedure(alice, performed_at=at("2026-03-02 14:00"), performed_by=nina, volume_ml=4000)


# --- Suggested interval and catheter advisory -----------------------------------------------------


@pytest.fixture
def shortening(patient, nina):
    """Drainages entered after enrolment: 2, 14 (12 days), 23 (9 days) February and 1 March (6 days)."""
    for moment in ("2026-02-02 15:00", "2026-02-14 15:00", "2026-02-23 15:00", "2026-03-01 15:00"):
        services.record_procedure(patient, performed_at=at(moment), performed_by=nina, volume_ml=4000)
    return patient


def test_the_suggested_interval_is_offered_not_applied(shortening):
    assert services.suggested_interval_days(shortening) == 9  # median of 12, 9 and 6
    assert drainage_series(shortening).interval == scheduling.Interval(21, scheduling.Unit.DAYS)
    assert open_drainage(shortening).due_at == at("2026-03-22 13:00")  # 1 March + 21 days


def test_accepting_the_suggested_interval_applies_the_median_and_moves_the_open_drainage(shortening, nina):
    services.accept_suggested_interval(shortening, by=nina)
    series = drainage_series(shortening)
    assert (series.interval_count, series.interval_unit) == (9, "days")
    moved = open_drainage(shortening)
    assert moved.due_at == at("2026-03-10 13:00")  # 1 March + 9 days, 09:00 EDT
    assert reminders(moved, "planned") == [("morning_of", at("2026-03-10 12:00"), "planned")]


def test_no_suggested_interval_to_accept_before_two_drainages(patient, nina):
    services.record_procedure(patient, performed_at=at("2026-03-01 15:00"), performed_by=nina, volume_ml=4000)
    with pytest.raises(ValidationError, match="at least two drainages"):
        services.accept_suggested_interval(patient, by=nina)


def test_shortening_drainages_raise_the_catheter_advisory(shortening):
    assert services.catheter_advisory(shortening).startswith("Median interval 9 days")


def test_a_single_drainage_raises_no_catheter_advisory(patient, nina):
    services.record_procedure(patient, performed_at=at("2026-03-01 15:00"), performed_by=nina, volume_ml=4000)
    assert services.catheter_advisory(patient) == ""


# --- Changing the interval ------------------------------------------------------------------------


def test_changing_the_interval_moves_the_open_drainage_to_one_new_interval_after_the_last(patient, nina, clock):
    clock.move_to(at("2026-03-20 16:00"), tick=False)
    services.record_procedure(patient, performed_at=at("2026-03-20 14:00"), performed_by=nina, volume_ml=4000)
    before = open_drainage(patient)
    services.change_interval(drainage_series(patient), scheduling.Interval(2, scheduling.Unit.WEEKS), by=nina)
    moved = open_drainage(patient)
    assert moved.pk == before.pk
    assert moved.due_at == at("2026-04-03 13:00")
    assert moved.note == "Interval changed to 2 weeks."
    assert reminders(moved, "planned") == [
        ("day_before", at("2026-04-02 22:00"), "planned"),
        ("morning_of", at("2026-04-03 12:00"), "planned"),
    ]
    assert len(reminders(moved, "cancelled")) == 2


def test_changing_the_interval_in_months(patient, nina, clock):
    clock.move_to(at("2026-03-20 16:00"), tick=False)
    services.record_procedure(patient, performed_at=at("2026-03-20 14:00"), performed_by=nina, volume_ml=4000)
    services.change_interval(drainage_series(patient), scheduling.Interval(1, scheduling.Unit.MONTHS), by=nina)
    assert open_drainage(patient).due_at == at("2026-04-20 13:00")


def test_changing_the_interval_before_any_drainage_counts_from_enrolment(patient, nina, clock):
    clock.move_to(at("2026-03-05 15:00"), tick=False)
    services.change_interval(drainage_series(patient), scheduling.Interval(10, scheduling.Unit.DAYS), by=nina)
    assert open_drainage(patient).due_at == at("2026-03-12 13:00")  # 2 March + 10 days


def test_changing_the_interval_before_any_drainage_never_puts_it_in_the_past(patient, nina, clock):
    clock.move_to(at("2026-03-10 15:00"), tick=False)
    services.change_interval(drainage_series(patient), scheduling.Interval(2, scheduling.Unit.DAYS), by=nina)
    assert open_drainage(patient).due_date == date(2026, 3, 10)  # not 4 March


def test_a_shorter_interval_can_make_a_drainage_overdue(patient, nina, clock):
    clock.move_to(at("2026-03-20 16:00"), tick=False)
    services.record_procedure(patient, performed_at=at("2026-03-20 14:00"), performed_by=nina, volume_ml=4000)
    clock.move_to(at("2026-04-01 16:00"), tick=False)
    services.change_interval(drainage_series(patient), scheduling.Interval(7, scheduling.Unit.DAYS), by=nina)
    overdue = open_drainage(patient)
    assert overdue.due_at == at("2026-03-27 13:00")
    assert overdue.is_overdue


def test_an_interval_of_zero_days_is_refused_and_nothing_changes(patient, nina):
    series = drainage_series(patient)
    with pytest.raises(ValidationError) as refused:
        services.change_interval(series, scheduling.Interval(0, scheduling.Unit.DAYS), by=nina)
    assert refused.value.message_dict == {"interval_count": ["The interval must be at least 2 days."]}
    series.refresh_from_db()
    assert (series.interval_count, series.interval_unit) == (21, "days")


def test_an_interval_over_six_months_is_refused(patient, nina):
    with pytest.raises(ValidationError, match="at most 6 months"):
        services.change_interval(drainage_series(patient), scheduling.Interval(7, scheduling.Unit.MONTHS), by=nina)


def test_a_checkin_interval_counts_in_check_in_time(clock, riverside, alice, nina):
    riverside.checkin_reminder_at = time(10, 30)
    riverside.save()
    services.enrol(alice)
    services.change_interval(checkins(alice), scheduling.Interval(2, scheduling.Unit.DAYS), by=nina)
    assert open_checkin(alice).due_at == at("2026-03-04 15:30")  # 10:30 EST


# --- Symptom reports ------------------------------------------------------------------------------


def test_a_severe_item_raises_a_severe_alert_and_brings_the_checkin_to_the_next_day(patient):
    old = open_checkin(patient)
    assert old.due_at == at("2026-03-09 13:00")
    saved = report(patient, scores={"pain": 8})
    alert = Alert.objects.get(patient=patient)
    assert (alert.severe, alert.report) == (True, saved)
    assert [item.summary for item in alert.items.all()] == ["Pain 8: severe"]
    checkin = open_checkin(patient)
    assert checkin.pk == old.pk
    assert checkin.due_at == at("2026-03-03 14:00")  # 09:00 EST tomorrow
    assert checkin.note == "Brought forward after a severe symptom."
    assert reminders(checkin, "planned") == [("checkin", at("2026-03-03 14:00"), "planned")]


def test_a_moderate_report_leaves_the_checkin_where_it_was(patient):
    report(patient, scores={"pain": 5, "nausea": 4})
    assert not Alert.objects.exists()
    assert open_checkin(patient).due_at == at("2026-03-09 13:00")


def test_a_rise_of_three_since_the_previous_report_raises_a_worsening_alert(patient):
    report(patient, scores={"pain": 2, "tiredness": 4}, reported_at=at("2026-03-01 15:00"))
    report(patient, scores={"pain": 5, "tiredness": 5})
    alert = Alert.objects.get()
    assert [item.summary for item in alert.items.all()] == ["Pain 5, was 2: up 3"]
    assert open_checkin(patient).due_at == at("2026-03-09 13:00")


def test_a_back_dated_report_is_compared_with_the_one_before_it(patient):
    report(patient, scores={"pain": 1}, reported_at=at("2026-02-27 15:00"))
    report(patient, scores={"pain": 2})
    late_entry = report(patient, scores={"pain": 4}, reported_at=at("2026-03-01 15:00"))
    alert = Alert.objects.get()
    assert alert.report == late_entry
    assert [item.summary for item in alert.items.all()] == ["Pain 4, was 1: up 3"]


def test_a_newly_named_other_problem_raises_a_new_problem_alert(patient):
    report(patient, scores={"other_problem": 3}, other_problem_name="Itching")
    alert = Alert.objects.get()
    assert [item.summary for item in alert.items.all()] == ["Itching 3: new problem"]


def test_an_esas_item_of_eleven_is_refused_and_nothing_is_stored(patient):
    with pytest.raises(ValidationError) as refused:
        report(patient, scores={"pain": 11})
    assert refused.value.message_dict == {"pain": ["Ensure this value is less than or equal to 10."]}
    assert not SymptomReport.objects.exists()


def test_an_unknown_symptom_is_refused(patient):
    with pytest.raises(ValidationError, match="Unknown ESAS-r item: itching"):
        report(patient, scores={"itching": 3})


def test_a_nurse_call_closes_the_checkin_and_plans_the_next_at_the_phase_cadence(patient, nina, clock):
    clock.move_to(at("2026-03-09 14:00"), tick=False)
    call = open_checkin(patient)
    report(patient, scores={"pain": 3}, completed_by="professional", source="nurse_call", recorded_by=nina,
           closes_checkin=True)
    call.refresh_from_db()
    assert (call.state, call.closed_by, call.closed_at) == (DONE, nina, at("2026-03-09 14:00"))
    assert open_checkin(patient).due_at == at("2026-03-16 13:00")  # stable: a week


def test_a_nurse_call_that_finds_the_patient_deteriorating_plans_the_next_in_three_days(patient, nina, clock):
    clock.move_to(at("2026-03-09 14:00"), tick=False)
    report(patient, scores={"pain": 3}, phase="deteriorating", completed_by="professional", source="nurse_call",
           recorded_by=nina, closes_checkin=True)
    patient.refresh_from_db()
    assert patient.phase == "deteriorating"
    assert open_checkin(patient).due_at == at("2026-03-12 13:00")


def test_a_phase_change_in_a_report_moves_the_open_checkin_to_the_new_cadence(patient, nina, clock):
    clock.move_to(at("2026-03-03 15:00"), tick=False)
    report(patient, scores={"pain": 3}, phase="deteriorating", completed_by="professional", recorded_by=nina)
    checkin = open_checkin(patient)
    assert checkin.due_at == at("2026-03-05 14:00")  # enrolled 2 March + 3 days, 09:00 EST
    assert reminders(checkin, "planned") == [("checkin", at("2026-03-05 14:00"), "planned")]


def test_a_phase_change_counts_from_the_last_call_but_never_before_today(patient, nina, clock):
    clock.move_to(at("2026-03-09 14:00"), tick=False)
    report(patient, scores={"pain": 3}, completed_by="professional", source="nurse_call", recorded_by=nina,
           closes_checkin=True)
    clock.move_to(at("2026-03-13 15:00"), tick=False)
    report(patient, scores={"pain": 3}, phase="deteriorating", completed_by="professional", recorded_by=nina)
    assert open_checkin(patient).due_at == at("2026-03-13 13:00")  # 9 March + 3 days is past: today


def test_terminal_phase_means_a_daily_call(patient, nina):
    report(patient, scores={"tiredness": 6}, phase="terminal", completed_by="professional", recorded_by=nina)
    assert open_checkin(patient).due_at == at("2026-03-03 14:00")


def test_a_checkin_series_with_its_own_interval_ignores_the_phase(patient, nina):
    services.change_interval(checkins(patient), scheduling.Interval(5, scheduling.Unit.DAYS), by=nina)
    assert open_checkin(patient).due_at == at("2026-03-07 14:00")
    report(patient, scores={"pain": 3}, phase="deteriorating", completed_by="professional", recorded_by=nina)
    assert open_checkin(patient).due_at == at("2026-03-07 14:00")


def test_a_checkin_series_can_follow_the_phase_again(patient, nina):
    services.change_interval(checkins(patient), scheduling.Interval(5, scheduling.Unit.DAYS), by=nina)
    report(patient, scores={"pain": 3}, phase="deteriorating", completed_by="professional", recorded_by=nina)
    services.follow_phase_cadence(checkins(patient), by=nina)
    assert checkins(patient).cadence_by_phase
    assert open_checkin(patient).due_at == at("2026-03-05 14:00")


def test_a_severe_symptom_skips_past_a_day_already_taken_by_a_skipped_call(patient, nina, clock):
    clock.move_to(at("2026-03-08 15:00"), tick=False)
    services.skip(open_checkin(patient), by=nina, note="Family visiting")
    assert open_checkin(patient).due_at == at("2026-03-16 13:00")
    report(patient, scores={"shortness_of_breath": 9})
    assert open_checkin(patient).due_at == at("2026-03-10 13:00")  # 9 March holds the skipped call


# --- Alerts ---------------------------------------------------------------------------------------


def test_a_nurse_acknowledges_an_alert_once(patient, nina, leo):
    report(patient, scores={"pain": 9})
    alert = Alert.objects.get()
    assert services.acknowledge_alert(alert, by=nina, action=Alert.Action.ADVICE, note="Called, breakthrough dose taken.")
    assert (alert.acknowledged_by, alert.acknowledged_at, alert.is_open) == (nina, T0, False)
    assert not services.acknowledge_alert(alert, by=leo, action=Alert.Action.NO_ACTION)
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledgement_note) == (nina, "Called, breakthrough dose taken.")


# --- Skip and move --------------------------------------------------------------------------------


def test_skipping_a_drainage_looks_again_in_seven_days_not_a_full_interval_later(patient, nina):
    skipped = open_drainage(patient)
    following = services.skip(skipped, by=nina, note="In hospital", reason="in_hospital")
    skipped.refresh_from_db()
    assert (skipped.state, skipped.closed_by, skipped.note, skipped.skip_reason) == (SKIPPED, nina, "In hospital", "in_hospital")
    assert following == open_drainage(patient)
    assert following.due_at == at("2026-03-09 13:00")  # a week from today (2 March), not 3 weeks after the skipped date
    assert {state for _, _, state in reminders(skipped)} == {"cancelled"}
    assert reminders(following, "planned")


def test_skipping_twice_is_refused(patient, nina):
    skipped = open_drainage(patient)
    services.skip(skipped, by=nina)
    with pytest.raises(ValidationError, match="can be skipped"):
        services.skip(skipped, by=nina)


def test_moving_a_drainage_moves_its_reminders(patient, nina):
    occurrence = open_drainage(patient)
    services.reschedule(occurrence, at("2026-03-25 14:00"), by=nina, note="Theatre list")
    occurrence.refresh_from_db()
    assert (occurrence.due_at, occurrence.due_date) == (at("2026-03-25 14:00"), date(2026, 3, 25))
    assert reminders(occurrence) == [
        ("day_before", at("2026-03-22 22:00"), "cancelled"),
        ("morning_of", at("2026-03-23 12:00"), "cancelled"),
        ("day_before", at("2026-03-24 22:00"), "planned"),
        ("morning_of", at("2026-03-25 12:00"), "planned"),
    ]


def test_moving_a_drainage_back_to_its_first_time_plans_its_reminders_again(patient, nina):
    occurrence = open_drainage(patient)
    services.reschedule(occurrence, at("2026-03-25 14:00"), by=nina)
    services.reschedule(occurrence, at("2026-03-23 13:00"), by=nina)
    assert reminders(occurrence, "planned") == [
        ("day_before", at("2026-03-22 22:00"), "planned"),
        ("morning_of", at("2026-03-23 12:00"), "planned"),
    ]


def test_moving_onto_a_day_the_series_already_used_is_refused(patient, nina):
    services.skip(open_drainage(patient), by=nina)
    with pytest.raises(ValidationError) as refused:
        services.reschedule(open_drainage(patient), at("2026-03-23 18:00"), by=nina)
    assert refused.value.message_dict == {"due_at": ["This series already has an occurrence on that day."]}


def test_a_closed_occurrence_cannot_be_moved(patient, nina):
    skipped = open_drainage(patient)
    services.skip(skipped, by=nina)
    with pytest.raises(ValidationError, match="can be moved"):
        services.reschedule(skipped, at("2026-03-25 14:00"), by=nina)


def test_an_enrolment_dated_in_the_past_counts_drainages_since_then(clock, alice, nina):
    services.enrol(alice, now=at("2026-02-02 15:00"))
    first = open_drainage(alice)
    assert first.due_at == at("2026-02-23 14:00")
    services.record_procedure(alice, performed_at=at("2026-02-20 15:00"), performed_by=nina, volume_ml=4000)
    first.refresh_from_db()
    assert first.state == DONE
    assert open_drainage(alice).due_at == at("2026-03-13 13:00")  # 09:00 EDT
