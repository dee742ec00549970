"""The README's screenshots, taken from the demo as a nurse, a lead and a patient see it.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Migrates a throwaway SQLite database, seeds the demo (`seed_demo`: the forty story patients), starts
`runserver` on a free loopback port and drives Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH)
with Playwright:

- worklist.png, worklist-phone.png: the nurse's worklist at 1366x768 (what fits on one screen) and 390 px;
- patient-page.png, patient-deceased.png, patient-paused.png: patient pages at 1366x768;
- patient-form.png: the symptom form on a 360 px phone (a caregiver answering);
- reports.png: a report as the clinical lead sees it.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from scripts.services import free_port, wait_for_port  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "followup-demo"
LAPTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SMALL_PHONE = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

BEAT = """
from followup.messaging.delivery import TICK
from followup.models import Heartbeat
Heartbeat.beat(TICK)
"""

FIRST_LINK = """
from followup.models import Patient
from followup.symptom_links import issue_link
patient = Patient.objects.filter(status="active").exclude(caregivers=None).order_by("pk").first()
print(issue_link(patient))
"""


def manage(*args, env, capture=False):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, text=True,
                          capture_output=capture)


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def patient_url(page, base, status):
    page.goto(f"{base}/patients/?status={status}")
    return page.locator("table a[href^='/patients/']").first.get_attribute("href")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(BASE_DIR / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="followup-screens-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}", "DEBUG": "true", "SITE_URL": base,
           "LOG_LEVEL": "WARNING", "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:1/0")}
    manage("migrate", "--verbosity", "0", env=env)
    manage("seed_demo", env=env, capture=True)
    link = manage("shell", "-c", FIRST_LINK, env=env, capture=True).stdout.strip().splitlines()[-1]
    # The pages as they look with the dispatcher running (`make run` runs it; here nothing does).
    manage("shell", "-c", BEAT, env=env, capture=True)
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=BASE_DIR,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 60)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            laptop = browser.new_context(**LAPTOP).new_page()
            sign_in(laptop, base, "nurse")
            laptop.goto(f"{base}/")
            laptop.screenshot(path=str(out / "worklist.png"))
            for status, name in (("active", "patient-page"), ("deceased", "patient-deceased"), ("paused", "patient-paused")):
                url = patient_url(laptop, base, status)
                if url:
                    laptop.goto(base + url)
                    laptop.screenshot(path=str(out / f"{name}.png"))
            phone = browser.new_context(**PHONE).new_page()
            sign_in(phone, base, "nurse")
            phone.goto(f"{base}/")
            phone.screenshot(path=str(out / "worklist-phone.png"))
            lead = browser.new_context(**LAPTOP).new_page()
            sign_in(lead, base, "lead")
            lead.goto(f"{base}/reports/frequency/")
            lead.screenshot(path=str(out / "reports.png"))
            form = browser.new_context(**SMALL_PHONE).new_page()
            form.goto(link)
            form.get_by_text("A family member or friend who cares for the patient").click()
            form.locator('label[for="pain-4"]').click()
            form.locator('label[for="tiredness-6"]').click()
            form.screenshot(path=str(out / "patient-form.png"), full_page=False, clip=None)
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    for path in sorted(out.glob("*.png")):
        print(f"{path.relative_to(BASE_DIR) if path.is_relative_to(BASE_DIR) else path}  {time.ctime(path.stat().st_mtime)}")


if __name__ == "__main__":
    main()
