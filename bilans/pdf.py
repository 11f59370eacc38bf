"""The bilans and comptes rendus (CSP D.1172-5, R-B4) as PDFs, with the machinery of the
prescription form (prescriptions.pdf): WeasyPrint, the project's fonts, a fetcher that serves
only this project's static files and data: URIs (no network, no local file, whatever a free-text
field holds), every value auto-escaped by the template.

Only a signed document has a PDF (R-B4). At signature the document is issued
(`services.document_issue`: an `IssuedDocument` with a reference and a verification code, both
printed on the PDF with the QR code of the public verification page); the PDF is rendered once
(off the request by `bilans.tasks`, or at its first download), sealed like the form
(`prescriptions.seal`), and its bytes stored with their SHA-256: every later download serves the
same bytes.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import DatabaseError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from prescriptions import seal
from prescriptions.pdf import (
    PDF_BASE_URL,
    font_configuration,
    qr_data_uri,
    static_only_url_fetcher_class,
)

from . import rules
from .models import EntryBilan, ExitBilan, IssuedDocument, ProgressReport
from .rules import TESTS

logger = logging.getLogger(__name__)

TEMPLATE_NAME = "bilans/pdf/document.html"
CSS_STATIC_PATH = "pdf/bilan.css"


@cache
def stylesheet():
    from weasyprint import CSS

    found = finders.find(CSS_STATIC_PATH)
    if not found:
        raise FileNotFoundError(CSS_STATIC_PATH)
    return CSS(
        string=Path(found).read_text(encoding="utf-8"),
        base_url=PDF_BASE_URL,
        url_fetcher=static_only_url_fetcher_class()(),
        font_config=font_configuration(),
    )


def interpretations(bilan: EntryBilan | ExitBilan) -> dict[str, Any]:
    """What the pure rules tell of the measured values (R-B1), for the pages and the PDF."""
    patient = bilan.patient
    out: dict[str, Any] = {}
    if bilan.bmi is not None:
        out["bmi"] = bilan.bmi
        out["bmi_category"] = rules.bmi_category(bilan.bmi)
    if bilan.six_minute_walk_m is not None and bilan.height_cm and bilan.weight_kg:
        age = rules.age_on(patient.birth_date, bilan.performed_on)
        out["six_minute_walk_extrapolated"] = rules.six_minute_walk_extrapolated(age)
        predicted = rules.six_minute_walk_predicted(
            sex=patient.sex,
            age=age,
            height_cm=bilan.height_cm,
            weight_kg=bilan.weight_kg,
        )
        out["six_minute_walk_predicted"] = predicted
        out["six_minute_walk_percent"] = rules.percent_of_predicted(
            bilan.six_minute_walk_m, predicted
        )
    if bilan.tug_seconds is not None:
        out["tug_fall_risk"] = rules.tug_fall_risk(
            bilan.tug_seconds, threshold=settings.APA_TUG_FALL_RISK_SECONDS
        )
        out["tug_threshold"] = settings.APA_TUG_FALL_RISK_SECONDS
    if bilan.activity_score is not None:
        out["activity_score"] = bilan.activity_score
        out["activity_band"] = rules.questionnaire_band(rules.RICCI_GAGNON, bilan.activity_score)
    return out


def verification_page() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("verify")


def verification_url(issued: IssuedDocument) -> str:
    """The public verification page with the reference and the code, as the QR code carries
    them (both printed on the paper; never a name nor health data)."""
    query = urlencode({"ref": issued.reference, "code": issued.verification_code})
    return f"{verification_page()}?{query}"


def pdf_context(
    document: EntryBilan | ExitBilan | ProgressReport, issued: IssuedDocument | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {"document": document, "patient": document.patient}
    if issued is not None:
        url = verification_url(issued)
        context |= {
            "issued": issued,
            "verification_page": verification_page(),
            "qr_data_uri": qr_data_uri(url),
        }
    if isinstance(document, EntryBilan | ExitBilan):
        context |= {"rows": document.test_rows(), "interpretations": interpretations(document)}
    if isinstance(document, ExitBilan):
        entry = document.entry
        context |= {
            "entry": entry,
            "deltas": [
                rules.delta(spec, getattr(entry, spec.key), getattr(document, spec.key))
                for spec in TESTS
            ],
        }
    return context


def render_document_html(
    document: EntryBilan | ExitBilan | ProgressReport, issued: IssuedDocument | None = None
) -> str:
    return render_to_string(TEMPLATE_NAME, pdf_context(document, issued))


def render_document_pdf(issued: IssuedDocument) -> bytes:
    """A4 PDF bytes of an issued (signed) bilan or compte rendu, sealed unless sealing is off
    (`APA_PDF_SEAL`). Not stored: `document_pdf_bytes` stores it."""
    from weasyprint import HTML

    document = issued.document
    if not document.is_signed:
        raise ValueError("only a signed document has a PDF")
    html = HTML(
        string=render_document_html(document, issued),
        base_url=PDF_BASE_URL,
        url_fetcher=static_only_url_fetcher_class()(),
    )
    content = html.write_pdf(stylesheets=[stylesheet()], font_config=font_configuration())
    if not seal.sealing_enabled():
        return content
    return seal.seal_pdf(
        content,
        reason=f"Cachet électronique APA Portal : {issued.get_kind_display()} {issued.reference}",
        location=settings.SITE_URL,
    )


def _store_once(issued: IssuedDocument, content: bytes) -> bytes:
    """Keep `content` as the document's PDF unless one is stored already (another request or
    the background task at the same moment): the stored bytes win and are returned. The update
    only fills an empty PDF, so stored bytes are never replaced."""
    digest = hashlib.sha256(content).hexdigest()
    try:
        with transaction.atomic():
            stored = IssuedDocument.objects.filter(pk=issued.pk, pdf__isnull=True).update(
                pdf=content, sha256=digest, size=len(content), rendered_at=timezone.now()
            )
    except DatabaseError as exc:
        # The store refuses (full, read-only, ...): what was rendered is served all the same and
        # stored at a later download or by the task. Not the error's message: it could quote
        # what was being written.
        logger.error(
            "PDF of document %s rendered but not stored (%s): served.",
            issued.reference,
            type(exc).__name__,
        )
        return content
    if stored:
        issued.pdf, issued.sha256, issued.size = content, digest, len(content)
        return content
    kept = IssuedDocument.objects.values_list("pdf", flat=True).get(pk=issued.pk)
    assert kept is not None  # filled by the other writer: the update above found it non-empty
    return bytes(kept)


def document_pdf_bytes(document: EntryBilan | ExitBilan | ProgressReport) -> bytes:
    """R-B4: the PDF of a signed document, stored once: the stored bytes when they are there
    (their SHA-256 checked), else rendered now and stored. A document signed before documents
    were issued gets its reference and code here."""
    from .services import document_issue  # noqa: PLC0415 (services imports the tasks, which import this)

    issued = document_issue(document)
    if issued.pdf is not None:
        content = bytes(issued.pdf)
        if hashlib.sha256(content).hexdigest() == issued.sha256:
            return content
        # The stored copy fails its check: serve a fresh rendering, keep the evidence untouched.
        logger.error("Stored PDF of document %s fails its SHA-256 check.", issued.reference)
        return render_document_pdf(issued)
    return _store_once(issued, render_document_pdf(issued))


def document_pdf_prerender(issued: IssuedDocument) -> bool:
    """Render and store the PDF of an issued document unless it is stored (the background task
    after the signature). Returns whether it rendered."""
    if IssuedDocument.objects.filter(pk=issued.pk, pdf__isnull=False).exists():
        return False
    _store_once(issued, render_document_pdf(issued))
    return True
