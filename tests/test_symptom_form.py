"""The patient's symptom form at /s/<signed>/: no login, the ESAS-r wording, one report per link."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from followup import services
from followup.models import ESAS_FIELDS, Alert, Occurrence, SymptomFormLink, SymptomReport
from followup.symptom_links import issue_link, sign
from followup import esas_r

from .conftest import at

NOW = at("2026-03-02 15:00")  # 10:00 in New York

ENGLISH_WORDING = [
    "No Pain", "Worst Possible Pain",
    "No Tiredness (Tiredness = lack of energy)", "Worst Possible Tiredness",
    "No Drowsiness (Drowsiness = feeling sleepy)", "Worst Possible Drowsiness",
    "No Nausea", "Worst Possible Nausea",
    "No Lack of Appetite", "Worst Possible Lack of Appetite",
    "No Shortness of Breath", "Worst Possible Shortness of Breath",
    "No Depression (Depression = feeling sad)", "Worst Possible Depression",
    "No Anxiety (Anxiety = feeling nervous)", "Worst Possible Anxiety",
    "Best Wellbeing (Wellbeing = how you feel overall)", "Worst Possible Wellbeing",
    "No Other Problem (for example constipation)", "Worst Possible",
]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def patient_client():
    """A phone with no session: the patient never signs in."""
    return Client()


def form_path(patient):
    return urlsplit(issue_link(patient)).path


def answers(**overrides):
    data = {"completed_by": "patient", "other_problem_name": ""}
    data.update({name: "" for name in ESAS_FIELDS})
    data.update({name: str(value) for name, value in overrides.items()})
    return data


def text_of(response):
    """The page's visible text in one line, for phrases that wrap in the template."""
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def checked(response, input_id):
    match = re.search(rf'<input[^>]*id="{re.escape(input_id)}"[^>]*>', response.content.decode())
    assert match, input_id
    return " checked" in match.group(0)


# --- The page --------------------------------------------------------------------------------------


def test_form_opens_without_signing_in(alice, patient_client):
    response = patient_client.get(form_path(alice))
    assert response.status_code == 200
    assert response["Content-Language"] == "en"


def test_form_shows_the_ten_items_in_the_esas_r_wording(alice, patient_client):
    page = text_of(patient_client.get(form_path(alice)))
    for words in ENGLISH_WORDING:
        assert words in page
    assert "Please tap the number that best describes how you feel NOW" in page


def test_every_item_is_a_fieldset_with_eleven_scores_and_a_blank(alice, patient_client):
    html = patient_client.get(form_path(alice)).content.decode()
    for name in ESAS_FIELDS:
        assert f'<fieldset id="item-{name}"' in html
        for score in range(11):
            assert f'id="{name}-{score}" name="{name}" value="{score}"' in html
            assert f'<label for="{name}-{score}">{score}</label>' in html
        assert f'id="{name}-blank" name="{name}" value=""' in html


def test_form_asks_who_is_filling_it_in(alice, patient_client):
    html = patient_client.get(form_path(alice)).content.decode()
    assert 'name="completed_by" value="patient"' in html
    assert 'name="completed_by" value="caregiver"' in html
    assert "Who is filling this in?" in html


def test_form_shows_a_first_name_at_most_and_the_clinic_number(alice, patient_client):
    page = text_of(patient_client.get(form_path(alice)))
    assert "Alice" in page
    assert "Archer" not in page
    assert alice.mrn not in page
    assert "(202) 555-0100" in page
    assert 'href="tel:+12025550100"' in patient_client.get(form_path(alice)).content.decode()


def test_form_has_a_csrf_token_and_no_script(alice, patient_client):
    html = patient_client.get(form_path(alice)).content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert "<script" not in html


def test_no_template_syntax_reaches_the_page(alice, patient_client):
    path = form_path(alice)
    pages = [patient_client.get(path), patient_client.post(path, answers(pain=11))]
    patient_client.post(path, answers(pain=1))
    pages += [patient_client.get(path + "thanks/"), patient_client.get(path), patient_client.get("/s/broken.link/")]
    for response in pages:
        html = response.content.decode()
        assert "{#" not in html and "{%" not in html and "{{" not in html and "{phone}" not in html


def test_form_is_not_cached(alice, patient_client):
    response = patient_client.get(form_path(alice))
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_spanish_speaking_patient_gets_the_form_in_spanish(bob, patient_client):
    response = patient_client.get(form_path(bob))
    page = text_of(response)
    assert '<html lang="es">' in response.content.decode()
    assert response["Content-Language"] == "es"
    assert "¿Cómo se siente ahora?" in page
    for item in esas_r.wording("es"):
        assert item.best in page and item.worst in page
    assert "No Pain" not in page
    assert "Enviar a mi equipo de cuidados" in page


def test_every_language_has_its_wording_table_with_every_item():
    for language in ("en", "es"):
        assert [item.field for item in esas_r.wording(language)] == ESAS_FIELDS


# --- Sending it ----------------------------------------------------------------------------------


def test_valid_submission_creates_a_web_report(alice, patient_client):
    path = form_path(alice)
    response = patient_client.post(path, answers(pain=2, tiredness=5, wellbeing=3, completed_by="caregiver"))
    assert response.status_code == 302
    assert response["Location"] == path + "thanks/"
    report = SymptomReport.objects.get(patient=alice)
    assert report.source == SymptomReport.Source.WEB
    assert report.completed_by == SymptomReport.CompletedBy.CAREGIVER
    assert (report.pain, report.tiredness, report.wellbeing) == (2, 5, 3)
    assert report.recorded_by is None


def test_items_left_blank_are_stored_as_not_asked(alice, patient_client):
    patient_client.post(form_path(alice), answers(pain=0))
    report = SymptomReport.objects.get(patient=alice)
    assert report.pain == 0
    assert all(getattr(report, name) is None for name in ESAS_FIELDS if name != "pain")


def test_items_missing_from_the_post_are_not_asked(alice, patient_client):
    patient_client.post(form_path(alice), {"completed_by": "patient", "nausea": "6"})
    report = SymptomReport.objects.get(patient=alice)
    assert report.nausea == 6
    assert report.pain is None


def test_other_problem_is_recorded_with_its_name(alice, patient_client):
    patient_client.post(form_path(alice), answers(other_problem=6, other_problem_name="  Constipation "))
    report = SymptomReport.objects.get(patient=alice)
    assert (report.other_problem, report.other_problem_name) == (6, "Constipation")
    assert Alert.objects.filter(report=report, items__new_problem=True).exists()


def test_thank_you_page_gives_the_clinic_number_and_says_to_call_if_much_worse(alice, patient_client):
    response = patient_client.post(form_path(alice), answers(pain=2), follow=True)
    page = text_of(response)
    assert response.status_code == 200
    assert "Thank you" in page
    assert "If you feel much worse, please call the team on (202) 555-0100" in page
    assert "Archer" not in page


def test_thank_you_page_before_sending_goes_back_to_the_form(alice, patient_client):
    path = form_path(alice)
    response = patient_client.get(path + "thanks/")
    assert response.status_code == 302
    assert response["Location"] == path


def test_severe_score_raises_a_severe_alert_and_brings_the_check_in_forward(alice, patient_client):
    services.enrol(alice)
    checkin = Occurrence.objects.get(patient=alice, kind="checkin", state="scheduled")
    assert checkin.due_at == at("2026-03-09 13:00")  # a week on, 09:00 in New York (daylight time)
    patient_client.post(form_path(alice), answers(pain=9, nausea=2))
    alert = Alert.objects.get(patient=alice)
    assert (alert.severe, alert.acknowledged_at) == (True, None)
    assert [(item.item, item.score) for item in alert.items.all()] == [("pain", 9)]
    checkin.refresh_from_db()
    assert checkin.state == "scheduled"
    assert checkin.due_at == at("2026-03-03 14:00")  # tomorrow, 09:00 in New York (standard time)


def test_mild_scores_raise_no_alert(alice, patient_client):
    patient_client.post(form_path(alice), answers(pain=3, nausea=1, wellbeing=2))
    assert not Alert.objects.exists()


# --- Once only, 72 hours -------------------------------------------------------------------------


def test_link_works_once(alice, patient_client):
    path = form_path(alice)
    patient_client.post(path, answers(pain=2))
    response = patient_client.get(path)
    page = text_of(response)
    assert response.status_code == 410
    assert "This form has already been sent" in page
    assert "(202) 555-0100" in page
    assert "Alice" not in page and "Archer" not in page


def test_double_submit_records_one_report(alice, patient_client):
    path = form_path(alice)
    first = patient_client.post(path, answers(pain=2))
    second = patient_client.post(path, answers(pain=2))
    assert first.status_code == 302
    assert second.status_code == 410
    assert "This form has already been sent" in text_of(second)
    assert SymptomReport.objects.filter(patient=alice).count() == 1


def test_link_still_works_at_71_hours(alice, patient_client, frozen):
    path = form_path(alice)
    frozen.shift(timedelta(hours=71))
    assert patient_client.get(path).status_code == 200


def test_link_expires_after_72_hours(alice, patient_client, frozen):
    path = form_path(alice)
    frozen.shift(timedelta(hours=72))
    response = patient_client.get(path)
    page = text_of(response)
    assert response.status_code == 410
    assert "This link has expired" in page
    assert "(202) 555-0100" in page
    assert "Alice" not in page and "Archer" not in page


def test_expired_link_records_nothing_when_sent(alice, patient_client, frozen):
    path = form_path(alice)
    patient_client.get(path)
    frozen.shift(timedelta(hours=73))
    response = patient_client.post(path, answers(pain=9))
    assert response.status_code == 410
    assert not SymptomReport.objects.exists()


def test_expired_link_speaks_the_patients_language(bob, patient_client, frozen):
    path = form_path(bob)
    frozen.shift(timedelta(hours=80))
    assert "Este enlace ha caducado" in text_of(patient_client.get(path))


def test_link_of_a_deceased_patient_is_closed_kindly(alice, patient_client):
    path = form_path(alice)
    services.change_status(alice, "deceased")
    response = patient_client.get(path)
    page = text_of(response)
    assert response.status_code == 410
    assert "This link is no longer in use" in page
    assert "deceased" not in page.lower() and "Alice" not in page


def test_tampered_link_is_a_kind_page_that_names_no_patient(alice, patient_client):
    path = form_path(alice)
    tampered = path[:-3] + ("x" if path[-3] != "x" else "y") + path[-2:]
    response = patient_client.get(tampered)
    page = text_of(response)
    assert response.status_code == 404
    assert "This link does not work" in page
    assert "Este enlace no funciona" in page
    for detail in ("Alice", "Archer", "Riverside", "555-0100", "5550100"):
        assert detail not in page


def test_tampered_link_cannot_send_a_report(alice, patient_client):
    path = form_path(alice)
    response = patient_client.post(path.replace("/s/", "/s/A", 1), answers(pain=9))
    assert response.status_code == 404
    assert not SymptomReport.objects.exists()


def test_unknown_link_gets_the_same_kind_page(db, patient_client):
    response = patient_client.get(f"/s/{sign('NoSuchToken1')}/")
    assert response.status_code == 404
    assert "This link does not work" in text_of(response)


def test_link_of_a_deleted_patient_is_unknown(alice, patient_client):
    path = form_path(alice)
    SymptomFormLink.objects.all().delete()
    response = patient_client.get(path)
    assert response.status_code == 404
    assert "Alice" not in text_of(response)


# --- Bad input -----------------------------------------------------------------------------------


def test_bad_answers_show_field_errors_and_keep_what_was_typed(alice, patient_client):
    path = form_path(alice)
    data = answers(pain=11, nausea=4, other_problem_name="Hiccups")
    del data["completed_by"]
    response = patient_client.post(path, data)
    page = text_of(response)
    assert response.status_code == 200
    assert "Some answers need another look" in page
    assert "Please choose a number from 0 to 10, or leave it blank." in page
    assert "Please tell us who is filling this in." in page
    assert checked(response, "nausea-4")
    assert not any(checked(response, f"pain-{score}") for score in range(11))
    assert 'value="Hiccups"' in response.content.decode()
    assert not SymptomReport.objects.exists()
    assert SymptomFormLink.objects.get(patient=alice).used_at is None


def test_corrected_answers_are_then_accepted(alice, patient_client):
    path = form_path(alice)
    patient_client.post(path, answers(pain=11))
    response = patient_client.post(path, answers(pain=10))
    assert response.status_code == 302
    assert SymptomReport.objects.get(patient=alice).pain == 10


@pytest.mark.parametrize("bad", ["-1", "7.5", "seven", "１"])
def test_scores_outside_0_to_10_are_refused(alice, patient_client, bad):
    response = patient_client.post(form_path(alice), {**answers(), "tiredness": bad})
    assert response.status_code == 200
    assert "Please choose a number from 0 to 10" in text_of(response)
    assert not SymptomReport.objects.exists()


def test_unknown_who_is_refused(alice, patient_client):
    response = patient_client.post(form_path(alice), answers(pain=1, completed_by="professional"))
    assert "Please tell us who is filling this in." in text_of(response)
    assert not SymptomReport.objects.exists()


def test_who_choice_is_kept_after_an_error(alice, patient_client):
    response = patient_client.post(form_path(alice), answers(pain=12, completed_by="caregiver"))
    assert checked(response, "who-caregiver")
    assert not checked(response, "who-patient")


def test_other_problem_scored_without_a_name_asks_for_the_name(alice, patient_client):
    response = patient_client.post(form_path(alice), answers(other_problem=5))
    assert "Please write what the other problem is" in text_of(response)
    assert checked(response, "other_problem-5")
    assert not SymptomReport.objects.exists()


def test_too_long_other_problem_name_is_refused(alice, patient_client):
    response = patient_client.post(form_path(alice), answers(other_problem=5, other_problem_name="x" * 121))
    assert "120 characters or fewer" in text_of(response)
    assert not SymptomReport.objects.exists()


def test_spanish_errors_are_in_spanish(bob, patient_client):
    data = answers(pain=11)
    del data["completed_by"]
    page = text_of(patient_client.post(form_path(bob), data))
    assert "Por favor, elija un número del 0 al 10" in page
    assert "Por favor, díganos quién está completando el formulario." in page


def test_post_without_csrf_token_is_refused(alice):
    phone = Client(enforce_csrf_checks=True)
    response = phone.post(form_path(alice), answers(pain=2))
    assert response.status_code == 403
    assert not SymptomReport.objects.exists()


def test_post_with_the_pages_csrf_token_is_accepted(alice):
    phone = Client(enforce_csrf_checks=True)
    path = form_path(alice)
    html = phone.get(path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = phone.post(path, {**answers(pain=2), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert SymptomReport.objects.filter(patient=alice).count() == 1


def test_clinic_number_is_shown_as_a_local_caller_dials_it(riverside, settings):
    from phonenumber_field.phonenumber import PhoneNumber

    from followup.views.symptom_form import phone_for_display

    settings.PHONENUMBER_DEFAULT_REGION = "US"
    assert phone_for_display(riverside.phone) == "(202) 555-0100"
    assert phone_for_display(PhoneNumber.from_string("+442079460123")) == "+44 20 7946 0123"
