"""List filters: by status, clinic, patient and date range. Choices of clinic and patient are limited to
the caller's clinics, so another clinic's id is an invalid choice (400), never a way to probe."""

from datetime import UTC

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from .. import access
from ..models import Clinic, InboundMessage, Kind, Occurrence, Patient, Reminder, SymptomReport, User


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, turned to UTC here: PostgreSQL refuses offsets past 15:59 that ISO allows."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("This moment is out of range.", code="overflow") from None


class MomentFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class PresentChoiceField(filters.fields.ChoiceField):
    """An enum filter given with no value (`?status=`) is a 400 naming the choices, not silently no filter."""

    def clean(self, value):
        if value == "":
            choices = ", ".join(str(key) for key, _ in self.choices if key != "")
            raise ValidationError(f"An empty value filters nothing: give one of {choices}, or leave the filter out.",
                                  code="empty")
        return super().clean(value)


class ChoiceFilter(filters.ChoiceFilter):
    field_class = PresentChoiceField


class _RawValue(forms.TextInput):
    """Hand the field the text as sent (None when the parameter is absent), so that it can refuse it."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class PresentBooleanField(forms.NullBooleanField):
    """A true/false filter: `true` or `false` (also `1`, `0`); empty or anything else is a 400, not ignored."""

    widget = _RawValue

    def to_python(self, value):
        if value is None:
            return None
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValidationError("Give true or false, or leave the filter out.", code="invalid")


class BooleanFilter(filters.BooleanFilter):
    field_class = PresentBooleanField


def _clinics(request):
    return access.clinics_for(request.user) if request is not None else Clinic.objects.none()


def _patients(request):
    return access.patients_for(request.user) if request is not None else Patient.objects.none()


def _occurrences(request):
    return Occurrence.objects.filter(patient__in=_patients(request))


def _staff(request):
    if request is None:
        return User.objects.none()
    return User.objects.filter(memberships__clinic__in=request.user.clinic_ids()).distinct()


class PatientFilter(filters.FilterSet):
    clinic = filters.ModelChoiceFilter(queryset=_clinics)
    status = ChoiceFilter(choices=Patient.Status.choices)
    phase = ChoiceFilter(choices=Patient.Phase.choices)
    nurse = filters.ModelChoiceFilter(queryset=_staff, help_text="Patients assigned to this nurse (user id).")
    mrn = filters.CharFilter(help_text="Exact MRN.")

    class Meta:
        model = Patient
        fields = ["clinic", "status", "phase", "nurse", "mrn"]


class PatientScopedFilter(filters.FilterSet):
    """Filters every per-patient list shares."""

    patient = filters.ModelChoiceFilter(queryset=_patients)
    clinic = filters.ModelChoiceFilter(queryset=_clinics, field_name="patient__clinic")


class CaregiverFilter(PatientScopedFilter):
    pass


class CareScheduleFilter(PatientScopedFilter):
    kind = ChoiceFilter(choices=Kind.choices)
    active = BooleanFilter()


class OccurrenceFilter(PatientScopedFilter):
    kind = ChoiceFilter(choices=Kind.choices)
    state = ChoiceFilter(choices=Occurrence.State.choices)
    due_after = MomentFilter(field_name="due_at", lookup_expr="gte", help_text="Due at or after (ISO 8601).")
    due_before = MomentFilter(field_name="due_at", lookup_expr="lt", help_text="Due before (ISO 8601).")


class ProcedureFilter(PatientScopedFilter):
    kind = ChoiceFilter(choices=Kind.choices)
    performed_after = MomentFilter(field_name="performed_at", lookup_expr="gte")
    performed_before = MomentFilter(field_name="performed_at", lookup_expr="lt")


class SymptomReportFilter(PatientScopedFilter):
    source = ChoiceFilter(choices=SymptomReport.Source.choices)
    reported_after = MomentFilter(field_name="reported_at", lookup_expr="gte")
    reported_before = MomentFilter(field_name="reported_at", lookup_expr="lt")


class AlertFilter(PatientScopedFilter):
    severe = BooleanFilter(help_text="true: at least one item scored 7 or more.")
    open = BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", help_text="true: not yet acknowledged.")
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")


class ReminderFilter(PatientScopedFilter):
    state = ChoiceFilter(choices=Reminder.State.choices)
    channel = ChoiceFilter(choices=[("sms", "Text message"), ("email", "E-mail")])
    purpose = ChoiceFilter(choices=[(value, label) for value, label in Reminder.Purpose.choices
                                    if value not in Reminder.STAFF_PURPOSES])
    occurrence = filters.ModelChoiceFilter(queryset=_occurrences, help_text="Reminders of this occurrence (id).")
    send_after = MomentFilter(field_name="send_at", lookup_expr="gte")
    send_before = MomentFilter(field_name="send_at", lookup_expr="lt")


class InboundMessageFilter(filters.FilterSet):
    patient = filters.ModelChoiceFilter(queryset=_patients)
    clinic = filters.ModelChoiceFilter(queryset=_clinics)
    kind = ChoiceFilter(choices=InboundMessage.Kind.choices)
    handled = BooleanFilter(field_name="handled_at", lookup_expr="isnull", exclude=True,
                                    help_text="false: not yet handled by a nurse.")
    received_after = MomentFilter(field_name="received_at", lookup_expr="gte")
    received_before = MomentFilter(field_name="received_at", lookup_expr="lt")
