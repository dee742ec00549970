"""The database itself refuses bad rows, whatever code writes them (a raw update, bulk_create, the
shell, a future bug). Run on PostgreSQL through scripts/services.py, as CI does; each write that
must fail bypasses full_clean and expects IntegrityError.
"""

import contextlib

import pytest
from django.db import IntegrityError, transaction

from followup import services
from followup.models import ESAS_FIELDS, CareSchedule, Kind, Occurrence, Patient, Procedure, Reminder, SymptomReport
from tests.conftest import at, make_patient

T0 = at("2026-03-02 15:00")


@pytest.fixture
def patient(time_machine, alice):
    time_machine.move_to(T0, tick=False)
    services.enrol(alice)
    return alice


@contextlib.contextmanager
def refused():
    """Expect the database to refuse the write; the savepoint keeps the test's transaction usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


@pytest.fixture
def symptom_report(patient):
    return SymptomReport.objects.create(patient=patient, reported_at=T0, pain=3, completed_by="patient", source="web")


@pytest.fixture
def drainage(patient):
    return Procedure.objects.create(patient=patient, performed_at=at("2026-03-01 15:00"), volume_ml=4000)


def test_the_same_mrn_twice_in_one_clinic_is_refused(alice, riverside):
    with refused():
        make_patient(riverside, "RV-1001", "Alma", "Archer", mobile="+12025550109")


def test_the_same_mrn_in_another_clinic_is_fine(alice, hillcrest):
    other = make_patient(hillcrest, "RV-1001", "Alma", "Archer", mobile="+12025550109")
    assert Patient.objects.filter(mrn="RV-1001").count() == 2
    assert other.clinic == hillcrest


def test_a_series_never_has_two_open_occurrences(patient):
    series = patient.schedules.get(kind=Kind.PARACENTESIS)
    with refused():
        Occurrence.objects.create(schedule=series, patient=patient, kind=series.kind, due_at=at("2026-04-01 13:00"),
                                  due_date="2026-04-01")


def test_a_series_has_one_occurrence_a_day_open_or_not(patient):
    series = patient.schedules.get(kind=Kind.PARACENTESIS)
    with refused():
        Occurrence.objects.create(schedule=series, patient=patient, kind=series.kind, due_at=at("2026-03-23 20:00"),
                                  due_date="2026-03-23", state=Occurrence.State.CANCELLED)


def test_closed_occurrences_on_other_days_are_fine(patient):
    series = patient.schedules.get(kind=Kind.PARACENTESIS)
    Occurrence.objects.create(schedule=series, patient=patient, kind=series.kind, due_at=at("2026-03-01 14:00"),
                              due_date="2026-03-01", state=Occurrence.State.DONE)
    assert series.occurrences.count() == 2


def test_a_patient_has_one_active_series_of_each_kind(patient):
    with refused():
        CareSchedule.objects.create(patient=patient, kind=Kind.PARACENTESIS, interval_count=2, interval_unit="weeks")


@pytest.mark.parametrize("item", ESAS_FIELDS)
def test_an_esas_item_above_ten_is_refused_by_the_database(symptom_report, item):
    with refused():
        SymptomReport.objects.filter(pk=symptom_report.pk).update(**{item: 11})


def test_an_esas_item_below_zero_is_refused_by_the_database(symptom_report):
    with refused():
        SymptomReport.objects.filter(pk=symptom_report.pk).update(nausea=-1)


def test_bulk_created_reports_are_checked_too(patient):
    with refused():
        SymptomReport.objects.bulk_create([
            SymptomReport(patient=patient, reported_at=T0, wellbeing=12, completed_by="patient", source="web"),
        ])


def test_esas_bounds_zero_and_ten_are_stored(symptom_report):
    SymptomReport.objects.filter(pk=symptom_report.pk).update(pain=10, nausea=0)
    symptom_report.refresh_from_db()
    assert (symptom_report.pain, symptom_report.nausea) == (10, 0)


@pytest.mark.parametrize("pps", [15, 110, 5])
def test_pps_outside_its_tens_is_refused(symptom_report, pps):
    with refused():
        SymptomReport.objects.filter(pk=symptom_report.pk).update(pps=pps)


@pytest.mark.parametrize("pps", [0, 50, 100])
def test_pps_in_tens_is_stored(symptom_report, pps):
    SymptomReport.objects.filter(pk=symptom_report.pk).update(pps=pps)
    symptom_report.refresh_from_db()
    assert symptom_report.pps == pps


@pytest.mark.parametrize("volume", [-1, 20001])
def test_a_drained_volume_out_of_range_is_refused(drainage, volume):
    with refused():
        Procedure.objects.filter(pk=drainage.pk).update(volume_ml=volume)


def test_a_dry_tap_of_0_ml_is_stored(drainage):
    Procedure.objects.filter(pk=drainage.pk).update(volume_ml=0)
    drainage.refresh_from_db()
    assert drainage.volume_ml == 0


@pytest.mark.parametrize("volume", [1, 20000, None])
def test_a_drained_volume_in_range_or_blank_is_stored(drainage, volume):
    Procedure.objects.filter(pk=drainage.pk).update(volume_ml=volume)
    drainage.refresh_from_db()
    assert drainage.volume_ml == volume


def test_a_drainage_is_stored_once_per_moment(patient):
    moment = at("2026-03-01 15:00")
    with refused():
        Procedure.objects.bulk_create([
            Procedure(patient=patient, performed_at=moment, volume_ml=4000),
            Procedure(patient=patient, performed_at=moment, volume_ml=4000),
        ])


def test_another_patients_drainage_at_the_same_moment_is_fine(patient, bob):
    moment = at("2026-03-01 15:00")
    Procedure.objects.bulk_create([Procedure(patient=patient, performed_at=moment), Procedure(patient=bob, performed_at=moment)])
    assert Procedure.objects.count() == 2


def test_a_reminder_key_is_unique(patient):
    original = Reminder.objects.filter(patient=patient).first()
    with refused():
        Reminder.objects.create(
            occurrence=original.occurrence, patient=patient, recipient=original.recipient, channel=original.channel,
            purpose=original.purpose, due_at=original.due_at, send_at=original.send_at, expires_at=original.expires_at,
        )


def test_a_reminder_for_a_new_appointment_time_is_a_new_key(patient):
    original = Reminder.objects.filter(patient=patient).first()
    Reminder.objects.create(
        occurrence=original.occurrence, patient=patient, recipient=original.recipient, channel=original.channel,
        purpose=original.purpose, due_at=at("2026-03-25 13:00"), send_at=original.send_at, expires_at=original.expires_at,
    )
    assert Reminder.objects.filter(occurrence=original.occurrence, purpose=original.purpose).count() == 2


def test_a_closed_status_needs_its_time(patient):
    with refused():
        Patient.objects.filter(pk=patient.pk).update(status=Patient.Status.DECEASED)
