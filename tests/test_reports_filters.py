"""The filter every report shares: defaults, bad input, and an empty range."""

import pytest
import time_machine

from followup.models import Procedure

from .conftest import at

PAGES = ["/reports/frequency/", "/reports/patients/", "/reports/drainages/", "/reports/reminders/", "/reports/symptoms/"]


@pytest.fixture
def signed_in(client, leo):
    client.force_login(leo)
    return client


@time_machine.travel(at("2026-03-25 16:00"), tick=False)
def test_default_range_is_the_last_twelve_weeks_up_to_today(signed_in):
    body = signed_in.get("/reports/frequency/").content.decode()
    assert 'value="2026-01-01"' in body  # 84 days: 1 January to 25 March, both included
    assert 'value="2026-03-25"' in body
    assert "1 Jan 2026 to 25 Mar 2026" in body


@time_machine.travel(at("2026-03-26 02:00"), tick=False)
def test_today_is_the_clinics_local_date(signed_in):
    """02:00 UTC on 26 March is still the evening of 25 March in New York."""
    assert 'value="2026-03-25"' in signed_in.get("/reports/frequency/").content.decode()


@pytest.mark.parametrize("url", PAGES)
def test_a_bad_date_is_a_field_error_that_keeps_what_was_typed(signed_in, url):
    response = signed_in.get(url, {"start": "2026-02-31", "end": "2026-03-31"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid date." in body
    assert 'value="2026-02-31"' in body
    assert "Correct the filter above to see the figures." in body


def test_an_end_before_the_start_is_a_field_error(signed_in):
    response = signed_in.get("/reports/frequency/", {"start": "2026-03-31", "end": "2026-03-01"})
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()


def test_a_range_longer_than_three_years_is_refused(signed_in):
    response = signed_in.get("/reports/frequency/", {"start": "2020-01-01", "end": "2026-03-01"})
    assert response.status_code == 400
    assert "Choose a range of at most three years." in response.content.decode()


def test_a_bad_period_is_a_field_error(signed_in):
    response = signed_in.get("/reports/frequency/", {"start": "2026-03-01", "end": "2026-03-31", "period": "decade"})
    assert response.status_code == 400


def test_a_bad_filter_on_an_export_answers_400_with_the_field_message(signed_in):
    response = signed_in.get("/reports/export/drainages.csv", {"start": "yesterday"})
    assert response.status_code == 400
    assert response.content.decode() == "From: Enter a valid date."


@pytest.mark.parametrize("url, message", [
    ("/reports/frequency/", "No drainages were recorded in this range."),
    ("/reports/frequency/", "No check-in calls were due in this range."),
    ("/reports/patients/", "No patient had a drainage in this range."),
    ("/reports/drainages/", "No drainages were recorded in this range."),
    ("/reports/reminders/", "No reminders were due to go out in this range."),
    ("/reports/reminders/", "Nobody opted out of messages in this range."),
    ("/reports/symptoms/", "No symptom reports in this range."),
    ("/reports/symptoms/", "No severe symptom alerts in this range."),
])
def test_an_empty_range_shows_an_empty_state(signed_in, alice, url, message):
    Procedure.objects.create(patient=alice, performed_at=at("2026-03-10 14:00"))  # outside the range asked for
    response = signed_in.get(url, {"start": "2025-06-01", "end": "2025-06-30"})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_nonsense_page_and_sort_parameters_fall_back_quietly(signed_in, alice):
    Procedure.objects.create(patient=alice, performed_at=at("2026-03-10 14:00"))
    response = signed_in.get("/reports/patients/", {"start": "2026-03-01", "end": "2026-03-31", "page": "x", "sort": "1;drop"})
    assert response.status_code == 200
    assert "Archer, Alice" in response.content.decode()
