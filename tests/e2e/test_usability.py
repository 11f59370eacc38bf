"""Keyboard, errors, French formats and the tablet width, on the physician's main pages."""

import re

import pytest

from patients.models import Patient

from .conftest import assert_accessible, log_in, screenshot

# The prescription form's controls a physician needs, in the order Tab reaches them, with what
# the keyboard does there.
KEYBOARD_STEPS = [
    ("id_duration_months_0", "press", "ArrowRight"),  # 3 mois -> 4 mois
    ("id_activity_types_0", "press", "Space"),  # Endurance
    ("id_sessions_per_week", "type", "2"),
    ("id_session_minutes", "type", "30"),
    ("id_intensity_0", "press", "Space"),  # Légère
    ("id_locomotor_0", "press", "ArrowRight"),  # Aucune -> Minimales
    ("id_cerebral_0", "press", "Space"),  # Aucune
    ("id_sensory_0", "press", "Space"),  # Aucune
    ("id_physician_renewal_required_0", "press", "Space"),  # NON
    ("id_patient_agreement", "press", "Space"),
]


def test_the_prescription_form_can_be_completed_with_the_keyboard_alone(page, demo):
    patient = Patient.objects.get(birth_name="Dupont")
    log_in(page, "medecin")
    page.goto(f"/prescriptions/new/?patient={patient.pk}")
    page.locator("body").focus()
    steps = {element: (action, key) for element, action, key in KEYBOARD_STEPS}
    done = []
    for _ in range(200):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id || document.activeElement.textContent")
        if focused in steps and focused not in done:
            action, key = steps[focused]
            getattr(page.keyboard, action)(key)
            done.append(focused)
        if focused.strip() == "Émettre et signer":
            break
    assert done == [element for element, _action, _key in KEYBOARD_STEPS], done
    # Focus is visible on the submit button, then Enter issues the prescription.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/prescriptions/[0-9a-f-]{36}/$"))
    assert "Émise" in page.content()


def test_errors_are_announced_and_linked_to_their_field(page, demo):
    patient = Patient.objects.get(birth_name="Dupont")
    log_in(page, "medecin")
    page.goto(f"/prescriptions/new/?patient={patient.pk}")
    # Everything right but the reason of a OUI (R-P3).
    page.get_by_role("radio", name="3 mois").check()
    page.get_by_label("Endurance", exact=True).check()
    for function in ("locomotor", "cerebral", "sensory"):
        page.locator(f"#id_{function}_0").check()
    page.get_by_role("checkbox", name=re.compile("accord", re.I)).check()
    page.get_by_role("radio", name="OUI", exact=True).check()
    page.get_by_role("button", name="Émettre et signer").click()
    page.wait_for_selector(".invalid-feedback")
    reason = page.locator("#id_physician_renewal_reason")
    described_by = reason.get_attribute("aria-describedby") or ""
    error_id = next(i for i in described_by.split() if i.endswith("_error"))
    error = page.locator(f"#{error_id}")
    assert "précisez l'indication" in error.inner_text().lower()
    assert reason.get_attribute("aria-invalid") == "true"
    # The summary at the top receives the focus (read first) and links to the field.
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator('#error-summary a[href="#id_physician_renewal_reason"]').count() == 1
    assert page.title().startswith("Erreur : ")
    assert_accessible(page)


@pytest.mark.parametrize("width", [768, 1280])
def test_the_main_pages_fit_a_tablet_and_a_desktop_and_speak_french(page, demo, width):
    page.set_viewport_size({"width": width, "height": 1000})
    patient = Patient.objects.get(birth_name="Dupont")
    prescription = patient.prescriptions.exclude(status="draft").first()
    log_in(page, "medecin")
    for name, url in [
        ("patients", "/patients/"),
        ("patient-detail", f"/patients/{patient.pk}/"),
        ("prescription-new", f"/prescriptions/new/?patient={patient.pk}"),
        ("prescription-detail", f"/prescriptions/{prescription.pk}/"),
        ("dashboard", "/dashboard/"),
    ]:
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == "fr"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} overflows by {overflow}px at {width}px"
        assert_accessible(page)
        if width == 768:
            screenshot(page, f"tablet-{name}")
    # Dates as jj/mm/aaaa, never ISO nor American.
    page.goto(f"/prescriptions/{prescription.pk}/")
    body = page.locator("main").inner_text()
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", body)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", body)
