"""The pathway prescription (R-C1) as a PDF, with the machinery of the prescription form
(prescriptions.pdf): WeasyPrint, the project's fonts, a fetcher that serves only this project's
static files (no network, no local file), every value auto-escaped by the template. It prints
the pathway's reference and verification code, with the QR code of the public verification
page that checks them (pathway.receivers); tagged PDF/UA-1 and sealed (`prescriptions.seal`) as
the form is.

A pathway prescription is never edited once made (services), so the PDF is rendered from it on
demand and prints the same content each time.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string

from bilans.pdf import stylesheet, verification_page
from prescriptions import seal
from prescriptions.pdf import (
    PDF_BASE_URL,
    font_configuration,
    qr_data_uri,
    static_only_url_fetcher_class,
)

from .models import PathwayPrescription
from .rules import PRESCRIPTION_WINDOW_MONTHS, Kind, prescription_deadline

TEMPLATE_NAME = "pathway/pdf/prescription.html"


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
