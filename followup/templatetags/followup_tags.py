"""Template helpers for the nurse pages: times shown in the patient's own zone, days relative to
the patient's today, ESAS-r severity bands, and filter links that keep the other filters."""

from zoneinfo import ZoneInfo

from django import template
from django.utils import dateformat, formats, timezone
from django.utils.translation import gettext, ngettext

from followup import scheduling

register = template.Library()



def _zone(zone):
    return ZoneInfo(zone) if isinstance(zone, str) else zone


@register.filter
def local_time(moment, zone):
    """'Tue 3 Mar 2026, 09:00' in `zone` (a name or ZoneInfo). Django's own `date` filter would
    convert back to the page's current zone, so this formats itself."""
    if not moment:
        return ""
    return dateformat.format(moment.astimezone(_zone(zone)), formats.get_format("DATETIME_FORMAT"))


@register.filter
def local_day(moment, zone):
    if not moment:
        return ""
    return dateformat.format(moment.astimezone(_zone(zone)), formats.get_format("DATE_FORMAT"))


@register.filter
def relative_day(day, zone):
    """'today', 'tomorrow', 'in 3 days', 'yesterday', '4 days overdue' against the patient's today."""
    if not day:
        return ""
    today = scheduling.local_date(timezone.now(), _zone(zone))
    days = (day - today).days
    if days == 0:
        return gettext("today")
    if days == 1:
        return gettext("tomorrow")
    if days > 1:
        return ngettext("in %(days)d day", "in %(days)d days", days) % {"days": days}
    return ngettext("%(days)d day overdue", "%(days)d days overdue", -days) % {"days": -days}


@register.filter
def severity(score):
    """The ESAS-r band of a score (Selby 2010): none, mild, moderate, severe."""
    if score is None or score == "":
        return "unscored"
    score = int(score)
    if score >= scheduling.SEVERE_SCORE:
        return "severe"
    if score >= 4:
        return "moderate"
    if score >= 1:
        return "mild"
    return "none"


@register.filter
def staff_name(user):
    if not user:
        return ""
    return user.get_full_name() or user.username


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters changed (None removes one)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def filter_label(key):
    """The words on a worklist filter chip."""
    from followup.call_list import FILTERS

    return FILTERS.get(key, key)


@register.simple_tag
def error_safe_static(path):
    """The static URL of `path`, or its plain URL when the hashed manifest has no entry for it: an
    error page must render even on a server whose static files were never collected."""
    from django.conf import settings
    from django.templatetags.static import static

    try:
        return static(path)
    except ValueError:
        return f"{settings.STATIC_URL.rstrip('/')}/{path}"


@register.filter
def opt_out_overdue(message):
    """A possible opt-out still undecided after 10 business days (in the patient's zone, else UTC)."""
    from followup.messaging import possible_opt_outs

    zone = message.patient.zone if message.patient_id else ZoneInfo("UTC")
    return possible_opt_outs.is_overdue(message, scheduling.local_date(timezone.now(), zone))
