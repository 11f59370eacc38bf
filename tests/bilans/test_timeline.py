"""R-B4: the patient's timeline, prescription → entry bilan → comptes rendus → renewal → exit
bilan, in date order, each item only for whoever may read it (prescriptions_visible_to for the
prescription side, bilans/access.py for the documents), in one query whatever its length."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bilans import services
from bilans.selectors import patient_documents
from dispensing.services import patient_orient
from prescriptions.rules import add_months
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def journey(prescriber, patient, physiotherapist, apa_teacher):
    """A prescription ending in 11 days, its entry bilan, two comptes rendus (the second not
    shared), the physiotherapist's renewal today, then the exit bilan."""
    today = timezone.localdate()
    start = add_months(today + timedelta(days=11), -3)
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        prescribed_on=start,
        start_date=start,
        duration_months=3,
    )
    patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    entry = factories.make_entry_bilan(patient, apa_teacher, performed_on=start + timedelta(3))
    factories.make_report(patient, apa_teacher, today=start + timedelta(20))
    factories.make_report(patient, apa_teacher, today=start + timedelta(40), share_agreement=False)
    factories.look_up(prescription, physiotherapist)
    factories.renew(prescription, physiotherapist, today=today)
    exit_bilan = services.exit_bilan_save(
        entry=entry,
        author=apa_teacher,
        values={
            **factories.bilan_values(six_minute_walk_m=445),
            "performed_on": today,
            "proposal": "leave",
            "leave_to": "Club de marche",
        },
    )
    services.exit_bilan_sign(bilan=exit_bilan, by=apa_teacher)
    return prescription


def _kinds(user, patient, *, recorder=False):
    return [d.kind for d in patient_documents(user=user, patient=patient, recorder=recorder)]


def test_the_professional_reads_the_whole_journey_in_date_order(journey, patient, apa_teacher):
    rows = patient_documents(user=apa_teacher, patient=patient, recorder=True)
    assert [d.kind for d in rows] == [
        "prescription",
        "entry",
        "report",
        "report",
        "renewal",
        "exit",
    ]
    assert [d.performed_on for d in rows] == sorted(d.performed_on for d in rows)
    assert rows[0].url == reverse("prescriptions:detail", kwargs={"pk": journey.pk})
    assert rows[4].url == rows[0].url and rows[4].kind_label.startswith("Renouvellement")
    assert rows[0].author_name.endswith("MARTIN") and rows[0].reference == journey.reference


def test_the_prescriber_reads_only_what_the_patient_agreed_to_send(journey, patient, prescriber):
    assert _kinds(prescriber, patient) == ["prescription", "entry", "report", "renewal", "exit"]


def test_a_colleague_reads_no_bilan_and_an_outsider_nothing(
    journey, patient, colleague_physician, outsider_physician
):
    # The colleague may see the patient's prescriptions (the structure's record), never the
    # bilans: neither the prescriber nor the médecin traitant.
    assert {"entry", "report", "exit"}.isdisjoint(_kinds(colleague_physician, patient))
    assert _kinds(outsider_physician, patient) == []


def test_the_physiotherapist_who_looked_it_up_reads_no_bilan(journey, patient, physiotherapist):
    assert {"entry", "report", "exit"}.isdisjoint(_kinds(physiotherapist, patient))


def test_a_draft_prescription_is_not_on_the_timeline(journey, patient, prescriber):
    factories.make_prescription(prescriber=prescriber, patient=patient, issue=False)
    assert _kinds(prescriber, patient).count("prescription") == 1


def test_the_timeline_is_one_query_whatever_its_length(journey, patient, apa_teacher):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            patient_documents(user=apa_teacher, patient=patient, recorder=True)
        return len(queries.captured_queries)

    before = count()
    for _ in range(4):
        factories.make_report(patient, apa_teacher)
    assert count() == before == 1


def test_the_pages_of_the_timeline_stay_under_their_ceiling(
    client, journey, patient, prescriber, django_assert_max_num_queries
):
    client.force_login(prescriber)
    for url, ceiling in (
        (reverse("bilans:patient", kwargs={"pk": patient.pk}), 16),
        (reverse("patients:detail", kwargs={"pk": patient.pk}), 30),
    ):
        with django_assert_max_num_queries(ceiling):
            response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Renouvellement par le masseur-kinésithérapeute" in html
        assert html.index("Prescription d&#x27;activité physique adaptée du") < html.index(
            "Bilan de sortie du"
        )
