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
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
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


def _day(day):
    """A day as the page's language writes it ("Mon 2 Mar 2026" / "lun 2 mar 2026")."""
    return formats.date_format(day, "D j M Y")


def _what_stops(patient):
    open_items = list(patient.occurrences.filter(state=Occurrence.State.SCHEDULED).order_by("due_at"))
    unsent = patient.reminders.filter(state__in=Reminder.UNSENT).count()
    items = [_("%(kind)s due %(due)s is cancelled.") % {"kind": o.get_kind_display(), "due": local_time(o.due_at, patient.zone)}
             for o in open_items]
    items.append(ngettext("%(count)d reminder not yet sent is cancelled; nothing more is sent to the patient or their caregivers.",
                          "%(count)d reminders not yet sent are cancelled; nothing more is sent to the patient or their caregivers.",
                          unsent) % {"count": unsent})
    return items


@login_required
def record_death(request, pk):
    patient = access.get_patient(request.user, pk)
    audit.record_access(request, patient, "record death")
    if patient.status == Patient.Status.DECEASED:
        messages.info(request, _("This patient's death is already recorded."))
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
                messages.success(request, ngettext(
                    "Death of %(name)s recorded. Everything planned for them has stopped; %(calls)d bereavement call planned "
                    "for the team.",
                    "Death of %(name)s recorded. Everything planned for them has stopped; %(calls)d bereavement calls planned "
                    "for the team.", calls) % {"name": patient.full_name, "calls": calls})
                return done(request, _patient_url(patient))
        items = [*_what_stops(patient), _("The phase becomes “bereaved” and the clinic's bereavement calls are planned as "
                                          "tasks for the team. Nothing automated is sent to the family."),
                 _("This cannot be undone.")]
        return _show(request, patient, form, action=reverse("record_death", args=[patient.pk]),
                     heading=_("Record the death of %(name)s") % {"name": patient.full_name}, submit=_("Record death"),
                     form_id="death-form",
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
                messages.success(request, _("%(name)s: paused (%(reason)s), review on %(day)s.") % {
                    "name": patient.full_name, "reason": pause.get_reason_display().lower(), "day": _day(pause.review_on)})
                return done(request, _patient_url(patient))
        days = patient.clinic.admission_review_days
        items = [*_what_stops(patient)[-1:], _("Scheduled events stay; the worklist lists them with the paused patient."),
                 ngettext("A hospital admission is reviewed after %(days)d day unless you give a date.",
                          "A hospital admission is reviewed after %(days)d days unless you give a date.", days) % {"days": days}]
        return _show(request, patient, form, action=reverse("pause_patient", args=[patient.pk]),
                     heading=_("Pause %(name)s") % {"name": patient.full_name}, submit=_("Pause"), form_id="pause-form",
                     items=items)


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
                messages.success(request, _("%(name)s: pause extended, review on %(day)s.") % {
                    "name": patient.full_name, "day": _day(pause.review_on)})
                return done(request, reverse("worklist") + "#paused")
        return _show(request, patient, form, action=reverse("extend_pause", args=[patient.pk]),
                     heading=_("Extend the pause of %(name)s") % {"name": patient.full_name}, submit=_("Extend"),
                     form_id="extend-form")


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
                text = _("%(name)s: resumed; reminders are planned again.") % {"name": patient.full_name}
                if recorded:
                    text += " " + ngettext("%(count)d ward drainage recorded.", "%(count)d ward drainages recorded.",
                                           recorded) % {"count": recorded}
                messages.success(request, text)
                return done(request, _patient_url(patient))
        intro = [_("Back home after the admission? Drainages done on the ward are recorded with the setting “hospital”, "
                   "and the drainage series counts from the last one.")] if ask_ward else []
        return _show(request, patient, form, action=reverse("resume_patient", args=[patient.pk]),
                     heading=_("Resume %(name)s") % {"name": patient.full_name}, submit=_("Resume"), form_id="resume-form",
                     intro=intro)


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
                messages.success(request, _("Catheter advisory: %(answer)s. Not shown again before %(day)s.") % {
                    "answer": answer.get_answer_display().lower(), "day": formats.date_format(answer.silenced_until, "j M Y")})
                return done(request, _patient_url(patient))
        return _show(request, patient, form, action=reverse("answer_advisory", args=[patient.pk]),
                     heading=_("Answer the catheter advisory"), submit=_("Record answer"), form_id="advisory-form",
                     intro=[ngettext("An answer silences the advisory for %(months)d month. If a catheter was placed, record "
                                     "it instead.",
                                     "An answer silences the advisory for %(months)d months. If a catheter was placed, record "
                                     "it instead.", patient.clinic.advisory_silence_months)
                            % {"months": patient.clinic.advisory_silence_months}])


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
                messages.success(request, _("Catheter recorded. Drainage moves home: the paracentesis series has ended "
                                            "and a home-drainage series has started."))
                return done(request, _patient_url(patient))
        clinic = patient.clinic
        days = clinic.home_drainage_interval_days
        items = [_("The paracentesis series ends; its scheduled drainage is cancelled."),
                 ngettext("A home-drainage series starts, every %(days)d day unless you say otherwise.",
                          "A home-drainage series starts, every %(days)d days unless you say otherwise.", days) % {"days": days},
                 _("Home drainage sends automated reminders: yes (clinic setting).") if clinic.home_drainage_reminders
                 else _("Home drainage sends automated reminders: no (clinic setting).")]
        return _show(request, patient, form, action=reverse("place_catheter", args=[patient.pk]),
                     heading=_("Catheter placed"), submit=_("Record catheter"), form_id="catheter-form", items=items)


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
                messages.success(request, _("Home drainage of %(volume)s ml recorded.") % {"volume": data["volume_ml"]})
                return done(request, _patient_url(patient))
        return _show(request, patient, form, action=reverse("log_home_drainage", args=[patient.pk]),
                     heading=_("Log a home drainage"), submit=_("Record home drainage"), form_id="home-drainage-form")


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
            messages.success(request, _("Bereavement call (%(step)s) recorded.") % {"step": call.step_label})
            return done(request, reverse("worklist") + "#bereavement")
    if call.caregiver:
        who = f"{call.caregiver.name} ({call.caregiver.relationship or _('next of kin')})"
        call_line = _("Call: %(who)s") % {"who": who}
    else:
        call_line = _("Call: no next of kin is recorded: see the caregivers on the patient's page.")
    return _show(request, patient, form, action=reverse("record_bereavement_call", args=[call.pk]),
                 heading=_("Bereavement call at %(step)s") % {"step": call.step_label}, submit=_("Record outcome"),
                 form_id="bereavement-form",
                 intro=[_("The family of %(name)s, due %(day)s.") % {"name": patient.full_name, "day": _day(call.due_on)},
                        call_line])


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
            messages.success(request, _("Message assigned."))
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
            messages.success(request, _("%(name)s: phase set to %(phase)s.") % {
                "name": patient.full_name, "phase": Patient.Phase(form.cleaned_data["phase"]).label.lower()})
            return done(request, _patient_url(patient))
    return _show(request, patient, form, action=reverse("resolve_phase", args=[patient.pk]),
                 heading=_("Resolve the phase"), submit=_("Set phase"), form_id="phase-form",
                 intro=[_("This living patient's phase is recorded as “bereaved”, which is only the phase after a death. "
                          "Choose their phase now, or, if they have died, record the death instead.")])



