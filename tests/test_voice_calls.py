"""Automated calls, driven whole through signed webhook requests: the reminder spoken in the contact's
language, the keys, the voicemail, and the keypad ESAS-r recorded as a report that runs the alert rules."""

from datetime import timedelta

import pytest
import time_machine

from followup import services
from followup.messaging import delivery
from followup.models import Alert, Reminder, SymptomReport, VoiceCall
from followup import esas_r
from followup.voice import backends, script

from .conftest import make_patient
from .voice_phone import SITE, TOKEN, Phone, post_signed

# The form's reviewed English wording table (locale/en/esas_r.toml), without "Other problem".
NINE_ITEMS = [(item.field, item.name, item.best, item.worst) for item in esas_r.wording("en") if item.field != "other_problem"]


@pytest.fixture(autouse=True)
def _twilio(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SITE_URL = SITE
    backends.calls.clear()


@pytest.fixture
def esperanza(riverside, nina):
    """Speaks Spanish and has no smartphone: her reminders come as calls to her landline."""
    return make_patient(riverside, "RV-1003", "Esperanza", "Núñez", mobile="+12025550103", line_type="landline",
                        preferred_channel="voice", language="es", nurse=nina)


@pytest.fixture
def walter(riverside, nina):
    """Speaks English; calls to his mobile."""
    return make_patient(riverside, "RV-1004", "Walter", "O'Brien", mobile="+12025550104", line_type="mobile",
                        preferred_channel="voice", nurse=nina)


def ring(client, patient, purpose):
    """Enrol the patient, let the outbox place the call of `purpose` at its time, and hand back the phone
    it rings (the clock stays at that moment until the test ends)."""
    services.enrol(patient)
    reminder = Reminder.objects.get(patient=patient, purpose=purpose, channel="voice")
    traveller = time_machine.travel(reminder.send_at + timedelta(minutes=1), tick=False)
    traveller.start()
    claimed = delivery.claim_due(reminder.send_at + timedelta(minutes=1))
    assert delivery.send_reminders(claimed) == 1
    reminder.refresh_from_db()
    placed = backends.calls[-1]
    assert placed.key == reminder.key
    phone = Phone(client, reminder.provider_id, placed.url)
    phone.reminder = reminder
    phone.stop_clock = traveller.stop
    return phone


@pytest.fixture
def ring_phone(client):
    phones = []

    def _ring(patient, purpose):
        phones.append(ring(client, patient, purpose))
        return phones[-1]

    yield _ring
    for phone in phones:
        phone.stop_clock()


def answer_survey(phone, scores, who="1"):
    """From the menu of a check-in call: key 1, who is answering, then each item (None skips it),
    confirming every read-back."""
    phone.key("1")
    phone.key(who)
    for field, _, _, _ in NINE_ITEMS:
        score = scores.get(field)
        if score is None:
            phone.key("*")
            continue
        phone.key(str(score))
        phone.key("1")
    return phone.last


@pytest.mark.django_db
class TestReminderCall:
    def test_a_drainage_reminder_call_speaks_the_minimum_in_english(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        twiml = phone.answer()
        assert twiml.languages == {"en-US"}
        assert {voice for _, _, voice in twiml.says} == {"Polly.Joanna-Neural"}
        assert "Riverside Palliative Care" in twiml.words
        assert "tomorrow" in twiml.words and "9:00 AM" in twiml.words
        assert "2 0 2, 5 5 5, 0 1 0 0" in twiml.words  # the team's number, digit by digit
        assert "Walter" not in twiml.words and "drain" not in twiml.words.lower()
        gather = twiml.gather
        assert gather.get("numDigits") == "1" and gather.get("actionOnEmptyResult") == "true"
        assert gather.get("action") == f"{SITE}/webhooks/twilio/voice/gather/menu/"

    def test_a_spanish_contact_hears_every_sentence_in_spanish_with_a_spanish_voice(self, ring_phone, esperanza):
        phone = ring_phone(esperanza, Reminder.Purpose.MORNING_OF)
        twiml = phone.answer()
        assert twiml.languages == {"es-US"}
        assert {voice for _, _, voice in twiml.says} == {"Polly.Lupe-Neural"}
        assert "su cita: hoy" in twiml.words and "Para confirmar, pulse 1" in twiml.words

    def test_key_1_confirms_the_appointment(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        phone.answer()
        twiml = phone.key("1")
        assert "The appointment is confirmed" in twiml.words and twiml.hangs_up
        phone.reminder.refresh_from_db()
        assert phone.reminder.confirmed_at is not None

    def test_key_2_repeats_the_message(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        first = phone.answer()
        again = phone.key("2")
        assert again.words == first.words and again.gather is not None

    def test_key_9_stops_automated_calls_and_texts_to_that_number_for_everyone_on_it(self, ring_phone, walter, riverside):
        from followup.models import Caregiver

        # Walter's wife is reminded of her own mother's care on the same home number.
        mother = make_patient(riverside, "RV-1005", "Maude", "O'Brien", mobile="+12025550105", nurse=walter.nurse)
        wife = Caregiver.objects.create(patient=mother, name="Rita O'Brien", mobile="+12025550104", preferred_channel="sms",
                                        consent_at=walter.consent_at, consent_source="verbal")
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        phone.answer()
        twiml = phone.key("9")
        assert "no more automated calls or texts" in twiml.words and twiml.hangs_up
        walter.refresh_from_db()
        wife.refresh_from_db()
        assert walter.opted_out_at is not None and walter.opted_out_source == "Phone key 9"
        assert wife.opted_out_at is not None
        assert not Reminder.objects.filter(patient=walter, state__in=Reminder.UNSENT).exists()

    def test_an_answering_machine_gets_a_short_neutral_voicemail_without_phi(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        twiml = phone.answer(answered_by="machine_end_beep")
        assert twiml.gather is None and twiml.hangs_up
        assert twiml.words == ("Hello. This is a message from Riverside Palliative Care for this number. "
                               "Please call us back on 2 0 2, 5 5 5, 0 1 0 0. Thank you. Goodbye.")
        phone.hang_up()
        phone.reminder.refresh_from_db()
        assert phone.reminder.state == Reminder.State.DELIVERED and phone.reminder.reason == "Voicemail left"

    def test_a_wrong_key_is_explained_and_the_menu_repeated(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        phone.answer()
        twiml = phone.key("7")
        assert twiml.words.startswith("Please press 1, 2, 3 or 9.") and twiml.gather is not None

    def test_silence_three_times_ends_the_call_kindly(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        phone.answer()
        phone.key(None)
        phone.key(None)
        twiml = phone.key(None)
        assert twiml.hangs_up and twiml.words == "Goodbye."


@pytest.mark.django_db
class TestKeypadSurvey:
    def test_a_whole_keypad_survey_in_spanish_is_recorded_as_a_phone_report(self, ring_phone, esperanza):
        phone = ring_phone(esperanza, Reminder.Purpose.CHECKIN)
        menu = phone.answer()
        assert "qué tal se encuentra ahora" in menu.words
        who = phone.key("1")
        assert who.languages == {"es-US"}
        assert "Si usted recibe los cuidados, pulse 1" in who.words and who.gather.get("numDigits") == "1"
        first = phone.key("2")  # a family caregiver answers
        assert "0 es lo mejor y 10 lo peor" in first.words
        assert "Dolor. 0 significa: Sin dolor. 10 significa: Máximo dolor imaginable." in first.words
        assert first.gather.get("numDigits") == "2" and first.gather.get("finishOnKey") == "#"
        read_back = phone.key("8")
        assert read_back.words == "Ha marcado 8 en Dolor. Si es correcto, pulse 1. Para marcarlo otra vez, pulse 2."
        second = phone.key("1")
        assert "Cansancio. 0 significa: Sin cansancio (cansancio = falta de energía)." in second.words
        skipped = phone.key("*")
        assert skipped.words.startswith("Pregunta saltada. Somnolencia.")
        for _ in NINE_ITEMS[2:]:
            phone.key("3")
            last = phone.key("1")
        assert last.words == "¿Necesita que su equipo le llame hoy? Pulse 1 si necesita la llamada, o 2 si no la necesita."
        done = phone.key("2")
        assert done.hangs_up and done.languages == {"es-US"}
        report = SymptomReport.objects.get(patient=esperanza)
        assert report.source == SymptomReport.Source.PHONE
        assert report.completed_by == SymptomReport.CompletedBy.CAREGIVER
        assert (report.pain, report.tiredness, report.drowsiness, report.wellbeing) == (8, None, 3, 3)
        assert report.other_problem is None
        assert report.needs_call_today is False and report.partial is False

    def test_each_item_is_read_with_its_anchors_word_for_word_from_the_form_table(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        who = phone.key("1")
        assert ("If you are the patient, press 1. If you are a family caregiver, press 2. If you are a health care "
                "professional caregiver, press 3. If the patient is answering with a caregiver's help, press 4.") in who.words
        twiml = phone.key("1")
        for _, item, best, worst in NINE_ITEMS:
            assert f"{item}. 0 means: {best}. 10 means: {worst}." in twiml.words
            phone.key("*")
            twiml = phone.last

    def test_the_four_esas_r_options_of_who_is_answering(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        menu = phone.answer()
        assert "press 1" in menu.words
        answer_survey(phone, {"pain": 2}, who="4")
        phone.key("2")
        assert SymptomReport.objects.get(patient=walter).completed_by == SymptomReport.CompletedBy.ASSISTED

    def test_the_survey_ends_with_do_you_need_a_call_today(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        twiml = answer_survey(phone, {"pain": 2})
        assert twiml.words == "Skipped. Do you need a call from your team today? Press 1 for yes, 2 for no."
        assert twiml.gather.get("numDigits") == "1"

    def test_a_severe_score_by_keypad_runs_the_alert_rules(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        answer_survey(phone, {"pain": 9, "nausea": 1})
        phone.key("2")
        report = SymptomReport.objects.get(patient=walter)
        assert Alert.objects.filter(report=report).exists()

    def test_key_2_at_the_read_back_asks_the_item_again(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        phone.key("1")
        phone.key("1")
        phone.key("9")
        again = phone.key("2")
        assert "Pain. 0 means: No Pain." in again.words
        phone.key("4")
        phone.key("1")
        assert VoiceCall.objects.get().scores == {"pain": 4}

    def test_a_call_that_drops_part_way_keeps_the_answered_items_as_a_partial_report(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        phone.key("1")
        phone.key("1")
        phone.key("6")
        phone.key("1")
        phone.key("2")  # tiredness 2, keyed but not confirmed when the line drops
        phone.hang_up()
        report = SymptomReport.objects.get(patient=walter)
        assert report.partial is True and report.source == SymptomReport.Source.PHONE
        assert report.pain == 6 and report.tiredness is None
        assert report.needs_call_today is None
        phone.reminder.refresh_from_db()
        assert phone.reminder.state == Reminder.State.DELIVERED

    def test_a_call_dropped_before_any_answer_records_no_report(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        phone.key("1")
        phone.hang_up()
        assert not SymptomReport.objects.exists()


@pytest.mark.django_db
class TestBadInput:
    def start_items(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        phone.key("1")
        phone.key("1")
        return phone

    @pytest.mark.parametrize("digits", ["11", "99", "5*"])
    def test_digits_out_of_range_are_explained_and_the_item_asked_again(self, ring_phone, walter, digits):
        phone = self.start_items(ring_phone, walter)
        twiml = phone.key(digits)
        assert "is not a number from 0 to 10." in twiml.words
        assert "Pain. 0 means: No Pain." in twiml.words and twiml.gather is not None
        assert VoiceCall.objects.get().scores == {}

    def test_a_timeout_with_no_key_asks_again(self, ring_phone, walter):
        phone = self.start_items(ring_phone, walter)
        twiml = phone.key(None)
        assert twiml.words.startswith("We did not get a number. Pain.")

    def test_pound_with_nothing_keyed_asks_again(self, ring_phone, walter):
        phone = self.start_items(ring_phone, walter)
        twiml = phone.key("")
        assert twiml.words.startswith("We did not get a number. Pain.") and twiml.gather is not None

    def test_three_unusable_answers_end_the_call_and_keep_what_was_answered(self, ring_phone, walter):
        phone = self.start_items(ring_phone, walter)
        phone.key("7")
        phone.key("1")
        for _ in range(3):
            twiml = phone.key("12")
        assert twiml.hangs_up and "We could not hear an answer" in twiml.words
        report = SymptomReport.objects.get(patient=walter)
        assert report.pain == 7 and report.partial is True

    def test_a_wrong_who_key_asks_again(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        phone.key("1")
        twiml = phone.key("7")
        assert twiml.words.startswith("Please press 1, 2, 3 or 4.")

    def test_an_unknown_call_sid_is_ended_kindly(self, client):
        phone = Phone(client, "CA" + "0" * 32, f"{SITE}/webhooks/twilio/voice/")
        twiml = phone.answer()
        assert twiml.hangs_up and "we cannot find this call" in twiml.words
        gathered = post_signed(client, "/webhooks/twilio/voice/gather/item/?n=0", {"CallSid": "CAunknown", "Digits": "5"})
        assert gathered.status_code == 200 and b"<Hangup" in gathered.content

    def test_a_gather_for_a_finished_call_says_the_call_has_ended(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        phone.key("1")
        phone.hang_up()
        twiml = phone.key("1")
        assert twiml.hangs_up and twiml.words == "This call has already ended. If you need your care team, please call them. Goodbye."

    def test_a_stale_gather_for_an_earlier_step_repeats_the_current_question(self, ring_phone, walter):
        phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
        phone.answer()
        phone.key("1")
        phone.key("1")
        twiml = phone._post(f"{SITE}/webhooks/twilio/voice/gather/menu/", Digits="9")
        assert "Pain. 0 means" in twiml.words
        walter.refresh_from_db()
        assert walter.opted_out_at is None

    def test_a_missing_call_sid_gets_twiml_not_500(self, client):
        response = post_signed(client, "/webhooks/twilio/voice/gather/menu/", {"Digits": "1"})
        assert response.status_code == 200 and b"<Hangup" in response.content


@pytest.mark.django_db
class TestSignature:
    @pytest.mark.parametrize("path", ["/webhooks/twilio/voice/", "/webhooks/twilio/voice/gather/menu/",
                                      "/webhooks/twilio/voice/status/"])
    def test_a_forged_signature_gets_403_and_changes_nothing(self, ring_phone, walter, client, path):
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        phone.answer()
        response = post_signed(client, path, {"CallSid": phone.sid, "Digits": "9", "CallStatus": "completed"}, token="forged")
        assert response.status_code == 403
        walter.refresh_from_db()
        phone.reminder.refresh_from_db()
        assert walter.opted_out_at is None and phone.reminder.state == Reminder.State.SENT
        assert VoiceCall.objects.get().step == VoiceCall.Step.MENU

    def test_an_unsigned_voice_request_gets_403(self, client):
        assert client.post("/webhooks/twilio/voice/", {"CallSid": "CA1"}).status_code == 403


def test_the_keypad_reads_the_nine_symptom_items_of_the_form_table():
    assert script.KEYPAD_FIELDS == [row[0] for row in NINE_ITEMS]
    for index, row in enumerate(NINE_ITEMS):  # the form's own table, in each language
        assert script.item_words(index, "en") == row
    spanish = {item.field: item for item in esas_r.wording("es")}
    assert script.item_words(0, "es") == ("pain", spanish["pain"].name, spanish["pain"].best, spanish["pain"].worst)


@pytest.mark.django_db
def test_a_call_we_cannot_place_is_told_so_in_english_and_spanish(client):
    phone = Phone(client, "CA" + "1" * 32, f"{SITE}/webhooks/twilio/voice/")
    twiml = phone.answer()
    assert twiml.languages == {"en-US", "es-US"} and twiml.hangs_up


@pytest.mark.django_db
def test_an_unexpected_failure_in_a_call_still_answers_kind_twiml(ring_phone, walter, monkeypatch):
    from followup.voice import calls

    phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
    phone.answer()
    monkeypatch.setattr(calls, "_confirm", lambda call, now: 1 / 0)
    twiml = phone.key("1")
    assert twiml.hangs_up and "something went wrong on our side" in twiml.words


@pytest.mark.django_db
class TestKey3:
    def ring_at(self, ring_phone, walter, moment):
        phone = ring_phone(walter, Reminder.Purpose.DAY_BEFORE)
        phone.answer()
        phone.stop_clock()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        phone.stop_clock = traveller.stop
        return phone

    def test_key_3_in_working_hours_connects_to_the_clinic(self, ring_phone, walter):
        from .conftest import at

        phone = self.ring_at(ring_phone, walter, at("2026-12-01 15:00"))  # a Tuesday, 10:00 in New York
        twiml = phone.key("3")
        assert "Connecting you to the care team now." in twiml.words
        assert twiml.dials == "+12025550100"

    def test_key_3_out_of_hours_gives_the_out_of_hours_number_and_the_menu_again(self, ring_phone, walter):
        from .conftest import at

        phone = self.ring_at(ring_phone, walter, at("2026-12-01 23:30"))  # 18:30 in New York
        twiml = phone.key("3")
        assert twiml.dials is None
        assert "The care team's office is closed now. If you need help now, call 2 0 2, 5 5 5, 0 1 0 0." in twiml.words
        assert twiml.gather is not None and "To confirm, press 1." in twiml.words


@pytest.mark.django_db
def test_yes_to_a_call_today_is_recorded_and_out_of_hours_names_the_out_of_hours_number(ring_phone, walter):
    phone = ring_phone(walter, Reminder.Purpose.CHECKIN)  # 09:01 on a weekday in New York: the team is working
    phone.answer()
    answer_survey(phone, {"pain": 3})
    twiml = phone.key("1")
    assert "The team will call you today." in twiml.words and twiml.hangs_up
    assert SymptomReport.objects.get(patient=walter).needs_call_today is True


@pytest.mark.django_db
def test_yes_to_a_call_today_when_the_team_is_closed(ring_phone, walter):
    from .conftest import at

    phone = ring_phone(walter, Reminder.Purpose.CHECKIN)
    phone.answer()
    answer_survey(phone, {"pain": 3})
    phone.stop_clock()
    traveller = time_machine.travel(at("2026-12-05 16:00"), tick=False)  # a Saturday
    traveller.start()
    phone.stop_clock = traveller.stop
    twiml = phone.key("1")
    assert "The office is closed now, so your answer goes to the team on call." in twiml.words
