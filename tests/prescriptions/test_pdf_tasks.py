"""The PDF is rendered in the background when a prescription is signed or renewed:
its first download is then a stored read. The task runs after the commit; a task that is late,
lost or refused costs only time (the PDF is rendered on demand), never the signature."""

import io
import logging

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse
from django_tasks.backends.dummy import DummyBackend
from django_tasks_db.models import DBTaskResult

from audit.models import ReadAudit
from prescriptions import pdf, tasks
from prescriptions.models import Prescription, RenderedPdf
from prescriptions.services import prescription_issue
from tests import factories
from tests.prescriptions.test_pdf import loaded, text_of

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The worker ends each task as it ends a request: `close_old_connections()` closes a connection
# left inside a transaction. It runs here outside the test's transaction, as in production.
WORKER_TEST = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _queued_tasks_never_run(settings):
    """What the fixtures sign queues a task that never runs (even where the test commits), unless
    the test picks another backend."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


class RefusingBackend(DummyBackend):
    """A queue that is down: every enqueue fails."""

    def enqueue(self, task, args, kwargs):
        raise ConnectionError("the queue is down")


@pytest.fixture
def draft(prescriber, patient):
    return factories.make_prescription(prescriber=prescriber, patient=patient, issue=False)


def test_signing_renders_the_pdf_after_the_commit_and_the_download_reads_it(
    draft, prescriber, settings, render_spy, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks() as callbacks:
        prescription_issue(prescription=draft, by=prescriber)
        assert not RenderedPdf.objects.exists()  # nothing is rendered inside the transaction
    assert len(callbacks) == 1
    callbacks[0]()

    stored = RenderedPdf.objects.get(prescription=draft)
    assert render_spy == [draft.pk]
    served = pdf.prescription_pdf_bytes(loaded(draft))
    assert served == bytes(stored.pdf)
    assert render_spy == [draft.pk]  # the first download rendered nothing


def test_a_renewal_renders_the_new_version_in_the_background(
    issued_prescription, physiotherapist, settings, render_spy, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    before = pdf.prescription_pdf_bytes(loaded(issued_prescription))

    with django_capture_on_commit_callbacks(execute=True):
        factories.renew(issued_prescription, physiotherapist)

    assert len(render_spy) == 2
    after = pdf.prescription_pdf_bytes(loaded(issued_prescription))
    assert len(render_spy) == 2  # served as stored by the task
    assert after != before
    assert "MOREAU Julien" in text_of(after)  # R-R6: the physiotherapist's part is filled
    assert RenderedPdf.objects.filter(prescription=issued_prescription).count() == 2


def test_a_queue_that_refuses_the_task_does_not_undo_the_signature(
    draft, prescriber, settings, render_spy, caplog, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    with (
        caplog.at_level(logging.ERROR, logger="django.db.backends.base"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        prescription_issue(prescription=draft, by=prescriber)

    draft.refresh_from_db()
    assert draft.status == Prescription.Status.ISSUED
    assert "the queue is down" in caplog.text  # logged, not raised
    assert not RenderedPdf.objects.exists()
    content = pdf.prescription_pdf_bytes(loaded(draft))  # rendered on its first download
    assert content.startswith(b"%PDF") and render_spy == [draft.pk]


def test_the_task_renders_a_version_once_and_skips_what_it_cannot_render(
    issued_prescription, draft, render_spy
):
    pk = str(issued_prescription.pk)

    assert tasks.prerender_prescription_pdf.call(pk) is True
    assert tasks.prerender_prescription_pdf.call(pk) is False  # kept already
    assert tasks.prerender_prescription_pdf.call(str(draft.pk)) is False  # a draft: never kept
    assert tasks.prerender_prescription_pdf.call("00000000-0000-0000-0000-000000000000") is False
    assert render_spy == [issued_prescription.pk]
    assert RenderedPdf.objects.get().prescription_id == issued_prescription.pk


def test_a_download_while_the_task_runs_keeps_one_copy(issued_prescription, render_spy):
    served = pdf.prescription_pdf_bytes(loaded(issued_prescription))  # the download was first

    assert tasks.prerender_prescription_pdf.call(str(issued_prescription.pk)) is False
    assert bytes(RenderedPdf.objects.get().pdf) == served
    assert len(render_spy) == 1


@WORKER_TEST
def test_in_production_the_task_waits_in_the_database_for_the_worker(
    draft, prescriber, settings, render_spy, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE
    with django_capture_on_commit_callbacks(execute=True):
        prescription_issue(prescription=draft, by=prescriber)

    queued = DBTaskResult.objects.get()
    assert queued.task_path == "prescriptions.tasks.prerender_prescription_pdf"
    assert queued.args_kwargs == {"args": [str(draft.pk)], "kwargs": {}}
    assert not RenderedPdf.objects.exists()  # the web request rendered nothing

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    assert RenderedPdf.objects.filter(prescription=draft).exists()
    assert render_spy == [draft.pk]


@WORKER_TEST
def test_after_a_change_of_the_form_every_running_prescription_is_queued_again(
    issued_prescription, draft, prescriber, physiotherapist, patient, settings, monkeypatch
):
    renewed = factories.make_prescription(prescriber=prescriber, patient=patient)
    factories.renew(renewed, physiotherapist)
    cancelled = factories.make_prescription(prescriber=prescriber, patient=patient)
    Prescription.objects.filter(pk=cancelled.pk).update(status=Prescription.Status.CANCELLED)
    expired = factories.make_prescription(prescriber=prescriber, patient=patient)
    Prescription.objects.filter(pk=expired.pk).update(status=Prescription.Status.EXPIRED)
    settings.TASKS = DATABASE
    out = io.StringIO()

    call_command("prerender_pdfs", stdout=out)

    queued = {row["args"][0] for row in DBTaskResult.objects.values_list("args_kwargs", flat=True)}
    assert queued == {str(issued_prescription.pk), str(renewed.pk)}  # running ones only
    assert "2 PDF de prescription(s) en cours mis en file de rendu." in out.getvalue()

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert set(RenderedPdf.objects.values_list("prescription_id", flat=True)) == {
        issued_prescription.pk,
        renewed.pk,
    }
    # A new version of the form: each is rendered again, and the older copy kept.
    monkeypatch.setattr(pdf, "TEMPLATE_VERSION", "test-next")
    call_command("prerender_pdfs", stdout=io.StringIO())
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert RenderedPdf.objects.filter(prescription=issued_prescription).count() == 2


def test_a_pdf_the_store_refuses_is_served_audited_and_queued_for_storing(
    client, prescriber, issued_prescription, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(RenderedPdf.objects, "create", refuse)
    client.force_login(prescriber)
    with (
        caplog.at_level(logging.ERROR, logger="prescriptions.pdf"),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        response = client.get(reverse("prescriptions:pdf", args=[issued_prescription.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert not RenderedPdf.objects.exists()
    # The download is in the read audit all the same.
    audit = ReadAudit.objects.get()
    assert (audit.action, audit.prescription_id) == ("prescription_pdf", issued_prescription.pk)
    # An error is logged (without the error's text), and the task is queued to store it later.
    assert "rendered but not stored (DatabaseError)" in caplog.text
    assert "No space left" not in caplog.text
    assert len(callbacks) == 1

    monkeypatch.undo()
    callbacks[0]()  # the queue (dummy here) takes the task
    assert tasks.prerender_prescription_pdf.call(str(issued_prescription.pk)) is True
    assert RenderedPdf.objects.filter(prescription=issued_prescription).exists()


def test_the_task_fails_when_the_store_refuses_so_that_it_is_retried(
    issued_prescription, monkeypatch
):
    def refuse(*args, **kwargs):
        raise DatabaseError("read-only")

    monkeypatch.setattr(RenderedPdf.objects, "create", refuse)
    with pytest.raises(DatabaseError):
        tasks.prerender_prescription_pdf.call(str(issued_prescription.pk))
