"""« Mot de passe oublié » and « Changer de mot de passe », as a physician would use them."""

import re

import pytest
from django.core import mail

from .conftest import PASSWORD, assert_accessible, log_in

NEW_PASSWORD = "une nouvelle phrase de passe 2026"

# The reset e-mail leaves from a background task: run at once, so that the outbox holds it.
pytestmark = pytest.mark.usefixtures("immediate_tasks")


def test_a_physician_resets_a_forgotten_password_by_e_mail(page, demo):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    assert_accessible(page)
    page.get_by_label("Adresse électronique").fill("medecin@demo.apa-portal.local")
    page.get_by_role("button", name="Recevoir un lien").click()
    page.wait_for_url("**/accounts/password/reset/sent/")
    assert_accessible(page)
    (message,) = [m for m in mail.outbox if "mot de passe" in m.subject]
    path = re.search(r"(/accounts/password/reset/\S+/)", message.body).group(1)
    page.goto(path)
    assert_accessible(page)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.wait_for_url("**/accounts/password/reset/complete/")
    assert_accessible(page)
    page.get_by_role("link", name="Se connecter").click()
    page.get_by_label("Identifiant").fill("medecin")
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/(?!accounts/login).*"))


def test_a_physician_changes_her_password_from_the_account_page(page, demo):
    log_in(page, "medecin")
    page.goto("/accounts/security/")
    page.get_by_role("link", name="Changer de mot de passe").click()
    assert_accessible(page)
    page.locator("#id_old_password").fill(PASSWORD)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Changer le mot de passe").click()
    page.wait_for_url("**/accounts/security/")
    assert page.get_by_text("Votre mot de passe a été modifié.").is_visible()
