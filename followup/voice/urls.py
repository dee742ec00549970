from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/twilio/voice/", views.twilio_voice, name="twilio-voice"),
    path("webhooks/twilio/voice/gather/<slug:step>/", views.twilio_voice_gather, name="twilio-voice-gather"),
    path("webhooks/twilio/voice/status/", views.twilio_voice_status, name="twilio-voice-status"),
]
