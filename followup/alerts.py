"""Symptom alerts as a palliative team works them: one per report, paged out of hours, escalated.

- One alert per report that flags anything. It lists every flagged item with its score and the
  last score of that item; a severe item that also rose is one line ("Pain 8, was 3: severe, up 5").
- Each item is compared with the last report that scored it within COMPARE_DAYS (30) days: reports
  often score only a few items, and an item left out is not a zero. "New other problem" is compared
  with the last report that named one.
- One acknowledgement per alert records the action taken and an optional note. A report a nurse
  records from her own call is acknowledged by that call, in her name.
- "Do you need a call from your team today?" (the web form and the keypad survey): yes raises an alert
  on the report whatever its scores, first on the worklist; no with nothing severe marks the alert
  "patient says it can wait", sorted after the others (`triage_rank`).
- A severe report, or a request for a call, while the team is closed pages the clinic's on-call contacts at once; an alert
  nobody acknowledged within the clinic's `escalate_after_working_hours` (4 by default) is escalated
  to its clinical leads. Both go through the reminders' outbox (followup.messaging.delivery): one row
  per person and channel, keyed by the alert, so nobody is paged twice about one alert.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from . import scheduling
from .messaging.planning import cancel_unsent_reminders
from .models import Alert, AlertItem, Clinic, Membership, Patient, Reminder, ReminderEvent, SymptomReport

logger = logging.getLogger(__name__)

COMPARE_DAYS = 30
UNDER_CARE = (Patient.Status.ACTIVE, Patient.Status.PAUSED)
# A page still matters for this long at least; an on-call page until the team opens again.
PAGE_USEFUL_FOR = timedelta(hours=12)
# Only a report that has just come in pages anyone: one entered later as history does not.
PAGE_RECENT = timedelta(hours=1)


# --- The rules -----------------------------------------------------------------------------------


def earlier_scores(patient, before, exclude=None):
    """{item: score} of the last report before `before` that scored each item, within 30 days."""
    reports = patient.symptom_reports.filter(reported_at__lt=before, reported_at__gte=before - timedelta(days=COMPARE_DAYS))
    if exclude is not None:
        reports = reports.exclude(pk=exclude.pk)
    found = {}
    for report in reports.order_by("-reported_at", "-pk"):
        for item, score in report.scores().items():
            if score is not None and item not in found:
                found[item] = (score, report)
    return found


def last_other_problem_name(patient, before, exclude=None):
    """The other problem named by the last report before `before` that named one ("" if none)."""
    reports = patient.symptom_reports.filter(reported_at__lt=before).exclude(other_problem_name="")
    if exclude is not None:
        reports = reports.exclude(pk=exclude.pk)
    return reports.order_by("-reported_at", "-pk").values_list("other_problem_name", flat=True).first() or ""


def findings_for(report, earlier=None):
    """The alert rules applied to a stored report: [SymptomFinding]. `earlier` is
    `earlier_scores(...)` for the report when the caller already has it."""
    if earlier is None:
        earlier = earlier_scores(report.patient, report.reported_at, exclude=report)
    previous = {item: score for item, (score, _) in earlier.items()}
    named = last_other_problem_name(report.patient, report.reported_at, exclude=report)
    if "other_problem" in earlier and earlier["other_problem"][1].other_problem_name.strip().lower() != named.strip().lower():
        del previous["other_problem"]  # the last score of "other" was for a different problem
    return scheduling.symptom_findings(report.scores(), previous, report.other_problem_name, named)


def raise_alert(report, now=None):
    """Run the rules on a stored report: one Alert with its items, or None when nothing is flagged.

    The patient's answer to "Do you need a call from your team today?" (followup/call_today.py) goes
    on the alert: yes raises one whatever the scores (`call_requested`); no, with nothing severe,
    marks it `can_wait`, and triage sorts it lower."""
    earlier = earlier_scores(report.patient, report.reported_at, exclude=report)
    findings = findings_for(report, earlier)
    call_requested = report.needs_call_today is True
    if not findings and not call_requested:
        return None
    items = {}
    for finding in findings:
        item = items.setdefault(finding.item, AlertItem(item=finding.item, score=finding.score))
        if finding.kind == "severe":
            item.severe = True
        elif finding.kind == "worsening":
            item.worsening = True
            item.previous_score = finding.previous_score
        else:
            item.new_problem = True
    # Every line shows the last score of its item, whether or not it rose.
    for item in items.values():
        if item.previous_score is None and item.item in earlier and not item.new_problem:
            item.previous_score = earlier[item.item][0]
    severe = any(item.severe for item in items.values())
    alert = Alert.objects.create(patient=report.patient, report=report, created_at=now or timezone.now(), severe=severe,
                                 call_requested=call_requested, can_wait=report.needs_call_today is False and not severe)
    for item in items.values():
        item.alert = alert
    AlertItem.objects.bulk_create(items.values())
    return alert


def triage_rank():
    """How open alerts are sorted for a nurse, as a query expression (lower first): a patient who asked
    for a call today, then severe, then the rest, and last what the patient says can wait."""
    return Case(When(call_requested=True, then=Value(0)), When(severe=True, then=Value(1)),
                When(can_wait=True, then=Value(3)), default=Value(2), output_field=IntegerField())


# --- Acknowledgement -----------------------------------------------------------------------------


def acknowledge(alert, *, by, action, note="", at=None):
    """Record what was done about an alert. True if this call recorded it; False if someone already had.

    The row is locked and saved (not a bare UPDATE) so its history names who acknowledged it.
    """
    if action not in Alert.Action.values:
        raise ValidationError({"action": _("Choose what was done about this alert.")})
    with transaction.atomic():
        current = Alert.objects.select_for_update().get(pk=alert.pk)
        if current.acknowledged_at is None:
            current.acknowledged_at = at or timezone.now()
            current.acknowledged_by = by
            current.acknowledgement_action = action
            current.acknowledgement_note = note.strip()
            current._history_user = by
            current.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement_action", "acknowledgement_note"])
            cancel_unsent_reminders(current.pages.all(), gettext_noop("Alert acknowledged"))
            recorded = True
        else:
            recorded = False
    alert.refresh_from_db()
    return recorded


# --- Pages to staff ------------------------------------------------------------------------------


def alert_link(alert):
    return settings.SITE_URL + reverse("alert", args=[alert.pk])


def _page(alert, purpose, recipient, channel, now, expires_at, **who):
    """One outbox row for a staff page; nothing when that person was already paged about this alert."""
    try:
        with transaction.atomic():
            page = Reminder.objects.create(alert=alert, recipient=recipient, channel=channel, purpose=purpose,
                                           due_at=alert.created_at, send_at=now, expires_at=expires_at, **who)
    except IntegrityError:
        return None  # already paged (the key is alert, recipient, channel, purpose)
    ReminderEvent.objects.create(reminder=page, at=now, to_state=page.state, reason="Planned")
    return page


def page_on_call(alert, now=None):
    """Page every active on-call contact of the clinic, on each channel they have. Returns the rows."""
    now = now or timezone.now()
    clinic = alert.patient.clinic
    opens = clinic.next_opening(now)
    expires_at = max(now + PAGE_USEFUL_FOR, opens or now)
    pages = []
    contacts = list(clinic.on_call_contacts.filter(active=True).order_by("pk"))
    if not contacts:
        logger.warning("alert %s: severe out of hours, but clinic %s has no on-call contact", alert.pk, clinic.pk)
    for contact in contacts:
        for channel in contact.channels:
            page = _page(alert, Reminder.Purpose.ON_CALL, f"oncall-{contact.pk}", channel, now, expires_at, on_call=contact)
            if page:
                pages.append(page)
    return pages


def after_report(report, alert, *, acknowledged_by=None, now=None):
    """What a new alert sets off: the nurse's own call acknowledges it; a severe one, or a patient's
    request for a call today, that has just come in (within PAGE_RECENT) while the team is closed pages
    the on-call contacts."""
    now = now or timezone.now()
    if alert is None:
        return
    if acknowledged_by is not None:
        acknowledge(alert, by=acknowledged_by, action=Alert.Action.CALLED,
                    note="Raised by the scores recorded during this check-in call.", at=now)
        return
    if ((alert.severe or alert.call_requested) and report.source != SymptomReport.Source.NURSE_CALL and report.reported_at >= now - PAGE_RECENT
            and not alert.patient.clinic.is_open(now)):
        page_on_call(alert, now)


def checkin_after_severe(patient, current_due, now):
    """When the check-in is due after a severe report: the same day when the report came before the
    clinic's working day starts (03:00 -> this morning), else the next calendar day; a check-in
    already due sooner stays."""
    clinic = patient.clinic
    opening = clinic.opening_on(scheduling.local_date(now, clinic.zone))
    return scheduling.checkin_brought_forward(current_due, now, patient.zone, clinic.checkin_reminder_at,
                                              opens_at=opening[0] if opening else None)


def escalation_due_at(alert):
    clinic = alert.patient.clinic
    return clinic.after_working_hours(alert.created_at, clinic.escalate_after_working_hours)


def escalate_due(now=None):
    """Escalate every open alert whose clinic's time to acknowledge has passed. Returns the alerts.

    Run by the care tick. An alert is escalated once (escalated_at); its pages go to the clinic's
    clinical leads by e-mail (a lead's account holds no mobile number).
    """
    now = now or timezone.now()
    # Working hours run no faster than the clock: nothing younger than the shortest setting can be due.
    shortest = min(Clinic.objects.values_list("escalate_after_working_hours", flat=True), default=None)
    if shortest is None:
        return []
    candidates = (Alert.objects.filter(acknowledged_at__isnull=True, escalated_at__isnull=True,
                                       created_at__lte=now - timedelta(hours=shortest), patient__status__in=UNDER_CARE)
                  .select_related("patient__clinic").order_by("created_at", "pk"))
    escalated = []
    for alert in candidates:
        due_at = escalation_due_at(alert)
        if due_at is None or due_at > now:
            continue
        with transaction.atomic():
            current = Alert.objects.select_for_update().select_related("patient__clinic").get(pk=alert.pk)
            if current.acknowledged_at is not None or current.escalated_at is not None:
                continue
            current.escalated_at = now
            current.save(update_fields=["escalated_at"])
            clinic = current.patient.clinic
            leads = (Membership.objects.filter(clinic=clinic, role=Membership.Role.LEAD, user__is_active=True)
                     .exclude(user__email="").select_related("user").order_by("user_id"))
            if not leads:
                logger.warning("alert %s: escalation due, but clinic %s has no lead with an e-mail", current.pk, clinic.pk)
            for membership in leads:
                _page(current, Reminder.Purpose.ESCALATION, f"lead-{membership.user_id}", "email", now,
                      now + PAGE_USEFUL_FOR, staff=membership.user)
        escalated.append(current)
    return escalated


def page_contact(page):
    """(mobile, e-mail) a staff page goes to, read at send time (a contact may have changed)."""
    if page.on_call_id:
        return page.on_call.mobile, page.on_call.email
    if page.staff_id:
        return None, page.staff.email
    return None, ""


def why_not_page(page, now):
    """The last-moment check of a staff page: (state, reason) when it must not go out now, else None.

    A staff page is not a patient message: the patient's status, consent, quiet hours and text caps
    do not apply. It goes unless the alert was acknowledged meanwhile (nobody need be woken for it),
    the person is no longer on call or a lead, or it is too late to be useful.
    """
    alert = page.alert
    if alert.acknowledged_at is not None:
        return Reminder.State.CANCELLED, "The alert was acknowledged meanwhile."
    if page.purpose == Reminder.Purpose.ON_CALL and (page.on_call is None or not page.on_call.active):
        return Reminder.State.CANCELLED, "No longer an on-call contact."
    if page.purpose == Reminder.Purpose.ESCALATION and (
        page.staff is None or not page.staff.is_active
        or not page.staff.memberships.filter(clinic_id=alert.patient.clinic_id, role=Membership.Role.LEAD).exists()
    ):
        return Reminder.State.CANCELLED, "No longer a clinical lead of the clinic."
    if now >= page.expires_at:
        return Reminder.State.EXPIRED, "Too late to be useful: its window passed before it could be sent."
    mobile, email = page_contact(page)
    if page.channel == "sms" and not mobile:
        return Reminder.State.FAILED, "No mobile number."
    if page.channel == "email" and not email:
        return Reminder.State.FAILED, "No e-mail address."
    return None
