"""The post-cancer pathway in a browser (R-C1 to R-C4): the oncologue prescribes the pathway,
the structure's staff books 1 bilan and 6 consultations, the 7th is refused with the reason,
the ledger shows 0 € left, the bilan is marked done with its APA project, and the ARS export
opens with the expected columns."""

import csv
import io
import re

from django.utils import timezone

from pathway import exports
from pathway.models import Booking, PathwayPrescription
from patients.models import Patient

from .conftest import assert_accessible, log_in, log_out


def _book(page, kind: str, professional: str, day: str) -> None:
    page.locator("#id_kind").select_option(label=kind)
    page.locator("#id_scheduled_on").fill(day)
    page.locator("#id_professional").select_option(label=professional)
    page.get_by_role("button", name="Réserver").click()


def test_the_post_cancer_pathway_journey(page, demo):
    patient = Patient.objects.get(birth_name="Dupont", cancer_episodes__isnull=False)
    today = timezone.localdate().isoformat()

    # The oncologue prescribes the pathway from the patient's record (R-C1).
    log_in(page, "oncologue")
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Prescrire le parcours").click()
    assert_accessible(page)
    page.locator("#id_structure").select_option(index=1)
    page.get_by_label("Bilan d'activité physique").check()
    page.get_by_role("button", name="Prescrire").click()
    page.wait_for_selector("text=Le parcours est prescrit.")
    pathway = PathwayPrescription.objects.get(patient=patient)
    assert pathway.prescriber.username == "oncologue"
    log_out(page)

    # The structure's staff books 1 bilan and 6 consultations (R-C2, R-C3).
    log_in(page, "admin")
    page.goto(f"/parcours-cancer/{pathway.pk}/")
    assert_accessible(page)
    _book(page, "Bilan d'activité physique", "Sophie LEFÈVRE", today)
    page.wait_for_selector("text=La prestation est réservée.")
    for _ in range(6):
        _book(page, "Consultation de suivi diététique", "Laure PETIT", today)
        page.wait_for_selector("text=La prestation est réservée.")
    assert Booking.objects.filter(pathway=pathway).count() == 7

    # The 7th consultation is refused, with the reason; the ledger shows 0 € left.
    _book(page, "Consultation de suivi psychologique", "Marc DUBREUIL", today)
    page.wait_for_selector("text=6 consultations de suivi au plus par parcours")
    assert Booking.objects.filter(pathway=pathway).count() == 7
    assert page.get_by_test_id("remaining").inner_text().startswith("0,00")
    assert page.get_by_test_id("possible").inner_text() == "plus rien dans le forfait"
    assert_accessible(page)

    # The bilan is marked done with its « projet d'activité physique adaptée » (R-C4).
    page.get_by_label("Projet d'activité physique adaptée").fill("Marche nordique 2×/semaine")
    page.locator("form", has_text="Bilan d'activité physique du").get_by_role(
        "button", name="Réalisé", exact=True
    ).click()
    page.wait_for_selector("text=La prestation est renseignée.")

    # The ARS export of the quarter opens with the expected columns.
    page.goto("/parcours-cancer/etats/")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Exporter le trimestre")).click()
    raw = download.value.path().read_bytes().decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == exports.ars_header(with_identity=False)
    assert len(rows) == 2 and rows[1][-1] == "45,00"
    assert "DUPONT" not in raw.upper()
