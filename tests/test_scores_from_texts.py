"""Scores from texts only when unambiguous: the form's printed item names in both languages map to
items; "appetite 9" or "wellbeing 10" alone is never a report but a suggested reading the nurse
confirms or corrects in one click, and the alert rules run then."""

import pytest
from django.urls import reverse

from followup.messaging import inbound
from followup.models import InboundMessage

from .test_webhooks import _twilio, text_in  # noqa: F401  (_twilio: the signing token, autouse)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("body", "scores"), [
    ("Lack of appetite 7", {"lack_of_appetite": 7}),
    ("shortness of breath: 6, pain 2", {"shortness_of_breath": 6, "pain": 2}),
    ("Falta de apetito 7", {"lack_of_appetite": 7}),
    ("desánimo 3 nerviosismo 2", {"depression": 3, "anxiety": 2}),
    ("Dificultad para respirar 5", {"shortness_of_breath": 5}),
    ("náuseas 4 somnolencia 6", {"nausea": 4, "drowsiness": 6}),
    ("Cansancio 8 bienestar 3", {"tiredness": 8, "wellbeing": 3}),
])
def test_the_forms_printed_item_names_in_both_languages_map_to_items(body, scores):
    assert inbound.symptom_scores(body) == scores


@pytest.mark.parametrize(("body", "suggested"), [
    ("appetite 9", {"lack_of_appetite": 9}),
    ("apetito 2", {"lack_of_appetite": 2}),
    ("wellbeing 10", {"wellbeing": 10}),
    ("Bienestar 0", {"wellbeing": 0}),
    ("pain 3 appetite 8", {"pain": 3, "lack_of_appetite": 8}),
])
def test_ambiguous_words_or_direction_are_a_suggestion_not_scores(body, suggested):
    assert inbound.symptom_scores(body) is None
    reading = inbound.read_scores(body)
    assert reading.ambiguous and reading.scores == suggested


def test_the_parser_stays_linear_on_a_long_run_of_words():
    assert inbound.read_scores("lack " * 20_000) is None
    assert inbound.read_scores("pain 3 " + "of " * 30_000 + "appetite 2") is None


def test_appetite_9_is_not_stored_as_a_severe_report_but_waits_with_a_suggested_reading(client, enrolled_alice):
    text_in(client, "appetite 9")
    assert not enrolled_alice.symptom_reports.exists()
    assert not enrolled_alice.alerts.exists()
    message = InboundMessage.objects.get()
    assert message.kind == InboundMessage.Kind.OTHER and message.handled_at is None
    assert message.suggested_scores == {"lack_of_appetite": 9}


def test_the_worklist_shows_the_suggested_reading_with_one_button(client, enrolled_alice, nina):
    text_in(client, "wellbeing 10")
    client.force_login(nina)
    page = client.get(reverse("worklist")).content.decode()
    assert "Possible scores, not yet a report" in page
    assert 'value="wellbeing" selected' in page and 'value="10"' in page


def test_the_nurse_confirms_the_reading_in_one_click_and_the_alert_rules_run(client, enrolled_alice, nina):
    text_in(client, "appetite 9")
    message = InboundMessage.objects.get()
    client.force_login(nina)
    client.post(reverse("confirm_suggested_scores", args=[message.pk]), {"item": ["lack_of_appetite"], "score": ["9"]})
    report = enrolled_alice.symptom_reports.get()
    assert report.lack_of_appetite == 9 and report.source == "sms" and report.recorded_by == nina
    assert report.reported_at == message.received_at
    assert enrolled_alice.alerts.exists()
    message.refresh_from_db()
    assert message.handled_by == nina


def test_the_nurse_corrects_the_reading_a_good_appetite_is_no_alert(client, enrolled_alice, nina):
    text_in(client, "appetite 9")
    message = InboundMessage.objects.get()
    client.force_login(nina)
    client.post(reverse("confirm_suggested_scores", args=[message.pk]), {"item": ["lack_of_appetite"], "score": ["1"]})
    assert enrolled_alice.symptom_reports.get().lack_of_appetite == 1
    assert not enrolled_alice.alerts.exists()


def test_a_second_confirmation_changes_nothing(client, enrolled_alice, nina):
    text_in(client, "appetite 9")
    message = InboundMessage.objects.get()
    client.force_login(nina)
    for _ in range(2):
        client.post(reverse("confirm_suggested_scores", args=[message.pk]), {"item": ["lack_of_appetite"], "score": ["9"]})
    assert enrolled_alice.symptom_reports.count() == 1


def test_a_bad_correction_is_refused_and_records_nothing(client, enrolled_alice, nina):
    text_in(client, "appetite 9")
    message = InboundMessage.objects.get()
    client.force_login(nina)
    response = client.post(reverse("confirm_suggested_scores", args=[message.pk]), {"item": ["lack_of_appetite"], "score": ["11"]},
                           follow=True)
    assert response.status_code == 200
    assert "score from 0 to 10" in response.content.decode()
    assert not enrolled_alice.symptom_reports.exists()


def test_another_clinics_nurse_cannot_confirm(client, enrolled_alice, noah):
    text_in(client, "appetite 9")
    client.force_login(noah)
    response = client.post(reverse("confirm_suggested_scores", args=[InboundMessage.objects.get().pk]),
                           {"item": ["lack_of_appetite"], "score": ["9"]})
    assert response.status_code == 404
    assert not enrolled_alice.symptom_reports.exists()
