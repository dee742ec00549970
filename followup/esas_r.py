"""The ESAS-r items in a patient's words: one reviewed wording table per language.

The item names and the words at each end of the 0-10 scales are a validated instrument (ESAS-r,
revised 2010): they are reviewed as a whole, one table per language, and are kept out of the gettext
catalogues so that no catalogue tool (a fuzzy match, a merge) can make them drift. A table is
locale/<code>/esas_r.toml, beside the language's catalogue, in any of settings.LOCALE_PATHS; a new
language adds its file, not code. The system check below refuses to start without a complete table
for every language in settings.LANGUAGES.
"""

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from . import languages
from .models import ESAS_FIELDS

FILE_NAME = "esas_r.toml"


@dataclass(frozen=True)
class Item:
    field: str  # the SymptomReport field
    name: str  # the short item name above the scale
    best: str  # the words at 0
    worst: str  # the words at 10


def table_path(language):
    """The wording table of `language`: the first locale/<code>/esas_r.toml in LOCALE_PATHS."""
    for folder in settings.LOCALE_PATHS:
        path = Path(folder) / language / FILE_NAME
        if path.is_file():
            return path
    return None


@lru_cache
def _read(path):
    with open(path, "rb") as table:
        data = tomllib.load(table)
    if data.get("language") != Path(path).parent.name:
        raise ImproperlyConfigured(f"{path}: says language = {data.get('language')!r}, but sits in the folder of "
                                   f"{Path(path).parent.name!r}.")
    rows = data.get("items", [])
    items = [Item(str(row.get("field", "")), str(row.get("name", "")).strip(), str(row.get("best", "")).strip(),
                  str(row.get("worst", "")).strip()) for row in rows]
    fields = [item.field for item in items]
    if fields != ESAS_FIELDS:
        raise ImproperlyConfigured(f"{path}: the items must be the ten ESAS-r fields in order, {ESAS_FIELDS}, not {fields}.")
    for item in items:
        if not (item.name and item.best and item.worst):
            raise ImproperlyConfigured(f"{path}: {item.field} needs a name, a best and a worst.")
    return tuple(items)


def wording(language=None):
    """The ten items in `language` (default: the active one), falling back to the site's language
    for one Followup does not speak."""
    language = languages.supported(language or translation.get_language())
    path = table_path(language)
    if path is None:
        raise ImproperlyConfigured(f"No ESAS-r wording table for {language!r}: add locale/{language}/{FILE_NAME}.")
    return _read(path)


def item_names(language=None):
    """{field: item name} in `language` (default: the active one)."""
    return {item.field: item.name for item in wording(language)}


def every_wording():
    """{language: items} for every language Followup speaks."""
    return {code: wording(code) for code in languages.codes()}


@checks.register("followup")
def check_wording_tables(app_configs=None, **kwargs):
    errors = []
    for code in languages.codes():
        try:
            wording(code)
        except (ImproperlyConfigured, tomllib.TOMLDecodeError) as error:
            errors.append(checks.Error(str(error), id="followup.E120",
                                       hint="Every language in settings.LANGUAGES needs a complete ESAS-r wording table "
                                            "(README, Languages)."))
    return errors
