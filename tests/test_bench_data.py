"""`manage.py bench_data`: the generator at a tiny size gives valid rows that respect
every rule and constraint, reproducibly, and never runs over real data."""

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from demo.management.commands.bench_data import (
    BENCH_PATIENT,
    BENCH_PATIENT_PRESCRIPTIONS,
    BENCH_PHYSICIAN,
)
from kernel.text import fold
from notifications.models import Notification
from patients.models import CareTeamGrant, Patient
from patients.rules import nir_validate
from practitioners.models import Profession, User
from practitioners.rules import luhn_is_valid
from prescriptions import rules
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


def test_the_generator_fills_bilans_that_respect_their_rules(filled):
    """CSP D.1172-5 at the region's scale: orientations, signed entry bilans, comptes rendus and
    exit bilans, each passing full_clean (bounds, a value or a reason, R-B1 to R-B3), by an
    enseignant en APA who may supervise the level (R-L4, R-L5)."""
    from bilans.models import EntryBilan, ExitBilan, ProgressReport  # noqa: PLC0415

    entries = list(
        EntryBilan.objects.select_related("patient", "author", "prescription__assessment")[:20]
    )
    assert entries
    for entry in entries:
        entry.full_clean()
        assert entry.is_signed
        # R-L4: the enseignant never follows a severe limitation (the level of the prescription
        # the bilan follows; the patient's latest one may differ).
        assert entry.prescription.assessment.confirmed_level < rules.LimitationLevel.SEVERE
        assert entry.author.profession == Profession.APA_TEACHER
    for model in (ProgressReport, ExitBilan):
        for document in model.objects.all()[:20]:
            document.full_clean()
    assert ProgressReport.objects.exists()


def test_the_benchs_post_cancer_pathways_respect_the_caps_and_their_pages_answer(
    filled, client, settings
):
    """bench/run.py's bulk pathways (R-C1 to R-C3): every pathway within 3 bilans, 6
    consultations and 180 €; the ledger, the statements and the ARS export answer the staff."""
    from decimal import Decimal  # noqa: PLC0415

    from django.db.models import Sum  # noqa: PLC0415
    from django.urls import reverse  # noqa: PLC0415

    from bench.run import make_pathways  # noqa: PLC0415
    from demo.management.commands.bench_data import BENCH_STRUCTURE_STAFF  # noqa: PLC0415
    from pathway.models import Booking, PathwayPrescription  # noqa: PLC0415

    staff = User.objects.get(username=BENCH_STRUCTURE_STAFF)
    physician = User.objects.get(username=BENCH_PHYSICIAN)
    pathway = make_pathways(staff, physician)
    assert make_pathways(staff, physician) is not None  # idempotent
    assert PathwayPrescription.objects.exists()
    totals = Booking.objects.values("pathway").annotate(total=Sum("amount"))
    assert max(t["total"] for t in totals) == Decimal("180.00")
    for sample in Booking.objects.select_related("pathway")[:20]:
        sample.full_clean()
    settings.APA_OTP_REQUIRED = False
    client.force_login(staff)
    for url in (
        reverse("pathway:detail", args=[pathway.pk]),
        reverse("pathway:statements"),
        reverse("pathway:ars_export"),
    ):
        assert client.get(url).status_code == 200, url


def test_every_signed_bilan_and_compte_rendu_is_issued_and_verifiable(filled):
    """R-B4: the generator issues each signed document (a reference unique with the
    prescriptions', a code), as the services do at signature; the PDF is left to the first
    download. The public verification page answers one."""
    from django.test import Client  # noqa: PLC0415

    from bilans.models import EntryBilan, ExitBilan, IssuedDocument, ProgressReport  # noqa: PLC0415

    signed = (
        EntryBilan.objects.filter(status="signed").count()
        + ExitBilan.objects.filter(status="signed").count()
        + ProgressReport.objects.count()
    )
    assert signed and IssuedDocument.objects.count() == signed
    assert not IssuedDocument.objects.filter(pdf__isnull=False).exists()
    references = set(IssuedDocument.objects.values_list("reference", flat=True))
    assert not references & set(Prescription.objects.values_list("reference", flat=True))
    for issued in IssuedDocument.objects.defer("pdf")[:5]:
        issued.full_clean()
    issued = IssuedDocument.objects.defer("pdf").first()
    response = Client().post(
        "/verifier/", {"reference": issued.reference, "code": issued.verification_code}
    )
    assert "Document authentique" in response.content.decode()
