"""An automated call from answer to hang-up: the reminder, its keys, and the keypad ESAS-r.

Twilio asks for TwiML when the call is answered (`answer`), and again each time the patient keys an
answer (`gather`, one step at a time); status callbacks say how the call ended (`call_ended`). The
VoiceCall row holds where the script stands, so each request is answered from the database and a
repeated or stale request only repeats the current question. Nothing here answers 500: an unknown
call, a finished call and every unusable key get kind words and a repeat or a goodbye.

Keys (menu): 1 confirms (a check-in call: starts the survey), 2 repeats, 3 connects to the clinic in
working hours (else gives the out-of-hours number), 9 opts the number out of automated calls and texts.
"""

import logging

from django.db import transaction
from django.utils import timezone

from .. import services
from ..messaging import opt_outs
from ..models import Reminder, SymptomReport, VoiceCall
from .. import languages
from .script import (
    KEYPAD_FIELDS, MAX_TRIES, WHO_KEYS, Script, item_words, language_for, line, menu_key, reminder_words, spoken_number,
    voice, voicemail_words,
)

logger = logging.getLogger(__name__)

# AnsweredBy values of Twilio's answering-machine detection that mean nobody is listening live.
MACHINE = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other")
ENDED = ("completed", "busy", "failed", "no-answer", "canceled")


def team_is_open(clinic, moment):
    """The clinic's working hours (Monday to Friday, 09:00-17:00 in its zone when it has set none)."""
    return clinic.is_open(moment)


def out_of_hours_number(clinic):
    return clinic.out_of_hours_number


# --- Answer ---------------------------------------------------------------------------------------------


def _reminder_for(call_sid, reminder_id):
    """The outbox row that placed this call: by the provider id it recorded, or by the id in the URL we
    gave Twilio (signed with the request) while the row has not recorded the CallSid yet."""
    reminder = Reminder.objects.filter(provider_id=call_sid, channel="voice").first()
    if reminder is None and reminder_id and str(reminder_id).isdigit():
        reminder = Reminder.objects.filter(pk=int(reminder_id), channel="voice", provider_id__in=("", call_sid)).first()
    return reminder


def _session(call_sid, reminder_id, now):
    """The VoiceCall of `call_sid`, made at the first answer; None for a call that is not ours."""
    call = VoiceCall.objects.select_for_update().filter(call_sid=call_sid).first()
    if call is not None:
        return call
    reminder = _reminder_for(call_sid, reminder_id)
    if reminder is None or reminder.patient_id is None:
        return None
    contact = reminder.caregiver or reminder.patient
    call, _ = VoiceCall.objects.get_or_create(call_sid=call_sid, defaults=dict(
        reminder=reminder, patient=reminder.patient, caregiver=reminder.caregiver, purpose=reminder.purpose,
        language=language_for(contact), started_at=now))
    return VoiceCall.objects.select_for_update().get(pk=call.pk)


def answer(call_sid, *, reminder_id=None, answered_by="", now=None):
    """TwiML for a call just answered: a voicemail for a machine, else the reminder and its menu."""
    now = now or timezone.now()
    with transaction.atomic():
        call = _session(call_sid, reminder_id, now)
        if call is None:
            logger.info("voice call answered for an unknown call")
            return _in_every_language("unknown_call")
        if call.is_over:
            return str(_call_over(call))
        if answered_by:
            call.answered_by = answered_by[:24]
            call.save(update_fields=["answered_by"])
        clinic = call.patient.clinic
        if answered_by == "fax":
            return str(Script(call.language).end())
        if answered_by in MACHINE:
            _finish(call, now)
            logger.info("voice call %s: voicemail left", call.pk)
            return str(Script(call.language).end(voicemail_words(call, clinic)))
        return str(_menu(call))


def _menu(call, *before):
    script = Script(call.language)
    clinic = call.patient.clinic
    due_at = call.reminder.due_at if call.reminder else timezone.now()
    return script.ask(VoiceCall.Step.MENU, *before, reminder_words(call, clinic, due_at, call.patient.zone),
                      script.words(menu_key(call.purpose, for_caregiver=call.caregiver_id is not None)))


def _in_every_language(key):
    """For a call we cannot place (unknown, or something failed): we do not know its language, so each says it."""
    script = Script(languages.SOURCE_LANGUAGE)
    for language in languages.codes():
        script.response.say(line(key, language), **voice(language))
    return str(script.end())


def sorry():
    return _in_every_language("sorry")


def _call_over(call):
    script = Script(call.language)
    return script.end(script.words("call_over"))


# --- Gather ---------------------------------------------------------------------------------------------


def gather(call_sid, step, *, index=None, digits=None, now=None):
    """TwiML for the answer keyed at `step` (item `index`). `digits` None or "": nothing keyed."""
    now = now or timezone.now()
    with transaction.atomic():
        # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of the join to the reminder.
        call = (VoiceCall.objects.select_for_update(of=("self",)).select_related("patient__clinic", "reminder")
                .filter(call_sid=call_sid).first())
        if call is None:
            return _in_every_language("unknown_call")
        if call.is_over:
            return str(_call_over(call))
        if step != call.step or (call.step in (VoiceCall.Step.ITEM, VoiceCall.Step.READ_BACK) and index != str(call.item_index)):
            # A stale or repeated request (Twilio retried, or a Redirect after an answer): ask again what is current.
            return str(_ask_current(call))
        digits = (digits or "").strip()
        handler = {
            VoiceCall.Step.MENU: _on_menu, VoiceCall.Step.WHO: _on_who, VoiceCall.Step.ITEM: _on_item,
            VoiceCall.Step.READ_BACK: _on_read_back, VoiceCall.Step.CALL_TODAY: _on_call_today,
        }[call.step]
        return str(handler(call, digits, now))


def _move(call, step, **fields):
    call.step = step
    call.tries = 0
    for name, value in fields.items():
        setattr(call, name, value)
    call.save()


def _retry(call, now, *complaint):
    """An unusable answer: say why and ask again, or after MAX_TRIES end the call with what was answered."""
    call.tries += 1
    call.save(update_fields=["tries"])
    script = Script(call.language)
    if call.tries >= MAX_TRIES:
        at_menu = call.step == VoiceCall.Step.MENU
        if _finish(call, now) is None and at_menu:
            return script.end(script.words("goodbye"))
        return script.end(script.words("gave_up", phone=spoken_number(call.patient.clinic.phone)), script.words("goodbye"))
    return _ask_current(call, *[script.words(key, **values) for key, values in complaint])


def _ask_current(call, *before):
    script = Script(call.language)
    step = call.step
    if step == VoiceCall.Step.MENU:
        return _menu(call, *before)
    if step == VoiceCall.Step.WHO:
        return script.ask(step, *before, script.words("who"))
    if step == VoiceCall.Step.ITEM:
        _, item, best, worst = item_words(call.item_index, call.language)
        how = "how_to_answer_for" if _for_someone_else(call) else "how_to_answer"
        intro = [script.words(how)] if call.item_index == 0 and call.tries == 0 else []
        return script.ask(step, *before, *intro, script.words("item", item=item, best=best, worst=worst),
                          index=call.item_index, digits=2)
    if step == VoiceCall.Step.READ_BACK:
        _, item, _, _ = item_words(call.item_index, call.language)
        return script.ask(step, *before, script.words("read_back", score=call.pending_score, item=item), index=call.item_index)
    return script.ask(step, *before, script.words("call_today"))


def _on_menu(call, digits, now):
    script = Script(call.language)
    clinic = call.patient.clinic
    phone = spoken_number(clinic.phone)
    if digits == "1" and call.purpose == Reminder.Purpose.CHECKIN:
        _move(call, VoiceCall.Step.WHO)
        return _ask_current(call)
    if digits == "1":
        _confirm(call, now)
        _finish(call, now)
        return script.end(script.words("confirmed"), script.words("goodbye"))
    if digits == "2":
        call.tries = 0
        call.save(update_fields=["tries"])
        return _menu(call)
    if digits == "3":
        if team_is_open(clinic, now):
            _finish(call, now)
            script.say(script.words("connecting")).dial(clinic.phone)
            return script.end(script.words("not_connected", phone=phone), script.words("goodbye"))
        return _menu(call, script.words("closed", phone=spoken_number(out_of_hours_number(clinic))))
    if digits == "9":
        _opt_out(call, now)
        return script.end(script.words("opted_out", phone=phone), script.words("goodbye"))
    return _retry(call, now, ("menu_retry", {}))


def _for_someone_else(call):
    """The one answering is a caregiver (family or professional) speaking for the patient: the survey asks
    how the person they care for feels. The patient, alone or with help, is asked how they feel."""
    return call.completed_by in (SymptomReport.CompletedBy.CAREGIVER, SymptomReport.CompletedBy.PROFESSIONAL)


def _on_who(call, digits, now):
    if digits not in WHO_KEYS:
        return _retry(call, now, ("who_retry", {}))
    _move(call, VoiceCall.Step.ITEM, completed_by=WHO_KEYS[digits], item_index=0)
    return _ask_current(call)


def _next_item(call, *before):
    if call.item_index + 1 < len(KEYPAD_FIELDS):
        _move(call, VoiceCall.Step.ITEM, item_index=call.item_index + 1, pending_score=None)
    else:
        _move(call, VoiceCall.Step.CALL_TODAY, pending_score=None)
    return _ask_current(call, *before)


def _on_item(call, digits, now):
    script = Script(call.language)
    if digits == "*":
        call.scores.pop(KEYPAD_FIELDS[call.item_index], None)
        return _next_item(call, script.words("skipped"))
    if not digits:
        return _retry(call, now, ("nothing_keyed", {}))
    if not digits.isdigit() or int(digits) > 10:
        return _retry(call, now, ("out_of_range", {"digits": " ".join(digits.replace("*", "").replace("#", "")) or digits}))
    _move(call, VoiceCall.Step.READ_BACK, pending_score=int(digits))
    return _ask_current(call)


def _on_read_back(call, digits, now):
    if digits == "1":
        call.scores[KEYPAD_FIELDS[call.item_index]] = call.pending_score
        return _next_item(call)
    if digits == "2":
        _move(call, VoiceCall.Step.ITEM, pending_score=None)
        return _ask_current(call)
    return _retry(call, now, ("yes_no_retry", {}))


def _on_call_today(call, digits, now):
    if digits not in ("1", "2"):
        return _retry(call, now, ("yes_no_retry", {}))
    call.needs_call_today = digits == "1"
    call.save(update_fields=["needs_call_today"])
    _finish(call, now)
    script = Script(call.language)
    clinic = call.patient.clinic
    said = [script.words("thanks")]
    if call.needs_call_today and team_is_open(clinic, now):
        said.append(script.words("call_in_hours"))
    elif call.needs_call_today:
        said.append(script.words("call_out_of_hours", phone=spoken_number(out_of_hours_number(clinic))))
    said.append(script.words("if_worse_for" if _for_someone_else(call) else "if_worse", phone=spoken_number(clinic.phone)))
    return script.end(*said, script.words("goodbye"))


# --- What a call changes --------------------------------------------------------------------------------


def _confirm(call, now):
    """Key 1 on a drainage reminder: like a texted C, it confirms that appointment time."""
    call.confirmed_at = now
    call.save(update_fields=["confirmed_at"])
    reminder = call.reminder
    if reminder is not None:
        Reminder.objects.filter(occurrence=reminder.occurrence_id, due_at=reminder.due_at, confirmed_at__isnull=True).update(confirmed_at=now)


def _opt_out(call, now):
    """Key 9: the number stops getting texts and automated calls, for everyone who gives it
    (messaging/opt_outs.py: one revocation covers both)."""
    stopped = opt_outs.stop_number(call.contact.mobile.as_e164, "Phone key 9", now)
    call.opted_out_at = now
    call.save(update_fields=["opted_out_at"])
    _finish(call, now)
    logger.info("voice call %s: number opted out by key 9 (%d contact(s))", call.pk, len(stopped))


def _finish(call, now):
    """The script is over: record what the keypad survey gathered (partial when it stopped before its
    last question). Returns the report, or None when nothing was answered."""
    partial = call.needs_call_today is None
    call.step = VoiceCall.Step.DONE
    call.save(update_fields=["step"])
    if call.report_id or (not call.scores and call.needs_call_today is None):
        return call.report
    report = services.record_symptom_report(
        call.patient, scores=dict(call.scores), completed_by=call.completed_by or SymptomReport.CompletedBy.PATIENT,
        source=SymptomReport.Source.PHONE, reported_at=now, needs_call_today=call.needs_call_today, partial=partial)
    call.report = report
    call.save(update_fields=["report"])
    logger.info("voice call %s: report %s recorded%s", call.pk, report.pk, " (partial)" if partial else "")
    return report


def call_ended(call_sid, status, *, answered_by="", now=None):
    """A status callback for the session: a call that dropped part-way keeps what was answered."""
    now = now or timezone.now()
    with transaction.atomic():
        call = VoiceCall.objects.select_for_update(of=("self",)).select_related("patient__clinic").filter(call_sid=call_sid).first()
        if call is None:
            return None
        call.status = status[:12]
        if answered_by and not call.answered_by:
            call.answered_by = answered_by[:24]
        if status in ENDED and call.ended_at is None:
            call.ended_at = now
            if call.step != VoiceCall.Step.DONE:
                _finish(call, now)
        call.save(update_fields=["status", "answered_by", "ended_at"])
        return call
