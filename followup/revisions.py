"""How many times a record has changed, and when it last did, read from its django-simple-history trail.

The care models already keep one history row per write (who, when, what it looked like). That trail is
the version of a record everywhere it is shown to another system: the FHIR `meta.versionId` and
`meta.lastUpdated`, `/_history/N`, and a calendar event's SEQUENCE and LAST-MODIFIED. A write that
skips the trail (a queryset `.update()`) moves no version, so services write row by row.
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def _trail(model):
    return model.history.model.objects.filter(id=OuterRef("pk")).order_by()


def with_revisions(queryset):
    """Annotate each row with `revision` (1 for a record never changed since its creation) and
    `revised_at` (its last change; None for a row written without history, e.g. bulk-created)."""
    trail = _trail(queryset.model)
    return queryset.annotate(
        revision=Coalesce(
            Subquery(trail.values("id").annotate(n=Count("history_id")).values("n")[:1], output_field=IntegerField()),
            Value(1),
        ),
        revised_at=Subquery(trail.order_by("-history_date", "-history_id").values("history_date")[:1]),
    )


def revision_of(instance):
    """(revision, revised_at) of one object, from its annotation when it has one."""
    if hasattr(instance, "revision"):
        return instance.revision, instance.revised_at
    records = instance.history.order_by("-history_date", "-history_id")
    last = records.first()
    return max(records.count(), 1), (last.history_date if last else None)


def as_at_revision(model, pk, number):
    """The object as it was at its `number`-th revision (1 = as created), or None when there is none."""
    if number < 1:
        return None
    record = model.history.filter(id=pk).order_by("history_date", "history_id")[number - 1:number].first()
    if record is None or record.history_type == "-":
        return None
    return record.instance
