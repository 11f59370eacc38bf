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
        for s in next_steps(user=user, today=today, report_due_weeks=6, ending_days=30).steps
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
    # The usual 4 (session, user, the request's savepoint and release), the patients' count,
    # next_steps' six (names, prescriptions, entry bilans, last comptes rendus, exit bilans,
    # the patients shown), the follow-ups due, the recent patients and prescriptions, the
    # unread notifications, the audit insert (naming the patients the page shows).
    with django_assert_max_num_queries(16):
        page = client.get(reverse("home"))
    assert page.status_code == 200
    assert "entrée à faire" in page.content.decode()


def test_every_patient_is_weighed_and_the_most_urgent_are_shown_first(
    client, structure, prescriber, patient, oriented, monkeypatch
):
    """A busy professional's list is cut after the most urgent steps, never after the first
    names of the alphabet: an entry bilan due for « ZOLA » comes before patients up to date."""
    factories.make_entry_bilan(patient, oriented)  # `patient` is up to date
    for name in ("ABEL", "BRUN"):
        other = factories.PatientFactory(
            structure=structure, physician_in_charge=prescriber, birth_name=name
        )
        factories.make_prescription(prescriber=prescriber, patient=other)
        patient_orient(patient=other, professional=oriented, by=prescriber)
        factories.make_entry_bilan(other, oriented)
    zola = factories.PatientFactory(
        structure=structure, physician_in_charge=prescriber, birth_name="ZOLA"
    )
    factories.make_prescription(prescriber=prescriber, patient=zola)
    patient_orient(patient=zola, professional=oriented, by=prescriber)

    found = next_steps(
        user=oriented, today=timezone.localdate(), report_due_weeks=6, ending_days=30, limit=2
    )
    assert found.total == 4 and found.hidden == 2
    assert [s.patient.birth_name for s in found.steps][0] == "ZOLA"
    assert str(found.steps[0].label) == "Bilan d'entrée à faire"
    assert [s.patient.birth_name for s in found.steps][1] == "ABEL"  # then by name

    monkeypatch.setattr("bilans.selectors.HOME_LIMIT", 2)
    client.force_login(oriented)
    page = client.get(reverse("home")).content.decode()
    assert "Les 2 patients aux étapes les plus urgentes, sur 4" in page
    assert page.index("ZOLA") < page.index("ABEL")
    assert reverse("dispensing:supervised") in page
