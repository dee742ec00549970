"""The audit log: who saw or changed which patient's record, when, and from where.

- Nurse pages call `record_access(request, patient_or_object, "what")` right after fetching through
  `access`: a GET is recorded as a view, any other method as a change.
- The REST API records every successful request through `AuditedViewSetMixin`.
- Report and audit exports call `record_export`.
- Sign-in, failed sign-in and sign-out come from Django's auth signals (connected in apps.py).

Recording is one INSERT and no SELECT: the patient and clinic come from objects the view has already
loaded, or, where only a patient id is at hand, from a subquery inside that same INSERT.
"""

import ipaddress

from django.conf import settings
from django.db.models import Subquery

from .models import AccessLog, Patient

Action = AccessLog.Action
READ_METHODS = {"GET", "HEAD"}


def _valid_ip(text):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_ip(request):
    """The client's address: REMOTE_ADDR, or, when settings.TRUSTED_PROXY says a proxy is in front,
    the first X-Forwarded-For address. None when there is no valid address (a request made in code).

    Also the address django-axes counts failed sign-ins by (AXES_CLIENT_IP_CALLABLE).
    """
    if request is None:
        return None
    meta = request.META
    if getattr(settings, "TRUSTED_PROXY", False):
        forwarded = _valid_ip(meta.get("HTTP_X_FORWARDED_FOR", "").split(",")[0].strip())
        if forwarded:
            return forwarded
    return _valid_ip(meta.get("REMOTE_ADDR", ""))


def _signed_in(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


_FROM_REQUEST = object()


def _entry(request, action, what, *, user=_FROM_REQUEST, username="", patient_id=None, clinic_id=None):
    if user is _FROM_REQUEST:
        user = _signed_in(request)
    if patient_id is not None and clinic_id is None:
        # The patient's clinic read inside the INSERT itself, not by a SELECT before it.
        clinic_id = Subquery(Patient.objects.filter(pk=patient_id).values("clinic_id")[:1])
    return AccessLog(
        user_id=user.pk if user else None,
        username=(user.get_username() if user else username)[:150],
        clinic_id=clinic_id,
        patient_id=patient_id,
        action=action,
        what=what[:200],
        method=(getattr(request, "method", None) or "")[:8],
        path=(getattr(request, "path", None) or "")[:300],
        ip=client_ip(request),
    )


def patient_of(subject):
    """(patient id, clinic id or None) of a patient or of an object that belongs to one, from what
    is already loaded: no query."""
    if isinstance(subject, Patient):
        return subject.pk, subject.clinic_id
    patient_id = getattr(subject, "patient_id", None)
    if patient_id is not None and "patient" in subject._state.fields_cache:
        return patient_id, subject.patient.clinic_id
    return patient_id, getattr(subject, "clinic_id", None)


def record(request, action, what, *, subject=None, user=_FROM_REQUEST, username=""):
    patient_id, clinic_id = patient_of(subject) if subject is not None else (None, None)
    _entry(request, action, what, user=user, username=username, patient_id=patient_id, clinic_id=clinic_id).save()


def record_access(request, subject, what):
    """A nurse page showed (GET) or acted on (any other method) the record of `subject`: a patient,
    or a caregiver, occurrence, alert, reminder or message of one."""
    record(request, Action.VIEW if request.method in READ_METHODS else Action.CHANGE, what, subject=subject)


def record_export(request, what, clinic_ids):
    """An export covering these clinics: one row per clinic, so each clinic's lead sees it; one INSERT."""
    AccessLog.objects.bulk_create([_entry(request, Action.EXPORT, what, clinic_id=clinic_id) for clinic_id in sorted(clinic_ids)])


class AuditedViewSetMixin:
    """For the REST API's viewsets: every successful request is one audit row, naming the patient
    when the request was about one object (fetched through `get_object`) or created one. List it
    before GenericViewSet in the bases."""

    _audit_subject = None

    def check_object_permissions(self, request, obj):
        # Every detail request passes its fetched object through here (DRF's get_object contract).
        self._audit_subject = obj
        super().check_object_permissions(request, obj)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code < 400 and request.method != "OPTIONS" and _signed_in(request):
            self._record(request, response)
        return response

    def _record(self, request, response):
        model = getattr(self, "model", None)
        name = model._meta.verbose_name if model is not None else "object"
        what = f"API {getattr(self, 'action', None) or request.method.lower()} {name}"
        action = Action.VIEW if request.method in READ_METHODS else Action.CHANGE
        subject = self._audit_subject
        if subject is None and response.status_code == 201 and isinstance(response.data, dict):
            # A create: the new object's patient is in the answer.
            patient_id = response.data.get("id") if model is Patient else response.data.get("patient")
            if isinstance(patient_id, int):
                _entry(request, action, what, patient_id=patient_id).save()
                return
        record(request, action, what, subject=subject)


# --- Sign-in, failed sign-in, sign-out (Django's auth signals; connected in FollowupConfig.ready) ----


def record_sign_in(sender, request, user, **kwargs):
    record(request, Action.SIGN_IN, "sign-in", user=user)


def record_sign_in_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", "") or "")
    # Whoever tried is not signed in as anyone yet, even on a browser where someone else is.
    _entry(request, Action.SIGN_IN_FAILED, "sign-in failed", user=None, username=username).save()


def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        record(request, Action.SIGN_OUT, "sign-out", user=user)
