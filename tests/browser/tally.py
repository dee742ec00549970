"""How many browser tests ran, said where nobody can miss it.

A machine without Chromium skips every browser test; pytest's own summary then shows only "12
skipped" among a thousand passes. These hooks (loaded by tests/browser/conftest.py) count the
browser tests, print one line about them at the very end of the run, and keep the same line in
test-artifacts/browser-tests.txt so `make test` can repeat it after its last step.

With FOLLOWUP_REQUIRE_BROWSER=1 (set by .ci/run) a skipped browser test fails the run.
"""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
TALLY_FILE = ROOT / "test-artifacts" / "browser-tests.txt"
_tally = {"passed": 0, "failed": 0, "skipped": 0}
_reasons = set()


def pytest_collection_modifyitems(items):
    _tally.update(passed=0, failed=0, skipped=0)
    _reasons.clear()
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _is_browser(report):
    return "browser" in report.keywords


def pytest_runtest_logreport(report):
    if not _is_browser(report):
        return
    if report.skipped:
        _tally["skipped"] += 1
        if isinstance(report.longrepr, tuple):
            _reasons.add(report.longrepr[2].removeprefix("Skipped: "))
    elif report.when == "call":
        _tally["passed" if report.passed else "failed"] += 1
    elif report.failed:  # an error in set-up or tear-down
        _tally["failed"] += 1


def browser_summary():
    """The lines that end the run; empty when no browser test was collected."""
    ran = _tally["passed"] + _tally["failed"]
    if not ran and not _tally["skipped"]:
        return []
    lines = [f"Browser tests: {ran} ran ({_tally['passed']} passed, {_tally['failed']} failed), {_tally['skipped']} skipped."]
    if _tally["skipped"]:
        lines.append(f"WARNING: {_tally['skipped']} browser tests did NOT run: " + "; ".join(sorted(_reasons)))
    return lines


def pytest_sessionfinish(session):
    if os.environ.get("FOLLOWUP_REQUIRE_BROWSER") == "1" and _tally["skipped"]:
        session.exitstatus = 1
    lines = browser_summary()
    if lines:
        TALLY_FILE.parent.mkdir(parents=True, exist_ok=True)
        TALLY_FILE.write_text("\n".join(lines) + "\n")


def pytest_terminal_summary(terminalreporter):
    lines = browser_summary()
    for line in lines:
        terminalreporter.write_line(line, yellow=line.startswith("WARNING"), bold=True)
    if os.environ.get("FOLLOWUP_REQUIRE_BROWSER") == "1" and _tally["skipped"]:
        terminalreporter.write_line("FOLLOWUP_REQUIRE_BROWSER=1: a skipped browser test fails the run.", red=True, bold=True)
