"""A nurse runs her day from the worklist: an overdue drainage, recorded from the patient page."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import dateformat, timezone
from playwright.sync_api import expect

from followup import scheduling, services
from followup.models import Occurrence, Procedure

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def section(page, title):
    return page.locator("section", has=page.get_by_role("heading", name=re.compile(f"^{re.escape(title)}")))


@pytest.fixture
def overdue_alice(alice):
    """Alice was enrolled 24 days ago at the clinic's 3-week interval: her drainage is 3 days overdue."""
    with time_machine.travel(timezone.now() - timedelta(days=24)):
        services.enrol(alice)
    return alice


def open_drainage(patient):
    return Occurrence.objects.get(patient=patient, kind="paracentesis", state="scheduled")


def shown(moment, zone):
    """How the patient page prints a due time: in the patient's zone."""
    return dateformat.format(moment.astimezone(zone), "D j M Y")


def test_nurse_records_an_overdue_drainage_and_sees_the_next_date_move(site, laptop, overdue_alice, screenshot):
    alice = overdue_alice
    before = open_drainage(alice)

    sign_in(laptop, site.url, "nina")
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Worklist")
    alice_row = laptop.locator("table.calls tbody tr", has_text="Archer, Alice")
    expect(alice_row).to_contain_text("Drainage overdue since")
    screenshot(laptop, "1-worklist")

    alice_row.get_by_role("link", name="Archer, Alice", exact=True).click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Alice Archer")
    upcoming = section(laptop, "Upcoming")
    expect(upcoming).to_contain_text(shown(before.due_at, alice.zone))
    screenshot(laptop, "2-patient-before")

    drainage = section(laptop, "Record a drainage")
    drainage.get_by_label("Volume drained (ml)").fill("4500")
    drainage.get_by_role("button", name="Record drainage").click()
    expect(laptop.get_by_role("status")).to_contain_text("Drainage recorded")

    after = open_drainage(alice)
    assert after.pk != before.pk
    expect(section(laptop, "Upcoming")).to_contain_text(shown(after.due_at, alice.zone))
    expect(section(laptop, "Upcoming")).not_to_contain_text(shown(before.due_at, alice.zone))
    screenshot(laptop, "3-patient-after")
    before.refresh_from_db()
    assert before.state == "done"
    assert after.due_date == scheduling.local_date(timezone.now(), alice.zone) + timedelta(days=21)
    assert Procedure.objects.get(patient=alice).volume_ml == 4500

    laptop.get_by_role("link", name="Worklist").first.click()
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Worklist")
    expect(laptop.locator("table.calls tbody tr", has_text="Drainage overdue")).to_have_count(0)
    screenshot(laptop, "4-worklist-after")
