"""Reminder delivery: states by channel and week, skipped by reason, opt-outs, and the
confirmation rate of drainage reminders, against hand-built reminders in explicit states."""

from datetime import date, timedelta
from itertools import count

import pytest

from followup.models import CareSchedule, EmailAddress, Kind, Occurrence, Reminder
from followup.reports import queries
from followup.reports.queries import Scope

from .conftest import at, opt_out_number

S = Reminder.State
CAP_DAY = "Text cap: at most 1 automated text a day."
CAP_WEEK = "Text cap: at most 3 automated texts a week."
_minutes = count()


def occurrence_for(patient):
    """A drainage the reminders belong to (they are counted by their own send time, not its date)."""
    schedule, _ = CareSchedule.objects.get_or_create(patient=patient, kind=Kind.PARACENTESIS, active=True)
    occurrence, _ = Occurrence.objects.get_or_create(schedule=schedule, due_date=date(2026, 4, 1), defaults=dict(
        patient=patient, kind=Kind.PARACENTESIS, due_at=at("2026-04-01 13:00"), state=Occurrence.State.DONE))
    return occurrence


def remind(occurrence, send_at, state, *, channel="sms", purpose="day_before", reason="", sent=False, confirmed=False):
    """A reminder in an explicit state. Each gets its own appointment time so the unique key holds."""
    send = at(send_at)
    return Reminder.objects.create(
        occurrence=occurrence, patient=occurrence.patient, recipient="patient", channel=channel, purpose=purpose,
        due_at=send + timedelta(days=1, minutes=next(_minutes)), send_at=send, expires_at=send + timedelta(hours=3),
        state=state, reason=reason, sent_at=send if sent else None, confirmed_at=send + timedelta(hours=1) if confirmed else None,
    )


@pytest.fixture
def reminders(alice, bob):
    """Week of 2 March: Alice by text - 2 delivered, 1 sent, 1 failed, 1 unknown, 1 expired,
    2 skipped by the caps, 1 cancelled; Bob by e-mail - 1 sent, 1 delivered. Week of 9 March:
    Alice 2 planned, 1 queued. One in February is outside the range."""
    texts, mails = occurrence_for(alice), occurrence_for(bob)
    for state, sent in [(S.DELIVERED, True), (S.DELIVERED, True), (S.SENT, True), (S.FAILED, True), (S.UNKNOWN, False),
                        (S.EXPIRED, False), (S.CANCELLED, False)]:
        remind(texts, "2026-03-03 14:00", state, sent=sent)
    remind(texts, "2026-03-04 14:00", S.SKIPPED, reason=CAP_DAY)
    remind(texts, "2026-03-05 14:00", S.SKIPPED, reason=CAP_WEEK)
    remind(mails, "2026-03-03 14:00", S.SENT, channel="email", sent=True)
    remind(mails, "2026-03-04 14:00", S.DELIVERED, channel="email", sent=True)
    for state in (S.PLANNED, S.PLANNED, S.QUEUED):
        remind(texts, "2026-03-10 14:00", state)
    remind(texts, "2026-02-20 14:00", S.DELIVERED, sent=True)


def march(clinic, period="week"):
    return Scope((clinic,), date(2026, 3, 1), date(2026, 3, 15), period)


def test_states_by_week_and_channel(riverside, reminders):
    found = [(period, channel, counts, total) for period, channel, counts, total in queries.reminders_per_period(march(riverside))]
    zero = dict.fromkeys(["planned", "sending", "sent", "delivered", "failed", "unknown", "expired", "skipped", "cancelled"], 0)
    assert found == [
        (date(2026, 3, 2), "email", {**zero, "sent": 1, "delivered": 1}, 2),
        (date(2026, 3, 2), "sms", {**zero, "sent": 1, "delivered": 2, "failed": 1, "unknown": 1, "expired": 1, "skipped": 2,
                                   "cancelled": 1}, 9),
        (date(2026, 3, 9), "sms", {**zero, "planned": 2, "sending": 1}, 3),
    ]


def test_skipped_by_reason(riverside, reminders):
    assert queries.skipped_by_reason(march(riverside)) == [(CAP_DAY, "sms", 1), (CAP_WEEK, "sms", 1)]


def test_opt_outs_in_the_range_by_week_and_how(riverside, alice, bob, dora):
    opt_out_number(alice, at("2026-03-03 16:00"))
    opt_out_number(dora, at("2026-03-04 16:00"))
    EmailAddress.objects.create(address="bob@example.org", token="t" * 32, unsubscribed_at=at("2026-02-01 16:00"),
                                unsubscribed_source="nurse")  # before the range
    assert queries.opt_outs_per_period(march(riverside)) == [(date(2026, 3, 2), "SMS STOP", 1, 1)]


@pytest.fixture
def drainage_reminders(alice):
    """Four drainage reminders went out (day before and morning of), one confirmed; one not sent
    yet; one check-in reminder confirmed (not a drainage reminder)."""
    texts = occurrence_for(alice)
    remind(texts, "2026-03-03 14:00", S.DELIVERED, sent=True, confirmed=True)
    remind(texts, "2026-03-03 14:00", S.DELIVERED, purpose="morning_of", sent=True)
    remind(texts, "2026-03-10 14:00", S.SENT, sent=True)
    remind(texts, "2026-03-11 14:00", S.FAILED, sent=True)
    remind(texts, "2026-03-12 14:00", S.PLANNED)
    remind(texts, "2026-03-12 14:00", S.DELIVERED, purpose="checkin", sent=True, confirmed=True)


def test_confirmation_rate_is_confirmed_over_sent_drainage_reminders(riverside, drainage_reminders):
    assert queries.confirmations_per_period(march(riverside)) == [
        (date(2026, 2, 23), 0, 0, None),  # nothing to divide by: blank, not 0 %
        (date(2026, 3, 2), 2, 1, 50.0),
        (date(2026, 3, 9), 2, 0, 0.0),
        (None, 4, 1, 25.0),  # the whole range
    ]


def test_page_shows_every_table_and_the_delivery_chart(client, leo, reminders, drainage_reminders):
    client.force_login(leo)
    body = client.get("/reports/reminders/", {"start": "2026-03-01", "end": "2026-03-15"}).content.decode()
    for table in ("table-reminders", "table-skipped", "table-confirmations"):
        assert f'id="{table}"' in body
    assert "Nobody opted out of messages in this range." in body  # the fourth table is empty
    assert CAP_WEEK in body
    assert 'aria-labelledby="reminder-chart-title reminder-chart-desc"' in body
    assert "Stacked: Delivered, Sent, no receipt yet, Failed, unknown or expired, Skipped, Cancelled, Planned." in body


def test_monthly_view(riverside, reminders):
    rows = queries.reminders_per_period(march(riverside, "month"))
    assert [(period, channel, total) for period, channel, _, total in rows] == [
        (date(2026, 3, 1), "email", 2), (date(2026, 3, 1), "sms", 12)]
