"""A group programme in a browser (R-O1, R-G1..R-G4): the physician sees only the offers that
accept the patient's moderate limitation, nearest first, with their seats, and orients; the
coordinator enrols: the programme is full, the patient is the ninth and goes to the waiting
list; the enseignant takes the roll call on a 768 px tablet, three absences in a row raise the
alert; the 3-month follow-up appears as due on the enseignant's home and is recorded as a
compte rendu once the entry bilan is signed.

The prescription is made through the services (the prescription form has its own browser
tests): the journey starts from a patient with a running prescription, limitation « modérée ».
"""

import re

import pytest

from notifications.models import Notification
from programmes.models import Enrolment
from programmes.services import enrolment_create
from tests import factories
from tests.programmes.conftest import make_referred

from .conftest import assert_accessible

PASSWORD = "motdepasse-de-test-42"  # tests/factories.py


def _log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/(?!accounts/login).*"))


def _log_out(page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/accounts/login/")


@pytest.fixture
def programme_world(transactional_db):
    mss = factories.StructureFactory(name="Maison Sport-Santé du Rhône")
    hospital = factories.StructureFactory(name="Centre hospitalier Lyon Sud")
    physician = factories.PhysicianFactory(username="medecin-prog", structure=hospital)
    coordinator = factories.UserFactory(username="coordination", structure=mss)
    teacher = factories.ApaTeacherFactory(username="eapa-prog", structure=mss)
    physio = factories.PhysiotherapistFactory(username="kine-prog", structure=mss)
    near = factories.make_offer(
        structure=mss, supervisors=[teacher], coordinator=coordinator,
        postal_code="69007", title="Sport et cancer Lyon 7e",
    )  # fmt: skip
    far = factories.make_offer(
        structure=mss, supervisors=[teacher], postal_code="13001", title="Sport et cancer Marseille"
    )
    factories.make_offer(
        structure=mss, supervisors=[teacher], levels=(0, 1), title="Marche bien-être"
    )
    factories.make_offer(
        structure=mss, supervisors=[physio], levels=(3,), title="Réadaptation sévère"
    )
    # The programme already has its 8 patients.
    enrolled = [
        enrolment_create(
            referral=make_referred(offer=near, prescriber=physician, structure=hospital),
            goals="Marcher 30 minutes",
            by=coordinator,
        )
        for _ in range(8)
    ]
    patient = factories.PatientFactory(
        structure=hospital, physician_in_charge=physician, birth_name="Lambert",
        postal_code="69003",
    )  # fmt: skip
    factories.make_prescription(prescriber=physician, patient=patient)  # moderate
    return {"near": near, "far": far, "patient": patient, "enrolled": enrolled}


def test_the_group_programme_journey(page, programme_world, time_machine):
    near, far, patient = (programme_world[k] for k in ("near", "far", "patient"))
    dropping = programme_world["enrolled"][0]

    # The physician: only the offers accepting « modérée », nearest first, with their seats.
    _log_in(page, "medecin-prog")
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Orienter vers un programme").click()
    page.wait_for_url(f"**/programmes/patient/{patient.pk}/offres/")
    assert_accessible(page)
    rows = page.locator("#offers tbody tr")
    assert rows.count() == 2
    assert near.title in rows.nth(0).inner_text() and "complet" in rows.nth(0).inner_text()
    assert far.title in rows.nth(1).inner_text() and "8 places" in rows.nth(1).inner_text()
    assert "Marche bien-être" not in page.content() and "sévère" not in rows.all_inner_texts()
    page.get_by_role("button", name=f"Orienter vers {near.title}").click()
    page.wait_for_url(f"**/patients/{patient.pk}/")
    assert "envoyée" in page.locator("#programmes-du-patient").locator("..").inner_text()
    _log_out(page)

    # The coordinator enrols: the ninth patient goes to the waiting list.
    _log_in(page, "coordination")
    page.goto(f"/programmes/offres/{near.pk}/")
    assert_accessible(page)
    page.get_by_label("Objectifs fixés lors de la consultation individuelle initiale").fill(
        "Reprendre la marche, 30 minutes"
    )
    page.get_by_role("button", name=re.compile("^Inscrire")).click()
    page.wait_for_selector("text=le patient est inscrit en liste d'attente")
    assert "LAMBERT" in page.locator("#waiting").inner_text().upper()
    assert Enrolment.objects.get(patient=patient).status == Enrolment.Status.WAITING
    _log_out(page)

    # The enseignant takes the roll call on a tablet: three absences in a row.
    page.set_viewport_size({"width": 768, "height": 1024})
    _log_in(page, "eapa-prog")
    name = dropping.patient.full_name
    for session in near.sessions.order_by("starts_at")[:3]:
        page.goto(f"/programmes/seances/{session.pk}/appel/")
        button = page.get_by_role("button", name=f"Absent : {name}")
        box = button.bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44  # a large target
        button.click()
        page.wait_for_url(f"**/seances/{session.pk}/appel/")
        assert (
            page.get_by_role("button", name=f"Absent : {name}").get_attribute("aria-pressed")
            == "true"
        )
    assert_accessible(page)
    assert Notification.objects.filter(kind=Notification.Kind.PROGRAMME_DROPOUT).count() == 2
    page.set_viewport_size({"width": 1280, "height": 900})  # the menu is folded at 768 px
    _log_out(page)

    # Three months later, the follow-up is due on the enseignant's home.
    due = dropping.follow_ups.order_by("due_on").first().due_on
    time_machine.move_to(due)
    _log_in(page, "eapa-prog")
    page.goto("/")
    due_list = page.locator("#follow-ups-due")
    assert name.upper() in due_list.inner_text().upper()
    assert due.strftime("%d/%m/%Y") in due_list.inner_text()

    # The follow-up is a compte rendu (R-B2): refused before the signed entry bilan, the page
    # says so and links to it; once the entry bilan is signed, recorded and linked.
    item = dropping.follow_ups.order_by("due_on").first()
    page.goto(f"/programmes/suivis/{item.pk}/")
    warning = page.locator("#entry-missing")
    assert "signez d'abord le bilan d'entrée" in warning.inner_text()
    assert warning.get_by_role("link", name="Rédiger le bilan d'entrée").is_visible()
    assert_accessible(page)
    factories.make_entry_bilan(dropping.patient, dropping.offer.supervisors.get())
    page.reload()
    assert page.locator("#entry-missing").count() == 0
    page.get_by_label("Effets physiques et psychologiques constatés").fill("Moins essoufflé")
    page.get_by_label("Objectifs ajustés").fill("45 minutes de marche")
    page.get_by_label("Tolérance").select_option("good")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("text=son compte rendu est signé")
    item.refresh_from_db()
    assert item.report is not None
    page.goto(f"/programmes/suivis/{item.pk}/")
    page.get_by_role("link", name="Voir le compte rendu").click()
    page.wait_for_url(f"**/bilans/compte-rendu/{item.report_id}/")
    assert "45 minutes de marche" in page.content()
