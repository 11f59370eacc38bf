"""The pathway prescription (R-C1) as a PDF, with the machinery of the prescription form
(prescriptions.pdf): WeasyPrint, the project's fonts, a fetcher that serves only this project's
static files (no network, no local file), every value auto-escaped by the template. It prints
the pathway's reference and verification code, with the QR code of the public verification
page that checks them (pathway.receivers); tagged PDF/UA-1 and sealed (`prescriptions.seal`) as
the form is.

A pathway prescription is never edited once made (services): its PDF is rendered once, right
after the prescription (`pathway.tasks`) or at its first download, stored (`PathwayPdf`) and
served from there, its SHA-256 checked, as the official form's (`prescriptions.pdf`).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.template.loader import render_to_string

from bilans.pdf import stylesheet, verification_page
from prescriptions import seal
from prescriptions.pdf import (
    PDF_BASE_URL,
    font_configuration,
    qr_data_uri,
    static_only_url_fetcher_class,
)

from .models import PathwayPdf, PathwayPrescription
from .rules import PRESCRIPTION_WINDOW_MONTHS, Kind, prescription_deadline

TEMPLATE_NAME = "pathway/pdf/prescription.html"

logger = logging.getLogger(__name__)


def verification_url(pathway: PathwayPrescription) -> str:
    """The public verification page with the reference and the code, as the QR code carries
    them (both printed on the paper; never a name nor health data)."""
    query = urlencode({"ref": pathway.reference, "code": pathway.verification_code})
    return f"{verification_page()}?{query}"


def pdf_context(pathway: PathwayPrescription) -> dict[str, Any]:
    return {
        "verification_page": verification_page(),
        "qr_data_uri": qr_data_uri(verification_url(pathway)),
        "pathway": pathway,
        "patient": pathway.patient,
        "episode": pathway.episode,
        "kinds": [Kind(kind).label for kind in pathway.prescribed_kinds],
        "deadline": prescription_deadline(pathway.episode.treatment_end),
        "window_months": PRESCRIPTION_WINDOW_MONTHS,
    }


def render_pathway_html(pathway: PathwayPrescription) -> str:
    return render_to_string(TEMPLATE_NAME, pdf_context(pathway))


def render_pathway_pdf(pathway: PathwayPrescription) -> bytes:
    """A4 PDF bytes of the pathway prescription: tagged PDF/UA-1, sealed unless sealing is off
    (`APA_PDF_SEAL`)."""
    from weasyprint import HTML

    html = HTML(
        string=render_pathway_html(pathway),
        base_url=PDF_BASE_URL,
        url_fetcher=static_only_url_fetcher_class()(),
    )
    content = bytes(
        html.write_pdf(
            stylesheets=[stylesheet()], font_config=font_configuration(), pdf_variant="pdf/ua-1"
        )
    )
    if not seal.sealing_enabled():
        return content
    return seal.seal_pdf(
        content,
        reason=f"Cachet électronique APA Portal : parcours post-cancer {pathway.reference}",
        location=settings.SITE_URL,
    )


def _store_once(pathway: PathwayPrescription, content: bytes) -> bytes:
    """Keep `content` as the pathway's PDF; if another request or the background task stored
    one at the same moment, theirs is kept and returned. A store that refuses (full,
    read-only...) is logged and what was rendered is served all the same."""
    try:
        with transaction.atomic():
            PathwayPdf.objects.create(
                pathway=pathway,
                pdf=content,
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
            )
    except IntegrityError:
        return bytes(PathwayPdf.objects.values_list("pdf", flat=True).get(pathway=pathway))
    except DatabaseError as exc:
        # Not the error's message: it could quote what was being written.
        logger.error(
            "PDF of pathway %s rendered but not stored (%s): served.",
            pathway.reference,
            type(exc).__name__,
        )
    return content


def pathway_pdf_bytes(pathway: PathwayPrescription) -> bytes:
    """The pathway prescription's PDF: the stored one (one query, its SHA-256 checked), else
    rendered now and stored."""
    stored = PathwayPdf.objects.filter(pathway=pathway).values_list("pdf", "sha256").first()
    if stored is None:
        return _store_once(pathway, render_pathway_pdf(pathway))
    content = bytes(stored[0])
    if hashlib.sha256(content).hexdigest() == stored[1]:
        return content
    # The stored copy fails its check: serve a fresh rendering, keep the evidence untouched.
    logger.error("Stored PDF of pathway %s fails its SHA-256 check.", pathway.reference)
    return render_pathway_pdf(pathway)


def pathway_pdf_prerender(pathway: PathwayPrescription) -> bool:
    """Render and store the PDF unless it is stored (the background task after the
    prescription). Returns whether it rendered."""
    if PathwayPdf.objects.filter(pathway=pathway).exists():
        return False
    _store_once(pathway, render_pathway_pdf(pathway))
    return True
