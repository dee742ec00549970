"""A form shown on its own page keeps its heading and the patient's name after a refusal, whether
the browser posted it with HTMX (the form replaces itself) or as a plain page."""

import pytest
import time_machine

from followup import services
from followup.models import Occurrence
from tests.conftest import at

TODAY = at("2026-03-20 15:00")


@pytest.fixture
def alice_enrolled(alice):
    with time_machine.travel(at("2026-03-02 14:00"), tick=False):
        services.enrol(alice)
    return alice


@pytest.fixture
def signed_in(client, nina):
    client.force_login(nina)
    return client


def forms_with_bad_input(patient):
    occurrence = patient.occurrences.filter(state=Occurrence.State.SCHEDULED).first()
    return [
        (f"/patients/{patient.pk}/drainages/", {"performed_at": "not a time"}, "Record a drainage"),
        (f"/patients/{patient.pk}/checkins/", {"pain": "11"}, "Log a check-in call"),
        (f"/occurrences/{occurrence.pk}/reschedule/", {"due_at": "2019-01-01T09:00"}, f"Move the {occurrence.get_kind_display().lower()}"),
        (f"/patients/{patient.pk}/interval/", {"kind": "paracentesis", "count": "", "unit": "days"}, "Change the drainage (paracentesis) interval"),
    ]


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("form", range(4), ids=["drainage", "check-in", "reschedule", "interval"])
def test_a_form_on_its_own_page_keeps_its_heading_and_patient_after_an_htmx_refusal(signed_in, alice_enrolled, form):
    url, data, heading = forms_with_bad_input(alice_enrolled)[form]
    response = signed_in.post(url, {**data, "page": "1"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert "has-error" in page or "form-errors" in page
    assert f"<h1>{heading}" in page
    assert "Alice Archer" in page
    assert 'name="page" value="1"' in page  # and keeps it for the next try


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("form", range(4), ids=["drainage", "check-in", "reschedule", "interval"])
def test_a_form_on_its_own_page_keeps_its_heading_and_patient_without_javascript(signed_in, alice_enrolled, form):
    url, data, heading = forms_with_bad_input(alice_enrolled)[form]
    page = signed_in.post(url, {**data, "page": "1"}).content.decode()
    assert f"<h1>{heading}" in page
    assert "Alice Archer" in page


@time_machine.travel(TODAY, tick=False)
def test_the_inline_form_on_the_patient_page_stays_inline_after_a_refusal(signed_in, alice_enrolled):
    response = signed_in.post(f"/patients/{alice_enrolled.pk}/drainages/", {"performed_at": "not a time"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<h1>" not in page  # the patient page's own section heading stays around it
    assert "has-error" in page
