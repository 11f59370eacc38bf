"""The benchmark's URLconf: the application's, plus the floor view (never in the app itself)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def floor(request: HttpRequest) -> HttpResponse:
    """The floor: the whole middleware chain (session, user, login required) + one trivial
    query. Every page's time is reported as a multiple of this one's, measured in the same run,
    since absolute times on a shared machine drift."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("__bench__/floor/", floor, name="bench-floor"),
    path("", include("apa_portal.urls")),
]
