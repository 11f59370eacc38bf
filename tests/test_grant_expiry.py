"""The look-up accesses and the orientations end: when the prescription is withdrawn, a
configurable time after it ends (APA_GRANT_DAYS_AFTER_END, by default the end of the renewal
window), and when the physician or the structure's admin ends one from the patient's record.
Every ended grant is kept (revoked_at, history), never deleted."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from dispensing.services import patient_orient
from patients.models import CareTeamGrant
from patients.selectors import patients_visible_to
from prescriptions.models import Prescription, PrescriptionAccess
from prescriptions.selectors import prescriptions_visible_to
from prescriptions.services import prescription_cancel
from tests import factories

pytestmark = pytest.mark.django_db


def _lookup_grant(patient, user) -> CareTeamGrant:
    return CareTeamGrant.objects.get(patient=patient, user=user, reason=CareTeamGrant.Reason.LOOKUP)


def _sees(user, prescription) -> tuple[bool, bool]:
    return (
        prescriptions_visible_to(user).filter(pk=prescription.pk).exists(),
        patients_visible_to(user).filter(pk=prescription.patient_id).exists(),
    )


def test_withdrawing_a_prescription_ends_the_look_ups_and_the_orientations(
    prescriber, physiotherapist, apa_teacher, patient, issued_prescription
):
    access = factories.look_up(issued_prescription, physiotherapist)
    orientation = patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    assert _sees(physiotherapist, issued_prescription) == (True, True)

    prescription_cancel(prescription=issued_prescription, by=prescriber, reason="Erreur")

    access.refresh_from_db()
    orientation.refresh_from_db()
    assert access.revoked_at is not None
    assert _lookup_grant(patient, physiotherapist).revoked_at is not None
    assert orientation.revoked_at is not None
    assert _sees(physiotherapist, issued_prescription) == (False, False)
    assert not patients_visible_to(apa_teacher).filter(pk=patient.pk).exists()
    # Kept, with their history: never deleted.
    assert PrescriptionAccess.objects.filter(pk=access.pk).exists()
    assert access.history.first().revoked_at is not None


def test_another_prescription_in_force_keeps_the_orientation_and_its_own_look_up(
    prescriber, physiotherapist, apa_teacher, patient, issued_prescription
):
    other = factories.make_prescription(prescriber=prescriber, patient=patient)
    factories.look_up(issued_prescription, physiotherapist)
    kept = factories.look_up(other, physiotherapist)
    orientation = patient_orient(patient=patient, professional=apa_teacher, by=prescriber)

    prescription_cancel(prescription=issued_prescription, by=prescriber, reason="Doublon")

    kept.refresh_from_db()
    orientation.refresh_from_db()
    assert kept.revoked_at is None and orientation.revoked_at is None
    assert _lookup_grant(patient, physiotherapist).revoked_at is None  # through `other`
    assert _sees(physiotherapist, issued_prescription) == (False, True)
    assert _sees(physiotherapist, other) == (True, True)


def test_the_daily_job_ends_the_grants_after_the_renewal_window(
    settings, prescriber, physiotherapist, apa_teacher, patient, issued_prescription
):
    settings.APA_GRANT_DAYS_AFTER_END = 90
    access = factories.look_up(issued_prescription, physiotherapist)
    orientation = patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    last_day = issued_prescription.current_end_date + timedelta(days=90)

    with time_machine.travel(last_day):
        call_command("end_expired_grants", stdout=StringIO())
    access.refresh_from_db()
    orientation.refresh_from_db()
    assert access.revoked_at is None and orientation.revoked_at is None  # still renewable

    out = StringIO()
    with time_machine.travel(last_day + timedelta(days=1)):
        call_command("expire_prescriptions", stdout=StringIO())
        call_command("end_expired_grants", stdout=out)
        assert _sees(physiotherapist, issued_prescription) == (False, False)
        # The reference does not reopen it either.
        client = __import__("django.test", fromlist=["Client"]).Client()
        client.force_login(physiotherapist)
        response = client.post(
            reverse("prescriptions:lookup"),
            {
                "reference": issued_prescription.reference,
                "birth_date": patient.birth_date.strftime("%d/%m/%Y"),
            },
        )
        assert response.status_code == 200  # the form again, « Aucune prescription … »
    access.refresh_from_db()
    orientation.refresh_from_db()
    assert access.revoked_at is not None
    assert orientation.revoked_at is not None
    assert _lookup_grant(patient, physiotherapist).revoked_at is not None
    assert "1 accès de kinésithérapeute et 1 orientation(s)" in out.getvalue()


def test_the_delay_after_the_end_is_configurable(settings, physiotherapist, issued_prescription):
    settings.APA_GRANT_DAYS_AFTER_END = 0
    access = factories.look_up(issued_prescription, physiotherapist)
    with time_machine.travel(issued_prescription.current_end_date + timedelta(days=1)):
        call_command("end_expired_grants", stdout=StringIO())
    access.refresh_from_db()
    assert access.revoked_at is not None


@pytest.mark.parametrize("who", ["prescriber", "structure_admin"])
def test_the_physician_or_the_structure_admin_ends_a_look_up_from_the_record(
    client, request, who, physiotherapist, patient, issued_prescription
):
    access = factories.look_up(issued_prescription, physiotherapist)
    client.force_login(request.getfixturevalue(who))
    record = client.get(patient.get_absolute_url()).content.decode()
    url = reverse(
        "prescriptions:access_end", kwargs={"pk": issued_prescription.pk, "access_id": access.pk}
    )
    assert url in record and "Mettre fin à l'accès" in record
    assert client.get(url).status_code == 405  # a POST only
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == patient.get_absolute_url()
    page = response.content.decode()
    assert "a pris fin" in page and "terminé le" in page  # kept, with its end date
    access.refresh_from_db()
    assert access.revoked_at is not None
    assert _lookup_grant(patient, physiotherapist).revoked_at is not None
    assert _sees(physiotherapist, issued_prescription) == (False, False)
    # Twice: explained, nothing changes.
    again = client.post(url, follow=True).content.decode()
    assert "Cet accès a déjà pris fin." in again


def test_the_others_cannot_end_a_look_up(
    client, physiotherapist, apa_teacher, outsider_physician, patient, issued_prescription
):
    access = factories.look_up(issued_prescription, physiotherapist)
    url = reverse(
        "prescriptions:access_end", kwargs={"pk": issued_prescription.pk, "access_id": access.pk}
    )
    for user, status in ((physiotherapist, 403), (outsider_physician, 404)):
        client.force_login(user)
        assert client.post(url).status_code == status
        assert "Mettre fin" not in client.get(patient.get_absolute_url()).content.decode()
    access.refresh_from_db()
    assert access.revoked_at is None


def test_the_end_of_a_look_up_is_csrf_protected(prescriber, physiotherapist, issued_prescription):
    from django.test import Client

    access = factories.look_up(issued_prescription, physiotherapist)
    client = Client(enforce_csrf_checks=True)
    client.force_login(prescriber)
    url = reverse(
        "prescriptions:access_end", kwargs={"pk": issued_prescription.pk, "access_id": access.pk}
    )
    assert client.post(url).status_code == 403
    access.refresh_from_db()
    assert access.revoked_at is None
    assert Prescription.objects.get(pk=issued_prescription.pk).status == "issued"


def test_the_structure_admin_ends_an_orientation_from_the_record(
    client, structure_admin, prescriber, apa_teacher, patient, issued_prescription
):
    orientation = patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    client.force_login(structure_admin)
    url = reverse(
        "dispensing:orientation_end", kwargs={"pk": patient.pk, "grant_id": orientation.pk}
    )
    assert url in client.get(patient.get_absolute_url()).content.decode()
    response = client.post(url, {"retour": "dossier"})
    assert response.status_code == 302 and response["Location"] == patient.get_absolute_url()
    orientation.refresh_from_db()
    assert orientation.revoked_at is not None
    assert url not in client.get(patient.get_absolute_url()).content.decode()
