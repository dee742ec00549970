"""The Django admin: every model opens, search finds patients by MRN and name, history is read-only,
the delivery record cannot be touched, and staff who are not superusers see only their clinics."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from followup import services
from followup.models import (
    AccessLog,
    CalendarFeed,
    Heartbeat,
    InboundMessage,
    Membership,
    Patient,
    Reminder,
    ReminderEvent,
    SymptomFormLink,
    User,
)

from .conftest import PASSWORD, make_staff

MONDAY_MORNING = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York


@pytest.fixture(autouse=True)
def _monday_morning():
    with time_machine.travel(MONDAY_MORNING, tick=False):
        yield


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.org", PASSWORD)


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def records(enrolled_alice, dora, bob, carmen, nina, riverside):
    """At least one row of every model: Alice's care with a drainage, a severe report, a sent-out
    reminder and a STOP; Bob paused; Carmen enrolled at Hillcrest."""
    services.enrol(carmen)
    services.record_procedure(enrolled_alice, performed_at=timezone.now() - timedelta(days=1), volume_ml=4000,
                              performed_by=nina)
    report = services.record_symptom_report(enrolled_alice, scores={"pain": 8}, completed_by="patient", source="web")
    services.change_status(bob, Patient.Status.PAUSED, by=nina, note="In hospital")
    reminder = Reminder.objects.filter(patient=enrolled_alice).first()
    InboundMessage.objects.create(clinic=riverside, patient=enrolled_alice, provider_id="SM-admin-1",
                                  from_number="+12025550101", body="STOP", kind=InboundMessage.Kind.STOP)
    Heartbeat.beat("dispatch")
    CalendarFeed.objects.create(token="t" * 43, owner=nina)
    SymptomFormLink.objects.create(patient=enrolled_alice, token="s" * 32, expires_at=timezone.now() + timedelta(days=3),
                                   report=report)
    return {"alice": enrolled_alice, "carmen": carmen, "reminder": reminder}


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_of_followup_is_in_the_admin():
    from django.apps import apps

    models = {model for model in apps.get_app_config("followup").get_models() if not model.__name__.startswith("Historical")}
    assert models - set(admin.site._registry) == set()


def test_superuser_opens_every_changelist(root_client, records):
    for model in admin.site._registry:
        response = root_client.get(admin_url(model))
        assert response.status_code == 200, model.__name__


def test_superuser_opens_a_record_of_every_model(root_client, records):
    for model in admin.site._registry:
        record = model._default_manager.first()
        if record is None:
            continue
        response = root_client.get(admin_url(model, "change", record.pk))
        assert response.status_code == 200, model.__name__


def test_patient_history_page_lists_the_changes(root_client, records, nina):
    alice = records["alice"]
    services.change_status(alice, Patient.Status.PAUSED, by=nina)
    response = root_client.get(admin_url(Patient, "history", alice.pk))
    assert response.status_code == 200
    assert "Alice Archer" in response.text
    rows = response.context["page_obj"].object_list
    assert [row.status for row in rows][:2] == ["paused", "active"]
    assert "<strong>Status:</strong>" in response.text


def test_search_by_mrn_finds_the_patient(root_client, records, bob):
    response = root_client.get(admin_url(Patient), {"q": "RV-1001"})
    assert "Archer" in response.text
    assert "Baker" not in response.text


def test_search_of_occurrences_by_patient_name(root_client, records):
    response = root_client.get(admin_url(records["alice"].occurrences.model), {"q": "Cruz"})
    assert response.context["cl"].result_count == records["carmen"].occurrences.count()
    assert all(row.patient == records["carmen"] for row in response.context["cl"].result_list)


@pytest.fixture
def riverside_staff(riverside):
    """A nurse with admin access and permission to view and change patients, at Riverside only."""
    user = make_staff("sam", riverside, Membership.Role.NURSE)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_patient", "change_patient", "add_patient",
                                                                      "view_occurrence"]))
    return user


def test_staff_of_one_clinic_does_not_see_another_clinics_patients(client, records, riverside_staff):
    client.force_login(riverside_staff)
    response = client.get(admin_url(Patient))
    shown = set(response.context["cl"].result_list)
    assert records["alice"] in shown
    assert records["carmen"] not in shown
    assert "Hillcrest" not in response.text  # not even in the clinic filter


def test_staff_of_one_clinic_cannot_open_another_clinics_patient(client, records, riverside_staff):
    client.force_login(riverside_staff)
    carmen = records["carmen"]
    assert client.get(admin_url(Patient, "change", carmen.pk)).status_code == 302  # "does not exist", back to the index
    assert client.get(admin_url(Patient, "history", carmen.pk)).status_code == 404
    version = carmen.history.first().history_id
    assert client.get(reverse("admin:followup_patient_simple_history", args=[carmen.pk, version])).status_code == 404


def test_staff_of_one_clinic_sees_only_their_clinics_occurrences(client, records, riverside_staff):
    client.force_login(riverside_staff)
    response = client.get(admin_url(records["alice"].occurrences.model))
    assert {row.patient for row in response.context["cl"].result_list} == {records["alice"]}


def test_staff_can_only_pick_their_own_clinic_for_a_new_patient(client, records, riverside_staff):
    client.force_login(riverside_staff)
    response = client.get(admin_url(Patient, "add"))
    choices = {clinic.name for clinic in response.context["adminform"].form.fields["clinic"].queryset}
    assert choices == {"Riverside Palliative Care"}


def test_reminders_cannot_be_added_changed_or_deleted(root_client, records):
    reminder = records["reminder"]
    assert root_client.get(admin_url(Reminder, "add")).status_code == 403
    response = root_client.post(admin_url(Reminder, "change", reminder.pk), {"state": "sent"})
    assert response.status_code == 403
    assert root_client.post(admin_url(Reminder, "delete", reminder.pk), {"post": "yes"}).status_code == 403
    reminder.refresh_from_db()
    assert reminder.state == Reminder.State.PLANNED


def test_delivery_record_is_read_only(root_client, records):
    AccessLog.objects.create(username="nina", action=AccessLog.Action.VIEW, what="patient page")
    for model in (Reminder, ReminderEvent, InboundMessage, Heartbeat, AccessLog):
        assert root_client.get(admin_url(model, "add")).status_code == 403, model.__name__
        record = model._default_manager.first()
        response = root_client.get(admin_url(model, "change", record.pk))
        assert response.status_code == 200
        assert 'name="_save"' not in response.text, model.__name__


def test_history_versions_cannot_be_restored(root_client, records):
    alice = records["alice"]
    version = alice.history.last().history_id
    url = reverse("admin:followup_patient_simple_history", args=[alice.pk, version])
    assert root_client.get(url).status_code == 200
    assert root_client.post(url, {"given_name": "Mallory"}).status_code == 403
    alice.refresh_from_db()
    assert alice.given_name == "Alice"


def test_status_cannot_be_changed_in_the_admin(root_client, records):
    alice = records["alice"]
    response = root_client.get(admin_url(Patient, "change", alice.pk))
    assert 'name="status"' not in response.text
    assert "record a death on the patient" in response.text


def test_patient_added_in_the_admin_is_enrolled(root_client, riverside):
    form = {
        "clinic": riverside.pk, "mrn": "RV-7777", "given_name": "Vera", "family_name": "Vance",
        "time_zone": "America/New_York", "phase": "stable", "mobile": "+12025550177", "preferred_channel": "sms",
        "language": "en", "receives_reminders": "on",
    }
    for prefix in ("caregivers", "status_changes"):
        form.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = root_client.post(admin_url(Patient, "add"), form)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    patient = Patient.objects.get(mrn="RV-7777")
    assert set(patient.schedules.filter(active=True).values_list("kind", flat=True)) == {"paracentesis", "checkin"}
    assert patient.occurrences.filter(state="scheduled").count() == 2


def test_admin_index_names_followup_and_links_to_reports(root_client):
    response = root_client.get(reverse("admin:index"))
    assert "Followup administration" in response.text
    assert 'href="/reports/"' in response.text
