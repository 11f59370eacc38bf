from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from practitioners import views as practitioner_views
from security.admin_site import SecureAdminSite

urlpatterns = [
    path("", practitioner_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("security.urls")),
    path("patients/", include("patients.urls")),
    path("prescriptions/", include("prescriptions.urls")),
    path("notifications/", include("notifications.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("admin/", admin.site.urls),
]

# The admin refuses a session that has not passed the second factor (django-otp's documented way).
admin.site.__class__ = SecureAdminSite
admin.site.site_header = "APA Portal : administration"
admin.site.site_title = "APA Portal"
admin.site.index_title = "Gestion des dossiers"
