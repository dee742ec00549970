"""Registered systems: a name, the service account it acts as, its public keys and allowed scopes."""

from django.contrib import admin

from ..admin import ReadOnly
from .models import AccessToken, Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "client_id", "user", "scope", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "client_id"]
    readonly_fields = ["client_id", "created_at"]
    fields = ["name", "client_id", "user", "jwks", "scope", "active", "created_at"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    has_view_permission = has_change_permission = has_add_permission = has_delete_permission = (
        lambda self, request, obj=None: request.user.is_superuser)


@admin.register(AccessToken)
class AccessTokenAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["client", "scope", "issued_at", "expires_at"]
    fields = ["client", "scope", "issued_at", "expires_at"]

    def has_module_permission(self, request):
        return request.user.is_superuser
