from django.urls import path

from . import unsubscribe, views

urlpatterns = [
    path("webhooks/twilio/sms/", views.twilio_inbound_sms, name="twilio-inbound"),
    path("webhooks/twilio/status/", views.twilio_status, name="twilio-status"),
    path("healthz", views.healthz, name="healthz"),
    path("u/<str:token>/", unsubscribe.email_unsubscribe, name="email-unsubscribe"),
]
