"""The forms as a hurried clinician meets them: one pass of errors, dates with sense, the
situation chosen in the prescription form, the look-up from the physiotherapist's home, and
every main page at 320, 390, 768 and 1280 px (no horizontal overflow, axe-core clean)."""

import re

import pytest

from patients.models import Patient
from practitioners.models import User
from prescriptions.models import Prescription
from tests import factories

from .conftest import assert_accessible, log_in
from .test_journeys import renewable_prescription


def _patient_without_situation() -> Patient:
    medecin = User.objects.get(username="medecin")
    return factories.PatientFactory(
        structure=medecin.structure, birth_name="Sanssituation", situations=[]
    )


def _fill_everything_but_the_situation(page) -> None:
    page.get_by_role("radio", name="3 mois").check()
    page.get_by_label("Endurance", exact=True).check()
    for function in ("locomotor", "cerebral", "sensory"):
        page.locator(f"#id_{function}_0").check()
    page.get_by_role("checkbox", name=re.compile("accord", re.I)).check()


def test_a_blank_issue_lists_every_error_once_linked_and_focused(page, demo):
    patient = _patient_without_situation()
    log_in(page, "medecin")
    page.goto(f"/prescriptions/new/?patient={patient.pk}")
    page.locator("#id_start_date").fill("")
    page.get_by_role("button", name="Émettre et signer").click()
    page.wait_for_selector("#error-summary")
    assert page.title().startswith("Erreur : ")
    # The summary has the focus: a screen reader reads it first, the keyboard starts there.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    links = page.locator("#error-summary a")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    # Everything an issue needs, in one pass, each once.
    for anchor in (
        "#id_situations_0",
        "#id_duration_months_0",
        "#id_start_date",
        "#id_activity_types_0",
        "#id_locomotor_0",
        "#id_patient_agreement",
    ):
        assert targets.count(anchor) == 1, (anchor, targets)
    assert len(targets) == len(set(targets))
    # A link moves the focus to its field.
    page.locator('#error-summary a[href="#id_patient_agreement"]').click()
    assert page.evaluate("document.activeElement.id") == "id_patient_agreement"
    assert_accessible(page)


def test_a_physician_issues_for_a_patient_without_a_situation_without_leaving_the_form(page, demo):
    patient = _patient_without_situation()
    log_in(page, "medecin")
    page.goto(f"/prescriptions/new/?patient={patient.pk}")
    _fill_everything_but_the_situation(page)
    page.get_by_label("Sédentarité").check()
    page.get_by_role("button", name="Émettre et signer").click()
    page.wait_for_url(re.compile(r".*/prescriptions/[0-9a-f-]{36}/$"))
    prescription = Prescription.objects.get(patient=patient)
    assert prescription.status == Prescription.Status.ISSUED
    assert [s.label for s in patient.situations.all()] == ["Sédentarité"]


@pytest.mark.parametrize(
    ("typed", "said"),
    [("31/12/9999", "ne peut pas dépasser"), ("01/01/1900", "ne peut pas précéder")],
)
def test_an_absurd_start_date_is_refused_in_french(page, demo, typed, said):
    patient = Patient.objects.get(birth_name="Dupont")
    log_in(page, "medecin")
    page.goto(f"/prescriptions/new/?patient={patient.pk}")
    _fill_everything_but_the_situation(page)
    page.locator("#id_start_date").fill(typed)
    page.get_by_role("button", name="Émettre et signer").click()
    page.wait_for_selector("#error-summary")
    error = page.locator("#id_start_date_error").inner_text()
    assert "La date de début " + said in error
    assert not Prescription.objects.filter(patient=patient, start_date__year__in=(1900, 9999))


def test_the_physiotherapist_looks_a_prescription_up_from_the_home_page(page, demo):
    prescription = renewable_prescription()
    log_in(page, "kine")
    page.goto("/")
    home = page.locator("main")
    home.get_by_label("Référence de la prescription").fill(prescription.reference)
    home.get_by_label("Date de naissance du patient").fill(
        prescription.patient.birth_date.strftime("%d/%m/%Y")
    )
    assert_accessible(page)
    home.get_by_role("button", name="Retrouver la prescription").click()
    page.wait_for_url(f"**/prescriptions/{prescription.pk}/")


def _pages_of(username: str) -> list[str]:
    patient = Patient.objects.get(birth_name="Dupont")
    issued = patient.prescriptions.exclude(status="draft").first()
    if username == "medecin":
        return [
            "/",
            "/patients/",
            f"/patients/{patient.pk}/",
            f"/patients/{patient.pk}/edit/",
            f"/prescriptions/new/?patient={patient.pk}",
            f"/prescriptions/{issued.pk}/",
            "/prescriptions/",
            "/dashboard/",
            "/notifications/",
        ]
    if username == "kine":
        return ["/", "/prescriptions/lookup/"]
    return ["/", "/patients/supervised/"]


@pytest.mark.parametrize("width", [320, 390, 768, 1280])
def test_every_main_page_reflows_without_overflow_and_passes_axe(page, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    problems = []
    for username in ("medecin", "kine", "enseignant"):
        page.context.clear_cookies()
        log_in(page, username)
        for url in _pages_of(username):
            page.goto(url)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                problems.append(f"{username} {url}: {overflow}px too wide at {width}px")
            try:
                assert_accessible(page)
            except AssertionError as exc:
                problems.append(f"{username} {url} at {width}px: {exc}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [320, 390, 768, 1280])
def test_the_admin_reflows_and_passes_axe(page, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "admin")  # the second factor is not enforced here (see otp_enforced)
    problems = []
    for url in ("/admin/", "/admin/patients/patient/", "/admin/prescriptions/prescription/"):
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            problems.append(f"{url}: {overflow}px too wide at {width}px")
        try:
            assert_accessible(page)
        except AssertionError as exc:
            problems.append(f"{url} at {width}px: {exc}")
    assert not problems, "\n".join(problems)
