"""The five journeys of the product, as each kind of user would do them, in headless Chromium.

Every page a journey visits is checked with axe-core (no serious or critical violation).
"""

import re
from datetime import timedelta
from io import BytesIO

from django.utils import timezone
from pypdf import PdfReader

from patients.models import Patient
from prescriptions.models import Prescription, Renewal

from .conftest import assert_accessible, log_in, log_out, screenshot


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(data)).pages)


def renewable_prescription() -> Prescription:
    """A demo prescription of `medecin` that a physiotherapist may renew today (R-R3 window)."""
    today = timezone.localdate()
    return (
        Prescription.objects.filter(
            prescriber__username="medecin",
            status=Prescription.Status.ISSUED,
            physician_renewal_required=False,
            end_date__range=(today - timedelta(days=20), today + timedelta(days=25)),
        )
        .select_related("patient")
        .first()
    )


def test_a_physician_creates_a_patient_and_issues_a_prescription_with_a_severe_limitation(
    page, demo
):
    log_in(page, "medecin")
    page.get_by_role("link", name="Patients", exact=True).first.click()
    page.wait_for_url("**/patients/")
    assert_accessible(page)
    page.get_by_role("link", name="Nouveau patient").click()
    page.wait_for_url("**/patients/new/")
    assert_accessible(page)
    page.get_by_label("Nom de naissance").fill("Lebrun")
    page.get_by_label("Prénoms").fill("Aurélie")
    page.get_by_label("Date de naissance").fill("17/04/1968")
    page.get_by_label("Femme").check()
    page.get_by_label("Affection de longue durée").check()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url(re.compile(r".*/patients/[0-9a-f-]{36}/$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("LEBRUN")
    screenshot(page, "patient")
    assert_accessible(page)

    page.get_by_role("link", name="Nouvelle prescription").first.click()
    page.wait_for_url("**/prescriptions/new/?patient=*")
    assert_accessible(page)
    page.get_by_role("radio", name="4 mois").check()
    page.get_by_label("Endurance", exact=True).check()
    page.get_by_label("Équilibre", exact=True).check()
    page.get_by_label("Séances par semaine").fill("2")
    page.get_by_label("Durée d'une séance (minutes)").fill("45")
    page.get_by_role("radio", name="Modérée (Borg 12 à 13)").check()
    page.get_by_text("Pas de sport à risque de chute et/ou de collision").click()
    locomotor = page.locator(".assessment-row[data-function=locomotor]")
    locomotor.get_by_label("Sévères").check()
    page.locator(".assessment-row[data-function=cerebral]").get_by_label("Aucune").check()
    page.locator(".assessment-row[data-function=sensory]").get_by_label("Minimales").check()
    # R-L2 computed live, R-L4 shown next to it: severe -> health professionals only.
    assert page.locator("#computed-level").inner_text() == "Sévères"
    supervision = page.locator("#supervision-box .supervision[data-level='3']")
    assert supervision.is_visible()
    assert "Seuls les professionnels de santé" in supervision.inner_text()
    page.get_by_role("radio", name="NON", exact=True).check()
    page.get_by_role("checkbox", name=re.compile("accord", re.I)).check()
    screenshot(page, "prescription-form")
    assert_accessible(page)
    page.get_by_role("button", name="Émettre et signer").click()
    page.wait_for_url(re.compile(r".*/prescriptions/[0-9a-f-]{36}/$"))
    assert "Émise" in page.content()
    screenshot(page, "prescription")
    assert_accessible(page)

    prescription = Prescription.objects.get(patient__birth_name="Lebrun")
    assert prescription.status == Prescription.Status.ISSUED
    assert prescription.assessment.confirmed_level == 3
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("PDF")).first.click()
    data = download_info.value.path().read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "FORMULAIRE DE PRESCRIPTION D'ACTIVITÉ PHYSIQUE ADAPTÉE" in text
    assert "Aurélie" in text and "LEBRUN" in text
    assert prescription.reference in text
    assert "OUTIL D'AIDE À LA DÉTERMINATION DES LIMITATIONS FONCTIONNELLES" in text


def test_a_physiotherapist_adapts_a_prescription_and_the_physician_sees_what_changed(page, demo):
    prescription = renewable_prescription()
    log_in(page, "kine")
    page.get_by_role("link", name="Retrouver une prescription").first.click()
    page.wait_for_url("**/prescriptions/lookup/")
    assert_accessible(page)
    page.get_by_label("Référence de la prescription").fill(prescription.reference.lower())
    page.get_by_label("Date de naissance du patient").fill(
        prescription.patient.birth_date.strftime("%d/%m/%Y")
    )
    page.get_by_role("button", name=re.compile("Rechercher|Accéder|Retrouver")).click()
    page.wait_for_url(f"**/prescriptions/{prescription.pk}/")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Renouveler ou adapter")).click()
    page.wait_for_url(f"**/prescriptions/{prescription.pk}/renewal/")
    assert_accessible(page)
    page.get_by_role("radio", name="Adaptation", exact=True).check()
    page.get_by_role("radio", name="5 mois").check()
    page.get_by_label("Coordination", exact=True).check()
    page.get_by_label("Séances par semaine").fill("3")
    page.get_by_label("Préconisations adaptées (texte libre)").fill("Gym douce en groupe")
    page.get_by_role("checkbox", name=re.compile("accord", re.I)).check()
    page.get_by_role("checkbox", name=re.compile("ne rapportent pas de difficulté")).check()
    screenshot(page, "renewal-form")
    page.get_by_role("button", name=re.compile("Enregistrer")).click()
    page.wait_for_url(f"**/prescriptions/{prescription.pk}/")
    assert "Renouvellement/Adaptation (le cas échéant) de prescription médicale" in page.content()
    assert_accessible(page)
    renewal = Renewal.objects.get(prescription=prescription)
    assert renewal.kind == Renewal.Kind.ADAPTATION and renewal.duration_months == 5
    log_out(page)

    log_in(page, "medecin")
    page.get_by_role("link", name=re.compile("Notifications")).first.click()
    page.wait_for_url("**/notifications/")
    assert_accessible(page)
    page.locator("li", has_text=prescription.reference).get_by_role("link").first.click()
    page.wait_for_url(f"**/prescriptions/{prescription.pk}/changes/")
    content = page.content()
    assert "Gym douce en groupe" in content
    assert "Coordination" in content
    screenshot(page, "changes")
    assert_accessible(page)
    renewal.refresh_from_db()
    assert renewal.prescriber_read_at is None  # opening the page marks nothing read
    page.get_by_role("button", name="Marquer comme lu").click()
    page.wait_for_url(f"**/prescriptions/{prescription.pk}/changes/")
    assert "Marqué comme lu." in page.content()
    renewal.refresh_from_db()
    assert renewal.prescriber_read_at is not None


def test_a_second_renewal_is_refused_with_a_clear_message(page, demo):
    renewed = Renewal.objects.select_related("prescription").first()
    log_in(page, "kine")
    page.goto(f"/prescriptions/{renewed.prescription_id}/renewal/")
    assert "a déjà été" in page.content()
    assert "Julien MOREAU" in page.content()
    assert page.locator("form#renewal-form").count() == 0
    assert_accessible(page)


def test_an_anonymous_visitor_reaches_no_patient_data(page, demo):
    prescription = Prescription.objects.exclude(status="draft").select_related("patient").first()
    patient = prescription.patient
    urls = [
        "/",
        "/patients/",
        f"/patients/{patient.pk}/",
        f"/patients/{patient.pk}/edit/",
        "/prescriptions/",
        f"/prescriptions/{prescription.pk}/",
        f"/prescriptions/{prescription.pk}/pdf/",
        f"/prescriptions/{prescription.pk}/renewal/",
        "/notifications/",
        "/dashboard/",
        f"/patients/?q={patient.birth_name[:3]}",
    ]
    names = [p.birth_name.upper() for p in Patient.objects.all()]
    for url in urls:
        response = page.goto(url)
        assert "/accounts/login/" in page.url, url
        assert response.status == 200  # the login page, after the redirect
        body = page.content().upper()
        assert not [n for n in names if n in body], url
    # The PDF is not served either, even when asked directly without following redirects.
    api = page.request.get(f"/prescriptions/{prescription.pk}/pdf/", max_redirects=0)
    assert api.status == 302 and b"%PDF" not in api.body()
    assert_accessible(page)


def test_an_admin_finds_a_patient_exports_prescriptions_and_reads_who_viewed_the_file(
    page, demo, otp_enforced
):
    from security.services import confirmed_device, current_totp

    patient = Patient.objects.get(birth_name="Dupont")
    # A physician opens the file first: that read must show in « qui a consulté ce dossier ».
    log_in(page, "medecin")
    page.goto(f"/patients/{patient.pk}/")
    log_out(page)

    log_in(page, "admin")
    # The second factor, mandatory for administrators (TOTP, as the demo prints it).
    page.wait_for_url("**/otp/verify/**")
    assert_accessible(page)
    admin = patient.structure.members.get(username="admin")
    page.get_by_label("Code à 6 chiffres").fill(current_totp(confirmed_device(admin)))
    page.get_by_role("button", name=re.compile("Valider|Vérifier|Continuer")).click()
    page.wait_for_url(re.compile(r".*/(?!accounts/otp/).*$"))
    page.goto("/admin/patients/patient/")
    assert_accessible(page)
    # Two keystrokes find the patient, accents or not.
    page.locator("#searchbar").fill("du")
    page.locator("#searchbar").press("Enter")
    page.wait_for_url("**/admin/patients/patient/?q=du")
    page.get_by_role("link", name=re.compile("DUPONT")).first.click()
    page.wait_for_url(re.compile(r".*/admin/patients/patient/[0-9a-f-]{36}/change/.*"))
    screenshot(page, "admin-patient")
    page.get_by_role("link", name="Qui a consulté ce dossier").click()
    page.wait_for_url("**/admin/audit/readaudit/?patient=*")
    audit_rows = page.locator("#result_list tbody tr")
    assert audit_rows.count() >= 1
    assert "MARTIN" in page.locator("#result_list").inner_text()
    assert_accessible(page)

    page.goto("/admin/prescriptions/prescription/")
    page.locator("#changelist-filter a[href='?fin=mois']").click()  # « fin de la prescription »
    page.wait_for_url("**/?fin=mois")
    listed = page.locator("#result_list tbody tr").count()
    assert listed >= 1
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exporter (CSV)").click()
    raw = download_info.value.path().read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that lets Excel read UTF-8 accents
    lines = raw.decode("utf-8-sig").splitlines()
    assert len(lines) == listed + 1  # the header, then the filtered rows
    assert "é" in lines[0] or "é" in "".join(lines)
    screenshot(page, "admin-prescriptions")
