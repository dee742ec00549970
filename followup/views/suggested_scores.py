"""The nurse confirms or corrects the suggested reading of an ambiguous scored text, in one click."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.views.decorators.http import require_POST
from django.utils.translation import gettext as _

from .. import access, audit
from ..messaging import suggested_scores
from .common import done_row, redirect_back


@login_required
@require_POST
def confirm_suggested_scores(request, pk):
    message = access.get_inbound_message(request.user, pk)
    audit.record_access(request, message, "patient message")
    try:
        reading = suggested_scores.parse_reading(request.POST.getlist("item"), request.POST.getlist("score"))
    except ValidationError as error:
        text = " ".join(text for texts in error.message_dict.values() for text in texts)
        messages.error(request, text)
        return redirect_back(request, "worklist")
    report = suggested_scores.confirm_reading(message, reading, by=request.user)
    text = _("Scores recorded as a report; alert rules applied.") if report else _("Someone had already handled this message.")
    if request.htmx:
        return done_row(request, text)
    messages.success(request, text)
    return redirect_back(request, "worklist")
