"""FHIR R4 JSON for Followup's objects: plain dicts, one builder per resource type.

Ids: a resource's id is the database id of the object it comes from (as a string), the same id the
REST API shows. Two kinds of Observation have no table of their own and get a composite id: the
volume of drainage 12 is `procedure-12-volume`, the pain score of report 7 is `symptom-report-7-pain`.

Codes: FHIR's own code systems, UCUM, and LOINC or SNOMED CT where a verified code fits (see
terminology.py); Followup's own code systems beside them, and alone where no standard code fits.

People and places: the clinic is an Organization, staff are Practitioners, each referenced by id.
"""

from datetime import UTC, timedelta


from ..languages import in_source_language as english
from ..calendar.feeds import slot_length
from ..models import ESAS_ITEMS, Kind, Occurrence, Patient, Reminder
from . import terminology
from .terminology import clinic_of_mrn_system, code_system, esas_code, mrn_system  # noqa: F401 (the builders' vocabulary)

V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"

LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}
APPOINTMENT_STATUS = {
    Occurrence.State.SCHEDULED: "booked",
    Occurrence.State.DONE: "fulfilled",
    Occurrence.State.MISSED: "noshow",
    Occurrence.State.SKIPPED: "cancelled",
    Occurrence.State.CANCELLED: "cancelled",
}
# Reminders a provider was asked to send become Communications; planned, queued, expired, skipped and
# cancelled ones never went out and have none.
COMMUNICATION_STATUS = {
    Reminder.State.SENDING: "in-progress",
    Reminder.State.SENT: "completed",
    Reminder.State.DELIVERED: "completed",
    Reminder.State.FAILED: "not-done",
    Reminder.State.UNKNOWN: "unknown",
}
MEDIUM = {"sms": ("SMSWRIT", "SMS message"), "email": ("EMAILWRIT", "email")}
PERIOD_UNIT = {"days": "d", "weeks": "wk", "months": "mo"}
PROCEDURE_TEXT = {Kind.PARACENTESIS: "Abdominal paracentesis (ascites drainage)", Kind.CHECKIN: "Check-in call", Kind.OTHER: "Other"}


def base_url():
    return terminology.fhir_base()


def instant(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def reference(resource_type, pk, display=None):
    found = {"reference": f"{resource_type}/{pk}"}
    if display:
        found["display"] = display
    return found


def kind_codings(kind):
    """The local care-kind coding, and the SNOMED CT one where it has one."""
    codings = [{"system": code_system("care-kind"), "code": kind, "display": english(Kind(kind).label)}]
    if kind in terminology.SNOMED_FOR_KIND:
        codings.append(dict(terminology.SNOMED_FOR_KIND[kind]))
    return codings


def kind_concept(kind):
    return {"coding": kind_codings(kind), "text": english(Kind(kind).label)}


def staff_name(user):
    return user.get_full_name() or user.username


def staff_display(user):
    return {"display": staff_name(user)}


def staff_reference(user):
    return reference("Practitioner", user.pk, staff_name(user))


def _language(code):
    name = LANGUAGE_NAMES.get(code, code)
    return {"language": {"coding": [{"system": BCP47, "code": code, "display": name}], "text": name}, "preferred": True}


def telecom(contact):
    """Phone and e-mail, the preferred reminder channel ranked first (rank 1)."""
    points = []
    if contact.mobile:
        points.append({"system": "phone", "value": str(contact.mobile), "use": "mobile"})
    if contact.email:
        points.append({"system": "email", "value": contact.email, "use": "home"})
    preferred = {"sms": "phone", "email": "email"}.get(contact.preferred_channel)
    if preferred and any(point["system"] == preferred for point in points):
        points.sort(key=lambda point: point["system"] != preferred)
        for rank, point in enumerate(points, start=1):
            point["rank"] = rank
    return points


# --- People -------------------------------------------------------------------------------------


def patient_resource(patient):
    resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [{
            "use": "usual",
            "type": {"coding": [{"system": V2_IDENTIFIER_TYPE, "code": "MR", "display": "Medical record number"}]},
            "system": mrn_system(patient.clinic_id),
            "value": patient.mrn,
        }],
        # Discharged and deceased patients' records are no longer in use here; a paused one still is.
        "active": patient.status in (Patient.Status.ACTIVE, Patient.Status.PAUSED),
        "name": [{"use": "official", "text": patient.full_name, "family": patient.family_name, "given": [patient.given_name]}],
        "telecom": telecom(patient),
        "communication": [_language(patient.language)],
        "managingOrganization": reference("Organization", patient.clinic_id, patient.clinic.name),
    }
    if patient.nurse_id:
        resource["generalPractitioner"] = [reference("Practitioner", patient.nurse_id)]
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    if patient.status == Patient.Status.DECEASED:
        resource["deceasedDateTime"] = instant(patient.status_changed_at)
    if not resource["telecom"]:
        del resource["telecom"]
    return resource


def related_person_resource(caregiver):
    resource = {
        "resourceType": "RelatedPerson",
        "id": str(caregiver.pk),
        "active": True,
        "patient": reference("Patient", caregiver.patient_id),
        "name": [{"text": caregiver.name}],
        "telecom": telecom(caregiver),
        "communication": [_language(caregiver.language)],
    }
    if caregiver.relationship:
        resource["relationship"] = [{"text": caregiver.relationship}]
    if not resource["telecom"]:
        del resource["telecom"]
    return resource


# --- Care plans and appointments ----------------------------------------------------------------


def care_plan_resource(schedule):
    patient = schedule.patient
    if not schedule.active:
        status, activity_status = "completed", "completed"
    elif patient.status == Patient.Status.PAUSED:
        status, activity_status = "on-hold", "on-hold"
    else:
        status, activity_status = "active", "scheduled"
    interval = schedule.interval
    return {
        "resourceType": "CarePlan",
        "id": str(schedule.pk),
        "status": status,
        "intent": "plan",
        "title": f"{english(Kind(schedule.kind).label)} every {interval}",
        "subject": reference("Patient", patient.pk),
        "activity": [{
            "detail": {
                "kind": "Appointment",
                "code": kind_concept(schedule.kind),
                "status": activity_status,
                "scheduledTiming": {"repeat": {"frequency": 1, "period": interval.count, "periodUnit": PERIOD_UNIT[interval.unit]}},
                "description": ("Due one interval after the last one done." if schedule.follows_last_event
                                else "Due at a fixed interval."),
            },
        }],
    }


def appointment_resource(occurrence):
    length = slot_length(occurrence.kind)
    resource = {
        "resourceType": "Appointment",
        "id": str(occurrence.pk),
        "status": APPOINTMENT_STATUS[occurrence.state],
        "serviceType": [kind_concept(occurrence.kind)],
        "description": english(Kind(occurrence.kind).label),
        "start": instant(occurrence.due_at),
        "end": instant(occurrence.due_at + length),
        "minutesDuration": int(length.total_seconds() // 60),
        "supportingInformation": [reference("CarePlan", occurrence.schedule_id)],
        "participant": [{"actor": reference("Patient", occurrence.patient_id), "required": "required", "status": "accepted"}],
    }
    if occurrence.state == Occurrence.State.SKIPPED:
        resource["cancelationReason"] = {"text": "Skipped"}
    elif occurrence.state == Occurrence.State.CANCELLED:
        resource["cancelationReason"] = {"text": "Cancelled"}
    return resource


# --- Procedures and their volume ----------------------------------------------------------------


def procedure_resource(procedure):
    resource = {
        "resourceType": "Procedure",
        "id": str(procedure.pk),
        "status": "completed",
        "code": {"coding": kind_codings(procedure.kind), "text": PROCEDURE_TEXT.get(procedure.kind, english(Kind(procedure.kind).label))},
        "subject": reference("Patient", procedure.patient_id),
    }
    if procedure.occurrence_id and procedure.occurrence:
        resource["basedOn"] = [reference("CarePlan", procedure.occurrence.schedule_id)]
    if procedure.duration_minutes:
        resource["performedPeriod"] = {"start": instant(procedure.performed_at),
                                       "end": instant(procedure.performed_at + timedelta(minutes=procedure.duration_minutes))}
    else:
        resource["performedDateTime"] = instant(procedure.performed_at)
    if procedure.performed_by:
        resource["performer"] = [{"actor": staff_reference(procedure.performed_by)}]
    if procedure.complications.strip():
        resource["complication"] = [{"text": procedure.complications.strip()}]
    return resource


def volume_observation_id(procedure_pk):
    return f"procedure-{procedure_pk}-volume"


def volume_observation(procedure):
    """The volume drained, an Observation that is `partOf` its Procedure (Procedure.report may only
    point to reports and documents in R4, so the link goes from the Observation to the Procedure)."""
    return {
        "resourceType": "Observation",
        "id": volume_observation_id(procedure.pk),
        "status": "final",
        "partOf": [reference("Procedure", procedure.pk)],
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "procedure", "display": "Procedure"}]}],
        "code": {"coding": [{"system": code_system("observation"), "code": "drained-volume",
                             "display": "Volume of fluid drained"}], "text": "Volume drained"},
        "subject": reference("Patient", procedure.patient_id),
        "effectiveDateTime": instant(procedure.performed_at),
        "valueQuantity": {"value": procedure.volume_ml, "unit": "mL", "system": UCUM, "code": "mL"},
    }


# --- Symptom reports ----------------------------------------------------------------------------

ESAS_LABELS = dict(ESAS_ITEMS)


def severity_band(score):
    """ESAS-r bands in common use (Selby 2010): 0 none, 1-3 mild, 4-6 moderate, 7-10 severe."""
    if score == 0:
        return "none"
    if score <= 3:
        return "mild"
    return "moderate" if score <= 6 else "severe"


def _esas_text(report, item):
    if item == "other_problem" and report.other_problem_name:
        return f"Other problem: {report.other_problem_name}"
    return ESAS_LABELS[item]


def questionnaire_response_resource(report):
    items = [
        {"linkId": esas_code(item), "text": _esas_text(report, item), "answer": [{"valueInteger": score}]}
        for item, score in report.scores().items() if score is not None
    ]
    if report.other_problem_name:
        items.append({"linkId": "other-problem-name", "text": "Other problem (named)",
                      "answer": [{"valueString": report.other_problem_name}]})
    if report.pps is not None:
        items.append({"linkId": "pps", "text": "Palliative Performance Scale (%)", "answer": [{"valueInteger": report.pps}]})
    if report.phase:
        items.append({"linkId": "pcoc-phase", "text": "PCOC phase", "answer": [{"valueCoding": {
            "system": code_system("pcoc-phase"), "code": report.phase, "display": english(Patient.Phase(report.phase).label)}}]})
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(report.pk),
        "questionnaire": terminology.questionnaire_url(),
        "status": "completed",
        "subject": reference("Patient", report.patient_id),
        "authored": instant(report.reported_at),
        "source": (reference("Patient", report.patient_id) if report.completed_by == "patient"
                   else {"display": english(report.get_completed_by_display())}),
        "item": items,
    }
    if report.recorded_by:
        resource["author"] = staff_reference(report.recorded_by)
    return resource


def esas_observation_id(report_pk, item):
    return f"symptom-report-{report_pk}-{esas_code(item)}"


def esas_observations_by_item(report):
    """(item, Observation) for each scored ESAS-r item, derived from the report's QuestionnaireResponse."""
    return [
        (item, {
            "resourceType": "Observation",
            "id": esas_observation_id(report.pk, item),
            "status": "final",
            "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
            "code": {"coding": [{"system": code_system("esas-r"), "code": esas_code(item), "display": ESAS_LABELS[item]}],
                     "text": _esas_text(report, item)},
            "subject": reference("Patient", report.patient_id),
            "effectiveDateTime": instant(report.reported_at),
            "valueInteger": score,
            "interpretation": [{"coding": [{"system": code_system("esas-r-severity"), "code": severity_band(score)}],
                                "text": severity_band(score)}],
            "derivedFrom": [reference("QuestionnaireResponse", report.pk)],
        })
        for item, score in report.scores().items() if score is not None
    ]


def esas_panel_observation_id(report_pk):
    return f"symptom-report-{report_pk}-panel"


def esas_panel_observation(report):
    """The whole report as one Observation coded with the LOINC ESAS panel, one component per scored
    item (the form another system may also send it in)."""
    return {
        "resourceType": "Observation",
        "id": esas_panel_observation_id(report.pk),
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": {"coding": [dict(terminology.ESAS_PANEL)], "text": "ESAS-r"},
        "subject": reference("Patient", report.patient_id),
        "effectiveDateTime": instant(report.reported_at),
        "derivedFrom": [reference("QuestionnaireResponse", report.pk)],
        "component": [
            {"code": {"coding": [{"system": code_system("esas-r"), "code": esas_code(item), "display": ESAS_LABELS[item]}],
                      "text": _esas_text(report, item)},
             "valueInteger": score,
             "interpretation": [{"coding": [{"system": code_system("esas-r-severity"), "code": severity_band(score)}],
                                 "text": severity_band(score)}]}
            for item, score in report.scores().items() if score is not None
        ],
    }


def esas_observations(report):
    """One Observation per scored ESAS-r item."""
    return [observation for _, observation in esas_observations_by_item(report)]


def observation_codes():
    """{(system, code): what it names}: "volume", "panel" or an ESAS-r item, for every coding an Observation carries."""
    codes = {(code_system("observation"), "drained-volume"): "volume",
             (terminology.ESAS_PANEL["system"], terminology.ESAS_PANEL["code"]): "panel"}
    codes.update({(code_system("esas-r"), esas_code(item)): item for item in ESAS_LABELS})
    return codes


# --- Reminders sent -----------------------------------------------------------------------------


def communication_resource(reminder):
    """A reminder that went (or may have gone) out: who, how, when. Never the text of the message."""
    code, display = MEDIUM[reminder.channel]
    recipient = (reference("RelatedPerson", reminder.caregiver_id) if reminder.caregiver_id
                 else reference("Patient", reminder.patient_id))
    resource = {
        "resourceType": "Communication",
        "id": str(reminder.pk),
        "status": COMMUNICATION_STATUS[reminder.state],
        "category": [{"coding": [{"system": code_system("reminder-purpose"), "code": reminder.purpose,
                                  "display": english(reminder.get_purpose_display())}], "text": "Appointment reminder"}],
        "medium": [{"coding": [{"system": PARTICIPATION_MODE, "code": code, "display": display}]}],
        "subject": reference("Patient", reminder.patient_id),
        "about": [reference("Appointment", reminder.occurrence_id)],
        "recipient": [recipient],
    }
    if reminder.sent_at:
        resource["sent"] = instant(reminder.sent_at)
    if reminder.state in (Reminder.State.FAILED, Reminder.State.UNKNOWN) and reminder.reason:
        resource["statusReason"] = {"text": reminder.reason}
    return resource


# --- The clinic and its staff -------------------------------------------------------------------


def organization_resource(clinic):
    return {
        "resourceType": "Organization",
        "id": str(clinic.pk),
        "active": True,
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "prov",
                              "display": "Healthcare Provider"}]}],
        "name": clinic.name,
        "telecom": [{"system": "phone", "value": str(clinic.phone), "use": "work"}],
    }


def practitioner_resource(user):
    """A member of staff: their name, nothing of how to reach them at home."""
    name = {"text": staff_name(user)}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    return {"resourceType": "Practitioner", "id": str(user.pk), "active": user.is_active, "name": [name]}

