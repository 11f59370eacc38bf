"""`manage.py bench_data` (issue 8): the generator at a tiny size gives valid rows that respect
every rule and constraint, reproducibly, and never runs over real data."""

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from notifications.models import Notification
from patients.models import CareTeamGrant, Patient
from patients.rules import fold, nir_validate
from practitioners.models import Profession, User
from practitioners.rules import luhn_is_valid
from prescriptions import rules
from prescriptions.management.commands.bench_data import (
    BENCH_PATIENT,
    BENCH_PATIENT_PRESCRIPTIONS,
    BENCH_PHYSICIAN,
)
from prescriptions.models import LimitationAssessment, Prescription, Renewal

PATIENTS, PRESCRIPTIONS = 50, 150


def _fill(seed: int = 7, **options) -> None:
    call_command("bench_data", patients=PATIENTS, prescriptions=PRESCRIPTIONS, seed=seed, **options)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The generator hashes one password per run; PBKDF2 would dominate this test's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def filled(db):
    _fill()


def test_the_generator_makes_the_requested_numbers_of_rows(filled):
    assert Patient.objects.count() == PATIENTS
    assert Prescription.objects.count() == PRESCRIPTIONS
    assert User.objects.filter(profession=Profession.PHYSICIAN).count() >= 4
    assert User.objects.filter(profession=Profession.PHYSIOTHERAPIST).exists()
    assert User.objects.filter(profession=Profession.APA_TEACHER).exists()


def test_the_bench_patient_has_exactly_ten_prescriptions_by_the_bench_physician(filled):
    patient = Patient.objects.get(birth_name=BENCH_PATIENT[0], first_names=BENCH_PATIENT[1])
    assert patient.prescriptions.count() == BENCH_PATIENT_PRESCRIPTIONS
    assert set(patient.prescriptions.values_list("prescriber__username", flat=True)) == {
        BENCH_PHYSICIAN
    }


def test_a_sample_of_every_model_passes_full_clean(filled):
    for model in (
        Patient,
        Prescription,
        LimitationAssessment,
        Renewal,
        CareTeamGrant,
        Notification,
        User,
    ):
        sample = list(model.objects.order_by("?")[:10])
        assert sample, model
        for instance in sample:
            instance.full_clean()  # fields, choices and every CheckConstraint, in Python


def test_patients_have_french_names_valid_nirs_and_a_search_name(filled):
    patients = list(Patient.objects.prefetch_related("situations"))
    assert any(fold(p.birth_name) != p.birth_name.lower() for p in patients)  # accents
    with_nir = [p for p in patients if p.nir]
    assert len(with_nir) > PATIENTS // 2
    for patient in with_nir:
        assert nir_validate(patient.nir) == patient.nir  # R-ID2: a right key
    for patient in patients:
        # Patient.save() maintains search_name; bulk_create does not call it.
        expected = fold(
            " ".join(filter(None, [patient.birth_name, patient.used_name, patient.first_names]))
        )
        assert patient.search_name == expected
        assert patient.situations.all(), "R-E1: every patient is in a situation"


def test_practitioners_with_an_rpps_have_a_luhn_key(filled):
    numbers = User.objects.exclude(rpps="").values_list("rpps", flat=True)
    assert numbers
    assert all(len(n) == 11 and luhn_is_valid(n) for n in numbers)  # R-ID1


def test_prescriptions_respect_every_rule_of_the_prescription(filled):
    prescriptions = list(Prescription.objects.select_related("assessment"))
    assert {p.status for p in prescriptions} == set(Prescription.Status.values)
    references = [p.reference for p in prescriptions]
    assert len(set(references)) == len(references)
    for p in prescriptions:
        assert rules.normalize_reference(p.reference) == p.reference
        assert rules.duration_is_valid(p.duration_months)  # R-P2
        assert p.end_date == rules.period_end(p.start_date, p.duration_months)
        assert not p.physician_renewal_required or p.physician_renewal_reason  # R-P3
        if p.status not in ("draft", "cancelled"):
            assert p.patient_agreement and p.issued_at is not None  # R-P1, R-P4
            assert hasattr(p, "assessment")  # no issue without an assessment


def test_renewals_respect_the_rules_of_the_physiotherapist(filled):
    renewals = list(Renewal.objects.select_related("prescription", "physiotherapist"))
    assert renewals
    for r in renewals:
        assert r.physiotherapist.profession == Profession.PHYSIOTHERAPIST  # R-R1
        assert not r.prescription.physician_renewal_required  # R-R4
        assert r.patient_agreement and r.no_risk_attestation  # R-R1, R-R5
        assert r.physio_rpps == r.physiotherapist.rpps  # R-R6 a)
        assert r.end_date == rules.period_end(r.start_date, r.duration_months)
        assert r.prescription.status in ("renewed", "adapted", "expired")
    statuses = Counter(
        Prescription.objects.filter(renewal__isnull=True).values_list("status", flat=True)
    )
    assert statuses["renewed"] == statuses["adapted"] == 0
    assert Notification.objects.count() == len(renewals)  # R-R7


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_rows():
    def run(seed):
        with transaction.atomic():
            _fill(seed=seed)
            rows = list(
                Prescription.objects.order_by("reference").values_list(
                    "id", "reference", "patient__birth_name", "status", "start_date"
                )
            )
            transaction.set_rollback(True)
        return rows

    first = run(3)
    assert run(3) == first
    assert run(4) != first


def test_it_refuses_a_database_with_real_patients(patient):
    with pytest.raises(CommandError, match="Refusé"):
        _fill()
    assert Patient.objects.count() == 1


def test_it_refuses_to_fill_twice_unless_forced(filled):
    with pytest.raises(CommandError, match="Refusé"):
        _fill()
    _fill(force=True)
    assert Patient.objects.count() == 2 * PATIENTS
    assert Prescription.objects.count() == 2 * PRESCRIPTIONS
