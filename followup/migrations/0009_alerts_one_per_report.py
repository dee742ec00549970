"""Alerts were one row per flagged item, each acknowledged on its own. Now one alert belongs to a
report and lists its items. Each report's rows become one alert (the oldest row is kept) with one
item per ESAS-r item: a severe item that also rose is one item. No acknowledgement is lost: each
item keeps the acknowledgement its row had, and the alert is acknowledged when every row of the
report was (at the last of those times, by whoever gave it, with their notes; the action taken was
not recorded then, so it stays blank).
"""

from django.db import migrations


def group_alerts(apps, schema_editor):
    Alert = apps.get_model("followup", "Alert")
    AlertItem = apps.get_model("followup", "AlertItem")
    by_report = {}
    for row in Alert.objects.order_by("report_id", "pk").iterator():
        by_report.setdefault(row.report_id, []).append(row)
    for rows in by_report.values():
        keeper = rows[0]
        items = {}
        for row in rows:
            item = items.setdefault(row.item, AlertItem(alert_id=keeper.pk, item=row.item, score=row.score))
            if row.score is not None:
                item.score = row.score
            if row.kind == "severe":
                item.severe = True
            elif row.kind == "worsening":
                item.worsening = True
                item.previous_score = row.previous_score
            elif row.kind == "new_problem":
                item.new_problem = True
            if row.acknowledged_at is not None:
                if item.acknowledged_at is None or row.acknowledged_at > item.acknowledged_at:
                    item.acknowledged_at, item.acknowledged_by_id = row.acknowledged_at, row.acknowledged_by_id
                note = row.acknowledgement_note.strip()
                if note and note not in item.acknowledgement_note:
                    item.acknowledgement_note = "; ".join(filter(None, [item.acknowledgement_note, note]))
        AlertItem.objects.bulk_create(items.values())
        keeper.severe = any(row.kind == "severe" for row in rows)
        keeper.created_at = min(row.created_at for row in rows)
        if all(row.acknowledged_at is not None for row in rows):
            last = max(rows, key=lambda row: row.acknowledged_at)
            keeper.acknowledged_at, keeper.acknowledged_by_id = last.acknowledged_at, last.acknowledged_by_id
            notes = []
            for row in rows:
                note = row.acknowledgement_note.strip()
                if note and note not in notes:
                    notes.append(note)
            keeper.acknowledgement_note = "; ".join(notes)
        else:
            keeper.acknowledged_at, keeper.acknowledged_by_id, keeper.acknowledgement_note = None, None, ""
        keeper.save()
        Alert.objects.filter(pk__in=[row.pk for row in rows[1:]]).delete()


def split_alerts(apps, schema_editor):
    """Back to one row per item and kind, each with the acknowledgement its item kept."""
    Alert = apps.get_model("followup", "Alert")
    AlertItem = apps.get_model("followup", "AlertItem")
    for alert in Alert.objects.order_by("pk"):
        first = True
        for item in AlertItem.objects.filter(alert=alert).order_by("pk"):
            kinds = [kind for kind, flag in (("severe", item.severe), ("worsening", item.worsening),
                                             ("new_problem", item.new_problem)) if flag]
            for kind in kinds:
                row = alert if first else Alert(patient_id=alert.patient_id, report_id=alert.report_id, created_at=alert.created_at)
                if not first:
                    row.pk = None
                first = False
                row.kind, row.item, row.score = kind, item.item, item.score
                row.previous_score = item.previous_score if kind == "worsening" else None
                row.acknowledged_at = item.acknowledged_at or alert.acknowledged_at
                row.acknowledged_by_id = item.acknowledged_by_id or alert.acknowledged_by_id
                row.acknowledgement_note = item.acknowledgement_note or alert.acknowledgement_note
                row.save()
        AlertItem.objects.filter(alert=alert).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("followup", "0008_calls_and_alerts"),
    ]

    operations = [
        migrations.RunPython(group_alerts, split_alerts),
    ]
