"""The life-events migrations keep existing data meaningful: an existing pause is "other" with no
review date; an existing procedure was performed by its recorder, in the clinic; a "bereaved" phase
on a living patient is left for a nurse to resolve; a death already recorded gets its phase."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("followup", "0005_reminder_acknowledged_by")]
AFTER = [("followup", "0015_life_events_existing_data")]
T = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_existing_data_keeps_its_meaning_through_the_migration():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    clinic = old.get_model("followup", "Clinic").objects.create(name="St. Mary's & Riverside", phone="+12025550100")
    User = old.get_model("followup", "User")
    nina = User.objects.create(username="nina")
    Patient = old.get_model("followup", "Patient")
    paused = Patient.objects.create(clinic=clinic, mrn="1", given_name="Alice", family_name="Archer", status="paused",
                                    status_changed_at=T, status_changed_by=nina)
    living_bereaved = Patient.objects.create(clinic=clinic, mrn="2", given_name="Bob", family_name="Baker", phase="bereaved")
    died = Patient.objects.create(clinic=clinic, mrn="3", given_name="José", family_name="Núñez", status="deceased",
                                  status_changed_at=T, phase="terminal")
    Procedure = old.get_model("followup", "Procedure")
    Procedure.objects.create(patient=paused, performed_at=T, volume_ml=4000, performed_by=nina, complications="Mild pain")
    Procedure.objects.create(patient=paused, performed_at=datetime(2026, 1, 3, tzinfo=UTC), volume_ml=3000, performed_by=nina)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    pause = new.get_model("followup", "Pause").objects.get(patient_id=paused.pk)
    assert (pause.reason, pause.review_on, pause.ended_at, pause.started_at) == ("other", None, None, T)
    procedures = new.get_model("followup", "Procedure").objects.order_by("performed_at")
    assert [(p.recorded_by_id, p.performed_by_id, p.setting, p.complication_codes) for p in procedures] == [
        (nina.pk, nina.pk, "clinic", []), (nina.pk, nina.pk, "clinic", ["other"])]
    NewPatient = new.get_model("followup", "Patient")
    assert NewPatient.objects.get(pk=living_bereaved.pk).phase == "bereaved"  # shown to a nurse, not changed
    assert NewPatient.objects.get(pk=died.pk).phase == "bereaved"
    death = new.get_model("followup", "Death").objects.get(patient_id=died.pk)
    assert (death.died_at, death.place, death.source) == (T, "other", "staff")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
