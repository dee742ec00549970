"""A patient opens the link from a check-in reminder on a phone and tells the team how they feel;
the nurse then sees it on her worklist."""

import re

import pytest
from playwright.sync_api import expect

from followup.models import Alert, Occurrence, SymptomReport
from followup.symptom_links import issue_link

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tap_score(page, item, score):
    page.locator(f'label[for="{item}-{score}"]').click()


def test_patient_reports_severe_pain_from_a_phone_and_the_nurse_sees_the_alert(site, phone, laptop, enrolled_alice,
                                                                                screenshot):
    alice = enrolled_alice
    checkin_before = Occurrence.objects.get(patient=alice, kind="checkin", state="scheduled").due_at

    phone.goto(issue_link(alice))
    expect(phone.get_by_role("heading", level=1)).to_have_text("How are you feeling now?")
    screenshot(phone, "1-form")
    phone.get_by_text("The patient", exact=True).click()
    tap_score(phone, "pain", 9)
    tap_score(phone, "tiredness", 4)
    tap_score(phone, "wellbeing", 5)
    expect(phone.get_by_role("group", name="Pain").get_by_role("radio", name="9")).to_be_checked()
    screenshot(phone, "2-filled")
    phone.get_by_role("button", name="Send to my care team").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    # The team's number in working hours, named as the out-of-hours number while it is closed (a real clock here).
    expect(phone.locator("main")).to_contain_text(re.compile(
        r"please call (the team on|the out-of-hours number) \(202\) 555-0100"))
    screenshot(phone, "3-thanks")

    report = SymptomReport.objects.get(patient=alice)
    assert (report.source, report.completed_by, report.pain, report.tiredness) == ("web", "patient", 9, 4)
    assert Occurrence.objects.get(patient=alice, kind="checkin", state="scheduled").due_at < checkin_before

    sign_in(laptop, site.url, "nina")
    alice_row = laptop.locator("table.calls tbody tr").first  # the severe report comes first
    expect(alice_row).to_contain_text("Archer, Alice")
    expect(alice_row).to_contain_text("Severe symptom: Pain 9: severe")
    screenshot(laptop, "4-nurse-worklist")
    assert Alert.objects.filter(patient=alice, severe=True, items__item="pain", acknowledged_at__isnull=True).count() == 1


def test_patient_sees_field_errors_on_a_phone_and_keeps_their_answers(site, phone, alice, screenshot):
    phone.goto(issue_link(alice))
    tap_score(phone, "nausea", 3)
    tap_score(phone, "other_problem", 5)
    phone.get_by_role("button", name="Send to my care team").click()
    expect(phone.get_by_role("alert")).to_contain_text("Some answers need another look")
    expect(phone.get_by_role("group", name="Nausea").get_by_role("radio", name="3")).to_be_checked()
    expect(phone.get_by_role("group", name="Other Problem").get_by_role("radio", name="5")).to_be_checked()
    screenshot(phone, "errors")
    phone.get_by_label("What is the other problem?").fill("Hiccups")
    phone.get_by_text("A family member or friend who cares for the patient").click()
    phone.get_by_role("button", name="Send to my care team").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    report = SymptomReport.objects.get(patient=alice)
    assert (report.nausea, report.other_problem, report.other_problem_name, report.completed_by) == (3, 5, "Hiccups", "caregiver")


def test_spanish_speaking_patient_uses_the_form_in_spanish(site, phone, bob, screenshot):
    phone.goto(issue_link(bob))
    expect(phone.locator("html")).to_have_attribute("lang", "es")
    expect(phone.get_by_role("heading", level=1)).to_have_text("¿Cómo se siente ahora?")
    phone.get_by_text("Un familiar o amigo que cuida al paciente").click()
    tap_score(phone, "anxiety", 6)
    screenshot(phone, "form")
    phone.get_by_role("button", name="Enviar a mi equipo de cuidados").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Gracias")
    assert SymptomReport.objects.get(patient=bob).anxiety == 6


def test_used_link_says_so_kindly_on_a_phone(site, phone, alice, screenshot):
    url = issue_link(alice)
    phone.goto(url)
    tap_score(phone, "pain", 1)
    phone.get_by_text("The patient", exact=True).click()
    phone.get_by_role("button", name="Send to my care team").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("This form has already been sent")
    expect(phone.locator("main")).not_to_contain_text("Alice")
    screenshot(phone, "used")


def test_keyboard_reaches_every_answer_in_order(site, laptop, alice):
    """Tab moves from the phone number to who is filling it in, then item by item down to Send."""
    laptop.goto(issue_link(alice))
    order = []
    for _ in range(40):
        laptop.keyboard.press("Tab")
        focused = laptop.evaluate("document.activeElement.name || document.activeElement.textContent.trim()")
        if not order or order[-1] != focused:
            order.append(focused)
        if focused == "Send to my care team":
            break
    questions = [name for name in order if name in ("completed_by", "other_problem_name") or name in {
        "pain", "tiredness", "drowsiness", "nausea", "lack_of_appetite", "shortness_of_breath", "depression", "anxiety",
        "wellbeing", "other_problem"}]
    assert questions == ["completed_by", "pain", "tiredness", "drowsiness", "nausea", "lack_of_appetite",
                         "shortness_of_breath", "depression", "anxiety", "wellbeing", "other_problem_name", "other_problem"]
    assert order[-1] == "Send to my care team"


def test_every_answer_is_a_large_touch_target_on_a_phone(site, phone, alice):
    phone.goto(issue_link(alice))
    targets = phone.evaluate("""() => [...document.querySelectorAll('.scale label, .who-choices label, button.send')]
        .map(el => { const box = el.getBoundingClientRect(); return [el.htmlFor || el.textContent, box.width, box.height]; })""")
    assert len(targets) == 10 * 12 + 2 + 1
    # The eleven numbers share one row, 0 to 10 left to right as on paper: on a phone they are
    # narrower than 44 px but at least WCAG 2.5.8's 24, and 44 tall; everything else is 44 x 44.
    numbers = re.compile(r"-(\d+)$")
    too_small = [(name, round(width), round(height)) for name, width, height in targets
                 if height < 44 or width < (24 if numbers.search(name) else 44)]
    assert too_small == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off the screen


@pytest.fixture
def small_phone(new_context):
    """A 360 px phone, the narrowest in common use (axe-core is injected, so the page's CSP is bypassed)."""
    return new_context(viewport={"width": 360, "height": 780}, device_scale_factor=2, is_mobile=True, has_touch=True,
                       bypass_csp=True).new_page()


def test_on_a_360_px_phone_the_scale_reads_left_to_right_in_one_row(site, small_phone, alice, screenshot):
    from .conftest import serious_violations

    small_phone.goto(issue_link(alice))
    boxes = [small_phone.locator(f'label[for="pain-{score}"]').bounding_box() for score in range(11)]
    assert len({round(box["y"]) for box in boxes}) == 1  # one row
    assert [box["x"] for box in boxes] == sorted(box["x"] for box in boxes)  # 0 on the left, 10 on the right
    assert boxes[10]["x"] + boxes[10]["width"] <= 360
    assert min(box["width"] for box in boxes) >= 24 and min(box["height"] for box in boxes) >= 44
    assert small_phone.evaluate("document.documentElement.scrollWidth") <= 360  # nothing sideways
    expect(small_phone.get_by_role("group", name="Pain")).to_contain_text("1 of 10")
    assert serious_violations(small_phone) == []
    screenshot(small_phone, "360px")


def test_the_instruction_follows_who_is_answering(site, small_phone, alice, screenshot):
    small_phone.goto(issue_link(alice))
    expect(small_phone.get_by_text("how you feel NOW")).to_be_visible()
    expect(small_phone.get_by_text("how the patient feels NOW")).to_be_hidden()
    small_phone.get_by_text("A family member or friend who cares for the patient").click()
    expect(small_phone.get_by_text("how the patient feels NOW")).to_be_visible()
    expect(small_phone.get_by_text("how you feel NOW")).to_be_hidden()
    expect(small_phone.get_by_text("Best Wellbeing (Wellbeing = how you feel overall)")).to_be_visible()  # ESAS-r wording
    screenshot(small_phone, "caregiver")


def test_an_empty_form_is_refused_kindly_and_can_then_be_sent(site, small_phone, alice, screenshot):
    small_phone.goto(issue_link(alice))
    small_phone.get_by_text("The patient", exact=True).click()
    small_phone.get_by_role("button", name="Send to my care team").click()
    expect(small_phone.get_by_role("alert")).to_contain_text("No number has been chosen yet.")
    screenshot(small_phone, "refused")
    tap_score(small_phone, "pain", 2)
    small_phone.get_by_role("button", name="Send to my care team").click()
    expect(small_phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert SymptomReport.objects.get(patient=alice).pain == 2
