"""What the worklist shows of life events below the call list, each a count and a bounded list
(worklist.Section):

- texts from a number shared across clinics, waiting for a lead to assign them (leads only);
- a "bereaved" phase left on a living patient, for a nurse to resolve.

Paused patients and the family's bereavement calls are rows of the call list itself (followup/call_list.py),
under the "Paused" and "Bereavement" chips, with their actions: one row per patient, not a second list.
"""

from .messaging import routing
from .models import Patient


def _section(queryset, rows=25):
    from .worklist import Section

    found = list(queryset[:rows + 1])
    total = len(found) if len(found) <= rows else queryset.count()
    return Section(total, found[:rows])


def life_sections(user, patients):
    """The two sections for `patients` (the worklist's scope)."""
    unrouted = routing.unrouted_for(user).prefetch_related("involved_clinics").order_by("received_at", "pk")
    phase = patients.filter(phase=Patient.Phase.BEREAVED).exclude(status=Patient.Status.DECEASED).select_related("nurse")
    return {
        "unrouted_messages": _section(unrouted),
        "phase_to_resolve": _section(phase.order_by("family_name", "given_name", "pk")),
    }
