"""Life events a nurse records from the patient page or the worklist: a death, a pause and its
end, the catheter advisory's answer, a catheter placed, home drainage and the caregiver's link,
bereavement calls, an unrouted text, a phase to resolve.

Each view fetches through the access helpers, reads dates in the patient's zone, and hands the
work to the life-event services; refusals come back on the form's fields, with what was typed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from .. import access, audit, bereavement, catheter, life_events
from ..life_forms import (
    AdvisoryAnswerForm,
    AssignMessageForm,
    BereavementCallForm,
    CatheterForm,
    DeathForm,
    ExtendPauseForm,
    HomeDrainageForm,
    PauseForm,
    PhaseForm,
    ResumeForm,
)
from ..messaging import routing
from ..models import BereavementCall, Occurrence, Pause, Patient, Reminder
from ..templatetags.followup_tags import local_time
from .care import add_service_errors
from .common import done, posted, show_form

FORM = "followup/life/_form.html"


def _show(request, patient, form, *, action, heading, submit, form_id, intro=(), items=(), button_class="primary"):
    return show_form(request, FORM, {
        "patient": patient, "form": form, "action": action, "heading": heading, "submit_label": submit,
        "form_id": form_id, "intro": intro, "items": items, "button_class": button_class,
    })


def _patient_url(patient):
    return reverse("patient", args=[patient.pk])


def _what_stops(patient):
    open_items = list(patient.occurrences.filter(state=Occurrence.State.SCHEDULED).order_by("due_at"))
    unsent = patient.reminders.filter(state__in=Reminder.UNSENT).count()
    items = [f"{o.get_kind_display()} due {local_time(o.due_at, patient.zone)} is cancelled." for o in open_items]
    items.append(f"{unsent} reminder{'s' if unsent != 1 else ''} not yet sent {'is' if unsent == 1 else 'are'} cancelled; "
                 "nothing more is sent to the patient or their caregivers.")
    return items


@login_required
def record_death(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "record death")
    if patient.status == Patient.Status.DECEASED:
        messages.info(request, "This patient's death is already recorded.")
        return redirect("patient", patient.pk)
    with timezone.override(patient.zone):
        now = timezone.localtime().replace(second=0, microsecond=0)
        form = DeathForm(posted(request), initial={"died_at": now})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                life_events.record_death(patient, died_at=data["died_at"], place=data["place"], source=data["source"],
                                         by=request.user, note=data["note"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                calls = patient.bereavement_calls.count()
                messages.success(request, f"Death of {patient.full_name} recorded. Everything planned for them has stopped; "
                                          f"{calls} bereavement call{'s' if calls != 1 else ''} planned for the team.")
                return done(request, _patient_url(patient))
        items = [*_what_stops(patient), "The phase becomes \u201cbereaved\u201d and the clinic's bereavement calls are "
                 "planned as tasks for the team. Nothing automated is sent to the family.", "This cannot be undone."]
        return _show(request, patient, form, action=reverse("record_death", args=[patient.pk]),
                     heading=f"Record the death of {patient.full_name}", submit="Record death", form_id="death-form",
                     items=items, button_class="danger")


@login_required
def pause_patient(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "pause")
    with timezone.override(patient.zone):
        form = PauseForm(posted(request), zone=patient.zone)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                pause = life_events.pause(patient, reason=data["reason"], review_on=data["review_on"], note=data["note"],
                                          by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{patient.full_name}: paused ({pause.get_reason_display().lower()}), "
                                          f"review on {pause.review_on:%a %-d %b %Y}.")
                return done(request, _patient_url(patient))
        items = [*_what_stops(patient)[-1:], "Scheduled events stay; the worklist lists them with the paused patient.",
                 f"A hospital admission is reviewed after {patient.clinic.admission_review_days} days unless you give a date."]
        return _show(request, patient, form, action=reverse("pause_patient", args=[patient.pk]),
                     heading=f"Pause {patient.full_name}", submit="Pause", form_id="pause-form", items=items)


@login_required
def extend_pause(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "extend pause")
    with timezone.override(patient.zone):
        form = ExtendPauseForm(posted(request), zone=patient.zone)
        if request.method == "POST" and form.is_valid():
            try:
                pause = life_events.extend_pause(patient, review_on=form.cleaned_data["review_on"], by=request.user,
                                                 note=form.cleaned_data["note"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{patient.full_name}: pause extended, review on {pause.review_on:%a %-d %b %Y}.")
                return done(request, reverse("worklist") + "#paused")
        return _show(request, patient, form, action=reverse("extend_pause", args=[patient.pk]),
                     heading=f"Extend the pause of {patient.full_name}", submit="Extend", form_id="extend-form")


@login_required
def resume_patient(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "resume")
    pause = life_events.open_pause(patient)
    ask_ward = pause is not None and pause.reason == Pause.Reason.HOSPITAL_ADMISSION
    with timezone.override(patient.zone):
        form = ResumeForm(posted(request), ask_ward=ask_ward)
        if request.method == "POST" and form.is_valid():
            try:
                life_events.resume(patient, by=request.user, ward_drainages=form.cleaned_data["drainages"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                recorded = len(form.cleaned_data["drainages"])
                text = f"{patient.full_name}: resumed; reminders are planned again."
                if recorded:
                    text += f" {recorded} ward drainage{'s' if recorded != 1 else ''} recorded."
                messages.success(request, text)
                return done(request, _patient_url(patient))
        intro = ["Back home after the admission? Drainages done on the ward are recorded with the setting "
                 "\u201chospital\u201d, and the drainage series counts from the last one."] if ask_ward else []
        return _show(request, patient, form, action=reverse("resume_patient", args=[patient.pk]),
                     heading=f"Resume {patient.full_name}", submit="Resume", form_id="resume-form", intro=intro)


@login_required
def answer_advisory(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "catheter advisory")
    with timezone.override(patient.zone):
        form = AdvisoryAnswerForm(posted(request), initial={"answered_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                answer = catheter.answer_advisory(patient, answer=data["answer"], answered_on=data["answered_on"],
                                                  note=data["note"], by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Catheter advisory: {answer.get_answer_display().lower()}. Not shown again "
                                          f"before {answer.silenced_until:%-d %b %Y}.")
                return done(request, _patient_url(patient))
        return _show(request, patient, form, action=reverse("answer_advisory", args=[patient.pk]),
                     heading="Answer the catheter advisory", submit="Record answer", form_id="advisory-form",
                     intro=[f"An answer silences the advisory for {patient.clinic.advisory_silence_months} months. "
                            "If a catheter was placed, record it instead."])


@login_required
def place_catheter(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "catheter placed")
    with timezone.override(patient.zone):
        form = CatheterForm(posted(request), initial={"placed_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                catheter.place_catheter(patient, placed_on=data["placed_on"], type=data["type"], by=request.user,
                                        interval_days=data["interval_days"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Catheter recorded. Drainage moves home: the paracentesis series has ended and "
                                          "a home-drainage series has started.")
                return done(request, _patient_url(patient))
        clinic = patient.clinic
        items = ["The paracentesis series ends; its scheduled drainage is cancelled.",
                 f"A home-drainage series starts, every {clinic.home_drainage_interval_days} days unless you say otherwise.",
                 "Home drainage sends automated reminders: " + ("yes (clinic setting)." if clinic.home_drainage_reminders
                                                               else "no (clinic setting).")]
        return _show(request, patient, form, action=reverse("place_catheter", args=[patient.pk]),
                     heading="Catheter placed", submit="Record catheter", form_id="catheter-form", items=items)


@login_required
def log_home_drainage(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "home drainage")
    with timezone.override(patient.zone):
        now = timezone.localtime().replace(second=0, microsecond=0)
        form = HomeDrainageForm(posted(request), initial={"performed_at": now})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                catheter.record_home_drainage(
                    patient, performed_at=data["performed_at"], volume_ml=data["volume_ml"], by=request.user,
                    performer_name=data["performer_name"], performer_role=data["performer_role"],
                    complication_codes=data["complication_codes"], complications=data["complications"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Home drainage of {data['volume_ml']} ml recorded.")
                return done(request, _patient_url(patient))
        return _show(request, patient, form, action=reverse("log_home_drainage", args=[patient.pk]),
                     heading="Log a home drainage", submit="Record home drainage", form_id="home-drainage-form")


@login_required
@require_POST
def issue_drainage_link(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "home drainage link")
    try:
        url = catheter.issue_link(patient, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("patient", patient.pk)
    return render(request, "followup/life/link_issued.html", {"patient": patient, "url": url})


@login_required
def record_bereavement_call(request, pk):
    call = get_object_or_404(BereavementCall.objects.filter(patient__in=access.patients_for(request.user))
                             .select_related("patient__clinic", "caregiver"), pk=pk)
    patient = call.patient
    audit.record_access(request, patient, "bereavement call")
    form = BereavementCallForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            bereavement.record_bereavement_call(call, outcome=form.cleaned_data["outcome"], by=request.user,
                                                note=form.cleaned_data["note"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Bereavement call ({call.step}) recorded.")
            return done(request, reverse("worklist") + "#bereavement")
    who = f"{call.caregiver.name} ({call.caregiver.relationship or 'next of kin'})" if call.caregiver else \
        "No next of kin is recorded: see the caregivers on the patient's page."
    return _show(request, patient, form, action=reverse("record_bereavement_call", args=[call.pk]),
                 heading=f"Bereavement call at {call.step}", submit="Record outcome", form_id="bereavement-form",
                 intro=[f"The family of {patient.full_name}, due {call.due_on:%a %-d %b %Y}.", f"Call: {who}"])


@login_required
def assign_message(request, pk):
    message = get_object_or_404(routing.unrouted_for(request.user), pk=pk)
    audit.record_access(request, message, "unrouted message")
    candidates = routing.candidates_for(message, request.user)
    form = AssignMessageForm(posted(request), candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            routing.assign(message, contact=form.cleaned_data["contact"], by=request.user)
        except (ValidationError, PermissionDenied) as error:
            form.add_error("contact", " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, "Message assigned.")
            return done(request, reverse("worklist") + "#unrouted")
    return render(request, "followup/life/assign.html", {"message": message, "form": form})


@login_required
def resolve_phase(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "resolve phase")
    form = PhaseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            life_events.resolve_phase(patient, phase=form.cleaned_data["phase"], by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{patient.full_name}: phase set to {Patient.Phase(form.cleaned_data['phase']).label.lower()}.")
            return done(request, _patient_url(patient))
    return _show(request, patient, form, action=reverse("resolve_phase", args=[patient.pk]),
                 heading="Resolve the phase", submit="Set phase", form_id="phase-form",
                 intro=["This living patient's phase is recorded as \u201cbereaved\u201d, which is only the phase after a "
                        "death. Choose their phase now, or, if they have died, record the death instead."])



