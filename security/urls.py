from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("security/", views.account_security, name="account"),
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("otp/setup/", views.otp_setup, name="otp_setup"),
    path("otp/disable/", views.otp_disable, name="otp_disable"),
]
