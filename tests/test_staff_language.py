"""Staff choose the language of Followup's pages in their account, and every page they open is in
it; a page nobody is signed in to follows the browser; a patient's page and messages stay in the
patient's own language whoever opens them."""

from urllib.parse import urlsplit

import pytest
import time_machine
from django.urls import reverse

from followup import alerts, services, symptom_links
from followup.messaging import rendering
from followup.models import OnCallContact, Reminder, SymptomReport, User

from .conftest import at

NOW = at("2026-03-02 15:00")  # a Monday, 10:00 in New York


@pytest.fixture
def marisol(riverside):
    """A nurse at Riverside who works in Spanish."""
    from .conftest import make_staff

    user = make_staff("marisol", riverside, "nurse")
    user.language = "es"
    user.save(update_fields=["language"])
    return user


def test_staff_start_in_english(nina):
    assert nina.language == "en"


def test_a_nurse_who_chose_spanish_gets_her_pages_in_spanish(client, marisol):
    client.force_login(marisol)
    response = client.get(reverse("account"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response["Content-Language"] == "es"
    assert "<h1>Su cuenta</h1>" in page
    assert "Inicio de sesión con código" in page
    assert "Your account" not in page


def test_choosing_spanish_on_the_account_page_applies_from_the_next_page_on(client, nina):
    client.force_login(nina)
    assert "<h1>Your account</h1>" in client.get(reverse("account")).content.decode()
    response = client.post(reverse("account_language"), {"language": "es"}, follow=True)
    nina.refresh_from_db()
    assert nina.language == "es"
    page = response.content.decode()
    assert "Las páginas de Followup ahora están en Español." in page  # the confirmation is already in Spanish
    assert "<h1>Su cuenta</h1>" in page
    # Back to English the same way.
    client.post(reverse("account_language"), {"language": "en"})
    assert "<h1>Your account</h1>" in client.get(reverse("account")).content.decode()


def test_choosing_the_language_is_in_the_audit_log(client, nina):
    from followup.models import AccessLog

    client.force_login(nina)
    client.post(reverse("account_language"), {"language": "es"})
    assert AccessLog.objects.filter(user=nina, what="account: language es").exists()


def test_a_language_followup_does_not_speak_is_refused_on_the_field(client, nina):
    client.force_login(nina)
    response = client.post(reverse("account_language"), {"language": "fr"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert "<h1>Your account</h1>" in response.content.decode()
    nina.refresh_from_db()
    assert nina.language == "en"


def test_the_account_page_offers_every_language_in_the_settings(client, nina, settings):
    settings.LANGUAGES = [*settings.LANGUAGES, ("pt-br", "Português (Brasil)")]
    client.force_login(nina)
    page = client.get(reverse("account")).content.decode()
    assert '<option value="es">Español</option>' in page
    assert '<option value="pt-br">Português (Brasil)</option>' in page


def test_the_language_of_a_staff_member_is_set_in_the_admin_too(client, riverside):
    admin = User.objects.create_superuser("root", "root@example.org", "a-long-password-1")
    client.force_login(admin)
    page = client.get(reverse("admin:followup_user_change", args=[admin.pk])).content.decode()
    assert 'name="language"' in page


def test_a_page_nobody_is_signed_in_to_follows_the_browser(client):
    response = client.get(reverse("password_reset"), HTTP_ACCEPT_LANGUAGE="es")
    assert response["Content-Language"] == "es"
    response = client.get(reverse("password_reset"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "en"


@time_machine.travel(NOW, tick=False)
def test_a_patients_form_stays_in_the_patients_language_when_a_spanish_speaking_nurse_opens_it(client, marisol, alice):
    client.force_login(marisol)
    response = client.get(urlsplit(symptom_links.issue_link(alice)).path, HTTP_ACCEPT_LANGUAGE="es")
    assert response["Content-Language"] == "en"
    assert "How are you feeling now?" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_spanish_speaking_patients_form_is_in_spanish_whatever_the_browser_asks_for(client, bob):
    response = client.get(urlsplit(symptom_links.issue_link(bob)).path, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "es"
    assert "¿Cómo se siente ahora?" in response.content.decode()


@time_machine.travel(at("2026-03-03 04:00"), tick=False)  # 23:00 in New York: the team is closed
def test_a_page_to_an_on_call_nurse_is_in_the_language_of_her_account(riverside, marisol, alice):
    OnCallContact.objects.create(clinic=riverside, name="On-call nurse", user=marisol, mobile="+12025550190")
    OnCallContact.objects.create(clinic=riverside, name="Night line", email="night@example.org")
    services.enrol(alice)
    report = services.record_symptom_report(alice, scores={"pain": 9}, completed_by=SymptomReport.CompletedBy.PATIENT,
                                            source=SymptomReport.Source.SMS)
    alert = report.alert
    pages = {page.on_call.name: page for page in Reminder.objects.filter(alert=alert, purpose=Reminder.Purpose.ON_CALL)}
    spanish = rendering.render_staff_page(pages["On-call nurse"], alerts.alert_link(alert)).text
    english = rendering.render_staff_page(pages["Night line"], alerts.alert_link(alert)).subject
    assert "informe de sintomas grave fuera de horario" in spanish  # GSM-7: the accent of síntomas drops
    assert english == "Riverside Palliative Care: severe symptom report out of hours"


def test_the_sign_in_page_speaks_the_browsers_language(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es-US,es;q=0.9,en;q=0.5")
    page = response.content.decode()
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in page
    assert "<h1>Iniciar sesión</h1>" in page


def test_a_password_reset_e_mail_is_in_the_language_of_the_account_not_the_browser(client, marisol):
    from django.core import mail

    client.post(reverse("password_reset"), {"email": "marisol@example.org"}, HTTP_ACCEPT_LANGUAGE="en")
    [message] = mail.outbox
    assert message.subject == "Followup: elija una contraseña nueva"
    assert "Alguien pidió restablecer la contraseña" in message.body


def test_the_api_answers_in_english_whatever_the_client_asks(as_nina):
    response = as_nina.get("/api/v1/patients/?status=nonsense", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert response["Content-Language"] == "en"
