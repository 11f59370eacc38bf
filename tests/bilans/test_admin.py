"""The admin of the bilans and comptes rendus (bilans.admin), as tests/test_admin.py does for
the prescriptions: read-only (written and signed through the services only), never deleted, its
history read-only, scoped to the structure for a structure admin who never sees a draft, every
page that shows a document audited, and lists whose queries do not grow with their rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import ReadAudit
from bilans.models import EntryBilan, ExitBilan, IssuedDocument, ProgressReport
from bilans.services import exit_bilan_save
from dispensing.services import patient_orient
from tests import factories
from tests.dashboard.helpers import make_structure_admin, make_superuser

pytestmark = pytest.mark.django_db

MODELS = ["entrybilan", "progressreport", "exitbilan"]


@pytest.fixture
def superuser(structure):
    return make_superuser(structure)


@pytest.fixture
def admin_of_structure(structure):
    return make_structure_admin(structure, "admin-lyon")


@pytest.fixture
def admin_of_other_structure(other_structure):
    return make_structure_admin(other_structure, "admin-valence")


@pytest.fixture
def documents(prescriber, patient, apa_teacher, issued_prescription):
    """A signed entry bilan, a compte rendu and a draft exit bilan of the structure's patient."""
    patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    entry = factories.make_entry_bilan(patient, apa_teacher)
    report = factories.make_report(patient, apa_teacher)
    draft = exit_bilan_save(entry=entry, author=apa_teacher, values=factories.bilan_values())
    return {"entrybilan": entry, "progressreport": report, "exitbilan": draft}


def _url(model: str, view: str, *args) -> str:
    return reverse(f"admin:bilans_{model}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS)
def test_a_document_is_read_only_and_never_deleted_in_the_admin(
    client, superuser, documents, model
):
    document = documents[model]
    client.force_login(superuser)
    url = _url(model, "change", document.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert b'name="_save"' not in response.content
    assert client.post(url, {"goals": "Changé", "progress": "Changé"}).status_code == 403
    assert client.get(_url(model, "add")).status_code == 403
    assert client.post(_url(model, "delete", document.pk), {"post": "yes"}).status_code == 403
    changelist = client.get(_url(model, "changelist"))
    action_form = changelist.context["action_form"]
    actions = [n for n, _ in action_form.fields["action"].choices] if action_form else []
    assert "delete_selected" not in actions
    # History is kept and shown, a past version never restored.
    assert client.get(_url(model, "history", document.pk)).status_code == 200
    version = document.history.first()
    restore = client.post(_url(model, "simple_history", document.pk, version.history_id), {})
    assert restore.status_code == 403
    type(document).objects.get(pk=document.pk)  # still there


def test_a_signed_document_keeps_its_content(client, superuser, documents):
    entry = documents["entrybilan"]
    client.force_login(superuser)
    client.post(_url("entrybilan", "change", entry.pk), {"goals": "Autre", "stage": "action"})
    entry.refresh_from_db()
    assert entry.goals != "Autre" and entry.stage != "action"


def test_a_structure_admin_sees_the_signed_documents_of_their_structure_only(
    client, admin_of_structure, admin_of_other_structure, documents
):
    client.force_login(admin_of_structure)
    for model in MODELS:
        assert client.get(_url(model, "changelist")).status_code == 200
    assert client.get(_url("entrybilan", "change", documents["entrybilan"].pk)).status_code == 200
    listed = client.get(_url("exitbilan", "changelist")).context["cl"].result_count
    assert listed == 0  # the draft exit bilan is its author's only
    draft_page = client.get(_url("exitbilan", "change", documents["exitbilan"].pk))
    assert draft_page.status_code == 302
    client.force_login(admin_of_other_structure)
    for model in MODELS:
        assert client.get(_url(model, "changelist")).context["cl"].result_count == 0
        assert client.get(_url(model, "change", documents[model].pk)).status_code == 302
        assert client.get(_url(model, "history", documents[model].pk)).status_code == 404


def test_the_structure_admin_group_only_views_the_bilans(db):
    from django.contrib.auth.models import Group  # noqa: PLC0415

    from dashboard.permissions import STRUCTURE_ADMIN_GROUP, structure_admin_group  # noqa: PLC0415

    structure_admin_group()
    codenames = set(
        Group.objects.get(name=STRUCTURE_ADMIN_GROUP).permissions.values_list("codename", flat=True)
    )
    assert {"view_entrybilan", "view_exitbilan", "view_progressreport"} <= codenames
    assert not {c for c in codenames if c.endswith(("bilan", "progressreport"))} - {
        "view_entrybilan",
        "view_exitbilan",
        "view_progressreport",
    }
    assert "view_issueddocument" not in codenames


def test_every_page_that_shows_a_document_is_audited(client, superuser, documents, patient):
    client.force_login(superuser)
    before = ReadAudit.objects.count()
    client.get(_url("entrybilan", "change", documents["entrybilan"].pk))
    entry = ReadAudit.objects.order_by("-pk").first()
    assert ReadAudit.objects.count() == before + 1
    assert entry.patient_id == patient.pk and entry.user_id == superuser.pk
    client.get(_url("progressreport", "changelist"))
    listed = ReadAudit.objects.order_by("-pk").first()
    assert listed.action == ReadAudit.Action.PATIENT_LIST


def test_every_admin_of_a_document_records_its_reads():
    from django.contrib import admin as django_admin  # noqa: PLC0415

    from kernel.admin import AuditedReadAdmin, HistoryAdmin  # noqa: PLC0415

    for model in (EntryBilan, ExitBilan, ProgressReport):
        model_admin = django_admin.site._registry[model]
        assert isinstance(model_admin, AuditedReadAdmin) and isinstance(model_admin, HistoryAdmin)
        assert type(model_admin).record_read is not AuditedReadAdmin.record_read


def test_the_issued_documents_are_a_trace_without_their_bytes(client, superuser, documents):
    client.force_login(superuser)
    issued = IssuedDocument.objects.get(entry=documents["entrybilan"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:bilans_issueddocument_changelist"))
    assert response.status_code == 200 and issued.reference in response.content.decode()
    assert not any('"pdf"' in q["sql"] for q in queries.captured_queries)
    url = reverse("admin:bilans_issueddocument_change", args=[issued.pk])
    assert client.get(url).context["has_change_permission"] is False
    assert client.post(url, {"reference": "APA-2026-0000-0000"}).status_code == 403
    deleted = client.post(
        reverse("admin:bilans_issueddocument_delete", args=[issued.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 403


@pytest.mark.parametrize("model", MODELS)
def test_each_list_runs_the_same_number_of_queries_for_2_and_6_rows(
    client, superuser, structure, prescriber, apa_teacher, model
):
    def add_rows(n: int) -> None:
        for _ in range(n):
            patient = factories.PatientFactory(structure=structure, physician_in_charge=prescriber)
            factories.make_prescription(prescriber=prescriber, patient=patient)
            patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
            entry = factories.make_entry_bilan(patient, apa_teacher)
            factories.make_report(patient, apa_teacher)
            exit_bilan_save(entry=entry, author=apa_teacher, values=factories.bilan_values())

    client.force_login(superuser)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(model, "changelist"))
        return len(queries.captured_queries), response.context["cl"].result_count

    add_rows(2)
    few, rows = count()
    add_rows(4)
    many, more_rows = count()
    assert (rows, more_rows) == (2, 6)
    assert many == few
