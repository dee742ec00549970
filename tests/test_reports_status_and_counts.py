"""Reports say whose figures they are and out of how many: the per-patient tables show each
patient's status and show active patients unless asked for all; every percentage carries its n, on
the page and on the chart; and an open check-in past its day is "Overdue", as on the worklist."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from followup.models import Procedure, SymptomReport
from tests.conftest import at

TODAY = at("2026-03-20 16:00")


@pytest.fixture
def drained_every_week(alice, bob):
    """Alice (active) and Bob (died on 15 March) were drained every 7 days in February and March."""
    for patient in (alice, bob):
        for week in range(5):
            Procedure.objects.create(patient=patient, kind="paracentesis", performed_at=at("2026-02-10 15:00") + timedelta(weeks=week),
                                     volume_ml=3000)
    bob.status, bob.status_changed_at = "deceased", at("2026-03-15 12:00")
    bob.save()
    return alice, bob


@pytest.fixture
def signed_in_lead(client, leo):
    client.force_login(leo)
    return client


RANGE = {"start": "2026-02-01", "end": "2026-03-20"}


@time_machine.travel(TODAY, tick=False)
def test_drainages_per_patient_shows_active_patients_by_default(signed_in_lead, drained_every_week):
    page = signed_in_lead.get("/reports/patients/", RANGE).content.decode()
    assert "Archer, Alice" in page
    assert "Baker, Bob" not in page
    assert '<option value="active" selected>Active patients</option>' in page


@time_machine.travel(TODAY, tick=False)
def test_all_patients_shows_the_deceased_with_their_status_and_no_catheter_advisory(signed_in_lead, drained_every_week):
    page = signed_in_lead.get("/reports/patients/", {**RANGE, "status": "all"}).content.decode()
    bob_row = page[page.index("Baker, Bob"):].split("</tr>")[0]
    alice_row = page[page.index("Archer, Alice"):].split("</tr>")[0]
    assert "Deceased" in bob_row and "Median 7 days" not in bob_row
    assert "Active" in alice_row and "Median 7 days (14 or less)" in alice_row


@time_machine.travel(TODAY, tick=False)
def test_the_export_follows_the_status_filter(signed_in_lead, drained_every_week):
    def exported(**query):
        response = signed_in_lead.get("/reports/export/patients.csv", {**RANGE, **query})
        return b"".join(response.streaming_content).decode("utf-8-sig")

    assert "Baker" not in exported() and "Baker" in exported(status="all") and "Archer" not in exported(status="deceased")


@time_machine.travel(TODAY, tick=False)
def test_the_drainage_log_has_a_status_column_and_the_same_filter(signed_in_lead, drained_every_week):
    page = signed_in_lead.get("/reports/drainages/", {**RANGE, "status": "deceased"}).content.decode()
    assert "Baker, Bob" in page and "Archer, Alice" not in page
    assert '<th scope="col" class="">Status</th>' in page


@time_machine.travel(TODAY, tick=False)
def test_an_unknown_status_is_a_field_error(signed_in_lead, drained_every_week):
    response = signed_in_lead.get("/reports/patients/", {**RANGE, "status": "asleep"})
    assert response.status_code == 400
    assert "Choose a patient status, or all patients." in response.content.decode()


@time_machine.travel(TODAY, tick=False)
def test_a_share_of_severe_reports_says_how_many_reports_it_is_of(signed_in_lead, alice):
    for day, pain in (("2026-03-02", 8), ("2026-03-05", 9), ("2026-03-09", 2)):
        SymptomReport.objects.create(patient=alice, reported_at=at(f"{day} 15:00"), completed_by="patient", source="web", pain=pain)
    page = signed_in_lead.get("/reports/symptoms/", RANGE).content.decode()
    assert '<td class="num">66.7 (n=3)</td>' in page  # the table
    assert ">n=3</text>" in page  # under the bar
    assert "2026-03 - 66.7% (n=3)" in page  # the bar's own title
    assert "(2026-03, n=3)" in page  # the text alternative


@time_machine.travel(TODAY, tick=False)
def test_report_dates_are_written_the_locales_way_on_the_page(signed_in_lead, drained_every_week):
    page = signed_in_lead.get("/reports/drainages/", RANGE).content.decode()
    assert "10 Mar 2026" in page  # the last drainages
    assert "2026-03-10" not in page.split("<tbody>")[1]
    assert timezone.now().date().isoformat() == "2026-03-20"
