"""Turn what changed into events, in the transaction of the change: a transactional outbox.

Every care record writes a history row (django-simple-history) in the same transaction as the change:
that row is the resource's new FHIR version. When one is written for a patient, an occurrence, an
alert or a drainage, `history_written` looks at it and, if it is a change a subscriber asked for,
records one Event and one pending Delivery per subscriber, with the same INSERTs' transaction. So a
change that commits has its event, one that rolls back has none, and nothing depends on when the
webhook tick next runs: a late or stopped beat only delays delivery (followup.subscriptions.delivery).

This is wired to django-simple-history's `post_create_historical_record` (SubscriptionsConfig.ready)
rather than called from each service: any write that moves a served resource's version is seen,
whichever service, task or HL7 message made it (a queryset `.update()` writes no history and is not
used on these models, for the versions' sake too).

Payloads carry ids and FHIR references, never a name, a phone number or a diagnosis: the receiver
reads the rest through the FHIR API with its own credentials and scopes.
"""

import logging
from dataclasses import dataclass

from ..fhir.resources import APPOINTMENT_STATUS, instant
from ..models import DRAINAGE_KINDS, Alert, Occurrence, Patient, Procedure
from .models import Delivery, Event, EventType, Subscriber

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    key: str
    type: str
    occurred_at: object
    data: dict


def _patient_ref(pk):
    return f"Patient/{pk}"


def _before(row):
    """The record's previous history row, by write order (a history date can be set in the past)."""
    return type(row).objects.filter(id=row.id, history_id__lt=row.history_id).order_by("-history_id").first()


def status_change(row):
    """A patient whose status differs from their previous version's: paused, resumed, discharged, died."""
    if row.history_type != "~":
        return None
    before = _before(row)
    if before is None or before.status == row.status:
        return None
    at = row.status_changed_at or row.history_date
    return Change(f"patient-status-{row.history_id}", EventType.PATIENT_STATUS, at,
                  {"patient": _patient_ref(row.id), "from": before.status, "to": row.status, "at": instant(at)})


def alert_raised(row):
    if row.history_type != "+":
        return None
    data = {"alert": row.id, "patient": _patient_ref(row.patient_id), "report": f"QuestionnaireResponse/{row.report_id}"}
    return Change(f"alert-{row.id}", EventType.ALERT, row.created_at, data)


def drainage_recorded(row):
    """A drainage newly recorded, at the clinic or at home (a later correction is no new event)."""
    if row.history_type != "+" or row.kind not in DRAINAGE_KINDS:
        return None
    data = {"procedure": f"Procedure/{row.id}", "patient": _patient_ref(row.patient_id), "kind": row.kind,
            "performed_at": instant(row.performed_at)}
    if row.volume_ml is not None:
        data["volume"] = f"Observation/procedure-{row.id}-volume"
    return Change(f"drainage-{row.id}", EventType.DRAINAGE, row.recorded_at, data)


def appointment_changed(row):
    """A new appointment, or one whose time or status changed (a note alone is no event)."""
    if row.history_type == "-":
        return None
    before = _before(row) if row.history_type == "~" else None
    if row.history_type == "~" and (before is None or (before.state, before.due_at) == (row.state, row.due_at)):
        return None
    version = type(row).objects.filter(id=row.id, history_id__lte=row.history_id).count()
    data = {"appointment": f"Appointment/{row.id}", "version": f"Appointment/{row.id}/_history/{version}",
            "patient": _patient_ref(row.patient_id), "status": APPOINTMENT_STATUS[row.state], "start": instant(row.due_at)}
    if before is not None and before.due_at != row.due_at:
        data["previous_start"] = instant(before.due_at)
    return Change(f"appointment-{row.history_id}", EventType.APPOINTMENT, row.history_date, data)


# The history models watched, what each can tell, and the event type it tells.
SOURCES = {
    Patient: (status_change, EventType.PATIENT_STATUS),
    Alert: (alert_raised, EventType.ALERT),
    Procedure: (drainage_recorded, EventType.DRAINAGE),
    Occurrence: (appointment_changed, EventType.APPOINTMENT),
}


def subscribers_for(instance, event_type):
    """The active subscribers of the record's clinic who want this kind of event: one query, which
    finds the clinic through the patient when the record is not the patient itself."""
    rows = Subscriber.objects.filter(active=True).order_by("pk")
    if isinstance(instance, Patient):
        rows = rows.filter(clinic_id=instance.clinic_id)
    else:
        rows = rows.filter(clinic__patients=instance.patient_id)
    return [subscriber for subscriber in rows if event_type in subscriber.events]


def record(change, clinic_id, subscribers):
    """The event and one pending delivery per subscriber, in the caller's transaction."""
    event = Event.objects.create(key=change.key, type=change.type, clinic_id=clinic_id,
                                 occurred_at=change.occurred_at, data=change.data)
    Delivery.objects.bulk_create(Delivery(event=event, subscriber=subscriber, next_attempt_at=event.created_at)
                                 for subscriber in subscribers)
    return event


def history_written(sender, instance, history_instance, **kwargs):
    """The receiver of `post_create_historical_record`: record the event this version is, if anyone
    of the record's clinic subscribes to its kind (nothing is kept for nobody)."""
    model = getattr(sender, "instance_type", None)
    if model not in SOURCES:
        return None
    tell, event_type = SOURCES[model]
    subscribers = subscribers_for(instance, event_type)
    if not subscribers:
        return None
    change = tell(history_instance)
    if change is None:
        return None
    event = record(change, subscribers[0].clinic_id, subscribers)
    logger.info("change notification %s: %s for %d subscriber(s)", event.pk, event.type, len(subscribers))
    return event


def connect(signal):
    for model in SOURCES:
        signal.connect(history_written, sender=model.history.model, dispatch_uid=f"subscriptions-{model.__name__}")
