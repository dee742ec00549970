"""The feed itself (anyone holding the secret address) and the staff page that creates and revokes feeds."""

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_POST, require_safe

from .. import access, audit, languages
from ..models import CalendarFeed
from . import feeds


@require_safe
def feed(request, token):
    """The feed, with ETag and Last-Modified: a calendar asking again with If-None-Match (or
    If-Modified-Since) gets 304 while nothing in it changed. HEAD answers the headers alone."""
    found = feeds.live_feed(token)
    if found is None:
        raise Http404("No such calendar feed.")
    # Whoever holds the address reads as the feed's owner: the access log names them, and the clinic
    # of a clinic feed. The path is logged without the token, which is the feed's only credential.
    logged = SimpleNamespace(method=request.method, path=request.path.replace(token, "<token>"), META=request.META)
    audit.record(logged, audit.Action.VIEW, "calendar feed", subject=found, user=found.owner)
    # In the owner's language, like the pages they sign in to (the calendar app asks in its own).
    with translation.override(languages.supported(found.owner.language)):
        body, last_modified = feeds.render_feed(found)
    etag = feeds.etag(body)
    response = get_conditional_response(request, etag=etag, last_modified=int(last_modified.timestamp()))
    if response is None:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="followup.ics"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified.timestamp())
    # The address is the credential: keep the body out of shared caches.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def feed_list(request):
    own = CalendarFeed.objects.filter(owner=request.user).select_related("clinic").order_by("-created_at")
    return render(request, "calendar/feeds.html", {
        "feeds": [(item, feeds.feed_url(item)) for item in own],
        "clinics": access.clinics_for(request.user).order_by("name"),
    })


@login_required
@require_POST
def feed_create(request):
    clinic = None
    if request.POST.get("clinic"):
        clinic_id = request.POST["clinic"]
        if not clinic_id.isdigit():
            raise Http404("No such clinic.")
        clinic = get_object_or_404(access.clinics_for(request.user), pk=int(clinic_id))
    created = feeds.create_feed(request.user, clinic)
    messages.success(request, _("New calendar feed: %(name)s. Copy its address into your calendar app.") % {
        "name": feeds.calendar_name(created)})
    return redirect("calendar-feeds")


@login_required
@require_POST
def feed_revoke(request, pk):
    owned = get_object_or_404(CalendarFeed, pk=pk, owner=request.user)
    if feeds.revoke_feed(owned):
        messages.success(request, _("Feed revoked: calendars subscribed to it stop updating."))
    return redirect("calendar-feeds")
