from django.urls import path

from . import views

app_name = "patients"

# Stable URLs: <pk> is an opaque UUID.
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create_view, name="create"),
    path("<uuid:pk>/", views.patient_detail, name="detail"),
    path("<uuid:pk>/edit/", views.patient_update_view, name="update"),
]
