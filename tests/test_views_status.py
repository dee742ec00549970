"""Pause, resume, discharge and death, each behind a confirmation page that says what will be
cancelled."""

from django.urls import reverse

from followup.models import Occurrence, Reminder, StatusChange


def test_the_death_form_says_what_will_be_cancelled(nurse_client, enrolled_alice):
    unsent = enrolled_alice.reminders.filter(state__in=Reminder.UNSENT).count()
    assert unsent > 0
    # The old status URL leads to the death form.
    page = nurse_client.get(reverse("change_status", args=[enrolled_alice.pk, "deceased"]), follow=True)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Record the death of Alice Archer" in text
    assert "Drainage (paracentesis) due" in text and "Check-in call due" in text
    assert f"{unsent} reminder{'s' if unsent != 1 else ''} not yet sent" in text
    assert "This cannot be undone." in text
    # Nothing happens on the way to the form.
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.status == "active"


DEATH = {"died_at": "2026-03-01T06:30", "place": "home", "source": "family", "note": "Died at home"}


def test_recording_a_death_cancels_everything(nurse_client, enrolled_alice, nina):
    response = nurse_client.post(reverse("record_death", args=[enrolled_alice.pk]), DEATH)
    assert response.status_code == 302
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.status == "deceased"
    assert not enrolled_alice.occurrences.filter(state=Occurrence.State.SCHEDULED).exists()
    assert not enrolled_alice.reminders.filter(state__in=Reminder.UNSENT).exists()
    change = StatusChange.objects.get(patient=enrolled_alice)
    assert (change.to_status, change.by, change.note) == ("deceased", nina, "Died at home")
    page = nurse_client.get(reverse("patient", args=[enrolled_alice.pk])).content.decode()
    assert "Mark discharged" not in page and "Record a drainage" not in page


def test_pause_keeps_occurrences_and_resume_plans_reminders_again(nurse_client, enrolled_alice):
    page = nurse_client.get(reverse("change_status", args=[enrolled_alice.pk, "paused"]), follow=True).content.decode()
    assert "Scheduled events stay" in page
    nurse_client.post(reverse("pause_patient", args=[enrolled_alice.pk]), {"reason": "hospital_admission"})
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.status == "paused"
    assert enrolled_alice.occurrences.filter(state=Occurrence.State.SCHEDULED).count() == 2
    assert not enrolled_alice.reminders.filter(state__in=Reminder.UNSENT).exists()
    nurse_client.post(reverse("resume_patient", args=[enrolled_alice.pk]), {"ward_drainages": "no"})
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.status == "active"
    assert enrolled_alice.reminders.filter(state=Reminder.State.PLANNED).exists()


def test_a_change_not_offered_from_this_status_is_refused_kindly(nurse_client, enrolled_alice):
    response = nurse_client.post(reverse("change_status", args=[enrolled_alice.pk, "active"]), follow=True)
    assert b"A active patient cannot be marked active." in response.content or b"cannot be marked active" in response.content
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.status == "active"


def test_an_unknown_status_is_404(nurse_client, enrolled_alice):
    assert nurse_client.get(reverse("change_status", args=[enrolled_alice.pk, "asleep"])).status_code == 404


def test_a_deceased_patient_offers_no_status_change(nurse_client, enrolled_alice):
    nurse_client.post(reverse("record_death", args=[enrolled_alice.pk]), DEATH)
    response = nurse_client.post(reverse("change_status", args=[enrolled_alice.pk, "active"]), follow=True)
    assert b"cannot be marked active" in response.content
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.status == "deceased"
