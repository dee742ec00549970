"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download does not work on this machine kind, so the tests launch the
system Chromium (`apt-get install -y chromium`); set CHROMIUM_PATH to use another build.
Screenshots go to test-artifacts/screenshots/, one or more per test, named after the test.
"""

import re
from pathlib import Path

import pytest

from ..conftest import PASSWORD
# The skip without Chromium and the count of browser tests at the end of the run.
from .tally import (  # noqa: F401
    CHROMIUM,
    pytest_collection_modifyitems,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }


@pytest.fixture
def site(live_server, settings):
    """The live server, with links in reminders pointing at it."""
    settings.SITE_URL = live_server.url
    return live_server


@pytest.fixture
def screenshot(request):
    """screenshot(page, "step") saves test-artifacts/screenshots/<test>-<step>.png (the whole page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")

    def take(page, step):
        path = SCREENSHOTS / f"{test_name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def phone(new_context):
    """A 390x844 phone with touch, as a patient holds it."""
    return new_context(**PHONE).new_page()


@pytest.fixture
def laptop(new_context):
    return new_context(**LAPTOP).new_page()


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_load_state()


def serious_violations(page):
    """axe-core's serious and critical findings on the page as it is now (empty when it passes)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
        }"""
    )
