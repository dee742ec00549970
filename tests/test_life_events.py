"""Phases, a death, pauses, skips and procedures: the events that change a patient's plan.

Riverside (New York): nurse Nina, lead Leo; Alice with her daughter Dora, who is her next of kin.
Time stands at Monday 2 March 2026, 10:00 in New York, unless a test says otherwise.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from followup import services, worklist
from followup.models import (
    BereavementCall,
    Occurrence,
    Patient,
    Pause,
    PhaseEpisode,
    Procedure,
    Reminder,
    StatusChange,
)
from followup.views import timeline


NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alice_enrolled(alice, dora):
    dora.next_of_kin = True
    dora.save()
    services.enrol(alice)
    return Patient.objects.get(pk=alice.pk)


def open_of(patient, kind="paracentesis"):
    return patient.occurrences.get(kind=kind, state=Occurrence.State.SCHEDULED)


# --- Phases --------------------------------------------------------------------------------------


def test_bereaved_phase_is_refused_for_a_living_patient(alice_enrolled, nina):
    with pytest.raises(ValidationError) as refused:
        services.record_symptom_report(alice_enrolled, scores={"pain": 2}, completed_by="professional", source="nurse_call",
                                       phase="bereaved", recorded_by=nina)
    assert "record death" in refused.value.message_dict["phase"][0].lower()
    alice_enrolled.refresh_from_db()
    assert (alice_enrolled.phase, alice_enrolled.status) == ("stable", "active")
    assert not alice_enrolled.symptom_reports.exists()


def test_phase_changes_are_kept_as_episodes_with_who_and_when(alice_enrolled, nina):
    services.record_symptom_report(alice_enrolled, scores={"pain": 5}, completed_by="professional", source="nurse_call",
                                   phase="deteriorating", recorded_by=nina)
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        services.record_symptom_report(alice_enrolled, scores={"pain": 6}, completed_by="professional", source="nurse_call",
                                       phase="terminal", recorded_by=nina)
    episodes = list(PhaseEpisode.objects.filter(patient=alice_enrolled).order_by("started_at"))
    assert [(e.phase, e.started_at, e.ended_at) for e in episodes] == [
        ("stable", alice_enrolled.created_at, NOW),
        ("deteriorating", NOW, NOW + timedelta(days=4)),
        ("terminal", NOW + timedelta(days=4), None),
    ]
    assert episodes[1].started_by == nina
    titles = [event.title for event in timeline.build(Patient.objects.get(pk=alice_enrolled.pk))["events"]]
    assert "Phase: deteriorating" in titles and "Phase: terminal" in titles


# --- Death ---------------------------------------------------------------------------------------


def test_recording_a_death_sets_bereaved_and_stops_everything_at_once(alice_enrolled, nina):
    occurrences = list(alice_enrolled.occurrences.filter(state=Occurrence.State.SCHEDULED))
    assert len(occurrences) == 2 and alice_enrolled.reminders.filter(state__in=Reminder.UNSENT).exists()
    death = services.record_death(alice_enrolled, died_at=NOW - timedelta(hours=3), place="home", source="family", by=nina)
    alice = Patient.objects.get(pk=alice_enrolled.pk)
    assert (alice.status, alice.phase, alice.status_changed_at) == ("deceased", "bereaved", NOW - timedelta(hours=3))
    assert (death.place, death.source, death.recorded_by) == ("home", "family", nina)
    assert not alice.occurrences.filter(state=Occurrence.State.SCHEDULED).exists()
    assert not alice.schedules.filter(active=True).exists()
    assert not alice.reminders.filter(state__in=Reminder.UNSENT).exists()  # Dora's reminders too
    assert StatusChange.objects.get(patient=alice).to_status == "deceased"


def test_stopping_at_a_death_is_kept_in_each_objects_history(alice_enrolled, nina):
    occurrence = open_of(alice_enrolled)
    schedule = occurrence.schedule
    services.record_death(alice_enrolled, died_at=NOW, place="hospital", source="hospital_record", by=nina)
    last_occurrence = occurrence.history.order_by("-history_id").first()
    last_schedule = schedule.history.order_by("-history_id").first()
    assert (last_occurrence.state, last_occurrence.history_user) == ("cancelled", nina)
    assert (last_schedule.active, last_schedule.history_user) == (False, nina)


def test_a_death_in_the_future_is_refused(alice_enrolled, nina):
    with pytest.raises(ValidationError) as refused:
        services.record_death(alice_enrolled, died_at=NOW + timedelta(hours=2), place="home", source="family", by=nina)
    assert list(refused.value.message_dict) == ["died_at"]
    alice_enrolled.refresh_from_db()
    assert alice_enrolled.status == "active"


def test_a_death_needs_a_known_place_and_source(alice_enrolled):
    with pytest.raises(ValidationError) as refused:
        services.record_death(alice_enrolled, died_at=NOW, place="garden", source="rumour")
    assert set(refused.value.message_dict) == {"place", "source"}


def test_a_death_before_later_recorded_events_is_accepted_and_those_events_are_flagged(alice_enrolled, nina):
    services.record_procedure(alice_enrolled, performed_at=NOW - timedelta(hours=1), volume_ml=3000, performed_by=nina)
    services.record_symptom_report(alice_enrolled, scores={"pain": 4}, completed_by="caregiver", source="web",
                                   reported_at=NOW - timedelta(minutes=30))
    # The hospital record arrives: she died the evening before.
    services.record_death(alice_enrolled, died_at=NOW - timedelta(days=1), place="hospital", source="hospital_record", by=nina)
    events = timeline.build(Patient.objects.get(pk=alice_enrolled.pk))["events"]
    flagged = {event.kind for event in events if event.after_death}
    assert flagged == {"drainage", "symptoms"}
    assert not [event for event in events if event.kind == "death" and event.after_death]


def test_a_death_cannot_be_recorded_twice(alice_enrolled):
    services.record_death(alice_enrolled, died_at=NOW, place="home", source="staff")
    with pytest.raises(ValidationError):
        services.record_death(alice_enrolled, died_at=NOW, place="home", source="staff")


def test_the_old_status_change_to_deceased_records_a_death_too(alice_enrolled, nina):
    services.change_status(alice_enrolled, "deceased", by=nina, note="Died peacefully")
    alice = Patient.objects.get(pk=alice_enrolled.pk)
    assert (alice.phase, alice.death.place, alice.death.source, alice.death.note) == ("bereaved", "other", "staff",
                                                                                    "Died peacefully")
    assert alice.bereavement_calls.count() == 4


# --- Pauses --------------------------------------------------------------------------------------


def test_an_admission_pause_is_reviewed_after_the_clinics_setting(alice_enrolled, nina):
    pause = services.pause(alice_enrolled, reason="hospital_admission", note="Admitted via ED", by=nina)
    assert (pause.reason, pause.review_on, pause.note, pause.started_by) == ("hospital_admission", date(2026, 3, 9),
                                                                             "Admitted via ED", nina)
    alice_enrolled.riverside = alice_enrolled.clinic
    alice_enrolled.clinic.admission_review_days = 3
    alice_enrolled.clinic.save()
    services.resume(alice_enrolled)
    assert services.pause(alice_enrolled, reason="hospital_admission").review_on == date(2026, 3, 5)


def test_a_review_date_in_the_past_is_refused(alice_enrolled):
    with pytest.raises(ValidationError) as refused:
        services.pause(alice_enrolled, reason="respite", review_on=date(2026, 3, 1))
    assert list(refused.value.message_dict) == ["review_on"]
    alice_enrolled.refresh_from_db()
    assert alice_enrolled.status == "active"


def test_a_pause_for_another_reason_needs_a_review_date(alice_enrolled):
    with pytest.raises(ValidationError) as refused:
        services.pause(alice_enrolled, reason="patient_wish")
    assert list(refused.value.message_dict) == ["review_on"]
    with pytest.raises(ValidationError) as refused:
        services.pause(alice_enrolled, reason="holiday", review_on=date(2026, 3, 20))
    assert list(refused.value.message_dict) == ["reason"]


def paused_rows(nurse):
    """The call list under its "Paused" chip."""
    return worklist.build(nurse, with_calls=True, calls_filter="paused").calls.rows


def test_paused_patients_are_under_their_chip_with_the_review_date_and_off_the_list_until_then(alice_enrolled, nina):
    services.pause(alice_enrolled, reason="respite", review_on=date(2026, 3, 16), by=nina)
    [row] = paused_rows(nina)
    assert row.patient == alice_enrolled
    assert [flag.label for flag in row.flags if flag.key == "paused"] == ["Paused: respite, review 16 Mar"]
    assert not [item for item in row.due if item.kind == "pause"]  # nothing to decide before the review day
    assert worklist.build(nina, with_calls=True).calls.rows == []


def test_an_overdue_drainage_of_a_paused_patient_is_not_hidden(alice_enrolled, nina):
    services.pause(alice_enrolled, reason="hospital_admission", by=nina)
    with time_machine.travel(NOW + timedelta(days=25), tick=False):
        [row] = paused_rows(nina)
        assert {item.kind for item in row.due if item.state == "overdue"} >= {"checkin", "paracentesis"}


def test_on_the_review_date_the_worklist_asks_back_home_or_extend(alice_enrolled, nina):
    services.pause(alice_enrolled, reason="hospital_admission", by=nina)
    with time_machine.travel(NOW + timedelta(days=7), tick=False):
        [row] = worklist.build(nina, with_calls=True).calls.rows  # on the list itself, not only under the chip
        assert [(item.label, item.kind) for item in row.due][:1] == [("Back home?", "pause")]
        services.extend_pause(alice_enrolled, review_on=date(2026, 3, 12), by=nina)
        [row] = paused_rows(nina)
        assert not [item for item in row.due if item.kind == "pause"]
        assert worklist.build(nina, with_calls=True).calls.rows == []


def test_resuming_after_an_admission_records_ward_drainages_with_the_setting_hospital(alice_enrolled, nina):
    services.pause(alice_enrolled, reason="hospital_admission", by=nina)
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        services.resume(alice_enrolled, by=nina, ward_drainages=[{"performed_at": NOW + timedelta(days=3), "volume_ml": 4200}])
        ward = Procedure.objects.get(patient=alice_enrolled)
        assert (ward.setting, ward.volume_ml, ward.recorded_by, ward.performed_by) == ("hospital", 4200, nina, None)
        assert ward.performer_name
        alice = Patient.objects.get(pk=alice_enrolled.pk)
        assert alice.status == "active"
        assert Pause.objects.get(patient=alice).ended_by == nina
        # The series counts from the ward drainage: 21 days after 5 March.
        assert open_of(alice).due_date == date(2026, 3, 26)
        assert alice.reminders.filter(state=Reminder.State.PLANNED).exists()


def test_resuming_a_patient_who_is_not_paused_is_refused(alice_enrolled):
    with pytest.raises(ValidationError) as refused:
        services.resume(alice_enrolled)
    assert list(refused.value.message_dict) == ["status"]


# --- Skips ---------------------------------------------------------------------------------------


def test_skipping_a_drainage_looks_again_in_seven_days_by_default(alice_enrolled, nina):
    with time_machine.travel(datetime(2026, 3, 23, 15, 0, tzinfo=UTC), tick=False):
        following = services.skip(open_of(alice_enrolled), by=nina, reason="too_unwell")
        assert following.due_date == date(2026, 3, 30)


def test_a_skipped_checkin_looks_again_at_the_next_cadence_step(alice_enrolled, nina):
    checkin = open_of(alice_enrolled, "checkin")
    following = services.skip(checkin, by=nina, reason="unreachable")
    assert following.due_date == checkin.due_date + timedelta(days=7)


def test_the_drainage_interval_keeps_counting_from_the_last_drainage_done(alice_enrolled, nina):
    services.record_procedure(alice_enrolled, performed_at=NOW, volume_ml=4000, performed_by=nina)  # due 23 March
    with time_machine.travel(datetime(2026, 3, 23, 15, 0, tzinfo=UTC), tick=False):
        following = services.skip(open_of(alice_enrolled), by=nina, reason="declined", look_again_on=date(2026, 3, 25))
        assert following.due_date == date(2026, 3, 25)
    with time_machine.travel(datetime(2026, 3, 25, 15, 0, tzinfo=UTC), tick=False):
        services.record_procedure(alice_enrolled, performed_at=datetime(2026, 3, 25, 14, 0, tzinfo=UTC), volume_ml=4000,
                                  performed_by=nina)
        assert open_of(alice_enrolled).due_date == date(2026, 4, 15)  # 3 weeks after the drainage, not the skip


def test_a_look_again_date_in_the_past_is_refused(alice_enrolled):
    with pytest.raises(ValidationError) as refused:
        services.skip(open_of(alice_enrolled), reason="other", look_again_on=date(2026, 3, 1))
    assert list(refused.value.message_dict) == ["look_again_on"]
    assert open_of(alice_enrolled).state == "scheduled"


# --- Procedures ----------------------------------------------------------------------------------


def test_who_performed_a_drainage_is_kept_apart_from_who_recorded_it(alice_enrolled, nina):
    drainage = services.record_procedure(alice_enrolled, performed_at=NOW, volume_ml=5200, performer_name="Dr José Núñez",
                                         performer_role="interventional radiologist", recorded_by=nina, setting="clinic",
                                         complication_codes=["hypotension"])
    assert (drainage.performed_by, drainage.recorded_by) == (None, nina)
    assert drainage.performer_label == "Dr José Núñez (interventional radiologist)"
    assert drainage.history.first().history_user == nina


def test_a_paracentesis_without_a_volume_is_refused(alice_enrolled, nina):
    with pytest.raises(ValidationError) as refused:
        services.record_procedure(alice_enrolled, performed_at=NOW, performed_by=nina)
    assert list(refused.value.message_dict) == ["volume_ml"]
    assert not Procedure.objects.exists()


def test_a_dry_tap_of_0_ml_is_recorded(alice_enrolled, nina):
    drainage = services.record_procedure(alice_enrolled, performed_at=NOW, volume_ml=0, performed_by=nina)
    assert drainage.volume_ml == 0
    [event] = [e for e in timeline.build(Patient.objects.get(pk=alice_enrolled.pk))["events"] if e.kind == "drainage"]
    assert "0 ml (dry tap)" in event.detail


@pytest.mark.parametrize(("fields", "field"), [
    ({"complication_codes": ["other"]}, "complications"),
    ({"complication_codes": ["none", "pain"]}, "complication_codes"),
    ({"complication_codes": ["swelling"]}, "complication_codes"),
    ({"setting": "car park"}, "setting"),
    ({"performer_name": "Dr Smith"}, "performer_role"),
])
def test_bad_procedure_details_are_refused_on_their_field(alice_enrolled, fields, field):
    with pytest.raises(ValidationError) as refused:
        services.record_procedure(alice_enrolled, performed_at=NOW, volume_ml=1000, **fields)
    assert list(refused.value.message_dict) == [field]


def test_coded_complications_are_shown_in_the_clinics_words(alice_enrolled, nina):
    drainage = services.record_procedure(alice_enrolled, performed_at=NOW, volume_ml=3000, performed_by=nina,
                                         complication_codes=["leak", "other"], complications="Bruising")
    assert drainage.complications_label == "Leak at the puncture site, Bruising"


def test_bereavement_calls_are_not_occurrences_and_nothing_is_planned_for_the_family(alice_enrolled, nina):
    services.record_death(alice_enrolled, died_at=NOW, place="home", source="family", by=nina)
    assert BereavementCall.objects.filter(patient=alice_enrolled).count() == 4
    assert not Reminder.objects.filter(patient=alice_enrolled, state__in=Reminder.UNSENT).exists()
    assert not Occurrence.objects.filter(patient=alice_enrolled, state="scheduled").exists()
