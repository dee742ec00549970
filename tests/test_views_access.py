"""Every nurse page is scoped to the user's clinics: another clinic's patient, occurrence, alert,
reminder, message or caregiver is a 404, whether reached by URL (GET) or by a submitted form (POST),
and nothing changes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followup import services
from followup.models import Alert, Caregiver, InboundMessage, Procedure, Reminder, SymptomReport


@pytest.fixture
def carmens_things(carmen, hillcrest):
    services.enrol(carmen)
    report = services.record_symptom_report(carmen, scores={"pain": 9}, completed_by="patient", source="web")
    occurrence = carmen.occurrences.filter(state="scheduled").first()
    reminder = Reminder.objects.create(occurrence=occurrence, patient=carmen, recipient="patient", channel="sms",
                                       purpose="day_before", due_at=occurrence.due_at + timedelta(minutes=1), send_at=timezone.now(),
                                       expires_at=timezone.now(), state=Reminder.State.FAILED)
    message = InboundMessage.objects.create(clinic=hillcrest, patient=carmen, provider_id="SMC1", from_number="+12025550151",
                                            body="Call me", kind="other")
    caregiver = Caregiver.objects.create(patient=carmen, name="Cruz Junior", mobile="+12025550152")
    return {"patient": carmen, "occurrence": occurrence, "alert": report.alert, "reminder": reminder,
            "message": message, "caregiver": caregiver}


PATIENT_URLS = ["patient", "record_drainage", "log_checkin", "change_interval", "edit_contact", "add_caregiver"]
POSTS = {
    "record_drainage": {"performed_at": "2026-01-01T10:00", "volume_ml": "3000"},
    "log_checkin": {"pain": "3"},
    "change_interval": {"count": "10", "unit": "days", "kind": "paracentesis"},
    "edit_contact": {"preferred_channel": "none", "language": "en", "time_zone": "America/New_York"},
    "add_caregiver": {"name": "Intruder", "preferred_channel": "none", "language": "en"},
    "accept_suggested_interval": {},
}


@pytest.mark.parametrize("name", PATIENT_URLS)
def test_another_clinics_patient_page_is_404_by_url(client, nina, carmens_things, name):
    client.force_login(nina)
    assert client.get(reverse(name, args=[carmens_things["patient"].pk])).status_code == 404


@pytest.mark.parametrize("name", sorted(POSTS))
def test_another_clinics_patient_is_404_by_form(client, nina, carmens_things, name):
    carmen = carmens_things["patient"]
    client.force_login(nina)
    before = (Procedure.objects.count(), SymptomReport.objects.count(), Caregiver.objects.count())
    assert client.post(reverse(name, args=[carmen.pk]), POSTS[name]).status_code == 404
    assert (Procedure.objects.count(), SymptomReport.objects.count(), Caregiver.objects.count()) == before
    carmen.refresh_from_db()
    assert carmen.preferred_channel == "sms"


@pytest.mark.parametrize("status", ["paused", "discharged", "deceased"])
def test_another_clinics_patient_status_is_404(client, nina, carmens_things, status):
    carmen = carmens_things["patient"]
    client.force_login(nina)
    url = reverse("change_status", args=[carmen.pk, status])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    carmen.refresh_from_db()
    assert carmen.status == "active"


@pytest.mark.parametrize("name, key, data", [
    ("reschedule_occurrence", "occurrence", {"due_at": "2030-01-01T10:00"}),
    ("skip_occurrence", "occurrence", {}),
    ("acknowledge_alert", "alert", {"note": "seen"}),
    ("acknowledge_reminder", "reminder", {}),
    ("mark_message_handled", "message", {}),
    ("edit_caregiver", "caregiver", {"name": "Changed", "preferred_channel": "none", "language": "en"}),
])
def test_another_clinics_objects_are_404_by_url_and_by_form(client, nina, carmens_things, name, key, data):
    client.force_login(nina)
    url = reverse(name, args=[carmens_things[key].pk])
    if name not in ("acknowledge_reminder", "mark_message_handled"):
        assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    assert carmens_things["occurrence"].__class__.objects.get(pk=carmens_things["occurrence"].pk).state == "scheduled"
    assert Alert.objects.get(pk=carmens_things["alert"].pk).acknowledged_at is None
    assert Reminder.objects.get(pk=carmens_things["reminder"].pk).acknowledged_at is None
    assert InboundMessage.objects.get(pk=carmens_things["message"].pk).handled_at is None
    assert Caregiver.objects.get(pk=carmens_things["caregiver"].pk).name == "Cruz Junior"


def test_another_clinics_patient_is_not_in_search(client, nina, alice, carmen):
    client.force_login(nina)
    response = client.get(reverse("patients"), {"q": "Cruz"})
    assert list(response.context["page"].object_list) == []
    response = client.get(reverse("patients"), {"q": "HC-2001"})
    assert list(response.context["page"].object_list) == []


def test_a_patient_cannot_be_added_to_another_clinic(client, nina, hillcrest):
    client.force_login(nina)
    response = client.post(reverse("add_patient"), {
        "clinic": hillcrest.pk, "mrn": "HC-9999", "given_name": "Eve", "family_name": "Evans", "phase": "stable",
        "time_zone": "America/Los_Angeles", "preferred_channel": "none", "language": "en", "interval_unit": "days",
    })
    assert response.status_code == 200
    assert "clinic" in response.context["form"].errors
    assert not hillcrest.patients.exists()
