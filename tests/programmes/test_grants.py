"""Need-to-know of group programmes: a referral gives the offer's team (supervisors and
coordinator) a PROGRAMME grant on the patient's record, distinct from a direct orientation
(dispensing); a refused or ended referral takes it back, unless another open referral or active
enrolment keeps a member in a team. Never deleted: `revoked_at`, the history keeps it."""

import pytest
from django.urls import reverse

from bilans.access import is_oriented, may_record
from dispensing.selectors import orientations_of, patients_oriented_to
from dispensing.services import orientations_end_without_prescription, patient_orient
from patients.models import CareTeamGrant
from patients.selectors import patients_visible_to
from prescriptions.services import prescription_cancel
from programmes import services
from tests import factories
from tests.programmes.conftest import make_referred

pytestmark = pytest.mark.django_db

PROGRAMME = CareTeamGrant.Reason.PROGRAMME


def _active(patient, user, reason=PROGRAMME) -> bool:
    return CareTeamGrant.objects.filter(
        patient=patient, user=user, reason=reason, revoked_at__isnull=True
    ).exists()


def _refuse(referral, by):
    return services.referral_decide(referral=referral, by=by, accept=False, reason="Complet")


def test_a_referral_grants_the_offer_team_a_programme_grant_not_an_orientation(
    referral, teacher, coordinator
):
    for member in (teacher, coordinator):
        assert _active(referral.patient, member)
        assert not _active(referral.patient, member, CareTeamGrant.Reason.ORIENTATION)


def test_the_programme_team_follows_the_patient_as_an_oriented_professional(referral, teacher):
    patient = referral.patient
    assert is_oriented(teacher, patient) and may_record(teacher, patient)
    assert patients_oriented_to(teacher).filter(pk=patient.pk).exists()
    # Not a direct orientation: the dispensing page does not list (nor end) it.
    assert not orientations_of(patient).exists()


def test_a_refused_referral_revokes_the_teams_grant_and_keeps_it(referral, teacher, coordinator):
    _refuse(referral, coordinator)
    for member in (teacher, coordinator):
        grant = CareTeamGrant.objects.get(patient=referral.patient, user=member, reason=PROGRAMME)
        assert grant.revoked_at is not None  # kept, not deleted
        assert grant.history.first().revoked_at is not None
    assert not is_oriented(teacher, referral.patient)
    assert not patients_oriented_to(teacher).filter(pk=referral.patient_id).exists()


def test_an_accepted_referral_keeps_the_grant(referral, teacher, coordinator):
    services.referral_decide(referral=referral, by=coordinator, accept=True)
    assert _active(referral.patient, teacher)


def test_an_ended_enrolment_revokes_the_teams_grant(offer, referral, teacher, coordinator):
    enrolment = services.enrolment_create(referral=referral, goals="Objectif", by=coordinator)
    assert _active(referral.patient, teacher)
    services.enrolment_end(enrolment=enrolment, by=coordinator, reason="Fin du programme")
    assert not _active(referral.patient, teacher)
    assert not _active(referral.patient, coordinator)


def test_a_waiting_list_enrolment_ended_revokes_the_grant_too(
    offer, prescriber, structure, referral, teacher, coordinator
):
    offer.capacity = 1
    offer.save(update_fields=["capacity"])
    other = make_referred(offer=offer, prescriber=prescriber, structure=structure)
    services.enrolment_create(referral=other, goals="Objectif", by=coordinator)
    waiting = services.enrolment_create(referral=referral, goals="Objectif", by=coordinator)
    assert waiting.status == waiting.Status.WAITING
    services.enrolment_end(enrolment=waiting, by=coordinator, reason="Désistement")
    assert not _active(referral.patient, teacher)
    assert _active(other.patient, teacher)  # the other patient's team is untouched


def test_a_member_on_two_offers_keeps_access_while_one_referral_is_open(
    mss, offer, referral, teacher, coordinator, physio, prescriber
):
    second = factories.make_offer(
        structure=mss, supervisors=[teacher, physio], coordinator=None, levels=(1, 2)
    )
    other = services.referral_send(prescription=referral.prescription, offer=second, by=prescriber)
    _refuse(referral, coordinator)
    assert _active(referral.patient, teacher)  # still in the second offer's team
    assert not _active(referral.patient, coordinator)  # only in the refused offer's
    assert _active(referral.patient, physio)
    _refuse(other, teacher)
    assert not _active(referral.patient, teacher)
    assert not _active(referral.patient, physio)


def test_an_active_enrolment_elsewhere_keeps_the_access(
    mss, offer, referral, teacher, coordinator, prescriber
):
    second = factories.make_offer(
        structure=mss, supervisors=[teacher], coordinator=None, levels=(1, 2)
    )
    other = services.referral_send(prescription=referral.prescription, offer=second, by=prescriber)
    services.enrolment_create(referral=other, goals="Objectif", by=teacher)
    _refuse(referral, coordinator)
    assert _active(referral.patient, teacher)


def test_a_direct_orientation_survives_a_refused_programme_referral(
    referral, teacher, coordinator, prescriber
):
    orientation = patient_orient(patient=referral.patient, professional=teacher, by=prescriber)
    _refuse(referral, coordinator)
    orientation.refresh_from_db()
    assert orientation.revoked_at is None
    assert is_oriented(teacher, referral.patient)
    assert not _active(referral.patient, teacher)


def test_a_new_referral_re_activates_the_revoked_grant(referral, teacher, coordinator, prescriber):
    _refuse(referral, coordinator)
    revoked = CareTeamGrant.objects.get(patient=referral.patient, user=teacher, reason=PROGRAMME)
    services.referral_send(prescription=referral.prescription, offer=referral.offer, by=prescriber)
    again = CareTeamGrant.objects.get(patient=referral.patient, user=teacher, reason=PROGRAMME)
    assert again.pk == revoked.pk and again.revoked_at is None
    assert is_oriented(teacher, referral.patient)


def test_the_revoked_professional_no_longer_reaches_the_patients_record(
    client, referral, teacher, coordinator
):
    patient = referral.patient
    client.force_login(teacher)
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    assert client.get(reverse("bilans:patient", args=[patient.pk])).status_code == 200
    _refuse(referral, coordinator)
    assert not patients_visible_to(teacher).filter(pk=patient.pk).exists()
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code in (403, 404)
    assert client.get(reverse("bilans:patient", args=[patient.pk])).status_code in (403, 404)
    assert client.get(reverse("bilans:entry_create", args=[patient.pk])).status_code in (403, 404)


def test_the_programme_grant_ends_with_the_prescriptions_in_force(referral, teacher, prescriber):
    prescription_cancel(prescription=referral.prescription, by=prescriber, reason="Erreur")
    assert not _active(referral.patient, teacher)
    assert orientations_end_without_prescription() == 0  # already ended by the withdrawal


def test_ending_a_direct_orientation_by_hand_never_ends_a_programme_grant(
    referral, teacher, prescriber
):
    from dispensing.services import patient_orientation_revoke

    grant = CareTeamGrant.objects.get(patient=referral.patient, user=teacher, reason=PROGRAMME)
    with pytest.raises(services.ValidationError):
        patient_orientation_revoke(grant=grant, by=prescriber)
    assert _active(referral.patient, teacher)


def test_the_data_migration_moves_the_open_referrals_teams_to_programme_grants(
    referral, teacher, coordinator, prescriber
):
    """programmes 0002: before it, a referral's team held ORIENTATION grants. Each open
    referral's team gets its PROGRAMME grant; a non-dispenser's ORIENTATION grant (only a
    referral gave one) ends; a dispenser's direct orientation is kept."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("programmes.migrations.0002_programme_grants")
    CareTeamGrant.objects.filter(reason=PROGRAMME).delete()  # the state before the migration
    for member in (teacher, coordinator):
        CareTeamGrant.objects.create(
            patient=referral.patient, user=member, reason=CareTeamGrant.Reason.ORIENTATION
        )
    migration.forwards(apps, None)
    assert _active(referral.patient, teacher) and _active(referral.patient, coordinator)
    assert _active(referral.patient, teacher, CareTeamGrant.Reason.ORIENTATION)
    assert not _active(referral.patient, coordinator, CareTeamGrant.Reason.ORIENTATION)
