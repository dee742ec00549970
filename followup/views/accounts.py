"""Signing in, with an optional second step for staff who turned on a TOTP authenticator app, the
lock-out page after repeated failures, and the account page where the second factor is set up and
the language of Followup's pages is chosen.

Sign-in is two steps only for someone with a confirmed device: the password step remembers who
passed it (for five minutes, in the session) and the code step completes the sign-in. A wrong code
counts as a failed sign-in, like a wrong password, so django-axes locks the pair out after five.
"""

import re
import time
from base64 import b32encode
from urllib.parse import urlsplit

import django_otp
import qrcode
import qrcode.image.svg
from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import audit, languages
from ..models import User

PENDING = "followup_sign_in_pending"
PENDING_SECONDS = 5 * 60


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lock-out check for every sign-in made over HTTP. A call without a request comes
    from code in this process (a shell, a test client's `login`), not from someone guessing over the
    network: there is no address to count by, so the check stands aside."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def locked_out(request, response=None, credentials=None):
    """The page django-axes shows instead of the sign-in form while a username+address is locked."""
    cool_off = get_cool_off(request)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    last = (AccessAttempt.objects.filter(username=username, ip_address=audit.client_ip(request))
            .order_by("-attempt_time").values_list("attempt_time", flat=True).first())
    until = (last or timezone.now()) + cool_off
    minutes = max(1, -(-int((until - timezone.now()).total_seconds()) // 60))
    request.session.pop(PENDING, None)
    return render(request, "registration/locked_out.html",
                  {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT}, status=429)


def _next_url(request, candidate):
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return ""


def confirmed_device(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def sign_in(request):
    next_url = _next_url(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if confirmed_device(user) is None:
            auth.login(request, user)
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        request.session[PENDING] = {"user": user.pk, "backend": user.backend, "at": time.time(), "next": next_url}
        return redirect("login_code")
    return render(request, "registration/login.html", {"form": form, "next": next_url})


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"), max_length=12, strip=True,
        help_text=_("From the authenticator app on your phone. A new code appears every 30 seconds."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_code(self):
        code = re.sub(r"\s", "", self.cleaned_data["code"])
        if not re.fullmatch(r"\d{6}", code):
            raise forms.ValidationError(_("Enter the 6 digits your authenticator app shows, for example 123456."))
        return code


def _check_code(form, device):
    """The device that accepted the form's code, or None with the reason on the form."""
    allowed, details = device.verify_is_allowed()
    if not allowed and details.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        wait = max(1, int((details["locked_until"] - timezone.now()).total_seconds()) + 1) if details.get("locked_until") else 1
        form.add_error("code", ngettext("Too many wrong codes: wait %(wait)d second, then try the new code.",
                                        "Too many wrong codes: wait %(wait)d seconds, then try the new code.", wait) % {"wait": wait})
        return None
    verified = django_otp.verify_token(device.user, device.persistent_id, form.cleaned_data["code"])
    if verified is None:
        form.add_error("code", gettext("That code is not right. Check the clock on your phone, then try the new code."))
    return verified


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def sign_in_code(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.info(request, gettext("Please sign in again."))
        return redirect("login")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    device = confirmed_device(user) if user else None
    if device is None:
        request.session.pop(PENDING, None)
        return redirect("login")
    credentials = {"username": user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return locked_out(request, credentials=credentials)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if _check_code(form, device):
            request.session.pop(PENDING)
            auth.login(request, user, backend=pending["backend"])
            django_otp.login(request, device)
            return redirect(pending["next"] or settings.LOGIN_REDIRECT_URL)
        # Counted like a wrong password: django-axes locks out and the audit log records it.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return render(request, "registration/login_code.html", {"form": form})


# --- The account page and the authenticator app -------------------------------------------------


def qr_svg(text):
    """`text` as a QR code in inline SVG, drawn here: no image service, no script."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=12, border=4)
    svg = image.to_string(encoding="unicode")
    label = conditional_escape(gettext("QR code for your authenticator app"))
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


def _grouped(secret):
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


class LanguageForm(forms.ModelForm):
    """The language of Followup's pages for this staff member (any of settings.LANGUAGES)."""

    class Meta:
        model = User
        fields = ["language"]
        labels = {"language": _("Language of Followup's pages")}
        help_texts = {"language": _("On every device you sign in on.")}


def _account_page(request, device, off_form=None, language_form=None, status=200):
    return render(request, "accounts/account.html", {
        "device": device, "off_form": off_form or (CodeForm() if device else None),
        "language_form": language_form or LanguageForm(instance=request.user),
        "memberships": request.user.memberships.select_related("clinic").order_by("clinic__name"),
    }, status=status)


@login_required
def account(request):
    return _account_page(request, confirmed_device(request.user))


@login_required
@sensitive_post_parameters("code")
def two_factor_setup(request):
    """Show a new secret as a QR code; the first right code from the app turns the second step on."""
    if confirmed_device(request.user) is not None:
        messages.info(request, gettext("Sign-in with a code is already on. Turn it off first to move it to a new phone."))
        return redirect("account")
    device = TOTPDevice.objects.devices_for_user(request.user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and _check_code(form, device):
        with transaction.atomic():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
        django_otp.login(request, device)
        audit.record(request, audit.Action.CHANGE, "account: sign-in code turned on")
        messages.success(request, gettext("Sign-in with a code is on. From now on, signing in asks for the code from your app."))
        return redirect("account")
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "qr": qr_svg(device.config_url), "secret": _grouped(b32encode(device.bin_key).decode()),
    })


@login_required
@require_POST
@sensitive_post_parameters("code")
def two_factor_off(request):
    """Turning the second step off takes a current code, so an unattended signed-in laptop cannot."""
    device = confirmed_device(request.user)
    if device is None:
        return redirect("account")
    form = CodeForm(request.POST)
    if form.is_valid() and _check_code(form, device):
        TOTPDevice.objects.filter(user=request.user).delete()
        audit.record(request, audit.Action.CHANGE, "account: sign-in code turned off")
        messages.success(request, gettext("Sign-in with a code is off: signing in asks for your password only."))
        return redirect("account")
    return _account_page(request, device, form, status=400)


@login_required
@require_POST
def account_language(request):
    """Choose the language of Followup's pages; it applies from this answer on, on every device."""
    form = LanguageForm(request.POST, instance=request.user)
    if not form.is_valid():
        return _account_page(request, confirmed_device(request.user), language_form=form, status=400)
    form.save()
    audit.record(request, audit.Action.CHANGE, f"account: language {request.user.language}")
    translation.activate(request.user.language)  # the confirmation already in the new language
    messages.success(request, gettext("Followup's pages are now in %(language)s.") % {
        "language": languages.name_of(request.user.language)})
    return redirect("account")


class PasswordResetInOwnLanguage(PasswordResetForm):
    """The reset e-mail is in the language of the account it is for, not of the browser that asked."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with translation.override(languages.supported(context["user"].language)):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class PasswordResetBySiteUrl(auth_views.PasswordResetView):
    """Django's password reset by e-mail, with the link built from SITE_URL. Django builds it from
    the request's Host header, which the sender of the request chooses: a reset asked for with
    `Host: evil.example` would mail the user a link to that host, carrying their reset token."""

    form_class = PasswordResetInOwnLanguage

    def form_valid(self, form):
        site = urlsplit(settings.SITE_URL)
        form.save(
            domain_override=site.netloc, use_https=site.scheme == "https", token_generator=self.token_generator,
            from_email=self.from_email, email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name, request=self.request,
            html_email_template_name=self.html_email_template_name, extra_email_context=self.extra_email_context,
        )
        return HttpResponseRedirect(self.get_success_url())
