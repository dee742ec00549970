from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    """Outbound change notifications: signed webhooks to the clinic's other systems."""

    name = "followup.subscriptions"
    label = "subscriptions"
    verbose_name = "Change notifications"
    default_auto_field = "django.db.models.BigAutoField"
