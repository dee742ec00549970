"""Adherence: expected self-reports against completed ones, and two missed in a row followed up."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from followup import adherence, call_list, services
from followup.models import Occurrence, Patient, SymptomReport

from .conftest import PASSWORD, at

ENROLLED = "2026-03-02 15:00"  # a Monday, 10:00 in New York


def report(patient, moment, source=SymptomReport.Source.WEB):
    with time_machine.travel(at(moment), tick=False):
        return services.record_symptom_report(patient, scores={"pain": 2}, completed_by="patient", source=source)


@pytest.fixture
def enrolled(alice):
    with time_machine.travel(at(ENROLLED), tick=False):
        services.enrol(alice)
    return alice


@pytest.mark.django_db
class TestExpectedAndCompleted:
    def test_one_self_report_a_week_is_expected_by_default(self, enrolled):
        assert adherence.for_patient(enrolled, at(ENROLLED)).every_days == 7

    def test_completed_against_expected_counts_weeks_with_a_self_report(self, enrolled):
        report(enrolled, "2026-03-04 15:00")  # week 1
        report(enrolled, "2026-03-05 15:00")  # week 1 again: still one
        report(enrolled, "2026-03-18 15:00")  # week 3 by text, it counts
        figures = adherence.for_patient(enrolled, at("2026-03-30 15:00"))
        assert (figures.expected, figures.completed) == (4, 2)
        assert figures.share == 50.0

    def test_a_nurse_call_report_is_not_a_self_report(self, enrolled):
        report(enrolled, "2026-03-04 15:00", source=SymptomReport.Source.NURSE_CALL)
        assert adherence.for_patient(enrolled, at("2026-03-10 15:00")).completed == 0

    def test_a_keypad_report_by_phone_is_a_self_report(self, enrolled):
        report(enrolled, "2026-03-04 15:00", source=SymptomReport.Source.PHONE)
        assert adherence.for_patient(enrolled, at("2026-03-10 15:00")).completed == 1

    def test_daily_nurse_calls_never_shorten_the_self_report_cadence_below_weekly(self, enrolled, riverside):
        Patient.objects.filter(pk=enrolled.pk).update(phase=Patient.Phase.TERMINAL)  # check-ins every day
        enrolled.refresh_from_db()
        assert adherence.for_patient(enrolled, at("2026-03-16 15:00")).expected == 2

    def test_the_clinic_setting_refuses_a_cadence_shorter_than_weekly(self, riverside):
        riverside.self_report_every_days = 3
        with pytest.raises(ValidationError) as refused:
            riverside.full_clean()
        assert "self_report_every_days" in refused.value.message_dict

    def test_a_clinic_may_expect_one_every_two_weeks(self, enrolled, riverside):
        riverside.self_report_every_days = 14
        riverside.save(update_fields=["self_report_every_days"])
        enrolled.clinic.refresh_from_db()
        assert adherence.for_patient(enrolled, at("2026-03-30 15:00")).expected == 2

    def test_nothing_is_expected_after_the_patient_died(self, enrolled, nina):
        with time_machine.travel(at("2026-03-12 15:00"), tick=False):
            services.change_status(enrolled, Patient.Status.DECEASED, by=nina)
        enrolled.refresh_from_db()
        assert adherence.for_patient(enrolled, at("2026-05-01 15:00")).expected == 1


@pytest.mark.django_db
class TestTwoMissedInARow:
    def test_two_expected_self_reports_missed_in_a_row_plan_a_nurse_call_and_flag_the_patient(self, enrolled):
        checkin = Occurrence.objects.get(patient=enrolled, kind="checkin", state="scheduled")
        Occurrence.objects.filter(pk=checkin.pk).update(due_at=at("2026-03-25 14:00"), due_date=date(2026, 3, 25))
        now = at("2026-03-17 15:00")  # two whole weeks since enrolment, no self-report
        with time_machine.travel(now, tick=False):
            flagged = adherence.follow_up_missed_reports(now)
        assert [patient.pk for patient in flagged] == [enrolled.pk]
        enrolled.refresh_from_db()
        assert enrolled.self_reports_missed_at == now
        checkin.refresh_from_db()
        assert checkin.due_date == date(2026, 3, 17) and "missed in a row: nurse call" in checkin.note

    def test_one_missed_report_is_not_yet_followed_up(self, enrolled):
        now = at("2026-03-10 15:00")
        with time_machine.travel(now, tick=False):
            assert adherence.follow_up_missed_reports(now) == []

    def test_a_patient_is_flagged_once_however_many_ticks_run(self, enrolled):
        now = at("2026-03-17 15:00")
        with time_machine.travel(now, tick=False):
            adherence.follow_up_missed_reports(now)
            assert adherence.follow_up_missed_reports(now + timedelta(minutes=1)) == []

    def test_the_next_self_report_clears_the_flag(self, enrolled):
        now = at("2026-03-17 15:00")
        with time_machine.travel(now, tick=False):
            adherence.follow_up_missed_reports(now)
        report(enrolled, "2026-03-17 18:00")
        with time_machine.travel(at("2026-03-17 19:00"), tick=False):
            adherence.follow_up_missed_reports(at("2026-03-17 19:00"))
        enrolled.refresh_from_db()
        assert enrolled.self_reports_missed_at is None

    def test_the_flagged_patient_is_on_the_worklist_and_the_patient_page_shows_adherence(self, client, enrolled, nina):
        report(enrolled, "2026-03-03 15:00")
        now = at("2026-03-24 15:00")
        with time_machine.travel(now, tick=False):
            adherence.follow_up_missed_reports(now)
            client.login(username="nina", password=PASSWORD)
            worklist = client.get("/")
            chip = client.get("/", {"filter": "self_reports"})
            page = client.get(f"/patients/{enrolled.pk}/").content.decode()
        [row] = [row for row in worklist.context["calls"].rows if row.patient == enrolled]
        assert "Self-reports missed" in [flag.label for flag in row.flags]
        assert row.urgency <= call_list.TODAY  # the planned nurse call is today's work (or more urgent)
        assert [row.patient for row in chip.context["calls"].rows] == [enrolled]
        assert "Self-reports missed" in chip.content.decode()
        assert "<strong>1 of 3</strong> expected self-reports completed" in page


@pytest.mark.django_db
def test_reports_show_adherence_per_clinic_and_month(client, enrolled, leo, riverside):
    report(enrolled, "2026-03-04 15:00")
    rows = adherence.per_clinic_month([riverside], date(2026, 3, 1), date(2026, 4, 30), now=at("2026-04-20 15:00"))
    assert [(clinic.name, month, expected, completed) for clinic, month, expected, completed, _ in rows] == [
        ("Riverside Palliative Care", date(2026, 3, 1), 4, 1), ("Riverside Palliative Care", date(2026, 4, 1), 3, 0)]
    client.login(username="leo", password=PASSWORD)
    with time_machine.travel(at("2026-04-20 15:00"), tick=False):
        page = client.get("/reports/symptoms/?start=2026-03-01&end=2026-04-30").content.decode()
    assert "Self-reports completed against expected, per clinic and month" in page
    assert "PRO-TECT completed 91%" in page


@pytest.mark.django_db
def test_the_tick_follows_up_missed_reports_at_most_once_an_hour(enrolled):
    now = at("2026-03-17 15:00")
    assert [p.pk for p in adherence.follow_up_when_due(now)] == [enrolled.pk]
    Patient.objects.filter(pk=enrolled.pk).update(self_reports_missed_at=None)
    assert adherence.follow_up_when_due(now + timedelta(minutes=30)) is None
    assert [p.pk for p in adherence.follow_up_when_due(now + timedelta(hours=1))] == [enrolled.pk]
