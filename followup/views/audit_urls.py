from django.urls import path

from . import audit

urlpatterns = [
    path("", audit.audit_log, name="audit"),
    path("export.csv", audit.export, name="audit_export"),
]
