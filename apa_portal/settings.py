"""APA Portal settings: one file, everything from the environment with safe local defaults.

`DJANGO_ENV=production` switches to production mode, which refuses to start with `DEBUG` on or
without a `SECRET_KEY`.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default="")
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production (DJANGO_ENV=production).")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (DJANGO_ENV=production).")
elif not SECRET_KEY:
    # Development only: a fixed, obviously insecure key so that sessions survive restarts.
    SECRET_KEY = "django-insecure-apa-portal-local-development-only"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "practitioners",
    "patients",
    "prescriptions",
    "audit",
    "security",
    "notifications",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy headers (see below).
    "csp.middleware.CSPMiddleware",
    "security.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "security.middleware.SessionIdleTimeoutMiddleware",
    # Deny by default: every view needs a logged-in user unless it opts out explicitly.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Then the second factor for the sessions that need one (security/services.py).
    "security.middleware.OTPRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Login throttling and lockout; last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "apa_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "apa_portal.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT: PostgreSQL compiles the plans it deems expensive (the dashboard's aggregates) in
    # 300-700 ms, more than such a query then takes to run (bench/RESULTS.md, issue 8).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

# The look-up throttle counts failures in the cache: every worker process must share it, so
# production needs a shared cache (Redis: CACHE_URL=rediscache://127.0.0.1:6379/1).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if PRODUCTION and CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    raise ImproperlyConfigured(
        "CACHE_URL must point to a cache shared by every worker in production "
        "(e.g. rediscache://127.0.0.1:6379/1)."
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "practitioners.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username + IP before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2 for new and re-hashed passwords; the others only to read older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# "fr", the one language of LANGUAGES: with "fr-fr" every active "fr" translation falls back
# on a second, identical catalogue, and each string missing from both (every French msgid of
# the project) is looked up twice in each of its nine catalogues (issue 8).
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="APA Portal <ne-pas-repondre@apa-portal.local>"
)
# Absolute base URL used in e-mails (which must never carry health data, only a link to log in).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Sessions end after 30 minutes without activity, and when the browser closes. The expiry is
# pushed back at most once a minute (security.middleware.SessionIdleTimeoutMiddleware) rather
# than on every request (SESSION_SAVE_EVERY_REQUEST: a database write per request).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_IDLE_REFRESH_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "security.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Strict Content-Security-Policy (django-csp): no inline script nor style, no framing, no
# third party. htmx's indicator style is switched off in base.html (meta htmx-config) and
# lives in static/css/app.css instead.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Login throttling (django-axes) and second factor (django-otp) ------------------------
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False
# Behind the reverse proxy REMOTE_ADDR is the client's (set by the proxy), as for the audit.
AXES_CLIENT_IP_CALLABLE = "audit.services.client_ip"
# The second factor is mandatory for superusers, staff and administrative staff
# (security/services.py). Only the test suite turns it off, per test (tests/conftest.py).
APA_OTP_REQUIRED = env.bool("APA_OTP_REQUIRED", default=True)
OTP_TOTP_ISSUER = "APA Portal"
# The history of every record is read-only in the admin (no "revert").
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every CSS property it ignores; keep its warnings only. SQL is never logged
    # (its parameters would carry patient data), whatever LOG_LEVEL says.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}

# Background tasks: Django's tasks framework (DEP 14; the django-tasks backport until Django 6).
# A prescription's PDF is rendered when it is signed or renewed (prescriptions.tasks), so that
# its first download is a stored read (issue 8). TASKS_BACKEND:
# - "database": the task is a row of the database, run by `manage.py db_worker` (production);
# - "immediate": run in the request, once its transaction has committed (development: no
#   worker to start; the PDF is ready when the physician clicks);
# - "dummy": kept in memory and never run (the PDF is then rendered at its first download).
# A task that is late or lost costs nothing but time: the PDF is rendered on demand.
TASKS_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
TASKS_BACKEND = env.str("TASKS_BACKEND", default="database" if PRODUCTION else "immediate")
if TASKS_BACKEND not in TASKS_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(TASKS_BACKENDS)} (not {TASKS_BACKEND!r})."
    )
TASKS = {"default": {"BACKEND": TASKS_BACKENDS[TASKS_BACKEND]}}

# --- Domain settings -----------------------------------------------------------------------
# R-R3 (CSP D.1172-2-1): the physiotherapist renews "à l'échéance" of the initial prescription.
# The text gives no exact window, so it is configuration: from N days before the end date to
# M days after it.
APA_RENEWAL_WINDOW_DAYS_BEFORE = env.int("APA_RENEWAL_WINDOW_DAYS_BEFORE", default=30)
APA_RENEWAL_WINDOW_DAYS_AFTER = env.int("APA_RENEWAL_WINDOW_DAYS_AFTER", default=90)

# Prescription look-up by a physiotherapist (reference + birth date): after this many failures
# per user and per IP address within the window, further attempts are refused (429).
APA_LOOKUP_MAX_FAILURES = env.int("APA_LOOKUP_MAX_FAILURES", default=5)
APA_LOOKUP_WINDOW_SECONDS = env.int("APA_LOOKUP_WINDOW_SECONDS", default=15 * 60)

# Password of the demo accounts made by `manage.py seed_demo` (refused as "demo" without DEBUG).
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo")
