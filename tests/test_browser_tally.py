"""A run that skipped its browser tests says so in its last lines, and CI fails on it.

Each test runs pytest itself, in a folder of its own, on two tiny browser tests and one other, with
the same hooks tests/browser/conftest.py loads.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BROWSER_TESTS = '''
import pytest

@pytest.mark.browser
def test_one():
    pass

@pytest.mark.browser
def test_two():
    pass

def test_not_in_a_browser():
    pass
'''


def run_pytest(folder, *, chromium, require=False):
    (folder / "conftest.py").write_text("from tests.browser.tally import *  # noqa: F401,F403\n")
    (folder / "test_tiny.py").write_text(BROWSER_TESTS)
    (folder / "pytest.ini").write_text("[pytest]\nmarkers =\n    browser: drives Chromium\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CHROMIUM_PATH": chromium}
    env.pop("FOLLOWUP_REQUIRE_BROWSER", None)
    if require:
        env["FOLLOWUP_REQUIRE_BROWSER"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:django", "-p", "no:cacheprovider", "-p", "no:randomly", str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )
    return result.returncode, result.stdout.strip().splitlines()


def test_a_run_without_chromium_says_in_its_last_lines_that_browser_tests_did_not_run(tmp_path):
    code, lines = run_pytest(tmp_path, chromium=str(tmp_path / "no-chromium-here"))
    assert code == 0
    last = "\n".join(lines[-4:])
    assert "Browser tests: 0 ran (0 passed, 0 failed), 2 skipped." in last
    assert "WARNING: 2 browser tests did NOT run: no Chromium at" in last


def test_a_run_with_chromium_counts_the_browser_tests_that_ran(tmp_path):
    code, lines = run_pytest(tmp_path, chromium=sys.executable)  # any file that exists stands for Chromium
    assert code == 0
    assert "Browser tests: 2 ran (2 passed, 0 failed), 0 skipped." in "\n".join(lines[-3:])
    assert not any("WARNING" in line for line in lines)


def test_ci_fails_a_run_that_skipped_a_browser_test(tmp_path):
    code, lines = run_pytest(tmp_path, chromium=str(tmp_path / "no-chromium-here"), require=True)
    assert code == 1
    assert "FOLLOWUP_REQUIRE_BROWSER=1: a skipped browser test fails the run." in "\n".join(lines[-4:])


def test_ci_passes_a_run_whose_browser_tests_all_ran(tmp_path):
    code, _ = run_pytest(tmp_path, chromium=sys.executable, require=True)
    assert code == 0


def test_ci_asks_for_every_browser_test_to_run():
    assert "FOLLOWUP_REQUIRE_BROWSER=1 make test" in (ROOT / ".ci" / "run").read_text()
