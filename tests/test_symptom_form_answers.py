"""The patient's form refuses an empty report kindly and keeps the link; it says where each question
stands ("3 of 10"); and its instruction speaks to whoever answers, without touching the ESAS-r wording."""

from urllib.parse import urlsplit

import pytest
import time_machine

from followup.models import ESAS_FIELDS, SymptomFormLink, SymptomReport
from followup.symptom_links import issue_link
from django.utils import translation

from followup import esas_r

from .conftest import at
from .test_symptom_form import answers, text_of

NOW = at("2026-03-02 15:00")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_submission_with_every_item_blank_is_refused_kindly_and_the_link_still_works(alice, client):
    path = urlsplit(issue_link(alice)).path
    response = client.post(path, answers())
    assert response.status_code == 200
    assert "No number has been chosen yet." in text_of(response)
    assert "this link still works" in text_of(response)
    assert not SymptomReport.objects.exists()
    assert SymptomFormLink.objects.get().used_at is None
    client.post(path, answers(pain=3))
    assert SymptomReport.objects.get().pain == 3


def test_an_empty_submission_in_spanish_is_refused_in_spanish(bob, client):
    response = client.post(urlsplit(issue_link(bob)).path, answers())
    assert "Todavía no ha elegido ningún número." in text_of(response)


def test_one_score_of_zero_is_a_real_answer(alice, client):
    client.post(urlsplit(issue_link(alice)).path, answers(wellbeing=0))
    assert SymptomReport.objects.get().wellbeing == 0


def test_each_question_says_where_it_stands(alice, client):
    page = text_of(client.get(urlsplit(issue_link(alice)).path))
    assert "Pain 1 of 10" in page
    assert "Nausea 4 of 10" in page
    assert "Other Problem 10 of 10" in page


def test_the_instruction_speaks_of_the_patient_when_a_family_member_answers(alice, client):
    path = urlsplit(issue_link(alice)).path
    html = client.post(path, answers(pain=12, completed_by="caregiver")).content.decode()
    assert '<p class="for-caregiver"><strong>Please tap the number that best describes how the patient feels NOW.' in html
    assert '<p class="for-self not-chosen">' in html


def test_the_instruction_speaks_to_the_patient_by_default(alice, client):
    html = client.get(urlsplit(issue_link(alice)).path).content.decode()
    assert '<p class="for-self"><strong>Please tap the number that best describes how you feel NOW.' in html
    assert '<p class="for-caregiver not-chosen">' in html


def test_the_esas_r_wording_is_the_same_whoever_answers(alice, client):
    path = urlsplit(issue_link(alice)).path
    page = text_of(client.post(path, answers(pain=12, completed_by="caregiver")))
    for item in esas_r.wording("en"):
        assert item.best in page and item.worst in page
    assert "Best Wellbeing (Wellbeing = how you feel overall)" in page


def test_both_languages_have_the_caregiver_instruction_and_the_progress_line():
    instruction = "Please tap the number that best describes how the patient feels NOW."
    for language, patient in (("en", "the patient"), ("es", "el paciente")):
        with translation.override(language):
            assert patient in translation.gettext(instruction)
            assert translation.gettext("%(number)s of %(total)s") % {"number": 3, "total": 10} in ("3 of 10", "3 de 10")
    assert len(ESAS_FIELDS) == 10
