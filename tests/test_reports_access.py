"""Who sees the reports: clinical leads, for the clinics they lead, and nobody else."""

import pytest

from followup.models import Membership, Procedure

from .conftest import at, make_staff

REPORT_URLS = ["/reports/", "/reports/frequency/", "/reports/patients/", "/reports/drainages/", "/reports/reminders/",
               "/reports/symptoms/", "/reports/export/drainages.csv", "/reports/export/patients.csv"]
RANGE = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def drained(alice, carmen):
    """One drainage at Riverside (Alice) and one at Hillcrest (Carmen), in March 2026."""
    Procedure.objects.create(patient=alice, performed_at=at("2026-03-10 14:00"), volume_ml=4000)
    Procedure.objects.create(patient=carmen, performed_at=at("2026-03-11 18:00"), volume_ml=2500)


@pytest.mark.parametrize("url", REPORT_URLS)
def test_nurse_without_the_lead_role_gets_403(client, nina, url):
    client.force_login(nina)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", REPORT_URLS)
def test_signed_out_visitor_is_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("url", REPORT_URLS)
def test_lead_gets_every_report(client, leo, url):
    client.force_login(leo)
    assert client.get(url).status_code == 200


def test_lead_sees_only_the_clinics_they_lead(client, leo, hillcrest, drained):
    client.force_login(leo)
    response = client.get("/reports/drainages/", RANGE)
    body = response.content.decode()
    assert "Archer, Alice" in body
    assert "Cruz" not in body
    assert "Hillcrest" not in body  # not even as a choice in the clinic filter


def test_another_clinics_id_in_the_filter_is_a_field_error_and_shows_nothing(client, leo, hillcrest, drained):
    client.force_login(leo)
    response = client.get("/reports/drainages/", {**RANGE, "clinic": hillcrest.pk})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose one of the clinics you lead." in body
    assert "Archer" not in body and "Cruz" not in body


def test_another_clinics_id_in_an_export_is_refused(client, leo, hillcrest, drained):
    client.force_login(leo)
    response = client.get("/reports/export/drainage-log.csv", {**RANGE, "clinic": hillcrest.pk})
    assert response.status_code == 400
    assert "Choose one of the clinics you lead." in response.content.decode()


def test_lead_of_one_clinic_and_nurse_of_another_sees_only_the_one_they_lead(client, riverside, hillcrest, drained):
    mia = make_staff("mia", riverside, Membership.Role.LEAD)
    Membership.objects.create(user=mia, clinic=hillcrest, role=Membership.Role.NURSE)
    client.force_login(mia)
    body = client.get("/reports/drainages/", RANGE).content.decode()
    assert "Archer, Alice" in body and "Cruz" not in body
    assert client.get("/reports/drainages/", {**RANGE, "clinic": hillcrest.pk}).status_code == 400


def test_lead_of_two_clinics_can_narrow_to_one(client, riverside, hillcrest, drained):
    lena = make_staff("lena", riverside, Membership.Role.LEAD)
    Membership.objects.create(user=lena, clinic=hillcrest, role=Membership.Role.LEAD)
    client.force_login(lena)
    both = client.get("/reports/drainages/", RANGE).content.decode()
    assert "Archer, Alice" in both and "Cruz, Carmen" in both
    one = client.get("/reports/drainages/", {**RANGE, "clinic": hillcrest.pk}).content.decode()
    assert "Cruz, Carmen" in one and "Archer" not in one


def test_unknown_table_export_is_404(client, leo):
    client.force_login(leo)
    assert client.get("/reports/export/passwords.csv").status_code == 404


def test_index_lists_every_report(client, leo):
    client.force_login(leo)
    body = client.get("/reports/").content.decode()
    for title in ("Procedure frequency", "Drainages per patient", "Drainage log", "Reminder delivery", "Symptom burden"):
        assert title in body
