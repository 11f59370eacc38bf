"""The orientation page (physician or admin of the structure) and « Mes patients orientés »."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from audit.models import ReadAudit
from dispensing import services as orientation_services
from patients.models import CareTeamGrant
from practitioners.models import Profession
from prescriptions.models import Prescription
from prescriptions.rules import LimitationLevel
from tests import factories

pytestmark = pytest.mark.django_db


def _url(patient) -> str:
    return reverse("dispensing:orientation", kwargs={"pk": patient.pk})


def test_a_physician_orients_the_patient_from_the_page(
    client, issued_prescription, patient, prescriber, apa_teacher
):
    client.force_login(prescriber)
    page = client.get(_url(patient))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Modérées" in html
    assert "peut encadrer ce niveau" in html
    response = client.post(_url(patient), {"professional": apa_teacher.pk})
    assert response.status_code == 302
    grant = CareTeamGrant.objects.get(user=apa_teacher, reason=CareTeamGrant.Reason.ORIENTATION)
    assert grant.granted_by == prescriber
    page = client.get(_url(patient))
    assert apa_teacher.display_name in page.content.decode()


def test_a_refused_orientation_is_explained_next_to_the_field_and_stores_nothing(
    client, patient, prescriber, apa_teacher
):
    factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        assessment=factories.assessment_data(
            locomotor=LimitationLevel.SEVERE, confirmed_level=LimitationLevel.SEVERE
        ),
    )
    client.force_login(prescriber)
    response = client.post(_url(patient), {"professional": apa_teacher.pk})
    assert response.status_code == 400
    assert escape(str(orientation_services.MSG_ORIENT_SEVERE)) in response.content.decode()
    assert "is-invalid" in response.content.decode()
    assert not CareTeamGrant.objects.filter(user=apa_teacher).exists()


def test_ending_an_orientation_from_the_page(
    client, issued_prescription, patient, structure_admin, apa_teacher, prescriber
):
    grant = orientation_services.patient_orient(
        patient=patient, professional=apa_teacher, by=prescriber
    )
    client.force_login(structure_admin)
    url = reverse("dispensing:orientation_end", kwargs={"pk": patient.pk, "grant_id": grant.pk})
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_the_orientation_page_is_refused_to_the_others(
    client, issued_prescription, patient, prescriber, apa_teacher, outsider_physician
):
    orientation_services.patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    client.force_login(apa_teacher)  # sees the patient, may not orient
    assert client.get(_url(patient)).status_code == 403
    client.force_login(outsider_physician)  # does not even see the patient
    assert client.get(_url(patient)).status_code == 404
    assert not ReadAudit.objects.filter(user__in=[apa_teacher, outsider_physician]).exists()


def test_the_orientation_page_read_is_audited_once(
    client, issued_prescription, patient, prescriber
):
    client.force_login(prescriber)
    client.get(_url(patient))
    assert ReadAudit.objects.filter(patient_id=patient.pk, detail="orientation").count() == 1


# --- « Mes patients orientés » --------------------------------------------------------------
def _oriented_patients(n, *, structure, prescriber, teacher, level=LimitationLevel.MODERATE):
    for _ in range(n):
        patient = factories.PatientFactory(structure=structure, nir="")
        factories.make_prescription(
            prescriber=prescriber,
            patient=patient,
            assessment=factories.assessment_data(confirmed_level=level),
        )
        orientation_services.patient_orient(patient=patient, professional=teacher, by=prescriber)


def test_the_dispenser_sees_the_level_and_whether_they_may_supervise_never_the_nir(
    client, structure, prescriber, physiotherapist
):
    patient = factories.PatientFactory(structure=structure, nir="256036912300145")
    factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        assessment=factories.assessment_data(
            locomotor=LimitationLevel.SEVERE, confirmed_level=LimitationLevel.SEVERE
        ),
    )
    orientation_services.patient_orient(
        patient=patient, professional=physiotherapist, by=prescriber
    )
    client.force_login(physiotherapist)
    response = client.get(reverse("dispensing:supervised"))
    html = response.content.decode()
    assert response.status_code == 200
    assert patient.full_name in html
    assert "Sévères" in html and "Oui" in html
    assert "2560369" not in html and "2 56 03" not in html


def test_an_apa_teacher_is_told_when_the_table_does_not_let_them_supervise(
    client, structure, prescriber, apa_teacher, settings
):
    from prescriptions.models import SupervisionRule

    _oriented_patients(1, structure=structure, prescriber=prescriber, teacher=apa_teacher)
    # The structure narrows the editable table (R-L5): moderate without APA teachers.
    SupervisionRule.objects.filter(
        level=LimitationLevel.MODERATE, profession=Profession.APA_TEACHER
    ).delete()
    client.force_login(apa_teacher)
    html = client.get(reverse("dispensing:supervised")).content.decode()
    assert "<strong>Non</strong>, selon le tableau d'encadrement en vigueur" in html


def test_the_supervised_list_queries_do_not_grow(
    client, structure, prescriber, apa_teacher, django_assert_max_num_queries
):
    _oriented_patients(2, structure=structure, prescriber=prescriber, teacher=apa_teacher)
    client.force_login(apa_teacher)
    # 1 session, 2 user, 3 savepoint (ATOMIC_REQUESTS), 4 count, 5 patients with their level
    # (subquery), 6 supervision rules, 7 the read audit's insert (one for the page, naming its
    # patients), 8 the menu's unread notifications, 9 release savepoint
    with django_assert_max_num_queries(9):
        assert client.get(reverse("dispensing:supervised")).status_code == 200
    _oriented_patients(5, structure=structure, prescriber=prescriber, teacher=apa_teacher)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("dispensing:supervised"))
    assert len(response.context["rows"]) == 7


def test_the_supervised_page_is_for_dispensers(client, prescriber):
    client.force_login(prescriber)
    assert client.get(reverse("dispensing:supervised")).status_code == 403


def test_an_ended_prescription_is_shown_with_its_status_and_end_and_not_supervisable(
    client, structure, prescriber, apa_teacher
):
    patient = factories.PatientFactory(structure=structure)
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        assessment=factories.assessment_data(confirmed_level=LimitationLevel.MINIMAL),
    )
    orientation_services.patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    client.force_login(apa_teacher)
    html = client.get(reverse("dispensing:supervised")).content.decode()
    end = prescription.current_end_date.strftime("%d/%m/%Y")
    assert f"Émise, jusqu&#x27;au {end}" in html or f"Émise, jusqu'au {end}" in html
    assert "Oui" in html
    Prescription.objects.filter(pk=prescription.pk).update(status=Prescription.Status.EXPIRED)
    html = client.get(reverse("dispensing:supervised")).content.decode()
    assert f"Échue, terminée le {end}" in html
    assert "<strong>Non</strong> : prescription échue." in html
