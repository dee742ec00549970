from django.urls import path, re_path

from . import views

CONFORMANCE = r"(?P<resource_type>CodeSystem|Questionnaire)"

urlpatterns = [
    path("", views.TransactionView.as_view(), name="fhir-transaction"),
    path("metadata", views.MetadataView.as_view(), name="fhir-metadata"),
    re_path(rf"^{CONFORMANCE}/(?P<resource_id>[^/]+)$", views.ConformanceReadView.as_view(), name="fhir-conformance-read"),
    re_path(rf"^{CONFORMANCE}$", views.ConformanceSearchView.as_view(), name="fhir-conformance-search"),
    path("<str:resource_type>/<str:resource_id>/_history/<str:version_id>", views.VersionReadView.as_view(), name="fhir-vread"),
    path("<str:resource_type>/<str:resource_id>", views.ReadView.as_view(), name="fhir-read"),
    path("<str:resource_type>", views.SearchView.as_view(), name="fhir-search"),
]
