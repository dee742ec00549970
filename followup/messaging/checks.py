"""Django system checks of the message channels, run by `manage.py check`, at every management
command, and when a Celery worker starts (config/celery.py): a misconfigured channel is found once,
at start, not one failed message at a time."""

import os

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

FILEBASED = "django.core.mail.backends.filebased.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
TWILIO = "followup.messaging.backends.twilio.SmsBackend"


@checks.register("followup")
def check_message_channels(app_configs=None, **kwargs):
    errors = []
    for name in ("SMS_BACKEND", "EMAIL_BACKEND"):
        path = getattr(settings, name)
        try:
            import_string(path)
        except ImportError as error:
            errors.append(checks.Error(f"{name}={path!r} cannot be imported: {error}.", id="followup.E101",
                                       hint=f"Set {name} to a backend class's dotted path."))
    if settings.EMAIL_BACKEND == FILEBASED:
        path = settings.EMAIL_FILE_PATH
        if not path:
            errors.append(checks.Error("The file e-mail backend needs EMAIL_FILE_PATH.", id="followup.E102",
                                       hint="Set EMAIL_FILE_PATH to a directory the worker may write to."))
        elif os.path.exists(path) and not (os.path.isdir(path) and os.access(path, os.W_OK)):
            errors.append(checks.Error(f"EMAIL_FILE_PATH={path!r} is not a directory the process can write to.",
                                       id="followup.E103"))
    if settings.EMAIL_BACKEND == SMTP:
        if not settings.EMAIL_HOST:
            errors.append(checks.Error("The SMTP e-mail backend needs EMAIL_HOST.", id="followup.E104"))
        if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
            errors.append(checks.Error("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.", id="followup.E105"))
    if settings.SMS_BACKEND == TWILIO:
        missing = [name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
                   if not getattr(settings, name)]
        if missing:
            errors.append(checks.Error(f"The Twilio SMS backend needs {', '.join(missing)}.", id="followup.E106"))
    return errors


def run_at_worker_start():
    """Raise SystemCheckError (the worker does not start) when a channel is misconfigured."""
    from django.core.management.base import SystemCheckError

    found = [error for error in check_message_channels() if error.is_serious()]
    if found:
        raise SystemCheckError("\n".join(f"{error.id}: {error.msg}" for error in found))
