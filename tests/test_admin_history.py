"""The admin's history is read-only: a past version is shown, never restored.

django-simple-history saves the form posted on a version's page (`history_form_view`) even with
`SIMPLE_HISTORY_REVERT_DISABLED = True`: an issued prescription would be edited in place
(R-P4, CSP D.1172-2) and a patient's record overwritten outside the services. Every history
admin refuses the POST (kernel.admin), a superuser's too; nothing changes, no history
row is added.
"""

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from patients.services import care_team_grant
from prescriptions.models import Prescription
from tests import factories
from tests.dashboard.helpers import make_superuser

pytestmark = pytest.mark.django_db


class _FormData(HTMLParser):
    """What a browser would post from the page's change form (the « Rétablir » of a version)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._add(name, a.get("value", "on" if a.get("type") == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")

    def handle_data(self, data) -> None:
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _revert_data(client: Client, url: str) -> dict[str, list[str]]:
    page = client.get(url)
    assert page.status_code == 200  # the version is still shown
    parser = _FormData()
    parser.feed(page.content.decode())
    assert parser.data, "the version's page shows its form"
    parser.data["_save"] = ["Enregistrer"]
    return parser.data


def _version_url(obj, history_id) -> str:
    opts = obj._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, history_id]
    )


def _snapshot(obj) -> tuple:
    fresh = type(obj).objects.get(pk=obj.pk)
    history = list(fresh.history.order_by("history_id").values_list("history_id", "history_type"))
    return model_to_dict(fresh), history


@pytest.fixture
def superuser_client(client, structure):
    client.force_login(make_superuser(structure))
    return client


def test_reverting_an_issued_prescription_to_its_draft_is_refused(
    superuser_client, issued_prescription
):
    draft_version = issued_prescription.history.earliest("history_date")
    assert draft_version.status == Prescription.Status.DRAFT
    url = _version_url(issued_prescription, draft_version.history_id)
    data = _revert_data(superuser_client, url)
    before = _snapshot(issued_prescription)
    response = superuser_client.post(url, data)
    assert response.status_code == 403
    assert _snapshot(issued_prescription) == before
    assert Prescription.objects.get(pk=issued_prescription.pk).status == "issued"


def test_reverting_a_patient_to_an_old_version_is_refused(superuser_client, patient):
    first = patient.history.earliest("history_date")
    patient.city = "Villeurbanne"
    patient.save()
    assert first.city != "Villeurbanne"
    url = _version_url(patient, first.history_id)
    data = _revert_data(superuser_client, url)
    before = _snapshot(patient)
    response = superuser_client.post(url, data)
    assert response.status_code == 403
    assert _snapshot(patient) == before
    assert type(patient).objects.get(pk=patient.pk).city == "Villeurbanne"


def test_every_history_admin_of_the_project_refuses_a_post(
    superuser_client, renewal, patient, apa_teacher
):
    """Walks the admin site: a history admin added later is covered, or this test says so."""
    from bilans.services import exit_bilan_save  # noqa: PLC0415
    from dispensing.services import patient_orient  # noqa: PLC0415

    factories.make_prescription(prescriber=renewal.prescription.prescriber, patient=patient)
    care_team_grant(patient=patient, user=renewal.physiotherapist, reason="orientation")
    factories.look_up(renewal.prescription, renewal.physiotherapist)
    factories.make_pathway(  # the post-cancer pathway's records (pathway.admin)
        patient,
        prescriber=patient.physician_in_charge,
        structure=patient.structure,
        professional=factories.ApaTeacherFactory(structure=patient.structure),
        by=factories.UserFactory(structure=patient.structure),
    )
    # The bilans (bilans.admin): an entry bilan, a compte rendu, an exit bilan.
    patient_orient(patient=patient, professional=apa_teacher, by=renewal.prescription.prescriber)
    entry = factories.make_entry_bilan(patient, apa_teacher)
    factories.make_report(patient, apa_teacher)
    exit_bilan_save(entry=entry, author=apa_teacher, values=factories.bilan_values())
    _a_group_programme(patient, renewal.prescription.prescriber)
    checked = []
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, SimpleHistoryAdmin):
            continue
        obj = model.objects.order_by("pk").first()
        assert obj is not None, f"no {model.__name__} to check its history page"
        if not obj.history.exists():  # seeded by a migration: no history row yet
            obj.save()
        version = obj.history.earliest("history_date")
        before = _snapshot(obj)
        response = superuser_client.post(_version_url(obj, version.history_id), {"_save": "1"})
        assert response.status_code == 403, model.__name__
        assert _snapshot(obj) == before, model.__name__
        checked.append(model.__name__)
    assert {"Patient", "Prescription", "SupervisionRule", "User", "Renewal"} <= set(checked)
    assert {"Tariff", "Convention", "CancerEpisode", "PathwayPrescription", "Booking"} <= set(
        checked
    )
    assert {"EntryBilan", "ProgressReport", "ExitBilan"} <= set(checked)


def _a_group_programme(patient, prescriber) -> None:
    """An offer with a referral, an enrolment, its sessions, follow-ups and an attendance."""
    from programmes.services import attendance_record, enrolment_create, referral_send

    teacher = factories.ApaTeacherFactory(username="eapa-historique")
    offer = factories.make_offer(structure=teacher.structure, supervisors=[teacher])
    prescription = factories.make_prescription(prescriber=prescriber, patient=patient)
    referral = referral_send(prescription=prescription, offer=offer, by=prescriber)
    enrolment = enrolment_create(referral=referral, goals="Objectif", by=teacher)
    attendance_record(session=offer.sessions.first(), enrolment=enrolment, present=True, by=teacher)
