"""FHIR R4 read, vread and search, `application/fhir+json`, with the REST API's authentication and clinic scoping.

GET /fhir/R4/<Type>/<id> reads one resource (with ETag and Last-Modified; If-None-Match answers 304);
GET /fhir/R4/<Type>/<id>/_history/<version> reads it as it was; GET /fhir/R4/<Type>?... searches and
answers a searchset Bundle. Errors are OperationOutcomes: 401 without credentials, 404 for an unknown id
or another clinic's, 400 for a search parameter we do not support or cannot read.
"""

import re
from urllib.parse import urlencode

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.http import http_date
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access, audit
from ..api.errors import api_exception_handler, parse_id
from ..oauth import models as oauth_models, scopes as oauth_scopes, tokens as oauth_tokens
from . import catalogue, resources, terminology, writes
from .search import SearchError, sort_keys, tokens

DEFAULT_COUNT = 50
MAX_COUNT = 200
ACCEPTED_FORMATS = {"json", "application/json", "application/fhir+json"}


class FhirJsonRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir+json"


class FhirJsonParser(JSONParser):
    media_type = "application/fhir+json"


class FhirJsonOnly(BaseContentNegotiation):
    """FHIR JSON whatever the Accept header says (a client asking for plain JSON gets it too)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class FormatNotSupported(exceptions.NotAcceptable):
    pass


ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 406: "not-supported",
               412: "conflict", 415: "not-supported"}


def operation_outcome(code, diagnostics, severity="error"):
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}]}


def fhir_exception_handler(exc, context):
    """The API's error handling (status, WWW-Authenticate), with the body as an OperationOutcome."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "No such resource in your clinics.")
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, writes.Invalid):
        response.data = {"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "invalid", "diagnostics": " ".join(messages), "expression": [path]}
            for path, messages in exc.issues.items()]}
        return response
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    diagnostics = str(detail) if detail else "; ".join(f"{key}: {value}" for key, value in response.data.items())
    response.data = operation_outcome(ISSUE_CODES.get(response.status_code, "processing"), diagnostics)
    return response


class FhirView(APIView):
    schema = None  # FHIR describes itself (GET /fhir/R4/metadata); not part of the OpenAPI document
    renderer_classes = [FhirJsonRenderer]
    parser_classes = [FhirJsonParser]
    content_negotiation_class = FhirJsonOnly

    def get_exception_handler(self):
        return fhir_exception_handler

    def scoped_resource_type(self):
        """The FHIR type this request reads or writes, for the OAuth scope check (followup.oauth)."""
        return self.kwargs.get("resource_type")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        wanted = request.query_params.get("_format")
        if wanted is not None and wanted not in ACCEPTED_FORMATS:
            raise FormatNotSupported("Only JSON is served (_format=json).")


# --- Versions --------------------------------------------------------------------------------------


def with_meta(resource, version_id, last_updated):
    meta = {"versionId": version_id}
    if last_updated is not None:
        meta["lastUpdated"] = resources.instant(last_updated)
    return {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta,
            **{key: value for key, value in resource.items() if key not in ("resourceType", "id", "meta")}}


def etag(version_id):
    return f'W/"{version_id}"'


def _matches_etag(header, version_id):
    if not header:
        return False
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in wanted or f'"{version_id}"' in wanted


def versioned_response(request, resource, version_id, last_updated):
    """The resource with its meta, ETag and Last-Modified; 304 when the caller already holds this version."""
    headers = {"ETag": etag(version_id)}
    if last_updated is not None:
        headers["Last-Modified"] = http_date(last_updated.timestamp())
    if _matches_etag(request.headers.get("If-None-Match"), version_id):
        return Response(None, status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(with_meta(resource, version_id, last_updated), headers=headers)


def _served(resource_type):
    if resource_type != "Observation" and resource_type not in catalogue.TYPES:
        raise exceptions.NotFound(f"Resource type {resource_type!r} is not served here.")


# --- Views --------------------------------------------------------------------------------------


# --- Writes ---------------------------------------------------------------------------------------

WRITABLE = {"create": {"Patient", "QuestionnaireResponse", "Observation"}, "update": {"Patient", "Appointment"}}
# What each write takes, as the CapabilityStatement says it: {(type, interaction): documentation}.
WRITE_DOCUMENTATION = {
    ("Patient", "create"): "Registers and enrols: identifier (the clinic's MRN system), name, birthDate, telecom, "
                           "communication, generalPractitioner, managingOrganization. If-None-Exist: identifier=<system>|<MRN>.",
    ("Patient", "update"): "Corrects name, birthDate, generalPractitioner; deceasedDateTime records the death. If-Match.",
    ("Appointment", "update"): "A new start reschedules; status cancelled skips it. If-Match.",
    ("QuestionnaireResponse", "create"): "A completed ESAS-r (Questionnaire/esas-r linkIds): one symptom report, run "
                                         "through the alert rules.",
    ("Observation", "create"): "ESAS-r scores, status final: one item (code <esas-r code system>|<item>, valueInteger "
                               "0-10) or the LOINC ESAS panel 112503-8 with one component per item. Either is one "
                               "symptom report, run through the alert rules.",
}


def _written(request, resource_type, pk, created):
    """The resource just written, read back with its new version: 201 + Location, or 200."""
    kind = catalogue.TYPES[resource_type]
    row = kind.read(request.user, str(pk))
    version_id, last_updated = kind.version(row)
    resource = with_meta(kind.build(row), version_id, last_updated)
    location = f"{resources.base_url()}/{resource_type}/{pk}/_history/{version_id}"
    audit.record(request, audit.Action.CHANGE, f"FHIR {'create' if created else 'update'} {resource_type}", subject=row)
    headers = {"ETag": etag(version_id), "Location": location, "Content-Location": location}
    if last_updated is not None:
        headers["Last-Modified"] = http_date(last_updated.timestamp())
    return resource, headers, status.HTTP_201_CREATED if created else status.HTTP_200_OK


def _written_observation(request, resource_id):
    """An Observation just created from a symptom report, read back: 201 + Location."""
    kind, source = catalogue.observation_source(request.user, resource_id)
    found = catalogue.observation_from(kind, source, resource_id)
    resource = with_meta(found.resource, found.version, found.last_updated)
    location = f"{resources.base_url()}/Observation/{resource_id}/_history/{found.version}"
    audit.record(request, audit.Action.CHANGE, "FHIR create Observation", subject=source)
    headers = {"ETag": etag(found.version), "Location": location, "Content-Location": location}
    if found.last_updated is not None:
        headers["Last-Modified"] = http_date(found.last_updated.timestamp())
    return resource, headers, status.HTTP_201_CREATED


def _not_writable(resource_type, what):
    raise exceptions.MethodNotAllowed("POST" if what == "create" else "PUT",
                                      detail=f"{resource_type} cannot be {'created' if what == 'create' else 'updated'} here; "
                                             f"{what} is supported for {', '.join(sorted(WRITABLE[what]))}.")


def _check_if_match(request, kind, row):
    wanted = request.headers.get("If-Match")
    if wanted and not _matches_etag(wanted, kind.version(row)[0]):
        raise writes.PreconditionFailed(f"{wanted} is not the current version ({etag(kind.version(row)[0])}): read it again.")


def create(request, resource_type, body):
    """(resource, headers, status) of a create; a conditional create (If-None-Exist) finds first."""
    if resource_type not in WRITABLE["create"]:
        _not_writable(resource_type, "create")
    if resource_type == "Patient":
        condition = request.headers.get("If-None-Exist")
        if condition:
            found = _conditional_matches(request, condition)
            if len(found) > 1:
                raise writes.PreconditionFailed(f"{len(found)} patients match {condition!r}: make the condition narrower.")
            if found:
                return _written(request, "Patient", found[0].pk, created=False)
        patient = writes.create_patient(request, body)
        return _written(request, "Patient", patient.pk, created=True)
    if resource_type == "Observation":
        _, observation_id = writes.create_observation(request, body)
        return _written_observation(request, observation_id)
    report = writes.create_symptom_report(request, body)
    return _written(request, "QuestionnaireResponse", report.pk, created=True)


def update(request, resource_type, resource_id, body):
    if resource_type not in WRITABLE["update"]:
        _not_writable(resource_type, "update")
    kind = catalogue.TYPES[resource_type]
    row = kind.read(request.user, resource_id)
    _check_if_match(request, kind, row)
    if resource_type == "Patient":
        writes.update_patient(request, row, body)
    else:
        writes.update_appointment(request, row, body)
    return _written(request, resource_type, row.pk, created=False)


def _conditional_matches(request, condition):
    """Patients in the caller's clinics matching `identifier=<system>|<MRN>` (the only condition taken)."""
    from urllib.parse import parse_qs

    params = parse_qs(condition.removeprefix("?"), keep_blank_values=True)
    if set(params) != {"identifier"} or len(params["identifier"]) != 1 or not params["identifier"][0]:
        raise SearchError("A condition on Patient is identifier=<system>|<MRN> (If-None-Exist, or the URL of a conditional update).")
    rows = catalogue.TYPES["Patient"].params["identifier"].apply(catalogue.TYPES["Patient"].rows(request.user), params["identifier"][0])
    return list(rows[:2])


class ReadView(FhirView):
    def put(self, request, resource_type, resource_id):
        _served(resource_type)
        with transaction.atomic():
            resource, headers, code = update(request, resource_type, resource_id, request.data)
        return Response(resource, status=code, headers=headers)

    def get(self, request, resource_type, resource_id):
        _served(resource_type)
        if resource_type == "Observation":
            kind, source = catalogue.observation_source(request.user, resource_id)
            found = catalogue.observation_from(kind, source, resource_id)
            resource, version_id, last_updated = found.resource, found.version, found.last_updated
        else:
            kind = catalogue.TYPES[resource_type]
            source = kind.read(request.user, resource_id)
            resource = kind.build(source)
            version_id, last_updated = kind.version(source)
        audit.record(request, audit.Action.VIEW, f"FHIR read {resource_type}", subject=source)
        return versioned_response(request, resource, version_id, last_updated)


class VersionReadView(FhirView):
    """vread: the resource as it was at one of its versions (the versionId its meta carried then)."""

    def get(self, request, resource_type, resource_id, version_id):
        _served(resource_type)
        gone = exceptions.NotFound(f"{resource_type}/{resource_id} has no version {version_id!r}.")
        if resource_type == "Observation":
            kind, source = catalogue.observation_source(request.user, resource_id)
            then = catalogue.observation_at_version(kind, source, version_id)
            if then is None:
                raise gone
            found = catalogue.observation_from(kind, then[0], resource_id, version=version_id, when=then[1])
            resource, last_updated = found.resource, found.last_updated
        else:
            kind = catalogue.TYPES[resource_type]
            source = kind.read(request.user, resource_id)
            then = kind.at_version(source, version_id)
            if then is None:
                raise gone
            resource, last_updated = kind.build(then[0]), then[1]
        audit.record(request, audit.Action.VIEW, f"FHIR vread {resource_type}", subject=source)
        return versioned_response(request, resource, version_id, last_updated)


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


def _one(params, name):
    values = params.getlist(name)
    if len(values) > 1:
        raise SearchError(f"{name} may be given once.")
    return values[0] if values else None


RESULT_PARAMS = {"_count", "_page", "_format", "_sort", "_include", "_revinclude", "_summary", "_total", "_elements"}
SUMMARY_MODES = {"count", "false"}
TOTAL_MODES = {"none", "estimate", "accurate"}
_ELEMENT = re.compile(r"[a-z][A-Za-z0-9]{0,63}")
SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED",
             "display": "subsetted"}


def include_targets(resource_type):
    return [f"{resource_type}:patient"] if catalogue.has_patient(resource_type) else []


def revinclude_sources(resource_type):
    if resource_type != "Patient":
        return []
    return sorted(f"{name}:patient" for name in [*catalogue.TYPES, "Observation"] if catalogue.has_patient(name))


class Search:
    """One search request, parsed: every parameter checked before anything is read."""

    def __init__(self, resource_type, params):
        self.resource_type = resource_type
        self.params = params
        filters = set(catalogue.params_of(resource_type))
        unknown = sorted(set(params) - filters - RESULT_PARAMS)
        if unknown:
            raise SearchError(f"Unsupported search parameter(s): {', '.join(unknown)}. "
                              f"Supported: {', '.join(sorted(filters | RESULT_PARAMS))}.")
        self.filters = [(name, value) for name in params if name in filters for value in params.getlist(name)]
        count, page = _one(params, "_count"), _one(params, "_page")
        self.count = _count_param(count) if count is not None else DEFAULT_COUNT
        self.page = _page_param(page) if page is not None else 1
        summary, total = _one(params, "_summary"), _one(params, "_total")
        self.summary = "false" if summary is None else summary
        if self.summary not in SUMMARY_MODES:
            raise SearchError(f"_summary: only count and false are supported, not {self.summary!r}.")
        self.total = "accurate" if total is None else total
        if self.total not in TOTAL_MODES:
            raise SearchError(f"_total must be none, estimate or accurate, not {self.total!r}.")
        sort = _one(params, "_sort")
        self.sort = sort_keys(sort, catalogue.sorts_of(resource_type)) if sort is not None else []
        self.includes = self._references("_include", include_targets(resource_type))
        self.revincludes = self._references("_revinclude", revinclude_sources(resource_type))
        elements = _one(params, "_elements")
        self.elements = tokens("_elements", elements) if elements is not None else None
        if self.elements and not all(_ELEMENT.fullmatch(name) for name in self.elements):
            raise SearchError("_elements lists top-level element names, comma-separated (e.g. status,start).")

    def _references(self, name, accepted):
        found = []
        for value in self.params.getlist(name):
            target = value.removesuffix(":Patient")
            if target not in accepted:
                raise SearchError(f"{name}={value!r} is not supported here; "
                                  f"{'use ' + ', '.join(accepted) if accepted else 'none is'}.")
            found.append(target.partition(":")[0])
        return found


class SearchView(FhirView):
    def post(self, request, resource_type):
        _served(resource_type)
        with transaction.atomic():
            resource, headers, code = create(request, resource_type, request.data)
        return Response(resource, status=code, headers=headers)

    def put(self, request, resource_type):
        """Conditional update: PUT /Patient?identifier=<system>|<MRN> updates the one patient it names,
        or creates them when none does; two or more is 412."""
        _served(resource_type)
        if resource_type != "Patient":
            _not_writable(resource_type, "update")
        found = _conditional_matches(request, request.META.get("QUERY_STRING", ""))
        if len(found) > 1:
            raise writes.PreconditionFailed("More than one patient matches: make the condition narrower.")
        with transaction.atomic():
            if found:
                resource, headers, code = update(request, "Patient", str(found[0].pk), request.data)
            else:
                patient = writes.create_patient(request, request.data)
                resource, headers, code = _written(request, "Patient", patient.pk, created=True)
        return Response(resource, status=code, headers=headers)

    def get(self, request, resource_type):
        _served(resource_type)
        search = Search(resource_type, request.query_params)
        user = request.user
        if resource_type == "Observation":
            matches, total, patient_pks = self.observations(user, search)
        else:
            matches, total, patient_pks = self.rows(user, search)
        included = []
        if search.summary != "count":
            if search.includes:
                included += self.patients(user, patient_pks)
            for source in search.revincludes:
                included += self.referring(user, source, [int(entry[0]["id"]) for entry in matches])
        else:
            matches = []
        searched = (access.patients_for(user).filter(pk=catalogue.patient_param(request.query_params["patient"])).first()
                    if "patient" in request.query_params else None)
        audit.record(request, audit.Action.VIEW, f"FHIR search {resource_type}", subject=searched)
        return Response(self.bundle(search, matches, included, total))

    def rows(self, user, search):
        kind = catalogue.TYPES[search.resource_type]
        rows = kind.rows(user)
        for name, value in search.filters:
            rows = kind.params[name].apply(rows, value)
        if search.sort:
            rows = rows.order_by(*[f"{'-' if descending else ''}{kind.sorts[key]}" for key, descending in search.sort], "pk")
        start = (search.page - 1) * search.count
        if search.total == "none" and search.summary != "count":
            page = list(rows[start: start + search.count + 1])
            total = None
            self.more = len(page) > search.count
            page = page[:search.count]
        else:
            total = rows.count()
            page = list(rows[start: start + search.count]) if search.summary != "count" else []
            self.more = start + search.count < total
        matches = [(kind.build(row), *kind.version(row)) for row in page]
        patient_pks = {getattr(row, f"{kind.patient_field}_id") for row in page} if kind.patient_field else set()
        return matches, total, patient_pks

    def observations(self, user, search):
        if "patient" not in search.params:
            raise SearchError("Observation searches need a patient (?patient=123).")
        patient_pks = {catalogue.patient_param(value) for value in search.params.getlist("patient")}
        found = catalogue.patient_observations(user, patient_pks)
        for name, value in search.filters:
            if name != "patient":
                found = catalogue.OBSERVATION_PARAMS[name].apply(found, value)
        for key, descending in reversed(search.sort):
            attribute = catalogue.OBSERVATION_SORTS[key]
            found.sort(key=lambda item: (getattr(item, attribute) is None, getattr(item, attribute) or 0), reverse=descending)
        total = len(found)
        start = (search.page - 1) * search.count
        page = found[start: start + search.count]
        self.more = start + search.count < total
        matches = [(item.resource, item.version, item.last_updated) for item in page]
        referenced = {int(item.resource["subject"]["reference"].removeprefix("Patient/")) for item in page}
        return matches, (None if search.total == "none" else total), referenced

    def patients(self, user, pks):
        kind = catalogue.TYPES["Patient"]
        return [(kind.build(row), *kind.version(row)) for row in kind.rows(user).filter(pk__in=pks)]

    def referring(self, user, source, patient_pks):
        if source == "Observation":
            return [(item.resource, item.version, item.last_updated) for item in catalogue.patient_observations(user, patient_pks)]
        kind = catalogue.TYPES[source]
        return [(kind.build(row), *kind.version(row)) for row in kind.rows(user).filter(**{f"{kind.patient_field}__in": patient_pks})]

    def subset(self, resource, search):
        if not search.elements:
            return resource
        kept = {key: value for key, value in resource.items() if key in ("resourceType", "id", "meta") or key in search.elements}
        kept["meta"] = {**kept.get("meta", {}), "tag": [SUBSETTED]}
        return kept

    def bundle(self, search, matches, included, total):
        base = resources.base_url()
        query = [(key, value) for key in search.params if key != "_page" for value in search.params.getlist(key)]
        query = [(key, value) for key, value in query if key != "_count"] + [("_count", search.count)]

        def page_url(number):
            return f"{base}/{search.resource_type}?{urlencode([*query, ('_page', number)])}"

        links = [{"relation": "self", "url": page_url(search.page)}]
        if search.summary != "count":
            if search.page > 1:
                links.append({"relation": "previous", "url": page_url(search.page - 1)})
            if self.more:
                links.append({"relation": "next", "url": page_url(search.page + 1)})
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "timestamp": resources.instant(timezone.now()),
        }
        if total is not None:
            bundle["total"] = total
        bundle["link"] = links
        seen = set()
        entries = []
        for mode, items in (("match", matches), ("include", included)):
            for resource, version_id, last_updated in items:
                key = (resource["resourceType"], resource["id"])
                if key in seen:
                    continue
                seen.add(key)
                resource = with_meta(resource, version_id, last_updated)
                if mode == "match":
                    resource = self.subset(resource, search)
                entries.append({"fullUrl": f"{base}/{key[0]}/{key[1]}", "resource": resource, "search": {"mode": mode}})
        bundle["entry"] = entries
        return bundle


def require_write_scope(request, resource_type):
    """A system's token must allow writing this type (people's tokens and sessions have no scopes)."""
    token = request.auth
    if isinstance(token, oauth_models.AccessToken) and not oauth_scopes.allows(token.granted, resource_type, write=True):
        raise exceptions.PermissionDenied(f"This token's scopes ({token.scope}) do not allow writing {resource_type}.")


class TransactionView(FhirView):
    """POST a Bundle of type `transaction` to the base: every entry is applied, in order, or none is.
    An entry may refer to a resource created earlier in the Bundle by its `fullUrl` (urn:uuid:...).
    A system's token needs the write scope of each entry's type (system/Patient.write ...), checked
    entry by entry: one entry beyond them is a 403 and nothing is written."""

    scopes_checked_per_entry = True

    def post(self, request):
        bundle = request.data
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
            raise writes.Invalid({"Bundle.type": ["POST a Bundle of type transaction to the base URL."]})
        entries = bundle.get("entry") or []
        replies, created = [], {}
        with transaction.atomic():
            for index, entry in enumerate(entries):
                try:
                    replies.append(self.apply(request, entry, created))
                except writes.Invalid as error:
                    raise writes.Invalid({f"Bundle.entry[{index}].{path}": messages for path, messages in error.issues.items()}) from None
                except exceptions.APIException as error:
                    error.detail = f"Bundle.entry[{index}]: {error.detail}"
                    raise
        return Response({"resourceType": "Bundle", "type": "transaction-response", "entry": replies})

    def apply(self, request, entry, created):
        call = entry.get("request") or {}
        method, url = call.get("method"), (call.get("url") or "").strip("/")
        body = _resolve(entry.get("resource"), created)
        if method == "POST" and url in WRITABLE["create"]:
            require_write_scope(request, url)
            fake = _with_headers(request, {"If-None-Exist": call.get("ifNoneExist")})
            resource, headers, code = create(fake, url, body)
        elif method == "PUT" and "/" in url:
            resource_type, resource_id = url.split("/", 1)
            _served(resource_type)
            require_write_scope(request, resource_type)
            fake = _with_headers(request, {"If-Match": call.get("ifMatch")})
            resource, headers, code = update(fake, resource_type, resource_id, body)
        else:
            raise writes.Invalid({"request": [f"{method} {url!r} is not supported in a transaction: POST Patient, "
                                              "QuestionnaireResponse or Observation, PUT Patient/<id> or Appointment/<id>."]})
        if entry.get("fullUrl"):
            created[entry["fullUrl"]] = f"{resource['resourceType']}/{resource['id']}"
        return {"fullUrl": f"{resources.base_url()}/{resource['resourceType']}/{resource['id']}", "resource": resource,
                "response": {"status": f"{code} {'Created' if code == 201 else 'OK'}", "location": headers["Location"],
                             "etag": headers["ETag"]}}


def _resolve(value, created):
    """Replace references to resources created earlier in the Bundle (their urn:uuid fullUrl)."""
    if isinstance(value, dict):
        return {key: (created.get(item, item) if key == "reference" and isinstance(item, str) else _resolve(item, created))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, created) for item in value]
    return value


class _HeaderView:
    def __init__(self, request, extra):
        self._request, self.headers = request, {**request.headers, **{k: v for k, v in extra.items() if v}}
        for name in ("If-None-Exist", "If-Match"):
            if not extra.get(name):
                self.headers.pop(name, None)

    def __getattr__(self, name):
        return getattr(self._request, name)


def _with_headers(request, extra):
    return _HeaderView(request, extra)


def _digest(resource):
    return catalogue.hashlib.sha256(catalogue.json.dumps(resource, sort_keys=True).encode()).hexdigest()[:16]


class ConformanceReadView(FhirView):
    """Followup's own CodeSystems and the ESAS-r Questionnaire, at the URLs their codings name. They hold
    no patient data, so, like the CapabilityStatement, they are open to anyone."""

    permission_classes = [AllowAny]

    def get(self, request, resource_type, resource_id):
        resource = terminology.conformance_resource(resource_type, resource_id)
        if resource is None:
            raise exceptions.NotFound(f"No {resource_type} {resource_id!r} here.")
        return versioned_response(request, resource, _digest(resource), None)


class ConformanceSearchView(FhirView):
    permission_classes = [AllowAny]

    def get(self, request, resource_type):
        unknown = sorted(set(request.query_params) - {"url", "_format"})
        if unknown:
            raise SearchError(f"Unsupported search parameter(s): {', '.join(unknown)}. Supported: url.")
        found = [terminology.conformance_resource(resource_type, name) for name in terminology.CONFORMANCE[resource_type]]
        if "url" in request.query_params:
            found = [resource for resource in found if resource["url"] == request.query_params["url"]]
        base = resources.base_url()
        return Response({
            "resourceType": "Bundle", "type": "searchset", "timestamp": resources.instant(timezone.now()), "total": len(found),
            "link": [{"relation": "self", "url": f"{base}/{resource_type}?{urlencode(request.query_params)}"}],
            "entry": [{"fullUrl": f"{base}/{resource_type}/{resource['id']}", "search": {"mode": "match"},
                       "resource": with_meta(resource, _digest(resource), None)} for resource in found],
        })


class MetadataView(FhirView):
    """The CapabilityStatement: exactly what this server reads and searches. Open to anyone, as FHIR expects."""

    permission_classes = [AllowAny]

    def get(self, request):
        served = sorted([*catalogue.TYPES, "Observation"])
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
                "interaction": [{"code": "transaction", "documentation": "POST Patient, QuestionnaireResponse and "
                                                                      "Observation, PUT Patient and Appointment, all or none."}],
                "documentation": (
                    "Searches also take _count (1-200), _page, _sort (the keys listed per type, - for descending), "
                    "_summary=count, _total=none|estimate|accurate and _elements. Reads answer an ETag (W/\"<versionId>\") "
                    "and Last-Modified; If-None-Match with the current ETag answers 304."),
                "security": {
                    "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                             "code": "SMART-on-FHIR"}]}],
                    "extension": [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                                   "extension": [{"url": "token", "valueUri": oauth_tokens.token_url()}]}],
                    "description": "Systems: OAuth 2.0 client credentials with a signed JWT (SMART Backend Services; "
                                   "/.well-known/smart-configuration), then `Authorization: Bearer <token>`, within its "
                                   "scopes. People: `Authorization: Token <key>` or a signed-in session. Only your "
                                   "clinics' patients are visible."},
                "resource": [self.resource(name) for name in served] + [
                    {"type": name, "interaction": [{"code": "read"}, {"code": "search-type"}],
                     "searchParam": [{"name": "url", "type": "uri", "documentation": "The canonical URL."}]}
                    for name in sorted(terminology.CONFORMANCE)],
            }],
        }, status=status.HTTP_200_OK)

    def resource(self, name):
        keeps_history = name == "Observation" or catalogue.TYPES[name].keeps_history
        interactions = ["read", *(["vread"] if keeps_history else []), "search-type",
                        *(["create"] if name in WRITABLE["create"] else []), *(["update"] if name in WRITABLE["update"] else [])]
        params = catalogue.params_of(name)
        entry = {
            "type": name,
            "interaction": [{"code": code, **({"documentation": WRITE_DOCUMENTATION[name, code]}
                                              if (name, code) in WRITE_DOCUMENTATION else {})} for code in interactions],
            "versioning": "versioned",
            "readHistory": keeps_history,
            "conditionalRead": "not-match",
            "conditionalCreate": name == "Patient",
            "conditionalUpdate": name == "Patient",
            "updateCreate": False,
            "searchInclude": include_targets(name),
            "searchRevInclude": revinclude_sources(name),
            "searchParam": [{"name": param, "type": params[param].type, "documentation": params[param].documentation}
                            for param in sorted(params)],
        }
        entry["documentation"] = f"_sort by: {', '.join(sorted(catalogue.sorts_of(name)))}."
        return {key: value for key, value in entry.items() if value != []}
