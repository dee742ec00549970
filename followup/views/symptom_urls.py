"""The patient's symptom form, reached from the signed link in a check-in reminder (mounted at /s/)."""

from django.urls import path

from . import symptom_form

urlpatterns = [
    path("<str:signed>/", symptom_form.symptom_form, name="symptom_form"),
    path("<str:signed>/thanks/", symptom_form.symptom_thanks, name="symptom_thanks"),
]
