"""The gettext catalogues a language is made of (README, Languages): every string of the code and
templates is in every catalogue, translated, not fuzzy, and compiled, so no English can slip into a
Spanish page or text because someone added a string and forgot to translate it."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

from followup import languages

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
# What makemessages reads: the project's code, templates and settings (followup.management.commands.makemessages).
SOURCES = ["followup", "templates", "config", "manage.py"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}")


def catalogue_paths():
    return sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))


def key(entry):
    return entry.msgctxt, entry.msgid, entry.msgid_plural


def label(entry):
    return f"{entry.msgctxt + ' | ' if entry.msgctxt else ''}{entry.msgid!r}"


def translations(entry):
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


CATALOGUES = catalogue_paths()
IDS = [path.parts[-3] for path in CATALOGUES]


def test_every_language_but_english_has_a_catalogue():
    expected = {code for code in languages.codes() if code != languages.SOURCE_LANGUAGE}
    assert {path.parts[-3] for path in CATALOGUES} == expected


@pytest.mark.parametrize("path", CATALOGUES, ids=IDS)
def test_no_string_of_a_catalogue_is_untranslated_fuzzy_or_obsolete(path):
    catalogue = polib.pofile(str(path))
    assert not catalogue.metadata_is_fuzzy, f"{path}: the header is marked fuzzy"
    untranslated = [label(entry) for entry in catalogue if not entry.obsolete
                    and not all(text.strip() for text in translations(entry))]
    fuzzy = [label(entry) for entry in catalogue.fuzzy_entries()]
    obsolete = [label(entry) for entry in catalogue.obsolete_entries()]
    assert not untranslated, f"{path}: untranslated: {untranslated}"
    assert not fuzzy, f"{path}: fuzzy (check the translation, then remove the flag): {fuzzy}"
    assert not obsolete, f"{path}: obsolete entries left behind: {obsolete}"


@pytest.mark.parametrize("path", CATALOGUES, ids=IDS)
def test_every_translation_keeps_the_placeholders_of_its_source(path):
    """A translation that drops %(link)s or %(clinic_phone)s loses the link or the number from a text."""
    wrong = []
    for entry in polib.pofile(str(path)).translated_entries():
        for text in translations(entry):
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(entry.msgid)):
                wrong.append(f"{label(entry)} -> {text!r}")
    assert not wrong, f"{path}: placeholders differ from the source: {wrong}"


@pytest.mark.parametrize("path", CATALOGUES, ids=IDS)
def test_the_compiled_catalogue_is_the_one_in_the_po_file(path):
    """Django reads the .mo file: one compiled before the last change to the .po would serve old words."""
    compiled = polib.mofile(str(path.with_suffix(".mo")))
    expected = {key(entry): translations(entry) for entry in polib.pofile(str(path)).translated_entries()}
    found = {key(entry): translations(entry) for entry in compiled if entry.msgid}
    assert found == expected, "run `make compilemessages` and commit the .mo file"


def test_every_catalogue_has_every_string_of_the_code_and_templates(tmp_path):
    """makemessages run on a copy of the sources: a string added to the code or a template and not yet
    in a catalogue (or one still in a catalogue that the code no longer has) fails here, by name."""
    assert shutil.which("xgettext"), "makemessages needs xgettext: apt-get install gettext"
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, tmp_path / name)
    shutil.copytree(LOCALE, tmp_path / "locale")
    subprocess.run([sys.executable, "manage.py", "makemessages", "--verbosity", "0"], cwd=tmp_path, check=True,
                   capture_output=True, text=True)
    for path in CATALOGUES:
        committed = {key(entry) for entry in polib.pofile(str(path)) if not entry.obsolete}
        current = {key(entry) for entry in polib.pofile(str(tmp_path / path.relative_to(ROOT))) if not entry.obsolete}
        new = sorted(current - committed, key=str)
        gone = sorted(committed - current, key=str)
        assert not new and not gone, (
            f"{path.relative_to(ROOT)} is behind the code: run `make makemessages`, translate, `make compilemessages`.\n"
            f"  new strings: {new}\n  strings the code no longer has: {gone}")


def test_no_string_of_ours_overrides_djangos_own_day_month_or_time_words():
    """Our catalogue is read before Django's: a "Wednesday" of ours (a working-hours label) would turn
    the "miércoles" of every Spanish appointment date into "Miércoles". Our labels take a context."""
    import django

    djangos = polib.pofile(str(Path(django.__file__).parent / "conf" / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    date_words = {(entry.msgctxt, entry.msgid) for entry in djangos
                  if any(path.startswith(("utils/dates.py", "utils/dateformat.py")) for path, _line in entry.occurrences)}
    for path in CATALOGUES:
        ours = {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(path))}
        assert not ours & date_words, f"{path}: {sorted(ours & date_words, key=str)}"
