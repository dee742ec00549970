"""What people see of the hospital's messages: nurse Nina answers "From the hospital" on her worklist;
clinical lead Leo reads the page of recent messages; operators scrape /metrics.

Alice (RV-1001) is enrolled at Riverside Palliative Care, whose hospital assigning authority is
STMARYS; Hillcrest Hospice has its own lead, Hana.
"""

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from followup import services
from followup.hospital import intake
from followup.models import HospitalNotice, Membership, Patient, Reminder
from tests.conftest import at, make_staff
from tests.hl7_messages import adt

T0 = at("2026-12-01 14:30")
UNSENT = (Reminder.State.PLANNED, Reminder.State.QUEUED)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(T0, tick=False)


@pytest.fixture
def patient(riverside, alice):
    riverside.hl7_assigning_authority = "STMARYS"
    riverside.save(update_fields=["hl7_assigning_authority"])
    services.enrol(alice)
    return alice


@pytest.fixture
def back_home(patient):
    intake.receive(adt("A01", "MSG-2001"))
    intake.receive(adt("A03", "MSG-2002"))
    return HospitalNotice.objects.get(patient=patient, kind=HospitalNotice.Kind.BACK_HOME)


@pytest.fixture
def new_phone(patient):
    intake.receive(adt("A08", "MSG-2003", pid={13: "^PRN^CP^^1^202^5550177"}))
    return HospitalNotice.objects.get(patient=patient, kind=HospitalNotice.Kind.PHONE_TO_CONFIRM)


@pytest.fixture
def hana(hillcrest):
    return make_staff("hana", hillcrest, Membership.Role.LEAD)


def answer(client, notice, outcome, **data):
    return client.post(reverse("answer_hospital_notice", args=[notice.pk, outcome]), {"next": "/", **data})


def test_back_home_is_on_the_worklist_and_resuming_plans_the_reminders_again(client, nina, back_home):
    client.force_login(nina)
    page = client.get(reverse("worklist")).content.decode()
    assert "From the hospital" in page and "Back home: resume" in page and "Alice Archer" in page
    assert not Reminder.objects.filter(patient=back_home.patient, state__in=UNSENT).exists()
    assert answer(client, back_home, "resumed").status_code == 302
    alice = Patient.objects.get(pk=back_home.patient_id)
    assert alice.status == Patient.Status.ACTIVE and alice.status_changed_by == nina
    assert Reminder.objects.filter(patient=alice, state__in=UNSENT).exists()
    back_home.refresh_from_db()
    assert back_home.outcome == HospitalNotice.Outcome.RESUMED and back_home.closed_by == nina
    assert "Back home: resume" not in client.get(reverse("worklist")).content.decode()


def test_keep_paused_leaves_the_patient_paused(client, nina, back_home):
    client.force_login(nina)
    answer(client, back_home, "kept_paused")
    assert Patient.objects.get(pk=back_home.patient_id).status == Patient.Status.PAUSED


def test_a_second_answer_changes_nothing(client, nina, leo, back_home):
    client.force_login(nina)
    answer(client, back_home, "resumed")
    services.change_status(back_home.patient, Patient.Status.PAUSED, note="Respite")
    client.force_login(leo)
    response = client.post(reverse("answer_hospital_notice", args=[back_home.pk, "resumed"]), HTTP_HX_REQUEST="true")
    assert "Someone had already answered this." in response.content.decode()
    assert Patient.objects.get(pk=back_home.patient_id).status == Patient.Status.PAUSED


def test_using_the_new_number_without_consent_holds_texts_until_consent_is_recorded(client, nina, new_phone):
    client.force_login(nina)
    assert "+12025550177" in client.get(reverse("worklist")).content.decode()
    answer(client, new_phone, "number_used")
    alice = Patient.objects.get(pk=new_phone.patient_id)
    assert str(alice.mobile) == "+12025550177"
    assert alice.consent_at is None and not alice.may_be_messaged


def test_using_the_new_number_with_consent_records_how_it_was_given(client, nina, new_phone):
    client.force_login(nina)
    answer(client, new_phone, "number_used", consent="on", consent_source="verbal, on the phone",
           consent_given_by="the patient")
    alice = Patient.objects.get(pk=new_phone.patient_id)
    assert str(alice.mobile) == "+12025550177" and alice.may_be_messaged
    assert alice.consent_source == "verbal, on the phone" and alice.consent_at == T0
    assert alice.consent_given_by == "the patient"


def test_a_new_number_never_lifts_an_opt_out(client, nina, new_phone):
    Patient.objects.filter(pk=new_phone.patient_id).update(opted_out_at=T0, opted_out_source="SMS STOP")
    client.force_login(nina)
    answer(client, new_phone, "number_used", consent="on", consent_source="verbal", consent_given_by="the patient")
    alice = Patient.objects.get(pk=new_phone.patient_id)
    assert str(alice.mobile) == "+12025550177"
    assert alice.opted_out_at == T0 and not alice.may_be_messaged


def test_consent_without_saying_how_is_refused_and_keeps_the_old_number(client, nina, new_phone):
    client.force_login(nina)
    response = answer(client, new_phone, "number_used", consent="on", consent_source=" ", consent_given_by="the patient")
    assert response.status_code == 302
    assert str(Patient.objects.get(pk=new_phone.patient_id).mobile) == "+12025550101"
    new_phone.refresh_from_db()
    assert new_phone.is_open


def test_keeping_the_current_number_changes_nothing(client, nina, new_phone):
    client.force_login(nina)
    answer(client, new_phone, "number_kept")
    assert str(Patient.objects.get(pk=new_phone.patient_id).mobile) == "+12025550101"


def test_a_nurse_of_another_clinic_cannot_answer(client, noah, back_home):
    client.force_login(noah)
    assert answer(client, back_home, "resumed").status_code == 404
    assert Patient.objects.get(pk=back_home.patient_id).status == Patient.Status.PAUSED


def test_an_answer_that_does_not_fit_the_notice_is_a_404(client, nina, back_home):
    client.force_login(nina)
    assert answer(client, back_home, "number_used").status_code == 404


def test_notices_of_a_patient_who_died_leave_the_worklist(client, nina, back_home):
    services.change_status(back_home.patient, Patient.Status.DECEASED, note="Family called", at=T0)
    client.force_login(nina)
    assert "Back home: resume" not in client.get(reverse("worklist")).content.decode()


def test_the_lead_sees_recent_messages_applied_not_applied_and_refused_with_reasons(client, leo, patient):
    intake.receive(adt("A01", "MSG-2101"))
    intake.receive(adt("A01", "MSG-2102", mrn="RV-9999"))
    intake.receive(adt("A01", "MSG-2103", version="2.1"))
    client.force_login(leo)
    page = client.get(reverse("hospital_messages")).content.decode()
    assert "MSG-2101" in page and "Paused: hospital admission" in page and "Alice Archer" in page
    assert "MSG-2102" in page and "No patient in Followup has the MRN" in page
    assert "MSG-2103" in page and "HL7 version 2.1 is not supported" in page
    refused_only = client.get(reverse("hospital_messages"), {"outcome": "refused"}).content.decode()
    assert "MSG-2103" in refused_only and "MSG-2101" not in refused_only


def test_nurses_do_not_get_the_leads_page(client, nina):
    client.force_login(nina)
    assert client.get(reverse("hospital_messages")).status_code == 403


def test_another_clinic_lead_sees_unattributed_messages_but_not_riverside_patients(client, hana, patient):
    intake.receive(adt("A01", "MSG-2201"))
    intake.receive("garbage that is no HL7 at all")
    client.force_login(hana)
    page = client.get(reverse("hospital_messages")).content.decode()
    assert "MSG-2201" not in page and "Alice" not in page
    assert "does not begin with an MSH segment" in page


def test_an_unknown_outcome_filter_is_a_400_with_the_form(client, leo):
    client.force_login(leo)
    assert client.get(reverse("hospital_messages"), {"outcome": "bogus"}).status_code == 400


def test_metrics_count_hospital_messages_by_outcome_and_open_notices(client, settings, patient):
    settings.METRICS_TOKEN = "metrics-token-for-the-tests-0123456789"
    intake.receive(adt("A01", "MSG-2301"))
    intake.receive(adt("A01", "MSG-2301"))  # a repeat
    intake.receive(adt("A03", "MSG-2302"))
    intake.receive(adt("A01", "MSG-2303", mrn="RV-9999"))
    intake.receive(adt("A01", "MSG-2304", version="2.1"))
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}")
    found = {(sample.name, *sorted(sample.labels.items())): sample.value
             for family in text_string_to_metric_families(response.content.decode()) for sample in family.samples}
    assert found[("followup_hospital_messages_total", ("outcome", "applied"))] == 2
    assert found[("followup_hospital_messages_total", ("outcome", "not_applied"))] == 1
    assert found[("followup_hospital_messages_total", ("outcome", "refused"))] == 1
    assert found[("followup_hospital_message_repeats_total",)] == 1
    assert found[("followup_hospital_notices_open", ("kind", "back_home"))] == 1
    assert found[("followup_hospital_last_message_age_seconds",)] == 0
    assert "RV-1001" not in response.content.decode()
