"""Care events a nurse records for one patient: a drainage, a check-in call, moving or skipping an
occurrence, the drainage interval, acknowledging an alert.

Each view fetches through the access helpers (another clinic's patient is a 404, by URL or by
form), reads times in the patient's zone, and hands the work to `services`. The form is shown
inline as an HTMX fragment or as its own page, and success is POST then redirect.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .. import access, audit, calls, services
from ..forms import AcknowledgeAlertForm, CheckinForm, DrainageForm, IntervalForm, RescheduleForm, SkipForm
from ..models import Kind, Occurrence
from ..templatetags.followup_tags import local_time
from .common import done, done_row, posted, safe_next, show_form


def add_service_errors(form, error):
    """Put a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _next_due(patient, kind):
    occurrence = patient.occurrences.filter(kind=kind, state=Occurrence.State.SCHEDULED).order_by("due_at").first()
    return local_time(occurrence.due_at, patient.zone) if occurrence else None


@login_required
def record_drainage(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "drainage")
    patient_url = reverse("patient", args=[patient.pk])
    with timezone.override(patient.zone):
        if request.method == "POST":
            form = DrainageForm(request.POST, clinic=patient.clinic)
            if form.is_valid():
                try:
                    data = dict(form.cleaned_data)
                    if not data["performed_by"] and not data["performer_name"].strip():
                        data["performed_by"] = request.user  # blank: the nurse recording it performed it
                    services.record_procedure(patient, recorded_by=request.user, **data)
                except ValidationError as error:
                    performed_at = form.cleaned_data["performed_at"]
                    if patient.procedures.filter(kind=Kind.PARACENTESIS, performed_at=performed_at).exists():
                        # The same form sent twice (a double click, a resubmitted page): one drainage.
                        messages.info(request, _("This drainage was already recorded; nothing was added."))
                        return done(request, patient_url)
                    add_service_errors(form, error)
                else:
                    next_due = _next_due(patient, Kind.PARACENTESIS)
                    messages.success(request, _("Drainage recorded. Next drainage due %(due)s.") % {"due": next_due}
                                     if next_due else _("Drainage recorded."))
                    return done(request, patient_url)
        else:
            now = timezone.localtime().replace(second=0, microsecond=0)
            form = DrainageForm(initial={"performed_at": now}, clinic=patient.clinic, user=request.user)
        return show_form(request, "followup/drainage/_form.html", {"patient": patient, "form": form})


@login_required
def log_checkin(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "check-in call")
    patient_url = reverse("patient", args=[patient.pk])
    with timezone.override(patient.zone):
        form = CheckinForm(posted(request))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                attempt = calls.record_call(
                    patient, outcome=data["outcome"], by=request.user, scores=form.scores(),
                    completed_by=data["completed_by"], other_problem_name=data["other_problem_name"], pps=data["pps"],
                    phase=data["phase"], note=data["note"], retry_at=data["retry_at"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _call_recorded(attempt, patient))
                return done(request, patient_url)
        return show_form(request, "followup/checkin/_form.html", {"patient": patient, "form": form})


def _call_recorded(attempt, patient):
    parts = [_("Check-in call recorded: %(outcome)s.") % {"outcome": attempt.get_outcome_display().lower()}]
    alert = getattr(attempt.report, "alert", None) if attempt.report else None
    if alert is not None:
        items = len(alert.items.all())
        parts.append(ngettext("Alert raised (%(items)d item), acknowledged by this call.",
                              "Alert raised (%(items)d items), acknowledged by this call.", items) % {"items": items})
    if attempt.retry_at:
        parts.append(_("Try again %(at)s.") % {"at": local_time(attempt.retry_at, patient.zone)})
    patient.refresh_from_db(fields=["not_reached_since"])
    if patient.not_reached_since:
        parts.append(_("Two calls in a row reached nobody: the patient is flagged not reached."))
    next_due = _next_due(patient, Kind.CHECKIN)
    if next_due and not attempt.retry_at:
        parts.append(_("Next check-in due %(due)s.") % {"due": next_due})
    return " ".join(parts)


@login_required
def reschedule_occurrence(request, pk):
    occurrence = access.get_occurrence(request.user, pk)
    audit.record_access(request, occurrence, "move occurrence")
    patient = occurrence.patient
    if not occurrence.is_open:
        raise Http404("Only a scheduled occurrence can be moved.")
    with timezone.override(patient.zone):
        form = RescheduleForm(posted(request), initial={"due_at": timezone.localtime(occurrence.due_at)})
        if request.method == "POST" and form.is_valid():
            try:
                services.reschedule(occurrence, form.cleaned_data["due_at"], by=request.user, note=form.cleaned_data["note"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("%(kind)s moved to %(due)s.") % {
                    "kind": occurrence.get_kind_display(), "due": local_time(occurrence.due_at, patient.zone)})
                return done(request, reverse("patient", args=[patient.pk]))
        return show_form(request, "followup/occurrence/_reschedule_form.html",
                         {"patient": patient, "occurrence": occurrence, "form": form})


@login_required
def skip_occurrence(request, pk):
    occurrence = access.get_occurrence(request.user, pk)
    audit.record_access(request, occurrence, "skip occurrence")
    patient = occurrence.patient
    if not occurrence.is_open:
        raise Http404("Only a scheduled occurrence can be skipped.")
    with timezone.override(patient.zone):
        form = SkipForm(posted(request), zone=patient.zone,
                        initial={"look_again_on": services.default_look_again(occurrence)})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                following = services.skip(occurrence, by=request.user, note=data["note"], reason=data["reason"],
                                          look_again_on=data["look_again_on"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                text = _("%(kind)s skipped.") % {"kind": occurrence.get_kind_display()}
                if following:
                    text += " " + _("Next one due %(due)s.") % {"due": local_time(following.due_at, patient.zone)}
                messages.success(request, text)
                return done(request, reverse("patient", args=[patient.pk]))
        return show_form(request, "followup/occurrence/_skip_form.html",
                         {"patient": patient, "occurrence": occurrence, "form": form})


def _schedule(patient, kind):
    if kind not in (Kind.PARACENTESIS, Kind.CHECKIN):
        raise Http404("No such series.")
    schedule = patient.schedules.filter(kind=kind, active=True).first()
    if schedule is None:
        raise Http404("This patient has no active series of that kind.")
    return schedule


@login_required
def change_interval(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "interval")
    schedule = _schedule(patient, request.POST.get("kind") or request.GET.get("kind") or Kind.PARACENTESIS)
    form = IntervalForm(posted(request), initial={"count": schedule.interval.count, "unit": schedule.interval.unit})
    if request.method == "POST" and form.is_valid():
        try:
            services.change_interval(schedule, form.cleaned_data["interval"], by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            text = _("%(kind)s: now every %(interval)s.") % {"kind": schedule.get_kind_display(),
                                                               "interval": form.cleaned_data["interval"]}
            next_due = _next_due(patient, schedule.kind)
            if next_due:
                text += " " + _("Next one due %(due)s.") % {"due": next_due}
            messages.success(request, text)
            return done(request, reverse("patient", args=[patient.pk]))
    return show_form(request, "followup/interval/_form.html", {"patient": patient, "schedule": schedule, "form": form})


@login_required
@require_POST
def accept_suggested_interval(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "accept suggested interval")
    try:
        schedule = services.accept_suggested_interval(patient, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = _("Drainage interval set to the suggested %(interval)s.") % {"interval": schedule.interval}
        next_due = _next_due(patient, Kind.PARACENTESIS)
        if next_due:
            text += " " + _("Next drainage due %(due)s.") % {"due": next_due}
        messages.success(request, text)
    return done(request, reverse("patient", args=[patient.pk]))


@login_required
def acknowledge_alert(request, pk):
    alert = access.get_alert(request.user, pk)
    audit.record_access(request, alert, "alert")
    patient = alert.patient
    form = AcknowledgeAlertForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            recorded = services.acknowledge_alert(alert, by=request.user, action=form.cleaned_data["action"],
                                                  note=form.cleaned_data["note"])
        except ValidationError as error:
            add_service_errors(form, error)
            return show_form(request, "followup/alert/_form.html", {"patient": patient, "alert": alert, "form": form})
        text = _("Alert acknowledged.") if recorded else _("Someone had already acknowledged this alert.")
        if request.htmx and request.POST.get("from") == "worklist":
            return done_row(request, text)
        if request.htmx and request.POST.get("from") == "worklist-table":  # a row of the call list
            return done_row(request, text, "followup/worklist/calls/_done_row.html")
        messages.success(request, text)
        return done(request, safe_next(request) or reverse("patient", args=[patient.pk]))
    return show_form(request, "followup/alert/_form.html", {"patient": patient, "alert": alert, "form": form})
