"""Persona fixtures: the prescriber, a colleague, an outsider, a physiotherapist, an admin."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.cache import cache

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
    """The rows the migrations seed: the R-E1 situations and the R-L4/R-L5 supervision table."""
    for module in (
        "patients.migrations.0003_seed_eligibility_situations",
        "prescriptions.migrations.0002_seed_supervision_rules",
    ):
        importlib.import_module(module).seed(django_apps, None)


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """A transactional test (threads, live server) finds the database as an earlier one left it
    after its flush, without the rows the migrations seeded: seed them again (idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if transactional or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        seed_reference_data()


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _otp_off_unless_asked(request, settings):
    """The second factor for admin accounts (security app) is on in every real run. In tests,
    `client.force_login` stands for the whole login, second factor included, unless the test
    asks for the `otp_enforced` fixture (tests/test_security_settings.py, the matrix)."""
    settings.APA_OTP_REQUIRED = "otp_enforced" in request.fixturenames


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
