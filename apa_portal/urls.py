from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from practitioners import views as practitioner_views

urlpatterns = [
    path("", practitioner_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("patients/", include("patients.urls")),
    path("prescriptions/", include("prescriptions.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "APA Portal : administration"
admin.site.site_title = "APA Portal"
admin.site.index_title = "Gestion des dossiers"
