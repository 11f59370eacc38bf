"""Browser test of the public verification page: an insurer scans the QR code of a printed form,
then types a wrong code; no login, no name, accessible."""

from patients.models import Patient
from prescriptions import pdf
from prescriptions.models import Prescription

from .conftest import assert_accessible


def test_anyone_checks_a_printed_form_without_logging_in_and_sees_no_name(page, demo, settings):
    prescription = Prescription.objects.filter(status="issued").first()
    names = [p.birth_name.upper() for p in Patient.objects.all()]
    url = pdf.verification_url(prescription)
    path = url[url.index("/verifier/") :]

    page.goto(path)  # what the QR code opens

    assert "/accounts/login/" not in page.url
    answer = page.get_by_role(
        "region", name=f"Formulaire authentique : prescription {prescription.reference}"
    )
    assert answer.is_visible()
    assert "Valide" in answer.inner_text()
    assert not [n for n in names if n in page.content().upper()]
    assert_accessible(page)

    page.get_by_label("Code de vérification").fill("ZZZZZ2")
    page.get_by_role("button", name="Vérifier").click()
    alert = page.get_by_role("alert")
    assert "Aucun formulaire ne correspond" in alert.inner_text()
    assert "authentique" not in page.content()
    assert_accessible(page)
