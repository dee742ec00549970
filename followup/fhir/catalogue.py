"""What each FHIR resource type reads from, how it is searched and sorted, and how its versions are told.

A resource's version is its source row's django-simple-history trail (followup.revisions): `versionId`
counts its revisions, `lastUpdated` is the last one. A CarePlan shows its patient's status and phase as
well as its series, so its `versionId` is `<series revision>.<patient revision>`; a change to either
moves it. A Communication is a reminder, whose every state change is a ReminderEvent: its `versionId`
counts those, and only the current version is kept.

The search parameters listed here are exactly those accepted; the CapabilityStatement is built from them.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404

from .. import access, revisions
from ..api.errors import parse_id
from ..models import Caregiver, CareSchedule, Occurrence, Patient, Procedure, Reminder, ReminderEvent, SymptomReport, User
from . import resources
from .search import SearchError, coded, parse_date, tokens


def missing():
    raise Http404("No such resource in your clinics.")


def by_pk(queryset, resource_id):
    pk = parse_id(resource_id)
    if pk is None:
        missing()
    return queryset.filter(pk=pk).first() or missing()


def patient_param(value):
    """`123` or `Patient/123` (a reference) to a patient id; a search error otherwise."""
    pk = parse_id(value.removeprefix("Patient/"))
    if pk is None:
        raise SearchError(f"patient must be a Patient id (123 or Patient/123), not {value!r}.")
    return pk


@dataclass(frozen=True)
class Param:
    type: str
    documentation: str
    apply: Callable  # (rows, text) -> rows


@dataclass(frozen=True)
class ResourceType:
    """How to read one resource type for a user.

    `rows(user)`: every row in the caller's clinics, annotated with its revision and `last_updated`;
    `build(row)`: the resource; `version(row)`: (versionId, lastUpdated); `at_version(row, versionId)`:
    (the row as it was, when) or None; `params` its own search parameters; `sorts` {key: field}."""

    rows: Callable
    build: Callable
    version: Callable
    at_version: Callable
    params: dict = field(default_factory=dict)
    sorts: dict = field(default_factory=dict)
    patient_field: str | None = "patient"
    keeps_history: bool = True
    timestamps: bool = True  # False: no lastUpdated is known (and no _lastUpdated search)

    def read(self, user, resource_id):
        return by_pk(self.rows(user), resource_id)


def _simple_version(row):
    return str(row.revision), row.revised_at


def _simple_at_version(model):
    def at_version(row, version_id):
        number = parse_id(version_id)
        found = revisions.at_revision(model, row.pk, number) if number else None
        return (found[0], found[1]) if found else None
    return at_version


def _annotated(queryset):
    return revisions.with_revisions(queryset).annotate(last_updated=F("revised_at"))


def _patient_filter(rows, text, field_name="patient"):
    return rows.filter(**{field_name: patient_param(text)})


def _date_filter(field_name, param="date"):
    def apply(rows, text):
        return rows.filter(parse_date(param, text).q(field_name))
    return apply


def _id_filter(rows, text):
    pks = [parse_id(value) for value in tokens("_id", text)]
    return rows.filter(pk__in=[pk for pk in pks if pk])


def _last_updated_filter(rows, text):
    return rows.filter(parse_date("_lastUpdated", text).q("last_updated"))


COMMON_PARAMS = {
    "_id": Param("token", "The resource id (comma-separated for any of several).", _id_filter),
    "_lastUpdated": Param("date", "When the resource last changed, with a prefix: ge2026-03-01, lt2026-03-02T12:00:00Z.",
                          _last_updated_filter),
}
PATIENT_PARAM = Param("reference", "The patient, by id or Patient/<id>.", _patient_filter)
COMMON_SORTS = {"_id": "pk", "_lastUpdated": "last_updated"}


# --- Patient ------------------------------------------------------------------------------------


def _patients(user):
    return _annotated(access.patients_for(user).select_related("clinic").order_by("pk"))


def _identifier_filter(rows, text):
    system, _, value = text.rpartition("|")
    if not value.strip():
        raise SearchError("identifier must not be empty: give <system>|<MRN> or the MRN alone.")
    rows = rows.filter(mrn=value)
    if system:
        clinic_id = resources.clinic_of_mrn_system(system)
        rows = rows.filter(clinic=clinic_id) if clinic_id else rows.none()
    return rows


# --- CarePlan -----------------------------------------------------------------------------------

_CARE_PLAN_VERSION = re.compile(r"([0-9]{1,9})\.([0-9]{1,9})")


def _schedules(user):
    rows = CareSchedule.objects.filter(patient__in=access.patients_for(user)).select_related("patient__clinic").order_by("pk")
    rows = revisions.with_revisions(revisions.with_revisions(rows), through="patient")
    return rows.annotate(last_updated=Greatest("revised_at", "patient_revised_at"))


def _care_plan_version(row):
    moments = [moment for moment in (row.revised_at, row.patient_revised_at) if moment]
    return f"{row.revision}.{row.patient_revision}", (max(moments) if moments else None)


def _care_plan_at_version(row, version_id):
    """The series at its revision and the patient at theirs, when the two were current together."""
    match = _CARE_PLAN_VERSION.fullmatch(version_id)
    if not match:
        return None
    series = revisions.at_revision(CareSchedule, row.pk, int(match[1]))
    patient = revisions.at_revision(Patient, row.patient_id, int(match[2]))
    if series is None or patient is None:
        return None
    (schedule, series_from, series_until), (person, patient_from, patient_until) = series, patient
    if (series_until and series_until <= patient_from) or (patient_until and patient_until <= series_from):
        return None  # never both current: no such version
    schedule.patient = person
    return schedule, max(series_from, patient_from)


# --- Appointment --------------------------------------------------------------------------------

APPOINTMENT_STATES = {}
for _state, _code in resources.APPOINTMENT_STATUS.items():
    APPOINTMENT_STATES.setdefault(_code, []).append(_state)


def _occurrences(user):
    return _annotated(Occurrence.objects.filter(patient__in=access.patients_for(user)).order_by("due_at", "pk"))


def _appointment_status_filter(rows, text):
    codes = tokens("status", text, allowed=set(APPOINTMENT_STATES))
    return rows.filter(state__in=[state for code in codes for state in APPOINTMENT_STATES[code]])


# --- The rest -----------------------------------------------------------------------------------


def _caregivers(user):
    return _annotated(Caregiver.objects.filter(patient__in=access.patients_for(user)).order_by("pk"))


def _procedures(user):
    return _annotated(Procedure.objects.filter(patient__in=access.patients_for(user))
                      .select_related("occurrence", "performed_by").order_by("-performed_at", "-pk"))


def _reports(user):
    return _annotated(SymptomReport.objects.filter(patient__in=access.patients_for(user))
                      .select_related("recorded_by").order_by("-reported_at", "-pk"))


def _communications(user):
    """Reminders with their version: one per state change (a ReminderEvent), and one more once a row whose
    outcome is unknown was left for a nurse (its statusReason then says so)."""
    events = ReminderEvent.objects.filter(reminder=OuterRef("pk")).order_by()
    changes = Coalesce(Subquery(events.values("reminder").annotate(n=Count("pk")).values("n")[:1],
                                output_field=IntegerField()), Value(1))
    last_event = Subquery(events.values("reminder").annotate(last=Max("at")).values("last")[:1])
    left = Case(When(left_for_nurse_at__isnull=False, then=Value(1)), default=Value(0), output_field=IntegerField())
    return (Reminder.objects.filter(patient__in=access.patients_for(user), state__in=resources.COMMUNICATION_STATUS)
            .annotate(revision=changes + left,
                      last_updated=Greatest(last_event, Coalesce("left_for_nurse_at", last_event)))
            .order_by("-sent_at", "-pk"))


def _communication_version(row):
    return str(row.revision), row.last_updated


def _current_only(row, version_id):
    """Older versions of a Communication are not kept: only the current one reads."""
    current, updated = _communication_version(row)
    return (row, updated) if version_id == current else None


# --- The clinic and its staff: no history of their own; the version is a digest of the content --------


def _digest_version(build):
    def version(row):
        content = json.dumps(build(row), sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(content).hexdigest()[:16], None
    return version


def _current_digest(build):
    def at_version(row, version_id):
        return (row, None) if version_id == _digest_version(build)(row)[0] else None
    return at_version


def _organizations(user):
    return access.clinics_for(user).order_by("pk")


def _practitioners(user):
    """Staff of the caller's clinics."""
    return User.objects.filter(memberships__clinic__in=access.clinics_for(user)).distinct().order_by("pk")


def _name_filter(*fields):
    def apply(rows, text):
        words = tokens("name", text)
        matching = Q()
        for word in words:
            for field_name in fields:
                matching |= Q(**{f"{field_name}__icontains": word})
        return rows.filter(matching)
    return apply


TYPES = {
    "Organization": ResourceType(
        rows=_organizations, build=resources.organization_resource,
        version=_digest_version(resources.organization_resource), at_version=_current_digest(resources.organization_resource),
        params={"name": Param("string", "Part of the clinic's name.", _name_filter("name"))},
        sorts={"name": "name"}, patient_field=None, keeps_history=False, timestamps=False,
    ),
    "Practitioner": ResourceType(
        rows=_practitioners, build=resources.practitioner_resource,
        version=_digest_version(resources.practitioner_resource), at_version=_current_digest(resources.practitioner_resource),
        params={"name": Param("string", "Part of the given or family name.", _name_filter("first_name", "last_name", "username"))},
        sorts={"family": "last_name", "given": "first_name"}, patient_field=None, keeps_history=False, timestamps=False,
    ),
    "Patient": ResourceType(
        rows=_patients, build=resources.patient_resource, version=_simple_version, at_version=_simple_at_version(Patient),
        params={"identifier": Param("token", "MRN, as <system>|<value> or the value alone.", _identifier_filter)},
        sorts={"family": "family_name", "given": "given_name", "birthdate": "date_of_birth", "identifier": "mrn"},
        patient_field=None,
    ),
    "RelatedPerson": ResourceType(rows=_caregivers, build=resources.related_person_resource, version=_simple_version,
                                  at_version=_simple_at_version(Caregiver)),
    "CarePlan": ResourceType(rows=_schedules, build=resources.care_plan_resource, version=_care_plan_version,
                             at_version=_care_plan_at_version),
    "Appointment": ResourceType(
        rows=_occurrences, build=resources.appointment_resource, version=_simple_version,
        at_version=_simple_at_version(Occurrence),
        params={"date": Param("date", "The appointment's start, with a prefix: ge2026-03-01, 2026-03-23.", _date_filter("due_at")),
                "status": Param("token", "booked, fulfilled, noshow or cancelled (comma-separated for any).",
                                _appointment_status_filter)},
        sorts={"date": "due_at", "status": "state"},
    ),
    "Procedure": ResourceType(
        rows=_procedures, build=resources.procedure_resource, version=_simple_version, at_version=_simple_at_version(Procedure),
        params={"date": Param("date", "When it was performed, with a prefix.", _date_filter("performed_at"))},
        sorts={"date": "performed_at"},
    ),
    "QuestionnaireResponse": ResourceType(
        rows=_reports, build=resources.questionnaire_response_resource, version=_simple_version,
        at_version=_simple_at_version(SymptomReport),
        params={"authored": Param("date", "When the report was made, with a prefix.", _date_filter("reported_at", "authored"))},
        sorts={"authored": "reported_at"},
    ),
    "Communication": ResourceType(
        rows=_communications, build=resources.communication_resource, version=_communication_version,
        at_version=_current_only,
        params={"sent": Param("date", "When it was sent, with a prefix.", _date_filter("sent_at", "sent"))},
        sorts={"sent": "sent_at"}, keeps_history=False,
    ),
}
for _kind in TYPES.values():
    if _kind.patient_field:
        _kind.params["patient"] = PATIENT_PARAM
    _kind.params["_id"] = COMMON_PARAMS["_id"]
    _kind.sorts["_id"] = COMMON_SORTS["_id"]
    if _kind.timestamps:
        _kind.params["_lastUpdated"] = COMMON_PARAMS["_lastUpdated"]
        _kind.sorts["_lastUpdated"] = COMMON_SORTS["_lastUpdated"]


# --- Observation: two sources, no table of its own -------------------------------------------------
# Read by composite id; searched per patient (a search must name the patient), filtered and sorted in
# Python over that patient's observations.

_VOLUME_ID = re.compile(r"procedure-([0-9]{1,18})-volume")
_ESAS_ID = re.compile(r"symptom-report-([0-9]{1,18})-([a-z-]+)")
_ESAS_CODES = {resources.esas_code(item): item for item, _ in resources.ESAS_ITEMS}


@dataclass(frozen=True)
class Found:
    """A built Observation, with what search, sort and meta need."""

    resource: dict
    version: str
    last_updated: object
    effective: object
    code: str  # "volume" or the ESAS-r item


def _volume(procedure):
    return Found(resources.volume_observation(procedure), str(procedure.revision), procedure.revised_at,
                 procedure.performed_at, "volume")


def _esas(report):
    """Each scored item of a report, then the report as an ESAS panel."""
    version = str(report.revision)
    found = [Found(observation, version, report.revised_at, report.reported_at, item)
             for item, observation in resources.esas_observations_by_item(report)]
    return found + [Found(resources.esas_panel_observation(report), version, report.revised_at, report.reported_at, "panel")]


def observation_source(user, resource_id):
    """('volume' or 'esas', its procedure or report), or 404."""
    if match := _VOLUME_ID.fullmatch(resource_id):
        return "volume", by_pk(_procedures(user).filter(volume_ml__isnull=False), match[1])
    if (match := _ESAS_ID.fullmatch(resource_id)) and (match[2] in _ESAS_CODES or match[2] == "panel"):
        return "esas", by_pk(_reports(user), match[1])
    return missing()


def observation_from(kind, source, resource_id, version=None, when=None):
    """The Found observation of that id in its source row (as read, or as it was at a version)."""
    if version is not None:
        source.revision, source.revised_at = int(version), when
    found = [_volume(source)] if kind == "volume" else _esas(source)
    return next((item for item in found if item.resource["id"] == resource_id), None) or missing()


def observation_at_version(kind, source, version_id):
    number = parse_id(version_id)
    found = revisions.at_revision(Procedure if kind == "volume" else SymptomReport, source.pk, number) if number else None
    return (found[0], found[1]) if found else None


def patient_observations(user, patient_pks):
    """The drained volumes, ESAS-r item scores and ESAS panels of these patients, newest first."""
    procedures = _procedures(user).filter(patient__in=patient_pks, volume_ml__isnull=False)
    reports = _reports(user).filter(patient__in=patient_pks)
    found = [_volume(procedure) for procedure in procedures] + [item for report in reports for item in _esas(report)]
    found.sort(key=lambda item: item.effective, reverse=True)
    return found


def _by_code(items, text):
    wanted = coded("code", text, resources.observation_codes())
    return [item for item in items if item.code in wanted]


def _by_effective(items, text):
    wanted = parse_date("date", text)
    return [item for item in items if wanted.matches(item.effective)]


def _by_last_updated(items, text):
    wanted = parse_date("_lastUpdated", text)
    return [item for item in items if wanted.matches(item.last_updated)]


OBSERVATION_PARAMS = {
    "patient": Param("reference", "The patient, by id or Patient/<id> (required).", None),
    "code": Param("token", "The observation's code, <system>|<code> or the code alone; comma-separated for any.", _by_code),
    "date": Param("date", "When it was observed (effectiveDateTime), with a prefix.", _by_effective),
    "_lastUpdated": Param("date", COMMON_PARAMS["_lastUpdated"].documentation, _by_last_updated),
}
OBSERVATION_SORTS = {"date": "effective", "_lastUpdated": "last_updated", "code": "code"}


def params_of(resource_type):
    return OBSERVATION_PARAMS if resource_type == "Observation" else TYPES[resource_type].params


def sorts_of(resource_type):
    return OBSERVATION_SORTS if resource_type == "Observation" else TYPES[resource_type].sorts


def has_patient(resource_type):
    return resource_type == "Observation" or bool(TYPES[resource_type].patient_field)
