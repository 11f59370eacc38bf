from django.urls import path

from . import views

app_name = "dispensing"

# Under /patients/ (apa_portal.urls): the orientation is part of the patient's record. Stable
# URLs: <pk> is the patient's opaque UUID.
urlpatterns = [
    path("supervised/", views.supervised_patients, name="supervised"),
    path("<uuid:pk>/orientation/", views.patient_orientation, name="orientation"),
    path(
        "<uuid:pk>/orientation/<int:grant_id>/end/",
        views.orientation_end,
        name="orientation_end",
    ),
]
