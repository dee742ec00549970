"""GET /metrics for Prometheus, behind a bearer token."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from . import metrics as figures


@never_cache
@require_GET
def metrics(request):
    """404 while METRICS_TOKEN is unset (the endpoint does not exist by default), 401 without a
    bearer token, 403 with a wrong one."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not supplied.strip():
        response = HttpResponse("A bearer token is required.", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not constant_time_compare(supplied.strip(), token):
        return HttpResponse("Wrong token.", status=403, content_type="text/plain")
    return HttpResponse(figures.render(), content_type=CONTENT_TYPE_LATEST)
