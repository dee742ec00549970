"""seed_demo: synthetic only, idempotent, refuses a production-like setting, gives the worklist
something to show at once and the worker a reminder to send within two minutes, and scales in bulk."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import global_settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Q

from followup import demo, scheduling, services
from followup.models import (
    Alert,
    Caregiver,
    Clinic,
    InboundMessage,
    Membership,
    Occurrence,
    Patient,
    Procedure,
    Reminder,
    SymptomReport,
    User,
)

# 05:30 UTC: night in the Americas and in London, afternoon in Tokyo and Sydney. The clinics'
# own reminder hours (08:00, 09:00, 18:00 local) are far away in every zone that is awake.
SEEDED_AT = datetime(2026, 3, 10, 5, 30, tzinfo=UTC)
# 12:30 UTC: morning in New York, lunchtime in London, night in Los Angeles, Tokyo and Sydney.
MIDDAY_UTC = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
FICTIONAL_PHONE = re.compile(r"^\+120255501\d\d$")


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def everything():
    """How many rows of each kind there are: the idempotence yardstick."""
    return {model.__name__: model.objects.count() for model in (
        Clinic, User, Membership, Patient, Caregiver, Procedure, SymptomReport, Alert, Occurrence, Reminder, InboundMessage)}


def reminders_due_by(moment):
    return Reminder.objects.filter(state=Reminder.State.PLANNED, send_at__lte=moment)


def today_of(patient):
    return scheduling.local_date(SEEDED_AT, patient.zone)


# This test seeds an empty database, so it runs before the module's shared seed below exists.
def test_reminders_go_out_within_two_minutes_at_midday_utc(db):
    assert not Patient.objects.exists()
    with time_machine.travel(MIDDAY_UTC, tick=False):
        seed("--force")
        due = list(reminders_due_by(MIDDAY_UTC + timedelta(minutes=2)).select_related("patient__clinic"))
    assert len(due) >= 2
    for reminder in due:
        allowed_from, allowed_until = reminder.patient.quiet_hours
        assert not scheduling.in_quiet_hours(reminder.send_at, reminder.patient.zone, allowed_from, allowed_until)
        assert reminder.expires_at > MIDDAY_UTC + timedelta(minutes=5)  # still worth sending when the tick comes


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo seeded once for the module (it takes a while), inside a transaction rolled back at
    the end; each test's own transaction nests in it, so what a test adds goes away after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with time_machine.travel(SEEDED_AT, tick=False):
                output = seed("--force")
            yield output
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def at_seed_time(seeded, db):
    with time_machine.travel(SEEDED_AT + timedelta(seconds=5), tick=False):
        yield seeded


def test_force_seeds_with_debug_off(at_seed_time, settings):
    assert settings.DEBUG is False
    assert "Demo data ready: 40 patients added" in at_seed_time
    assert Patient.objects.count() == 40
    assert set(Clinic.objects.values_list("name", "time_zone")) == {
        ("Riverside Palliative Care", "America/New_York"), ("Hillcrest Hospice", "America/Los_Angeles")}


def test_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    before = everything()
    with pytest.raises(CommandError, match="refuses to run with DEBUG off.*--force"):
        seed()
    assert everything() == before


def test_runs_with_debug_on_without_force(at_seed_time, settings):
    settings.DEBUG = True
    assert "Demo data ready: 0 patients added" in seed()


def test_seeding_twice_gives_the_same_counts(at_seed_time):
    before = everything()
    seed("--force")
    assert everything() == before


def test_demo_logins_have_their_roles_and_password(at_seed_time, settings):
    # The shared seed ran outside the test's settings (and their fast test hasher): the real ones.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    roles = {(m.user.username, m.clinic.name, m.role) for m in Membership.objects.select_related("user", "clinic")}
    assert roles == {
        ("nurse", "Riverside Palliative Care", "nurse"), ("lead", "Riverside Palliative Care", "lead"),
        ("nurse2", "Hillcrest Hospice", "nurse"), ("lead2", "Hillcrest Hospice", "lead"),
    }
    for user in User.objects.all():
        assert user.check_password("followup-demo")
    assert list(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == ["lead"]
    assert set(User.objects.filter(is_staff=True).values_list("username", flat=True)) == {"lead", "lead2"}


def test_every_phone_is_fictional_and_every_email_at_example_org(at_seed_time):
    phones = [str(p) for p in Patient.objects.exclude(mobile="").values_list("mobile", flat=True)]
    phones += [str(p) for p in Caregiver.objects.exclude(mobile="").values_list("mobile", flat=True)]
    phones += [str(p) for p in Clinic.objects.values_list("phone", flat=True)]
    phones += list(InboundMessage.objects.values_list("from_number", flat=True))
    assert phones and all(FICTIONAL_PHONE.match(phone) for phone in phones), phones
    emails = [e for model in (Patient, Caregiver, User) for e in model.objects.exclude(email="").values_list("email", flat=True)]
    assert emails and all(email.endswith("@example.org") for email in emails), emails


def test_deceased_paused_and_opted_out_patients_exist(at_seed_time):
    statuses = set(Patient.objects.values_list("status", flat=True))
    assert {"active", "paused", "deceased"} <= statuses
    assert Patient.objects.filter(opted_out_at__isnull=False, status="active").exists()
    for patient in Patient.objects.filter(status__in=["deceased", "discharged"]):
        assert not patient.occurrences.filter(state="scheduled").exists()
        assert not patient.reminders.filter(state__in=Reminder.UNSENT).exists()
    for patient in Patient.objects.filter(Q(status="paused") | Q(opted_out_at__isnull=False)):
        assert not patient.reminders.filter(state__in=Reminder.UNSENT).exists()


def test_worklist_has_overdue_and_due_today_occurrences(at_seed_time):
    open_ones = Occurrence.objects.filter(state="scheduled", patient__status="active").select_related("patient")
    offsets = {(occurrence.due_date - today_of(occurrence.patient)).days for occurrence in open_ones}
    assert min(offsets) < 0
    assert 0 in offsets


def test_some_patients_show_the_catheter_advisory_and_severe_alerts(at_seed_time):
    with_advisory = [p for p in Patient.objects.filter(status="active") if services.catheter_advisory(p)]
    assert len(with_advisory) >= 4
    assert Alert.objects.filter(severe=True, acknowledged_at__isnull=True).exists()


def test_history_is_months_long_with_realistic_volumes(at_seed_time):
    oldest = Procedure.objects.order_by("performed_at").first().performed_at
    assert SEEDED_AT - oldest > timedelta(days=90)
    volumes = Procedure.objects.values_list("volume_ml", flat=True)
    assert all(1000 <= volume <= 6000 for volume in volumes)


def test_reminders_go_out_within_two_minutes_with_tokyo_and_sydney_awake(at_seed_time):
    due = list(reminders_due_by(SEEDED_AT + timedelta(minutes=2)).select_related("patient__clinic"))
    assert len(due) >= 2
    for reminder in due:
        allowed_from, allowed_until = reminder.patient.quiet_hours
        assert not scheduling.in_quiet_hours(reminder.send_at, reminder.patient.zone, allowed_from, allowed_until)
        assert reminder.patient.may_be_messaged and reminder.patient.status == "active"
        assert reminder.occurrence.state == "scheduled" and reminder.due_at == reminder.occurrence.due_at


def test_scale_patients_get_drainages_reports_and_one_open_occurrence_per_series(at_seed_time):
    output = seed("--force", "--patients", "50")
    assert "Scale patients [" in output and "50/50" in output
    scale = Patient.objects.filter(mrn__contains="-S")
    assert scale.count() == 50
    assert set(scale.values_list("clinic__name", flat=True)) == {"Riverside Palliative Care", "Hillcrest Hospice"}

    drainages = Procedure.objects.filter(patient__in=scale).count()
    reports = SymptomReport.objects.filter(patient__in=scale).count()
    assert 450 <= drainages <= 550
    assert 200 <= reports <= 300

    open_per_series = Occurrence.objects.filter(state="scheduled").values("schedule").annotate(n=Count("pk"))
    assert max(row["n"] for row in open_per_series) == 1
    for patient in scale.filter(status="active"):
        assert sorted(patient.occurrences.filter(state="scheduled").values_list("kind", flat=True)) == ["checkin", "paracentesis"]
    for patient in scale.filter(status__in=["deceased", "discharged"]):
        assert not patient.occurrences.filter(state="scheduled").exists()
        assert not patient.schedules.filter(active=True).exists()
    assert Reminder.objects.filter(patient__in=scale, state="planned").exists()
    assert not Reminder.objects.filter(patient__in=scale).exclude(patient__status="active").exists()
    assert all(email.endswith("@example.org") for email in scale.values_list("email", flat=True))

    before = everything()
    seed("--force", "--patients", "50")
    assert everything() == before


def test_scale_alerts_match_their_reports(at_seed_time):
    seed("--force", "--patients", "50")
    for alert in Alert.objects.filter(patient__mrn__contains="-S", severe=True).select_related("report"):
        for item in alert.items.filter(severe=True):
            assert getattr(alert.report, item.item) == item.score >= scheduling.SEVERE_SCORE


def test_negative_patient_count_is_refused(db):
    with pytest.raises(CommandError, match="--patients must be 0 or more"):
        seed("--force", "--patients", "-1")


def test_demo_module_summary_lists_the_logins(at_seed_time):
    assert [row[0] for row in demo.logins()] == ["nurse", "lead", "nurse2", "lead2"]
    assert "Logins (password followup-demo)" in at_seed_time
