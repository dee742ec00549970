"""Keep existing data meaningful (issue 11):

- a patient paused before gets a pause with the reason "other" and no review date;
- a procedure recorded before was performed by whoever recorded it, in the clinic; free-text
  complications become the coded "other" with that text;
- every patient gets a phase episode for the phase they are in, from their enrolment. A "bereaved"
  phase on a living patient is left as it is: the worklist shows it to a nurse to resolve;
- a patient recorded as deceased gets a death (when and by whom as the status change said, place
  "other", source "staff") and the phase "bereaved" from then.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    Patient = apps.get_model("followup", "Patient")
    Pause = apps.get_model("followup", "Pause")
    Procedure = apps.get_model("followup", "Procedure")
    PhaseEpisode = apps.get_model("followup", "PhaseEpisode")
    Death = apps.get_model("followup", "Death")

    for patient in Patient.objects.filter(status="paused").iterator():
        Pause.objects.create(patient=patient, reason="other", review_on=None,
                             started_at=patient.status_changed_at or patient.created_at, started_by_id=patient.status_changed_by_id)
    for procedure in Procedure.objects.all().iterator():
        procedure.recorded_by_id = procedure.performed_by_id
        procedure.setting = "clinic"
        procedure.complication_codes = ["other"] if procedure.complications.strip() else []
        procedure.save(update_fields=["recorded_by", "setting", "complication_codes"])
    for patient in Patient.objects.all().iterator():
        if patient.status == "deceased":
            died_at = patient.status_changed_at or patient.created_at
            Death.objects.create(patient=patient, died_at=died_at, place="other", source="staff",
                                 recorded_by_id=patient.status_changed_by_id, recorded_at=died_at)
            if patient.phase != "bereaved":
                PhaseEpisode.objects.create(patient=patient, phase=patient.phase, started_at=patient.created_at,
                                            ended_at=died_at)
                patient.phase = "bereaved"
                patient.save(update_fields=["phase"])
            PhaseEpisode.objects.create(patient=patient, phase="bereaved", started_at=died_at)
        else:
            PhaseEpisode.objects.create(patient=patient, phase=patient.phase, started_at=patient.created_at)


class Migration(migrations.Migration):
    dependencies = [("followup", "0014_life_events")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
