"""The pathway's pages: the prescription refused with its dates, the ledger on the patient's page
and on the pathway's page, bookings refused with the cap, the statements and the ARS export
(R-C1 to R-C4), each with its query ceiling."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import ReadAudit
from pathway import exports
from pathway.models import Booking, Convention, PathwayPrescription
from pathway.rules import Kind

pytestmark = pytest.mark.django_db

DAY = date(2025, 5, 1)


def test_r_c1_the_prescription_page_refuses_a_late_date_with_the_dates(
    client, oncologist, episode, msp
):
    client.force_login(oncologist)
    url = reverse("pathway:pathway_create", args=[episode.pk])
    response = client.post(
        url, {"structure": msp.pk, "kinds": ["bilan_physical"], "prescribed_on": "2026-03-16"}
    )
    assert response.status_code == 400
    assert "la prescription du parcours était possible jusqu&#x27;au 15/03/2026" in (
        response.content.decode()
    )
    assert not PathwayPrescription.objects.exists()
    response = client.post(
        url, {"structure": msp.pk, "kinds": ["bilan_physical"], "prescribed_on": "2026-03-15"}
    )
    assert response.status_code == 302
    assert PathwayPrescription.objects.get().prescribed_on == date(2026, 3, 15)


def test_an_episode_is_recorded_from_the_patient_page(client, oncologist, patient):
    client.force_login(oncologist)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert reverse("pathway:episode_create", args=[patient.pk]) in response.content.decode()
    response = client.post(
        reverse("pathway:episode_create", args=[patient.pk]),
        {"localisation": "Sein", "treatment_end": "2025-03-15", "ald": "on"},
    )
    assert response.status_code == 302
    assert patient.cancer_episodes.get().ald is True


def test_r_c3_the_seventh_consultation_is_refused_on_the_page_with_the_reason(
    client, msp_staff, pathway, book, msp_psychologist
):
    book(Kind.BILAN_PHYSICAL, DAY)
    for _ in range(6):
        book(Kind.CONSULTATION_DIETARY, DAY)
    client.force_login(msp_staff)
    response = client.post(
        reverse("pathway:booking_create", args=[pathway.pk]),
        {
            "kind": "consultation_psychological",
            "scheduled_on": "2025-05-02",
            "professional": msp_psychologist.pk,
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "6 consultations de suivi au plus par parcours" in content
    assert (
        'data-testid="remaining">0.00 €' in content or 'data-testid="remaining">0,00 €' in content
    )
    assert Booking.objects.filter(pathway=pathway).count() == 7


def test_the_ledger_says_what_may_still_be_booked(client, msp_staff, pathway, book):
    book(Kind.BILAN_PHYSICAL, DAY)
    book(Kind.BILAN_DIETARY, DAY)
    book(Kind.CONSULTATION_DIETARY, DAY)
    book(Kind.CONSULTATION_PSYCHOLOGICAL, date(2025, 6, 1))
    client.force_login(msp_staff)
    content = client.get(reverse("pathway:detail", args=[pathway.pk])).content.decode()
    assert "1 bilan ou 2 consultations" in content
    assert "du 01/05/2025 au 01/05/2026" in content
    assert 'Prescription possible jusqu\'au</dt><dd class="col-sm-8">15/03/2026' in content


def test_r_c4_marking_the_physical_bilan_done_records_the_project_and_offers_a_prescription(
    client, msp_staff, oncologist, pathway, book
):
    booking = book(Kind.BILAN_PHYSICAL, DAY)
    client.force_login(msp_staff)
    url = reverse("pathway:booking_mark", args=[booking.pk])
    response = client.post(url, {"done": "1", "apa_project": ""})
    assert response.status_code == 400
    assert "décrivez-le" in response.content.decode()
    response = client.post(url, {"done": "1", "apa_project": "Marche nordique, 2 séances"})
    assert response.status_code == 302
    client.force_login(oncologist)
    content = client.get(reverse("pathway:detail", args=[pathway.pk])).content.decode()
    assert "Marche nordique, 2 séances" in content
    start = f"{reverse('prescriptions:create')}?patient={pathway.patient_id}"
    link = f"{start}&amp;from=pathway-project:{booking.pk}"
    assert link in content
    # The new APA prescription starts from the project: its recommendations are prefilled,
    # and the physician is told so; nothing is saved until they submit.
    form = client.get(link.replace("&amp;", "&")).content.decode()
    assert "Marche nordique, 2 séances</textarea>" in form
    assert "préremplies à partir du projet d&#x27;activité physique adaptée du 01/05/2025" in form
    # The médecin traitant, who did not prescribe the pathway, is offered it too.
    client.force_login(pathway.patient.physician_in_charge)
    assert link in client.get(reverse("pathway:detail", args=[pathway.pk])).text
    # The structure's staff read the project, but do not prescribe: no offer, no prefill.
    client.force_login(msp_staff)
    assert link not in client.get(reverse("pathway:detail", args=[pathway.pk])).text
    client.force_login(oncologist)
    # Another source, a forged id or another patient's bilan: an empty form.
    for source in ("pathway-project:not-a-uuid", f"other:{booking.pk}", ""):
        assert "Marche nordique" not in client.get(f"{start}&from={source}").content.decode()


def _done(book, kind, on):
    booking = book(kind, on)
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.DONE)
    return booking


def test_the_ars_export_is_pseudonymised_audited_and_in_french_csv(
    client, msp_staff, pathway, book
):
    _done(book, Kind.BILAN_PHYSICAL, DAY)
    _done(book, Kind.CONSULTATION_DIETARY, date(2025, 6, 2))
    book(Kind.CONSULTATION_DIETARY, date(2025, 6, 3))  # booked, not done: not in the statement
    client.force_login(msp_staff)
    response = client.get(reverse("pathway:ars_export"), {"annee": "2025", "trimestre": "2"})
    assert response.status_code == 200
    raw = b"".join(response.streaming_content).decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == exports.ars_header(with_identity=False)
    assert "Identifiant patient (pseudonymisé)" in rows[0] and "NIR" not in rows[0]
    assert len(rows) == 3
    assert rows[1][0] == "ARS-ARA-2021-042"
    assert rows[1][1] == exports.pseudonym(pathway.patient_id)
    assert rows[1][5] == "01/05/2025" and rows[1][-1] == "45,00"
    assert rows[2][-1] == "22,50"
    assert pathway.patient.birth_name not in raw
    audit = ReadAudit.objects.filter(action=ReadAudit.Action.EXPORT).get()
    assert "2025 T2" in audit.detail and audit.user == msp_staff


def test_the_ars_export_names_the_patient_only_when_the_convention_requires_it(
    client, msp_staff, msp, pathway, book
):
    Convention.objects.filter(structure=msp).update(export_identity=True)
    _done(book, Kind.BILAN_PHYSICAL, DAY)
    client.force_login(msp_staff)
    response = client.get(reverse("pathway:ars_export"), {"annee": "2025", "trimestre": "2"})
    raw = b"".join(response.streaming_content).decode("utf-8")
    assert "NIR" in raw.splitlines()[0]
    assert pathway.patient.birth_name in raw


def test_the_monthly_statement_says_what_is_owed_to_each_professional(
    client, msp_staff, pathway, book
):
    _done(book, Kind.BILAN_PHYSICAL, DAY)
    _done(book, Kind.BILAN_DIETARY, DAY)
    _done(book, Kind.CONSULTATION_DIETARY, date(2025, 5, 20))
    client.force_login(msp_staff)
    response = client.get(reverse("pathway:statements"), {"annee": "2025", "mois": "5"})
    rows = {r["professional__last_name"]: r for r in response.context["rows"]}
    assert rows["Diet"]["total"] == Decimal("67.50")
    assert rows["Diet"]["bilans"] == 1 and rows["Diet"]["consultations"] == 1
    assert rows["Sport"]["total"] == Decimal("45.00")


# --- Query ceilings: the same count whatever the number of lines --------------------------------
def _count(client, url, django_assert_max_num_queries, ceiling, **params):
    with django_assert_max_num_queries(ceiling) as captured:
        response = client.get(url, params)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("page", "who", "ceiling"),
    [
        # session, user, savepoint + release, the pathway (patient, episode, prescriber,
        # structure), audit insert, the bookings (professional), the tariff, the
        # professionals of the booking form, unread notifications.
        ("detail", "msp_staff", 11),
        # the usual 4, the patient, audit insert, situations, may prescribe, notifications,
        # the prescriptions, orientations, accesses, the episodes; the ledger: bookings, tariff.
        ("patient", "oncologist", 16),
        # the usual 4, the pathways, audit insert, the statement (grouped), notifications.
        ("statements", "msp_staff", 9),
        # the usual 4, convention, audit insert, the rows (one query, joined).
        ("export", "msp_staff", 8),
    ],
)
def test_the_pathway_pages_ask_the_same_queries_for_1_and_7_lines(
    client, request, pathway, book, page, who, ceiling, django_assert_max_num_queries
):
    client.force_login(request.getfixturevalue(who))
    urls = {
        "detail": (reverse("pathway:detail", args=[pathway.pk]), {}),
        "patient": (reverse("patients:detail", args=[pathway.patient_id]), {}),
        "statements": (reverse("pathway:statements"), {"annee": "2025", "mois": "5"}),
        "export": (reverse("pathway:ars_export"), {"annee": "2025", "trimestre": "2"}),
    }
    url, params = urls[page]
    _done(book, Kind.BILAN_PHYSICAL, DAY)
    client.get(url, params)  # settles the session
    few = _count(client, url, django_assert_max_num_queries, ceiling, **params)
    for _ in range(6):
        _done(book, Kind.CONSULTATION_DIETARY, DAY)
    many = _count(client, url, django_assert_max_num_queries, ceiling, **params)
    assert few == many


def test_r_c1_the_pathway_prescription_pdf_prints_its_reference_and_verification_code(
    client, oncologist, pathway
):
    from pypdf import PdfReader  # noqa: PLC0415

    client.force_login(oncologist)
    response = client.get(reverse("pathway:pdf", args=[pathway.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert pathway.reference in text and pathway.verification_code in text
    assert "15/03/2026" in text  # the deadline of R-C1


def test_r_c1_the_public_page_verifies_a_pathway_prescription_without_a_name(
    client, pathway, patient
):
    """The printed reference (PSC-…) and code are checked on `/verifier/` as the form's are:
    kind and date, never a name; a wrong code reads as an unknown reference."""
    url = reverse("verify")
    response = client.post(
        url,
        {
            "reference": pathway.reference.lower().replace("-", " "),
            "code": pathway.verification_code,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Document authentique" in page and pathway.reference in page
    assert "Prescription du parcours post-cancer" in page
    assert pathway.prescribed_on.strftime("%d/%m/%Y") in page
    assert patient.birth_name not in page and patient.first_names not in page

    wrong = client.post(url, {"reference": pathway.reference, "code": "ZZZZZZ"})
    unknown = client.post(url, {"reference": "PSC-2026-0000-0000", "code": "ZZZZZZ"})
    assert "Document authentique" not in wrong.content.decode()
    assert wrong.status_code == unknown.status_code
    assert _verify_answer(wrong) == _verify_answer(unknown)


def _verify_answer(response) -> str:
    """The page's answer (its error box), as tests/prescriptions/test_verification.py reads it."""
    page = response.content.decode()
    start = page.index('id="verify-errors"')
    return page[start : page.index("</div>", start)]


def test_r_c1_the_pathway_pdf_is_sealed_tagged_and_carries_its_verification_page(
    client, oncologist, pathway
):
    from pypdf import PdfReader  # noqa: PLC0415

    client.force_login(oncologist)
    data = b"".join(client.get(reverse("pathway:pdf", args=[pathway.pk])).streaming_content)
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "/verifier/" in text
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged (PDF/UA-1)
    fields = reader.get_fields() or {}
    assert any(field.get("/FT") == "/Sig" for field in fields.values())  # the seal


def test_the_structures_pathways_are_refused_to_a_physician_with_the_reason(
    client, oncologist, pathway
):
    client.force_login(oncologist)
    response = client.get(reverse("pathway:statements"))
    assert response.status_code == 403
    assert "La liste des parcours d&#x27;une structure est réservée" in response.text
    assert pathway.patient.birth_name not in response.text
