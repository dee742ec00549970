"""Texts reach the team that cares: which clinic's number a text goes out from, and to which clinic,
patient and contact an inbound text belongs.

A clinic may have its own sending number (`Clinic.sending_number`), else the installation's
`TWILIO_FROM_NUMBER`. An inbound text is routed, in this order:

1. by the number it was sent to: the clinic (or clinics) sending from that number;
2. by the conversation: of the contacts with the sender's number, the one who got the latest text
   from that number in the last 14 days;
3. only then by the sender's number alone, when its contacts are all of one clinic.

A number shared by contacts of several clinics with nothing to decide between them is never
attached at random: the message waits, unrouted, for a clinical lead of one of the clinics involved
to assign it. Scores in it are held until then. (STOP is not routed: it applies to every contact
with the number, in every clinic.)
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Caregiver, Clinic, InboundMessage, Membership, Patient, Reminder

CONVERSATION_DAYS = 14


def sending_number(clinic):
    """The number this clinic's texts come from (E.164), or "" when none is configured."""
    if clinic is not None and clinic.sending_number:
        return clinic.sending_number.as_e164
    return settings.TWILIO_FROM_NUMBER or ""


def patient_of(contact):
    return contact if isinstance(contact, Patient) else contact.patient


def recipient_key(contact):
    return "patient" if isinstance(contact, Patient) else f"caregiver-{contact.pk}"


def clinics_sending_from(number):
    """Ids of the clinics whose texts go out from `number`, or None when it tells us nothing."""
    if not number:
        return None
    own = set(Clinic.objects.filter(sending_number=number).values_list("pk", flat=True))
    if own:
        return own
    from .inbound import normalise

    if settings.TWILIO_FROM_NUMBER and normalise(settings.TWILIO_FROM_NUMBER) == number:
        return set(Clinic.objects.filter(sending_number="").values_list("pk", flat=True))
    return None


@dataclass
class Route:
    routed_by: str
    contact: object = None  # the Patient or Caregiver who sent it, when known
    clinic: Clinic | None = None
    involved: list = field(default_factory=list)  # clinic ids, when unrouted

    @property
    def patient(self):
        return patient_of(self.contact) if self.contact is not None else None


def _latest_conversation(candidates, clinic_ids, now):
    """The candidate who got the latest text (from the number written to) in the last 14 days."""
    keys = {(patient_of(c).pk, recipient_key(c)): c for c in candidates}
    sent = Reminder.objects.filter(
        channel="sms", sent_at__gte=now - timedelta(days=CONVERSATION_DAYS), sent_at__lte=now,
        patient_id__in={patient_id for patient_id, _ in keys},
        state__in=(Reminder.State.SENT, Reminder.State.DELIVERED, Reminder.State.UNKNOWN),
    )
    if clinic_ids is not None:
        sent = sent.filter(patient__clinic_id__in=clinic_ids)
    for patient_id, recipient in sent.order_by("-sent_at", "-pk").values_list("patient_id", "recipient"):
        if (patient_id, recipient) in keys:
            return keys[(patient_id, recipient)]
    return None


def route(contacts, to_number, now=None):
    """Where an inbound text from a number with these `contacts`, sent to `to_number`, belongs."""
    now = now or timezone.now()
    if not contacts:
        return Route(InboundMessage.RoutedBy.UNKNOWN)
    clinic_ids = clinics_sending_from(to_number)
    candidates = contacts
    by_to = False
    if clinic_ids is not None:
        narrowed = [c for c in contacts if patient_of(c).clinic_id in clinic_ids]
        if narrowed:
            # The number decided something: it left contacts out, or only one clinic sends from it.
            by_to = len(narrowed) < len(contacts) or len(clinic_ids) == 1
            candidates = narrowed
    patients = {patient_of(c).pk for c in candidates}
    if len(patients) == 1:
        # One patient (perhaps the patient and a caregiver on one phone): the patient's own record.
        contact = next((c for c in candidates if isinstance(c, Patient)), candidates[0])
        return Route(InboundMessage.RoutedBy.TO_NUMBER if by_to else InboundMessage.RoutedBy.SENDER,
                     contact, patient_of(contact).clinic)
    talked = _latest_conversation(candidates, clinic_ids, now)
    if talked is not None:
        return Route(InboundMessage.RoutedBy.CONVERSATION, talked, patient_of(talked).clinic)
    clinics = {patient_of(c).clinic_id for c in candidates}
    if len(clinics) == 1:
        # One team, several of its patients: the team reads it and knows whose it is.
        clinic = patient_of(candidates[0]).clinic
        return Route(InboundMessage.RoutedBy.TO_NUMBER if by_to else InboundMessage.RoutedBy.SENDER, None, clinic)
    return Route(InboundMessage.RoutedBy.UNROUTED, involved=sorted(clinics))


# --- Unrouted messages ------------------------------------------------------------------------------


def unrouted_for(user):
    """Unrouted messages a clinical lead of one of the clinics involved may assign."""
    lead_of = Membership.objects.filter(user=user, role=Membership.Role.LEAD).values("clinic_id")
    return (InboundMessage.objects.filter(routed_by=InboundMessage.RoutedBy.UNROUTED, assigned_at__isnull=True,
                                          involved_clinics__in=lead_of).distinct())


def candidates_for(message, user):
    """The contacts with the sender's number in the clinics this lead leads: whom it may be from."""
    lead_of = set(Membership.objects.filter(user=user, role=Membership.Role.LEAD).values_list("clinic_id", flat=True))
    involved = set(message.involved_clinics.values_list("pk", flat=True)) & lead_of
    patients = list(Patient.objects.filter(mobile=message.from_number, clinic_id__in=involved).select_related("clinic"))
    caregivers = list(Caregiver.objects.filter(mobile=message.from_number, patient__clinic_id__in=involved)
                      .select_related("patient__clinic"))
    return patients + caregivers


def contact_key(contact):
    return f"p{contact.pk}" if isinstance(contact, Patient) else f"c{contact.pk}"


def assign(message, *, contact, by):
    """A lead attaches an unrouted message to one of their clinic's contacts. Held scores are then
    recorded as that patient's report (at the time the text came in). The first lead wins."""
    from .. import services
    from .inbound import symptom_scores

    patient = patient_of(contact)
    if contact_key(contact) not in {contact_key(c) for c in candidates_for(message, by)}:
        raise PermissionDenied("Only a clinical lead of a clinic involved can assign this message, to a contact with its number.")
    now = timezone.now()
    with transaction.atomic():
        claimed = InboundMessage.objects.filter(pk=message.pk, routed_by=InboundMessage.RoutedBy.UNROUTED,
                                                assigned_at__isnull=True).update(
            routed_by=InboundMessage.RoutedBy.ASSIGNED, assigned_at=now, assigned_by=by, clinic=patient.clinic,
            patient=patient, caregiver=contact if isinstance(contact, Caregiver) else None)
        if not claimed:
            raise ValidationError(_("Another lead has already assigned this message."))
        message.refresh_from_db()
        scores = symptom_scores(message.body) if message.kind == InboundMessage.Kind.SYMPTOMS else None
        if scores and patient.status == Patient.Status.ACTIVE:
            completed_by = "caregiver" if isinstance(contact, Caregiver) else "patient"
            services.record_symptom_report(patient, scores=scores, completed_by=completed_by, source="sms",
                                           reported_at=message.received_at, recorded_by=by)
            message.handled_at, message.handled_by = now, by
            message.save(update_fields=["handled_at", "handled_by"])
        elif message.kind == InboundMessage.Kind.SYMPTOMS:
            message.kind = InboundMessage.Kind.OTHER  # a closed patient's scores: for a nurse to read
            message.save(update_fields=["kind"])
    return message
