from django.urls import include, path

urlpatterns = [
    path("s/", include("followup.views.symptom_urls")),
]
