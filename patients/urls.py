from django.urls import path

from . import orientation_views, views

app_name = "patients"

# Stable URLs: <pk> is an opaque UUID.
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create_view, name="create"),
    path("<uuid:pk>/", views.patient_detail, name="detail"),
    path("<uuid:pk>/edit/", views.patient_update_view, name="update"),
    # --- Orientation to a dispenser (orientation_views.py, security helper) ---
    path("supervised/", orientation_views.supervised_patients, name="supervised"),
    path("<uuid:pk>/orientation/", orientation_views.patient_orientation, name="orientation"),
    path(
        "<uuid:pk>/orientation/<int:grant_id>/end/",
        orientation_views.orientation_end,
        name="orientation_end",
    ),
]
