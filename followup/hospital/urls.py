from django.urls import path

from . import views

urlpatterns = [
    path("messages/", views.hospital_messages, name="hospital_messages"),
    path("notices/<int:pk>/<str:outcome>/", views.answer_notice, name="answer_hospital_notice"),
]
