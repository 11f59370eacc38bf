from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard import views as dashboard_views
from kernel.health import healthz
from prescriptions import verification_views
from security.forms import LoginForm

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("security.urls")),
    path("patients/", include("patients.urls")),
    path("patients/", include("dispensing.urls")),
    path("prescriptions/", include("prescriptions.urls")),
    # Public (no login): anyone holding a printed form checks it; the QR code points here.
    path("verifier/", verification_views.verify, name="verify"),
    path("bilans/", include("bilans.urls")),
    path("parcours-cancer/", include("pathway.urls")),
    path("programmes/", include("programmes.urls")),
    path("notifications/", include("notifications.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("admin/", admin.site.urls),
    # For the load balancer and the supervisor: no login, no data (kernel.health).
    path("healthz/", healthz, name="healthz"),
]
