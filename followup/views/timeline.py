"""What the patient page shows: the timeline, the charts, the open occurrences with their planned
reminders, and the interval suggestion, from a fixed number of queries per patient.

The timeline never shows a phone number or an e-mail address: a reminder says its channel and
whom it went to by role or name.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .. import catheter, charts, esas_r, scheduling
from ..models import ESAS_ITEMS, Death, Kind, Occurrence, Reminder, ReminderEvent
from .timeline_views import fold_cancellations

# The timeline shows the most recent events of each kind; charts use the last reports.
TIMELINE_LIMIT = 200
CHART_REPORTS = 60


@dataclass
class Event:
    at: datetime
    kind: str  # drainage, symptoms, message-out, message-in, status, occurrence
    title: str
    detail: str = ""
    by: object = None
    alerts: list = field(default_factory=list)
    scores: list = field(default_factory=list)  # (item label, score) of the items scored
    after_death: bool = False  # recorded as happening after the recorded time of death


def _recipient(reminder):
    if reminder.caregiver_id:
        return _("to %(name)s (caregiver)") % {"name": reminder.caregiver.name}
    return _("to the patient")


def _scores(report):
    scored = []
    names = esas_r.item_names()  # the reviewed ESAS-r wording of the page's language
    for item, _label in ESAS_ITEMS:
        label = names[item]
        score = getattr(report, item)
        if score is not None:
            scored.append((report.other_problem_name or label if item == "other_problem" else label, score))
    return scored


def _report_detail(report):
    """"Completed by: Patient · PPS 50% · Phase: Unstable. Sleeping more." (what the nurse recorded)."""
    parts = [_("Completed by: %(who)s") % {"who": report.get_completed_by_display()}]
    if report.pps is not None:
        parts.append(_("PPS %(pps)s%%") % {"pps": report.pps})
    if report.phase:
        parts.append(_("Phase: %(phase)s") % {"phase": report.get_phase_display()})
    detail = " · ".join(parts)
    return f"{detail}. {report.note}" if report.note else detail


def reminder_event(reminder):
    detail = f"{reminder.get_channel_display()} {_recipient(reminder)}: {reminder.get_state_display().lower()}"
    if reminder.reason:
        detail += f" ({_(reminder.reason)})"  # stored in English; a known reason in the reader's language
    return Event(reminder.sent_at or reminder.send_at, "message-out",
                 _("Reminder · %(purpose)s") % {"purpose": reminder.get_purpose_display()}, detail)


def build(patient, now=None):
    now = now or timezone.now()
    zone = patient.zone
    procedures = list(patient.procedures.select_related("performed_by", "recorded_by").order_by("-performed_at")[:TIMELINE_LIMIT])
    reports = list(patient.symptom_reports.select_related("recorded_by").order_by("-reported_at")[:TIMELINE_LIMIT])
    alerts = list(patient.alerts.select_related("acknowledged_by", "report").prefetch_related("items")
                  .order_by("-created_at")[:TIMELINE_LIMIT])
    calls = list(patient.call_attempts.select_related("by").order_by("-at")[:TIMELINE_LIMIT])
    closed = list(patient.occurrences.exclude(state__in=[Occurrence.State.SCHEDULED, Occurrence.State.DONE]).select_related("closed_by")
                  .order_by("-due_at")[:TIMELINE_LIMIT])
    open_occurrences = list(patient.occurrences.filter(state=Occurrence.State.SCHEDULED).order_by("due_at"))
    reminders = list(patient.reminders.select_related("caregiver").order_by("-send_at")[:TIMELINE_LIMIT])
    inbound = list(patient.inbound_messages.select_related("caregiver", "handled_by").order_by("-received_at")[:TIMELINE_LIMIT])
    status_changes = list(patient.status_changes.select_related("by").order_by("-at")[:TIMELINE_LIMIT])
    schedules = {schedule.kind: schedule for schedule in patient.schedules.filter(active=True)}
    caregivers = list(patient.caregivers.all())

    alerts_by_report = {}
    for alert in alerts:
        alerts_by_report.setdefault(alert.report_id, []).append(alert)

    events = []
    for procedure in procedures:
        if procedure.volume_ml is None:
            parts = [_("volume not recorded")]
        else:
            parts = [_("0 ml (dry tap)") if procedure.volume_ml == 0 else _("%(volume)s ml") % {"volume": procedure.volume_ml}]
        if procedure.duration_minutes:
            parts.append(_("%(minutes)s min") % {"minutes": procedure.duration_minutes})
        parts.append(procedure.get_setting_display().lower())
        if procedure.complications_label:
            parts.append(_("complications: %(complications)s") % {"complications": procedure.complications_label.lower()})
        if procedure.performer_label:
            parts.append(_("performed by %(name)s") % {"name": procedure.performer_label})
        events.append(Event(procedure.performed_at, "drainage", procedure.get_kind_display(), ", ".join(parts),
                            procedure.recorded_by))
    calls_by_report = {call.report_id: call for call in calls if call.report_id}
    for report in reports:
        title = _("Check-in call") if report.source == "nurse_call" else \
            _("Symptom report (%(source)s)") % {"source": report.get_source_display().lower()}
        call = calls_by_report.get(report.pk)
        if call is not None:
            title = _("Check-in call: %(outcome)s") % {"outcome": call.get_outcome_display().lower()}
        events.append(Event(report.reported_at, "symptoms", title, _report_detail(report),
                            report.recorded_by, alerts_by_report.get(report.pk, []), _scores(report)))
    for call in calls:
        if call.report_id:
            continue  # shown as its report, "Check-in call"
        detail = call.note
        if call.retry_at:
            retry = _("Try again %(at)s") % {"at": formats.date_format(timezone.localtime(call.retry_at, zone), "D j M, H:i")}
            detail = retry + (f". {detail}" if detail else "")
        events.append(Event(call.at, "call", _("Check-in call: %(outcome)s") % {"outcome": call.get_outcome_display().lower()},
                            detail, call.by))
    for occurrence in closed:
        title = _("%(kind)s %(state)s") % {"kind": occurrence.get_kind_display(), "state": occurrence.get_state_display().lower()}
        detail = _("Was due %(day)s") % {"day": formats.date_format(occurrence.due_date, "SHORT_DATE_FORMAT")} + (
            f": {occurrence.note}" if occurrence.note else "")
        events.append(Event(occurrence.closed_at or occurrence.due_at, "occurrence", title, detail, occurrence.closed_by))
    cancelled = [reminder for reminder in reminders if reminder.state == Reminder.State.CANCELLED]
    cancelled_at = dict(ReminderEvent.objects.filter(reminder__in=[r.pk for r in cancelled], to_state=Reminder.State.CANCELLED)
                        .values_list("reminder_id", "at"))
    folded, alone = fold_cancellations(cancelled, cancelled_at, lambda at, title, detail: Event(at, "message-out", title, detail))
    events.extend(folded)
    standing_alone = {reminder.pk for reminder in alone}
    for reminder in reminders:
        if reminder.state == Reminder.State.PLANNED:
            continue  # upcoming: shown with the open occurrences
        if reminder.state == Reminder.State.CANCELLED and reminder.pk not in standing_alone:
            continue  # folded above
        events.append(reminder_event(reminder))
    for message in inbound:
        sender = _("from %(name)s (caregiver)") % {"name": message.caregiver.name} if message.caregiver_id else _("from the patient")
        detail = f"{message.get_kind_display()} {sender}"
        if message.body:
            detail += f': "{message.body}"'
        events.append(Event(message.received_at, "message-in", _("Message received"), detail, message.handled_by))
    for change in status_changes:
        title = _("Status: %(before)s → %(after)s") % {"before": change.get_from_status_display().lower(),
                                                        "after": change.get_to_status_display().lower()}
        events.append(Event(change.at, "status", title, change.note, change.by))
    events.extend(life_events_of(patient))
    death = getattr(patient, "death", None) if hasattr(patient, "death") else None
    if death is not None:
        for event in events:
            # What people recorded or sent as happening after it: a hospital record arrives late.
            if event.at > death.died_at and event.kind in ("drainage", "symptoms", "message-in"):
                event.after_death = True
    events.sort(key=lambda event: event.at, reverse=True)

    planned = {}
    for reminder in reminders:
        if reminder.state == Reminder.State.PLANNED:
            planned.setdefault(reminder.occurrence_id, []).append(reminder)
    for occurrence in open_occurrences:
        occurrence.patient = patient
        occurrence.planned_reminders = sorted(planned.get(occurrence.pk, []), key=lambda reminder: reminder.send_at)

    drainage_times = [p.performed_at for p in procedures if p.kind == Kind.PARACENTESIS]
    drainages = schedules.get(Kind.PARACENTESIS)
    home_drainages = schedules.get(Kind.HOME_DRAINAGE)
    intervals = scheduling.intervals_in_days(drainage_times, zone)
    suggested = scheduling.suggested_interval_days(drainage_times, zone)
    current_days = None
    if drainages and drainages.interval.unit == scheduling.Unit.DAYS:
        current_days = drainages.interval.count
    elif drainages and drainages.interval.unit == scheduling.Unit.WEEKS:
        current_days = drainages.interval.count * 7
    chart_reports = list(reversed(reports[:CHART_REPORTS]))

    return {
        "events": events,
        "open_occurrences": open_occurrences,
        "open_alerts": [alert for alert in alerts if alert.is_open],
        "schedules": schedules,
        "drainage_schedule": drainages,
        "checkin_schedule": schedules.get(Kind.CHECKIN),
        "caregivers": caregivers,
        "intervals": intervals,
        "recent_intervals": [days for days in intervals if days > 0][-3:],
        "suggested_days": suggested,
        "suggestion_differs": suggested is not None and current_days != suggested,
        "advisory": catheter.advisory(patient, drainage_times),
        "catheter": patient.catheters.filter(removed_on__isnull=True).first(),
        "home_drainage_schedule": home_drainages,
        "advisory_answer": patient.advisory_answers.order_by("-silenced_until").first(),
        "phase_episodes": list(patient.phase_episodes.select_related("started_by")[:TIMELINE_LIMIT]),
        "current_pause": patient.pauses.filter(ended_at__isnull=True).first(),
        "bereavement_calls": list(patient.bereavement_calls.select_related("caregiver", "done_by")),
        "esas_charts": charts.esas_charts(chart_reports, zone),
        "chart_reports": chart_reports,
        "interval_chart": charts.interval_chart(drainage_times, zone, current_days),
        "last_status_change": status_changes[0] if status_changes else None,
        "severe_alerts": sum(1 for alert in alerts if alert.is_open and alert.severe),
    }


def life_events_of(patient):
    """Timeline events of the life-event records: phases, pauses, the death and what followed it,
    catheter and advisory answers."""
    events = []
    for episode in patient.phase_episodes.select_related("started_by")[:TIMELINE_LIMIT]:
        events.append(Event(episode.started_at, "phase", _("Phase: %(phase)s") % {"phase": episode.get_phase_display().lower()}, "",
                            episode.started_by))
    for pause in patient.pauses.select_related("started_by")[:TIMELINE_LIMIT]:
        detail = pause.get_reason_display()
        if pause.review_on:
            detail += ", " + _("review on %(day)s") % {"day": formats.date_format(pause.review_on, "j M Y")}
        if pause.note:
            detail += f": {pause.note}"
        events.append(Event(pause.started_at, "pause", _("Paused"), detail, pause.started_by))
    try:
        death = patient.death
    except Death.DoesNotExist:
        death = None
    if death is not None:
        detail = _("Place: %(place)s; source: %(source)s") % {"place": death.get_place_display().lower(),
                                                               "source": death.get_source_display().lower()}
        if death.note:
            detail += f". {death.note}"
        events.append(Event(death.died_at, "death", _("Death recorded"), detail, death.recorded_by))
    for call in patient.bereavement_calls.select_related("done_by").filter(done_at__isnull=False):
        events.append(Event(call.done_at, "bereavement", _("Bereavement call (%(step)s)") % {"step": call.step_label},
                            call.get_outcome_display() + (f": {call.note}" if call.note else ""), call.done_by))
    for placed in patient.catheters.select_related("recorded_by"):
        events.append(Event(scheduling.at_local(placed.placed_on, patient.clinic.appointment_time, patient.zone), "catheter",
                            _("Catheter placed"), placed.get_type_display(), placed.recorded_by))
    for answer in patient.advisory_answers.select_related("by"):
        events.append(Event(scheduling.at_local(answer.answered_on, patient.clinic.appointment_time, patient.zone), "advisory",
                            _("Catheter advisory: %(answer)s") % {"answer": answer.get_answer_display().lower()},
                            _("Silent until %(day)s") % {"day": formats.date_format(answer.silenced_until, "j M Y")}
                            + (f". {answer.note}" if answer.note else ""),
                            answer.by))
    return events
