from django.urls import path

from . import views

app_name = "pathway"

# Under /parcours-cancer/ (apa_portal.urls). Every <pk> is an opaque UUID: no patient data in
# the URLs.
urlpatterns = [
    path("patients/<uuid:pk>/episode/", views.episode_create, name="episode_create"),
    path("episodes/<uuid:pk>/prescrire/", views.pathway_create, name="pathway_create"),
    path("<uuid:pk>/", views.pathway_detail, name="detail"),
    path("<uuid:pk>/pdf/", views.pathway_pdf, name="pdf"),
    path("<uuid:pk>/reserver/", views.booking_create, name="booking_create"),
    path("prestations/<uuid:pk>/renseigner/", views.booking_mark, name="booking_mark"),
    path("etats/", views.statements, name="statements"),
    path("etats/export-ars.csv", views.ars_export, name="ars_export"),
]
