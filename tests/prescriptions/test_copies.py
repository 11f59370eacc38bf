"""The two copies a prescription keeps for the reads at scale: its patient's structure
and its current end (the renewal's once there is one, R-R6). Whatever path writes them, they
must equal what they copy, or a structure would see another's prescriptions, or an ending
prescription would be missed."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import reverse

from prescriptions.content import Recommendations
from prescriptions.models import Prescription, Renewal
from prescriptions.rules import period_end
from prescriptions.selectors import prescriptions_visible_to
from prescriptions.services import prescription_renew, prescriptions_expire
from tests import factories
from tests.dashboard.helpers import make_superuser

pytestmark = pytest.mark.django_db


def test_a_new_prescription_keeps_its_patients_structure_and_its_end(draft_prescription, patient):
    draft_prescription.refresh_from_db()
    assert draft_prescription.structure_id == patient.structure_id
    assert draft_prescription.current_end_date == draft_prescription.end_date


def test_a_draft_whose_duration_changes_moves_its_current_end(draft_prescription, prescriber):
    from prescriptions.services import prescription_update

    updated = prescription_update(
        prescription=draft_prescription,
        by=prescriber,
        content=factories.prescription_content(duration_months=6),
    )
    updated.refresh_from_db()
    assert updated.end_date == period_end(updated.start_date, 6)
    assert updated.current_end_date == updated.end_date


@pytest.mark.parametrize("kind", [Renewal.Kind.RENEWAL, Renewal.Kind.ADAPTATION])
def test_a_renewal_or_an_adaptation_becomes_the_current_end(
    issued_prescription, physiotherapist, kind
):
    """R-R6: the physiotherapist's period is the prescription's current one."""
    renewal = prescription_renew(
        prescription=issued_prescription,
        physiotherapist=physiotherapist,
        kind=kind,
        duration_months=4,
        patient_agreement=True,
        no_risk_attestation=True,
        adaptations=Recommendations(**{"activity_types": ["balance"]})
        if kind == Renewal.Kind.ADAPTATION
        else None,
        today=issued_prescription.end_date,
    )
    issued_prescription.refresh_from_db()
    assert issued_prescription.current_end_date == renewal.end_date
    assert issued_prescription.current_end_date > issued_prescription.end_date


def test_a_renewed_prescription_expires_after_the_renewals_end_only(renewal):
    prescription = renewal.prescription
    assert prescriptions_expire(today=renewal.end_date) == 0
    prescription.refresh_from_db()
    assert prescription.status == Prescription.Status.RENEWED
    assert prescriptions_expire(today=renewal.end_date + timedelta(days=1)) == 1
    prescription.refresh_from_db()
    assert prescription.status == Prescription.Status.EXPIRED


def test_the_database_refuses_a_current_end_other_than_the_end_before_a_renewal(
    issued_prescription,
):
    with pytest.raises(IntegrityError), transaction.atomic():
        Prescription.objects.filter(pk=issued_prescription.pk).update(
            current_end_date=issued_prescription.end_date + timedelta(days=30)
        )


def test_a_patient_moved_by_a_superuser_takes_its_prescriptions_to_the_new_structure(
    client, issued_prescription, patient, structure, other_structure, prescriber
):
    """The structure's copy follows the patient: the new structure's physicians see the
    prescriptions, the old structure's no longer do (need-to-know)."""
    from tests.test_admin import _patient_post

    new_physician = factories.PhysicianFactory(username="nouveau", structure=other_structure)
    old_colleague = factories.PhysicianFactory(username="ancien", structure=structure)
    assert prescriptions_visible_to(old_colleague).filter(pk=issued_prescription.pk).exists()
    client.force_login(make_superuser(structure))
    response = client.post(
        reverse("admin:patients_patient_change", args=[patient.pk]),
        _patient_post(
            birth_name=patient.birth_name,
            first_names=patient.first_names,
            birth_date=patient.birth_date.strftime("%d/%m/%Y"),
            sex=patient.sex,
            situations=[s.pk for s in patient.situations.all()],
            structure=other_structure.pk,
            **{
                "prescriptions-TOTAL_FORMS": "1",
                "prescriptions-INITIAL_FORMS": "1",
                "prescriptions-0-id": str(issued_prescription.pk),
                "prescriptions-0-patient": str(patient.pk),
            },
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    issued_prescription.refresh_from_db()
    assert issued_prescription.structure_id == other_structure.pk
    assert prescriptions_visible_to(new_physician).filter(pk=issued_prescription.pk).exists()
    assert not prescriptions_visible_to(old_colleague).filter(pk=issued_prescription.pk).exists()
    # The prescriber keeps every prescription they signed.
    assert prescriptions_visible_to(prescriber).filter(pk=issued_prescription.pk).exists()


def test_the_migration_fills_both_copies_from_the_patients_and_the_renewals(
    renewal, draft_prescription, other_structure
):
    """prescriptions/migrations/0005: the copies of existing rows come from their sources."""
    renewed = renewal.prescription
    Prescription.objects.filter(pk__in=[renewed.pk, draft_prescription.pk]).update(
        structure=other_structure
    )
    Prescription.objects.filter(pk=renewed.pk).update(current_end_date=renewed.end_date)
    migration = importlib.import_module("prescriptions.migrations.0005_structure_and_current_end")
    migration.fill_copies(apps, None)
    renewed.refresh_from_db()
    draft_prescription.refresh_from_db()
    assert renewed.current_end_date == renewal.end_date
    assert renewed.structure_id == renewed.patient.structure_id
    assert draft_prescription.structure_id == draft_prescription.patient.structure_id
    assert draft_prescription.current_end_date == draft_prescription.end_date
