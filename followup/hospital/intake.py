"""One HL7 message in, one acknowledgement out: match the patient, apply the event, keep both.

`receive(raw, peer=...)` is what the listener calls for every MLLP frame (in a worker thread), and
what tests call directly. It never raises for anything the hospital sends:

- AR (refused, nothing changed): a message `adt.read` cannot read or does not accept, or whose time
  of death is in the future for the patient's clinic;
- AE (kept, shown to the leads of the clinics involved, nothing changed): no patient, or more than
  one, matches its PID-3; a death reported without its time (a nurse is asked to record it);
- AA: applied (or an event Followup does not use), in one transaction with its audit entry.

A repeat of a message id (MSH-10) from the same sender (MSH-3, MSH-4) changes nothing and is answered
with the very acknowledgement the first one got.
"""

import ipaddress
import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .. import services
from ..models import AccessLog, Clinic, Death, HospitalMessage, HospitalNotice, Patient, Pause
from . import adt

logger = logging.getLogger(__name__)

Outcome = HospitalMessage.Outcome
Kind = HospitalNotice.Kind
# Until the clinic has its own admission setting (issue 11), a hospital admission is reviewed after this.
CLOCK_TOLERANCE = timedelta(minutes=5)


class NotApplied(Exception):
    """Answered AE: kept for the integration team and shown to the leads of `clinics`."""

    def __init__(self, reason, clinics=(), patient=None, notice=None):
        super().__init__(reason)
        self.reason = reason
        self.clinics = list(clinics)
        self.patient = patient
        self.notice = notice  # (kind, detail) left for a nurse, kept although nothing else is


@dataclass
class Match:
    patients: list
    clinics: list = field(default_factory=list)  # clinics named by an authority, or of the candidates


def receive(raw, *, peer="", now=None):
    """The ACK (text) for one message (bytes or text without MLLP framing)."""
    now = now or timezone.now()
    text = _stored_text(raw)
    try:
        message = adt.read(raw, now=now)
    except adt.Refused as refused:
        return _refuse_unread(refused, text, peer, now)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = HospitalMessage.objects.create(
                    received_at=now, peer=peer[:64], sending_application=message.sending_application,
                    sending_facility=message.sending_facility, control_id=message.control_id,
                    message_type=message.message_type, event=message.event, raw=text, outcome=Outcome.REFUSED,
                    ack_code="AR", ack="",
                )
        except IntegrityError:
            row = None  # the same message id was received before (or is being, on another connection)
        if row is not None:
            _settle(row, message, now)
    if row is None:
        return _repeat(message.sending_application, message.sending_facility, message.control_id)
    logger.info("hl7 message %s %s: %s", row.pk, row.message_type, row.outcome)
    return row.ack


def _stored_text(raw):
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw).decode("utf-8", "replace")
    return raw.replace("\x00", "\ufffd").replace("\r", "\n")


def _repeat(application, facility, control_id):
    """A message id seen before: count the repeat, answer as the first time."""
    first = HospitalMessage.objects.get(sending_application=application, sending_facility=facility, control_id=control_id)
    HospitalMessage.objects.filter(pk=first.pk).update(repeats=F("repeats") + 1)
    logger.info("hl7 message %s repeated: the same acknowledgement again", first.pk)
    return first.ack


def _refuse_unread(refused, text, peer, now):
    """A message `adt.read` refused: kept with its reason (once per message id when it has one)."""
    header = adt.sender_of(refused.message)
    ack = adt.acknowledgement("AR", message=refused.message, text=refused.reason, error=refused.code)
    try:
        with transaction.atomic():
            row = HospitalMessage.objects.create(
                received_at=now, peer=peer[:64], raw=text, outcome=Outcome.REFUSED, ack_code="AR",
                reason=refused.reason[:300], ack=ack, **header,
            )
    except IntegrityError:
        return _repeat(header["sending_application"], header["sending_facility"], header["control_id"])
    logger.info("hl7 message %s refused", row.pk)
    return ack


def _settle(row, message, now):
    """Apply the message (in a savepoint: a refusal found on the way undoes everything it did) and
    record the outcome and the ACK on its row."""
    code, outcome, reason, detail, error = "AA", Outcome.APPLIED, "", "", None
    row.patient, clinics = None, []
    try:
        with transaction.atomic():
            outcome, detail, clinics = _apply(row, message, now)
    except adt.Refused as refused:
        # Nothing it did is kept; the row still names the patient it was about, for the leads.
        code, outcome, reason, error = "AR", Outcome.REFUSED, refused.reason, refused.code
        clinics = [row.patient.clinic] if row.patient else []
    except NotApplied as problem:
        code, outcome, reason, clinics = "AE", Outcome.NOT_APPLIED, problem.reason, problem.clinics
        row.patient = problem.patient
        error = adt.UNKNOWN_KEY if problem.patient is None else adt.MESSAGE_REJECTED
        if problem.notice:
            _notice(problem.patient, *problem.notice, row)
    row.outcome, row.ack_code, row.reason, row.detail = outcome, code, reason[:300], detail[:300]
    row.ack = adt.acknowledgement(code, message=message.message, text=reason or detail, error=error)
    row.save(update_fields=["outcome", "ack_code", "reason", "detail", "patient", "ack"])
    row.clinics.set({clinic.pk for clinic in clinics})


# --- Matching ------------------------------------------------------------------------------------


def match(identifiers):
    """The patients PID-3 names: by MRN within the clinics whose assigning authority it carries, or,
    for an MRN sent without an authority, in any clinic (then it must be the only one)."""
    with_authority = list(Clinic.objects.exclude(hl7_assigning_authority=""))
    patients, clinics = {}, {}
    for identifier in identifiers:
        found = Patient.objects.filter(mrn=identifier.mrn).select_related("clinic")
        if identifier.authority or identifier.authority_id:
            named = [clinic for clinic in with_authority if identifier.is_of(clinic.hl7_assigning_authority)]
            clinics.update((clinic.pk, clinic) for clinic in named)
            found = found.filter(clinic__in=named) if named else []
        for patient in found:
            patients[patient.pk] = patient
            clinics[patient.clinic_id] = patient.clinic
    return Match(list(patients.values()), list(clinics.values()))


def _the_patient(identifiers, what="PID-3"):
    found = match(identifiers)
    if not found.patients:
        raise NotApplied(f"No patient in Followup has the MRN in {what}.", found.clinics)
    if len(found.patients) > 1:
        raise NotApplied(f"The MRN in {what} matches patients of more than one clinic: "
                         "send the assigning authority (PID-3.4).", found.clinics)
    return found.patients[0]


# --- Events --------------------------------------------------------------------------------------


def _apply(row, message, now):
    """(outcome, what was done, clinics whose leads see it) for a readable message; sets row.patient.
    Raises NotApplied or adt.Refused."""
    if message.event not in adt.EVENTS:
        return Outcome.IGNORED, f"Event {message.event or '(none)'} is not used by Followup.", []
    if message.event == "A40":
        return _merge(row, message, now)
    patient = row.patient = _the_patient(message.identifiers)
    done = []
    if message.event == "A08":
        done += _update_demographics(patient, message, row, now)
    if message.died:
        done += _death(patient, message, row, now)
    elif message.event == "A01":
        done += _admission(patient, row, now)
    elif message.event == "A03":
        done += _discharge(patient, row, now)
    if not done:
        return Outcome.APPLIED, "Nothing to change.", [patient.clinic]
    detail = " ".join(done)
    _audit(row, patient, detail)
    return Outcome.APPLIED, detail, [patient.clinic]


def _note(row):
    sender = row.sending_facility or row.sending_application or "the hospital"
    return f"Hospital record: {row.message_type} from {sender} (message {row.control_id})."


def _death(patient, message, row, now):
    if not message.died_at_text:
        if patient.status == Patient.Status.DECEASED:
            return []
        raise NotApplied("PID-30 is Y but PID-29 gives no time of death: a nurse is asked to record it.",
                         [patient.clinic], patient, notice=(Kind.DEATH_WITHOUT_TIME, "The hospital reports this patient "
                                                            "has died but sent no time of death: check and record it."))
    died_at = message.died_at(zoneinfo.ZoneInfo(patient.clinic.time_zone))
    if died_at > now + CLOCK_TOLERANCE:
        raise adt.Refused("PID-29 (date/time of death) is in the future.", adt.DATA_TYPE_ERROR)
    if patient.status == Patient.Status.DECEASED:
        return ["Already recorded as deceased."]
    # A01 and A03 come from the ward the patient died on; an A08 does not say where.
    place = Death.Place.OTHER if message.event == "A08" else Death.Place.HOSPITAL
    record_death(patient, died_at=died_at, place=place, note=_note(row))
    HospitalNotice.objects.filter(patient=patient, closed_at__isnull=True).update(
        closed_at=now, outcome=HospitalNotice.Outcome.CLOSED)
    return [f"Death recorded (hospital record) at {died_at.isoformat(timespec='minutes')}: all messages stopped."]


def _admission(patient, row, now):
    # Back in hospital before a nurse answered "back home?": that question no longer stands.
    HospitalNotice.objects.filter(patient=patient, kind=Kind.BACK_HOME, closed_at__isnull=True).update(
        closed_at=now, outcome=HospitalNotice.Outcome.SUPERSEDED)
    if patient.status != Patient.Status.ACTIVE:
        return [f"Admitted while {patient.get_status_display().lower()}: status unchanged."]
    review_on = pause_for_admission(patient, note=_note(row))
    return [f"Paused: hospital admission, review on {review_on.isoformat()}."]


def _discharge(patient, row, now):
    if patient.status != Patient.Status.PAUSED:
        return []
    _notice(patient, Kind.BACK_HOME, "Discharged from hospital: back home? Resume the care plan when confirmed.", row)
    return ["Discharged from hospital: \"back home? resume\" put on the worklist."]


def _update_demographics(patient, message, row, now):
    """Name and date of birth as the hospital has them (the old values stay in the patient's history);
    a new phone number only as a notice: consent belongs to a number, a nurse confirms it."""
    done = []
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    names = {"family_name": "family name", "given_name": "given name", "date_of_birth": "date of birth"}
    changed = [name for name in names if getattr(message, name) and getattr(message, name) != getattr(patient, name)]
    if changed:
        for name in changed:
            setattr(patient, name, getattr(message, name))
        patient._change_reason = _note(row)[:100]  # django-simple-history keeps the old values with this reason
        patient.save(update_fields=changed)
        done.append(f"Updated {', '.join(names[name] for name in changed)} (history kept).")
    if message.mobile and message.mobile != str(patient.mobile or "") and patient.status in (
            Patient.Status.ACTIVE, Patient.Status.PAUSED):
        if _notice(patient, Kind.PHONE_TO_CONFIRM, "The hospital has a new phone number: confirm it with the "
                   "patient before it is used for texts.", row, new_mobile=message.mobile):
            done.append("New phone number put on the worklist for a nurse to confirm.")
    return done


def _merge(row, message, now):
    surviving = match(message.identifiers)
    merged_away = match(message.prior_identifiers)
    for found, what in ((surviving, "PID-3"), (merged_away, "MRG-1")):
        if len(found.patients) > 1:
            raise NotApplied(f"The MRN in {what} matches patients of more than one clinic: send the assigning "
                             "authority.", surviving.clinics + merged_away.clinics)
    if not surviving.patients and not merged_away.patients:
        raise NotApplied("No patient in Followup has the MRN in PID-3 or in MRG-1.",
                         surviving.clinics + merged_away.clinics)
    first = surviving.patients[0] if surviving.patients else None
    second = merged_away.patients[0] if merged_away.patients else None
    clinics = list({patient.clinic_id: patient.clinic for patient in (first, second) if patient}.values())
    row.patient = first or second
    if first is not None and first == second:
        return Outcome.APPLIED, "Both identifiers are already the same Followup patient: nothing to merge.", clinics
    flagged = []
    for patient, other in ((first, second), (second, first)):
        if patient is None:
            continue
        text = ("The hospital merged this patient's record with another one"
                + (f" that Followup also has (MRN {other.mrn})" if other else " that Followup does not have")
                + ": check both records; Followup merges nothing by itself.")
        _notice(patient, Kind.MERGED_RECORDS, text, row, other_patient=other)
        _audit(row, patient, "Hospital merged records: flagged for a nurse.")
        flagged.append(patient)
    return Outcome.APPLIED, f"Flagged {len(flagged)} patient(s) for a nurse: no automatic merge.", clinics


# --- What is left for a nurse, and the audit log ---------------------------------------------------


def _notice(patient, kind, detail, row, *, new_mobile="", other_patient=None):
    """Put a notice on the worklist unless the same one is already open. True if one was added.
    A new phone number replaces an open notice of an older one."""
    open_ones = HospitalNotice.objects.filter(patient=patient, kind=kind, closed_at__isnull=True)
    if kind == Kind.PHONE_TO_CONFIRM:
        if open_ones.filter(new_mobile=new_mobile).exists():
            return False
        open_ones.update(closed_at=row.received_at, outcome=HospitalNotice.Outcome.SUPERSEDED)
    elif kind == Kind.MERGED_RECORDS:
        if open_ones.filter(other_patient=other_patient).exists():
            return False
    elif open_ones.exists():
        return False
    HospitalNotice.objects.create(patient=patient, kind=kind, message=row, created_at=row.received_at, detail=detail,
                                  new_mobile=new_mobile, other_patient=other_patient)
    return True


def _audit(row, patient, detail):
    """An applied event in the audit log, as the hospital's doing (no staff member)."""
    AccessLog.objects.create(
        at=row.received_at, user=None, username=f"hospital: {row.sending_facility or row.sending_application}"[:150],
        clinic_id=patient.clinic_id, patient_id=patient.pk, action=AccessLog.Action.CHANGE,
        what=f"HL7 {row.message_type}: {detail}"[:200], method="HL7", path=f"MSH-10 {row.control_id}"[:300],
        ip=_address(row.peer),
    )


def _address(peer):
    try:
        return str(ipaddress.ip_address(peer))
    except ValueError:
        return None


# --- The care-plan changes (the one place that calls the services) -------------------------------


def pause_for_admission(patient, *, note):
    """Pause for a hospital admission, reviewed after the clinic's `admission_review_days`."""
    try:
        return services.pause(patient, reason=Pause.Reason.HOSPITAL_ADMISSION, note=note).review_on
    except ValidationError as error:
        raise adt.Refused(_first_message(error)) from None


def record_death(patient, *, died_at, place, note):
    """The hospital's record of a death: everything stops at once, and the bereavement plan starts."""
    try:
        services.record_death(patient, died_at=died_at, place=place, source=Death.Source.HOSPITAL_RECORD, note=note)
    except ValidationError as error:
        raise adt.Refused(_first_message(error)) from None


def _first_message(error):
    return next(iter(error.messages), "The change was refused.")
