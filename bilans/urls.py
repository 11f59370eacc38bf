from django.urls import path

from . import views

app_name = "bilans"

# Under /bilans/ (apa_portal.urls); a patient's pages under /bilans/patients/<uuid>/. Every <pk>
# is an opaque UUID: no patient data in the URLs.
urlpatterns = [
    path("patients/<uuid:pk>/", views.patient_bilans, name="patient"),
    path("patients/<uuid:pk>/entree/", views.entry_create, name="entry_create"),
    path("patients/<uuid:pk>/compte-rendu/", views.report_create, name="report_create"),
    path("entree/<uuid:pk>/", views.entry_detail, name="entry_detail"),
    path("entree/<uuid:pk>/modifier/", views.entry_update, name="entry_update"),
    path("entree/<uuid:pk>/signer/", views.entry_sign, name="entry_sign"),
    path("entree/<uuid:pk>/pdf/", views.entry_pdf, name="entry_pdf"),
    path("entree/<uuid:pk>/sortie/", views.exit_create, name="exit_create"),
    path("compte-rendu/<uuid:pk>/", views.report_detail, name="report_detail"),
    path("compte-rendu/<uuid:pk>/pdf/", views.report_pdf, name="report_pdf"),
    path("sortie/<uuid:pk>/", views.exit_detail, name="exit_detail"),
    path("sortie/<uuid:pk>/modifier/", views.exit_update, name="exit_update"),
    path("sortie/<uuid:pk>/signer/", views.exit_sign, name="exit_sign"),
    path("sortie/<uuid:pk>/pdf/", views.exit_pdf, name="exit_pdf"),
]
