from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("frequency/", views.frequency, name="frequency"),
    path("patients/", views.patients, name="patient_drainages"),
    path("drainages/", views.drainage_log, name="drainage_log"),
    path("reminders/", views.reminders, name="reminders"),
    path("symptoms/", views.symptoms, name="symptoms"),
    path("export/<slug:key>.csv", views.export, name="export"),
]
