"""The nurse's screens in Chromium: the worklist for calling at 1366x768 (at least 15 patients on one
screen) and on a 390 px phone, a severe alert acknowledged from its row, and the patient page in each
status; axe-core finds no serious or critical problem on any of them."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followup import scheduling, services
from followup.models import Alert, Caregiver, CareSchedule, Kind, Occurrence, SymptomReport

from ..conftest import make_alert, make_patient
from .conftest import PHONE, serious_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1366, "height": 768}}
NAMES = ["Ada Abbott", "Ben O'Brien", "Chloé Dubois", "Dev Patel", "Elena Ruiz", "Frank Osei", "Grace Kim", "Hugo Lambert",
         "Ines Ferreira", "Jamal Wright", "Kate Nguyen", "Luis Ortega", "Mia Rossi", "Noor Haddad", "Omar Said", "Pia Larsen",
         "Quinn Moss", "Rosa Díaz", "Sam Taylor", "Tara Singh"]


# axe-core is injected as a script tag, which the pages' Content Security Policy refuses: these
# contexts bypass CSP for the audit only.
@pytest.fixture
def desktop(new_context):
    return new_context(**DESKTOP, bypass_csp=True).new_page()


@pytest.fixture
def phone(new_context):
    return new_context(**PHONE, bypass_csp=True).new_page()


def open_item(patient, kind, days):
    schedule, _ = CareSchedule.objects.get_or_create(patient=patient, kind=kind, active=True)
    day = scheduling.local_date(timezone.now(), patient.zone) + timedelta(days=days)
    return Occurrence.objects.create(schedule=schedule, patient=patient, kind=kind, due_date=day,
                                     due_at=scheduling.at_local(day, datetime.min.time().replace(hour=9), patient.zone))


@pytest.fixture
def busy_clinic(riverside, nina, alice, bob):
    """Twenty-two patients with something due: a severe report, overdue drainages and calls, today, this week."""
    report = SymptomReport.objects.create(patient=alice, completed_by="patient", source="web", pain=9, nausea=4)
    make_alert(report, ("pain", 9))
    open_item(alice, Kind.CHECKIN, 1)
    open_item(bob, Kind.PARACENTESIS, -2)
    for index, name in enumerate(NAMES):
        given, family = name.split(" ", 1)
        patient = make_patient(riverside, f"RV-2{index:03d}", given, family, nurse=nina, mobile=f"+120255501{index + 20:02d}",
                               phase="deteriorating" if index % 6 == 0 else "stable", language="es" if index % 5 == 0 else "en")
        if index % 7 == 3:
            patient.mobile = ""
            patient.preferred_channel = "none"
            patient.save()
            Caregiver.objects.create(patient=patient, name=f"Sol {family}", relationship="son", mobile=f"+120255501{index + 50:02d}")
        open_item(patient, Kind.CHECKIN if index % 2 else Kind.PARACENTESIS, (index % 9) - 3)
    return alice


def test_the_worklist_shows_fifteen_patients_on_one_laptop_screen(site, desktop, busy_clinic, screenshot):
    sign_in(desktop, site.url, "nina")
    rows = desktop.locator("table.calls tbody tr")
    expect(rows.first).to_contain_text("Archer, Alice")  # the severe report first
    screenshot(desktop, "worklist-1366")
    visible = [box for box in (rows.nth(i).bounding_box() for i in range(rows.count())) if box["y"] + box["height"] <= 768]
    assert len(visible) >= 15, f"{len(visible)} rows fit on the screen"
    assert desktop.evaluate("document.documentElement.scrollWidth") <= 1366
    assert serious_violations(desktop) == []


def test_the_worklist_is_usable_on_a_phone(site, phone, busy_clinic, screenshot):
    sign_in(phone, site.url, "nina")
    first = phone.locator("table.calls tbody tr").first
    expect(first).to_contain_text("Archer, Alice")
    tel = first.locator("a.tel")
    box = tel.bounding_box()
    assert box["height"] >= 44  # a thumb can ring the patient
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "worklist-390")
    assert serious_violations(phone) == []


def test_a_filter_chip_keeps_its_choice_in_the_url(site, desktop, busy_clinic):
    sign_in(desktop, site.url, "nina")
    desktop.get_by_role("link", name=re.compile(r"^Overdue \d+")).click()
    expect(desktop).to_have_url(re.compile(r"filter=overdue"))
    expect(desktop.get_by_role("link", name=re.compile(r"^Overdue \d+"))).to_have_attribute("aria-current", "true")
    for text in desktop.locator("table.calls tbody tr td.due").all_inner_texts():
        assert "overdue" in text


def test_a_nurse_acknowledges_a_severe_alert_from_its_row(site, desktop, busy_clinic, screenshot):
    sign_in(desktop, site.url, "nina")
    row = desktop.locator("table.calls tbody tr", has_text="Archer, Alice")
    row.get_by_role("combobox", name=re.compile("^What was done")).select_option("called_patient")
    row.get_by_role("button", name=re.compile("^Acknowledge")).click()
    expect(desktop.locator("tr.done-row")).to_contain_text("Alert acknowledged.")
    screenshot(desktop, "acknowledged")
    assert serious_violations(desktop) == []
    assert Alert.objects.get(patient=busy_clinic).acknowledged_at is not None
    expect(desktop.get_by_role("link", name=re.compile(r"^Alerts \d+"))).to_have_text(re.compile(r"Alerts 0"))  # the counts refresh


@pytest.mark.parametrize("status", ["active", "paused", "discharged", "deceased", "opted-out", "no-consent"])
def test_the_patient_page_in_each_status_has_no_serious_accessibility_problem(site, desktop, enrolled_alice, nina, status,
                                                                               screenshot):
    alice = enrolled_alice
    if status in ("paused", "discharged", "deceased"):
        services.change_status(alice, status, by=nina, note="Recorded for the test")
    elif status == "opted-out":
        alice.opt_out("SMS STOP")
        alice.save()
    elif status == "no-consent":
        alice.consent_at = None
        alice.save()
    sign_in(desktop, site.url, "nina")
    desktop.goto(f"{site.url}/patients/{alice.pk}/")
    if status != "active":
        expect(desktop.locator(".status-banner")).to_be_visible()
    screenshot(desktop, status)
    assert serious_violations(desktop) == []
