from django.urls import path

from . import views

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="fhir-metadata"),
    path("<str:resource_type>/<str:resource_id>/_history/<str:version_id>", views.VersionReadView.as_view(), name="fhir-vread"),
    path("<str:resource_type>/<str:resource_id>", views.ReadView.as_view(), name="fhir-read"),
    path("<str:resource_type>", views.SearchView.as_view(), name="fhir-search"),
]
