"""Personas of group programmes: an offer of the Maison Sport-Santé with its coordinator (admin
staff), an enseignant APA and a physiotherapist supervising, and a referred patient."""

import pytest

from patients.models import Patient
from programmes.services import referral_send
from tests import factories


@pytest.fixture
def mss(db):
    return factories.StructureFactory(name="Maison Sport-Santé du Rhône")


@pytest.fixture
def coordinator(mss):
    return factories.UserFactory(username="coordinatrice", structure=mss, last_name="Coord")


@pytest.fixture
def teacher(mss):
    return factories.ApaTeacherFactory(username="eapa", structure=mss, last_name="Prof")


@pytest.fixture
def physio(mss):
    return factories.PhysiotherapistFactory(username="kine-mss", structure=mss, last_name="Kine")


@pytest.fixture
def offer(mss, coordinator, teacher):
    """Accepts minimal and moderate limitations (an enseignant APA may supervise both)."""
    return factories.make_offer(
        structure=mss, supervisors=[teacher], coordinator=coordinator, levels=(1, 2)
    )


def make_referred(*, offer, prescriber, structure, n: int = 0, **patient_fields):
    """A patient with a moderate limitation, prescribed and oriented to `offer`."""
    patient: Patient = factories.PatientFactory(
        structure=structure, physician_in_charge=prescriber, **patient_fields
    )
    prescription = factories.make_prescription(prescriber=prescriber, patient=patient)
    return referral_send(prescription=prescription, offer=offer, by=prescriber)


@pytest.fixture
def referral(offer, prescriber, structure):
    return make_referred(offer=offer, prescriber=prescriber, structure=structure)
