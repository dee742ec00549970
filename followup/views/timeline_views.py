"""How the patient's timeline is read: a filter (care, messages, all) and reminders cancelled by one
change folded into one line ("3 reminders cancelled: appointment moved").

One change (an appointment moved, a pause, a death) cancels every unsent reminder of the patient at
the same moment with the same reason; `ReminderEvent` rows record that moment. Listing each one would
bury the care events under lines that say the same thing.
"""

from collections import defaultdict

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

VIEWS = {"all": _("Everything"), "care": _("Care"), "messages": _("Messages")}
DEFAULT_VIEW = "all"
MESSAGE_KINDS = {"message-out", "message-in"}


def chosen_view(request):
    view = request.GET.get("timeline", DEFAULT_VIEW)
    return view if view in VIEWS else DEFAULT_VIEW


def shown(events, view):
    """The events of one view: care (drainages, reports, calls, status, occurrences), messages, or all."""
    if view == "care":
        return [event for event in events if event.kind not in MESSAGE_KINDS]
    if view == "messages":
        return [event for event in events if event.kind in MESSAGE_KINDS]
    return events


def fold_cancellations(reminders, cancelled_at, make_event):
    """One event per change that cancelled reminders: {(moment, reason): [reminders]} folded.

    `cancelled_at` maps a reminder id to the moment it was cancelled (its ReminderEvent); a reminder
    without one (cancelled before events were recorded) stands alone at its send time.
    `make_event(at, title, detail)` builds the timeline's Event.
    """
    groups = defaultdict(list)
    alone = []
    for reminder in reminders:
        moment = cancelled_at.get(reminder.pk)
        if moment is None:
            alone.append(reminder)
        else:
            groups[(moment, reminder.reason)].append(reminder)
    events = []
    for (moment, reason), members in groups.items():
        reason = gettext(reason) if reason else reason  # stored in English; a known reason in the reader's language
        because = f": {reason[:1].lower()}{reason[1:]}" if reason else ""
        title = ngettext("%(count)d reminder cancelled", "%(count)d reminders cancelled", len(members)) % {"count": len(members)}
        if len(members) == 1:
            title = gettext("Reminder cancelled")
        channels = sorted({member.get_channel_display().lower() for member in members})
        events.append(make_event(moment, f"{title}{because}", gettext(" and ").join(channels)))
    return events, alone
