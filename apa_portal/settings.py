"""APA Portal settings: one file, everything from the environment with safe local defaults.

`DJANGO_ENV=production` switches to production mode, which refuses to start with `DEBUG` on,
without a `SECRET_KEY`, without a `SITE_URL`, or (sealing on) without the sealing certificate.
"""

from datetime import timedelta
from ipaddress import ip_network
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
# The reverse proxies (addresses or networks, e.g. "127.0.0.1,10.0.0.0/24") whose
# X-Forwarded-For is believed (kernel.http.client_ip: the audit, the login lock-outs and the
# throttles). Empty (the default): the header is ignored, the client is REMOTE_ADDR.
# gunicorn.conf.py reads the same variable for forwarded_allow_ips.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ip_network(_proxy.strip(), strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an address.") from exc

INSTALLED_APPS = [
    # django.contrib.admin, whose default site requires the second factor.
    "security.apps.SecureAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Every form is rendered by crispy-forms in Bootstrap 5 markup (kernel.forms).
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    # Third-party apps under their French names in the admin (apa_portal.apps).
    "apa_portal.apps.AxesConfig",
    "django_otp",
    "apa_portal.apps.OtpTotpConfig",
    "django_tasks",
    "apa_portal.apps.TasksDbConfig",
    # The project's apps, bottom to top of their layers (README, « Architecture »).
    "kernel",
    "practitioners",
    "audit",
    "security",
    "patients",
    "prescriptions",
    "dispensing",
    "bilans",
    "pathway",
    "programmes",
    "notifications",
    "dashboard",
    "demo",
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
    # Cache-Control: no-store, private on every page a logged-in user gets.
    "security.middleware.NoStoreMiddleware",
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
    # The 429 page of the per-account and per-address login limits (security.login_limits).
    "security.middleware.LoginLimitMiddleware",
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
                "prescriptions.context_processors.renewals",
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
    # 300-700 ms, more than such a query then takes to run (bench/RESULTS.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

# The look-up throttle counts failures in the cache: every worker process must share it, so
# production needs a shared cache (Redis: CACHE_URL=rediscache://127.0.0.1:6379/1).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Redis only holds recomputable figures and throttle counters: when it is down or frozen the
# pages go on without it (kernel.cache.DegradingRedisCache: a miss, a dropped write, counters in
# the process, one warning), after a short timeout (connect and read, in seconds) rather than
# the client's default of several seconds.
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "kernel.cache.DegradingRedisCache"
    _cache_options = CACHES["default"].setdefault("OPTIONS", {})
    _cache_options.setdefault(
        "socket_connect_timeout", env.float("CACHE_CONNECT_TIMEOUT", default=0.25)
    )
    _cache_options.setdefault("socket_timeout", env.float("CACHE_TIMEOUT", default=0.25))
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
    # Then the per-account and per-address limits (security.login_limits).
    "security.backends.LoginLimitBackend",
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
# the project) is looked up twice in each of its nine catalogues (bench/RESULTS.md).
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
# Absolute base URL used in e-mails (which must never carry health data, only a link to log in)
# and printed on the PDF form (the verification page its QR code points to): required in
# production, where a default would send every printed QR code to 127.0.0.1.
SITE_URL = env.str("SITE_URL", default="" if PRODUCTION else "http://127.0.0.1:8000")
if PRODUCTION and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "SITE_URL must be set in production (DJANGO_ENV=production), e.g. https://apa.example.fr: "
        "it is printed on every PDF form."
    )

# --- Electronic seal of the PDF forms (pyHanko, PAdES baseline B) --------------------------
# Issued forms are sealed with the certificate of the structure or the platform, so that any
# change to the file is detectable (`pyhanko sign validate`). In production the certificate is
# a PKCS#12 file (APA_PDF_SEAL_P12) and its password (APA_PDF_SEAL_PASSWORD), both required
# when sealing is on. In development and tests, without APA_PDF_SEAL_P12, a self-signed
# development certificate is made on first use and kept in APA_PDF_SEAL_DEV_DIR (gitignored).
APA_PDF_SEAL = env.bool("APA_PDF_SEAL", default=True)
APA_PDF_SEAL_P12 = env.str("APA_PDF_SEAL_P12", default="")
APA_PDF_SEAL_PASSWORD = env.str("APA_PDF_SEAL_PASSWORD", default="")
APA_PDF_SEAL_DEV_DIR = Path(env.str("APA_PDF_SEAL_DEV_DIR", default=str(BASE_DIR / ".dev-seal")))
if PRODUCTION and APA_PDF_SEAL:
    if not APA_PDF_SEAL_P12 or not Path(APA_PDF_SEAL_P12).is_file():
        raise ImproperlyConfigured(
            "APA_PDF_SEAL_P12 must name the PKCS#12 file of the sealing certificate in production "
            "(or turn sealing off with APA_PDF_SEAL=false)."
        )
    if not APA_PDF_SEAL_PASSWORD:
        raise ImproperlyConfigured(
            "APA_PDF_SEAL_PASSWORD must be set in production when the PDF forms are sealed."
        )

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Sessions end after 30 minutes without activity, and when the browser closes. The expiry is
# pushed back at most once a minute (security.middleware.SessionIdleTimeoutMiddleware) rather
# than on every request (SESSION_SAVE_EVERY_REQUEST: a database write per request).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_IDLE_REFRESH_SECONDS = 60
# However active, a session ends this long after the login (ASVS 3.3.2): log in again.
SESSION_ABSOLUTE_AGE = env.int("SESSION_ABSOLUTE_AGE", default=12 * 60 * 60)
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

# Passwords: a reset link is valid for an hour; the reset form is throttled per client address
# and per e-mail address (beyond it: the same answer, no e-mail), the change form per account.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
APA_PASSWORD_THROTTLE_WINDOW_SECONDS = 60 * 60
APA_PASSWORD_RESET_MAX_PER_IP = env.int("APA_PASSWORD_RESET_MAX_PER_IP", default=10)
APA_PASSWORD_RESET_MAX_PER_EMAIL = env.int("APA_PASSWORD_RESET_MAX_PER_EMAIL", default=3)
APA_PASSWORD_CHANGE_MAX_ATTEMPTS = env.int("APA_PASSWORD_CHANGE_MAX_ATTEMPTS", default=5)

# --- Login throttling (django-axes) and second factor (django-otp) ------------------------
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# One username from one address (the client's, kernel.http.client_ip): an attacker elsewhere
# cannot lock a victim out. Guesses spread over addresses or usernames are limited by
# security.login_limits (below), which spares the addresses an account logged in from.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False
# The client's address as the audit sees it (X-Forwarded-For from TRUSTED_PROXIES only).
AXES_CLIENT_IP_CALLABLE = "kernel.http.client_ip"
APA_LOGIN_MAX_FAILURES_PER_ACCOUNT = env.int("APA_LOGIN_MAX_FAILURES_PER_ACCOUNT", default=20)
APA_LOGIN_MAX_FAILURES_PER_ADDRESS = env.int("APA_LOGIN_MAX_FAILURES_PER_ADDRESS", default=50)
APA_LOGIN_FAILURE_WINDOW_SECONDS = env.int("APA_LOGIN_FAILURE_WINDOW_SECONDS", default=60 * 60)
APA_LOGIN_KNOWN_ADDRESS_DAYS = env.int("APA_LOGIN_KNOWN_ADDRESS_DAYS", default=30)
# The second factor is mandatory for superusers, staff and administrative staff
# (security/services.py). Only the test suite turns it off, per test (tests/conftest.py).
APA_OTP_REQUIRED = env.bool("APA_OTP_REQUIRED", default=True)
OTP_TOTP_ISSUER = "APA Portal"
# Wrong codes: django-otp's delays (1, 2, 4… s, OTP_TOTP_THROTTLE_FACTOR), then a lock-out
# after this many in a row, lifted by an administrator (security.services.otp_unlock).
OTP_TOTP_THROTTLE_FACTOR = 1
APA_OTP_MAX_FAILURES = env.int("APA_OTP_MAX_FAILURES", default=10)
# No one, superusers included, reads a TOTP secret (key, QR code) in the admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
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
# its first download is a stored read (bench/RESULTS.md). TASKS_BACKEND:
# - "database": the task is a row of the database, run by `manage.py run_worker` (production);
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
# The worker (`manage.py run_worker`, kernel.worker: django-tasks-db's worker under a loop that
# reconnects after a database outage). A task RUNNING for longer than this was left by a dead
# worker: it is put back in the queue (a PDF renders in well under a minute).
APA_TASKS_RUNNING_TIMEOUT_SECONDS = env.int("APA_TASKS_RUNNING_TIMEOUT_SECONDS", default=15 * 60)
# A task of these paths that failed (or was left RUNNING) runs again, up to this many attempts
# in all, each later than the one before (APA_TASKS_RETRY_DELAY_SECONDS × 2^(attempt - 1)).
APA_TASKS_RETRIED = [
    "prescriptions.tasks.prerender_prescription_pdf",
    "bilans.tasks.prerender_document_pdf",
    "pathway.tasks.prerender_pathway_pdf",
]
APA_TASKS_MAX_ATTEMPTS = env.int("APA_TASKS_MAX_ATTEMPTS", default=3)
APA_TASKS_RETRY_DELAY_SECONDS = env.int("APA_TASKS_RETRY_DELAY_SECONDS", default=60)
# `/healthz/` answers 503 when the oldest task waiting to run is older than this.
APA_HEALTH_MAX_QUEUE_AGE_SECONDS = env.int("APA_HEALTH_MAX_QUEUE_AGE_SECONDS", default=15 * 60)

# --- Retention of the read audit -------------------------------------------------------------
# CNIL, délibération n° 2021-122 du 14 octobre 2021 (recommandation relative à la
# journalisation): access logs are kept between six months and one year. The rows stay in the
# database for APA_AUDIT_RETENTION_DAYS (6 months: online, searchable), then
# `manage.py archive_read_audit` moves them to gzip-compressed CSV files in
# APA_AUDIT_ARCHIVE_DIR (to be kept apart from the main system) and deletes the archive files
# whose newest row is older than APA_AUDIT_ARCHIVE_KEEP_DAYS (one year in all).
APA_AUDIT_RETENTION_DAYS = env.int("APA_AUDIT_RETENTION_DAYS", default=183)
APA_AUDIT_ARCHIVE_KEEP_DAYS = env.int("APA_AUDIT_ARCHIVE_KEEP_DAYS", default=365)
APA_AUDIT_ARCHIVE_DIR = Path(
    env.str("APA_AUDIT_ARCHIVE_DIR", default=str(BASE_DIR / "var" / "audit-archive"))
)

# Forms: crispy-forms with its Bootstrap 5 pack.
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Domain settings -----------------------------------------------------------------------
# R-R3 (CSP D.1172-2-1): the physiotherapist renews "à l'échéance" of the initial prescription.
# The text gives no exact window, so it is configuration: from N days before the end date to
# M days after it.
APA_RENEWAL_WINDOW_DAYS_BEFORE = env.int("APA_RENEWAL_WINDOW_DAYS_BEFORE", default=30)
APA_RENEWAL_WINDOW_DAYS_AFTER = env.int("APA_RENEWAL_WINDOW_DAYS_AFTER", default=90)
# The look-up accesses of physiotherapists (and the orientations) end when the prescription is
# withdrawn, and this many days after its end (renewal included): by default the end of the
# renewal window, the last day a physiotherapist may still renew it (R-R3). Run daily by
# `manage.py end_expired_grants` (deploy/apa-portal-daily.service).
APA_GRANT_DAYS_AFTER_END = env.int(
    "APA_GRANT_DAYS_AFTER_END", default=APA_RENEWAL_WINDOW_DAYS_AFTER
)

# R-P2, R-P4: the prescription's start date, counted from the day it is signed: not before that
# day, not more than 3 months after by default (a typo such as 31/12/9999 or 01/01/1900 would
# issue a prescription already expired, or out of any calendar).
APA_START_DATE_DAYS_BEFORE = env.int("APA_START_DATE_DAYS_BEFORE", default=0)
APA_START_DATE_MONTHS_AFTER = env.int("APA_START_DATE_MONTHS_AFTER", default=3)

# R-B1 (REFERENCE.md §6): a Timed Up and Go above this many seconds signals a fall risk (the
# literature gives 12 to 14 s).
APA_TUG_FALL_RISK_SECONDS = env.float("APA_TUG_FALL_RISK_SECONDS", default=12.0)
# The professional's home: a compte rendu is due when none was written for this many weeks.
APA_REPORT_DUE_WEEKS = env.int("APA_REPORT_DUE_WEEKS", default=6)

# Prescription look-up by a physiotherapist (reference + birth date): after this many failures
# per user and per IP address within the window, further attempts are refused (429).
APA_LOOKUP_MAX_FAILURES = env.int("APA_LOOKUP_MAX_FAILURES", default=5)
APA_LOOKUP_WINDOW_SECONDS = env.int("APA_LOOKUP_WINDOW_SECONDS", default=15 * 60)

# Password of the demo accounts made by `manage.py seed_demo` (refused as "demo" without DEBUG).
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo")

# Group programmes: the coordinator and the prescriber are alerted after this many sessions
# missed in a row (programmes.services.attendance_record).
APA_PROGRAMME_DROPOUT_ABSENCES = env.int("APA_PROGRAMME_DROPOUT_ABSENCES", default=3)
