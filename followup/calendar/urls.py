from django.urls import path

from . import views

urlpatterns = [
    path("", views.feed_list, name="calendar-feeds"),
    path("feeds/new/", views.feed_create, name="calendar-feed-create"),
    path("feeds/<int:pk>/revoke/", views.feed_revoke, name="calendar-feed-revoke"),
    path("<str:token>.ics", views.feed, name="calendar-feed"),
]
