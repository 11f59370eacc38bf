from django.urls import path

from . import views

app_name = "prescriptions"

urlpatterns = [
    path("<uuid:pk>/", views.prescription_detail, name="detail"),
]
