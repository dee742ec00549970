"""FHIR writes, through the same rules as the pages and the REST API.

Each write turns the FHIR resource into the REST API's input, validates it with the same serializer
(so an MRN taken, a birth date in the future or another clinic's patient is refused the same way), and
calls the same service function (`services.enrol`, `change_status`, `reschedule`, `skip`,
`record_symptom_report`). Errors name the FHIR element they concern: an OperationOutcome issue's
`expression` is `Patient.birthDate`, not `date_of_birth`.

A symptom report from another system comes as a QuestionnaireResponse or as Observations (one ESAS-r
item, or the LOINC ESAS panel with one component per item); either is one report, stored with the
source "another system" and run through the alert rules. It is never taken for a nurse's own call:
its alert stays open for the team (and pages the on-call contacts out of hours when severe).
"""

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import exceptions, serializers as drf

from .. import access, services
from ..api import serializers as api
from ..api.errors import field_messages, parse_id
from ..models import ESAS_FIELDS, ESAS_ITEMS, Occurrence, Patient, SymptomReport
from . import resources, terminology

# REST API field -> FHIR element, for error messages.
PATIENT_PATHS = {
    "clinic": "Patient.managingOrganization", "mrn": "Patient.identifier", "given_name": "Patient.name.given",
    "family_name": "Patient.name.family", "date_of_birth": "Patient.birthDate", "nurse": "Patient.generalPractitioner",
    "mobile": "Patient.telecom", "email": "Patient.telecom", "preferred_channel": "Patient.telecom.rank",
    "language": "Patient.communication", "status": "Patient.deceasedDateTime", "at": "Patient.deceasedDateTime",
    "time_zone": "Patient.extension",
}
REPORT_PATHS = {"patient": "QuestionnaireResponse.subject", "reported_at": "QuestionnaireResponse.authored",
                "pps": "QuestionnaireResponse.item.where(linkId='pps')", "phase": "QuestionnaireResponse.item.where(linkId='pcoc-phase')",
                "other_problem_name": "QuestionnaireResponse.item.where(linkId='other-problem-name')",
                "completed_by": "QuestionnaireResponse.source", "non_field_errors": "QuestionnaireResponse.item"}
REPORT_PATHS.update({name: f"QuestionnaireResponse.item.where(linkId='{terminology.esas_code(name)}')" for name in ESAS_FIELDS})
APPOINTMENT_PATHS = {"due_at": "Appointment.start", "non_field_errors": "Appointment.status"}


class Invalid(exceptions.ValidationError):
    """A 400 whose issues name FHIR elements: {expression: [messages]}."""

    def __init__(self, issues):
        super().__init__(issues)
        self.issues = issues


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_detail = "The resource changed since the version you hold (If-Match)."
    default_code = "conflict"


def _issues(messages, paths, resource_type):
    return {paths.get(field, f"{resource_type}.{field}" if field != "non_field_errors" else resource_type): list(texts)
            for field, texts in messages.items()}


def _validated(serializer_class, data, request, paths, resource_type, instance=None):
    serializer = serializer_class(instance, data=data, partial=instance is not None, context={"request": request})
    if not serializer.is_valid():
        raise Invalid(_issues({key: [str(text) for text in value] if isinstance(value, list) else [str(value)]
                               for key, value in serializer.errors.items()}, paths, resource_type))
    return serializer.validated_data


def _service_errors(paths, resource_type):
    """Turn a service's ValidationError into FHIR-named issues."""
    class Catch:
        def __enter__(self):
            return self

        def __exit__(self, kind, error, traceback):
            if isinstance(error, DjangoValidationError):
                raise Invalid(_issues(field_messages(error), paths, resource_type)) from None
            return False
    return Catch()


def _require_type(resource, expected):
    if not isinstance(resource, dict) or resource.get("resourceType") != expected:
        raise Invalid({expected: [f"Send a {expected} resource (resourceType {expected!r})."]})


def reference_id(value, resource_type, path):
    """The id in `{"reference": "<Type>/<id>"}` (or a bare id), or a 400 naming `path`."""
    text = value.get("reference", "") if isinstance(value, dict) else ""
    prefix = f"{resource_type}/"
    pk = parse_id(text.removeprefix(prefix)) if text.startswith(prefix) else None
    if pk is None:
        raise Invalid({path: [f"Give a reference to a {resource_type}: {{\"reference\": \"{resource_type}/<id>\"}}."]})
    return pk


# --- Patient ----------------------------------------------------------------------------------------


def _mrn_identifier(resource):
    """(clinic id named by the system or None, MRN) from the first identifier we recognise."""
    for identifier in resource.get("identifier") or []:
        if not isinstance(identifier, dict) or not identifier.get("value"):
            continue
        system = identifier.get("system", "")
        clinic_id = terminology.clinic_of_mrn_system(system) if system else None
        if clinic_id is not None or not system:
            return clinic_id, str(identifier["value"])
    raise Invalid({"Patient.identifier": ["Give the MRN as an identifier, with the clinic's MRN system "
                                          "(see the Patient resources this server returns)."]})


def _clinic_for(resource, request, from_identifier):
    named = None
    if resource.get("managingOrganization"):
        named = reference_id(resource["managingOrganization"], "Organization", "Patient.managingOrganization")
    clinic_id = named or from_identifier
    clinics = access.clinics_for(request.user)
    if clinic_id is None:
        ids = list(clinics.values_list("pk", flat=True))
        if len(ids) != 1:
            raise Invalid({"Patient.managingOrganization": ["You belong to several clinics: name the clinic "
                                                            "(managingOrganization: {\"reference\": \"Organization/<id>\"})."]})
        return ids[0]
    if from_identifier is not None and named is not None and from_identifier != named:
        raise Invalid({"Patient.identifier": ["The MRN's system belongs to another clinic than managingOrganization."]})
    return clinic_id


def _telecom(resource):
    phones = [point for point in resource.get("telecom") or [] if isinstance(point, dict) and point.get("system") == "phone"]
    emails = [point for point in resource.get("telecom") or [] if isinstance(point, dict) and point.get("system") == "email"]
    fields = {"mobile": phones[0].get("value", "") if phones else "", "email": emails[0].get("value", "") if emails else ""}
    ranked = sorted((point for point in phones + emails if isinstance(point.get("rank"), int)), key=lambda point: point["rank"])
    first = ranked[0]["system"] if ranked else ("phone" if phones else "email" if emails else None)
    fields["preferred_channel"] = {"phone": "sms", "email": "email"}.get(first, "none")
    return fields


def _demographics(resource):
    fields = {}
    names = resource.get("name") or []
    if names:
        name = names[0] if isinstance(names[0], dict) else {}
        given = name.get("given") or []
        fields["given_name"] = " ".join(given) if isinstance(given, list) else str(given)
        fields["family_name"] = name.get("family", "")
    fields["date_of_birth"] = resource.get("birthDate")
    if resource.get("generalPractitioner"):
        fields["nurse"] = reference_id(resource["generalPractitioner"][0], "Practitioner", "Patient.generalPractitioner")
    return fields


def _language(resource):
    for communication in resource.get("communication") or []:
        for coding in ((communication or {}).get("language") or {}).get("coding") or []:
            if coding.get("system") == terminology_bcp47() and coding.get("code"):
                return coding["code"].split("-")[0]
    return None


def terminology_bcp47():
    return "urn:ietf:bcp:47"


def create_patient(request, resource):
    """Register and enrol a patient (first drainage and check-in planned), as the patient page does."""
    _require_type(resource, "Patient")
    if resource.get("deceasedDateTime") or resource.get("deceasedBoolean"):
        raise Invalid({"Patient.deceasedDateTime": ["A patient cannot be enrolled as deceased."]})
    clinic_from_identifier, mrn = _mrn_identifier(resource)
    data = {"clinic": _clinic_for(resource, request, clinic_from_identifier), "mrn": mrn, **_demographics(resource),
            **_telecom(resource)}
    if language := _language(resource):
        data["language"] = language
    data = {key: value for key, value in data.items() if value is not None}
    validated = dict(_validated(api.PatientSerializer, data, request, PATIENT_PATHS, "Patient"))
    interval = validated.pop("paracentesis_interval", None)
    first_due = validated.pop("first_drainage_due", None)
    patient = Patient(**validated)
    with _service_errors(PATIENT_PATHS, "Patient"):
        patient.full_clean()
        try:
            with transaction.atomic():
                patient.save()
                services.enrol(patient, paracentesis_interval=interval, first_drainage_due=first_due)
        except IntegrityError:
            raise Invalid({"Patient.identifier": ["A patient with this MRN is already in this clinic."]}) from None
    return access.get_patient(request.user, patient.pk)


def update_patient(request, patient, resource):
    """Correct the name, birth date or nurse; record a death given as deceasedDateTime. Contact details,
    consent and channel decide where reminders go and change on the patient's page, as in the REST API."""
    _require_type(resource, "Patient")
    if resource.get("id") not in (None, str(patient.pk)):
        raise Invalid({"Patient.id": [f"The resource's id ({resource.get('id')}) is not the one in the URL ({patient.pk})."]})
    data = {key: value for key, value in _demographics(resource).items() if value is not None}
    validated = _validated(api.PatientChangeSerializer, data, request, PATIENT_PATHS, "Patient", instance=patient)
    deceased = resource.get("deceasedDateTime")
    with _service_errors(PATIENT_PATHS, "Patient"), transaction.atomic():
        changed = [name for name, value in validated.items() if getattr(patient, name) != value]
        for name in changed:
            setattr(patient, name, validated[name])
        if changed:
            patient.full_clean()
            patient.save(update_fields=changed)
        if deceased and patient.status != Patient.Status.DECEASED:
            moment = drf.DateTimeField().to_internal_value(deceased) if isinstance(deceased, str) else None
            if not isinstance(moment, datetime):
                raise Invalid({"Patient.deceasedDateTime": ["Give the time of death as a dateTime with its zone."]})
            record_death(patient, moment, request.user)
        elif not deceased and patient.status == Patient.Status.DECEASED:
            raise Invalid({"Patient.deceasedDateTime": ["A death once recorded cannot be undone here."]})
    return access.get_patient(request.user, patient.pk)


def record_death(patient, moment, by):
    """A death another system tells us of: its record is the source; FHIR's Patient carries no place."""
    return services.record_death(patient, died_at=moment, place="other", source="hospital_record", by=by,
                                 note="Recorded through FHIR.")


# --- Appointment --------------------------------------------------------------------------------


def update_appointment(request, occurrence, resource):
    """A new `start` reschedules; status `cancelled` skips it (the next is planned one interval on).
    Nothing else of an Appointment is set from outside."""
    _require_type(resource, "Appointment")
    status = resource.get("status")
    start = resource.get("start")
    with _service_errors(APPOINTMENT_PATHS, "Appointment"):
        current = _current_status(occurrence)
        if status == "cancelled" and current == "booked":
            services.skip(occurrence, by=request.user, note="Cancelled through FHIR.")
        elif status not in (None, current):
            raise Invalid({"Appointment.status": [f"A {current} appointment cannot be made {status!r} here: send a new start "
                                                  "to move a booked one, or status cancelled to skip it."]})
        elif start:
            moment = _datetime(start, "Appointment.start")
            if moment != occurrence.due_at:
                services.reschedule(occurrence, moment, by=request.user, note="Moved through FHIR.")
    return Occurrence.objects.get(pk=occurrence.pk)


def _current_status(occurrence):
    from .resources import APPOINTMENT_STATUS

    return APPOINTMENT_STATUS[occurrence.state]


def _datetime(text, path):
    try:
        moment = drf.DateTimeField().to_internal_value(text)
    except drf.ValidationError:
        moment = None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise Invalid({path: ["Give a dateTime with its time zone, e.g. 2026-03-25T13:00:00Z."]})
    return moment


# --- QuestionnaireResponse (a symptom report from another system) ------------------------------------

_ITEMS = {terminology.esas_code(name): name for name in ESAS_FIELDS}


def _answer(item):
    answers = item.get("answer") or []
    return answers[0] if answers and isinstance(answers[0], dict) else {}


def create_symptom_report(request, resource):
    """An ESAS-r report from another system: stored and run through the alert rules at once."""
    _require_type(resource, "QuestionnaireResponse")
    if resource.get("status", "completed") != "completed":
        raise Invalid({"QuestionnaireResponse.status": ["Only a completed questionnaire can be recorded."]})
    data = {"patient": reference_id(resource.get("subject"), "Patient", "QuestionnaireResponse.subject")}
    for item in resource.get("item") or []:
        link, answer = item.get("linkId"), _answer(item)
        if link in _ITEMS:
            data[_ITEMS[link]] = answer.get("valueInteger")
        elif link == "other-problem-name":
            data["other_problem_name"] = answer.get("valueString", "")
        elif link == "pps":
            data["pps"] = answer.get("valueInteger")
        elif link == "pcoc-phase":
            data["phase"] = (answer.get("valueCoding") or {}).get("code", "")
        else:
            raise Invalid({"QuestionnaireResponse.item": [f"Unknown item {link!r}: use the linkIds of Questionnaire/esas-r."]})
    if resource.get("authored"):
        data["reported_at"] = resource["authored"]
    data["completed_by"] = _completed_by(resource.get("source"))
    return _record_report(request, data, REPORT_PATHS, "QuestionnaireResponse")


def _completed_by(who):
    """Who completed the form, from the reference to them: the patient, a caregiver, else a professional."""
    text = (who or {}).get("reference", "") if isinstance(who, dict) else ""
    return "patient" if text.startswith("Patient/") else "caregiver" if text.startswith("RelatedPerson/") else "professional"


def _record_report(request, data, paths, resource_type):
    """Validate a symptom report from another system as the REST API does and record it."""
    data = {**data, "source": SymptomReport.Source.SYSTEM, "closes_checkin": False}
    validated = _validated(api.SymptomReportSerializer, data, request, paths, resource_type)
    with _service_errors(paths, resource_type):
        return services.record_symptom_report(
            validated["patient"], scores={name: validated.get(name) for name in ESAS_FIELDS},
            completed_by=validated["completed_by"], source=validated["source"], recorded_by=request.user,
            other_problem_name=validated.get("other_problem_name", ""), pps=validated.get("pps"),
            phase=validated.get("phase", ""), reported_at=validated.get("reported_at"), closes_checkin=False)


# --- Observation (a symptom report as scores) ------------------------------------------------------

OBSERVATION_PATHS = {"patient": "Observation.subject", "reported_at": "Observation.effectiveDateTime",
                     "completed_by": "Observation.performer"}


def _codings(concept):
    codings = concept.get("coding") if isinstance(concept, dict) else None
    return [coding for coding in codings if isinstance(coding, dict)] if isinstance(codings, list) else []


def _is_esas_panel(concept):
    panel = terminology.ESAS_PANEL
    return any(coding.get("system") == panel["system"] and coding.get("code") == panel["code"] for coding in _codings(concept))


def _esas_item(concept, path, panel_too=False):
    """The ESAS-r item a CodeableConcept names by Followup's esas-r code, or a 400 naming `path`."""
    system = terminology.code_system("esas-r")
    for coding in _codings(concept):
        if coding.get("system") == system and coding.get("code") in _ITEMS:
            return _ITEMS[coding["code"]]
    message = f"Code the score with {system} and an ESAS-r item ({', '.join(_ITEMS)})"
    if panel_too:
        panel = terminology.ESAS_PANEL
        message += f", or send the LOINC ESAS panel ({panel['system']}|{panel['code']}) with one component per item"
    raise Invalid({path: [message + "."]})


def _score(element, path):
    """A 0-10 score from valueInteger (or a whole-number valueQuantity); the range is the serializer's."""
    if "valueInteger" in element:
        value = element["valueInteger"]
    elif isinstance(element.get("valueQuantity"), dict):
        value = element["valueQuantity"].get("value")
    else:
        raise Invalid({f"{path}.value[x]": ["Give the score as valueInteger, a whole number from 0 to 10."]})
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid({f"{path}.valueInteger": ["The score is a whole number from 0 to 10."]})
    return value


def _named_problem(concept):
    """The other problem's name from the code's text: "Other problem: itching" (as served) or "Itching"."""
    text = str(concept.get("text") or "").strip()
    label = "other problem"
    if text.lower().startswith(label):
        text = text[len(label):].lstrip(" :").strip()
    return text


def create_observation(request, resource):
    """ESAS-r scores from another system: one item's Observation, or the ESAS panel with a component per
    item. Either is one symptom report, run through the alert rules like any other.
    Returns (report, the id of the Observation that now stands for what was sent)."""
    _require_type(resource, "Observation")
    if resource.get("status") != "final":
        raise Invalid({"Observation.status": ["Only a final observation can be recorded (status final)."]})
    data = {"patient": reference_id(resource.get("subject"), "Patient", "Observation.subject"),
            "completed_by": _completed_by((resource.get("performer") or [None])[0]
                                          if isinstance(resource.get("performer"), list) else None)}
    paths = dict(OBSERVATION_PATHS)
    effective = resource.get("effectiveDateTime") or resource.get("effectiveInstant")
    if effective:
        data["reported_at"] = effective
    if _is_esas_panel(resource.get("code")):
        components = resource.get("component")
        if not isinstance(components, list) or not components:
            raise Invalid({"Observation.component": ["A panel carries one component per ESAS-r item scored."]})
        for index, component in enumerate(components):
            path = f"Observation.component[{index}]"
            if not isinstance(component, dict):
                raise Invalid({path: ["Each component is an object with a code and a valueInteger."]})
            item = _esas_item(component.get("code"), f"{path}.code")
            if item in data:
                raise Invalid({f"{path}.code": [f"{dict(ESAS_ITEMS)[item]} is scored twice."]})
            data[item] = _score(component, path)
            paths[item] = f"{path}.valueInteger"
            if item == "other_problem":
                data["other_problem_name"] = _named_problem(component["code"])
                paths["other_problem_name"] = f"{path}.code.text"
        observation_id = resources.esas_panel_observation_id
    else:
        item = _esas_item(resource.get("code"), "Observation.code", panel_too=True)
        data[item] = _score(resource, "Observation")
        paths[item] = "Observation.valueInteger"
        if item == "other_problem":
            data["other_problem_name"] = _named_problem(resource["code"])
            paths["other_problem_name"] = "Observation.code.text"
        observation_id = lambda pk: resources.esas_observation_id(pk, item)  # noqa: E731
    report = _record_report(request, data, paths, "Observation")
    return report, observation_id(report.pk)
