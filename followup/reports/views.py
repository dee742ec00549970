"""Reports for clinical leads: procedure frequency, drainages per patient, reminder delivery and
symptom burden, each with a date range and clinic filter and a CSV export of every table.

Only clinical leads see them, for the clinics they lead; a nurse gets 403. The figures are about
the whole team's caseload and work (missed check-ins, time to acknowledge alerts): management
information, not something a nurse needs to care for their patients, whose own figures (intervals,
catheter advisory, delivery problems) are on the worklist and the patient page.
"""

import csv
import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .. import audit
from ..access import require_lead
from . import pages, queries, tables
from .forms import ReportFilterForm

logger = logging.getLogger(__name__)

REPORTS = [
    ("reports:frequency", _("Procedure frequency"),
     _("Drainages per week or month, per clinic and overall; check-in calls done versus due, and the missed rate.")),
    ("reports:patient_drainages", _("Drainages per patient"),
     _("Number of drainages, median and last three intervals, trend, volumes and the catheter advisory, sortable.")),
    ("reports:drainage_log", _("Drainage log"), _("Every drainage in the range with the days since the patient's previous one.")),
    ("reports:reminders", _("Reminder delivery"),
     _("What became of reminders, by channel and week; skipped by reason; opt-outs; drainage reminders confirmed.")),
    ("reports:symptoms", _("Symptom burden"),
     _("Share of symptom reports with a severe item, per ESAS-r item and month; time to acknowledge severe alerts.")),
]


def _page_number(request):
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def _report(request, template, build, *, with_period=False, with_status=False):
    """The shared shape of a report page: leads only, validate the filter, then the figures."""
    require_lead(request.user)
    form = ReportFilterForm(request.user, request.GET, with_period=with_period, with_status=with_status)
    if not form.is_valid():
        return render(request, template, {"form": form}, status=400)
    scope = form.scope()
    return render(request, template, {"form": form, "scope": scope, "query": form.data_query(), **build(scope)})


@login_required
def index(request):
    require_lead(request.user)
    return render(request, "reports/index.html", {"reports": REPORTS})


@login_required
def frequency(request):
    return _report(request, "reports/frequency.html", pages.frequency, with_period=True)


@login_required
def patients(request):
    sort = request.GET.get("sort", queries.DEFAULT_SORT)
    if sort.lstrip("-") not in queries.SORTS:
        sort = queries.DEFAULT_SORT
    return _report(request, "reports/patients.html", lambda scope: pages.patients(scope, sort, _page_number(request)),
                   with_status=True)


@login_required
def drainage_log(request):
    return _report(request, "reports/drainage_log.html", lambda scope: pages.drainage_log(scope, _page_number(request)),
                   with_status=True)


@login_required
def reminders(request):
    return _report(request, "reports/reminders.html", pages.reminders, with_period=True)


@login_required
def symptoms(request):
    return _report(request, "reports/symptoms.html", pages.symptoms)


class _Line:
    """csv.writer writes into this; each row comes back as a string to stream."""

    def write(self, text):
        return text


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(cell):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    return f"'{cell}" if cell.startswith(FORMULA_START) and not _is_number(cell) else cell


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_lines(table):
    writer = csv.writer(_Line())
    yield "\ufeff"  # byte order mark: spreadsheet programs then read the names' accents right
    yield writer.writerow([_safe(cell) for cell in table.header()])  # clinic names head columns too
    for row in table.text_rows():
        yield writer.writerow([_safe(cell) for cell in row.cells])


@login_required
def export(request, key):
    """Any report table as CSV, streamed row by row: the same filter, columns and numbers as the page."""
    require_lead(request.user)
    if key not in tables.EXPORTS:
        raise Http404("No such table.")
    form = ReportFilterForm(request.user, request.GET, with_period=True, with_status=key in ("patients", "drainage-log"))
    if not form.is_valid():
        errors = "\n".join(f"{form.fields[name].label if name in form.fields else name}: {' '.join(messages)}"
                           for name, messages in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    scope = form.scope()
    table = tables.for_export(key, scope, request.GET.get("sort"))
    logger.info("report export: user %s table %s clinics %s from %s to %s",
                request.user.pk, key, scope.clinic_ids, scope.start, scope.end)
    audit.record_export(request, f"report export: {key}", scope.clinic_ids)
    response = StreamingHttpResponse(_csv_lines(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{key}_{scope.start}_{scope.end}.csv"'
    return response
