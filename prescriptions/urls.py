from django.urls import path

from . import views

app_name = "prescriptions"

# Stable URLs: other tools and users' bookmarks depend on them. <pk> is an opaque UUID.
urlpatterns = [
    # --- Physician journey (views.py) ---
    path("<uuid:pk>/", views.prescription_detail, name="detail"),
    # --- Physiotherapist journey (renewal_views.py) ---
]
