"""Alerts were one row per flagged item, each with its own acknowledgement. The migration makes
them one alert per report and loses no acknowledgement."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("followup", "0008_calls_and_alerts")]
AFTER = [("followup", "0010_alert_items_only")]
T = datetime(2026, 1, 12, 15, 0, tzinfo=UTC)


def migrate_to(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return MigrationExecutor(connection).loader.project_state(target).apps


@pytest.fixture
def old_schema(transactional_db):
    apps = migrate_to(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_per_item_alerts_become_one_alert_per_report_keeping_acknowledgements(old_schema):
    apps = old_schema
    Clinic, Patient, User = (apps.get_model("followup", name) for name in ("Clinic", "Patient", "User"))
    SymptomReport, Alert = apps.get_model("followup", "SymptomReport"), apps.get_model("followup", "Alert")
    clinic = Clinic.objects.create(name="St. Mary's & Riverside", phone="+12025550100")
    nina = User.objects.create(username="nina")
    leo = User.objects.create(username="leo")
    patient = Patient.objects.create(clinic=clinic, mrn="RV-1", given_name="José", family_name="Núñez")
    fully = SymptomReport.objects.create(patient=patient, reported_at=T, pain=8, nausea=7, completed_by="patient", source="web")
    partly = SymptomReport.objects.create(patient=patient, reported_at=T + timedelta(days=1), pain=9, anxiety=8,
                                          completed_by="patient", source="sms")
    # One web report: pain severe and worsening (two rows), nausea severe; each acknowledged on its own.
    Alert.objects.create(patient=patient, report=fully, kind="severe", item="pain", score=8, created_at=T,
                         acknowledged_at=T + timedelta(hours=1), acknowledged_by=nina, acknowledgement_note="Dose raised")
    Alert.objects.create(patient=patient, report=fully, kind="worsening", item="pain", score=8, previous_score=3,
                         created_at=T, acknowledged_at=T + timedelta(hours=2), acknowledged_by=leo)
    Alert.objects.create(patient=patient, report=fully, kind="severe", item="nausea", score=7, created_at=T,
                         acknowledged_at=T + timedelta(hours=3), acknowledged_by=nina, acknowledgement_note="Antiemetic")
    # A text: pain acknowledged, anxiety not yet.
    Alert.objects.create(patient=patient, report=partly, kind="severe", item="pain", score=9, created_at=T + timedelta(days=1),
                         acknowledged_at=T + timedelta(days=1, hours=1), acknowledged_by=nina, acknowledgement_note="Called")
    Alert.objects.create(patient=patient, report=partly, kind="severe", item="anxiety", score=8, created_at=T + timedelta(days=1))

    apps = migrate_to(AFTER)
    Alert, AlertItem = apps.get_model("followup", "Alert"), apps.get_model("followup", "AlertItem")
    assert Alert.objects.count() == 2
    first = Alert.objects.get(report_id=fully.pk)
    assert first.severe
    assert (first.acknowledged_at, first.acknowledged_by_id) == (T + timedelta(hours=3), nina.pk)
    assert first.acknowledgement_note == "Dose raised; Antiemetic" and first.acknowledgement_action == ""
    pain = AlertItem.objects.get(alert=first, item="pain")
    assert (pain.score, pain.previous_score, pain.severe, pain.worsening) == (8, 3, True, True)
    assert (pain.acknowledged_at, pain.acknowledged_by_id) == (T + timedelta(hours=2), leo.pk)
    assert "Dose raised" in pain.acknowledgement_note
    second = Alert.objects.get(report_id=partly.pk)
    assert second.acknowledged_at is None  # anxiety was never acknowledged: the alert stays open
    kept = AlertItem.objects.get(alert=second, item="pain")
    assert (kept.acknowledged_at, kept.acknowledged_by_id, kept.acknowledgement_note) == (
        T + timedelta(days=1, hours=1), nina.pk, "Called")
    assert AlertItem.objects.get(alert=second, item="anxiety").acknowledged_at is None
