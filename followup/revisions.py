"""How many times a record has changed, and when it last did, read from its django-simple-history trail.

The care models already keep one history row per write (who, when, what it looked like). That trail is
the version of a record everywhere it is shown to another system: the FHIR `meta.versionId` and
`meta.lastUpdated`, `/_history/N`, and a calendar event's SEQUENCE and LAST-MODIFIED. A write that
skips the trail (a queryset `.update()`) moves no version, so services write row by row.
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def with_revisions(queryset, through=None):
    """Annotate each row with `revision` (1 for a record never changed since its creation) and
    `revised_at` (its last change; None for a row written without history, e.g. bulk-created).

    `through` names a foreign key: annotate the revision of the row it points to instead, as
    `<through>_revision` and `<through>_revised_at` (a care plan shows its patient's status)."""
    if through is None:
        model, outer, prefix = queryset.model, "pk", ""
    else:
        model, outer, prefix = queryset.model._meta.get_field(through).related_model, f"{through}_id", f"{through}_"
    trail = model.history.model.objects.filter(id=OuterRef(outer)).order_by()
    return queryset.annotate(**{
        f"{prefix}revision": Coalesce(
            Subquery(trail.values("id").annotate(n=Count("history_id")).values("n")[:1], output_field=IntegerField()),
            Value(1),
        ),
        f"{prefix}revised_at": Subquery(trail.order_by("-history_date", "-history_id").values("history_date")[:1]),
    })


def revision_of(instance):
    """(revision, revised_at) of one object, from its annotation when it has one."""
    if hasattr(instance, "revision"):
        return instance.revision, instance.revised_at
    records = instance.history.order_by("-history_date", "-history_id")
    last = records.first()
    return max(records.count(), 1), (last.history_date if last else None)


def revision_records(model, pk):
    return model.history.filter(id=pk).order_by("history_date", "history_id")


def at_revision(model, pk, number):
    """(the object as it was at its `number`-th revision (1 = as created), when that revision was
    written, when the next one was (None for the latest)), or None when there is no such revision."""
    if number < 1:
        return None
    records = list(revision_records(model, pk)[number - 1:number + 1])
    if not records or records[0].history_type == "-":
        return None
    following = records[1].history_date if len(records) > 1 else None
    return records[0].instance, records[0].history_date, following
