"""The audit log for clinical leads: who saw or changed which patient's record, and every sign-in,
for the clinics they lead; filtered by patient MRN, user, action and dates; exported as CSV.

Nurses get 403. A lead sees the rows of their clinics, and the sign-ins, failed sign-ins and
sign-outs of the staff of those clinics (those rows name no clinic).
"""

import csv
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import access, audit
from ..forms import DateInput
from ..models import AccessLog, User

ROWS_PER_PAGE = 50


class AuditFilterForm(forms.Form):
    mrn = forms.CharField(label=_("Patient MRN"), required=False, max_length=40)
    user = forms.CharField(label=_("Username"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("Any"))] + AccessLog.Action.choices)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput,
                            error_messages={"invalid": _("Enter a date, for example 2026-03-01.")})
    end = forms.DateField(label=_("To"), required=False, widget=DateInput,
                          error_messages={"invalid": _("Enter a date, for example 2026-03-31.")})

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end date is before the start date."))
        return data


def _lead_clinics(user):
    clinics = list(access.lead_clinics_for(user).order_by("name"))
    if not clinics:
        raise PermissionDenied("Clinical leads only.")
    return clinics


def _rows(clinics, form, zone):
    ids = [clinic.pk for clinic in clinics]
    staff = User.objects.filter(memberships__clinic__in=ids).values("username")
    rows = AccessLog.objects.filter(Q(clinic_id__in=ids) | Q(clinic__isnull=True, username__in=staff))
    data = form.cleaned_data
    if data["mrn"].strip():
        rows = rows.filter(patient__mrn=data["mrn"].strip())
    if data["user"].strip():
        rows = rows.filter(username=data["user"].strip())
    if data["action"]:
        rows = rows.filter(action=data["action"])
    if data["start"]:
        rows = rows.filter(at__gte=datetime.combine(data["start"], time(), zone))
    if data["end"]:
        rows = rows.filter(at__lt=datetime.combine(data["end"] + timedelta(days=1), time(), zone))
    return rows.select_related("patient", "clinic").order_by("-at", "-id")


def _query_without_page(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def audit_log(request):
    clinics = _lead_clinics(request.user)
    zone = ZoneInfo(clinics[0].time_zone)
    form = AuditFilterForm(request.GET)
    context = {"form": form, "clinics": clinics, "zone": zone, "query": _query_without_page(request)}
    if not form.is_valid():
        return render(request, "audit/log.html", context, status=400)
    page = Paginator(_rows(clinics, form, zone), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    with timezone.override(zone):
        return render(request, "audit/log.html", {**context, "page": page})


class _Line:
    """csv.writer writes into this; each row comes back as a string to stream."""

    def write(self, text):
        return text


def _cell(value):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


HEADER = ["time (UTC)", "username", "action", "what", "patient MRN", "patient id", "clinic", "method", "path", "address"]


def _csv_lines(rows):
    writer = csv.writer(_Line())
    yield writer.writerow(HEADER)
    for row in rows.iterator(chunk_size=2000):
        yield writer.writerow([_cell(value) for value in (
            row.at.astimezone(ZoneInfo("UTC")).isoformat(timespec="seconds"), row.username, row.get_action_display(),
            row.what, row.patient.mrn if row.patient else "", row.patient_id, row.clinic.name if row.clinic else "",
            row.method, row.path, row.ip,
        )])


@login_required
def export(request):
    clinics = _lead_clinics(request.user)
    zone = ZoneInfo(clinics[0].time_zone)
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        errors = "\n".join(f"{form.fields[name].label if name in form.fields else name}: {' '.join(messages)}"
                           for name, messages in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    audit.record_export(request, "audit log export", [clinic.pk for clinic in clinics])
    response = StreamingHttpResponse(_csv_lines(_rows(clinics, form, zone)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{timezone.localdate(timezone=zone)}.csv"'
    return response
