from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.notification_open, name="open"),
    path("<int:pk>/lu/", views.notification_read, name="read"),
    path("tout-lu/", views.mark_all_read, name="read_all"),
]
