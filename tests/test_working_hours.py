"""A clinic's working week and on-call contacts: when the team is open, when it next opens, how
many working hours have passed. Riverside is in New York; February 2026 is EST (UTC-5), so 09:00
there is 14:00 UTC. Monday 9 February 2026 is a Monday.
"""

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from followup.models import OnCallContact, WorkingHours
from tests.conftest import at


def test_a_clinic_without_working_hours_works_weekdays_nine_to_five(riverside):
    assert riverside.is_open(at("2026-02-09 14:00"))  # Monday 09:00
    assert not riverside.is_open(at("2026-02-09 13:59"))  # Monday 08:59
    assert not riverside.is_open(at("2026-02-09 22:00"))  # Monday 17:00: closed
    assert not riverside.is_open(at("2026-02-14 15:00"))  # Saturday 10:00


def test_next_opening_after_friday_evening_is_monday_morning(riverside):
    assert riverside.next_opening(at("2026-02-13 23:00")) == at("2026-02-16 14:00")


def test_next_opening_while_open_is_the_moment_itself(riverside):
    assert riverside.next_opening(at("2026-02-10 16:00")) == at("2026-02-10 16:00")


def test_working_hours_set_by_the_clinic_replace_the_default(riverside):
    WorkingHours.objects.create(clinic=riverside, weekday=5, opens_at=time(10), closes_at=time(14))
    riverside.refresh_from_db()
    assert riverside.is_open(at("2026-02-14 16:00"))  # Saturday 11:00
    assert not riverside.is_open(at("2026-02-09 15:00"))  # Monday is no longer a working day
    assert riverside.calling_window(at("2026-02-14 16:00").date()) == (at("2026-02-14 15:00"), at("2026-02-14 19:00"))


def test_working_hours_count_only_while_the_team_works(riverside):
    # Four working hours from Monday 15:00: two on Monday, two on Tuesday morning.
    assert riverside.after_working_hours(at("2026-02-09 20:00"), 4) == at("2026-02-10 16:00")
    # From 03:00, the clock starts at 09:00.
    assert riverside.after_working_hours(at("2026-02-10 08:00"), 4) == at("2026-02-10 18:00")


def test_working_day_keeps_its_wall_clock_time_across_the_spring_change(riverside):
    # Monday 9 March 2026 is EDT (UTC-4): 09:00 is 13:00 UTC.
    assert riverside.next_opening(at("2026-03-07 12:00")) == at("2026-03-09 13:00")


def test_a_working_day_must_close_after_it_opens(riverside):
    day = WorkingHours(clinic=riverside, weekday=0, opens_at=time(17), closes_at=time(9))
    with pytest.raises(ValidationError) as refused:
        day.full_clean()
    assert "closes_at" in refused.value.message_dict


def test_an_on_call_contact_needs_a_mobile_or_an_email(riverside):
    contact = OnCallContact(clinic=riverside, name="Dr. O'Brien")
    with pytest.raises(ValidationError) as refused:
        contact.full_clean()
    assert "mobile" in refused.value.message_dict


def test_an_on_call_contact_with_only_an_email_is_fine(riverside):
    contact = OnCallContact(clinic=riverside, name="José Núñez", email="jose@example.org")
    contact.full_clean()
    assert contact.channels == ["email"]


def test_out_of_hours_number_falls_back_to_the_team_number(riverside):
    assert riverside.out_of_hours_number == riverside.phone
    riverside.out_of_hours_phone = "+12025550199"
    assert riverside.out_of_hours_number.as_e164 == "+12025550199"
