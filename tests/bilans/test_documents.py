"""R-B4: each signed bilan and compte rendu is issued as the prescription form is: a reference
and a verification code given at signature and printed on its PDF, the PDF stored once (the same
bytes at every download), and the pair checked on the public verification page, which answers
only validity, the kind of document and its dates."""

import hashlib
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bilans import pdf, services
from bilans.models import IssuedDocument
from dispensing.services import patient_orient
from prescriptions.verification_views import MSG_VERIFY_NO_MATCH
from tests import factories
from tests.bilans.test_views import _pdf_text
from tests.spies import record_calls

pytestmark = pytest.mark.django_db

VERIFY = "/verifier/"


@pytest.fixture
def oriented(prescriber, patient, apa_teacher, issued_prescription):
    patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    return apa_teacher


@pytest.fixture
def render_spy(monkeypatch):
    return record_calls(monkeypatch, pdf, "render_document_pdf")


def _download(client, document) -> bytes:
    response = client.get(document.pdf_url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_signing_issues_a_reference_and_a_code_once(patient, oriented):
    draft = factories.make_entry_bilan(patient, oriented, sign=False)
    assert not IssuedDocument.objects.exists()  # a draft is not issued
    entry = services.entry_bilan_sign(bilan=draft, by=oriented)
    report = factories.make_report(patient, oriented)
    issued = IssuedDocument.objects.get(entry=entry)
    assert issued.kind == "entry" and issued.reference.startswith("APA-")
    assert len(issued.verification_code) == 6 and issued.pdf is None  # rendered off the request
    assert IssuedDocument.objects.get(report=report).kind == "report"
    assert services.document_issue(entry).pk == issued.pk  # never a second reference


def test_the_pdf_is_stored_once_and_every_download_serves_the_same_bytes(
    client, patient, oriented, render_spy
):
    entry = factories.make_entry_bilan(patient, oriented)
    client.force_login(oriented)
    first = _download(client, entry)
    second = _download(client, entry)
    assert first == second  # sealed PDFs carry their signing time: a second render would differ
    assert len(render_spy) == 1
    issued = IssuedDocument.objects.get(entry=entry)
    assert bytes(issued.pdf) == first and issued.sha256 == hashlib.sha256(first).hexdigest()
    assert issued.size == len(first) and issued.rendered_at is not None
    text = _pdf_text(first)
    assert issued.reference in text and issued.verification_code in text
    assert "/verifier/" in text


def test_the_background_task_stores_it_and_the_download_reads_it(
    client, patient, oriented, render_spy
):
    from bilans.tasks import prerender_document_pdf  # noqa: PLC0415

    factories.make_entry_bilan(patient, oriented)
    report = factories.make_report(patient, oriented)
    issued = IssuedDocument.objects.get(report=report)
    assert prerender_document_pdf.call(str(issued.pk)) is True
    assert prerender_document_pdf.call(str(issued.pk)) is False  # stored already
    client.force_login(oriented)
    assert _download(client, report) == bytes(IssuedDocument.objects.get(pk=issued.pk).pdf)
    assert len(render_spy) == 1


def test_stored_bytes_are_never_replaced(patient, oriented):
    entry = factories.make_entry_bilan(patient, oriented)
    issued = services.document_issue(entry)
    assert pdf._store_once(issued, b"%PDF-first") == b"%PDF-first"
    assert pdf._store_once(issued, b"%PDF-second") == b"%PDF-first"
    assert bytes(IssuedDocument.objects.get(pk=issued.pk).pdf) == b"%PDF-first"


def test_a_document_signed_before_issuing_existed_gets_its_reference_at_download(
    client, patient, oriented
):
    entry = factories.make_entry_bilan(patient, oriented)
    IssuedDocument.objects.filter(entry=entry).delete()  # as signed before this change
    client.force_login(oriented)
    _download(client, entry)
    assert IssuedDocument.objects.filter(entry=entry).count() == 1


def test_the_verification_page_answers_a_good_pair_with_kind_and_dates_only(patient, oriented):
    entry = factories.make_entry_bilan(
        patient, oriented, goals="Marcher jusqu'au marché", risk_flag=True, risk_description="Chute"
    )
    issued = IssuedDocument.objects.get(entry=entry)
    response = Client().post(
        VERIFY, {"reference": issued.reference, "code": issued.verification_code.lower()}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Document authentique : bilan d&#x27;entrée {issued.reference}" in html
    assert "Valide" in html and entry.performed_on.strftime("%d/%m/%Y") in html
    for secret in (
        patient.birth_name,
        patient.birth_name.upper(),
        patient.first_names,
        patient.birth_date.strftime("%d/%m/%Y"),
        oriented.last_name,
        oriented.last_name.upper(),
        "Marcher",
        "Chute",
        "6 minutes",
    ):
        assert secret not in html, secret


def test_the_qr_code_address_answers_too(patient, oriented):
    factories.make_entry_bilan(patient, oriented)
    report = factories.make_report(patient, oriented)
    issued = IssuedDocument.objects.get(report=report)
    url = pdf.verification_url(issued)
    response = Client().get(url[url.index(VERIFY) :])
    assert "Document authentique : compte rendu" in response.content.decode()


def test_a_wrong_code_is_refused_like_an_unknown_reference(patient, oriented):
    entry = factories.make_entry_bilan(patient, oriented)
    issued = IssuedDocument.objects.get(entry=entry)
    wrong = "Z" * 6 if issued.verification_code != "Z" * 6 else "Y" * 6
    anonymous = Client()
    wrong_code = anonymous.post(VERIFY, {"reference": issued.reference, "code": wrong})
    unknown = anonymous.post(
        VERIFY, {"reference": "APA-2026-0000-0000", "code": issued.verification_code}
    )
    message = str(MSG_VERIFY_NO_MATCH).replace("'", "&#x27;")
    for response in (wrong_code, unknown):
        html = response.content.decode()
        assert response.status_code == 200 and message in html
        assert "Document authentique" not in html

    # The same page apart from the pair typed back in the form (and the CSRF tokens).
    def page(response, reference, code):
        html = response.content.decode().replace(reference, "REF").replace(code, "C")
        return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", html)

    assert page(wrong_code, issued.reference, wrong) == page(
        unknown, "APA-2026-0000-0000", issued.verification_code
    )


def test_a_verification_is_one_query_more_than_a_prescription_miss(patient, oriented):
    entry = factories.make_entry_bilan(patient, oriented)
    issued = IssuedDocument.objects.get(entry=entry)
    with CaptureQueriesContext(connection) as queries:
        Client().post(VERIFY, {"reference": issued.reference, "code": issued.verification_code})
    assert not any('"pdf"' in q["sql"] for q in queries.captured_queries)  # never the bytes
    assert len(queries.captured_queries) <= 4


def test_the_detail_page_shows_the_reference_without_loading_the_pdf(client, patient, oriented):
    entry = factories.make_entry_bilan(patient, oriented)
    client.force_login(oriented)
    _download(client, entry)  # stored: the bytes are in the row now
    issued = IssuedDocument.objects.get(entry=entry)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(entry.get_absolute_url()).content.decode()
    assert issued.reference in html and issued.verification_code in html
    assert not any('"pdf"' in q["sql"] for q in queries.captured_queries)


def test_a_pdf_the_store_refuses_is_served_all_the_same(client, patient, oriented, monkeypatch):
    from django.db import DatabaseError  # noqa: PLC0415
    from django.db.models import QuerySet  # noqa: PLC0415

    entry = factories.make_entry_bilan(patient, oriented)
    real_update = QuerySet.update

    def refuse(self, **kwargs):
        if self.model is IssuedDocument and "pdf" in kwargs:
            raise DatabaseError("disk full")
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", refuse)
    client.force_login(oriented)
    assert _download(client, entry).startswith(b"%PDF")
    assert IssuedDocument.objects.get(entry=entry).pdf is None  # stored at a later download
