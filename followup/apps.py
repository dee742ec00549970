from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = "Followup"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth import signals

        from . import audit
        from .messaging import checks  # noqa: F401  (registers the message-channel checks)

        # Sign-in, failed sign-in and sign-out go to the audit log (HIPAA audit controls).
        signals.user_logged_in.connect(audit.record_sign_in, dispatch_uid="followup.audit.sign_in")
        signals.user_login_failed.connect(audit.record_sign_in_failed, dispatch_uid="followup.audit.sign_in_failed")
        signals.user_logged_out.connect(audit.record_sign_out, dispatch_uid="followup.audit.sign_out")
