"""The invariants of the practitioner model, enforced by the database (R-ID1 and others)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from practitioners.models import Profession, Specialty, User
from practitioners.rules import luhn_is_valid
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rpps", ["1234567890", "123456789012", "1234567890A", "1234 567890"])
def test_the_database_refuses_an_rpps_that_is_not_eleven_digits(prescriber, rpps):
    # R-ID1: enforced by a check constraint, even when no validation runs (PostgreSQL refuses
    # 12 characters earlier, as too long for the column).
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        User.objects.filter(pk=prescriber.pk).update(rpps=rpps)


def test_model_validation_explains_a_malformed_rpps_in_french(prescriber):
    prescriber.rpps = "123"
    with pytest.raises(ValidationError) as exc:
        prescriber.full_clean()
    assert "Le numéro RPPS doit comporter exactement 11 chiffres." in exc.value.messages


def test_an_rpps_with_a_failed_luhn_check_is_accepted(structure):
    # R-ID1: the Luhn check is not official, so a failure is a warning, never a refusal.
    rpps = "10001234566"
    assert not luhn_is_valid(rpps)
    user = User(
        username="luhn",
        profession=Profession.PHYSICIAN,
        specialty=Specialty.GENERAL_PRACTICE,
        rpps=rpps,
        structure=structure,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    assert User.objects.get(pk=user.pk).rpps == rpps


def test_several_accounts_may_have_no_rpps(structure):
    factories.ApaTeacherFactory(username="a", structure=structure, rpps="")
    factories.UserFactory(username="b", structure=structure, rpps="")
    assert User.objects.filter(rpps="").count() == 2


def test_two_accounts_may_not_share_an_rpps_number(prescriber, structure):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PhysiotherapistFactory(username="copie", rpps=prescriber.rpps)


def test_model_validation_explains_a_duplicate_rpps_in_french(prescriber, structure):
    other = User(username="copie", profession=Profession.PHYSIOTHERAPIST, rpps=prescriber.rpps)
    other.set_unusable_password()
    with pytest.raises(ValidationError) as exc:
        other.full_clean()
    assert "Ce numéro RPPS est déjà utilisé par un autre compte." in exc.value.messages


@pytest.mark.parametrize(
    "profession", [Profession.PHYSIOTHERAPIST, Profession.APA_TEACHER, Profession.ADMIN_STAFF]
)
def test_the_database_refuses_a_specialty_for_a_non_physician(structure, profession):
    user = factories.UserFactory(username="pro", profession=profession, structure=structure)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(specialty=Specialty.ONCOLOGY)


def test_model_validation_explains_a_specialty_without_being_a_physician(physiotherapist):
    physiotherapist.specialty = Specialty.ONCOLOGY
    with pytest.raises(ValidationError) as exc:
        physiotherapist.full_clean()
    assert "Seul un médecin a une spécialité." in exc.value.messages


@pytest.mark.parametrize("specialty", Specialty.values)
def test_a_physician_may_have_any_specialty(prescriber, specialty):
    User.objects.filter(pk=prescriber.pk).update(specialty=specialty)
    prescriber.refresh_from_db()
    assert prescriber.specialty == specialty


def test_profession_helpers_follow_csp_d1172_2(prescriber, physiotherapist, apa_teacher):
    assert prescriber.is_physician and not prescriber.is_dispenser
    assert physiotherapist.is_physiotherapist and physiotherapist.is_health_professional
    assert apa_teacher.is_dispenser and not apa_teacher.is_health_professional


def test_a_physician_is_shown_as_doctor(prescriber):
    assert str(prescriber) == "Dr Claire MARTIN"


def test_changes_to_an_account_are_kept_in_its_history(prescriber):
    before = prescriber.history.count()
    prescriber.last_name = "Martin-Leroy"
    prescriber.save()
    assert prescriber.history.count() == before + 1
