"""The patient search in a browser: names never reach the address bar, the history or a URL
(README, « Qui voit quoi »), as the user types (htmx) and without JavaScript, pages included."""

import re

from patients.models import Patient
from tests import factories

from .conftest import PASSWORD, assert_accessible, log_in

NAME = "Zorglubeau"
SEARCH_LABEL = "Rechercher par nom, prénom ou date de naissance"


def _two_pages_of_matches() -> None:
    structure = Patient.objects.get(birth_name="Dupont").structure
    for index in range(30):
        factories.PatientFactory(structure=structure, birth_name=NAME, first_names=f"Anne{index}")


def _record_urls(page) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    page.on("request", lambda request: seen.append((request.method, request.url)))
    return seen


def test_search_as_you_type_and_its_pages_keep_the_name_out_of_every_url(page, demo):
    _two_pages_of_matches()
    log_in(page, "medecin")
    page.goto("/patients/")
    history_length = page.evaluate("history.length")
    seen = _record_urls(page)
    page.get_by_label(SEARCH_LABEL).press_sequentially("zorglu", delay=30)
    page.locator("#patient-results-summary").get_by_text("30 patients pour « zorglu »").wait_for()
    page.get_by_role("button", name="Suivants").click()
    page.locator("#patient-results-summary").get_by_text(
        "30 patients pour « zorglu » · 5 affichés"
    ).wait_for()
    # The focus goes on from the new page's summary, not from the top of the document.
    assert page.evaluate("document.activeElement.id") == "patient-results-summary"
    assert re.fullmatch(r"https?://[^/]+/patients/", page.url)
    assert page.evaluate("history.length") == history_length  # nothing pushed
    assert ("POST", page.url) in seen
    assert not [url for _method, url in seen if "zorglu" in url.lower() or "q=" in url]
    assert_accessible(page)


def test_the_search_and_its_pages_work_without_javascript(browser, live_server, demo):
    _two_pages_of_matches()
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        # Logged in by hand: `log_in` runs axe-core, which needs JavaScript.
        page.goto("/accounts/login/")
        page.get_by_label("Identifiant").fill("medecin")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(re.compile(r".*/(?!accounts/login).*"))
        page.goto("/patients/")
        seen = _record_urls(page)
        page.get_by_label(SEARCH_LABEL).fill(NAME)
        page.get_by_role("button", name="Rechercher").click()
        page.locator("#patient-results-summary").get_by_text(
            f"30 patients pour « {NAME} »"
        ).wait_for()
        assert page.get_by_label(SEARCH_LABEL).input_value() == NAME  # kept in the field
        page.get_by_role("button", name="Suivants").click()
        page.locator("#patient-results-summary").get_by_text(
            f"30 patients pour « {NAME} » · 5 affichés"
        ).wait_for()  # still searched
        page.get_by_role("button", name="Précédents").click()
        page.locator("#patient-results-summary").get_by_text(
            f"30 patients pour « {NAME} » · 25 affichés"
        ).wait_for()
        assert re.fullmatch(r"https?://[^/]+/patients/", page.url)
        assert not [url for _method, url in seen if NAME.lower() in url.lower() or "q=" in url]
    finally:
        context.close()
