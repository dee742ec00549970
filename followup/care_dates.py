"""When a drainage or a symptom report can have happened.

A date typed by hand is sometimes a slip (2019 for 2026, a month and day swapped): the interval
chart then draws a bar of years and the suggested interval is nonsense. So a drainage or a report
is refused when it is dated:

- in the future (a few minutes' grace for a fast clock on a tablet);
- on or before the patient's date of birth;
- more than the clinic's `history_window_days` (365 by default) before its series began: history
  entered after enrolment is welcome, a date years before the patient was known is not.

The forms, the API, the SMS replies and the patient's own form all go through the services, which
call `check_care_moment`; the refusal names the field and says what would be accepted.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from . import scheduling
from .models import Kind

# A clock a few minutes fast on a nurse's tablet is not an event "in the future".
CLOCK_TOLERANCE = timedelta(minutes=5)


def series_start(patient, kind):
    """When the patient's series of this kind began (the active one, else the latest); None without one."""
    schedules = patient.schedules.filter(kind=kind).order_by("-active", "-pk")
    return schedules.values_list("started_at", flat=True).first()


def earliest_allowed(patient, kind):
    """The earliest moment a drainage (kind paracentesis) or report (kind check-in) may be dated."""
    started = series_start(patient, kind)
    if started is None:
        return None
    return started - timedelta(days=patient.clinic.history_window_days)


def check_care_moment(patient, moment, *, field, what, kind):
    """Raise ValidationError({field: ...}) when `moment` cannot be when `what` happened."""
    if moment is None:
        return
    if timezone.is_naive(moment):
        raise ValidationError({field: _("Give the time with its time zone.")})
    if moment > timezone.now() + CLOCK_TOLERANCE:
        raise ValidationError({field: f"{what} cannot be dated in the future."})
    day = scheduling.local_date(moment, patient.zone)
    if patient.date_of_birth and day <= patient.date_of_birth:
        born = formats.date_format(patient.date_of_birth, "SHORT_DATE_FORMAT")
        raise ValidationError({field: f"{what} must be dated after the patient's date of birth ({born})."})
    earliest = earliest_allowed(patient, kind)
    if earliest is not None and moment < earliest:
        first_day = formats.date_format(scheduling.local_date(earliest, patient.zone), "SHORT_DATE_FORMAT")
        raise ValidationError({field: f"{what} can be dated back to {first_day} at the earliest: "
                                      f"{patient.clinic.history_window_days} days before the patient's series began. "
                                      "Check the year."})


def check_drainage(patient, performed_at, field="performed_at"):
    check_care_moment(patient, performed_at, field=field, what="A drainage", kind=Kind.PARACENTESIS)


def check_report(patient, reported_at, field="reported_at"):
    check_care_moment(patient, reported_at, field=field, what="A symptom report", kind=Kind.CHECKIN)
