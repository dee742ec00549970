"""The pages for life events: refusals on the field, with what was typed; the worklist and the
patient page show what the nurse must act on."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from followup import services
from followup.models import Patient, PhaseEpisode, Procedure

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alice_enrolled(alice, dora):
    services.enrol(alice)
    return alice


def test_bereaved_is_refused_on_the_checkin_form_with_a_pointer_to_record_death(nurse_client, alice_enrolled):
    response = nurse_client.post(reverse("log_checkin", args=[alice_enrolled.pk]), {"outcome": "reached", "pain": "4", "phase": "bereaved",
                                                                                   "note": "Spoke with Dora"})
    assert response.status_code == 200
    assert "record death" in response.context["form"].errors["phase"][0].lower()
    assert "Spoke with Dora" in response.content.decode()
    assert not alice_enrolled.symptom_reports.exists()


def test_bereaved_is_refused_on_the_new_patient_form(nurse_client, riverside):
    response = nurse_client.post(reverse("add_patient"), {"clinic": riverside.pk, "mrn": "RV-3001", "given_name": "Ana",
                                                          "family_name": "Núñez", "phase": "bereaved", "time_zone": "America/New_York",
                                                          "preferred_channel": "none", "language": "en"})
    assert response.status_code == 200 and "phase" in response.context["form"].errors


def test_a_death_in_the_future_is_refused_on_the_form_and_keeps_what_was_typed(nurse_client, alice_enrolled):
    response = nurse_client.post(reverse("record_death", args=[alice_enrolled.pk]),
                                 {"died_at": "2026-03-04T08:00", "place": "home", "source": "family", "note": "Told by Dora"})
    assert response.status_code == 200
    assert response.context["form"].errors["died_at"] == ["A death cannot be recorded in the future."]
    text = response.content.decode()
    assert 'value="2026-03-04T08:00"' in text and "Told by Dora" in text and "Record the death of Alice Archer" in text


def test_the_death_form_defaults_to_now_in_the_patients_time(nurse_client, alice_enrolled):
    page = nurse_client.get(reverse("record_death", args=[alice_enrolled.pk]))
    assert 'value="2026-03-02T10:00"' in page.content.decode()


def test_a_pause_review_date_in_the_past_is_refused_on_the_form(nurse_client, alice_enrolled):
    response = nurse_client.post(reverse("pause_patient", args=[alice_enrolled.pk]), {"reason": "respite", "review_on": "2026-02-20"})
    assert response.status_code == 200
    assert response.context["form"].errors["review_on"] == ["The review date cannot be in the past."]
    assert Patient.objects.get(pk=alice_enrolled.pk).status == "active"


def test_resuming_after_an_admission_asks_for_ward_drainages(nurse_client, alice_enrolled):
    services.pause(alice_enrolled, reason="hospital_admission")
    page = nurse_client.get(reverse("resume_patient", args=[alice_enrolled.pk])).content.decode()
    assert "Were drainages done on the ward?" in page
    missing = nurse_client.post(reverse("resume_patient", args=[alice_enrolled.pk]),
                                {"ward_drainages": "yes", "ward_1_at": "2026-03-01T11:00"})
    assert missing.context["form"].errors["ward_1_volume"]
    done = nurse_client.post(reverse("resume_patient", args=[alice_enrolled.pk]),
                             {"ward_drainages": "yes", "ward_1_at": "2026-03-01T11:00", "ward_1_volume": "3900"})
    assert done.status_code == 302
    assert Procedure.objects.get().setting == "hospital"


def test_the_worklist_shows_paused_bereavement_and_phase_to_resolve(nurse_client, alice_enrolled, bob, nina):
    services.pause(alice_enrolled, reason="hospital_admission", by=nina)
    Patient.objects.filter(pk=bob.pk).update(phase="bereaved")  # data from before the rule
    page = nurse_client.get(reverse("worklist")).content.decode()
    assert "Phase to resolve" in page and "Bob Baker" in page
    paused = nurse_client.get(reverse("worklist"), {"filter": "paused"}).content.decode()
    assert "Paused: hospital admission, review" in paused
    assert reverse("resume_patient", args=[alice_enrolled.pk]) in paused and reverse("extend_pause", args=[alice_enrolled.pk]) in paused


def test_a_living_bereaved_phase_is_resolved_by_a_nurse_not_silently(nurse_client, bob):
    Patient.objects.filter(pk=bob.pk).update(phase="bereaved")
    refused = nurse_client.post(reverse("resolve_phase", args=[bob.pk]), {"phase": "bereaved"})
    assert refused.status_code == 200
    nurse_client.post(reverse("resolve_phase", args=[bob.pk]), {"phase": "deteriorating"})
    assert Patient.objects.get(pk=bob.pk).phase == "deteriorating"
    assert PhaseEpisode.objects.get(patient=bob, ended_at__isnull=True).phase == "deteriorating"


def test_the_patient_page_of_a_patient_who_died_shows_the_death_and_the_calls(nurse_client, alice_enrolled, nina):
    services.record_death(alice_enrolled, died_at=NOW, place="inpatient_unit", source="staff", by=nina)
    page = nurse_client.get(reverse("patient", args=[alice_enrolled.pk])).content.decode()
    assert "Bereavement calls" in page and "13 months" in page and "inpatient unit" in page


def test_the_skip_form_asks_why_and_suggests_when_to_look_again(nurse_client, alice_enrolled):
    occurrence = alice_enrolled.occurrences.get(kind="paracentesis", state="scheduled")
    page = nurse_client.get(reverse("skip_occurrence", args=[occurrence.pk])).content.decode()
    assert 'value="2026-03-09"' in page and "Patient declined" in page
    refused = nurse_client.post(reverse("skip_occurrence", args=[occurrence.pk]), {"look_again_on": "2026-03-09", "note": "x"})
    assert "reason" in refused.context["form"].errors


def test_the_drainage_form_records_who_performed_it_apart_from_the_nurse(nurse_client, alice_enrolled, nina):
    response = nurse_client.post(reverse("record_drainage", args=[alice_enrolled.pk]), {
        "performed_at": "2026-03-02T09:00", "volume_ml": "0", "setting": "clinic", "performer_name": "Dr Ng",
        "performer_role": "interventional radiologist", "complication_codes": ["pain"]})
    assert response.status_code == 302
    drainage = Procedure.objects.get()
    assert (drainage.volume_ml, drainage.performed_by, drainage.recorded_by, drainage.complication_codes) == (
        0, None, nina, ["pain"])


def test_a_paracentesis_without_a_volume_is_refused_on_the_form(nurse_client, alice_enrolled):
    response = nurse_client.post(reverse("record_drainage", args=[alice_enrolled.pk]), {"performed_at": "2026-03-02T09:00"})
    assert response.status_code == 200 and "volume_ml" in response.context["form"].errors


def test_the_advisory_answer_and_catheter_pages(nurse_client, alice_enrolled):
    answered = nurse_client.post(reverse("answer_advisory", args=[alice_enrolled.pk]),
                                 {"answer": "not_suitable", "answered_on": "2026-03-02"})
    assert answered.status_code == 302
    placed = nurse_client.post(reverse("place_catheter", args=[alice_enrolled.pk]), {"placed_on": "2026-03-02", "type": "tunnelled"})
    assert placed.status_code == 302
    again = nurse_client.post(reverse("place_catheter", args=[alice_enrolled.pk]), {"placed_on": "2026-03-02", "type": "port"})
    assert again.status_code == 200 and again.context["form"].errors["placed_on"]
    page = nurse_client.get(reverse("patient", args=[alice_enrolled.pk])).content.decode()
    assert "Home drainage" in page and "Log a home drainage" in page
    logged = nurse_client.post(reverse("log_home_drainage", args=[alice_enrolled.pk]),
                               {"performed_at": "2026-03-02T09:30", "volume_ml": "700", "complication_codes": ["none"]})
    assert logged.status_code == 302
    link = nurse_client.post(reverse("issue_drainage_link", args=[alice_enrolled.pk]))
    assert "/d/" in link.content.decode()
