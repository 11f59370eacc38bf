"""The professional's home: the next step due per patient oriented to them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bilans.selectors import next_steps
from dispensing.services import patient_orient
from prescriptions.rules import add_months
from prescriptions.services import prescription_cancel
from tests import factories

pytestmark = pytest.mark.django_db


def _steps(user, **kwargs):
    today = kwargs.pop("today", timezone.localdate())
    return {
        s.patient.pk: str(s.label)
        for s in next_steps(user=user, today=today, report_due_weeks=6, ending_days=30)
    }


@pytest.fixture
def oriented(prescriber, patient, apa_teacher, issued_prescription):
    patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    return apa_teacher


def test_entry_bilan_missing_then_to_sign_then_up_to_date(patient, oriented):
    assert _steps(oriented)[patient.pk] == "Bilan d'entrée à faire"
    bilan = factories.make_entry_bilan(patient, oriented, sign=False)
    assert _steps(oriented)[patient.pk] == "Bilan d'entrée à signer"
    from bilans.services import entry_bilan_sign  # noqa: PLC0415

    entry_bilan_sign(bilan=bilan, by=oriented)
    assert _steps(oriented)[patient.pk] == "À jour"


def test_a_compte_rendu_is_due_after_n_weeks(patient, oriented):
    factories.make_entry_bilan(patient, oriented)
    later = timezone.localdate() + timedelta(weeks=6)
    assert _steps(oriented, today=later)[patient.pk].startswith("Compte rendu à rédiger")
    factories.make_report(patient, oriented, today=later)
    assert _steps(oriented, today=later)[patient.pk] == "À jour"


def test_the_exit_bilan_is_due_as_the_prescription_ends(prescriber, patient, apa_teacher):
    start = add_months(timezone.localdate() + timedelta(days=11), -3)
    factories.make_prescription(
        prescriber=prescriber, patient=patient, prescribed_on=start, start_date=start
    )
    patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    factories.make_entry_bilan(patient, apa_teacher)
    assert _steps(apa_teacher)[patient.pk].startswith("Bilan de sortie à faire")


def test_a_withdrawn_prescription_ends_the_orientation_and_leaves_the_home(
    prescriber, patient, oriented, issued_prescription
):
    """The patient's only prescription withdrawn: the orientation ends with it (need-to-know),
    so the professional no longer sees the patient, on the home page either."""
    prescription_cancel(prescription=issued_prescription, by=prescriber, reason="Contre-indication")
    assert patient.pk not in _steps(oriented)


def test_the_home_page_shows_the_steps_in_constant_queries(
    client, structure, prescriber, oriented, patient, django_assert_max_num_queries
):
    for _n in range(4):
        other = factories.PatientFactory(structure=structure, physician_in_charge=prescriber)
        factories.make_prescription(prescriber=prescriber, patient=other)
        patient_orient(patient=other, professional=oriented, by=prescriber)
    client.force_login(oriented)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("home"))
    assert page.status_code == 200
    assert "entrée à faire" in page.content.decode()
