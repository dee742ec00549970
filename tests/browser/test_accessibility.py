"""axe-core finds no serious or critical problem on the worklist, the patient page and the patient's form."""

import pytest
from django.utils import timezone

from followup import services
from followup.models import SymptomReport
from followup.symptom_links import issue_link

from .conftest import LAPTOP, PHONE, serious_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# axe-core is injected as a script tag, which the pages' Content Security Policy rightly refuses:
# these contexts bypass CSP for the audit only. The flow tests keep the policy on.
@pytest.fixture
def laptop(new_context):
    return new_context(**LAPTOP, bypass_csp=True).new_page()


@pytest.fixture
def phone(new_context):
    return new_context(**PHONE, bypass_csp=True).new_page()


@pytest.fixture
def busy_alice(alice, dora):
    """A patient with something in most sections: drainages, reports (with a severe alert), a caregiver."""
    services.enrol(alice)
    now = timezone.now()
    for days_ago, volume in ((30, 4000), (18, 5000), (8, 4500)):
        services.record_procedure(alice, performed_at=now - timezone.timedelta(days=days_ago), volume_ml=volume)
    for days_ago, pain in ((10, 3), (5, 4), (1, 8)):
        services.record_symptom_report(alice, scores={"pain": pain, "nausea": 2, "wellbeing": 4}, completed_by="patient",
                                       source=SymptomReport.Source.WEB, reported_at=now - timezone.timedelta(days=days_ago))
    return alice


def report(name, violations):
    return "\n".join(f"{name}: {v['impact']} {v['id']} - {v['help']} at {', '.join(v['nodes'])}" for v in violations)


def test_worklist_has_no_serious_accessibility_problems(site, laptop, busy_alice, screenshot):
    sign_in(laptop, site.url, "nina")
    violations = serious_violations(laptop)
    screenshot(laptop, "worklist")
    assert not violations, report("worklist", violations)


def test_patient_page_has_no_serious_accessibility_problems(site, laptop, busy_alice, screenshot):
    sign_in(laptop, site.url, "nina")
    laptop.goto(f"{site.url}/patients/{busy_alice.pk}/")
    violations = serious_violations(laptop)
    screenshot(laptop, "patient")
    assert not violations, report("patient page", violations)


def test_patient_form_has_no_serious_accessibility_problems(site, phone, alice, screenshot):
    phone.goto(issue_link(alice))
    violations = serious_violations(phone)
    screenshot(phone, "form")
    assert not violations, report("patient form", violations)


def test_patient_form_with_errors_has_no_serious_accessibility_problems(site, phone, alice, screenshot):
    phone.goto(issue_link(alice))
    phone.locator('label[for="other_problem-5"]').click()
    phone.get_by_role("button", name="Send to my care team").click()
    phone.get_by_role("alert").wait_for()
    violations = serious_violations(phone)
    screenshot(phone, "form-errors")
    assert not violations, report("patient form with errors", violations)


def test_thank_you_and_broken_link_pages_have_no_serious_accessibility_problems(site, phone, alice, screenshot):
    url = issue_link(alice)
    phone.goto(url)
    phone.locator('label[for="pain-2"]').click()
    phone.get_by_text("The patient", exact=True).click()
    phone.get_by_role("button", name="Send to my care team").click()
    phone.get_by_role("heading", name="Thank you").wait_for()
    found = report("thank-you page", serious_violations(phone))
    screenshot(phone, "thanks")
    phone.goto(url[:-4] + "xyz/")
    found += report("broken link page", serious_violations(phone))
    screenshot(phone, "broken-link")
    assert not found, found
