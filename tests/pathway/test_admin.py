"""The pathway in the back-office: the dated tariffs are edited there with their legal source
(R-C2, R-C3); bookings are read-only, audited, and scoped to the structure."""

from datetime import date

import pytest
from django.urls import reverse

from audit.models import ReadAudit
from pathway.models import Booking, Tariff
from pathway.rules import Kind
from tests.dashboard.helpers import make_structure_admin, make_superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(book):
    return book(Kind.BILAN_PHYSICAL, date(2025, 5, 1))


def test_every_pathway_changelist_answers_the_superuser(client, msp, booking):
    client.force_login(make_superuser(msp))
    for model in ("tariff", "convention", "cancerepisode", "pathwayprescription", "booking"):
        assert client.get(reverse(f"admin:pathway_{model}_changelist")).status_code == 200, model


def test_r_c2_a_new_tariff_is_added_in_the_admin_with_its_legal_source(client, msp):
    client.force_login(make_superuser(msp))
    response = client.post(
        reverse("admin:pathway_tariff_add"),
        {
            "valid_from": "2027-01-01",
            "bilan_price": "50.00",
            "consultation_price": "25.00",
            "annual_cap": "200.00",
            "max_bilans": "3",
            "max_consultations": "6",
            "legal_source": "Arrêté du … 2026 (exemple)",
        },
    )
    assert response.status_code == 302
    assert Tariff.objects.get(valid_from=date(2027, 1, 1)).legal_source.startswith("Arrêté")


def test_a_booking_is_read_only_audited_and_hidden_from_another_structure(
    client, msp, other_structure, booking
):
    client.force_login(make_superuser(msp))
    url = reverse("admin:pathway_booking_change", args=[booking.pk])
    assert client.get(url).status_code == 200
    assert ReadAudit.objects.filter(patient_id=booking.pathway.patient_id).exists()
    client.post(url, {"status": "not_done"})
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.BOOKED
    client.force_login(make_structure_admin(msp, "admin-mss"))
    assert client.get(url).status_code == 200
    client.force_login(make_structure_admin(other_structure, "admin-ailleurs"))
    assert client.get(url).status_code == 302  # not in its scope: back to the admin's index
