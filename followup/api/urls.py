from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("patients", views.PatientViewSet, basename="api-patient")
router.register("caregivers", views.CaregiverViewSet, basename="api-caregiver")
router.register("schedules", views.CareScheduleViewSet, basename="api-schedule")
router.register("occurrences", views.OccurrenceViewSet, basename="api-occurrence")
router.register("procedures", views.ProcedureViewSet, basename="api-procedure")
router.register("bereavement-calls", views.BereavementCallViewSet, basename="api-bereavement-call")
router.register("symptom-reports", views.SymptomReportViewSet, basename="api-symptom-report")
router.register("alerts", views.AlertViewSet, basename="api-alert")
router.register("on-call-contacts", views.OnCallContactViewSet, basename="api-on-call-contact")
router.register("reminders", views.ReminderViewSet, basename="api-reminder")
router.register("inbound-messages", views.InboundMessageViewSet, basename="api-inbound-message")
router.register("calendar-feeds", views.CalendarFeedViewSet, basename="api-calendar-feed")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its set-up script from a URL (no inline script); the page's one small inline
    # <style> (drf-spectacular's template) is allowed by its hash, on this page only.
    path("docs/", csp_update({"style-src": ["'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"]})(
        SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
]
