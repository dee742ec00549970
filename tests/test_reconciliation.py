"""Reminders in doubt are settled from the provider's own records (architecture invariant 3).

A worker that stops between handing a message over and recording the answer leaves its row `sending`;
the tick calls it `unknown` and then asks the provider. It is re-sent only where the provider's records
show it never went out; where nobody can say, it stays `unknown` for a nurse.
"""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections

from followup import services
from followup.messaging import delivery, reconcile
from followup.messaging.backends import locmem
from followup.models import Occurrence, Reminder

from . import fake_twilio
from .conftest import at, make_patient

MORNING = "2026-12-01 14:00"  # 09:00 in New York


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after it runs, no handler records anything."""


class DiesAfterHandingOver(locmem.SmsBackend):
    def send(self, message):
        super().send(message)
        raise WorkerKilled()


class DiesBeforeHandingOver(locmem.SmsBackend):
    """Looks at the row as the provider call begins, then dies."""

    at_the_call = []

    def send(self, message):
        row = Reminder.objects.values("handed_to", "handed_over_at", "body_sha256").get(state=Reminder.State.SENDING)
        self.at_the_call.append((message, row))
        raise WorkerKilled()


class TwilioDiesAfterHandingOver(fake_twilio.SmsBackend):
    def send(self, message):
        super().send(message)
        raise WorkerKilled()


class TwilioDiesBeforeHandingOver(fake_twilio.SmsBackend):
    def send(self, message):
        raise WorkerKilled()


def tick(now):
    sent = []
    delivery.dispatch_due_reminders(now=now, enqueue=sent.extend)
    return sent


def send_claimed(ids, now):
    with time_machine.travel(now, tick=False):
        return delivery.send_reminders(ids, now=now)


def due(reminder, when=MORNING):
    Reminder.objects.filter(pk=reminder.pk).update(send_at=at(when), expires_at=at(when) + timedelta(hours=3), due_at=at(when))
    Occurrence.objects.filter(pk=reminder.occurrence_id).update(due_at=at(when), due_date=at(when).date())
    # Planned before it is due, whatever the wall clock says when the suite runs.
    reminder.events.update(at=at(when) - timedelta(days=1))
    reminder.refresh_from_db()
    return reminder


@pytest.fixture
def due_reminder(alice):
    """Alice's check-in reminder, due at MORNING (enrolled the day before, so its "planned" comes first
    whatever the machine's clock says)."""
    with time_machine.travel(at("2026-11-30 12:00"), tick=False):
        services.enrol(alice)
    return due(Reminder.objects.get(patient=alice, purpose=Reminder.Purpose.CHECKIN))


@pytest.fixture
def twilio_api(settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "test-token"
    settings.TWILIO_FROM_NUMBER = "+12025550199"
    fake_twilio.api.reset()
    yield fake_twilio.api
    fake_twilio.api.reset()


def worker_dies_sending(reminder, backend, settings, django_capture_on_commit_callbacks):
    """The tick claims the reminder, a worker takes it and dies where `backend` says. Returns the
    moment a tick next finds it stuck in `sending`."""
    now = at(MORNING) + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        claimed = tick(now)
    assert claimed == [reminder.pk]
    settings.SMS_BACKEND = backend
    with pytest.raises(WorkerKilled):
        send_claimed(claimed, now)
    reminder.refresh_from_db()
    assert reminder.state == Reminder.State.SENDING
    return now + settings.FOLLOWUP_SENDING_TIMEOUT + timedelta(seconds=1)


def states(reminder):
    # In the order they happened (by id): a "planned" event made at the real time of enrolment sorts
    # after the frozen times once the clock passes them.
    return [event.to_state for event in reminder.events.order_by("id")]


@pytest.mark.django_db
class TestHandover:
    def test_what_the_provider_will_see_is_recorded_before_the_call(self, due_reminder, settings, django_capture_on_commit_callbacks):
        DiesBeforeHandingOver.at_the_call.clear()
        worker_dies_sending(due_reminder, "tests.test_reconciliation.DiesBeforeHandingOver", settings, django_capture_on_commit_callbacks)
        [(message, row)] = DiesBeforeHandingOver.at_the_call
        assert row["handed_to"] == message.to == "+12025550101"
        assert row["handed_over_at"] == at(MORNING) + timedelta(minutes=1)
        assert row["body_sha256"] == delivery.body_sha256(message.body)

    def test_twilio_handover_names_the_number_it_comes_from(self, due_reminder, settings, twilio_api, django_capture_on_commit_callbacks):
        worker_dies_sending(due_reminder, "tests.test_reconciliation.TwilioDiesBeforeHandingOver", settings,
                            django_capture_on_commit_callbacks)
        due_reminder.refresh_from_db()
        assert (due_reminder.handed_to, due_reminder.handed_from) == ("+12025550101", "+12025550199")


@pytest.mark.django_db
class TestSettledFromWhatTheBackendHolds:
    def test_text_that_went_out_before_the_worker_died_is_settled_sent_and_not_resent(
            self, due_reminder, sms_outbox, settings, django_capture_on_commit_callbacks):
        later = worker_dies_sending(due_reminder, "tests.test_reconciliation.DiesAfterHandingOver", settings,
                                    django_capture_on_commit_callbacks)
        settings.SMS_BACKEND = "followup.messaging.backends.locmem.SmsBackend"
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(later)
        due_reminder.refresh_from_db()
        assert claimed == []
        assert due_reminder.state == Reminder.State.SENT
        assert due_reminder.provider_id == "locmem-1" and due_reminder.reason == reconcile.SETTLED_SENT
        assert states(due_reminder)[-3:] == ["sending", "unknown", "sent"]
        assert len(sms_outbox) == 1

    def test_text_the_provider_never_got_is_planned_again_and_sent_once(
            self, due_reminder, sms_outbox, settings, django_capture_on_commit_callbacks):
        later = worker_dies_sending(due_reminder, "tests.test_reconciliation.DiesBeforeHandingOver", settings,
                                    django_capture_on_commit_callbacks)
        settings.SMS_BACKEND = "followup.messaging.backends.locmem.SmsBackend"
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(later)  # unknown, reconciled to planned, claimed again: all in one tick
        assert claimed == [due_reminder.pk]
        send_claimed(claimed, later)
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.SENT
        assert [m.key for m in sms_outbox] == [due_reminder.key]
        assert states(due_reminder)[-5:] == ["unknown", "planned", "queued", "sending", "sent"]
        assert reconcile.NEVER_WENT_OUT in due_reminder.events.get(to_state="planned", from_state="unknown").reason

    def test_worker_that_stopped_before_handing_over_leaves_a_row_that_is_simply_sent(
            self, due_reminder, sms_outbox, settings, django_capture_on_commit_callbacks):
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        delivery.take_for_sending(claimed, now)  # won the row, then killed before composing
        later = now + settings.FOLLOWUP_SENDING_TIMEOUT + timedelta(seconds=1)
        with django_capture_on_commit_callbacks(execute=True):
            again = tick(later)
        send_claimed(again, later)
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.SENT and len(sms_outbox) == 1
        assert reconcile.NEVER_HANDED_OVER in due_reminder.events.get(to_state="planned", from_state="unknown").reason

    def test_text_that_never_went_out_and_is_now_too_late_expires_instead(
            self, due_reminder, sms_outbox, settings, django_capture_on_commit_callbacks):
        worker_dies_sending(due_reminder, "tests.test_reconciliation.DiesBeforeHandingOver", settings, django_capture_on_commit_callbacks)
        settings.SMS_BACKEND = "followup.messaging.backends.locmem.SmsBackend"
        with django_capture_on_commit_callbacks(execute=True):
            assert tick(at(MORNING) + timedelta(hours=4)) == []
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.EXPIRED and due_reminder.reason == reconcile.TOO_LATE
        assert sms_outbox == []

    def test_file_backend_answers_from_its_file(self, due_reminder, settings, tmp_path, django_capture_on_commit_callbacks):
        settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
        settings.SMS_BACKEND = "followup.messaging.backends.file.SmsBackend"
        now = at(MORNING) + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        won = delivery.take_for_sending(claimed, now)
        outgoing = delivery._compose(won[0])
        from followup.messaging.backends import file

        delivery.record_handover([(won[0], outgoing)], file.SmsBackend(), now)
        file.SmsBackend().send(outgoing)  # the provider call returned, then the worker was killed
        with django_capture_on_commit_callbacks(execute=True):
            assert tick(now + settings.FOLLOWUP_SENDING_TIMEOUT + timedelta(seconds=1)) == []
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.SENT
        assert (tmp_path / "sms.jsonl").read_text().count(due_reminder.key) == 1

    def test_file_that_is_not_there_answers_nothing_so_the_row_stays_in_doubt(
            self, due_reminder, settings, tmp_path, django_capture_on_commit_callbacks):
        later = worker_dies_sending(due_reminder, "tests.test_reconciliation.DiesBeforeHandingOver", settings,
                                    django_capture_on_commit_callbacks)
        settings.SMS_BACKEND = "followup.messaging.backends.file.SmsBackend"
        settings.SMS_FILE_PATH = str(tmp_path / "wrong-path.jsonl")
        with django_capture_on_commit_callbacks(execute=True):
            assert tick(later) == []
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.UNKNOWN and due_reminder.left_for_nurse_at is None  # asked again next tick

    def test_a_second_round_changes_nothing(self, due_reminder, sms_outbox, settings, django_capture_on_commit_callbacks):
        later = worker_dies_sending(due_reminder, "tests.test_reconciliation.DiesAfterHandingOver", settings,
                                    django_capture_on_commit_callbacks)
        settings.SMS_BACKEND = "followup.messaging.backends.locmem.SmsBackend"
        delivery.expire_and_resolve(later)
        assert reconcile.settle_rows_in_doubt(later) == {"sent": 1}
        events = due_reminder.events.count()
        assert reconcile.settle_rows_in_doubt(later + timedelta(minutes=1)) == {}
        assert due_reminder.events.count() == events

    def test_stale_answer_about_an_earlier_attempt_cannot_move_a_row_sent_since(self, due_reminder, settings, django_capture_on_commit_callbacks):
        """Two ticks asked about the same row; by the time the slow one answers, the row was planned
        again, sent, and is in doubt once more: the old answer must not send it a third time."""
        later = worker_dies_sending(due_reminder, "tests.test_reconciliation.DiesBeforeHandingOver", settings,
                                    django_capture_on_commit_callbacks)
        delivery.expire_and_resolve(later)
        seen = Reminder.objects.get(pk=due_reminder.pk)
        Reminder.objects.filter(pk=seen.pk).update(sending_at=later)  # sent again since, and in doubt again
        assert reconcile._plan_again(seen, reconcile.NEVER_WENT_OUT, later) is None
        assert Reminder.objects.get(pk=seen.pk).state == Reminder.State.UNKNOWN


@pytest.mark.django_db
class TestLeftForANurse:
    def test_email_in_doubt_stays_unknown_for_a_nurse_and_is_not_asked_about_again(
            self, bob, settings, django_capture_on_commit_callbacks):
        with time_machine.travel(at("2026-11-30 12:00"), tick=False):
            services.enrol(bob)
        reminder = Reminder.objects.get(patient=bob, purpose=Reminder.Purpose.CHECKIN)
        now = reminder.send_at + timedelta(minutes=1)
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(now)
        [won] = delivery.take_for_sending(claimed, now)
        delivery.record_handover([(won, delivery._compose(won))], delivery.get_backend(), now)  # then killed
        later = now + settings.FOLLOWUP_SENDING_TIMEOUT + timedelta(seconds=1)
        with django_capture_on_commit_callbacks(execute=True):
            tick(later)
        reminder.refresh_from_db()
        assert reminder.state == Reminder.State.UNKNOWN
        assert reminder.reason == reconcile.EMAIL_CANNOT_TELL and reminder.left_for_nurse_at == later
        assert reminder.handed_to == "bob@example.org"
        assert reconcile.settle_rows_in_doubt(later + timedelta(minutes=1)) == {}

    def test_console_backend_cannot_tell_so_the_text_stays_unknown_for_a_nurse(
            self, due_reminder, settings, django_capture_on_commit_callbacks):
        later = worker_dies_sending(due_reminder, "tests.test_reconciliation.DiesAfterHandingOver", settings,
                                    django_capture_on_commit_callbacks)
        settings.SMS_BACKEND = "followup.messaging.backends.console.SmsBackend"
        with django_capture_on_commit_callbacks(execute=True):
            assert tick(later) == []
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.UNKNOWN and due_reminder.reason == reconcile.BACKEND_CANNOT_TELL


@pytest.mark.django_db
class TestTwilio:
    def test_message_twilio_lists_with_the_same_body_settles_the_row_with_its_sid_and_status(
            self, due_reminder, settings, twilio_api, django_capture_on_commit_callbacks):
        later = worker_dies_sending(due_reminder, "tests.test_reconciliation.TwilioDiesAfterHandingOver", settings,
                                    django_capture_on_commit_callbacks)
        [message] = twilio_api.messages
        message["status"] = "delivered"
        settings.SMS_BACKEND = "tests.fake_twilio.SmsBackend"
        with django_capture_on_commit_callbacks(execute=True):
            assert tick(later) == []
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.DELIVERED and due_reminder.provider_id == message["sid"]
        [listing] = [r for r in twilio_api.requests if r["method"] == "GET"]
        assert listing["params"]["To"] == "+12025550101" and listing["params"]["From"] == "+12025550199"
        assert listing["params"]["DateSent>"].startswith("2026-12-01")
        assert len([r for r in twilio_api.requests if r["method"] == "POST"]) == 1

    def test_no_message_with_that_body_since_the_handover_means_it_never_went_out(
            self, due_reminder, settings, twilio_api, django_capture_on_commit_callbacks):
        later = worker_dies_sending(due_reminder, "tests.test_reconciliation.TwilioDiesBeforeHandingOver", settings,
                                    django_capture_on_commit_callbacks)
        twilio_api.accepted("+12025550101", "Riverside Palliative Care: an older text.", at=at(MORNING) - timedelta(minutes=30))
        twilio_api.accepted("+12025550101", "Riverside Palliative Care: a different text.", at=at(MORNING) + timedelta(minutes=1))
        settings.SMS_BACKEND = "tests.fake_twilio.SmsBackend"
        with django_capture_on_commit_callbacks(execute=True):
            claimed = tick(later)
        assert claimed == [due_reminder.pk]
        send_claimed(claimed, later)
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.SENT
        assert len([r for r in twilio_api.requests if r["method"] == "POST"]) == 1

    def test_twilio_unreachable_leaves_the_row_in_doubt_and_asks_again_at_the_next_tick(
            self, due_reminder, settings, twilio_api, django_capture_on_commit_callbacks):
        later = worker_dies_sending(due_reminder, "tests.test_reconciliation.TwilioDiesAfterHandingOver", settings,
                                    django_capture_on_commit_callbacks)
        settings.SMS_BACKEND = "tests.fake_twilio.SmsBackend"
        twilio_api.down = True
        with django_capture_on_commit_callbacks(execute=True):
            assert tick(later) == []
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.UNKNOWN and due_reminder.left_for_nurse_at is None
        twilio_api.down = False
        with django_capture_on_commit_callbacks(execute=True):
            assert tick(later + timedelta(minutes=1)) == []
        due_reminder.refresh_from_db()
        assert due_reminder.state == Reminder.State.SENT

    def test_the_same_words_sent_to_another_family_on_a_shared_phone_are_not_taken_for_this_one(
            self, due_reminder, riverside, nina, settings, twilio_api, django_capture_on_commit_callbacks):
        jose = make_patient(riverside, "RV-1003", "José", "Núñez", mobile="+12025550101", nurse=nina)  # Alice's landline-turned-mobile
        with time_machine.travel(at("2026-11-30 12:00"), tick=False):
            services.enrol(jose)
        his = due(Reminder.objects.get(patient=jose, purpose=Reminder.Purpose.CHECKIN))
        body = "Riverside Palliative Care: the same words for both households."
        sid = twilio_api.accepted("+12025550101", body, at=at(MORNING) + timedelta(minutes=1))
        Reminder.objects.filter(pk=his.pk).update(state=Reminder.State.SENT, provider_id=sid)  # his went out
        later = worker_dies_sending(due_reminder, "tests.test_reconciliation.TwilioDiesBeforeHandingOver", settings,
                                    django_capture_on_commit_callbacks)
        Reminder.objects.filter(pk=due_reminder.pk).update(body_sha256=delivery.body_sha256(body))
        settings.SMS_BACKEND = "tests.fake_twilio.SmsBackend"
        delivery.expire_and_resolve(later)
        assert reconcile.settle_rows_in_doubt(later) == {"planned": 1}

    def test_no_phone_number_or_text_in_the_logs(self, due_reminder, settings, twilio_api, caplog, django_capture_on_commit_callbacks):
        later = worker_dies_sending(due_reminder, "tests.test_reconciliation.TwilioDiesAfterHandingOver", settings,
                                    django_capture_on_commit_callbacks)
        settings.SMS_BACKEND = "tests.fake_twilio.SmsBackend"
        caplog.set_level("DEBUG")
        with django_capture_on_commit_callbacks(execute=True):
            tick(later)
            twilio_api.down = True
            Reminder.objects.filter(pk=due_reminder.pk).update(state=Reminder.State.UNKNOWN)
            tick(later + timedelta(minutes=1))
        assert "reconciliation" in caplog.text
        assert "2025550101" not in caplog.text and "Riverside" not in caplog.text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent ticks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_ticks_reconciling_at_once_settle_each_row_once_and_resend_only_what_never_went_out(
        riverside, nina, settings, django_capture_on_commit_callbacks):
    """Forty rows in doubt: the provider holds the even ones. Two ticks reconcile at the same moment."""
    from .builders import due_text_reminders

    rows = due_text_reminders(40, clinic=riverside)
    now = rows[0].send_at + timedelta(minutes=1)
    ids = sorted(r.pk for r in rows)
    Reminder.objects.filter(pk__in=ids).update(state=Reminder.State.QUEUED, claimed_at=now)
    won = delivery.take_for_sending(ids, now)
    ready = [(r, delivery._compose(r)) for r in won]
    delivery.record_handover(ready, locmem.SmsBackend(), now)
    for reminder, outgoing in ready:
        if reminder.pk % 2 == 0:
            locmem.SmsBackend().send(outgoing)  # went out; the worker died before recording it
    later = now + settings.FOLLOWUP_SENDING_TIMEOUT + timedelta(seconds=1)
    delivery.expire_and_resolve(later)

    barrier = threading.Barrier(2)
    outcomes = []

    def reconcile_now():
        try:
            barrier.wait()
            outcomes.append(reconcile.settle_rows_in_doubt(later))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reconcile_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = {state: sum(o.get(state, 0) for o in outcomes) for state in ("sent", "planned")}
    assert total == {"sent": 20, "planned": 20}, outcomes
    for reminder in Reminder.objects.filter(pk__in=ids):
        assert reminder.state == (Reminder.State.SENT if reminder.pk % 2 == 0 else Reminder.State.PLANNED)
        assert reminder.events.filter(from_state="unknown").count() == 1
    claimed = []
    delivery.dispatch_due_reminders(now=later, enqueue=claimed.extend)
    with time_machine.travel(later, tick=False):
        delivery.send_reminders(claimed, now=later)
    keys = [m.key for m in locmem.outbox]
    assert sorted(keys) == sorted(r.key for r in Reminder.objects.filter(pk__in=ids)) and len(set(keys)) == 40
    time.sleep(0)


@pytest.mark.django_db
def test_text_that_failed_oddly_a_moment_ago_is_not_asked_about_before_the_sending_timeout(
        due_reminder, settings, twilio_api, django_capture_on_commit_callbacks):
    """Twilio accepted it, then the answer was lost: it may sit in Twilio's queue, not yet listed."""
    settings.SMS_BACKEND = "tests.test_reconciliation.TwilioAnswerLost"
    now = at(MORNING) + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        claimed = tick(now)
    send_claimed(claimed, now)
    due_reminder.refresh_from_db()
    assert due_reminder.state == Reminder.State.UNKNOWN
    twilio_api.messages.clear()  # not listed yet
    settings.SMS_BACKEND = "tests.fake_twilio.SmsBackend"
    assert reconcile.settle_rows_in_doubt(now + timedelta(minutes=1)) == {}
    assert not [r for r in twilio_api.requests if r["method"] == "GET"]


class TwilioAnswerLost(fake_twilio.SmsBackend):
    def send(self, message):
        super().send(message)
        raise RuntimeError("the connection dropped after Twilio accepted the message")
