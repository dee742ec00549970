"""The pages: logging a call with its outcome, acknowledging an alert with what was done, the
worklist's "not reached" and "missed", and the out-of-hours number on the symptom form's thank-you
page and in text replies.

Riverside (New York, EST in February) works Monday to Friday 09:00-17:00.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from followup import calls, services, symptom_links
from followup.messaging import inbound
from followup.models import Alert, CallAttempt, Kind, Occurrence
from tests.conftest import PASSWORD, at

MONDAY_10 = at("2026-02-09 15:00")


@pytest.fixture
def patient(time_machine, alice):
    time_machine.move_to(at("2026-02-02 15:00"), tick=False)
    services.enrol(alice)
    time_machine.move_to(MONDAY_10, tick=False)
    return alice


@pytest.fixture
def browser(client, nina):
    client.login(username="nina", password=PASSWORD)
    return client


def test_logging_a_call_nobody_answered_keeps_the_checkin_open(browser, patient):
    response = browser.post(reverse("log_checkin", args=[patient.pk]), {"outcome": "no_answer"}, follow=True)
    assert response.status_code == 200
    assert "Try again" in response.content.decode()
    assert Occurrence.objects.get(patient=patient, kind=Kind.CHECKIN, state="scheduled").retry_at is not None


def test_a_reached_call_with_nothing_recorded_shows_the_error_and_keeps_the_outcome(browser, patient):
    response = browser.post(reverse("log_checkin", args=[patient.pk]), {"outcome": "reached", "pps": "50"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the scores they gave, or a note of what was said." in page
    assert re.search(r'<input type="radio" name="outcome" value="reached"[^>]*checked', page)
    assert 'name="pps"' in page and '<option value="50" selected>' in page
    assert "Alice" in page
    assert not CallAttempt.objects.exists()


def test_a_retry_outside_working_hours_is_a_field_error_on_the_page(browser, patient):
    response = browser.post(reverse("log_checkin", args=[patient.pk]),
                            {"outcome": "voicemail", "retry_at": "2026-02-09T21:30"})
    assert "inside the team&#x27;s working hours" in response.content.decode()
    assert not CallAttempt.objects.exists()


def test_the_nurse_records_scores_the_caregiver_gave(browser, patient, nina):
    browser.post(reverse("log_checkin", args=[patient.pk]),
                 {"outcome": "caregiver", "completed_by": "caregiver", "pain": "3"})
    report = CallAttempt.objects.get().report
    assert (report.completed_by, report.recorded_by, report.source) == ("caregiver", nina, "nurse_call")


def test_acknowledging_on_the_page_needs_what_was_done(browser, patient):
    report = services.record_symptom_report(patient, scores={"pain": 8}, completed_by="patient", source="web")
    url = reverse("acknowledge_alert", args=[report.alert.pk])
    refused = browser.post(url, {"note": "seen"})
    assert "Choose what was done about this alert." in refused.content.decode()
    browser.post(url, {"action": "advice_given", "note": "Heat pad"})
    alert = Alert.objects.get()
    assert (alert.acknowledgement_action, alert.acknowledgement_note) == ("advice_given", "Heat pad")


def test_the_alert_page_lists_its_items_as_one_line_each(browser, patient, time_machine):
    services.record_symptom_report(patient, scores={"pain": 3}, completed_by="patient", source="web",
                                   reported_at=MONDAY_10 - timedelta(days=2))
    report = services.record_symptom_report(patient, scores={"pain": 8}, completed_by="patient", source="web")
    page = browser.get(reverse("alert", args=[report.alert.pk])).content.decode()
    assert "Pain 8, was 3: severe, up 5" in page


def test_the_call_list_flags_a_patient_not_reached_with_the_retry_time(browser, patient, nina, time_machine):
    calls.record_call(patient, outcome="no_answer", by=nina)
    time_machine.move_to(MONDAY_10 + timedelta(hours=4), tick=False)
    calls.record_call(patient, outcome="voicemail", by=nina)
    response = browser.get(reverse("worklist"))
    row = response.context["calls"].rows[0]
    assert row.patient == patient and "not_reached" in [flag.key for flag in row.flags]
    page = response.content.decode()
    assert "Not reached since" in page and "no answer, try again" in page


def test_the_call_list_shows_a_missed_checkin_as_an_overdue_call(browser, patient, time_machine):
    calls.mark_missed(at("2026-02-10 05:05"))
    time_machine.move_to(at("2026-02-10 15:00"), tick=False)
    response = browser.get(reverse("worklist"))
    row = response.context["calls"].rows[0]
    assert (row.patient, row.urgency_label) == (patient, "Call overdue, missed or not reached")
    assert "missed" in [item.state for item in row.due]
    assert "Check-in call missed" in response.content.decode()


def _thanks_page(client, patient):
    url = symptom_links.issue_link(patient)
    signed = url.rstrip("/").rsplit("/", 1)[-1]
    client.post(reverse("symptom_form", args=[signed]), {"completed_by": "patient", "pain": "3"})
    return client.get(reverse("symptom_thanks", args=[signed])).content.decode()


def test_the_thank_you_page_names_the_out_of_hours_number_when_the_team_is_closed(client, patient, riverside,
                                                                                  time_machine):
    riverside.out_of_hours_phone = "+12025550199"
    riverside.save()
    time_machine.move_to(at("2026-02-10 08:00"), tick=False)  # Tuesday 03:00
    page = _thanks_page(client, patient)
    assert "out-of-hours number" in page and "(202) 555-0199" in page


def test_the_thank_you_page_names_the_team_number_during_working_hours(client, patient, riverside):
    riverside.out_of_hours_phone = "+12025550199"
    riverside.save()
    page = _thanks_page(client, patient)
    assert "(202) 555-0100" in page and "out-of-hours" not in page


def test_a_text_reply_out_of_hours_names_the_out_of_hours_number(patient, riverside, time_machine):
    riverside.out_of_hours_phone = "+12025550199"
    riverside.save()
    time_machine.move_to(at("2026-02-10 08:00"), tick=False)
    reply = inbound.receive(provider_id="SM-night", from_number="+12025550101", body="pain 4")
    assert "(202) 555-0199" in reply and "closed" in reply
    assert len(reply) <= 160


def test_a_text_reply_in_working_hours_names_the_team_number(patient, riverside):
    riverside.out_of_hours_phone = "+12025550199"
    riverside.save()
    reply = inbound.receive(provider_id="SM-day", from_number="+12025550101", body="pain 4")
    assert "(202) 555-0100" in reply


def test_the_timeline_shows_a_calls_outcome_note_pps_and_phase(browser, patient, nina):
    calls.record_call(patient, outcome="caregiver", by=nina, scores={"pain": 4}, completed_by="caregiver_assisted",
                      pps=50, phase="unstable", note="Dora says she sleeps more.")
    page = browser.get(reverse("patient", args=[patient.pk])).content.decode()
    timeline = page[page.index('id="timeline'):]
    assert "Check-in call: spoke with a caregiver" in timeline
    assert "PPS 50%" in timeline and "Phase: Unstable" in timeline and "Dora says she sleeps more." in timeline
