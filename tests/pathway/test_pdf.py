"""The pathway prescription's PDF is stored once and served from there (pathway.pdf): every
copy of the signed document is the same file, rendered once, off the request."""

import hashlib
import io
import logging

import pytest
from django.db import DatabaseError
from django.urls import reverse

from pathway import pdf, services
from pathway.models import PathwayPdf
from pathway.rules import Kind
from tests.spies import record_calls

from .conftest import PRESCRIBED_ON

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch):
    """The renderings, in order (the real one runs)."""
    return record_calls(monkeypatch, pdf, "render_pathway_pdf")


def _download(client, pathway) -> bytes:
    response = client.get(reverse("pathway:pdf", args=[pathway.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_first_download_stores_the_pdf_and_the_next_serve_the_same_bytes(
    client, oncologist, pathway, patient, renders
):
    client.force_login(oncologist)
    first = _download(client, pathway)
    stored = PathwayPdf.objects.get(pathway=pathway)
    assert bytes(stored.pdf) == first
    assert stored.sha256 == hashlib.sha256(first).hexdigest() and stored.size == len(first)
    patient.used_name = "AUTRE-NOM"  # a later change of the record
    patient.save()
    assert _download(client, pathway) == first  # the document as it was handed out
    assert renders == [pathway.pk]  # rendered once


def test_a_stored_copy_that_fails_its_check_is_not_served_and_is_kept(
    client, oncologist, pathway, renders, caplog
):
    client.force_login(oncologist)
    _download(client, pathway)
    PathwayPdf.objects.filter(pathway=pathway).update(sha256="0" * 64)
    with caplog.at_level(logging.ERROR, logger="pathway.pdf"):
        fresh = _download(client, pathway)
    assert fresh.startswith(b"%PDF") and len(renders) == 2
    assert "fails its SHA-256 check" in caplog.text
    assert PathwayPdf.objects.get(pathway=pathway).sha256 == "0" * 64  # the evidence kept


def test_a_store_that_refuses_still_serves_the_rendered_pdf(
    client, oncologist, pathway, monkeypatch, caplog
):
    def refuse(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(PathwayPdf.objects, "create", refuse)
    client.force_login(oncologist)
    with caplog.at_level(logging.ERROR, logger="pathway.pdf"):
        data = _download(client, pathway)
    assert data.startswith(b"%PDF")
    assert "rendered but not stored (DatabaseError)" in caplog.text
    assert "disk full" not in caplog.text
    assert not PathwayPdf.objects.exists()


def test_the_pdf_is_rendered_once_after_the_prescription_then_downloads_read_it(
    client, oncologist, episode, msp, immediate_tasks, django_capture_on_commit_callbacks, renders
):
    with django_capture_on_commit_callbacks(execute=True):
        pathway = services.pathway_prescribe(
            episode=episode,
            by=oncologist,
            structure=msp,
            kinds=[Kind.BILAN_PHYSICAL],
            prescribed_on=PRESCRIBED_ON,
        )
    assert renders == [pathway.pk]
    stored = bytes(PathwayPdf.objects.get(pathway=pathway).pdf)
    client.force_login(oncologist)
    assert _download(client, pathway) == stored
    assert renders == [pathway.pk]
    assert pdf.pathway_pdf_prerender(pathway) is False  # a second run renders nothing


def test_the_stored_pdf_is_read_in_one_query(oncologist, pathway, django_assert_num_queries):
    pdf.pathway_pdf_bytes(pathway)
    with django_assert_num_queries(1):
        content = pdf.pathway_pdf_bytes(pathway)
    assert io.BytesIO(content).read(4) == b"%PDF"


def test_a_repeated_download_has_a_query_ceiling(
    client, oncologist, pathway, django_assert_max_num_queries
):
    client.force_login(oncologist)
    _download(client, pathway)
    # The usual 4 (session, user, the request's savepoint and its release) + the pathway (its
    # patient, episode, prescriber joined), may the user read the patient (an EXISTS), the audit
    # insert, the stored PDF.
    with django_assert_max_num_queries(8):
        _download(client, pathway)
