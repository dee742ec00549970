"""Subscribers are managed here: the endpoint, the event types, on or off, and the secret (shown so it
can be handed to the receiving system; "rotate" issues a new one). Deliveries and their attempts are a
record, read-only, like the reminders' outbox."""

from django import forms
from django.contrib import admin, messages

from ..admin import ClinicScoped, ReadOnly
from .models import Attempt, Delivery, EventType, Subscriber


class SubscriberForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=EventType.choices, widget=forms.CheckboxSelectMultiple)
    url = forms.URLField(label="Endpoint", max_length=500, assume_scheme="https")

    class Meta:
        model = Subscriber
        fields = ["clinic", "name", "url", "events", "active"]


@admin.register(Subscriber)
class SubscriberAdmin(ClinicScoped, admin.ModelAdmin):
    form = SubscriberForm
    clinic_path = "clinic"
    list_display = ["name", "clinic", "url", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret", "created_at"]
    actions = ["rotate_secrets"]

    def get_fields(self, request, obj=None):
        return ["clinic", "name", "url", "events", "active"] + (["secret", "created_at"] if obj else [])

    @admin.action(description="Issue a new secret (the receiving system must be given it)")
    def rotate_secrets(self, request, queryset):
        for subscriber in queryset:
            subscriber.rotate_secret()
        messages.success(request, f"New secret for {queryset.count()} subscriber(s).")


class AttemptInline(ReadOnly, admin.TabularInline):
    model = Attempt
    fields = ["at", "status_code", "error", "duration_ms"]
    readonly_fields = fields
    extra = 0


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly, ClinicScoped, admin.ModelAdmin):
    clinic_path = "subscriber__clinic"
    list_display = ["event", "subscriber", "state", "attempts", "last_status", "next_attempt_at", "delivered_at"]
    list_filter = ["state"]
    list_select_related = ["event", "subscriber"]
    readonly_fields = ["event", "subscriber", "state", "attempts", "next_attempt_at", "claimed_at", "sending_at",
                       "delivered_at", "last_status", "last_error", "created_at"]
    inlines = [AttemptInline]
