"""`{% call_rows calls %}`: the rows of the worklist's call list, written in Python.

The page reloads the forty rows on every visit, and as a template each row was some forty nodes
(about a quarter of the page's time). So the rows are built here as Django's admin builds the cells
of its change lists, the way `format_html` does: every value is escaped, and the words are the
catalogue's, translated in the page's language.
"""

from html import escape
from zoneinfo import ZoneInfo

from django import template
from django.middleware.csrf import get_token
from django.utils import dateformat, formats, timezone
from django.utils.safestring import SafeString, mark_safe

from ..languages import gettext
from ..links import link
from .followup_tags import severity

register = template.Library()


def _html(template_string, *values):
    """Django's `format_html`, escaping each value as `conditional_escape` does (what has `__html__` is
    already safe) without its lazy-string wrapper: a page has some 1,400 of them."""
    return SafeString(template_string.format(*(value.__html__() if hasattr(value, "__html__") else escape(str(value))
                                               for value in values)))


@register.simple_tag(takes_context=True)
def call_rows(context, calls):
    request = context["request"]
    page = _Page(request, calls)
    return mark_safe("".join(page.row(row) for row in calls.rows))


class _Page:
    """What every row of one page shares: the words, the CSRF field, the address to come back to."""

    def __init__(self, request, calls):
        self.csrf = _html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
        self.back = request.get_full_path()
        self.actions = mark_safe("".join(_html('<option value="{}">{}</option>', value, label) for value, label in calls.alert_actions))
        self.no_answer = gettext("no answer, try again")
        self.team_time = gettext("The team's time")
        self.no_report = gettext("No symptom report yet")
        self.no_number = gettext("no number")
        self.what_was_done = gettext("What was done…")
        self.acknowledge = gettext("Acknowledge")

    def row(self, row):
        patient, urgency = row.patient, str(row.urgency_label)
        return _html(
            '\n<tr class="urgency-{}" id="patient-row-{}">\n'
            '  <td class="col-urgency"><span class="urgency-mark" title="{}"><span class="visually-hidden">{}</span></span></td>\n'
            '  <th scope="row" class="who"><a href="{}">{}, {}</a> <span class="mrn">{}</span></th>\n'
            '  <td class="due">\n    {}\n    {}\n  </td>\n'
            '  <td class="col-esas">{}</td>\n'
            '  <td class="call">{}</td>\n'
            '  <td class="flags">{}</td>\n'
            '  <td class="col-action">{}</td>\n'
            '</tr>',
            row.urgency, patient.pk, urgency, urgency,
            link("patient", patient.pk), patient.family_name, patient.given_name, patient.mrn,
            mark_safe("".join(self.alert(alert) for alert in row.alerts)),
            mark_safe("".join(self.due(item, patient) for item in row.due)),
            self.esas(row), self.contact(row.contact),
            mark_safe("".join(_html('<span class="flag flag-{}">{}</span>', flag.tone, flag.label) for flag in row.flags)),
            self.next_step(row),
        )

    def alert(self, alert):
        lines = "; ".join(line.summary for line in alert.items.all())
        return _html('<span class="item item-alert{}">{}{}</span>', " severe" if alert.severe or alert.call_requested else "",
                     alert.label, f": {lines}" if lines else "")

    def due(self, item, patient):
        retry = ""
        if item.retry_at:
            moment = item.retry_at
            retry = _html(' <span class="retry">· {} <time datetime="{}" title="{}">{}</time></span>', self.no_answer,
                          timezone.localtime(moment).isoformat(), self.team_time,
                          dateformat.format(timezone.localtime(moment, ZoneInfo(patient.clinic_time_zone)), "D H:i"))
        return _html('<span class="item item-{}">{} {}{}</span>', item.state, item.label, item.when, retry)

    def esas(self, row):
        top = row.last_esas_max
        if top is None:
            return _html('<span class="none" title="{}">–</span>', self.no_report)
        return _html('<span class="score score-{}" title="{}">{}</span>', severity(top), row.last_report_title,
                     formats.localize(top))

    def contact(self, contact):
        if contact is None:
            return _html('<span class="none">{}</span>', self.no_number)
        whom = _html("{} ({})", contact.name, contact.role) if contact.role != "patient" else ""
        language = _html(" · {}", contact.language_shown) if contact.language_shown else ""
        return _html('<a class="tel" href="tel:{}">{}</a> <span class="whom">{}{}</span>', contact.number, contact.shown,
                     whom, language)

    def next_step(self, row):
        alert = row.acknowledge
        if alert is None:
            return mark_safe(" ".join(
                _html('<a class="button compact{}" href="{}">{}<span class="visually-hidden"> {}</span></a>',
                      " secondary" if button.secondary else "", button.url, button.label, button.for_whom)
                for button in row.buttons))
        name = row.patient.full_name
        if alert.call_requested:
            whose = gettext("call request for %(name)s") % {"name": name}
        elif alert.severe:
            whose = gettext("severe symptom alert for %(name)s") % {"name": name}
        else:
            whose = gettext("symptom alert for %(name)s") % {"name": name}
        url = link("acknowledge_alert", alert.pk)
        return _html(
            '\n<form class="acknowledge" method="post" action="{}" hx-post="{}" hx-target="closest tr" hx-swap="outerHTML">\n'
            '  {}<input type="hidden" name="from" value="worklist-table"><input type="hidden" name="next" value="{}">\n'
            '  <select name="action" required aria-label="{}"><option value="">{}</option>{}</select>\n'
            '  <button type="submit" class="button compact">{}<span class="visually-hidden"> {}</span></button>\n'
            '</form>\n',
            url, url, self.csrf, self.back, gettext("What was done about the alert for %(name)s") % {"name": name},
            self.what_was_done, self.actions, self.acknowledge, whose)
