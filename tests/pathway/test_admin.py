"""The pathway in the back-office: the dated tariffs are edited there with their legal source
(R-C2, R-C3); bookings are read-only, audited, and scoped to the structure."""

from datetime import date

import pytest
from django.urls import reverse

from audit.models import ReadAudit
from pathway.models import Booking, PathwayPdf, Tariff
from pathway.rules import Kind
from tests.dashboard.helpers import make_structure_admin, make_superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(book):
    return book(Kind.BILAN_PHYSICAL, date(2025, 5, 1))


def test_every_pathway_changelist_answers_the_superuser(client, msp, booking):
    client.force_login(make_superuser(msp))
    for model in (
        "tariff",
        "convention",
        "cancerepisode",
        "pathwayprescription",
        "booking",
        "pathwaypdf",
    ):
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


def test_the_pathway_pdfs_are_a_trace_without_their_bytes(client, msp, pathway):
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from pathway.pdf import pathway_pdf_bytes  # noqa: PLC0415

    pathway_pdf_bytes(pathway)  # stored at its first download
    stored = PathwayPdf.objects.get(pathway=pathway)
    client.force_login(make_superuser(msp))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:pathway_pathwaypdf_changelist"))
    assert response.status_code == 200 and pathway.reference in response.content.decode()
    assert not any('"pdf"' in q["sql"] for q in queries.captured_queries)  # never the bytes
    url = reverse("admin:pathway_pathwaypdf_change", args=[stored.pk])
    assert client.get(url).context["has_change_permission"] is False
    assert client.post(url, {"sha256": "0" * 64}).status_code == 403
    delete = reverse("admin:pathway_pathwaypdf_delete", args=[stored.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert PathwayPdf.objects.get(pk=stored.pk).sha256 == stored.sha256
    # A structure's admin staff has no permission on this trace (as on the bilans' documents).
    client.force_login(make_structure_admin(msp, "admin-mss"))
    assert client.get(url).status_code == 403
