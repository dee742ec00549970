"""The patient list and search, enrolling a patient, and the patient page: timeline and charts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followup import services
from followup.models import Alert, InboundMessage, Kind, Patient, Reminder


# --- List and search ------------------------------------------------------------------------------


def test_patient_list_searches_by_name_and_mrn(nurse_client, alice, bob):
    assert list(nurse_client.get(reverse("patients")).context["page"].object_list) == [alice, bob]
    assert list(nurse_client.get(reverse("patients"), {"q": "archer"}).context["page"].object_list) == [alice]
    assert list(nurse_client.get(reverse("patients"), {"q": "RV-1002"}).context["page"].object_list) == [bob]
    assert list(nurse_client.get(reverse("patients"), {"q": "bob baker"}).context["page"].object_list) == [bob]


def test_patient_list_filters_by_status_and_answers_htmx_with_rows(nurse_client, alice, bob):
    services.change_status(bob, "paused")
    response = nurse_client.get(reverse("patients"), {"status": "paused"}, HTTP_HX_REQUEST="true")
    assert list(response.context["page"].object_list) == [bob]
    assert response.content.lstrip().startswith(b'<div id="patient-rows"')


def test_patient_list_pages(nurse_client, riverside):
    Patient.objects.bulk_create(Patient(clinic=riverside, mrn=f"RV-{n:04d}", given_name="Pat", family_name=f"P{n:04d}")
                                for n in range(120))
    page3 = nurse_client.get(reverse("patients"), {"page": "3"})
    assert len(page3.context["page"].object_list) == 20
    assert nurse_client.get(reverse("patients"), {"page": "lots"}).status_code == 200


# --- Enrolment ----------------------------------------------------------------------------------------

NEW_PATIENT = {
    "mrn": "RV-2001", "given_name": "Eve", "family_name": "Evans", "date_of_birth": "1950-04-02", "phase": "stable",
    "time_zone": "America/New_York", "preferred_channel": "sms", "mobile": "+1 202 555 0133", "email": "",
    "language": "es", "consent": "on", "consent_source": "verbal", "interval_count": "14", "interval_unit": "days",
    "first_drainage_on": "",
}


def test_adding_a_patient_enrols_them(nurse_client, riverside, nina):
    response = nurse_client.post(reverse("add_patient"), {**NEW_PATIENT, "clinic": riverside.pk, "nurse": nina.pk})
    eve = Patient.objects.get(mrn="RV-2001")
    assert response["Location"] == reverse("patient", args=[eve.pk])
    assert (eve.clinic, eve.nurse, eve.language, str(eve.mobile)) == (riverside, nina, "es", "+12025550133")
    assert eve.consent_at is not None and eve.consent_source == "verbal"
    drainages = eve.schedules.get(kind=Kind.PARACENTESIS)
    assert (drainages.interval_count, drainages.interval_unit) == (14, "days")
    assert eve.occurrences.filter(state="scheduled").count() == 2


def test_first_drainage_date_can_be_given(nurse_client, riverside):
    day = timezone.localdate() + timedelta(days=5)
    nurse_client.post(reverse("add_patient"), {**NEW_PATIENT, "clinic": riverside.pk, "first_drainage_on": day.isoformat()})
    eve = Patient.objects.get(mrn="RV-2001")
    assert eve.occurrences.get(kind=Kind.PARACENTESIS).due_date == day


@pytest.mark.parametrize("field, value, message", [
    ("mobile", "12345", "Enter a valid phone number (e.g. (201) 555-0123) or a number with an international call prefix."),
    ("time_zone", "Mars/Olympus", "Mars/Olympus is not a known time zone (use a name like Europe/London)."),
    ("interval_count", "0", "The interval must be at least 2 days."),
    ("date_of_birth", "2999-01-01", "The date of birth cannot be in the future."),
    ("mrn", "", "This field is required."),
])
def test_bad_enrolment_input_shows_field_errors_and_keeps_what_was_typed(nurse_client, riverside, field, value, message):
    response = nurse_client.post(reverse("add_patient"), {**NEW_PATIENT, "clinic": riverside.pk, field: value})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert 'value="Evans"' in response.content.decode()
    assert not Patient.objects.filter(family_name="Evans").exists()


def test_duplicate_mrn_is_refused_on_its_field(nurse_client, riverside, alice):
    response = nurse_client.post(reverse("add_patient"), {**NEW_PATIENT, "clinic": riverside.pk, "mrn": alice.mrn})
    assert response.context["form"].errors["mrn"] == ["A patient with this MRN is already enrolled at this clinic."]


def test_consent_needs_a_source(nurse_client, riverside):
    response = nurse_client.post(reverse("add_patient"), {**NEW_PATIENT, "clinic": riverside.pk, "consent_source": ""})
    assert response.context["form"].errors["consent_source"] == ["Say how consent was given (verbal, written form...)."]


# --- Patient page ------------------------------------------------------------------------------------


@pytest.fixture
def alice_with_history(enrolled_alice, dora, nina, riverside):
    now = timezone.now()
    for days_ago, volume in ((40, 5000), (30, 4200), (20, 3900)):
        services.record_procedure(enrolled_alice, performed_at=now - timedelta(days=days_ago), volume_ml=volume, performed_by=nina)
    earlier = services.record_symptom_report(enrolled_alice, scores={"pain": 7, "nausea": 2}, completed_by="patient",
                                             source="web", reported_at=now - timedelta(days=12))
    services.acknowledge_alert(earlier.alert, by=nina, action=Alert.Action.MEDICINES, note="Called, morphine adjusted")
    services.record_symptom_report(enrolled_alice, scores={"pain": 3, "nausea": 2}, completed_by="patient", source="web",
                                   reported_at=now - timedelta(days=10))
    services.record_symptom_report(enrolled_alice, scores={"pain": 8, "nausea": 2}, completed_by="caregiver",
                                   source="web", reported_at=now - timedelta(days=2))
    occurrence = enrolled_alice.occurrences.filter(state="scheduled", kind=Kind.PARACENTESIS).first()
    Reminder.objects.create(occurrence=occurrence, patient=enrolled_alice, caregiver=dora, recipient=f"caregiver-{dora.pk}",
                            channel="sms", purpose="day_before", due_at=occurrence.due_at - timedelta(days=1), send_at=now,
                            expires_at=now, sent_at=now, state=Reminder.State.DELIVERED)
    InboundMessage.objects.create(clinic=riverside, patient=enrolled_alice, provider_id="SMA1", from_number="+12025550101",
                                  body="Feeling tight again", kind="other")
    services.change_status(enrolled_alice, "paused", by=nina, note="In hospital")
    services.change_status(enrolled_alice, "active", by=nina)
    return enrolled_alice


def test_patient_page_timeline(nurse_client, alice_with_history):
    page = nurse_client.get(reverse("patient", args=[alice_with_history.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "3900 ml" in text and "5000 ml" in text
    assert "Symptom report (patient web form)" in text
    assert "Reminder · Day before" in text and "Text message to Dora Archer (caregiver): delivered" in text
    assert "Feeling tight again" in text
    assert "Status: active → paused" in text and "In hospital" in text
    assert "acknowledged by Nina" in text and "Called, morphine adjusted" in text
    timeline = text[text.index('id="timeline-heading"'):text.index('id="intervals-heading"')]
    assert "Feeling tight again" in timeline
    assert "+12025550101" not in timeline and "+12025550111" not in timeline and "555" not in timeline


def test_open_severe_alert_is_shown_with_its_acknowledge_form(nurse_client, alice_with_history):
    page = nurse_client.get(reverse("patient", args=[alice_with_history.pk])).content.decode()
    alerts = page[page.index('id="alerts-heading"'):page.index('id="upcoming-heading"')]
    assert "Severe symptom" in alerts and "Pain 8, was 3: severe, up 5" in alerts
    assert ">Acknowledge</button>" in alerts


def test_symptom_charts_are_svg_with_a_text_alternative_and_a_table(nurse_client, alice_with_history):
    page = nurse_client.get(reverse("patient", args=[alice_with_history.pk])).content.decode()
    assert '<svg class="chart"' in page
    assert 'aria-labelledby="esas-pain-title esas-pain-desc"' in page
    assert "Pain: 3 scores from" in page and "latest 8 of 10 (severe)" in page
    assert "<summary>Scores as a table</summary>" in page
    assert 'style="' not in page and "<script>" not in page


def test_interval_chart_and_suggestion(nurse_client, alice_with_history):
    page = nurse_client.get(reverse("patient", args=[alice_with_history.pk])).content.decode()
    assert "2 intervals between drainages, oldest first: 10 days, 10 days." in page
    assert "Median interval 10 days (14 or less): consider indwelling peritoneal catheter." in page
    assert "Accept suggested interval (10 days)" in page


def test_patient_page_of_a_new_patient_without_history(nurse_client, enrolled_alice):
    page = nurse_client.get(reverse("patient", args=[enrolled_alice.pk]))
    assert page.status_code == 200
    assert b"No symptom report yet." in page.content
    assert b"A suggestion needs at least two drainages." in page.content


def test_unknown_patient_is_404(nurse_client, db):
    assert nurse_client.get(reverse("patient", args=[999999])).status_code == 404


def test_every_field_on_the_patient_page_has_a_unique_id(nurse_client, alice_with_history):
    import re

    page = nurse_client.get(reverse("patient", args=[alice_with_history.pk])).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for target in re.findall(r'<label for="([^"]+)"', page):
        assert target in ids
