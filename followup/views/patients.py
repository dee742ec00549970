"""Patients: the list with search, enrolment, the patient page, contact and consent, caregivers,
and status changes (pause, resume, discharge, death) behind a confirmation step."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import access, adherence, audit, scheduling, services
from ..forms import (
    AcknowledgeAlertForm,
    CaregiverForm,
    CheckinForm,
    DrainageForm,
    IntervalForm,
    PatientContactForm,
    PatientCreateForm,
    PatientSearchForm,
    StatusForm,
)
from ..models import Occurrence, Patient, Reminder
from ..voice import line_types
from . import timeline, timeline_views
from .care import add_service_errors
from .common import done, posted, show_form

PATIENTS_PER_PAGE = 50


@login_required
def patient_list(request):
    form = PatientSearchForm(request.GET or None)
    patients = access.patients_for(request.user).select_related("clinic", "nurse")
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        for word in query.split():
            patients = patients.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word) | Q(mrn__icontains=word))
        if form.cleaned_data["status"]:
            patients = patients.filter(status=form.cleaned_data["status"])
    page = Paginator(patients.order_by("family_name", "given_name", "pk"), PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    if request.htmx:
        return render(request, "followup/patients/_rows.html", context)
    return render(request, "followup/patients/list.html", context)


@login_required
def add_patient(request):
    form = PatientCreateForm(posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        first_due = None
        try:
            with transaction.atomic():
                patient = form.save()
                line_types.look_up_after_commit(patient)
                if data.get("first_drainage_on"):
                    first_due = scheduling.at_local(data["first_drainage_on"], patient.clinic.appointment_time, patient.zone)
                services.enrol(patient, paracentesis_interval=data.get("interval"), first_drainage_due=first_due)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s enrolled.") % {"name": patient.full_name})
            audit.record_access(request, patient, "enrolment")
            return redirect("patient", patient.pk)
    return render(request, "followup/patients/add.html", {"form": form})


@login_required
def patient_page(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "patient page")
    with timezone.override(patient.zone):
        context = timeline.build(patient)
        view = timeline_views.chosen_view(request)
        context.update(timeline_view=view, timeline_views=timeline_views.VIEWS,
                       events=timeline_views.shown(context["events"], view))
        now = timezone.localtime().replace(second=0, microsecond=0)
        drainages = context["drainage_schedule"]
        context.update(
            patient=patient,
            drainage_form=DrainageForm(initial={"performed_at": now}, clinic=patient.clinic, user=request.user),
            checkin_form=CheckinForm(),
            interval_form=IntervalForm(initial={"count": drainages.interval.count, "unit": drainages.interval.unit})
            if drainages else None,
            status_actions=status_actions(patient),
            adherence=adherence.for_patient(patient),
        )
        for alert in context["open_alerts"]:
            alert.acknowledge_form = AcknowledgeAlertForm(auto_id=f"ack{alert.pk}_%s")
        return render(request, "followup/patient/page.html", context)


@login_required
def edit_contact(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "contact details")
    form = PatientContactForm(posted(request), instance=patient)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            patient = form.save()
            services.replan_reminders(patient)
            line_types.look_up_after_commit(patient)
            if form.clears_opt_out:
                audit.record_access(request, patient, "opt-out cleared: patient")
            _record_shared_number(request, form)
        messages.success(request, _("Contact details saved."))
        return done(request, reverse("patient", args=[patient.pk]))
    return show_form(request, "followup/contact/_form.html", {"patient": patient, "form": form})


def _record_shared_number(request, form):
    """An opt-out recorded or lifted on a shared number changed the others who give it too."""
    others, what = form.shared_number_changed()
    for other in others:
        audit.record_access(request, other, what)


@login_required
def add_caregiver(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "new caregiver")
    form = CaregiverForm(posted(request))
    form.instance.patient = patient
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            caregiver = form.save()
            services.replan_reminders(patient)
            line_types.look_up_after_commit(caregiver)
        messages.success(request, _("Caregiver %(name)s added.") % {"name": caregiver.name})
        return done(request, reverse("patient", args=[patient.pk]))
    return show_form(request, "followup/caregiver/_form.html", {"patient": patient, "form": form, "caregiver": None})


@login_required
def edit_caregiver(request, pk):
    caregiver = access.get_caregiver(request.user, pk)
    audit.record_access(request, caregiver, "caregiver")
    patient = caregiver.patient
    form = CaregiverForm(posted(request), instance=caregiver)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            caregiver = form.save()
            services.replan_reminders(patient)
            line_types.look_up_after_commit(caregiver)
            if form.clears_opt_out:
                audit.record_access(request, caregiver, f"opt-out cleared: caregiver {caregiver.pk}")
            _record_shared_number(request, form)
        messages.success(request, _("Caregiver %(name)s saved.") % {"name": caregiver.name})
        return done(request, reverse("patient", args=[patient.pk]))
    return show_form(request, "followup/caregiver/_form.html", {"patient": patient, "form": form, "caregiver": caregiver})


# Which status changes the patient page offers, from each status, and the button that does it. A pause,
# its end and a death have their own forms (views/life.py); the status URL sends there.
LIFE_EVENT_VIEWS = {"paused": "pause_patient", "deceased": "record_death"}

STATUS_ACTIONS = {
    Patient.Status.ACTIVE: [("paused", gettext_lazy("Pause")), ("discharged", gettext_lazy("Mark discharged")),
                            ("deceased", gettext_lazy("Mark deceased"))],
    Patient.Status.PAUSED: [("active", gettext_lazy("Resume")), ("discharged", gettext_lazy("Mark discharged")),
                            ("deceased", gettext_lazy("Mark deceased"))],
    Patient.Status.DISCHARGED: [("active", gettext_lazy("Readmit")), ("deceased", gettext_lazy("Mark deceased"))],
    Patient.Status.DECEASED: [],
}


def status_actions(patient):
    return STATUS_ACTIONS[patient.status]


def _consequences(patient, new_status):
    """What the change will cancel or plan, in the nurse's words, for the confirmation page."""
    open_occurrences = list(patient.occurrences.filter(state=Occurrence.State.SCHEDULED).order_by("due_at"))
    unsent = patient.reminders.filter(state__in=Reminder.UNSENT).count()
    return {"open_occurrences": open_occurrences, "unsent_reminders": unsent,
            "cancels_occurrences": new_status in services.CLOSED_STATUSES,
            "cancels_reminders": new_status in (*services.CLOSED_STATUSES, Patient.Status.PAUSED),
            "plans_reminders": new_status == Patient.Status.ACTIVE}


@login_required
def change_status(request, pk, status):
    patient = access.get_patient(request.user, pk)
    if status not in Patient.Status.values:
        raise Http404("No such status.")
    audit.record_access(request, patient, f"status: {status}")  # only a status that exists reaches the log
    actions = dict(status_actions(patient))
    if status not in actions:
        messages.error(request, _("A patient who is %(now)s cannot be marked %(new)s.") % {
            "now": patient.get_status_display().lower(), "new": Patient.Status(status).label.lower()})
        return redirect("patient", patient.pk)
    if status in LIFE_EVENT_VIEWS:
        return redirect(LIFE_EVENT_VIEWS[status], patient.pk)
    if status == Patient.Status.ACTIVE and patient.status == Patient.Status.PAUSED:
        return redirect("resume_patient", patient.pk)
    form = StatusForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.change_status(patient, status, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s: %(status)s.") % {"name": patient.full_name,
                                                                     "status": Patient.Status(status).label.lower()})
            return done(request, reverse("patient", args=[patient.pk]))
    with timezone.override(patient.zone):
        return render(request, "followup/status/confirm.html", {
            "patient": patient, "form": form, "status": status, "action_label": actions[status],
            "status_label": Patient.Status(status).label, **_consequences(patient, status),
        })
