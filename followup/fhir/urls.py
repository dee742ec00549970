from django.urls import path

from . import views

urlpatterns = [
    path("", views.TransactionView.as_view(), name="fhir-transaction"),
    path("metadata", views.MetadataView.as_view(), name="fhir-metadata"),
    # Followup's own terminology (open to anyone), before the generic patterns below.
    path("CodeSystem/<str:resource_id>", views.ConformanceReadView.as_view(), {"resource_type": "CodeSystem"},
         name="fhir-codesystem-read"),
    path("CodeSystem", views.ConformanceSearchView.as_view(), {"resource_type": "CodeSystem"}, name="fhir-codesystem-search"),
    path("Questionnaire/<str:resource_id>", views.ConformanceReadView.as_view(), {"resource_type": "Questionnaire"},
         name="fhir-questionnaire-read"),
    path("Questionnaire", views.ConformanceSearchView.as_view(), {"resource_type": "Questionnaire"},
         name="fhir-questionnaire-search"),
    path("<str:resource_type>/<str:resource_id>/_history/<str:version_id>", views.VersionReadView.as_view(), name="fhir-vread"),
    path("<str:resource_type>/<str:resource_id>", views.ReadView.as_view(), name="fhir-read"),
    path("<str:resource_type>", views.SearchView.as_view(), name="fhir-search"),
]
