"""Production mode refuses to start with DEBUG on or without a secret key (DESIGN.md, Settings)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from prescriptions import seal

ROOT = Path(__file__).resolve().parents[1]
SEAL_PASSWORD = "production-seal-password"
# The sealing certificate production reads (APA_PDF_SEAL_P12): a throwaway one.
_seal_handle, SEAL_P12 = tempfile.mkstemp(prefix="apa-seal-", suffix=".p12")
with os.fdopen(_seal_handle, "wb") as _out:
    _out.write(seal.make_development_pkcs12(password=SEAL_PASSWORD.encode())[0])
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "apa.example.org",
    "DATABASE_URL": "sqlite:////tmp/apa-settings-test.sqlite3",
    "CACHE_URL": "rediscache://127.0.0.1:6379/1",
    "SITE_URL": "https://apa.example.org",
    "APA_PDF_SEAL_P12": SEAL_P12,
    "APA_PDF_SEAL_PASSWORD": SEAL_PASSWORD,
}
IMPORT = (
    "import apa_portal.settings as s; "
    "print(s.DEBUG, s.SECRET_KEY == {key!r}, ','.join(s.ALLOWED_HOSTS), "
    "getattr(s, 'SESSION_COOKIE_SECURE', False), s.SECRET_KEY.startswith('django-insecure'))"
)


def import_settings(code: str | None = None, **env: str | None) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DJANGO_ENV",
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "CACHE_URL",
            "TASKS_BACKEND",
            "SITE_URL",
            "APA_PDF_SEAL",
            "APA_PDF_SEAL_P12",
            "APA_PDF_SEAL_PASSWORD",
        }
    }
    for name, value in {**PRODUCTION_ENV, **env}.items():
        if value is not None:
            environment[name] = value
    return subprocess.run(
        [sys.executable, "-c", code or IMPORT.format(key=PRODUCTION_ENV["SECRET_KEY"])],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_valid_production_environment_imports_the_settings():
    result = import_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "apa.example.org", "True", "False"]


@pytest.mark.parametrize("debug", ["true", "1", "on"])
def test_production_refuses_debug_on(debug):
    result = import_settings(DEBUG=debug)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG must be off in production" in result.stderr


def test_production_turns_debug_off_when_it_is_not_set():
    result = import_settings(DEBUG=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


@pytest.mark.parametrize("secret", [None, ""])
def test_production_refuses_a_missing_secret_key(secret):
    result = import_settings(SECRET_KEY=secret)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize("cache", [None, "locmemcache://"])
def test_production_refuses_a_cache_of_its_own_per_worker(cache):
    # The look-up throttle must be shared by every worker process.
    result = import_settings(CACHE_URL=cache)
    assert result.returncode != 0
    assert "CACHE_URL must point to a cache shared by every worker" in result.stderr


def test_an_unknown_environment_name_is_refused():
    result = import_settings(DJANGO_ENV="prod")
    assert result.returncode != 0
    assert "DJANGO_ENV must be 'development' or 'production'" in result.stderr


def test_development_has_safe_local_defaults():
    result = import_settings(DJANGO_ENV=None, DEBUG=None, SECRET_KEY=None, ALLOWED_HOSTS=None)
    assert result.returncode == 0, result.stderr
    debug, _same_key, hosts, secure_cookie, insecure_key = result.stdout.split()
    assert (debug, secure_cookie, insecure_key) == ("True", "False", "True")
    assert "127.0.0.1" in hosts.split(",")


PRINT_TASKS_BACKEND = "import apa_portal.settings as s; print(s.TASKS['default']['BACKEND'])"


@pytest.mark.parametrize(
    ("environment", "backend"),
    [
        ({}, "django_tasks_db.DatabaseBackend"),  # production: a worker runs the tasks
        (
            {"DJANGO_ENV": None, "DEBUG": None, "SECRET_KEY": None, "CACHE_URL": None},
            "django_tasks.backends.immediate.ImmediateBackend",  # development: no worker
        ),
        ({"TASKS_BACKEND": "dummy"}, "django_tasks.backends.dummy.DummyBackend"),
    ],
)
def test_background_tasks_run_in_a_worker_in_production_and_at_once_in_development(
    environment, backend
):
    result = import_settings(PRINT_TASKS_BACKEND, **environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == backend


def test_an_unknown_tasks_backend_is_refused():
    result = import_settings(PRINT_TASKS_BACKEND, TASKS_BACKEND="celery")
    assert result.returncode != 0
    assert "TASKS_BACKEND must be one of database, immediate, dummy" in result.stderr


def test_the_project_speaks_french_in_paris(settings):
    assert settings.LANGUAGE_CODE == "fr"
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.USE_TZ


def test_the_renewal_window_defaults_to_30_days_before_and_90_after():
    # R-R3: "à l'échéance" is not defined precisely, so it is configuration.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import apa_portal.settings as s; "
            "print(s.APA_RENEWAL_WINDOW_DAYS_BEFORE, s.APA_RENEWAL_WINDOW_DAYS_AFTER)",
        ],
        cwd=ROOT,
        env={
            k: v
            for k, v in os.environ.items()
            if not k.startswith("APA_RENEWAL_WINDOW") and k != "DJANGO_ENV"
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["30", "90"], result.stderr
