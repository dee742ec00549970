"""The voice webhooks: Twilio asks for TwiML when a call is answered and after each keypad answer, and
reports how the call ended. Verified with X-Twilio-Signature like the SMS webhooks (403 otherwise)."""

import logging

from django.http import HttpResponse

from ..messaging.views import PROVIDER_ID, _field, twilio_webhook
from . import calls, outcomes

logger = logging.getLogger(__name__)


def _twiml(text):
    return HttpResponse(text, content_type="text/xml")


def _kindly(answer):
    """Run `answer()`; whatever goes wrong, the caller hears a kind goodbye rather than Twilio's error tone."""
    try:
        return _twiml(answer())
    except Exception:  # noqa: BLE001 - a call must never get a 500
        logger.exception("voice webhook failed")
        return _twiml(calls.sorry())


def _call_sid(request):
    sid = request.POST.get("CallSid", "")
    return sid if PROVIDER_ID.fullmatch(sid) else ""


@twilio_webhook("voice webhook")
def twilio_voice(request):
    return _kindly(lambda: calls.answer(_call_sid(request), reminder_id=request.GET.get("reminder"),
                                        answered_by=_field(request, "AnsweredBy")))


@twilio_webhook("voice gather webhook")
def twilio_voice_gather(request, step):
    digits = _field(request, "Digits")[:20] if "Digits" in request.POST else None
    return _kindly(lambda: calls.gather(_call_sid(request), step, index=request.GET.get("n"), digits=digits))


@twilio_webhook("voice status callback")
def twilio_voice_status(request):
    sid, status = _call_sid(request), _field(request, "CallStatus")[:20]
    if not sid or not status:
        return HttpResponse("CallSid and CallStatus are required.", status=400)
    answered_by = _field(request, "AnsweredBy")[:24]
    call = calls.call_ended(sid, status, answered_by=answered_by)
    answered_by = call.answered_by if call is not None else answered_by  # AMD told us at the answer
    outcomes.apply_call_status(sid, status, answered_by=answered_by, error_code=_field(request, "ErrorCode")[:20])
    return HttpResponse()  # 200, known call or not: Twilio stops retrying
