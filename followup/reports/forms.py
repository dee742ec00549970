"""The filter every report shares: a date range and one of the lead's clinics (or all of them)."""

import zoneinfo
from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..access import lead_clinics_for
from ..models import Patient
from .queries import PERIODS, Scope

DEFAULT_WEEKS = 12
LONGEST_RANGE_DAYS = 3 * 366  # weekly figures over more than three years stop being readable


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    clinic = forms.ModelChoiceField(
        label=_("Clinic"), queryset=None, required=False, empty_label=_("All my clinics"),
        error_messages={"invalid_choice": _("Choose one of the clinics you lead.")},
    )
    period = forms.ChoiceField(label=pgettext_lazy("per week or month", "Per"), choices=[(key, key) for key in PERIODS], required=False,
                               widget=forms.RadioSelect)
    status = forms.ChoiceField(label=_("Patients"), required=False,
                               choices=[(value, format_lazy(_("{status} patients"), status=label)) for value, label in Patient.Status.choices]
                               + [("all", _("All patients"))],
                               error_messages={"invalid_choice": _("Choose a patient status, or all patients.")})

    def __init__(self, user, query, *, with_period=False, with_status=False):
        """Bound to the query string with the defaults filled in, so a bare URL is a valid report
        (the last 12 weeks, all the lead's clinics) and anything typed is kept on error."""
        self.lead_clinics = list(lead_clinics_for(user).order_by("name"))
        today = timezone.localdate(timezone=zoneinfo.ZoneInfo(self.lead_clinics[0].time_zone)) if self.lead_clinics else timezone.localdate()
        data = {"start": today - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1), "end": today, "clinic": "", "period": "week",
                "status": Patient.Status.ACTIVE}
        data.update({key: query.get(key) for key in data if query.get(key) is not None})
        super().__init__(data)
        self.fields["clinic"].queryset = lead_clinics_for(user).order_by("name")
        self.fields["period"].choices = [("week", _("Week")), ("month", _("Month"))]
        if not with_period:
            del self.fields["period"]
        if not with_status:
            del self.fields["status"]

    def clean_status(self):
        return self.cleaned_data.get("status") or Patient.Status.ACTIVE

    def clean_period(self):
        return self.cleaned_data.get("period") or "week"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end date must be on or after the start date."))
            elif (end - start).days >= LONGEST_RANGE_DAYS:
                self.add_error("start", _("Choose a range of at most three years."))
        return cleaned

    def data_query(self):
        """The validated filter as a query string, for the export links, sorting and pages."""
        clinic = self.cleaned_data.get("clinic")
        values = {"start": self.cleaned_data["start"].isoformat(), "end": self.cleaned_data["end"].isoformat(),
                  "clinic": clinic.pk if clinic else ""}
        if "period" in self.fields:
            values["period"] = self.cleaned_data["period"]
        if "status" in self.fields:
            values["status"] = self.cleaned_data["status"]
        return urlencode(values)

    def scope(self):
        """The validated filter as a `Scope` (call after is_valid())."""
        chosen = self.cleaned_data.get("clinic")
        clinics = (chosen,) if chosen else tuple(self.lead_clinics)
        return Scope(clinics, self.cleaned_data["start"], self.cleaned_data["end"], self.cleaned_data.get("period", "week"),
                     self.cleaned_data.get("status", "all"))
