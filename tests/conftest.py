"""Persona fixtures: the prescriber, a colleague, an outsider, a physiotherapist, an admin."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.cache import cache
from pytest_django.plugin import blocking_manager_key

from kernel import throttle
from tests import factories


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need row locks and real concurrency: skip them on SQLite."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Every persona gets a password: PBKDF2's slowness is for production, not for tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed_reference_data() -> None:
    """The rows the migrations seed: the R-E1 situations, the R-L4/R-L5 supervision table and
    the post-cancer pathway's tariff (R-C2, R-C3)."""
    for module in (
        "patients.migrations.0003_seed_eligibility_situations",
        "prescriptions.migrations.0002_seed_supervision_rules",
        "pathway.migrations.0002_seed_tariff",
    ):
        importlib.import_module(module).seed(django_apps, None)


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return (
        (marker is not None and marker.kwargs.get("transaction", False))
        or "transactional_db" in fixtures
        or "live_server" in fixtures
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """A transactional test (threads, live server) ends with a flush that empties every table,
    the rows the migrations seeded included, and pytest-xdist's work stealing may run ordinary
    tests after it on the same worker: seed those rows again once the flush is done."""
    result = yield
    # The last test's teardown also destroys the test database (session fixtures): nothing to do.
    if nextitem is not None and _is_transactional(item):
        with item.config.stash[blocking_manager_key].unblock():
            seed_reference_data()
    return result


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    throttle._local.clear()
    throttle._in_fallback = False
    yield
    cache.clear()
    throttle._local.clear()
    throttle._in_fallback = False


@pytest.fixture(autouse=True)
def _otp_off_unless_asked(request, settings):
    """The second factor for admin accounts (security app) is on in every real run. In tests,
    `client.force_login` stands for the whole login, second factor included, unless the test
    asks for the `otp_enforced` fixture (tests/test_security_settings.py, the matrix)."""
    settings.APA_OTP_REQUIRED = "otp_enforced" in request.fixturenames


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
QUEUED_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _tasks_queued_unless_asked(request, settings):
    """Background tasks (the PDF rendered ahead at signature, the password-reset e-mail) run in
    the worker in production and at once in `make run`. In tests they are queued and never run
    (a signed document's PDF is rendered at its first download, as with a worker that is
    late), unless the test asks for `immediate_tasks`: rendering a PDF at every signature was
    about a third of the suite's time."""
    settings.TASKS = IMMEDIATE_TASKS if "immediate_tasks" in request.fixturenames else QUEUED_TASKS


@pytest.fixture
def immediate_tasks(settings):
    """Background tasks run at once, inside the request (the immediate backend)."""
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def otp_enforced(settings):
    settings.APA_OTP_REQUIRED = True


@pytest.fixture
def structure(db):
    return factories.StructureFactory(name="Maison Sport-Santé de Lyon")


@pytest.fixture
def other_structure(db):
    return factories.StructureFactory(name="Centre hospitalier de Valence")


@pytest.fixture
def prescriber(structure):
    return factories.PhysicianFactory(username="medecin", last_name="Martin", structure=structure)


@pytest.fixture
def colleague_physician(structure):
    return factories.PhysicianFactory(username="collegue", last_name="Petit", structure=structure)


@pytest.fixture
def outsider_physician(other_structure):
    return factories.PhysicianFactory(
        username="externe", last_name="Loin", structure=other_structure
    )


@pytest.fixture
def physiotherapist(other_structure):
    return factories.PhysiotherapistFactory(username="kine", structure=other_structure)


@pytest.fixture
def apa_teacher(structure):
    return factories.ApaTeacherFactory(username="enseignant", structure=structure)


@pytest.fixture
def structure_admin(structure):
    return factories.UserFactory(username="admin-structure", structure=structure, is_staff=True)


@pytest.fixture
def patient(structure, prescriber):
    return factories.PatientFactory(structure=structure, physician_in_charge=prescriber)


@pytest.fixture
def issued_prescription(prescriber, patient):
    return factories.make_prescription(prescriber=prescriber, patient=patient)


@pytest.fixture
def draft_prescription(prescriber, patient):
    return factories.make_prescription(prescriber=prescriber, patient=patient, issue=False)


@pytest.fixture
def renewal(issued_prescription, physiotherapist):
    """The physiotherapist's renewal of `issued_prescription`, made on its end date (R-R3)."""
    return factories.renew(issued_prescription, physiotherapist)


@pytest.fixture
def redis_connects(monkeypatch):
    """The connections the Redis client opens, counted (each is one wait at most: the short
    connect timeout of settings.CACHES)."""
    import redis.connection  # noqa: PLC0415

    attempts = []
    real = redis.connection.AbstractConnection.connect

    def connect(self, *args, **kwargs):
        attempts.append(self.port)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "connect", connect)
    return attempts


@pytest.fixture
def cache_down(settings, redis_connects):
    """The cache of production (kernel.cache.DegradingRedisCache) pointing at a closed port.
    `retry_after` is long so that the count of connections does not depend on the speed of the
    machine. Yields the list of connection attempts."""
    import socket  # noqa: PLC0415

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "kernel.cache.DegradingRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/1",
            "OPTIONS": {
                "socket_connect_timeout": 0.25,
                "socket_timeout": 0.25,
                "retry_after": 3600,
            },
        }
    }
    yield redis_connects
