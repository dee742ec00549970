"""GET /metrics for Prometheus, behind a bearer token."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from . import metrics as figures


def _bearer_token(request):
    scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
    return supplied.strip() if scheme.lower() == "bearer" else ""


def holds_metrics_token(request):
    """The request carries `Authorization: Bearer <METRICS_TOKEN>` (never true while it is unset)."""
    supplied = _bearer_token(request)
    return bool(settings.METRICS_TOKEN and supplied and constant_time_compare(supplied, settings.METRICS_TOKEN))


@never_cache
@require_GET
def metrics(request):
    """404 while METRICS_TOKEN is unset (the endpoint does not exist by default), 401 without a
    bearer token, 403 with a wrong one."""
    if not settings.METRICS_TOKEN:
        raise Http404
    if not _bearer_token(request):
        response = HttpResponse("A bearer token is required.", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not holds_metrics_token(request):
        return HttpResponse("Wrong token.", status=403, content_type="text/plain")
    return HttpResponse(figures.render(), content_type=CONTENT_TYPE_LATEST)
