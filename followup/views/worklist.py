"""The worklist, the nurse's home page, and the two things a nurse settles right from it."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext, gettext_lazy as _
from django.views.decorators.http import require_POST

from .. import access, audit, call_list
from .. import worklist as worklist_queries
from ..forms import staff_of
from ..messaging import delivery, possible_opt_outs
from ..models import InboundMessage
from .common import done_row, redirect_back

# The clinics and the staff a worklist can be narrowed to change seldom, and every nurse's page asks
# for them: each list is cached this long per set of clinics (a new nurse shows in the list within
# it). Which clinics a user may see is not cached: it comes from their memberships, read each request.
FILTER_CHOICES_SECONDS = 60


def _choices(kind, clinic_ids, queryset):
    """The rows of `queryset` (read only when the cache has none), cached per set of clinics."""
    key = f"followup:worklist-{kind}:{','.join(str(pk) for pk in sorted(clinic_ids))}"
    return cache.get_or_set(key, lambda: list(queryset), FILTER_CHOICES_SECONDS)


def _filters(request):
    """The clinic and nurse the worklist is narrowed to. Another clinic, or a nurse of no clinic of
    the user's, is a 404 like any other object outside the user's clinics. The choices carry only
    what the filters show (no password hash in a cache)."""
    clinics = _choices("clinics", request.user.clinic_ids(), access.clinics_for(request.user).only("name").order_by("name"))
    clinic = nurse = None
    clinic_id = request.GET.get("clinic", "")
    if clinic_id:
        clinic = next((c for c in clinics if str(c.pk) == clinic_id), None)
        if clinic is None:
            raise Http404("No such clinic.")
    staff_clinics = [clinic.pk] if clinic else request.user.clinic_ids()
    nurses = _choices("staff", staff_clinics, staff_of(staff_clinics).only("first_name", "last_name", "username"))
    nurse_id = request.GET.get("nurse", "")
    if nurse_id:
        nurse = next((n for n in nurses if str(n.pk) == nurse_id), None)
        if nurse is None:
            raise Http404("No such nurse.")
    return clinics, clinic, nurses, nurse


@dataclass
class OtherWork:
    """How a section of other work shows: its heading, the template of its rows, the words when empty."""

    title: str
    row_template: str
    empty: str = ""  # "": the section shows only while it has rows


# The work beside the call list, each linked from the title with its count. The hospital's notices
# come first, above the call list: a death or an admission to confirm changes whom the nurse calls today.
OTHER_WORK = {
    "hospital": OtherWork(_("From the hospital"), "followup/worklist/hospital/_rows.html"),
    "delivery": OtherWork(_("Delivery problems"), "followup/worklist/delivery/_rows.html", _("Every reminder went out.")),
    "messages": OtherWork(_("Messages waiting"), "followup/worklist/messages/_rows.html", _("No message waiting.")),
    "unrouted": OtherWork(_("Unrouted texts"), "followup/worklist/life/_unrouted_rows.html"),
    "phase": OtherWork(_("Phase to resolve"), "followup/worklist/life/_phase_rows.html"),
    "uncovered": OtherWork(_("No upcoming contact"), "followup/worklist/uncovered/_rows.html",
                           _("Every active patient has something scheduled.")),
    "catheter": OtherWork(_("Catheter advisories"), "followup/worklist/catheter/_rows.html", _("No patient flagged.")),
}


def _other_sections(work):
    """(key, how it shows, Section) of the other work the page shows, in the order of the page."""
    sections = [(key, OTHER_WORK[key], getattr(work, field)) for key, field, _ in worklist_queries.OTHER_WORK]
    return [(key, shown, section) for key, shown, section in sections if shown.empty or section.count]


@login_required
def worklist(request):
    clinics, clinic, nurses, nurse = _filters(request)
    chosen = request.GET.get("filter", "")
    if chosen and chosen not in call_list.FILTERS:
        raise Http404("No such filter.")
    work = worklist_queries.build(request.user, clinic=clinic, nurse=nurse, with_calls=True, calls_filter=chosen)
    sections = _other_sections(work)
    context = {"work": work, "calls": work.calls, "clinics": clinics, "clinic": clinic, "nurses": nurses, "nurse": nurse,
               "other_sections": sections, "above": [s for s in sections if s[0] == "hospital"],
               "below": [s for s in sections if s[0] != "hospital"]}
    if request.htmx and request.GET.get("part") == "counts":
        return render(request, "followup/worklist/calls/_chips.html", context)
    # Reminders go out only while the dispatch tick runs: say so when it has stopped.
    context["last_tick"] = delivery.last_tick()
    context["tick_late"] = delivery.tick_is_late(last=context["last_tick"])
    return render(request, "followup/worklist/page.html", context)


@login_required
def worklist_section(request, key):
    """Every row of one section of other work, a page at a time, narrowed like the worklist."""
    if key not in OTHER_WORK:
        raise Http404("No such section.")
    clinics, clinic, nurses, nurse = _filters(request)
    page = worklist_queries.section_listing(request.user, key, clinic=clinic, nurse=nurse).page(request.GET.get("page"))
    return render(request, "followup/worklist/section.html", {
        "key": key, "shown": OTHER_WORK[key], "page": page, "clinics": clinics, "clinic": clinic, "nurses": nurses,
        "nurse": nurse})


@login_required
@require_POST
def acknowledge_reminder(request, pk):
    reminder = access.get_reminder(request.user, pk)
    audit.record_access(request, reminder, "delivery problem")
    if reminder.state not in reminder.PROBLEMS:
        raise Http404("This reminder has no delivery problem.")
    recorded = worklist_queries.acknowledge_reminder(reminder, by=request.user)
    text = gettext("Delivery problem acknowledged.") if recorded else gettext("Someone had already acknowledged this delivery problem.")
    if request.htmx:
        return done_row(request, text)
    messages.success(request, text)
    return redirect_back(request, "worklist")


@login_required
@require_POST
def decide_possible_opt_out(request, pk):
    """A nurse's reading of a reply that may mean "stop": an opt-out of the number, or not."""
    message = access.get_inbound_message(request.user, pk)
    audit.record_access(request, message, "patient message")
    answer = request.POST.get("decision", "")
    if answer not in InboundMessage.OptOutDecision.values or not message.possible_opt_out:
        return HttpResponseBadRequest("Choose whether the reply is an opt-out.")
    recorded = possible_opt_outs.decide(message, opt_out=answer == InboundMessage.OptOutDecision.OPT_OUT, by=request.user)
    if not recorded:
        text = gettext("Someone had already decided this message.")
    elif answer == InboundMessage.OptOutDecision.OPT_OUT:
        text = gettext("Opted out: no more automated texts or calls to that number.")
    else:
        text = gettext("Kept: the reply is not an opt-out.")
    if request.htmx:
        return done_row(request, text)
    messages.success(request, text)
    return redirect_back(request, "worklist")


@login_required
@require_POST
def mark_message_handled(request, pk):
    message = access.get_inbound_message(request.user, pk)
    audit.record_access(request, message, "patient message")
    recorded = worklist_queries.mark_message_handled(message, by=request.user)
    text = gettext("Message marked as handled.") if recorded else gettext("Someone had already handled this message.")
    if request.htmx:
        return done_row(request, text)
    messages.success(request, text)
    return redirect_back(request, "worklist")

