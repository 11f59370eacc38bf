"""CSV exports: streamed, UTF-8 with BOM, `;`, dates jj/mm/aaaa, recorded in the read audit."""

import csv
import io
from datetime import date

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import ReadAudit
from kernel import csv as kernel_csv
from kernel.text import fold
from patients.models import Patient, Sex
from prescriptions import exports
from tests import factories
from tests.dashboard.helpers import make_rows, make_structure_admin, make_superuser

ROWS = 10_000


@pytest.fixture
def superuser(structure):
    return make_superuser(structure)


def _read_csv(response) -> tuple[bytes, list[list[str]]]:
    assert response.streaming
    body = b"".join(response.streaming_content)
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def _bulk_patients(structure, n: int) -> None:
    Patient.objects.bulk_create(
        Patient(
            structure=structure,
            birth_name=f"Bérénice{i:05d}",
            first_names="Hélène Zoé",
            birth_date=date(1956, 3, 12),
            sex=Sex.FEMALE,
            nir="",
            search_name=fold(f"Bérénice{i:05d} Hélène Zoé"),
        )
        for i in range(n)
    )


def test_the_csv_export_of_10000_patients_streams_with_accents_and_one_audit_entry(
    client, superuser, structure
):
    _bulk_patients(structure, ROWS)
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:patients_patient_export"))
    # Only counts so far: the rows are fetched while the response is consumed.
    row_reads = [
        q["sql"]
        for q in ctx.captured_queries
        if '"patients_patient"."birth_name"' in q["sql"] and "COUNT(" not in q["sql"].upper()
    ]
    assert row_reads == []
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="patients-')
    with CaptureQueriesContext(connection) as ctx:
        body, rows = _read_csv(response)
    # Read in chunks of 2,000 (+ one prefetch of situations per chunk), never all at once.
    assert len(ctx.captured_queries) <= 2 * (ROWS // kernel_csv.CHUNK_SIZE + 1)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel opens the accents correctly
    header, data = rows[0], rows[1:]
    assert header[:4] == ["Nom de naissance", "Nom d'usage", "Prénoms", "Date de naissance"]
    assert "NIR" in header  # admins may see the NIR
    assert len(data) == ROWS
    assert data[0][0] == "Bérénice00000"
    assert data[0][2] == "Hélène Zoé"
    assert data[0][3] == "12/03/1956"
    audits = ReadAudit.objects.filter(action=ReadAudit.Action.EXPORT)
    assert audits.count() == 1
    assert audits.get().detail == f"patients : {ROWS} lignes, filtres : aucun"
    assert audits.get().user == superuser


def test_the_export_follows_the_changelist_filters_and_keeps_the_search_out_of_the_audit(
    client, superuser, structure
):
    factories.PatientFactory(structure=structure, birth_name="Dupont", first_names="Hélène")
    factories.PatientFactory(structure=structure, birth_name="Martin", first_names="Paul")
    client.force_login(superuser)
    response = client.get(reverse("admin:patients_patient_export"), {"q": "helene", "sex": "F"})
    _, rows = _read_csv(response)
    assert [r[0] for r in rows[1:]] == ["Dupont"]
    detail = ReadAudit.objects.get(action=ReadAudit.Action.EXPORT).detail
    assert detail == "patients : 1 lignes, filtres : recherche ; sex=F"
    assert "helene" not in detail.lower() and "dupont" not in detail.lower()


def test_prescriptions_ending_this_month_export_with_their_columns(
    client, superuser, structure, prescriber, physiotherapist, time_machine
):
    time_machine.move_to(date(2026, 11, 10))
    today = timezone.localdate()
    rows = make_rows(2, structure=structure, prescriber=prescriber, physiotherapist=physiotherapist)
    # Ends on 30/11/2026: in the month and not renewed.
    ending = factories.make_prescription(
        prescriber=prescriber,
        patient=factories.PatientFactory(structure=structure, birth_name="Éluard"),
        prescribed_on=date(2026, 8, 31),
        start_date=date(2026, 9, 1),
        duration_months=3,
    )
    assert ending.end_date == date(2026, 11, 30)
    client.force_login(superuser)
    changelist = client.get(reverse("admin:prescriptions_prescription_changelist"), {"fin": "mois"})
    expected = {p.reference for p in changelist.context["cl"].result_list}
    # make_rows' prescriptions end on 21/11; the first one was renewed and now ends in February.
    assert ending.reference in expected
    assert rows[1].reference in expected
    assert rows[0].reference not in expected
    response = client.get(reverse("admin:prescriptions_prescription_export"), {"fin": "mois"})
    _, csv_rows = _read_csv(response)
    header, data = csv_rows[0], csv_rows[1:]
    assert header == exports.PRESCRIPTION_HEADER
    assert {r[0] for r in data} == expected
    line = next(r for r in data if r[0] == ending.reference)
    assert line[1].startswith("ÉLUARD")
    assert line[3] == prescriber.display_name and line[4] == prescriber.rpps
    assert line[5] == "Émise"
    assert line[6:10] == ["31/08/2026", "01/09/2026", "30/11/2026", "3"]
    assert line[10] == "Modérées"
    assert line[11:] == ["", "", ""]
    # The list page shown (one entry naming its patients), then the export.
    assert ReadAudit.objects.get(action=ReadAudit.Action.EXPORT).detail == (
        f"prescriptions : {len(expected)} lignes, filtres : fin=mois"
    )
    listed = ReadAudit.objects.get(action=ReadAudit.Action.PATIENT_LIST)
    assert str(ending.patient_id) in listed.patient_ids.split()
    assert today == date(2026, 11, 10)


def test_a_renewed_prescription_exports_its_renewal(
    client, superuser, structure, prescriber, physiotherapist
):
    renewed = make_rows(
        1, structure=structure, prescriber=prescriber, physiotherapist=physiotherapist
    )[0]
    renewed.refresh_from_db()
    client.force_login(superuser)
    response = client.get(reverse("admin:prescriptions_prescription_export"))
    _, rows = _read_csv(response)
    line = rows[1]
    assert line[5] == "Renouvelée"
    assert line[11] == "Renouvellement"
    assert line[12] == timezone.localdate().strftime("%d/%m/%Y")
    assert line[13] == renewed.renewal.end_date.strftime("%d/%m/%Y")


def test_exporting_the_selection_exports_only_the_ticked_rows(client, superuser, structure):
    chosen = factories.PatientFactory(structure=structure, birth_name="Choisi")
    factories.PatientFactory(structure=structure, birth_name="Autre")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:patients_patient_changelist"),
        {"action": "export_selection_csv", ACTION_CHECKBOX_NAME: [str(chosen.pk)]},
    )
    _, rows = _read_csv(response)
    assert [r[0] for r in rows[1:]] == ["Choisi"]
    assert ReadAudit.objects.get().detail == ("patients : 1 lignes, sélection cochée dans la liste")


def test_a_structure_admin_exports_only_their_structure(client, structure, other_structure):
    factories.PatientFactory(structure=structure, birth_name="Ici")
    factories.PatientFactory(structure=other_structure, birth_name="Ailleurs")
    client.force_login(make_structure_admin(structure, "admin-lyon"))
    _, rows = _read_csv(client.get(reverse("admin:patients_patient_export")))
    assert [r[0] for r in rows[1:]] == ["Ici"]


def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_defused(client, superuser, structure):
    factories.PatientFactory(structure=structure, birth_name="=HYPERLINK(1)")
    client.force_login(superuser)
    _, rows = _read_csv(client.get(reverse("admin:patients_patient_export")))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_a_physician_without_admin_access_cannot_export(client, prescriber, patient):
    client.force_login(prescriber)
    response = client.get(reverse("admin:patients_patient_export"))
    assert response.status_code == 302  # to the admin login page
    assert not ReadAudit.objects.filter(action=ReadAudit.Action.EXPORT).exists()


def test_a_long_admin_list_says_more_than_its_cap_and_its_export_counts_every_row(
    client, superuser, structure, monkeypatch
):
    """Issue 8: the admin's count stops after 1,000 rows (here 5), never shows a false total,
    and the export still records its exact number of rows in the audit."""
    from kernel.pagination import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 5)
    _bulk_patients(structure, 8)
    client.force_login(superuser)
    page = client.get(reverse("admin:patients_patient_changelist")).content.decode()
    assert "plus de 5 patients : précisez avec les filtres ou la recherche" in page
    assert "Sélectionner tout le filtre (plus de 5 patients)" in page
    assert "8 patients" not in page and "6 patients" not in page
    response = client.get(reverse("admin:patients_patient_export"))
    assert len(_read_csv(response)[1]) == 1 + 8
    detail = ReadAudit.objects.get(action=ReadAudit.Action.EXPORT).detail
    assert detail == "patients : 8 lignes, filtres : aucun"
