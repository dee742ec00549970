from django.apps import AppConfig


class OAuthConfig(AppConfig):
    """System-to-system access: OAuth 2.0 client credentials with a signed JWT (SMART Backend Services)."""

    name = "followup.oauth"
    label = "oauth"
    verbose_name = "System access (OAuth 2.0)"
    default_auto_field = "django.db.models.BigAutoField"
