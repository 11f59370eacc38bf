"""The patient search (patients.selectors.patient_search): names and dates as people type them."""

from datetime import date

import pytest

from patients.models import Patient
from patients.selectors import patient_search
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(structure):
    return {
        "jp": factories.PatientFactory(
            structure=structure, birth_name="Martin", first_names="Jean-Pierre"
        ),
        "other": factories.PatientFactory(
            structure=structure,
            birth_name="Pierrot",
            first_names="Jeanne",
            birth_date=date(1961, 5, 14),
        ),
    }


def _found(term: str) -> set[str]:
    return {p.first_names for p in patient_search(Patient.objects.all(), term)}


@pytest.mark.parametrize("term", ["jean pierre", "Jean-Pierre", "JEAN PIERRE", "martin pierre"])
def test_hyphens_and_spaces_are_the_same_in_a_name(people, term):
    assert _found(term) == {"Jean-Pierre"}


@pytest.mark.parametrize("term", ["12031956", "12/03/1956", "12-3-1956", "1956-03-12"])
def test_a_birth_date_is_found_with_or_without_separators(people, term):
    assert _found(term) == {"Jean-Pierre"}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("03/1956", {"Jean-Pierre"}),
        ("05/1961", {"Jeanne"}),
        ("051961", {"Jeanne"}),
        ("01/1961", set()),
    ],
)
def test_a_month_and_year_finds_the_patients_born_that_month(people, term, expected):
    assert _found(term) == expected
