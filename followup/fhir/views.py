"""FHIR R4 read and search, `application/fhir+json`, with the REST API's authentication and clinic scoping.

GET /fhir/R4/<Type>/<id> reads one resource; GET /fhir/R4/<Type>?patient=<id> searches and answers a
searchset Bundle. Errors are OperationOutcomes: 401 without credentials, 404 for an unknown id or
another clinic's, 400 for a search parameter we do not support or cannot read.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access, audit
from ..api.errors import api_exception_handler, parse_id
from ..models import Caregiver, CareSchedule, Occurrence, Procedure, Reminder, SymptomReport
from . import resources

DEFAULT_COUNT = 50
MAX_COUNT = 200
ACCEPTED_FORMATS = {"json", "application/json", "application/fhir+json"}


class FhirJsonRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir+json"


class FhirJsonOnly(BaseContentNegotiation):
    """FHIR JSON whatever the Accept header says (a client asking for plain JSON gets it too)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class SearchError(exceptions.ParseError):
    pass


class FormatNotSupported(exceptions.NotAcceptable):
    pass


ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 406: "not-supported"}


def operation_outcome(code, diagnostics, severity="error"):
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}]}


def fhir_exception_handler(exc, context):
    """The API's error handling (status, WWW-Authenticate), with the body as an OperationOutcome."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "No such resource in your clinics.")
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    diagnostics = str(detail) if detail else "; ".join(f"{key}: {value}" for key, value in response.data.items())
    response.data = operation_outcome(ISSUE_CODES.get(response.status_code, "processing"), diagnostics)
    return response


class FhirView(APIView):
    schema = None  # FHIR describes itself (GET /fhir/R4/metadata); not part of the OpenAPI document
    renderer_classes = [FhirJsonRenderer]
    content_negotiation_class = FhirJsonOnly

    def get_exception_handler(self):
        return fhir_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        wanted = request.query_params.get("_format")
        if wanted is not None and wanted not in ACCEPTED_FORMATS:
            raise FormatNotSupported("Only JSON is served (_format=json).")


# --- What each resource type reads from -----------------------------------------------------------


@dataclass(frozen=True)
class ResourceType:
    """How to read one resource type for a user: `read(user, id)` or 404; `rows(user)` the searchable
    queryset (every row in the caller's clinics); `build(row)` the resource."""

    read: Callable
    rows: Callable
    build: Callable
    params: frozenset = field(default=frozenset({"patient", "_id"}))
    patient_field: str = "patient"


def _by_pk(queryset, resource_id):
    pk = parse_id(resource_id)
    if pk is None:
        raise Http404("No such resource in your clinics.")
    return queryset.filter(pk=pk).first() or _missing()


def _missing():
    raise Http404("No such resource in your clinics.")


def _patients(user):
    return access.patients_for(user).select_related("clinic").order_by("pk")


def _caregivers(user):
    return Caregiver.objects.filter(patient__in=access.patients_for(user)).order_by("pk")


def _schedules(user):
    return CareSchedule.objects.filter(patient__in=access.patients_for(user)).select_related("patient__clinic").order_by("pk")


def _occurrences(user):
    return Occurrence.objects.filter(patient__in=access.patients_for(user)).order_by("due_at", "pk")


def _procedures(user):
    return (Procedure.objects.filter(patient__in=access.patients_for(user))
            .select_related("occurrence", "performed_by").order_by("-performed_at", "-pk"))


def _reports(user):
    return SymptomReport.objects.filter(patient__in=access.patients_for(user)).select_related("recorded_by").order_by("-reported_at", "-pk")


def _communications(user):
    return (Reminder.objects.filter(patient__in=access.patients_for(user), state__in=resources.COMMUNICATION_STATUS)
            .order_by("-sent_at", "-pk"))


TYPES = {
    "Patient": ResourceType(
        read=lambda user, rid: _by_pk(_patients(user), rid), rows=_patients, build=resources.patient_resource,
        params=frozenset({"_id", "identifier"}), patient_field="pk",
    ),
    "RelatedPerson": ResourceType(read=lambda user, rid: _by_pk(_caregivers(user), rid), rows=_caregivers,
                                  build=resources.related_person_resource),
    "CarePlan": ResourceType(read=lambda user, rid: _by_pk(_schedules(user), rid), rows=_schedules,
                             build=resources.care_plan_resource),
    "Appointment": ResourceType(read=lambda user, rid: _by_pk(_occurrences(user), rid), rows=_occurrences,
                                build=resources.appointment_resource),
    "Procedure": ResourceType(read=lambda user, rid: _by_pk(_procedures(user), rid), rows=_procedures,
                              build=resources.procedure_resource),
    "QuestionnaireResponse": ResourceType(read=lambda user, rid: _by_pk(_reports(user), rid), rows=_reports,
                                          build=resources.questionnaire_response_resource),
    "Communication": ResourceType(read=lambda user, rid: _by_pk(_communications(user), rid), rows=_communications,
                                  build=resources.communication_resource),
}

# Observations have two sources and no table of their own: they are read by their composite id and
# searched per patient (a search must name the patient).
_VOLUME_ID = re.compile(r"procedure-([0-9]{1,18})-volume")
_ESAS_ID = re.compile(r"symptom-report-([0-9]{1,18})-([a-z-]+)")
_ESAS_CODES = {resources.esas_code(item): item for item, _ in resources.ESAS_ITEMS}


def read_observation(user, resource_id):
    """(the procedure or report it comes from, the Observation), or 404."""
    if match := _VOLUME_ID.fullmatch(resource_id):
        procedure = _by_pk(_procedures(user).filter(volume_ml__isnull=False), match[1])
        return procedure, resources.volume_observation(procedure)
    if (match := _ESAS_ID.fullmatch(resource_id)) and match[2] in _ESAS_CODES:
        report = _by_pk(_reports(user), match[1])
        found = [obs for obs in resources.esas_observations(report) if obs["id"] == resource_id]
        return report, (found[0] if found else _missing())
    return _missing()


def patient_observations(user, patient_pk):
    """A patient's drained volumes and ESAS-r item scores, newest first."""
    procedures = _procedures(user).filter(patient=patient_pk, volume_ml__isnull=False)
    reports = _reports(user).filter(patient=patient_pk)
    timed = [(procedure.performed_at, [resources.volume_observation(procedure)]) for procedure in procedures]
    timed += [(report.reported_at, resources.esas_observations(report)) for report in reports]
    timed.sort(key=lambda pair: pair[0], reverse=True)
    return [observation for _, observations in timed for observation in observations]


# --- Views --------------------------------------------------------------------------------------


def _patient_param(value):
    """`123` or `Patient/123` (a reference) to a patient id; a search error otherwise."""
    pk = parse_id(value.removeprefix("Patient/"))
    if pk is None:
        raise SearchError(f"patient must be a Patient id (123 or Patient/123), not {value!r}.")
    return pk


def _count_param(value):
    number = parse_id(value)
    if number is None or number > MAX_COUNT:
        raise SearchError(f"_count must be a whole number from 1 to {MAX_COUNT}.")
    return number


def _page_param(value):
    number = parse_id(value)
    if number is None or number > 10**6:
        raise SearchError("_page must be a whole number from 1.")
    return number


class ReadView(FhirView):
    def get(self, request, resource_type, resource_id):
        if resource_type == "Observation":
            source, resource = read_observation(request.user, resource_id)
        elif resource_type in TYPES:
            kind = TYPES[resource_type]
            source = kind.read(request.user, resource_id)
            resource = kind.build(source)
        else:
            raise exceptions.NotFound(f"Resource type {resource_type!r} is not served here.")
        audit.record(request, audit.Action.VIEW, f"FHIR read {resource_type}", subject=source)
        return Response(resource)


class SearchView(FhirView):
    def get(self, request, resource_type):
        if resource_type != "Observation" and resource_type not in TYPES:
            raise exceptions.NotFound(f"Resource type {resource_type!r} is not served here.")
        allowed = {"patient"} if resource_type == "Observation" else set(TYPES[resource_type].params)
        params = request.query_params
        unknown = sorted(set(params) - allowed - {"_count", "_page", "_format"})
        if unknown:
            raise SearchError(f"Unsupported search parameter(s): {', '.join(unknown)}. Supported: {', '.join(sorted(allowed))}.")
        count = _count_param(params["_count"]) if "_count" in params else DEFAULT_COUNT
        page = _page_param(params["_page"]) if "_page" in params else 1
        if resource_type == "Observation":
            if "patient" not in params:
                raise SearchError("Observation searches need a patient (?patient=123).")
            matches = patient_observations(request.user, _patient_param(params["patient"]))
            total = len(matches)
            entries = matches[(page - 1) * count: page * count]
        else:
            kind = TYPES[resource_type]
            rows = self.filtered(kind, kind.rows(request.user), params)
            total = rows.count()
            entries = [kind.build(row) for row in rows[(page - 1) * count: page * count]]
        searched = access.patients_for(request.user).filter(pk=_patient_param(params["patient"])).first() if "patient" in params else None
        audit.record(request, audit.Action.VIEW, f"FHIR search {resource_type}", subject=searched)
        return Response(self.bundle(resource_type, params, entries, total, page, count))

    def filtered(self, kind, rows, params):
        if "_id" in params:
            pk = parse_id(params["_id"])
            rows = rows.filter(pk=pk) if pk else rows.none()
        if "patient" in params:
            rows = rows.filter(**{kind.patient_field: _patient_param(params["patient"])})
        if "identifier" in params:
            system, _, value = params["identifier"].rpartition("|")
            rows = rows.filter(mrn=value)
            if system:
                clinic_id = resources.clinic_of_mrn_system(system)
                rows = rows.filter(clinic=clinic_id) if clinic_id else rows.none()
        return rows

    def bundle(self, resource_type, params, entries, total, page, count):
        base = resources.base_url()
        query = {key: value for key, value in params.items() if key not in ("_page",)}

        def page_url(number):
            return f"{base}/{resource_type}?{urlencode({**query, '_count': count, '_page': number})}"

        links = [{"relation": "self", "url": page_url(page)}]
        if page > 1:
            links.append({"relation": "previous", "url": page_url(page - 1)})
        if page * count < total:
            links.append({"relation": "next", "url": page_url(page + 1)})
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": resources.instant(timezone.now()),
            "total": total,
            "link": links,
            "entry": [
                {"fullUrl": f"{base}/{entry['resourceType']}/{entry['id']}", "resource": entry, "search": {"mode": "match"}}
                for entry in entries
            ],
        }


SEARCH_PARAMS = {"_id": ("token", "The resource id."), "patient": ("reference", "The patient, by id or Patient/<id>."),
                 "identifier": ("token", "MRN, as <system>|<value> or the value alone.")}


class MetadataView(FhirView):
    """The CapabilityStatement: what this server reads and searches. Open to anyone, as FHIR expects."""

    permission_classes = [AllowAny]

    def get(self, request):
        served = {name: sorted(kind.params) for name, kind in TYPES.items()}
        served["Observation"] = ["patient"]
        return Response({
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": resources.instant(timezone.now()),
            "publisher": "Followup",
            "kind": "instance",
            "software": {"name": "Followup"},
            "implementation": {"description": "Followup palliative care follow-up", "url": resources.base_url()},
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [{
                "mode": "server",
                "security": {"description": "Send `Authorization: Token <key>` (manage.py drf_create_token <username>) "
                                            "or a signed-in session. Only your clinics' patients are visible."},
                "resource": [
                    {
                        "type": name,
                        "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [{"name": param, "type": SEARCH_PARAMS[param][0], "documentation": SEARCH_PARAMS[param][1]}
                                        for param in params],
                    }
                    for name, params in sorted(served.items())
                ],
            }],
        }, status=status.HTTP_200_OK)
