"""What the worklist shows of life events below the call list (worklist.OTHER_WORK):

- texts from a number shared across clinics, waiting for a lead to assign them (leads only);
- a "bereaved" phase left on a living patient, for a nurse to resolve.

Paused patients and the family's bereavement calls are rows of the call list itself (followup/call_list.py),
under the "Paused" and "Bereavement" chips, with their actions: one row per patient, not a second list.
"""

from .messaging import routing
from .models import InboundMessage, Patient


def unrouted_texts(user):
    """Texts from a number shared across clinics that found no patient, for a lead of a clinic involved
    (for anyone else, nothing: no query)."""
    if not user.is_lead_anywhere():
        return InboundMessage.objects.none()
    return routing.unrouted_for(user).prefetch_related("involved_clinics").order_by("received_at", "pk")


def phase_to_resolve(patients):
    """Living patients of `patients` (the worklist's scope) still marked "bereaved"."""
    return (patients.filter(phase=Patient.Phase.BEREAVED).exclude(status=Patient.Status.DECEASED).select_related("nurse")
            .order_by("family_name", "given_name", "pk"))
