from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    """Outbound change notifications: signed webhooks to the clinic's other systems."""

    name = "followup.subscriptions"
    label = "subscriptions"
    verbose_name = "Change notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from simple_history.signals import post_create_historical_record

        from . import events

        # The outbox: each history row a care record writes is looked at, in its transaction.
        events.connect(post_create_historical_record)
