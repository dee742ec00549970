"""What an automated call says, as TwiML built with the Twilio SDK's VoiceResponse (never by hand).

Every word is in the gettext catalogues, as every message is (README, Languages): the reminder itself
(clinic, day and time, how to reach the team) is a template per purpose in templates/messages/voice/,
rendered by messaging.rendering; the words of the keys and of the keypad survey are LINES below (context
"automated call"), said in the contact's language. Each ESAS-r item is read from that language's
reviewed wording table (followup.esas_r), word for word, as the symptom form shows it. The voice that
says a language, and the language code Twilio gives it, come from the catalogue too, so a new language
needs a catalogue and a wording table, not code.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, translation
from django.utils.translation import ngettext, pgettext, pgettext_lazy
from twilio.twiml.voice_response import VoiceResponse

from .. import esas_r, languages, scheduling
from ..models import ESAS_FIELDS
from ..messaging.rendering import render_message

MAX_TRIES = 3  # unusable answers in a row at one step before the call ends kindly
KEY_TIMEOUT = 8  # seconds of silence before Twilio hands us what was keyed (or nothing)

# The nine symptom items are asked by keypad. "Other problem" is not: its score means nothing without
# its name, which a keypad cannot give; "do you need a call today?" catches what it would have.
KEYPAD_FIELDS = [field for field in ESAS_FIELDS if field != "other_problem"]

# The four "completed by" options of the ESAS-r form, in key order.
WHO_KEYS = {"1": "patient", "2": "caregiver", "3": "professional", "4": "caregiver_assisted"}

# Spanish (and any language) as main's texts write it (tests/test_voice_words.py): gender-neutral
# ("su equipo de enfermería", "la persona que usted cuida"), and no word whose meaning changes when its
# accent drops (está, más, sí, cómo, número, llamará...), so a sentence reads the same if it is ever
# shown or texted without accents. The accents stay in what is spoken: the voice needs them.
LINES = {
    "menu_reminder": pgettext_lazy("automated call",
        "To confirm, press 1. To hear this again, press 2. To speak to your care team, press 3. "
        "To stop automated calls and texts to this number, press 9."),
    "menu_checkin": pgettext_lazy("automated call",
        "To tell your team how you are feeling now, by answering a few questions on your keypad, "
        "press 1. To hear this again, press 2. To speak to your care team, press 3. To stop "
        "automated calls and texts to this number, press 9."),
    "menu_checkin_caregiver": pgettext_lazy("automated call",
        "To tell the team how the person you care for is feeling now, by answering a few "
        "questions on your keypad, press 1. To hear this again, press 2. To speak to the care "
        "team, press 3. To stop automated calls and texts to this number, press 9."),
    "menu_retry": pgettext_lazy("automated call",
        "Please press 1, 2, 3 or 9."),
    "confirmed": pgettext_lazy("automated call",
        "Thank you. The appointment is confirmed."),
    "connecting": pgettext_lazy("automated call",
        "Connecting you to the care team now."),
    "not_connected": pgettext_lazy("automated call",
        "We could not connect you. Please call the care team on %(phone)s."),
    "closed": pgettext_lazy("automated call",
        "The care team's office is closed now. If you need help now, call %(phone)s. Again, that "
        "number is %(phone)s."),
    "opted_out": pgettext_lazy("automated call",
        "You will get no more automated calls or texts at this number. To start them again, call "
        "the care team on %(phone)s."),
    "who": pgettext_lazy("automated call",
        "First, who is answering? If you are the patient, press 1. If you are a family caregiver, "
        "press 2. If you are a health care professional caregiver, press 3. If the patient is "
        "answering with a caregiver's help, press 4."),
    "who_retry": pgettext_lazy("automated call",
        "Please press 1, 2, 3 or 4."),
    "how_to_answer": pgettext_lazy("automated call",
        "For each question, key a number from 0 to 10 for how you feel now, then press the pound "
        "key. 0 is the best and 10 the worst. To skip a question, press the star key."),
    "how_to_answer_for": pgettext_lazy("automated call",
        "For each question, key a number from 0 to 10 for how the person you care for feels now, "
        "then press the pound key. 0 is the best and 10 the worst. To skip a question, press the "
        "star key."),
    "item": pgettext_lazy("automated call",
        "%(item)s. 0 means: %(best)s. 10 means: %(worst)s. Key your number, then press pound."),
    "read_back": pgettext_lazy("automated call",
        "You keyed %(score)s for %(item)s. If that is right, press 1. To key it again, press 2."),
    "skipped": pgettext_lazy("automated call",
        "Skipped."),
    "out_of_range": pgettext_lazy("automated call",
        "%(digits)s is not a number from 0 to 10."),
    "nothing_keyed": pgettext_lazy("automated call",
        "We did not get a number."),
    "call_today": pgettext_lazy("automated call",
        "Do you need a call from your team today? Press 1 for yes, 2 for no."),
    "yes_no_retry": pgettext_lazy("automated call",
        "Please press 1 for yes, or 2 for no."),
    "thanks": pgettext_lazy("automated call",
        "Thank you. Your answers have reached the care team."),
    "call_in_hours": pgettext_lazy("automated call",
        "The team will call you today."),
    "call_out_of_hours": pgettext_lazy("automated call",
        "The office is closed now, so your answer goes to the team on call. If you need help now, "
        "call %(phone)s."),
    "if_worse": pgettext_lazy("automated call",
        "If you feel much worse, do not wait: call your care team on %(phone)s."),
    "if_worse_for": pgettext_lazy("automated call",
        "If the person you care for feels much worse, do not wait: call the care team on "
        "%(phone)s."),
    "gave_up": pgettext_lazy("automated call",
        "We could not hear an answer, so we will end this call. Anything you answered has reached "
        "the care team. If you need help, call %(phone)s."),
    "goodbye": pgettext_lazy("automated call",
        "Goodbye."),
    "unknown_call": pgettext_lazy("automated call",
        "Sorry, we cannot find this call. If you need your care team, please call them on the "
        "number they gave you. Goodbye."),
    "call_over": pgettext_lazy("automated call",
        "This call has already ended. If you need your care team, please call them. Goodbye."),
    "sorry": pgettext_lazy("automated call",
        "Sorry, something went wrong on our side. If you need your care team, please call them on "
        "the number they gave you. Goodbye."),
}


def voice(language):
    """{"voice": ..., "language": ...} for a <Say> in `language`: a voice that speaks it natively (Amazon
    Polly neural voices, as Twilio names them), from the catalogue."""
    with translation.override(languages.supported(language)):
        # Translators: the Amazon Polly voice (as Twilio names it) that speaks this language natively.
        name = pgettext("Twilio voice for this language", "Polly.Joanna-Neural")
        # Translators: the language code Twilio's <Say> takes for this language, e.g. es-US.
        code = pgettext("Twilio language code for this language", "en-US")
    return {"voice": name, "language": code}


def language_for(contact):
    return languages.supported(contact.language)


def menu_key(purpose, *, for_caregiver):
    """The menu after the reminder: a check-in offers the survey, to a caregiver about the person they care for."""
    if purpose != "checkin":
        return "menu_reminder"
    return "menu_checkin_caregiver" if for_caregiver else "menu_checkin"


def line(key, language, **values):
    """One line of the script in `language`, its %(name)s values filled in."""
    with translation.override(languages.supported(language)):
        text = str(LINES[key])
    return text % values if values else text


def spoken_number(number):
    """'(202) 555-0100' read digit by digit, in groups: '2 0 2, 5 5 5, 0 1 0 0'. Text-to-speech reads
    a written phone number as thousands and hundreds otherwise."""
    if not number:
        return ""
    groups = [part for part in "".join(c if c.isdigit() else " " for c in number.as_national).split() if part]
    return ", ".join(" ".join(group) for group in groups)


def item_words(index, language):
    """(field, item name, 0 anchor, 10 anchor) of the keypad item at `index`, in `language`."""
    field = KEYPAD_FIELDS[index]
    item = next(item for item in esas_r.wording(languages.supported(language)) if item.field == field)
    return item.field, item.name, item.best, item.worst


def _spoken_time(moment, language):
    """A time as the voice should say it, from the catalogue's Django date formats: "9 AM", "9:30 AM"
    / "las 9", "las 17:30", "la 1". Call in the language's translation.override."""
    if moment.minute == 0:
        pattern = pgettext("a time on the hour said in a call; a Django date format", "g A")
    else:
        pattern = pgettext("a time with minutes said in a call; a Django date format", "g:i A")
    # Translators: a time said in a call, as "9 AM"; Spanish puts its article before it: "la 1", "las 9"
    # (the plural form goes by the hour of the 24-hour clock).
    return ngettext("%(time)s", "%(time)s", moment.hour) % {"time": dateformat.format(moment, pattern)}


def spoken_window(clinic, moment, language):
    """When the nurse calls, as a call says it: the clinic's calling window that day (its working hours),
    "between 9 AM and 5 PM" / "entre las 9 y las 17 horas"; "" when the team does not work that day."""
    window = clinic.calling_window(scheduling.local_date(moment, clinic.zone))
    if window is None:
        return ""
    with translation.override(languages.supported(language)):
        opens, closes = (_spoken_time(edge.astimezone(clinic.zone), language) for edge in window)
        return pgettext("the nurse's calling window, said in a call", "between %(opens)s and %(closes)s") % {
            "opens": opens, "closes": closes}


def reminder_words(call, clinic, due_at, zone):
    """The reminder part of a call: the template of its purpose and language, with the clinic's name in
    messages (never its full name, which may name the kind of care) and nothing about the patient."""
    language = languages.supported(call.language)
    local = due_at.astimezone(zone)
    with translation.override(language):
        day = dateformat.format(local, pgettext("the day of an appointment said in a call; a Django date format", "l, F j"))
        time = dateformat.time_format(local, pgettext("the time of an appointment said in a call; a Django date format",
                                                      "g:i A"))
        window = spoken_window(clinic, due_at, language) if call.purpose == "checkin" else ""
        when = pgettext("a day and the nurse's calling window, said in a call", "%(day)s, %(window)s") % {
            "day": day, "window": window} if window else day
    context = {"clinic_name": clinic.messages_name, "clinic_phone": spoken_number(clinic.phone), "day": day,
               "time": time, "when": when, "for_caregiver": call.caregiver_id is not None}
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
        self.language = languages.supported(language)
        self.voice = voice(self.language)
        self.response = VoiceResponse()

    def words(self, key, **values):
        return line(key, self.language, **values)

    def say(self, words, into=None):
        (into or self.response).say(words, **self.voice)
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
