"""Opt-outs as the law reads them (FCC 24-24): the keywords in English and Spanish and plain natural
replies opt the number out at once; one confirmation in the sender's language where Twilio's own
handling is silent; the opt-out belongs to the phone number, not to an e-mail address."""

import pytest

from followup.messaging import inbound
from followup.models import InboundMessage, Reminder

from .conftest import make_patient
from .test_webhooks import _twilio, text_in  # noqa: F401  (_twilio: the signing token, autouse)

pytestmark = pytest.mark.django_db

KEYWORDS = ["STOP", "QUIT", "END", "REVOKE", "OPT OUT", "OPTOUT", "CANCEL", "UNSUBSCRIBE", "STOPALL",
            "PARAR", "ALTO", "BAJA", "CANCELAR", "NO MAS", "No más", "opt-out", "Stop."]
NATURAL = ["please stop texting me", "Stop texting me!", "no more messages", "No more messages, thank you",
           "ya no me manden mensajes", "Ya no me manden mensajes por favor", "no me manden más mensajes"]
NOT_OPT_OUTS = ["stop by tomorrow?", "the pain does not stop", "no more pain today", "I can't stop coughing", "alto dolor"]


@pytest.mark.parametrize("body", KEYWORDS + NATURAL)
def test_keywords_and_natural_replies_opt_out(body):
    assert inbound.classify(body) == InboundMessage.Kind.STOP


@pytest.mark.parametrize("body", NOT_OPT_OUTS)
def test_a_sentence_that_only_mentions_stopping_is_read_by_a_nurse(body):
    assert inbound.classify(body) != InboundMessage.Kind.STOP


@pytest.mark.parametrize("body", ["BAJA", "ya no me manden mensajes"])
def test_a_spanish_opt_out_stops_at_once_and_is_confirmed_once_in_spanish(client, enrolled_alice, body):
    enrolled_alice.language = "es"
    enrolled_alice.save(update_fields=["language"])
    response = text_in(client, body)
    enrolled_alice.refresh_from_db()
    assert enrolled_alice.opted_out_at is not None
    assert not enrolled_alice.reminders.filter(channel="sms", state__in=Reminder.UNSENT).exists()
    assert "ya no enviaremos textos ni llamadas automatizadas a este teléfono" in response.content.decode()


def test_the_keywords_twilio_confirms_itself_get_no_second_confirmation(client, enrolled_alice):
    response = text_in(client, "STOP")
    assert "<Message>" not in response.content.decode()


def test_opt_out_as_two_words_is_confirmed_by_us(client, enrolled_alice):
    response = text_in(client, "Opt out")
    assert "no more texts or automated calls from us to this number" in response.content.decode()


def test_a_retried_opt_out_webhook_confirms_nothing_twice(client, enrolled_alice):
    text_in(client, "no more messages")
    again = text_in(client, "no more messages")
    assert "<Message>" not in again.content.decode()


def test_a_phone_opt_out_does_not_stop_email_to_anyone_else(client, enrolled_alice, riverside, nina):
    bea = make_patient(riverside, "RV-1009", "Bea", "Ellis", email="bea@example.org", preferred_channel="email", nurse=nina)
    text_in(client, "stop texting me")
    bea.refresh_from_db()
    assert bea.opted_out_at is None


def test_the_contact_page_says_consent_and_opt_out_belong_to_an_address(client, enrolled_alice, nina):
    from django.urls import reverse

    client.force_login(nina)
    page = client.get(reverse("edit_contact", args=[enrolled_alice.pk])).content.decode()
    assert "Consent and opt-out belong to an address" in page
    assert "stops texts and automated calls to that number" in page and "stops e-mail to that address only" in page
