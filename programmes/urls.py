from django.urls import path

from . import views

app_name = "programmes"

urlpatterns = [
    path("", views.my_offers, name="mine"),
    path("calendrier.ics", views.my_calendar, name="my_calendar"),
    path("patient/<uuid:pk>/offres/", views.patient_directory, name="patient_directory"),
    path("patient/<uuid:pk>/calendrier.ics", views.patient_calendar, name="patient_calendar"),
    path("offres/nouvelle/", views.offer_create, name="offer_create"),
    path("offres/<uuid:pk>/", views.offer_detail, name="offer"),
    path("offres/<uuid:pk>/modifier/", views.offer_edit, name="offer_edit"),
    path("orientations/<uuid:pk>/decision/", views.referral_decision, name="referral_decision"),
    path("orientations/<uuid:pk>/inscrire/", views.enrol, name="enrol"),
    path("inscriptions/<uuid:pk>/sortie/", views.enrolment_leave, name="enrolment_end"),
    path("seances/<int:pk>/appel/", views.roll_call, name="roll_call"),
    path("seances/<int:pk>/annuler/", views.session_cancel_view, name="session_cancel"),
    path("suivis/<int:pk>/", views.follow_up, name="follow_up"),
    path("importer/", views.offers_import, name="import"),
]
