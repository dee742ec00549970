"""What the nurse views share: the return address after an action, and one way to show a form
either inline (an HTMX fragment) or as its own page (without JavaScript)."""

from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect


def safe_next(request):
    """The `next` address the form came from, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: a bare word would be taken by redirect() for a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def redirect_back(request, default, *args):
    return redirect(safe_next(request) or default, *args)


def done(request, url):
    """After a successful POST: a full page load of `url` (HTMX follows it as a client redirect)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def show_form(request, form_template, context):
    """The form alone for HTMX (it replaces itself), or a page around it without JavaScript.

    A form on its own page posts `page=1`, so the fragment that replaces it after an error keeps
    the page's heading and the patient's name."""
    if request.htmx:
        return render(request, form_template, {**context, "page": request.POST.get("page") == "1"})
    return render(request, "followup/form_page.html", {**context, "form_template": form_template})


def done_row(request, text, template="followup/worklist/_done_row.html"):
    """The row that replaces an acted-on worklist row in place; it tells the counts to refresh."""
    response = render(request, template, {"text": text})
    response["HX-Trigger"] = "worklist-changed"
    return response


def posted(request):
    """The submitted data for a form, or None on GET. (`request.POST or None` would treat an empty
    POST, e.g. a skip without a note, as unbound and never act on it.)"""
    return request.POST if request.method == "POST" else None
