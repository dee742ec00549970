"""Turn what changed into events: read the records' own history, not hooks in the services.

Every care record already writes a history row (django-simple-history) or a timestamp in the same
transaction as the change, so the webhook tick reads those since a little before its last look and
records one Event per change. An event's `key` names the row it came from, so reading the same rows
again (the overlap catches a transaction that committed late) adds nothing. Payloads carry ids and
FHIR references, never a name, a phone number or a diagnosis: the receiver reads the rest through
the FHIR API with its own credentials and scopes.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction

from ..fhir.resources import APPOINTMENT_STATUS, instant
from ..models import Alert, Kind, Occurrence, Patient, Procedure
from .models import Delivery, Event, EventType, Subscriber

logger = logging.getLogger(__name__)

# How far back each look reaches: a change whose transaction took longer than this to commit is missed.
LOOK_BACK = timedelta(minutes=10)


@dataclass(frozen=True)
class Change:
    key: str
    type: str
    clinic_id: int
    occurred_at: object
    data: dict


def _patient_ref(pk):
    return f"Patient/{pk}"


def _before(history, row):
    """The record's previous history row, by write order (a history date can be set in the past)."""
    return history.objects.filter(id=row.id, history_id__lt=row.history_id).order_by("-history_id").first()


def status_changes(since):
    history = Patient.history.model
    for row in history.objects.filter(history_date__gte=since, history_type="~").order_by("history_id"):
        before = _before(history, row)
        if before is None or before.status == row.status:
            continue
        yield Change(f"patient-status-{row.history_id}", EventType.PATIENT_STATUS, row.clinic_id,
                     row.status_changed_at or row.history_date,
                     {"patient": _patient_ref(row.id), "from": before.status, "to": row.status,
                      "at": instant(row.status_changed_at or row.history_date)})


def alerts(since):
    for alert in Alert.objects.filter(created_at__gte=since).select_related("patient").order_by("pk"):
        data = {"alert": alert.pk, "patient": _patient_ref(alert.patient_id)}
        if getattr(alert, "report_id", None):
            data["report"] = f"QuestionnaireResponse/{alert.report_id}"
        yield Change(f"alert-{alert.pk}", EventType.ALERT, alert.patient.clinic_id, alert.created_at, data)


def drainages(since):
    rows = Procedure.objects.filter(recorded_at__gte=since, kind=Kind.PARACENTESIS).select_related("patient").order_by("pk")
    for procedure in rows:
        data = {"procedure": f"Procedure/{procedure.pk}", "patient": _patient_ref(procedure.patient_id),
                "performed_at": instant(procedure.performed_at)}
        if procedure.volume_ml:
            data["volume"] = f"Observation/procedure-{procedure.pk}-volume"
        yield Change(f"drainage-{procedure.pk}", EventType.DRAINAGE, procedure.patient.clinic_id, procedure.recorded_at, data)


def appointment_changes(since):
    """A new appointment, or one whose time or status changed (a note alone is no event)."""
    history = Occurrence.history.model
    clinics = {}
    for row in history.objects.filter(history_date__gte=since).exclude(history_type="-").order_by("history_id"):
        before = _before(history, row) if row.history_type == "~" else None
        if before is not None and (before.state, before.due_at) == (row.state, row.due_at):
            continue
        if row.patient_id not in clinics:
            clinics[row.patient_id] = Patient.objects.filter(pk=row.patient_id).values_list("clinic_id", flat=True).first()
        if clinics[row.patient_id] is None:
            continue
        version = history.objects.filter(id=row.id, history_id__lte=row.history_id).count()
        data = {"appointment": f"Appointment/{row.id}", "version": f"Appointment/{row.id}/_history/{version}",
                "patient": _patient_ref(row.patient_id), "status": APPOINTMENT_STATUS[row.state], "start": instant(row.due_at)}
        if before is not None and before.due_at != row.due_at:
            data["previous_start"] = instant(before.due_at)
        yield Change(f"appointment-{row.history_id}", EventType.APPOINTMENT, clinics[row.patient_id], row.history_date, data)


SOURCES = (status_changes, alerts, drainages, appointment_changes)


def record(change, subscribers):
    """The event and its deliveries, once: False when another look recorded it first."""
    try:
        with transaction.atomic():
            event = Event.objects.create(key=change.key, type=change.type, clinic_id=change.clinic_id,
                                         occurred_at=change.occurred_at, data=change.data)
            Delivery.objects.bulk_create(
                Delivery(event=event, subscriber=subscriber, next_attempt_at=event.created_at)
                for subscriber in subscribers if change.type in subscriber.events
            )
    except IntegrityError:
        return False
    return True


def collect(now):
    """Record the changes since LOOK_BACK before `now`; returns how many events were new."""
    since = now - LOOK_BACK
    changes = [change for source in SOURCES for change in source(since)]
    if not changes:
        return 0
    known = set(Event.objects.filter(key__in=[change.key for change in changes]).values_list("key", flat=True))
    subscribers = {}
    for subscriber in Subscriber.objects.filter(active=True):
        subscribers.setdefault(subscriber.clinic_id, []).append(subscriber)
    new = 0
    for change in changes:
        if change.key not in known and record(change, subscribers.get(change.clinic_id, [])):
            new += 1
    if new:
        logger.info("change notifications: %d new events", new)
    return new
