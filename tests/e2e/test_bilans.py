"""The dispensing side in a browser (CSP D.1172-5): the physician orients, the enseignant en APA
records the entry bilan and programme, a compte rendu reports a risk, the physiotherapist's
renewal is refused with that report (R-R5), a later compte rendu clears it, the renewal is
accepted, the exit bilan compares; the physician reads only what the patient agreed to send.
"""

import re
from datetime import timedelta

from django.utils import timezone

from bilans.models import EntryBilan, ExitBilan, ProgressReport
from practitioners.models import User
from prescriptions.models import Prescription, Renewal, RiskBasis
from prescriptions.rules import LimitationLevel

from .conftest import assert_accessible, log_in, log_out

RISK_WORDS = "Douleur thoracique à l'effort"


def _prescription() -> Prescription:
    today = timezone.localdate()
    return (
        Prescription.objects.filter(
            prescriber__username="medecin",
            status=Prescription.Status.ISSUED,
            physician_renewal_required=False,
            end_date__range=(today - timedelta(days=20), today + timedelta(days=25)),
            assessment__confirmed_level__lt=LimitationLevel.SEVERE,
        )
        .exclude(pk__in=EntryBilan.objects.values("prescription_id"))
        .select_related("patient")
        .first()
    )


def _fill_tests(page, *, walk: str) -> None:
    page.get_by_label("Test de marche de 6 minutes (m)").fill(walk)
    page.get_by_label("Lever de chaise en 30 s (répétitions)").fill("11")
    page.get_by_label("Timed Up and Go (s)").fill("13.5")
    page.get_by_label("Appui unipodal (s, 60 au plus)").fill("8")
    page.get_by_label("Préhension : non réalisé (raison)").select_option(label="Douleur")
    page.get_by_label("Poids (kg)").fill("82")
    page.get_by_label("Taille (cm)", exact=True).fill("168")
    page.get_by_label("Tour de taille (cm)").fill("98")
    page.get_by_label("Échelle de Borg").select_option(value="rpe")
    page.get_by_label("Borg (effort perçu)").fill("13")
    for n in range(1, 10):
        page.get_by_label(f"Question {n} (points)").fill("2")
    page.get_by_label("Stade de changement").select_option(label="Préparation")
    page.get_by_label("Objectifs").fill("Marcher 30 minutes")


def _report(page, patient_id, *, risk: bool, shared: bool) -> None:
    page.goto(f"/bilans/patients/{patient_id}/compte-rendu/")
    assert_accessible(page)
    page.get_by_label("Séances prévues sur la période").fill("8")
    page.get_by_label("Séances réalisées").fill("6")
    page.get_by_label("Tolérance").select_option(label="Moyenne" if risk else "Bonne")
    if risk:
        page.get_by_label("Difficulté ou risque signalé").check()
        page.get_by_label("Description de la difficulté ou du risque").fill(RISK_WORDS)
    if shared:
        page.get_by_label(re.compile("le patient accepte l'envoi", re.I)).check()
    page.get_by_role("button", name="Enregistrer et signer").click()
    page.wait_for_url("**/bilans/compte-rendu/**")


def test_the_dispensing_journey(page, demo):
    prescription = _prescription()
    patient = prescription.patient
    apa = User.objects.get(username="enseignant")

    # The physician orients the patient to the enseignant en APA.
    log_in(page, "medecin")
    page.goto(f"/patients/{patient.pk}/orientation/")
    page.get_by_label("Intervenant en APA").select_option(value=str(apa.pk))
    page.get_by_role("button", name="Orienter").click()
    page.wait_for_url(f"**/patients/{patient.pk}/orientation/")
    log_out(page)

    # The enseignant sees the next step on their home, records and signs the entry bilan.
    log_in(page, "enseignant")
    page.goto("/")
    page.locator("#next-steps li", has_text=patient.birth_name.upper()).get_by_role(
        "link", name="Bilan d'entrée à faire"
    ).click()
    page.wait_for_url(f"**/bilans/patients/{patient.pk}/entree/")
    assert_accessible(page)
    _fill_tests(page, walk="400")
    page.get_by_label("Endurance").check()
    page.get_by_label("Intensité", exact=True).select_option(value="light")
    page.get_by_label("Séances par semaine").fill("2")
    page.get_by_label("Nombre de séances").fill("24")
    page.get_by_label("Lieu").select_option(label="En groupe")
    page.get_by_label(re.compile("le patient accepte l'envoi", re.I)).check()
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_url("**/bilans/entree/**")
    assert "de la distance prédite" in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Signer le bilan").click()
    page.wait_for_selector("text=Le bilan d'entrée est signé.")
    entry = EntryBilan.objects.get(prescription=prescription)
    assert entry.is_signed

    # A compte rendu reports a risk, without the patient's agreement to send it.
    _report(page, patient.pk, risk=True, shared=False)
    log_out(page)

    # The physiotherapist's renewal is refused with that report (R-R5).
    log_in(page, "kine")
    page.goto("/prescriptions/lookup/")
    page.get_by_label("Référence de la prescription").fill(prescription.reference)
    page.get_by_label("Date de naissance du patient").fill(patient.birth_date.strftime("%d/%m/%Y"))
    page.get_by_role("button", name=re.compile("Rechercher|Accéder|Retrouver")).click()
    page.wait_for_url(f"**/prescriptions/{prescription.pk}/")
    page.goto(f"/prescriptions/{prescription.pk}/renewal/")
    refusal = page.locator("#renewal-refusal").inner_text()
    assert RISK_WORDS in refusal and "Sophie LEFÈVRE" in refusal
    assert page.locator("form#renewal-form").count() == 0
    assert_accessible(page)
    log_out(page)

    # A later compte rendu clears it.
    log_in(page, "enseignant")
    _report(page, patient.pk, risk=False, shared=True)
    log_out(page)

    # The renewal is accepted; the form says the recorded bilans report none.
    log_in(page, "kine")
    page.goto(f"/prescriptions/{prescription.pk}/renewal/")
    assert page.locator("#recorded-no-risk").count() == 1
    page.get_by_role("radio", name="Renouvellement", exact=True).check()
    page.get_by_role("radio", name="3 mois").check()
    page.get_by_role("checkbox", name=re.compile("accord", re.I)).check()
    assert page.get_by_role(
        "checkbox", name=re.compile("ne rapportent pas de difficulté")
    ).is_checked()
    page.get_by_role("button", name=re.compile("Enregistrer")).click()
    page.wait_for_url(f"**/prescriptions/{prescription.pk}/")
    assert Renewal.objects.get(prescription=prescription).risk_basis == RiskBasis.RECORDED_NO_RISK
    log_out(page)

    # The exit bilan, compared with the entry bilan.
    log_in(page, "enseignant")
    page.goto(f"/bilans/entree/{entry.pk}/sortie/")
    assert_accessible(page)
    _fill_tests(page, walk="445")
    page.get_by_label("Proposition").select_option(value="leave")
    page.get_by_label("Orientation à la sortie (vers où)").fill("Club de marche nordique")
    page.get_by_label(re.compile("le patient accepte l'envoi", re.I)).check()
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_url("**/bilans/sortie/**")
    page.get_by_role("button", name="Signer le bilan").click()
    page.wait_for_selector("text=Le bilan de sortie est signé.")
    assert "+45\u00a0m au test de marche de 6 minutes" in page.locator("#comparison").inner_text()
    assert page.locator("svg.chart").count() >= 1
    assert_accessible(page)
    exit_bilan = ExitBilan.objects.get(entry=entry)
    log_out(page)

    # The physician reads what was sent, and nothing else.
    log_in(page, "medecin")
    page.goto(f"/bilans/patients/{patient.pk}/")
    timeline = page.content()
    risky = ProgressReport.objects.get(prescription=prescription, risk_flag=True)
    cleared = ProgressReport.objects.get(prescription=prescription, risk_flag=False)
    assert entry.get_absolute_url() in timeline
    assert cleared.get_absolute_url() in timeline
    assert exit_bilan.get_absolute_url() in timeline
    assert risky.get_absolute_url() not in timeline  # no agreement: not sent
    assert_accessible(page)
    page.goto(exit_bilan.get_absolute_url())
    assert "+45\u00a0m au test de marche de 6 minutes" in page.locator("#comparison").inner_text()
    response = page.goto(risky.get_absolute_url())
    assert response.status == 403
