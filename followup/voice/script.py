"""What an automated call says, as TwiML built with the Twilio SDK's VoiceResponse (never by hand).

The reminder itself (clinic, day and time, how to reach the team) is a template per language in
templates/messages/voice/, rendered by messaging.rendering like every other message. The words of the
keys and of the keypad survey live in TEXT below, one dict per language as the symptom form does;
each ESAS-r item is read from the form's own wording table (views.symptom_form.ESAS_WORDING), word for
word, so the two can never drift apart.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation
from twilio.twiml.voice_response import VoiceResponse

from ..messaging.rendering import render_message
from ..views.symptom_form import ESAS_WORDING

# A voice that speaks each language natively (Amazon Polly neural voices, as Twilio names them).
VOICES = {
    "en": {"voice": "Polly.Joanna-Neural", "language": "en-US"},
    "es": {"voice": "Polly.Lupe-Neural", "language": "es-US"},
}
MAX_TRIES = 3  # unusable answers in a row at one step before the call ends kindly
KEY_TIMEOUT = 8  # seconds of silence before Twilio hands us what was keyed (or nothing)

# The nine symptom items are asked by keypad. "Other problem" is not: its score means nothing without
# its name, which a keypad cannot give; "do you need a call today?" catches what it would have.
KEYPAD_ITEMS = [row for row in ESAS_WORDING["en"] if row[0] != "other_problem"]

# The four "completed by" options of the ESAS-r form, in key order.
WHO_KEYS = {"1": "patient", "2": "caregiver", "3": "professional", "4": "caregiver_assisted"}

TEXT = {
    "en": {
        "menu_reminder": "To confirm, press 1. To hear this again, press 2. To speak to your care team, press 3. "
                         "To stop automated calls and texts to this number, press 9.",
        "menu_checkin": "To tell your team how you are feeling now, by answering a few questions on your keypad, "
                        "press 1. To hear this again, press 2. To speak to your care team, press 3. "
                        "To stop automated calls and texts to this number, press 9.",
        "menu_retry": "Please press 1, 2, 3 or 9.",
        "confirmed": "Thank you. Your appointment is confirmed.",
        "connecting": "Connecting you to your care team now.",
        "not_connected": "We could not connect you. Please call your care team on {phone}.",
        "closed": "Your care team's office is closed now. If you need help now, call {phone}. Again, that number is {phone}.",
        "opted_out": "You will get no more automated calls or texts at this number. To start them again, "
                     "call your care team on {phone}.",
        "who": "First, who is answering? If you are the patient, press 1. If you are a family caregiver, press 2. "
               "If you are a health care professional caregiver, press 3. If the patient is answering with a "
               "caregiver's help, press 4.",
        "who_retry": "Please press 1, 2, 3 or 4.",
        "how_to_answer": "For each question, key a number from 0 to 10 for how you feel now, then press the pound key. "
                         "0 is the best and 10 the worst. To skip a question, press the star key.",
        "item": "{item}. 0 means: {best}. 10 means: {worst}. Key your number, then press pound.",
        "read_back": "You keyed {score} for {item}. If that is right, press 1. To key it again, press 2.",
        "skipped": "Skipped.",
        "out_of_range": "{digits} is not a number from 0 to 10.",
        "nothing_keyed": "We did not get a number.",
        "call_today": "Do you need a call from your team today? Press 1 for yes, 2 for no.",
        "yes_no_retry": "Please press 1 for yes, or 2 for no.",
        "thanks": "Thank you. Your answers have reached your care team.",
        "call_in_hours": "Your team will call you today.",
        "call_out_of_hours": "The office is closed now, so your answer goes to the team on call. "
                             "If you need help now, call {phone}.",
        "if_worse": "If you feel much worse, do not wait: call your care team on {phone}.",
        "gave_up": "We could not hear an answer, so we will end this call. Anything you answered has reached your "
                   "care team. If you need help, call {phone}.",
        "goodbye": "Goodbye.",
        "unknown_call": "Sorry, we cannot find this call. If you need your care team, please call them on the number "
                        "they gave you. Goodbye.",
        "call_over": "This call has already ended. If you need your care team, please call them. Goodbye.",
        "sorry": "Sorry, something went wrong on our side. If you need your care team, please call them on the "
                 "number they gave you. Goodbye.",
    },
    "es": {
        "menu_reminder": "Para confirmar, pulse 1. Para escuchar esto otra vez, pulse 2. Para hablar con su equipo de "
                         "cuidados, pulse 3. Para no recibir más llamadas ni mensajes automáticos en este número, pulse 9.",
        "menu_checkin": "Para decirle a su equipo cómo se siente ahora, respondiendo unas preguntas con el teclado, "
                        "pulse 1. Para escuchar esto otra vez, pulse 2. Para hablar con su equipo de cuidados, pulse 3. "
                        "Para no recibir más llamadas ni mensajes automáticos en este número, pulse 9.",
        "menu_retry": "Por favor, pulse 1, 2, 3 o 9.",
        "confirmed": "Gracias. Su cita está confirmada.",
        "connecting": "Le comunicamos ahora con su equipo de cuidados.",
        "not_connected": "No pudimos comunicarle. Por favor, llame a su equipo de cuidados al {phone}.",
        "closed": "La oficina de su equipo de cuidados está cerrada ahora. Si necesita ayuda ahora, llame al {phone}. "
                  "Le repito el número: {phone}.",
        "opted_out": "No recibirá más llamadas ni mensajes automáticos en este número. Para volver a recibirlos, "
                     "llame a su equipo de cuidados al {phone}.",
        "who": "Primero, ¿quién responde? Si usted es el paciente, pulse 1. Si es un familiar que lo cuida, pulse 2. "
               "Si es un profesional de la salud que lo cuida, pulse 3. Si el paciente responde con la ayuda de "
               "quien lo cuida, pulse 4.",
        "who_retry": "Por favor, pulse 1, 2, 3 o 4.",
        "how_to_answer": "En cada pregunta, marque un número del 0 al 10 según cómo se siente ahora, y luego pulse la "
                         "tecla numeral. 0 es lo mejor y 10 lo peor. Para saltar una pregunta, pulse la tecla asterisco.",
        "item": "{item}. 0 significa: {best}. 10 significa: {worst}. Marque su número y luego pulse numeral.",
        "read_back": "Marcó {score} en {item}. Si es correcto, pulse 1. Para marcarlo otra vez, pulse 2.",
        "skipped": "Pregunta saltada.",
        "out_of_range": "{digits} no es un número del 0 al 10.",
        "nothing_keyed": "No recibimos ningún número.",
        "call_today": "¿Necesita que su equipo le llame hoy? Pulse 1 para sí, 2 para no.",
        "yes_no_retry": "Por favor, pulse 1 para sí, o 2 para no.",
        "thanks": "Gracias. Sus respuestas han llegado a su equipo de cuidados.",
        "call_in_hours": "Su equipo le llamará hoy.",
        "call_out_of_hours": "La oficina está cerrada ahora, así que su respuesta va al equipo de guardia. "
                             "Si necesita ayuda ahora, llame al {phone}.",
        "if_worse": "Si se siente mucho peor, no espere: llame a su equipo de cuidados al {phone}.",
        "gave_up": "No escuchamos ninguna respuesta, así que terminaremos esta llamada. Lo que respondió ha llegado a "
                   "su equipo de cuidados. Si necesita ayuda, llame al {phone}.",
        "goodbye": "Adiós.",
        "unknown_call": "Lo sentimos, no encontramos esta llamada. Si necesita a su equipo de cuidados, llámelo al "
                        "número que le dieron. Adiós.",
        "call_over": "Esta llamada ya terminó. Si necesita a su equipo de cuidados, llámelo. Adiós.",
        "sorry": "Lo sentimos, algo falló de nuestro lado. Si necesita a su equipo de cuidados, llámelo al número "
                 "que le dieron. Adiós.",
    },
}
LANGUAGES = tuple(TEXT)


def language_for(contact):
    return contact.language if contact.language in TEXT else "en"


def spoken_number(number):
    """'(202) 555-0100' read digit by digit, in groups: '2 0 2, 5 5 5, 0 1 0 0'. Text-to-speech reads
    a written phone number as thousands and hundreds otherwise."""
    if not number:
        return ""
    groups = [part for part in "".join(c if c.isdigit() else " " for c in number.as_national).split() if part]
    return ", ".join(" ".join(group) for group in groups)


def item_words(index, language):
    """(field, item name, 0 anchor, 10 anchor) of the keypad item at `index`, in `language`."""
    field = KEYPAD_ITEMS[index][0]
    return next(row for row in ESAS_WORDING[language] if row[0] == field)


def reminder_words(call, clinic, due_at, zone):
    """The reminder part of a call (or the voicemail): the template of its purpose and language."""
    language = call.language
    local = due_at.astimezone(zone)
    with translation.override(language):
        day = formats.date_format(local, "l, F j" if language == "en" else r"l j \d\e F")
        time = formats.time_format(local, "g:i A" if language == "en" else "H:i")
    context = {"clinic_name": clinic.name, "clinic_phone": spoken_number(clinic.phone), "day": day, "time": time,
               "for_caregiver": call.caregiver_id is not None}
    return render_message(call.purpose, "voice", language, context).text


def voicemail_words(call, clinic):
    context = {"clinic_name": clinic.name, "clinic_phone": spoken_number(clinic.phone)}
    return render_message("voicemail", "voice", call.language, context).text


def gather_url(step, index=None):
    url = settings.SITE_URL + reverse("twilio-voice-gather", args=[step])
    return url if index is None else f"{url}?n={index}"


class Script:
    """One TwiML answer in one language: say(), ask() with a keypad Gather, end()."""

    def __init__(self, language):
        self.language = language if language in TEXT else "en"
        self.text = TEXT[self.language]
        self.response = VoiceResponse()

    def words(self, key, **values):
        return self.text[key].format(**values)

    def say(self, words, into=None):
        (into or self.response).say(words, **VOICES[self.language])
        return self

    def ask(self, step, *words, index=None, digits=1):
        """Say `words` inside a keypad Gather whose answer goes to `step`. With actionOnEmptyResult, a
        timeout or a lone # reaches the same step with no Digits; the Redirect is the fallback."""
        action = gather_url(step, index)
        gather = self.response.gather(input="dtmf", action=action, method="POST", num_digits=digits,
                                      finish_on_key="#", timeout=KEY_TIMEOUT, action_on_empty_result=True)
        for sentence in words:
            self.say(sentence, into=gather)
        self.response.redirect(action, method="POST")
        return self

    def dial(self, number):
        self.response.dial(number.as_e164)
        return self

    def end(self, *words):
        for sentence in words:
            self.say(sentence)
        self.response.hangup()
        return self

    def __str__(self):
        return str(self.response)
