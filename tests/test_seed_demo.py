"""`manage.py seed_demo`: idempotent demo data in every state, refused with the default password
when DEBUG is off."""

import pytest
from django.core.management import CommandError, call_command

from patients.models import CareTeamGrant, Patient
from patients.rules import nir_validate
from practitioners.models import Profession, Specialty, Structure, User
from prescriptions.models import LimitationAssessment, Prescription, Renewal

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "un-mot-de-passe-de-demo-robuste-2026"


@pytest.fixture
def demo_settings(settings):
    settings.DEBUG = False
    settings.DEMO_PASSWORD = STRONG_PASSWORD
    return settings


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Structure,
            User,
            Patient,
            Prescription,
            Renewal,
            LimitationAssessment,
            CareTeamGrant,
        )
    }


def test_seed_demo_is_idempotent(demo_settings):
    call_command("seed_demo", quiet=True)
    first = counts()
    call_command("seed_demo", quiet=True)
    assert counts() == first
    assert first["Patient"] > 0 and first["Prescription"] > 0


def test_seed_demo_creates_the_five_accounts_with_their_professions(demo_settings):
    call_command("seed_demo", quiet=True)
    accounts = {
        u.username: u
        for u in User.objects.filter(
            username__in=["medecin", "oncologue", "kine", "enseignant", "admin"]
        )
    }
    assert set(accounts) == {"medecin", "oncologue", "kine", "enseignant", "admin"}
    assert (accounts["medecin"].profession, accounts["medecin"].specialty) == (
        Profession.PHYSICIAN,
        Specialty.GENERAL_PRACTICE,
    )
    assert (accounts["oncologue"].profession, accounts["oncologue"].specialty) == (
        Profession.PHYSICIAN,
        Specialty.ONCOLOGY,
    )
    assert accounts["kine"].profession == Profession.PHYSIOTHERAPIST
    assert accounts["kine"].rpps  # R-R6 a): a physiotherapist who renews has an RPPS
    assert accounts["enseignant"].profession == Profession.APA_TEACHER
    assert accounts["admin"].is_superuser and accounts["admin"].is_staff
    for user in accounts.values():
        assert user.check_password(STRONG_PASSWORD)
        assert user.structure is not None


def test_seed_demo_creates_about_twenty_patients_with_valid_nirs(demo_settings):
    call_command("seed_demo", quiet=True)
    patients = list(Patient.objects.prefetch_related("situations"))
    assert 18 <= len(patients) <= 25
    for patient in patients:
        assert nir_validate(patient.nir) == patient.nir  # R-ID2, Corsica included
        assert patient.situations.all()  # R-E1
    assert {p.nir[5:7] for p in patients} >= {"2A", "2B"}


def test_seed_demo_creates_prescriptions_in_every_status(demo_settings):
    call_command("seed_demo", quiet=True)
    statuses = set(Prescription.objects.values_list("status", flat=True))
    assert statuses == set(Prescription.Status.values)
    kinds = set(Renewal.objects.values_list("kind", flat=True))
    assert kinds == {Renewal.Kind.RENEWAL, Renewal.Kind.ADAPTATION}
    # Something the demo physiotherapist may renew today (R-R3), with NON answered (R-R4).
    assert Prescription.objects.filter(
        status=Prescription.Status.ISSUED, physician_renewal_required=False
    ).exists()
    # A prescription whose physician answered OUI, with its indication (R-P3, R-R4).
    assert (
        Prescription.objects.filter(physician_renewal_required=True)
        .exclude(physician_renewal_reason="")
        .exists()
    )


def test_seed_demo_prints_the_logins(demo_settings, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for username in ("medecin", "oncologue", "kine", "enseignant", "admin"):
        assert username in out
    assert STRONG_PASSWORD in out


def test_seed_demo_refuses_the_default_password_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.DEMO_PASSWORD = "demo"
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        call_command("seed_demo", quiet=True)
    assert not User.objects.exists()
    assert not Patient.objects.exists()


def test_seed_demo_accepts_the_default_password_in_debug(settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo"
    call_command("seed_demo", quiet=True)
    assert User.objects.get(username="medecin").check_password("demo")


def test_seed_demo_if_empty_leaves_a_filled_database_alone(demo_settings, prescriber):
    call_command("seed_demo", "--if-empty", quiet=True)
    assert not User.objects.filter(username="kine").exists()
    assert not Patient.objects.exists()
