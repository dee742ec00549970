"""Followup's one way of writing dates in English, used by every page through Django's named formats
(`{{ day|date:"DATE_FORMAT" }}`, `formats.date_format(...)`): day before month, the month as a word,
so "1 Dec 2026" reads the same to a nurse from anywhere and never as 12 January. CSV exports and the
API keep ISO 8601 for machines."""

DATE_FORMAT = "D j M Y"  # Tue 1 Dec 2026
DATETIME_FORMAT = "D j M Y, H:i"  # Tue 1 Dec 2026, 08:13
SHORT_DATE_FORMAT = "j M Y"  # 1 Dec 2026: tables and lists
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"  # 1 Dec: chart axes
YEAR_MONTH_FORMAT = "M Y"  # Dec 2026
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1  # Monday, as the reports' weeks
