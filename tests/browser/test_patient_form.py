"""A patient opens the link from a check-in reminder on a phone and tells the team how they feel."""

import pytest
from playwright.sync_api import expect

from followup.models import Alert, SymptomReport
from followup.symptom_links import issue_link

from .conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tap_score(page, item, score):
    page.locator(f'label[for="{item}-{score}"]').click()


def test_patient_sends_scores_from_a_phone(site, phone, alice, screenshot):
    phone.goto(issue_link(alice))
    expect(phone.get_by_role("heading", level=1)).to_have_text("How are you feeling now?")
    screenshot(phone, "form")
    phone.get_by_text("A family member or friend who cares for the patient").click()
    tap_score(phone, "pain", 9)
    tap_score(phone, "nausea", 2)
    tap_score(phone, "wellbeing", 6)
    expect(phone.get_by_role("group", name="Pain").get_by_role("radio", name="9")).to_be_checked()
    screenshot(phone, "filled")
    phone.get_by_role("button", name="Send to my care team").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    screenshot(phone, "thanks")
    report = SymptomReport.objects.get(patient=alice)
    assert (report.source, report.completed_by, report.pain, report.nausea, report.wellbeing) == ("web", "caregiver", 9, 2, 6)
    assert Alert.objects.filter(patient=alice, kind="severe", item="pain").exists()


def test_patient_form_errors_on_a_phone(site, phone, alice, screenshot):
    phone.goto(issue_link(alice))
    tap_score(phone, "other_problem", 5)
    phone.get_by_role("button", name="Send to my care team").click()
    expect(phone.get_by_role("alert")).to_contain_text("Some answers need another look")
    screenshot(phone, "errors")
    assert not serious_violations(phone)


def test_patient_form_has_no_serious_accessibility_problems(site, phone, alice, screenshot):
    phone.goto(issue_link(alice))
    violations = serious_violations(phone)
    screenshot(phone, "form")
    assert violations == []
