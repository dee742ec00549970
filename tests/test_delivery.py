"""The delivery pipeline in one process: the tick claims, the send re-checks and sends exactly once."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from followup import services
from followup.messaging import delivery
from followup.messaging.backends import PermanentSmsError, TransientSmsError
from followup.models import Occurrence, Patient, Reminder

from .conftest import at

# Riverside is in New York: 14:00 UTC is 09:00 (EST) in winter, a decent hour.
MORNING = "2026-12-01 14:00"


def tick(now):
    """Run a tick and send in-process what it claimed (the worker's job)."""
    sent = []
    delivery.dispatch_due_reminders(now=now, enqueue=sent.extend)
    return sent


@pytest.fixture
def due_reminder(alice):
    """Alice's check-in reminder, due at MORNING (enrolled the day before, so its "planned" comes first
    whatever the machine's clock says)."""
    with time_machine.travel(at("2026-11-30 12:00"), tick=False):
        services.enrol(alice)
    reminder = Reminder.objects.get(patient=alice, purpose=Reminder.Purpose.CHECKIN)
    Reminder.objects.filter(pk=reminder.pk).update(send_at=at(MORNING), expires_at=at(MORNING) + timedelta(hours=3))
    Occurrence.objects.filter(pk=reminder.occurrence_id).update(due_at=at(MORNING), due_date=at(MORNING).date())
    Reminder.objects.filter(pk=reminder.pk).update(due_at=at(MORNING))
    # Planned before it is due, whatever the wall clock says when the suite runs (after 14:00 UTC on
    # 1 December 2026 the real "now" of enrolment came after MORNING).
    reminder.events.update(at=at(MORNING) - timedelta(days=1))
    reminder.refresh_from_db()
    return reminder


def send_claimed(ids, now):
    with time_machine.travel(now, tick=False):
        return delivery.send_reminders(ids, now=now)


@pytest.mark.django_db
class TestExactlyOnce:
    def test_due_reminder_is_sent_once(self, due_reminder, sms_outbox, django_capture_on_commit_callbacks):
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        assert claimed == [due_reminder.pk]
        assert send_claimed(claimed, now) == 1
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.SENT
        assert [m.to for m in sms_outbox] == ["+12025550101"]
        assert [e.to_state for e in due_reminder.events.all()] == ["planned", "queued", "sending", "sent"]

    def test_second_tick_claims_nothing_already_claimed(self, due_reminder, django_capture_on_commit_callbacks):
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            first = tick(now)
            second = tick(now + timedelta(seconds=5))
        assert first == [due_reminder.pk]
        assert second == []

    def test_redelivered_send_task_sends_once(self, due_reminder, sms_outbox, django_capture_on_commit_callbacks):
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        send_claimed(claimed, now)
        send_claimed(claimed, now + timedelta(seconds=30))  # the broker delivered the task again
        assert len(sms_outbox) == 1

    def test_reminder_not_yet_due_is_not_claimed(self, due_reminder, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            assert tick(at(MORNING) - timedelta(minutes=1)) == []

    def test_lost_task_is_handed_out_again_after_queued_timeout(self, due_reminder, sms_outbox, settings, django_capture_on_commit_callbacks):
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            tick(now)  # the task is lost with a restarted broker: nobody sends
            again = tick(now + settings.FOLLOWUP_QUEUED_TIMEOUT + timedelta(seconds=1))
        assert again == [due_reminder.pk]
        send_claimed(again, now + settings.FOLLOWUP_QUEUED_TIMEOUT + timedelta(seconds=2))
        assert len(sms_outbox) == 1


@pytest.mark.django_db
class TestLastMomentChecks:
    def test_patient_who_died_after_the_claim_gets_nothing(self, due_reminder, nina, sms_outbox, django_capture_on_commit_callbacks):
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        Patient.objects.filter(pk=due_reminder.patient_id).update(status=Patient.Status.DECEASED, status_changed_at=now)
        send_claimed(claimed, now)
        due_reminder.refresh_from_db()
        assert sms_outbox == []
        assert due_reminder.state == Reminder.State.CANCELLED
        assert "deceased" in due_reminder.reason

    def test_recording_death_cancels_a_queued_reminder(self, due_reminder, nina, sms_outbox, django_capture_on_commit_callbacks):
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        services.change_status(due_reminder.patient, Patient.Status.DECEASED, by=nina)
        send_claimed(claimed, now)
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.CANCELLED
        assert sms_outbox == []

    def test_opted_out_patient_gets_nothing(self, due_reminder, sms_outbox, django_capture_on_commit_callbacks):
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        Patient.objects.filter(pk=due_reminder.patient_id).update(opted_out_at=now)
        send_claimed(claimed, now)
        assert sms_outbox == []

    def test_paused_patient_gets_nothing(self, due_reminder, sms_outbox, django_capture_on_commit_callbacks):
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        Patient.objects.filter(pk=due_reminder.patient_id).update(status=Patient.Status.PAUSED, status_changed_at=now)
        send_claimed(claimed, now)
        assert sms_outbox == []

    def test_moved_appointment_reminder_is_not_sent(self, due_reminder, sms_outbox, django_capture_on_commit_callbacks):
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        Occurrence.objects.filter(pk=due_reminder.occurrence_id).update(due_at=at(MORNING) + timedelta(days=2))
        send_claimed(claimed, now)
        due_reminder.refresh_from_db()
        assert sms_outbox == []
        assert due_reminder.state == Reminder.State.CANCELLED

    def test_reminder_past_its_lateness_window_expires_instead_of_going_late(self, due_reminder, sms_outbox, django_capture_on_commit_callbacks):
        late = due_reminder.expires_at + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            assert tick(late) == []
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.EXPIRED
        assert "lateness window" in due_reminder.reason
        assert sms_outbox == []

    def test_claimed_reminder_that_reaches_quiet_hours_waits_for_the_morning(self, enrolled_alice, sms_outbox):
        reminder = Reminder.objects.get(patient=enrolled_alice, purpose=Reminder.Purpose.CHECKIN)
        # 02:00 UTC is 21:00 in New York: quiet hours have begun.
        night = at("2026-12-02 02:00")
        Reminder.objects.filter(pk=reminder.pk).update(state=Reminder.State.QUEUED, send_at=night, expires_at=night + timedelta(hours=14))
        send_claimed([reminder.pk], night)
        reminder.refresh_from_db()
        assert sms_outbox == []
        assert reminder.state == Reminder.State.PLANNED
        assert reminder.send_at == at("2026-12-02 13:00")  # 08:00 in New York


@pytest.mark.django_db
class TestProviderErrors:
    def _fail_with(self, monkeypatch, error):
        from followup.messaging.backends import locmem

        def refuse(self, message):
            raise error

        monkeypatch.setattr(locmem.SmsBackend, "send", refuse)

    def test_transient_error_retries_later_with_backoff(self, due_reminder, monkeypatch, django_capture_on_commit_callbacks):
        self._fail_with(monkeypatch, TransientSmsError("Twilio 20429: temporary failure"))
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        send_claimed(claimed, now)
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.PLANNED
        assert due_reminder.send_at == now + timedelta(minutes=1)
        assert due_reminder.attempts == 1
        assert "Will retry" in due_reminder.reason

    def test_permanent_error_ends_failed_with_reason(self, due_reminder, monkeypatch, django_capture_on_commit_callbacks):
        self._fail_with(monkeypatch, PermanentSmsError("Twilio 21614: 'To' number is not a mobile number"))
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        send_claimed(claimed, now)
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.FAILED
        assert "not a mobile" in due_reminder.reason

    def test_repeated_transient_errors_give_up_after_five_attempts(self, due_reminder, monkeypatch):
        self._fail_with(monkeypatch, TransientSmsError("Twilio unreachable"))
        Reminder.objects.filter(pk=due_reminder.pk).update(
            state=Reminder.State.QUEUED, attempts=4, expires_at=at(MORNING) + timedelta(hours=10))
        send_claimed([due_reminder.pk], at(MORNING) + timedelta(minutes=1))
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.FAILED
        assert due_reminder.reason.startswith("Gave up after 5 attempts")

    def test_backoff_is_capped_at_thirty_minutes(self):
        assert [delivery.backoff(n).seconds // 60 for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]

    def test_worker_that_died_while_sending_without_a_record_of_the_handover_leaves_unknown_never_resent(
            self, due_reminder, sms_outbox, settings, django_capture_on_commit_callbacks):
        """As a row left `sending` by the code before handovers were recorded: nobody can say, so a nurse."""
        now = at(MORNING) + timedelta(minutes=1)
        Reminder.objects.filter(pk=due_reminder.pk).update(state=Reminder.State.SENDING, sending_at=now)
        later = now + settings.FOLLOWUP_SENDING_TIMEOUT + timedelta(seconds=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(later)
        due_reminder.refresh_from_db()
        assert claimed == []
        assert due_reminder.state == Reminder.State.UNKNOWN
        assert "a nurse should check" in due_reminder.reason and due_reminder.left_for_nurse_at == later
        assert sms_outbox == []


@pytest.mark.django_db
def test_email_reminder_has_text_and_html_parts_in_spanish(bob, django_capture_on_commit_callbacks):
    with time_machine.travel(at("2026-11-30 12:00"), tick=False):
        services.enrol(bob)
    reminder = Reminder.objects.get(patient=bob, purpose=Reminder.Purpose.CHECKIN)
    now = reminder.send_at + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        claimed = tick(now)
    send_claimed(claimed, now)
    reminder.refresh_from_db()
    assert reminder.state == Reminder.State.SENT
    [email] = mail.outbox
    assert email.to == ["bob@example.org"]
    assert "su equipo de enfermería" in email.body.lower() and "enfermera" not in email.body
    assert email.alternatives[0][1] == "text/html"
    assert "Riverside Palliative Care" in email.alternatives[0][0]
    assert "Bob" not in email.body and "Baker" not in email.body


@pytest.mark.django_db
def test_caregiver_gets_the_reminder_as_well_as_the_patient(alice, dora, sms_outbox, django_capture_on_commit_callbacks):
    with time_machine.travel(at("2026-11-30 12:00"), tick=False):
        services.enrol(alice)
    checkins = Reminder.objects.filter(patient=alice, purpose=Reminder.Purpose.CHECKIN)
    assert sorted(checkins.values_list("recipient", flat=True)) == [f"caregiver-{dora.pk}", "patient"]
    now = checkins.first().send_at + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        claimed = tick(now)
    send_claimed(claimed, now)
    assert sorted(m.to for m in sms_outbox) == ["+12025550101", "+12025550111"]


@pytest.mark.django_db
def test_dispatch_command_sends_due_reminders_inline(due_reminder, sms_outbox, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    with time_machine.travel(at(MORNING) + timedelta(minutes=1), tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("dispatch_reminders", "--inline")
    due_reminder.refresh_from_db()
    assert due_reminder.state == Reminder.State.SENT
    assert len(sms_outbox) == 1


@pytest.mark.django_db
def test_broker_down_at_the_tick_loses_nothing_and_sends_once_later(due_reminder, sms_outbox, settings, django_capture_on_commit_callbacks):
    def broker_down(ids):
        raise ConnectionError("Redis refused the connection")

    now = at(MORNING) + timedelta(minutes=1)
    with pytest.raises(ConnectionError), django_capture_on_commit_callbacks(execute=True):
        delivery.dispatch_due_reminders(now=now, enqueue=broker_down)
    due_reminder.refresh_from_db()
    assert due_reminder.state == Reminder.State.QUEUED  # claimed, not lost
    back = now + settings.FOLLOWUP_QUEUED_TIMEOUT + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        claimed = tick(back)  # Redis is back, its queue empty: the row is handed out again
        assert tick(back + timedelta(seconds=5)) == []
    send_claimed(claimed, back)
    assert claimed == [due_reminder.pk]
    assert len(sms_outbox) == 1
