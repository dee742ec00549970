"""The hospital's messages as people see them: the leads' page of recent messages, and the nurse's
answers to what the hospital left on the worklist."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.utils.translation import gettext_lazy as _

from .. import access, audit
from ..models import AccessLog, HospitalMessage, HospitalNotice
from ..views.common import done_row, redirect_back
from . import notices

ROWS_PER_PAGE = 50
DONE_TEXT = {
    HospitalNotice.Outcome.RESUMED: _("Resumed: reminders are planned again."),
    HospitalNotice.Outcome.KEPT_PAUSED: _("Kept paused."),
    HospitalNotice.Outcome.NUMBER_USED: _("New number saved."),
    HospitalNotice.Outcome.NUMBER_KEPT: _("Current number kept."),
    HospitalNotice.Outcome.SEEN: _("Marked as seen."),
}


class MessageFilterForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=[("", _("Any"))] + HospitalMessage.Outcome.choices)


def _lead_clinics(user):
    clinics = list(access.lead_clinics_for(user).order_by("name"))
    if not clinics:
        raise PermissionDenied("Clinical leads only.")
    return clinics


@login_required
def hospital_messages(request):
    """Recent messages for the clinics the user leads, and those no clinic could be told of (shown
    without their patient: nothing says whose they are)."""
    clinics = _lead_clinics(request.user)
    ids = [clinic.pk for clinic in clinics]
    form = MessageFilterForm(request.GET)
    zone = ZoneInfo(clinics[0].time_zone)
    context = {"form": form, "clinics": clinics, "zone": zone, "lead_clinic_ids": set(ids),
               "host": settings.HL7_MLLP_HOST, "port": settings.HL7_MLLP_PORT}
    if not form.is_valid():
        return render(request, "hospital/messages.html", context, status=400)
    links = HospitalMessage.clinics.through.objects.filter(hospitalmessage_id=OuterRef("pk"))
    rows = HospitalMessage.objects.filter(Exists(links.filter(clinic_id__in=ids)) | ~Exists(links))
    since = timezone.now() - timedelta(days=1)
    counts = dict(rows.filter(received_at__gte=since).values_list("outcome").annotate(n=Count("pk")).order_by())
    context["last_day"] = [(label, counts.get(value, 0)) for value, label in HospitalMessage.Outcome.choices]
    if form.cleaned_data["outcome"]:
        rows = rows.filter(outcome=form.cleaned_data["outcome"])
    rows = rows.select_related("patient").order_by("-received_at", "-pk")
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    audit.record(request, AccessLog.Action.VIEW, "hospital messages")
    query = request.GET.copy()
    query.pop("page", None)
    with timezone.override(zone):
        return render(request, "hospital/messages.html", {**context, "page": page, "query": query.urlencode()})


@login_required
@require_POST
def answer_notice(request, pk, outcome):
    notice = access.get_hospital_notice(request.user, pk)
    audit.record_access(request, notice, "hospital notice")
    if outcome not in notices.ANSWERS.get(notice.kind, ()):
        raise Http404("That is not an answer to this notice.")
    try:
        answered = notices.answer(notice, outcome, by=request.user, consent=request.POST.get("consent") == "on",
                                  consent_source=request.POST.get("consent_source", ""),
                                  consent_given_by=request.POST.get("consent_given_by", ""))
    except ValidationError as error:
        text = " ".join(error.messages)
        if request.htmx:
            return done_row(request, text)
        messages.error(request, text)
        return redirect_back(request, "worklist")
    text = str(DONE_TEXT[outcome]) if answered else _("Someone had already answered this.")
    if request.htmx:
        return done_row(request, text)
    messages.success(request, text)
    return redirect_back(request, "worklist")
