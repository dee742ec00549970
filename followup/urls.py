"""Every URL of Followup, one include per area; each area's module owns its own paths."""

from django.urls import include, path

from .oauth.views import smart_configuration

urlpatterns = [
    path(".well-known/smart-configuration", smart_configuration, name="smart-configuration"),
    path("fhir/R4/.well-known/smart-configuration", smart_configuration, name="fhir-smart-configuration"),
    path("oauth/", include("followup.oauth.urls")),  # the OAuth 2.0 token endpoint (SMART Backend Services)
    path("", include("followup.messaging.urls")),  # webhooks, /healthz
    path("", include("followup.operations.urls")),  # /metrics
    path("", include("followup.views.urls")),  # sign-in, worklist, patient pages, the patient's symptom form
    path("reports/", include("followup.reports.urls")),
    path("api/", include("followup.api.urls")),  # REST v1, OpenAPI schema and docs
    path("fhir/R4/", include("followup.fhir.urls")),
    path("calendar/", include("followup.calendar.urls")),
    path("subscriptions/", include("followup.subscriptions.urls")),  # the change-notification delivery log
    path("hospital/", include("followup.hospital.urls")),  # the leads' page of HL7 messages, nurses' answers
]
