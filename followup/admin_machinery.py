"""The admin's machinery, for superusers only: the dispatcher's heartbeats, sign-in lock-outs
(django-axes), sign-in code devices (django-otp) and API tokens. A clinical lead who may use the admin
sees the clinic's records in the clinic's words, not the plumbing that keeps them moving.

Called once from followup/admin.py, after every app has registered its own admin classes.
"""

from django.contrib import admin

MACHINERY = [("axes", "AccessAttempt"), ("axes", "AccessLog"), ("axes", "AccessFailureLog"), ("otp_totp", "TOTPDevice"),
             ("authtoken", "TokenProxy"), ("followup", "Heartbeat")]


class SuperusersOnly:
    """Hidden from the index and refused to anyone but a superuser."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_active and request.user.is_superuser and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser and super().has_delete_permission(request, obj)


def for_superusers_only(site=admin.site):
    """Re-register each machinery model's admin with SuperusersOnly in front of it."""
    for model, model_admin in list(site._registry.items()):
        if (model._meta.app_label, model.__name__) not in MACHINERY:
            continue
        site.unregister(model)
        restricted = type(f"SuperusersOnly{type(model_admin).__name__}", (SuperusersOnly, type(model_admin)), {})
        site.register(model, restricted)
