"""Authentication hardening, production settings, headers, error pages and the audit's
immutability (README, « Qui voit quoi »)."""

import functools
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AppendOnlyError, ReadAudit
from audit.services import audit_read
from practitioners.models import Profession
from prescriptions import seal
from security import services as security_services
from tests import factories

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "motdepasse-de-test-42"


def _code(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


# --- Passwords --------------------------------------------------------------------------------
def test_passwords_are_hashed_with_argon2(prescriber, settings):
    from apa_portal import settings as project_settings

    # tests/conftest.py swaps in a fast hasher; this test checks the project's own list.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    prescriber.set_password("une phrase de passe assez longue")
    assert identify_hasher(prescriber.password).algorithm == "argon2"


@pytest.mark.parametrize("weak", ["court-123", "123456789012345", "motdepasse"])
def test_weak_passwords_are_refused(weak):
    with pytest.raises(ValidationError):
        validate_password(weak)


# --- Login throttling (django-axes) -----------------------------------------------------------
def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_login_locks_after_five_failures_with_a_french_message(prescriber):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "medecin", "mauvais mot de passe").status_code == 200
    locked = _login(client, "medecin", "mauvais mot de passe")
    assert locked.status_code == 429
    assert "Connexion temporairement bloquée" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    # Even the right password is refused now, for this username from this address.
    assert _login(client, "medecin", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address(prescriber, colleague_physician):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "medecin", "mauvais mot de passe")
    # Another account from the same address still logs in.
    response = _login(client, "collegue", PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == colleague_physician.pk


def test_a_successful_login_resets_the_failures(prescriber):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "medecin", "mauvais mot de passe")
    assert _login(client, "medecin", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "medecin", "mauvais mot de passe").status_code == 200


# --- Sessions -----------------------------------------------------------------------------------
def test_sessions_expire_after_30_minutes_idle():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_activity_pushes_the_session_expiry_back_at_most_once_a_minute(client, prescriber):
    from django.contrib.sessions.models import Session

    client.force_login(prescriber)
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    client.get(reverse("home"))
    assert Session.objects.get(session_key=key).expire_date == first  # within the minute
    session = client.session
    session[security_services.SESSION_REFRESHED_AT] = int(time.time()) - 61
    session.save()
    saved = Session.objects.get(session_key=key).expire_date
    time.sleep(1)
    client.get(reverse("home"))
    assert Session.objects.get(session_key=key).expire_date > saved


# --- Second factor (django-otp) -----------------------------------------------------------------
def test_an_admin_without_a_device_must_enrol_before_anything(
    client, structure_admin, otp_enforced
):
    client.force_login(structure_admin)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("security:otp_verify"))
    response = client.get(response.url)
    assert response.url.startswith(reverse("security:otp_setup"))
    page = client.get(response.url)
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.content.decode()  # segno's own data URI
    device = TOTPDevice.objects.get(user=structure_admin, confirmed=False)
    assert client.post(reverse("security:otp_setup"), {"token": "000000"}).status_code == 400
    response = client.post(
        reverse("security:otp_setup"), {"token": _code(device), "next": "/patients/"}
    )
    assert response.status_code == 302 and response.url == "/patients/"
    assert client.get(reverse("patients:list")).status_code == 200


def test_a_superuser_must_give_a_code_and_the_admin_refuses_an_unverified_session(
    client, otp_enforced
):
    admin = factories.UserFactory(username="racine", is_staff=True, is_superuser=True)
    device = security_services.totp_device_for_demo(admin)
    client.force_login(admin)
    assert client.get(reverse("admin:index")).url.startswith(reverse("security:otp_verify"))
    assert client.get(reverse("admin:audit_readaudit_changelist")).status_code == 302
    page = client.post(reverse("security:otp_verify"), {"token": "123456"})
    assert page.status_code == 400
    assert "Ce code n&#x27;est pas valide" in page.content.decode()
    # The delay django-otp sets after a wrong code (1 s, tests/test_security_hardening.py) passes.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=2)
    )
    response = client.post(
        reverse("security:otp_verify"), {"token": _code(device), "next": "/admin/"}
    )
    assert response.url == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_htmx_request_is_sent_to_the_otp_page_by_htmx(client, structure_admin, otp_enforced):
    client.force_login(structure_admin)
    response = client.get(reverse("patients:list"), {"q": "du"}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith(reverse("security:otp_verify"))


def test_an_unverified_session_cannot_replace_the_device(client, otp_enforced):
    admin = factories.UserFactory(username="racine", is_staff=True, is_superuser=True)
    security_services.totp_device_for_demo(admin)
    client.force_login(admin)
    response = client.get(reverse("security:otp_setup"))
    assert response.url.startswith(reverse("security:otp_verify"))
    assert TOTPDevice.objects.filter(user=admin).count() == 1


def test_the_redirect_keeps_only_a_local_next(client, otp_enforced):
    admin = factories.UserFactory(username="racine", is_staff=True, is_superuser=True)
    device = security_services.totp_device_for_demo(admin)
    client.force_login(admin)
    response = client.post(
        reverse("security:otp_verify"),
        {"token": _code(device), "next": "https://evil.example/"},
    )
    assert response.url == reverse("home")


def test_the_second_factor_is_optional_for_a_physician(client, prescriber, otp_enforced):
    client.force_login(prescriber)
    assert client.get(reverse("patients:list")).status_code == 200
    page = client.get(reverse("security:account"))
    assert "Activer la double authentification" in page.content.decode()
    client.get(reverse("security:otp_setup"))
    device = TOTPDevice.objects.get(user=prescriber)
    client.post(reverse("security:otp_setup"), {"token": _code(device)})
    assert TOTPDevice.objects.get(user=prescriber).confirmed
    # Once enrolled, the next login asks for it.
    client.post(reverse("logout"))
    client.force_login(prescriber)
    assert client.get(reverse("patients:list")).status_code == 302
    client.post(reverse("security:otp_verify"), {"token": _code(device, 1)})
    assert client.get(reverse("patients:list")).status_code == 200
    # And a physician may remove it.
    client.post(reverse("security:otp_disable"))
    assert not TOTPDevice.objects.filter(user=prescriber).exists()


def test_an_admin_may_not_remove_the_second_factor(client, structure_admin, otp_enforced):
    device = security_services.totp_device_for_demo(structure_admin)
    client.force_login(structure_admin)
    client.post(reverse("security:otp_verify"), {"token": _code(device)})
    response = client.post(reverse("security:otp_disable"), follow=True)
    assert TOTPDevice.objects.filter(user=structure_admin).exists()
    assert "obligatoire" in response.content.decode()


def test_who_must_use_a_second_factor(prescriber, structure_admin, physiotherapist):
    assert security_services.otp_mandatory_for(structure_admin)
    assert security_services.otp_mandatory_for(
        factories.UserFactory(profession=Profession.ADMIN_STAFF, is_staff=False)
    )
    assert security_services.otp_mandatory_for(
        factories.PhysicianFactory(username="chef", is_superuser=True)
    )
    assert not security_services.otp_mandatory_for(prescriber)
    assert not security_services.otp_mandatory_for(physiotherapist)


def test_demo_totp_prints_the_code_the_device_accepts(capsys, settings):
    settings.DEBUG = True
    admin = factories.UserFactory(username="admin", is_staff=True, is_superuser=True)
    device = security_services.totp_device_for_demo(admin)
    assert device.key == security_services.DEMO_TOTP_KEY_HEX
    call_command("demo_totp")
    code = capsys.readouterr().out.strip()
    assert code.isdigit() and len(code) == 6
    assert device.verify_token(code)


# --- Headers ------------------------------------------------------------------------------------
def test_every_page_sends_a_strict_content_security_policy(client, prescriber):
    client.force_login(prescriber)
    response = client.get(reverse("patients:list"))
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_htmx_is_configured_for_the_csp(client, prescriber):
    client.force_login(prescriber)
    html = client.get(reverse("patients:list")).content.decode()
    assert '"includeIndicatorStyles": false' in html
    assert '"allowEval": false' in html


def test_no_template_has_inline_script_or_style():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for bad in ("<script>", "<style", " style=", "onclick=", "onload=", "onsubmit=", "hx-on"):
            if bad in text:
                offenders.append(f"{template.relative_to(ROOT)}: {bad}")
        for line in text.splitlines():
            if "<script" in line and "src=" not in line and "application/json" not in line:
                offenders.append(f"{template.relative_to(ROOT)}: {line.strip()[:60]}")
    assert offenders == []


# --- Production settings --------------------------------------------------------------------------
SEAL_PASSWORD = "production-seal-password-for-the-tests"


@functools.cache
def _seal_p12() -> str:
    """A PKCS#12 sealing certificate, as production reads it from APA_PDF_SEAL_P12."""
    p12, _pem = seal.make_development_pkcs12(password=SEAL_PASSWORD.encode())
    handle, path = tempfile.mkstemp(prefix="apa-seal-", suffix=".p12")
    with os.fdopen(handle, "wb") as out:
        out.write(p12)
    return path


def _production_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DJANGO_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "APA_PDF_SEAL")
        )
    }
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="x" * 20 + "-production-secret-for-the-deploy-check-0123456789",
        ALLOWED_HOSTS="apa.example.fr",
        DATABASE_URL="sqlite:////tmp/apa-deploy-check.sqlite3",
        CACHE_URL="rediscache://127.0.0.1:6379/1",
        SITE_URL="https://apa.example.fr",
        APA_PDF_SEAL_P12=_seal_p12(),
        APA_PDF_SEAL_PASSWORD=SEAL_PASSWORD,
        **extra,
    )
    return env


def _check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = _production_env()
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_site_url():
    # Every printed QR code would point to 127.0.0.1 otherwise.
    env = _production_env()
    env.pop("SITE_URL")
    result = _check(env)
    assert result.returncode != 0
    assert "SITE_URL must be set in production" in result.stderr


@pytest.mark.parametrize(
    "missing, message",
    [
        ("APA_PDF_SEAL_P12", "APA_PDF_SEAL_P12 must name the PKCS#12 file"),
        ("APA_PDF_SEAL_PASSWORD", "APA_PDF_SEAL_PASSWORD must be set in production"),
    ],
)
def test_production_refuses_to_start_sealing_without_the_certificate(missing, message):
    env = _production_env()
    env.pop(missing)
    result = _check(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_refuses_a_certificate_path_that_is_not_a_file():
    env = _production_env()
    env["APA_PDF_SEAL_P12"] = "/nonexistent/seal.p12"
    result = _check(env)
    assert result.returncode != 0
    assert "APA_PDF_SEAL_P12 must name the PKCS#12 file" in result.stderr


def test_production_starts_without_a_certificate_when_sealing_is_off():
    env = _production_env(APA_PDF_SEAL="false")
    env.pop("APA_PDF_SEAL_P12")  # nor its password: sealing is off
    env.pop("APA_PDF_SEAL_PASSWORD")
    result = _check(env)
    assert result.returncode == 0, result.stderr


def test_sql_is_never_logged():
    assert settings.LOGGING["loggers"]["django.db.backends"]["level"] == "WARNING"


# --- Error pages ----------------------------------------------------------------------------------
def _boom(request):
    raise RuntimeError("secret patient data: DUPONT Hélène")


urlpatterns = [path("boom/", _boom)]


def test_a_404_is_french_and_says_nothing_of_the_record(client, prescriber, patient):
    client.force_login(factories.PhysicianFactory(username="autre", structure=None))
    response = client.get(reverse("patients:detail", kwargs={"pk": patient.pk}))
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page introuvable" in html
    assert patient.birth_name not in html and str(patient.pk) not in html


def test_a_500_is_french_and_leaks_nothing(prescriber, settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    client.force_login(prescriber)
    response = client.get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Une erreur est survenue" in html
    assert "DUPONT" not in html and "Traceback" not in html


def test_a_missing_csrf_token_gets_a_french_403(prescriber):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "medecin", "password": PASSWORD})
    assert response.status_code == 403
    assert "Le formulaire a expiré" in response.content.decode()


def test_a_403_page_is_french(client, prescriber):
    client.force_login(prescriber)
    response = client.get(reverse("dispensing:supervised"))
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


# --- The read audit and the history are append-only -----------------------------------------------
def _one_audit(prescriber, patient):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = prescriber
    return audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient)


def test_the_read_audit_cannot_be_changed_or_deleted(prescriber, patient):
    entry = _one_audit(prescriber, patient)
    entry.detail = "modifié"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        ReadAudit.objects.filter(pk=entry.pk).update(detail="x")
    with pytest.raises(AppendOnlyError):
        ReadAudit.objects.all().delete()
    assert ReadAudit.objects.get(pk=entry.pk).detail == ""


def test_the_history_cannot_be_changed_or_deleted(patient):
    record = patient.history.first()
    record.birth_name = "Falsifié"
    with pytest.raises(AppendOnlyError), transaction.atomic():
        record.save()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        record.delete()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        patient.history.all().delete()
    assert patient.history.first().birth_name == patient.birth_name
    assert settings.SIMPLE_HISTORY_REVERT_DISABLED


def test_a_page_view_records_exactly_one_read(client, prescriber, patient, issued_prescription):
    client.force_login(prescriber)
    client.get(reverse("patients:detail", kwargs={"pk": patient.pk}))
    client.get(reverse("prescriptions:detail", kwargs={"pk": issued_prescription.pk}))
    client.get(reverse("prescriptions:pdf", kwargs={"pk": issued_prescription.pk}))
    # A list is one read for the page, naming the patients it shows (not one per row).
    client.get(reverse("patients:list"))
    reads = list(
        ReadAudit.objects.values_list("action", "patient_id", "prescription_id", "patient_ids")
    )
    assert sorted(reads) == sorted(
        [
            (ReadAudit.Action.PATIENT_VIEW, patient.pk, None, ""),
            (ReadAudit.Action.PRESCRIPTION_VIEW, patient.pk, issued_prescription.pk, ""),
            (ReadAudit.Action.PRESCRIPTION_PDF, patient.pk, issued_prescription.pk, ""),
            (ReadAudit.Action.PATIENT_LIST, None, None, str(patient.pk)),
        ]
    )
    # From where: the address and the browser, nothing of the patient in the detail.
    entry = ReadAudit.objects.filter(action=ReadAudit.Action.PATIENT_VIEW).get()
    assert entry.ip_address == "127.0.0.1" and entry.detail == ""


# --- « Qui a consulté ce dossier ? » in the admin -------------------------------------------------
@pytest.fixture
def audit_admin(structure_admin):
    from django.contrib.auth.models import Permission

    structure_admin.user_permissions.add(Permission.objects.get(codename="view_readaudit"))
    return structure_admin


def test_an_admin_answers_who_opened_this_file_this_month(
    client, audit_admin, prescriber, patient, outsider_physician, other_structure
):
    from audit.admin import readaudit_changelist_for_patient

    foreign = factories.PatientFactory(structure=other_structure)
    _one_audit(prescriber, patient)
    _one_audit(outsider_physician, foreign)
    client.force_login(audit_admin)
    url = readaudit_changelist_for_patient(patient)
    response = client.get(url)
    assert response.status_code == 200
    rows = list(response.context["cl"].queryset)
    assert [(r.user, r.patient_id) for r in rows] == [(prescriber, patient.pk)]
    # « Ce mois-ci », and by user.
    changelist = reverse("admin:audit_readaudit_changelist")
    page = client.get(changelist)
    assert "Ce mois-ci" in page.content.decode()
    assert len(page.context["cl"].queryset) == 1  # never another structure's reads
    by_user = client.get(f"{changelist}?user__id__exact={prescriber.pk}")
    assert by_user.status_code == 200 and len(by_user.context["cl"].queryset) == 1
    # Read-only: no add, no change, no delete.
    entry = rows[0]
    assert client.get(reverse("admin:audit_readaudit_add")).status_code == 403
    assert client.post(reverse("admin:audit_readaudit_delete", args=[entry.pk])).status_code == 403
    assert client.get(reverse("admin:audit_readaudit_change", args=[entry.pk])).status_code == 200
    # Another structure's read is not even reachable by its URL.
    foreign_entry = ReadAudit.objects.get(patient_id=foreign.pk)
    response = client.get(reverse("admin:audit_readaudit_change", args=[foreign_entry.pk]))
    assert response.status_code == 302  # the admin's "does not exist" redirect


def test_the_admin_shows_no_totp_secret_even_to_a_superuser(client):
    root = factories.UserFactory(username="racine", is_staff=True, is_superuser=True)
    victim = factories.PhysicianFactory(username="victime")
    device = TOTPDevice.objects.create(user=victim, name="app", confirmed=True)
    client.force_login(root)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert device.key not in html
    assert security_services.base32_secret(device).replace(" ", "") not in html
    assert "otpauth://" not in html
    assert client.get(
        reverse("admin:otp_totp_totpdevice_config", args=[device.pk])
    ).status_code in (
        403,
        404,
    )
