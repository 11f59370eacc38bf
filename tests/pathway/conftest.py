"""The post-cancer pathway's personas: an oncologist of the patient's structure, a conventioned
structure with its staff and professionals (APA, dietitian, psychologist)."""

from datetime import date

import pytest

from pathway import services
from pathway.models import Convention
from pathway.rules import Kind
from practitioners.models import Profession, Specialty
from tests import factories

TREATMENT_END = date(2025, 3, 15)
PRESCRIBED_ON = date(2025, 4, 1)
ALL_BILANS = [Kind.BILAN_PHYSICAL, Kind.BILAN_DIETARY, Kind.BILAN_PSYCHOLOGICAL]


@pytest.fixture
def oncologist(structure):
    return factories.PhysicianFactory(
        username="oncologue", last_name="Onco", specialty=Specialty.ONCOLOGY, structure=structure
    )


@pytest.fixture
def msp(db):
    """A conventioned structure that delivers the pathway."""
    structure = factories.StructureFactory(name="Maison Sport-Santé conventionnée")
    Convention.objects.create(
        structure=structure, number="ARS-ARA-2021-042", starts_on=date(2021, 1, 1)
    )
    return structure


@pytest.fixture
def msp_staff(msp):
    return factories.UserFactory(username="accueil-mss", structure=msp)


@pytest.fixture
def msp_apa(msp):
    return factories.ApaTeacherFactory(username="apa-mss", last_name="Sport", structure=msp)


@pytest.fixture
def msp_dietitian(msp):
    return factories.UserFactory(
        username="dieteticien", last_name="Diet", profession=Profession.DIETITIAN, structure=msp
    )


@pytest.fixture
def msp_psychologist(msp):
    return factories.UserFactory(
        username="psychologue", last_name="Psy", profession=Profession.PSYCHOLOGIST, structure=msp
    )


@pytest.fixture
def episode(patient, oncologist):
    return services.episode_record(
        patient=patient,
        by=oncologist,
        localisation="Sein",
        treatment_end=TREATMENT_END,
        ald=True,
    )


@pytest.fixture
def pathway(episode, oncologist, msp):
    return services.pathway_prescribe(
        episode=episode,
        by=oncologist,
        structure=msp,
        kinds=ALL_BILANS,
        prescribed_on=PRESCRIBED_ON,
    )


@pytest.fixture
def book(pathway, msp_staff, msp_apa, msp_dietitian, msp_psychologist):
    """Book one service of `pathway` by the structure's staff, with the fitting professional."""
    by_kind = {
        Kind.BILAN_PHYSICAL: msp_apa,
        Kind.BILAN_DIETARY: msp_dietitian,
        Kind.BILAN_PSYCHOLOGICAL: msp_psychologist,
        Kind.CONSULTATION_DIETARY: msp_dietitian,
        Kind.CONSULTATION_PSYCHOLOGICAL: msp_psychologist,
    }

    def _book(kind, on, **kwargs):
        return services.booking_create(
            pathway=kwargs.pop("pathway", pathway),
            by=kwargs.pop("by", msp_staff),
            kind=kind,
            scheduled_on=on,
            professional=kwargs.pop("professional", by_kind[kind]),
        )

    return _book
