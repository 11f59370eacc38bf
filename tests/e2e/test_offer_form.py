"""A structure's staff publishes a group programme in a browser, and changes it (R-G2, R-G3,
R-O1 with the supervision table R-L4/R-L5, R-G5): the refusals are on their fields and listed
at the top with links, then the programme is published, then its places are changed."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from programmes.models import Offer
from tests import factories

from .conftest import assert_accessible

PASSWORD = "motdepasse-de-test-42"  # tests/factories.py


@pytest.fixture
def structure_world(transactional_db):
    mss = factories.StructureFactory(name="Maison Sport-Santé de Villeurbanne")
    factories.UserFactory(username="accueil-villeurbanne", structure=mss, last_name="Accueil")
    factories.ApaTeacherFactory(username="eapa-villeurbanne", structure=mss, last_name="Martin")
    elsewhere = factories.StructureFactory(name="Club d'ailleurs")
    factories.ApaTeacherFactory(username="eapa-ailleurs", structure=elsewhere, last_name="Zorglub")
    return mss


def _log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/(?!accounts/login).*"))


def test_the_staff_publishes_a_programme_then_changes_its_places(page, structure_world):
    start = timezone.localdate() + timedelta(days=14)
    end = start + timedelta(days=6 * 30)
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, "accueil-villeurbanne")
    page.goto("/programmes/")
    page.get_by_role("link", name="Publier un programme").click()
    page.wait_for_url("**/programmes/offres/nouvelle/")
    assert_accessible(page)
    # Only the structure's own professionals are offered as supervisors.
    supervisors = page.get_by_role("group", name=re.compile("Intervenants"))
    assert supervisors.get_by_label(re.compile("MARTIN|Martin")).count() == 1
    assert page.get_by_label(re.compile("zorglub", re.IGNORECASE)).count() == 0

    page.get_by_label("Intitulé").fill("Sport santé Villeurbanne")
    activity = page.get_by_role("textbox", name=re.compile(r"^Activité"))
    activity.fill("Renforcement musculaire et marche")
    page.get_by_label("Sévère").check()  # an enseignant APA alone may not supervise it
    page.get_by_label("Modérée").check()
    supervisors.get_by_label(re.compile("MARTIN|Martin")).check()
    page.get_by_label("Lieu des séances").fill("Gymnase Jean-Moulin")
    page.get_by_label("Code postal").fill("69100")
    page.get_by_label("Début du programme").fill(start.strftime("%d/%m/%Y"))
    page.get_by_label("Fin du programme").fill(end.strftime("%d/%m/%Y"))
    days = page.get_by_label("Jour")
    hours = page.get_by_label("Heure de début")
    days.nth(0).select_option(label="lundi")
    hours.nth(0).fill("18:00")
    days.nth(1).select_option(label="jeudi")
    hours.nth(1).fill("18:00")
    page.get_by_role("button", name="Publier le programme").click()

    # Refused on the levels, listed at the top with a link to the field; nothing published.
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    link = page.locator('#error-summary a[href="#id_levels_0"]')
    assert "sévère" in link.inner_text().lower()
    assert not Offer.objects.exists()
    assert_accessible(page)
    page.get_by_label("Sévère").uncheck()
    page.get_by_role("button", name="Publier le programme").click()
    page.wait_for_url(re.compile(r".*/programmes/offres/[0-9a-f-]{36}/$"))
    offer = Offer.objects.get()
    assert offer.accepted_levels == [2] and offer.capacity == 8
    assert sorted(offer.slots.values_list("weekday", flat=True)) == [0, 3]
    assert offer.sessions.filter(cancelled_at__isnull=True).exists()
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Modifier")).click()
    page.wait_for_url("**/modifier/")
    assert page.get_by_label("Intitulé").input_value() == "Sport santé Villeurbanne"
    page.get_by_label("Places par séance").fill("6")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.wait_for_url(re.compile(r".*/programmes/offres/[0-9a-f-]{36}/$"))
    offer.refresh_from_db()
    assert offer.capacity == 6
