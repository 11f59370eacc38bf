"""Persona fixtures: the prescriber, a colleague, an outsider, a physiotherapist, an admin."""

import pytest
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
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


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
