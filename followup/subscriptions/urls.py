from django.urls import path

from . import views

urlpatterns = [
    path("deliveries/", views.delivery_log, name="webhook-deliveries"),
]
