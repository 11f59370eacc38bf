from django.urls import path

from . import renewal_views, views

app_name = "prescriptions"

# Stable URLs: other tools and users' bookmarks depend on them. <pk> is an opaque UUID.
urlpatterns = [
    # --- Physician journey (views.py) ---
    path("", views.prescription_list, name="list"),
    path("new/", views.prescription_create_view, name="create"),  # ?patient=<uuid>
    path("<uuid:pk>/", views.prescription_detail, name="detail"),
    path("<uuid:pk>/edit/", views.prescription_update_view, name="update"),
    path("<uuid:pk>/issue/", views.prescription_issue_view, name="issue"),
    path("<uuid:pk>/cancel/", views.prescription_cancel_view, name="cancel"),
    path("<uuid:pk>/pdf/", views.prescription_pdf, name="pdf"),
    # --- Physiotherapist journey (renewal_views.py) ---
    path("lookup/", renewal_views.prescription_lookup, name="lookup"),
    path("<uuid:pk>/renewal/", renewal_views.renewal_create, name="renewal"),
    path("<uuid:pk>/changes/", renewal_views.renewal_changes, name="changes"),
    path("<uuid:pk>/changes/read/", renewal_views.renewal_mark_read_view, name="changes_read"),
    path(
        "<uuid:pk>/access/<int:access_id>/end/",
        renewal_views.lookup_access_end,
        name="access_end",
    ),
]
