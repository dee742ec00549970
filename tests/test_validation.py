"""Bad input gets a clear message on the field it concerns (model full_clean, as forms and the API use it)."""

import pytest
from django.core.exceptions import ValidationError

from followup import services
from followup.models import CareSchedule, Kind, Patient, Procedure, SymptomReport
from tests.conftest import CONSENTED, at

T0 = at("2026-03-02 15:00")


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def errors(instance, **kwargs):
    with pytest.raises(ValidationError) as refused:
        instance.full_clean(**kwargs)
    return refused.value.message_dict


def new_patient(riverside, **fields):
    values = dict(clinic=riverside, mrn="RV-1009", given_name="Ida", family_name="Irving", time_zone="America/New_York",
                  mobile="+12025550109", preferred_channel="sms", consent_at=CONSENTED)
    values.update(fields)
    return Patient(**values)


def report(patient, **fields):
    return SymptomReport(patient=patient, reported_at=T0, completed_by="patient", source="web", **fields)


def test_a_well_formed_patient_passes(riverside):
    new_patient(riverside).full_clean()


def test_an_esas_item_of_eleven_says_ten_is_the_most(alice):
    assert errors(report(alice, pain=11)) == {"pain": ["Ensure this value is less than or equal to 10."]}


def test_an_esas_item_of_ten_is_fine(alice):
    report(alice, wellbeing=10).full_clean()


def test_a_scored_other_problem_needs_its_name(alice):
    assert errors(report(alice, other_problem=5)) == {"other_problem_name": ["Name the other problem that was scored."]}


def test_pps_goes_in_tens(alice):
    assert errors(report(alice, pps=45)) == {"pps": ["PPS goes in steps of 10 (0, 10, ... 100)."]}


def test_a_volume_of_minus_one_ml_is_refused(alice):
    drainage = Procedure(patient=alice, performed_at=at("2026-03-01 15:00"), volume_ml=-1)
    assert errors(drainage) == {"volume_ml": ["Ensure this value is greater than or equal to 0."]}


def test_a_volume_over_twenty_litres_is_refused(alice):
    drainage = Procedure(patient=alice, performed_at=at("2026-03-01 15:00"), volume_ml=25000)
    assert errors(drainage) == {"volume_ml": ["Ensure this value is less than or equal to 20000."]}


def test_a_procedure_dated_in_the_future_is_refused(alice):
    drainage = Procedure(patient=alice, performed_at=at("2026-03-03 15:00"), volume_ml=4000)
    assert errors(drainage) == {"performed_at": ["A procedure cannot be recorded in the future."]}


def test_the_same_drainage_twice_is_refused(alice):
    Procedure.objects.create(patient=alice, performed_at=at("2026-03-01 15:00"), volume_ml=4000)
    again = Procedure(patient=alice, performed_at=at("2026-03-01 15:00"), volume_ml=4000)
    assert errors(again) == {"__all__": ["Procedure with this Patient, Kind of care and Performed at already exists."]}


def test_the_same_drainage_twice_through_the_service_names_the_field(alice, nina):
    services.enrol(alice)
    services.record_procedure(alice, performed_at=at("2026-03-01 15:00"), performed_by=nina, volume_ml=4000)
    with pytest.raises(ValidationError) as refused:
        services.record_procedure(alice, performed_at=at("2026-03-01 15:00"), performed_by=nina, volume_ml=4000)
    assert refused.value.message_dict == {"performed_at": ["This drainage is already recorded for that moment."]}
    assert alice.procedures.count() == 1


def test_an_interval_of_zero_days_is_refused(alice):
    series = CareSchedule(patient=alice, kind=Kind.PARACENTESIS, interval_count=0, interval_unit="days")
    assert "The interval must be at least 2 days." in errors(series)["interval_count"]


def test_an_interval_of_one_day_is_refused(alice):
    series = CareSchedule(patient=alice, kind=Kind.PARACENTESIS, interval_count=1, interval_unit="days")
    assert errors(series) == {"interval_count": ["The interval must be at least 2 days."]}


def test_an_interval_of_seven_months_is_refused(alice):
    series = CareSchedule(patient=alice, kind=Kind.PARACENTESIS, interval_count=7, interval_unit="months")
    assert errors(series) == {"interval_count": ["The interval can be at most 6 months."]}


def test_a_daily_checkin_by_phase_is_not_held_to_the_drainage_bounds(alice):
    CareSchedule(patient=alice, kind=Kind.CHECKIN, interval_count=1, interval_unit="days", cadence_by_phase=True).full_clean()


def test_a_landline_is_not_a_mobile(riverside):
    # +44 20 7946 0018: a London landline from the range reserved for drama.
    assert errors(new_patient(riverside, mobile="+442079460018")) == {
        "mobile": ["This is not a mobile number; text messages need a mobile."]}


def test_a_number_that_is_not_a_number_is_refused(riverside):
    assert "mobile" in errors(new_patient(riverside, mobile="+1 202 555"))


def test_sms_reminders_need_a_mobile(riverside):
    assert errors(new_patient(riverside, mobile="")) == {"mobile": ["A mobile number is needed for text reminders."]}


def test_an_unknown_time_zone_is_refused(riverside):
    assert errors(new_patient(riverside, time_zone="Mars/Olympus_Mons")) == {
        "time_zone": ["Mars/Olympus_Mons is not a known time zone (use a name like Europe/London)."]}


def test_quiet_hours_must_leave_part_of_the_day(riverside):
    from datetime import time

    patient = new_patient(riverside, quiet_hours_end=time(21, 0), quiet_hours_start=time(8, 0))
    assert errors(patient) == {"quiet_hours_start": [
        "Messages must be allowed for part of the day: the evening time must come after the morning time."]}


def test_the_same_mrn_twice_in_a_clinic_is_refused(riverside, alice):
    assert errors(new_patient(riverside, mrn="RV-1001")) == {"__all__": ["Patient with this Clinic and MRN already exists."]}
