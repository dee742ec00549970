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

from .. import scheduling
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
        "menu_checkin_caregiver": "To tell the team how the person you care for is feeling now, by answering a few "
                                  "questions on your keypad, press 1. To hear this again, press 2. To speak to the "
                                  "care team, press 3. To stop automated calls and texts to this number, press 9.",
        "menu_retry": "Please press 1, 2, 3 or 9.",
        "confirmed": "Thank you. The appointment is confirmed.",
        "connecting": "Connecting you to the care team now.",
        "not_connected": "We could not connect you. Please call the care team on {phone}.",
        "closed": "The care team's office is closed now. If you need help now, call {phone}. Again, that number is {phone}.",
        "opted_out": "You will get no more automated calls or texts at this number. To start them again, "
                     "call the care team on {phone}.",
        "who": "First, who is answering? If you are the patient, press 1. If you are a family caregiver, press 2. "
               "If you are a health care professional caregiver, press 3. If the patient is answering with a "
               "caregiver's help, press 4.",
        "who_retry": "Please press 1, 2, 3 or 4.",
        "how_to_answer": "For each question, key a number from 0 to 10 for how you feel now, then press the pound key. "
                         "0 is the best and 10 the worst. To skip a question, press the star key.",
        "how_to_answer_for": "For each question, key a number from 0 to 10 for how the person you care for feels now, "
                             "then press the pound key. 0 is the best and 10 the worst. To skip a question, press the "
                             "star key.",
        "item": "{item}. 0 means: {best}. 10 means: {worst}. Key your number, then press pound.",
        "read_back": "You keyed {score} for {item}. If that is right, press 1. To key it again, press 2.",
        "skipped": "Skipped.",
        "out_of_range": "{digits} is not a number from 0 to 10.",
        "nothing_keyed": "We did not get a number.",
        "call_today": "Do you need a call from your team today? Press 1 for yes, 2 for no.",
        "yes_no_retry": "Please press 1 for yes, or 2 for no.",
        "thanks": "Thank you. Your answers have reached the care team.",
        "call_in_hours": "The team will call you today.",
        "call_out_of_hours": "The office is closed now, so your answer goes to the team on call. "
                             "If you need help now, call {phone}.",
        "if_worse": "If you feel much worse, do not wait: call your care team on {phone}.",
        "if_worse_for": "If the person you care for feels much worse, do not wait: call the care team on {phone}.",
        "gave_up": "We could not hear an answer, so we will end this call. Anything you answered has reached the "
                   "care team. If you need help, call {phone}.",
        "goodbye": "Goodbye.",
        "unknown_call": "Sorry, we cannot find this call. If you need your care team, please call them on the number "
                        "they gave you. Goodbye.",
        "call_over": "This call has already ended. If you need your care team, please call them. Goodbye.",
        "sorry": "Sorry, something went wrong on our side. If you need your care team, please call them on the "
                 "number they gave you. Goodbye.",
    },
    # Spanish as main's texts write it (tests/test_voice_words.py): gender-neutral ("su equipo de enfermería",
    # "la persona que usted cuida"), and no word whose meaning changes when its accent drops (está, más, sí,
    # cómo, número, llamará...), so a sentence reads the same if it is ever shown or texted without accents.
    # The accents stay in what is spoken: the voice needs them to say each word right.
    "es": {
        "menu_reminder": "Para confirmar, pulse 1. Para escuchar esto otra vez, pulse 2. Para hablar con su equipo de "
                         "cuidados, pulse 3. Para dejar de recibir llamadas y mensajes automáticos en este teléfono, "
                         "pulse 9.",
        "menu_checkin": "Para contarle a su equipo qué tal se encuentra ahora, respondiendo unas preguntas con el "
                        "teclado, pulse 1. Para escuchar esto otra vez, pulse 2. Para hablar con su equipo de cuidados, "
                        "pulse 3. Para dejar de recibir llamadas y mensajes automáticos en este teléfono, pulse 9.",
        "menu_checkin_caregiver": "Para contarle al equipo qué tal se encuentra la persona que usted cuida, "
                                  "respondiendo unas preguntas con el teclado, pulse 1. Para escuchar esto otra vez, "
                                  "pulse 2. Para hablar con el equipo de cuidados, pulse 3. Para dejar de recibir "
                                  "llamadas y mensajes automáticos en este teléfono, pulse 9.",
        "menu_retry": "Por favor, pulse 1, 2, 3 o 9.",
        "confirmed": "Gracias. La cita queda confirmada.",
        "connecting": "Le comunicamos ahora con el equipo de cuidados.",
        "not_connected": "No pudimos comunicarle. Por favor, llame al equipo de cuidados al {phone}.",
        "closed": "Ahora la oficina del equipo de cuidados se encuentra cerrada. Si necesita ayuda ahora, llame al "
                  "{phone}. Se lo repito: {phone}.",
        "opted_out": "Ya no haremos llamadas ni enviaremos mensajes automáticos a este teléfono. Para volver a recibirlos, "
                     "llame al equipo de cuidados al {phone}.",
        "who": "Primero, ¿quién responde? Si usted recibe los cuidados, pulse 1. Si es de la familia y cuida de esta "
               "persona, pulse 2. Si es profesional de la salud y cuida de esta persona, pulse 3. Si responde la "
               "persona que recibe los cuidados, con ayuda de quien la cuida, pulse 4.",
        "who_retry": "Por favor, pulse 1, 2, 3 o 4.",
        "how_to_answer": "En cada pregunta, marque del 0 al 10 lo que siente ahora, y luego pulse la tecla numeral. "
                         "0 es lo mejor y 10 lo peor. Para saltar una pregunta, pulse la tecla asterisco.",
        "how_to_answer_for": "En cada pregunta, marque del 0 al 10 lo que siente ahora la persona que usted cuida, y "
                             "luego pulse la tecla numeral. 0 es lo mejor y 10 lo peor. Para saltar una pregunta, "
                             "pulse la tecla asterisco.",
        "item": "{item}. 0 significa: {best}. 10 significa: {worst}. Marque su respuesta y luego pulse numeral.",
        "read_back": "Ha marcado {score} en {item}. Si es correcto, pulse 1. Para marcarlo otra vez, pulse 2.",
        "skipped": "Pregunta saltada.",
        "out_of_range": "{digits} no es un valor del 0 al 10.",
        "nothing_keyed": "No hemos recibido ninguna respuesta.",
        "call_today": "¿Necesita que su equipo le llame hoy? Pulse 1 si necesita la llamada, o 2 si no la necesita.",
        "yes_no_retry": "Por favor, pulse 1 o 2.",
        "thanks": "Gracias. Sus respuestas han llegado al equipo de cuidados.",
        "call_in_hours": "El equipo va a llamarle hoy.",
        "call_out_of_hours": "La oficina se encuentra cerrada ahora, por eso su respuesta va al equipo de guardia. "
                             "Si necesita ayuda ahora, llame al {phone}.",
        "if_worse": "Si se siente mucho peor, no espere: llame a su equipo de cuidados al {phone}.",
        "if_worse_for": "Si la persona que usted cuida se siente mucho peor, no espere: llame al equipo de cuidados "
                        "al {phone}.",
        "gave_up": "No escuchamos ninguna respuesta, así que vamos a terminar esta llamada. Lo que respondió ya lo "
                   "tiene el equipo de cuidados. Si necesita ayuda, llame al {phone}.",
        "goodbye": "Adiós.",
        "unknown_call": "Lo sentimos, no encontramos esta llamada. Si necesita a su equipo de cuidados, llame al "
                        "teléfono que le dieron. Adiós.",
        "call_over": "Esta llamada ya ha terminado. Si necesita a su equipo de cuidados, llámelo. Adiós.",
        "sorry": "Lo sentimos, algo ha fallado de nuestro lado. Si necesita a su equipo de cuidados, llame al teléfono "
                 "que le dieron. Adiós.",
    },
}
LANGUAGES = tuple(TEXT)


def language_for(contact):
    return contact.language if contact.language in TEXT else "en"


def menu_key(purpose, *, for_caregiver):
    """The menu after the reminder: a check-in offers the survey, to a caregiver about the person they care for."""
    if purpose != "checkin":
        return "menu_reminder"
    return "menu_checkin_caregiver" if for_caregiver else "menu_checkin"


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


def _spoken_time(moment, language):
    """A time as the voice should say it: "9 AM", "9:30 AM" / "las 9", "las 17:30", "la 1"."""
    if language == "en":
        return moment.strftime("%I").lstrip("0") + ("" if moment.minute == 0 else f":{moment.minute:02d}") + (
            " AM" if moment.hour < 12 else " PM")
    hour = f"{moment.hour}" if moment.minute == 0 else f"{moment.hour}:{moment.minute:02d}"
    return f"{'la' if moment.hour == 1 else 'las'} {hour}"


def spoken_window(clinic, moment, language):
    """When the nurse calls, as a call says it: the clinic's calling window that day (its working hours),
    "between 9 AM and 5 PM" / "entre las 9 y las 17 horas"; "" when the team does not work that day."""
    window = clinic.calling_window(scheduling.local_date(moment, clinic.zone))
    if window is None:
        return ""
    opens, closes = (_spoken_time(edge.astimezone(clinic.zone), language) for edge in window)
    return f"between {opens} and {closes}" if language == "en" else f"entre {opens} y {closes} horas"


def reminder_words(call, clinic, due_at, zone):
    """The reminder part of a call: the template of its purpose and language, with the clinic's name in
    messages (never its full name, which may name the kind of care) and nothing about the patient."""
    language = call.language
    local = due_at.astimezone(zone)
    with translation.override(language):
        day = formats.date_format(local, "l, F j" if language == "en" else r"l j \d\e F")
        time = formats.time_format(local, "g:i A" if language == "en" else "H:i")
    context = {"clinic_name": clinic.messages_name, "clinic_phone": spoken_number(clinic.phone), "day": day,
               "time": time, "for_caregiver": call.caregiver_id is not None,
               "window": spoken_window(clinic, due_at, language) if call.purpose == "checkin" else ""}
    return render_message(call.purpose, "voice", language, context).text


def voicemail_words(call, clinic):
    context = {"clinic_name": clinic.messages_name, "clinic_phone": spoken_number(clinic.phone)}
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
