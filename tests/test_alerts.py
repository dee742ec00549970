"""One alert per report, compared with the right earlier report; acknowledged once, with what was
done; severe reports out of hours page the on-call contacts; alerts left too long escalate.

Riverside (New York, EST in February: 09:00 is 14:00 UTC) works Monday to Friday 09:00-17:00.
Alice texts; Nina is her nurse; Leo is the clinic's lead; Olga is on call.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from followup import alerts, services
from followup.messaging import delivery
from followup.models import Alert, Kind, Occurrence, OnCallContact, Reminder, SymptomReport
from tests.conftest import at

MONDAY_10 = at("2026-02-09 15:00")
TUESDAY_03 = at("2026-02-10 08:00")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(MONDAY_10 - timedelta(days=3), tick=False)  # Friday: Alice is enrolled
    return time_machine


@pytest.fixture
def patient(clock, alice):
    services.enrol(alice)
    return alice


@pytest.fixture
def olga(riverside):
    return OnCallContact.objects.create(clinic=riverside, name="Olga O'Neill (on call)", mobile="+12025550140",
                                        email="olga@example.org")


def report(patient, moment, clock, source=SymptomReport.Source.WEB, **scores):
    clock.move_to(moment, tick=False)
    name = scores.pop("other_problem_name", "")
    return services.record_symptom_report(patient, scores=scores, completed_by="patient", source=source,
                                          other_problem_name=name)


def lines(alert):
    return [item.summary for item in alert.items.all()]


class TestOneAlertPerReport:
    def test_a_report_flagging_seven_items_is_one_alert(self, patient, clock):
        flagged = report(patient, MONDAY_10, clock, pain=8, tiredness=7, drowsiness=7, nausea=9, lack_of_appetite=7,
                         shortness_of_breath=8, anxiety=7)
        assert Alert.objects.count() == 1
        assert flagged.alert.items.count() == 7

    def test_a_severe_item_that_also_rose_is_one_line(self, patient, clock):
        report(patient, MONDAY_10 - timedelta(days=2), clock, pain=3)
        worse = report(patient, MONDAY_10, clock, pain=8)
        assert lines(worse.alert) == ["Pain 8, was 3: severe, up 5"]

    def test_a_report_flagging_nothing_raises_no_alert(self, patient, clock):
        calm = report(patient, MONDAY_10, clock, pain=2)
        assert not Alert.objects.filter(report=calm).exists()


class TestWorseSinceWhen:
    def test_an_item_is_compared_with_the_last_report_that_scored_it(self, patient, clock):
        report(patient, MONDAY_10 - timedelta(days=2), clock, pain=2)
        report(patient, MONDAY_10 - timedelta(days=1), clock, source=SymptomReport.Source.SMS, nausea=4)
        worse = report(patient, MONDAY_10, clock, pain=6)
        assert lines(worse.alert) == ["Pain 6, was 2: up 4"]

    def test_a_score_older_than_thirty_days_is_not_compared(self, patient, clock):
        report(patient, MONDAY_10 - timedelta(days=31), clock, pain=2)
        later = report(patient, MONDAY_10, clock, pain=6)
        assert not hasattr(later, "alert")

    def test_an_other_problem_named_days_ago_is_not_new(self, patient, clock):
        report(patient, MONDAY_10 - timedelta(days=2), clock, other_problem=3, other_problem_name="Itchy skin")
        report(patient, MONDAY_10 - timedelta(days=1), clock, pain=2)
        again = report(patient, MONDAY_10, clock, other_problem=4, other_problem_name="itchy skin")
        assert not hasattr(again, "alert")

    def test_a_different_other_problem_is_new(self, patient, clock):
        report(patient, MONDAY_10 - timedelta(days=2), clock, other_problem=3, other_problem_name="Itchy skin")
        new = report(patient, MONDAY_10, clock, other_problem=2, other_problem_name="Hiccups")
        assert lines(new.alert) == ["Hiccups 2: new problem"]


class TestAcknowledgement:
    def test_acknowledging_records_who_when_and_what_was_done(self, patient, clock, nina):
        flagged = report(patient, MONDAY_10, clock, pain=8)
        assert services.acknowledge_alert(flagged.alert, by=nina, action=Alert.Action.MEDICINES, note="Dose raised")
        alert = Alert.objects.get(pk=flagged.alert.pk)
        assert (alert.acknowledged_by, alert.acknowledged_at, alert.acknowledgement_action, alert.acknowledgement_note) == (
            nina, MONDAY_10, "medicines_reviewed", "Dose raised")
        assert alert.history.first().history_user == nina

    def test_a_second_acknowledgement_changes_nothing(self, patient, clock, nina, leo):
        flagged = report(patient, MONDAY_10, clock, pain=8)
        services.acknowledge_alert(flagged.alert, by=nina, action=Alert.Action.CALLED)
        assert not services.acknowledge_alert(flagged.alert, by=leo, action=Alert.Action.NO_ACTION)
        assert Alert.objects.get(pk=flagged.alert.pk).acknowledged_by == nina

    def test_an_acknowledgement_without_an_action_is_refused(self, patient, clock, nina):
        flagged = report(patient, MONDAY_10, clock, pain=8)
        with pytest.raises(ValidationError) as refused:
            services.acknowledge_alert(flagged.alert, by=nina, action="")
        assert "action" in refused.value.message_dict

    def test_scores_from_the_nurses_own_call_are_acknowledged_by_that_call(self, patient, clock, nina):
        clock.move_to(MONDAY_10, tick=False)
        own = services.record_symptom_report(patient, scores={"pain": 8}, completed_by="patient", source="nurse_call",
                                             recorded_by=nina, closes_checkin=True)
        alert = own.alert
        assert (alert.acknowledged_by, alert.acknowledgement_action) == (nina, Alert.Action.CALLED)


class TestSevereReportTiming:
    def test_a_severe_report_before_the_working_day_brings_the_checkin_to_that_day(self, patient, clock):
        report(patient, TUESDAY_03, clock, pain=9)
        checkin = Occurrence.objects.get(patient=patient, kind=Kind.CHECKIN, state="scheduled")
        assert checkin.due_at == at("2026-02-10 14:00")  # Tuesday 09:00

    def test_a_severe_report_during_the_day_brings_the_checkin_to_the_next_day(self, patient, clock):
        report(patient, MONDAY_10, clock, pain=9)
        checkin = Occurrence.objects.get(patient=patient, kind=Kind.CHECKIN, state="scheduled")
        assert checkin.due_at == at("2026-02-10 14:00")  # Tuesday 09:00

    def test_a_severe_report_in_the_evening_brings_the_checkin_to_the_next_calendar_day(self, patient, clock):
        report(patient, at("2026-02-10 02:00"), clock, pain=9)  # Monday 21:00
        checkin = Occurrence.objects.get(patient=patient, kind=Kind.CHECKIN, state="scheduled")
        assert checkin.due_at == at("2026-02-10 14:00")


def dispatch(now, clock, django_capture_on_commit_callbacks):
    clock.move_to(now, tick=False)
    claimed = []
    with django_capture_on_commit_callbacks(execute=True):
        delivery.dispatch_due_reminders(now=now, enqueue=claimed.extend)
    return delivery.send_reminders(claimed, now=now)


class TestOnCall:
    def test_a_severe_report_out_of_hours_pages_on_call_once_on_each_channel(
            self, patient, clock, olga, sms_outbox, mailoutbox, django_capture_on_commit_callbacks):
        flagged = report(patient, TUESDAY_03, clock, source=SymptomReport.Source.SMS, pain=9)
        assert dispatch(TUESDAY_03 + timedelta(minutes=1), clock, django_capture_on_commit_callbacks) == 2
        assert dispatch(TUESDAY_03 + timedelta(minutes=2), clock, django_capture_on_commit_callbacks) == 0
        pages = [message for message in sms_outbox if message.to == "+12025550140"]
        assert len(pages) == 1 and len(mailoutbox) == 1
        link = f"/alerts/{flagged.alert.pk}/"
        assert "Riverside Palliative Care" in pages[0].body and link in pages[0].body
        assert link in mailoutbox[0].body and mailoutbox[0].to == ["olga@example.org"]

    def test_the_page_carries_no_patient_details(self, patient, clock, olga, sms_outbox, mailoutbox,
                                                 django_capture_on_commit_callbacks):
        report(patient, TUESDAY_03, clock, source=SymptomReport.Source.SMS, pain=9)
        dispatch(TUESDAY_03 + timedelta(minutes=1), clock, django_capture_on_commit_callbacks)
        texts = [message.body for message in sms_outbox] + [mailoutbox[0].body, mailoutbox[0].subject]
        for text in texts:
            for secret in ("Alice", "Archer", "RV-1001", "Pain", "pain", "9", "+12025550101"):
                assert secret not in text.replace(f"/alerts/{Alert.objects.get().pk}/", "")

    def test_a_severe_report_in_working_hours_pages_nobody(self, patient, clock, olga):
        report(patient, MONDAY_10, clock, source=SymptomReport.Source.SMS, pain=9)
        assert not Reminder.objects.filter(purpose=Reminder.Purpose.ON_CALL).exists()

    def test_a_page_for_an_alert_acknowledged_meanwhile_is_not_sent(self, patient, clock, olga, nina, sms_outbox,
                                                                      django_capture_on_commit_callbacks):
        flagged = report(patient, TUESDAY_03, clock, source=SymptomReport.Source.SMS, pain=9)
        clock.move_to(TUESDAY_03 + timedelta(minutes=1), tick=False)
        claimed = []
        with django_capture_on_commit_callbacks(execute=True):
            delivery.dispatch_due_reminders(now=TUESDAY_03, enqueue=claimed.extend)
        # Queued for a worker; the nurse on call acknowledges from the worklist before it runs.
        Alert.objects.filter(pk=flagged.alert.pk).update(acknowledged_at=TUESDAY_03, acknowledgement_action="called_patient")
        assert delivery.send_reminders(claimed, now=TUESDAY_03 + timedelta(minutes=1)) == 0
        assert set(Reminder.objects.filter(alert=flagged.alert).values_list("state", flat=True)) == {"cancelled"}
        assert not [m for m in sms_outbox if m.to == "+12025550140"]

    def test_a_page_goes_out_whatever_the_patients_consent_quiet_hours_and_caps(
            self, patient, clock, olga, sms_outbox, django_capture_on_commit_callbacks):
        patient.opt_out("SMS STOP")
        patient.save()
        patient.clinic.sms_per_day = 0
        patient.clinic.save()
        report(patient, TUESDAY_03, clock, source=SymptomReport.Source.SMS, pain=9)  # 03:00 is in quiet hours
        assert dispatch(TUESDAY_03 + timedelta(minutes=1), clock, django_capture_on_commit_callbacks) == 2

    def test_a_staff_page_does_not_count_against_the_patients_text_caps(
            self, patient, clock, olga, django_capture_on_commit_callbacks):
        report(patient, TUESDAY_03, clock, source=SymptomReport.Source.SMS, pain=9)
        dispatch(TUESDAY_03 + timedelta(minutes=1), clock, django_capture_on_commit_callbacks)
        checkin_reminder = Reminder.objects.get(patient=patient, purpose=Reminder.Purpose.CHECKIN, state="planned")
        assert dispatch(checkin_reminder.send_at, clock, django_capture_on_commit_callbacks) == 1

    def test_a_page_left_sending_by_a_dead_worker_becomes_unknown_and_is_not_resent(
            self, patient, clock, olga, settings, django_capture_on_commit_callbacks):
        report(patient, TUESDAY_03, clock, source=SymptomReport.Source.SMS, pain=9)
        page = Reminder.objects.get(purpose=Reminder.Purpose.ON_CALL, channel="sms")
        Reminder.objects.filter(pk=page.pk).update(state="sending", sending_at=TUESDAY_03)
        later = TUESDAY_03 + settings.FOLLOWUP_SENDING_TIMEOUT + timedelta(minutes=1)
        dispatch(later, clock, django_capture_on_commit_callbacks)
        page.refresh_from_db()
        assert page.state == "unknown"

    def test_paging_twice_about_one_alert_plans_nothing_more(self, patient, clock, olga):
        flagged = report(patient, TUESDAY_03, clock, source=SymptomReport.Source.SMS, pain=9)
        assert alerts.page_on_call(flagged.alert, TUESDAY_03) == []
        assert Reminder.objects.filter(alert=flagged.alert).count() == 2


class TestEscalation:
    def test_an_alert_unacknowledged_for_four_working_hours_is_escalated_to_the_leads_once(
            self, patient, clock, leo, mailoutbox, django_capture_on_commit_callbacks):
        flagged = report(patient, at("2026-02-09 20:00"), clock, pain=9)  # Monday 15:00
        assert alerts.escalate_due(at("2026-02-10 15:59")) == []  # Tuesday 10:59: 3h59 of working time
        assert [a.pk for a in alerts.escalate_due(at("2026-02-10 16:00"))] == [flagged.alert.pk]
        assert alerts.escalate_due(at("2026-02-10 16:05")) == []
        dispatch(at("2026-02-10 16:01"), clock, django_capture_on_commit_callbacks)
        dispatch(at("2026-02-10 16:02"), clock, django_capture_on_commit_callbacks)
        assert len(mailoutbox) == 1 and mailoutbox[0].to == ["leo@example.org"] and "4 working hours" in mailoutbox[0].subject
        assert Alert.objects.get(pk=flagged.alert.pk).escalated_at == at("2026-02-10 16:00")

    def test_an_acknowledged_alert_is_not_escalated(self, patient, clock, leo, nina):
        flagged = report(patient, MONDAY_10, clock, pain=9)
        services.acknowledge_alert(flagged.alert, by=nina, action=Alert.Action.CALLED)
        assert alerts.escalate_due(MONDAY_10 + timedelta(days=2)) == []

    def test_the_escalation_time_is_a_clinic_setting(self, patient, clock, leo, riverside):
        riverside.escalate_after_working_hours = 1
        riverside.save()
        flagged = report(patient, MONDAY_10, clock, pain=9)
        assert [a.pk for a in alerts.escalate_due(MONDAY_10 + timedelta(hours=1))] == [flagged.alert.pk]
