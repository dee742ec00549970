"""What each ADT event from St. Mary's & Riverside Hospital does to a Followup patient.

Riverside Palliative Care has configured the hospital's assigning authority STMARYS; Hillcrest
Hospice has HILLCREST. Alice (RV-1001) is enrolled at Riverside on Tuesday 1 December 2026, 09:30 New
York time, and her daughter Dora also gets her reminders. Messages go through `intake.receive`, the
function the MLLP listener calls for every frame (tests/test_hl7_listener.py drives the socket).
"""

from datetime import date

import pytest

from followup import services
from followup.hospital import intake
from followup.models import (
    AccessLog, Clinic, Death, HospitalMessage, HospitalNotice, Occurrence, Patient, Pause, Reminder, StatusChange,
)
from tests.conftest import at, make_patient
from tests.hl7_messages import ack_fields, adt, merge

T0 = at("2026-12-01 14:30")
UNSENT = (Reminder.State.PLANNED, Reminder.State.QUEUED)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(T0, tick=False)


@pytest.fixture
def hospital_links(riverside, hillcrest):
    riverside.hl7_assigning_authority = "STMARYS"
    riverside.save(update_fields=["hl7_assigning_authority"])
    hillcrest.hl7_assigning_authority = "HILLCREST"
    hillcrest.save(update_fields=["hl7_assigning_authority"])


@pytest.fixture
def patient(hospital_links, alice, dora):
    services.enrol(alice)
    return alice


def send(message, peer="10.20.0.7"):
    return ack_fields(intake.receive(message.encode("utf-8"), peer=peer))


def reload(patient):
    return Patient.objects.get(pk=patient.pk)


def unsent(patient):
    return Reminder.objects.filter(patient=patient, state__in=UNSENT).count()


# --- A01 admission --------------------------------------------------------------------------------


def test_admission_pauses_the_patient_for_a_hospital_admission_with_a_review_date(patient):
    assert unsent(patient) > 0
    ack = send(adt("A01", "MSG-0001"))
    assert ack["MSA-1"] == "AA" and ack["MSA-2"] == "MSG-0001"
    alice = reload(patient)
    assert alice.status == Patient.Status.PAUSED
    change = StatusChange.objects.get(patient=alice)
    assert change.by is None
    assert "ADT^A01 from STMARYS" in change.note
    pause = Pause.objects.get(patient=alice, ended_at__isnull=True)
    assert (pause.reason, pause.review_on) == (Pause.Reason.HOSPITAL_ADMISSION, date(2026, 12, 8))
    assert unsent(alice) == 0
    assert Occurrence.objects.filter(patient=alice, state=Occurrence.State.SCHEDULED).count() == 2  # kept for the return


def test_an_admission_is_reviewed_after_the_clinics_admission_setting(patient):
    Clinic.objects.filter(pk=patient.clinic_id).update(admission_review_days=3)
    assert send(adt("A01", "MSG-0001"))["MSA-1"] == "AA"
    assert Pause.objects.get(patient=patient).review_on == date(2026, 12, 4)


def test_a_hospital_death_is_a_death_record_from_the_hospital_with_its_bereavement_plan(patient):
    ack = send(adt("A03", "MSG-0002", pid={29: "20261201061500-0500", 30: "Y"}))
    assert ack["MSA-1"] == "AA"
    death = Death.objects.get(patient=patient)
    assert (death.source, death.place, death.recorded_by) == (Death.Source.HOSPITAL_RECORD, Death.Place.HOSPITAL, None)
    assert reload(patient).phase == Patient.Phase.BEREAVED


def test_admission_of_a_patient_already_paused_changes_nothing(patient):
    services.change_status(patient, Patient.Status.PAUSED, note="Respite week")
    ack = send(adt("A01", "MSG-0002"))
    assert ack["MSA-1"] == "AA"
    assert StatusChange.objects.filter(patient=patient).count() == 1
    assert HospitalMessage.objects.get(control_id="MSG-0002").detail == "Admitted while paused: status unchanged."


# --- A03 discharge ----------------------------------------------------------------------------------


def test_discharge_puts_back_home_on_the_worklist_and_never_resumes_by_itself(patient):
    send(adt("A01", "MSG-0001"))
    ack = send(adt("A03", "MSG-0002"))
    assert ack["MSA-1"] == "AA"
    alice = reload(patient)
    assert alice.status == Patient.Status.PAUSED
    assert unsent(alice) == 0
    notice = HospitalNotice.objects.get(patient=alice)
    assert notice.kind == HospitalNotice.Kind.BACK_HOME and notice.is_open


def test_a_second_discharge_adds_no_second_back_home_notice(patient):
    send(adt("A01", "MSG-0001"))
    send(adt("A03", "MSG-0002"))
    send(adt("A03", "MSG-0003"))
    assert HospitalNotice.objects.filter(patient=patient, kind=HospitalNotice.Kind.BACK_HOME).count() == 1


def test_a_new_admission_withdraws_an_unanswered_back_home(patient):
    send(adt("A01", "MSG-0001"))
    send(adt("A03", "MSG-0002"))
    send(adt("A01", "MSG-0003"))
    notice = HospitalNotice.objects.get(patient=patient)
    assert not notice.is_open and notice.outcome == HospitalNotice.Outcome.SUPERSEDED
    assert reload(patient).status == Patient.Status.PAUSED


def test_discharge_of_a_patient_who_was_never_paused_asks_nothing(patient):
    ack = send(adt("A03", "MSG-0002"))
    assert ack["MSA-1"] == "AA"
    assert reload(patient).status == Patient.Status.ACTIVE
    assert not HospitalNotice.objects.exists()


# --- Deaths (PID-30 = Y with PID-29) ----------------------------------------------------------------


def test_death_in_a_discharge_is_recorded_at_its_time_and_stops_every_message(patient):
    send(adt("A01", "MSG-0001"))
    ack = send(adt("A03", "MSG-0002", pid={29: "20261201061500-0500", 30: "Y"}))
    assert ack["MSA-1"] == "AA"
    alice = reload(patient)
    assert alice.status == Patient.Status.DECEASED
    assert alice.status_changed_at == at("2026-12-01 11:15")
    assert not Reminder.objects.filter(patient=alice, state__in=UNSENT).exists()
    assert not Occurrence.objects.filter(patient=alice, state=Occurrence.State.SCHEDULED).exists()
    assert not HospitalNotice.objects.filter(patient=alice, closed_at__isnull=True).exists()  # no "back home?"
    assert "hospital record" in HospitalMessage.objects.get(control_id="MSG-0002").detail


def test_a_time_of_death_without_offset_is_the_clinic_local_time(patient):
    send(adt("A08", "MSG-0003", pid={29: "202612010615", 30: "Y"}))
    assert reload(patient).status_changed_at == at("2026-12-01 11:15")  # 06:15 in New York


def test_death_in_an_admission_is_recorded_not_a_pause(patient):
    send(adt("A01", "MSG-0004", pid={29: "20261201080000-0500", 30: "Y"}))
    assert reload(patient).status == Patient.Status.DECEASED
    assert list(StatusChange.objects.filter(patient=patient).values_list("to_status", flat=True)) == ["deceased"]


def test_death_of_a_patient_already_recorded_as_deceased_changes_nothing(patient):
    services.change_status(patient, Patient.Status.DECEASED, note="Family called", at=at("2026-12-01 10:00"))
    ack = send(adt("A03", "MSG-0005", pid={29: "20261201060000-0500", 30: "Y"}))
    assert ack["MSA-1"] == "AA"
    assert reload(patient).status_changed_at == at("2026-12-01 10:00")


def test_a_time_of_death_in_the_future_is_refused_and_changes_nothing(patient):
    before = unsent(patient)
    ack = send(adt("A03", "MSG-0006", pid={29: "20261202090000-0500", 30: "Y"}))
    assert ack["MSA-1"] == "AR" and ack["MSA-2"] == "MSG-0006"
    assert "future" in ack["MSA-3"]
    alice = reload(patient)
    assert alice.status == Patient.Status.ACTIVE and unsent(alice) == before
    assert HospitalMessage.objects.get(control_id="MSG-0006").outcome == HospitalMessage.Outcome.REFUSED


def test_a_future_time_of_death_in_an_update_undoes_the_name_change_too(patient):
    ack = send(adt("A08", "MSG-0007", name="Archer-Smith^Alice", pid={29: "20261202090000-0500", 30: "Y"}))
    assert ack["MSA-1"] == "AR"
    assert reload(patient).family_name == "Archer"


def test_a_death_without_its_time_asks_a_nurse_to_record_it(patient):
    ack = send(adt("A03", "MSG-0008", pid={30: "Y"}))
    assert ack["MSA-1"] == "AE"
    assert reload(patient).status == Patient.Status.ACTIVE
    notice = HospitalNotice.objects.get(patient=patient)
    assert notice.kind == HospitalNotice.Kind.DEATH_WITHOUT_TIME


# --- A08 update -----------------------------------------------------------------------------------


def test_update_changes_name_and_date_of_birth_and_keeps_the_old_ones_in_history(patient):
    ack = send(adt("A08", "MSG-0009", name="Núñez^José", dob="19480313"))
    assert ack["MSA-1"] == "AA"
    alice = reload(patient)
    assert (alice.given_name, alice.family_name, alice.date_of_birth) == ("José", "Núñez", date(1948, 3, 13))
    before = alice.history.order_by("-history_id")[1]
    assert (before.given_name, before.family_name) == ("Alice", "Archer")
    assert "ADT^A08" in alice.history.order_by("-history_id").first().history_change_reason


def test_update_reads_escaped_separators_in_a_name(patient):
    send(adt("A08", "MSG-0010", name="O'Brien \\T\\ Archer^Alice"))
    assert reload(patient).family_name == "O'Brien & Archer"


def test_a_new_phone_number_waits_for_a_nurse_and_texts_keep_going_to_the_old_one(patient):
    ack = send(adt("A08", "MSG-0011", pid={13: "^PRN^CP^^1^202^5550177"}))
    assert ack["MSA-1"] == "AA"
    alice = reload(patient)
    assert str(alice.mobile) == "+12025550101"
    notice = HospitalNotice.objects.get(patient=alice)
    assert notice.kind == HospitalNotice.Kind.PHONE_TO_CONFIRM and str(notice.new_mobile) == "+12025550177"


def test_the_same_phone_number_again_adds_no_second_notice(patient):
    send(adt("A08", "MSG-0012", pid={13: "^PRN^CP^^1^202^5550177"}))
    send(adt("A08", "MSG-0013", pid={13: "^PRN^CP^^1^202^5550177"}))
    assert HospitalNotice.objects.filter(patient=patient).count() == 1


def test_the_number_the_patient_already_has_asks_nothing(patient):
    send(adt("A08", "MSG-0014", pid={13: "^PRN^CP^^1^202^5550101"}))
    assert not HospitalNotice.objects.exists()


# --- A40 merge ------------------------------------------------------------------------------------


def test_a_merge_flags_both_patients_for_a_nurse_and_merges_nothing(patient, riverside):
    duplicate = make_patient(riverside, "RV-1099", "Alice", "Archer", mobile="+12025550102")
    ack = send(merge("MSG-0015", mrn="RV-1001", prior_mrn="RV-1099"))
    assert ack["MSA-1"] == "AA"
    flagged = HospitalNotice.objects.filter(kind=HospitalNotice.Kind.MERGED_RECORDS)
    assert {(n.patient_id, n.other_patient_id) for n in flagged} == {(patient.pk, duplicate.pk), (duplicate.pk, patient.pk)}
    assert Patient.objects.filter(pk__in=[patient.pk, duplicate.pk]).count() == 2
    assert reload(duplicate).mrn == "RV-1099"


def test_a_merge_with_a_record_followup_does_not_have_flags_the_one_it_has(patient):
    ack = send(merge("MSG-0016", mrn="RV-1001", prior_mrn="SM-55555"))
    assert ack["MSA-1"] == "AA"
    notice = HospitalNotice.objects.get()
    assert notice.patient_id == patient.pk and notice.other_patient is None


def test_a_merge_of_two_records_followup_does_not_have_is_not_applied(patient):
    assert send(merge("MSG-0017", mrn="SM-1", prior_mrn="SM-2"))["MSA-1"] == "AE"


# --- Matching -------------------------------------------------------------------------------------


def test_an_mrn_with_a_clinic_authority_matches_in_that_clinic_only(patient, hillcrest):
    twin = make_patient(hillcrest, "RV-1001", "Rosa", "Ruiz", mobile="+12025550152")
    send(adt("A01", "MSG-0018", authority="HILLCREST"))
    assert reload(twin).status == Patient.Status.PAUSED
    assert reload(patient).status == Patient.Status.ACTIVE


def test_an_authority_no_clinic_configured_matches_nobody(patient):
    ack = send(adt("A01", "MSG-0019", authority="OTHERHOSP"))
    assert ack["MSA-1"] == "AE"
    assert reload(patient).status == Patient.Status.ACTIVE


def test_an_mrn_without_authority_matches_when_one_clinic_has_it(patient):
    assert send(adt("A01", "MSG-0020", authority=""))["MSA-1"] == "AA"
    assert reload(patient).status == Patient.Status.PAUSED


def test_an_mrn_without_authority_in_two_clinics_is_not_applied_and_shown_to_both(patient, riverside, hillcrest):
    twin = make_patient(hillcrest, "RV-1001", "Rosa", "Ruiz", mobile="+12025550152")
    ack = send(adt("A01", "MSG-0021", authority=""))
    assert ack["MSA-1"] == "AE" and ack["MSA-2"] == "MSG-0021"
    assert reload(patient).status == reload(twin).status == Patient.Status.ACTIVE
    row = HospitalMessage.objects.get(control_id="MSG-0021")
    assert row.outcome == HospitalMessage.Outcome.NOT_APPLIED
    assert set(row.clinics.all()) == {riverside, hillcrest}
    assert "more than one clinic" in row.reason


def test_an_unknown_mrn_is_not_applied_and_kept_for_the_leads_of_the_authority(patient, riverside):
    ack = send(adt("A01", "MSG-0022", mrn="RV-9999"))
    assert ack["MSA-1"] == "AE"
    assert ack["ERR-3"].startswith("204")
    row = HospitalMessage.objects.get(control_id="MSG-0022")
    assert list(row.clinics.all()) == [riverside] and "RV-9999" in row.raw


def test_a_social_security_number_never_matches_an_mrn(patient):
    message = adt("A01", "MSG-0023").replace("RV-1001^^^STMARYS^MR", "RV-1001^^^SSA^SS")
    assert send(message)["MSA-1"] == "AR"  # PID-3 carries no MRN at all
    assert reload(patient).status == Patient.Status.ACTIVE


# --- Acknowledgements, repeats, audit ---------------------------------------------------------------


def test_a_repeated_message_id_changes_nothing_and_gets_the_same_ack(patient):
    first = intake.receive(adt("A01", "MSG-0024").encode())
    services.change_status(reload(patient), Patient.Status.ACTIVE, note="Back after one night")
    again = intake.receive(adt("A01", "MSG-0024").encode())
    assert again == first
    assert reload(patient).status == Patient.Status.ACTIVE
    assert HospitalMessage.objects.get(control_id="MSG-0024").repeats == 1


def test_a_repeated_refused_message_gets_the_same_refusal(patient):
    first = intake.receive(adt("A01", "MSG-0025", version="2.1").encode())
    assert intake.receive(adt("A01", "MSG-0025", version="2.1").encode()) == first
    assert HospitalMessage.objects.filter(control_id="MSG-0025").count() == 1


def test_an_applied_event_is_in_the_audit_log_as_the_hospital_doing(patient, riverside):
    send(adt("A01", "MSG-0026"), peer="10.20.0.7")
    entry = AccessLog.objects.get(patient_id=patient.pk, method="HL7")
    assert entry.user_id is None and entry.username == "hospital: STMARYS"
    assert entry.clinic_id == riverside.pk and entry.action == AccessLog.Action.CHANGE
    assert entry.what.startswith("HL7 ADT^A01: Paused") and entry.path == "MSH-10 MSG-0026"
    assert entry.ip == "10.20.0.7"


def test_an_event_followup_does_not_use_is_acknowledged_and_changes_nothing(patient):
    ack = send(adt("A02", "MSG-0027"))
    assert ack["MSA-1"] == "AA"
    assert reload(patient).status == Patient.Status.ACTIVE
    assert HospitalMessage.objects.get(control_id="MSG-0027").outcome == HospitalMessage.Outcome.IGNORED


@pytest.mark.parametrize("message, reason", [
    ("EVN|A01|20261201093000\rPID|1||RV-1001^^^STMARYS^MR\r", "does not begin with an MSH"),
    (adt("A01", "MSG-0030", version="2.2"), "version 2.2 is not supported"),
    (adt("A01", "MSG-0031", version="3.0"), "version 3.0 is not supported"),
    (adt("A01", "MSG-0032", message_type="ORU^R01"), "Message type ORU"),
    (adt("A01", "MSG-0033").split("\rPID")[0] + "\r", "needs a PID segment"),
    (adt("A01", "MSG-0034", dob="19XX0101"), "PID-7"),
    (adt("A01", "MSG-0035", pid={30: "MAYBE"}), "PID-30"),
    (adt("A03", "MSG-0036", pid={29: "2026-12-01", 30: "Y"}), "PID-29"),
    (adt("A01", ""), "MSH-10"),
], ids=["no MSH", "v2.2", "v3", "not ADT", "no PID", "bad birth date", "bad death indicator", "bad time of death",
        "no message id"])
def test_a_malformed_message_is_refused_with_its_reason_and_changes_nothing(patient, message, reason):
    before = (unsent(patient), StatusChange.objects.count(), HospitalNotice.objects.count(), AccessLog.objects.count())
    ack = send(message)
    assert ack["MSA-1"] == "AR"
    assert reason in ack["MSA-3"]
    assert reload(patient).status == Patient.Status.ACTIVE
    assert (unsent(patient), StatusChange.objects.count(), HospitalNotice.objects.count(), AccessLog.objects.count()) == before
    assert HospitalMessage.objects.get().outcome == HospitalMessage.Outcome.REFUSED


def test_every_ack_answers_the_message_id_it_acknowledges(patient):
    for control_id, event in (("A-1", "A01"), ("A-2", "A03"), ("A-3", "A08"), ("A-4", "A02")):
        ack = send(adt(event, control_id))
        assert ack["MSA-2"] == control_id
        assert ack["MSH-9"] == f"ACK^{event}^ACK"
