"""What comes in over HTTP from the SMS provider, and the health check."""

import functools
import logging
import re

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from ..operations.views import holds_metrics_token
from . import delivery, inbound

logger = logging.getLogger(__name__)


def _signed_by_twilio(request):
    """Twilio signs the full URL it called plus the POST parameters with our auth token.

    We rebuild the URL from SITE_URL, not from the Host header, so a proxy in front cannot make a
    forged request look valid, and a request signed for another host fails."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return False
    url = settings.SITE_URL + request.get_full_path()
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST.dict(), signature)


def twilio_webhook(what):
    """A view Twilio calls: POST only, no CSRF token (Twilio has none to send), and 403 Forbidden,
    changing nothing, without a valid X-Twilio-Signature. `what` names the webhook in the log line."""

    def decorate(view):
        @functools.wraps(view)
        def signed(request, *args, **kwargs):
            if not _signed_by_twilio(request):
                logger.warning("%s refused: bad signature", what)
                return HttpResponseForbidden("Bad signature.")
            return view(request, *args, **kwargs)

        return csrf_exempt(require_POST(signed))

    return decorate


# Twilio's ids are 34 characters of letters and digits; anything that is not an id is refused.
PROVIDER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
PHONE = re.compile(r"\+?[0-9 ()-]{3,20}")


def _field(request, name):
    """A POST field without NUL characters, which no database column can hold."""
    return request.POST.get(name, "").replace("\x00", "")


def _twiml(text=""):
    response = MessagingResponse()
    if text:
        response.message(text)
    return HttpResponse(str(response), content_type="text/xml")


@twilio_webhook("inbound SMS webhook")
def twilio_inbound_sms(request):
    message_sid = request.POST.get("MessageSid", "")
    sender = request.POST.get("From", "")
    if not PROVIDER_ID.fullmatch(message_sid) or not PHONE.fullmatch(sender):
        return HttpResponse("MessageSid and From are required, as a message id and a phone number.", status=400)
    to = request.POST.get("To", "")
    reply = inbound.receive(provider_id=message_sid, from_number=sender, body=_field(request, "Body"),
                            to_number=to if PHONE.fullmatch(to) else "")
    return _twiml(reply)


@twilio_webhook("status callback")
def twilio_status(request):
    message_sid = request.POST.get("MessageSid", "")
    status = _field(request, "MessageStatus")
    if not PROVIDER_ID.fullmatch(message_sid) or not status:
        return HttpResponse("MessageSid and MessageStatus are required.", status=400)
    delivery.apply_status_callback(message_sid, status, _field(request, "ErrorCode")[:20])
    return HttpResponse()  # 200, known message or not: Twilio stops retrying


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "down"
        return False


def _broker_ok():
    import redis

    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except Exception:  # noqa: BLE001
        return False


def _may_see_counts(request):
    """Reminder counts cover every clinic: for an operator (the metrics token, or a staff session of
    the admin), not for whoever can reach the URL."""
    user = getattr(request, "user", None)
    return holds_metrics_token(request) or bool(user and user.is_active and user.is_staff)


@never_cache
@require_GET
def healthz(request):
    """JSON for load balancers and monitors: 200 when the database and broker answer and the dispatch
    tick ran in the last 5 minutes, 503 otherwise. Reminder counts only for an operator."""
    now = timezone.now()
    database = _database_ok()
    body = {"database": "ok" if database else "down", "broker": "ok" if _broker_ok() else "down"}
    if database:
        last_tick = delivery.last_tick()
        body["last_tick"] = delivery.as_of(last_tick)
        body["tick_age_seconds"] = round((now - last_tick).total_seconds()) if last_tick else None
        body["tick"] = "late" if delivery.tick_is_late(now, last=last_tick) else "ok"
        if _may_see_counts(request):
            counts = delivery.delivery_counts(now)
            body["reminders"] = {key: value for key, value in counts.items() if key not in ("last_tick", "tick_age_seconds")}
    else:
        body["tick"] = "unknown"
    healthy = body["database"] == "ok" and body["broker"] == "ok" and body["tick"] == "ok"
    body["status"] = "ok" if healthy else "unhealthy"
    return JsonResponse(body, status=200 if healthy else 503)
