"""One access helper per object type: the object for this user, or 404.

Staff see only the clinics they belong to. Every view and API endpoint fetches through these,
never through a bare `filter(clinic=...)`, so a missing scope cannot leak another clinic's patient.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .models import Alert, Caregiver, Clinic, HospitalNotice, InboundMessage, Membership, Occurrence, Patient, Procedure, Reminder, SymptomReport


def clinics_for(user):
    return Clinic.objects.filter(pk__in=user.clinic_ids())  # the memberships are read once per request


def lead_clinics_for(user):
    return Clinic.objects.filter(memberships__user=user, memberships__role=Membership.Role.LEAD).distinct()


def patients_for(user):
    return Patient.objects.filter(clinic__in=user.clinic_ids())


def get_patient(user, pk):
    return get_object_or_404(patients_for(user).select_related("clinic"), pk=pk)


def get_caregiver(user, pk):
    return get_object_or_404(Caregiver.objects.filter(patient__clinic__in=user.clinic_ids()).select_related("patient"), pk=pk)


def get_occurrence(user, pk):
    return get_object_or_404(
        Occurrence.objects.filter(patient__clinic__in=user.clinic_ids()).select_related("patient__clinic", "schedule"), pk=pk
    )


def get_procedure(user, pk):
    return get_object_or_404(Procedure.objects.filter(patient__clinic__in=user.clinic_ids()), pk=pk)


def get_symptom_report(user, pk):
    return get_object_or_404(SymptomReport.objects.filter(patient__clinic__in=user.clinic_ids()), pk=pk)


def get_alert(user, pk):
    return get_object_or_404(Alert.objects.filter(patient__clinic__in=user.clinic_ids()).select_related("patient", "report"), pk=pk)


def get_reminder(user, pk):
    return get_object_or_404(Reminder.objects.filter(patient__clinic__in=user.clinic_ids()), pk=pk)


def get_inbound_message(user, pk):
    return get_object_or_404(InboundMessage.objects.filter(clinic__in=user.clinic_ids()), pk=pk)


def get_hospital_notice(user, pk):
    return get_object_or_404(
        HospitalNotice.objects.filter(patient__clinic__in=user.clinic_ids()).select_related("patient__clinic"), pk=pk)


def require_lead(user, clinic_id=None):
    """Reports and clinic settings are for clinical leads: 403 for everyone else."""
    leads = lead_clinics_for(user)
    if clinic_id is not None:
        leads = leads.filter(pk=clinic_id)
    if not leads.exists():
        raise PermissionDenied("Clinical leads only.")
