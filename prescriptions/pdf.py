"""The official APA prescription form (arrêté du 28 décembre 2023) as a PDF, by WeasyPrint.

- `render_prescription_pdf(prescription)` renders the form (page 1: the physician's part, the
  footnotes, the physiotherapist's part; page 2: the decision aid for functional limitations).
- `prescription_pdf_bytes(prescription)` is what views call: an issued prescription is immutable
  (R-P4), so its rendered PDF is kept (`RenderedPdf`) and served again while what it prints is
  unchanged; a renewal or adaptation (R-R6) changes it, and the new version is stored next to the
  old one. Drafts are rendered each time, marked "BROUILLON — non valable", and never stored.

Safety: user text goes through the template's auto-escaping, and the `url_fetcher` serves only
this project's static files (through the staticfiles finders) and `data:` URIs: no network, no
local file outside the static directories, whatever a free-text field contains.
"""

from __future__ import annotations

import atexit
import base64
import gc
import hashlib
import io
import json
import logging
import mimetypes
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import IntegrityError, transaction
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.formats import date_format

from . import rules
from .models import LimitationAssessment, Prescription, RenderedPdf, Renewal

logger = logging.getLogger(__name__)

TEMPLATE_NAME = "prescriptions/pdf/prescription.html"
CSS_STATIC_PATH = "pdf/prescription.css"
# Static files the stylesheet draws with (digested with it: changing one re-renders).
CSS_ASSETS = ("pdf/tick.png",)
# Bump when the template or the CSS changes what is printed: stored PDFs then get a new version
# (the older ones stay, as a trace of what was handed out). Then, in production, run
# `manage.py prerender_pdfs` so that running prescriptions are not rendered at their download.
TEMPLATE_VERSION = "2026-03"  # 2026-03: QR code and ticks as PNG images (issue 8)

# The QR code's PNG: pixels a module (16 mm for 37 modules: about 235 dpi, drawn unsmoothed).
QR_PIXELS_PER_MODULE = 4
# segno's matrix holds 1 for a dark module, 0 for a light one: as 8-bit grey, black and white.
_QR_GREY = bytes([255, 0]) + bytes(254)

# Relative URLs of the template (the stylesheet, the fonts) resolve against this origin. It is a
# name, never contacted: `.invalid` cannot resolve (RFC 2606) and the fetcher serves it from the
# staticfiles finders, refusing anything else.
PDF_BASE_URL = "https://pdf.apa-portal.invalid/"
_STATIC_PREFIX = PDF_BASE_URL.rstrip("/") + "/static/"

# R-L1/R-L2: the level as a phrase ("limitation fonctionnelle modérée"); the tool prints plurals.
LEVEL_SINGULAR = {
    rules.LimitationLevel.NONE: "Aucune",
    rules.LimitationLevel.MINIMAL: "Minimale",
    rules.LimitationLevel.MODERATE: "Modérée",
    rules.LimitationLevel.SEVERE: "Sévère",
}

# Function headings of the decision aid (annexe 11-7-2, seed 003), in the tool's order.
TOOL_FUNCTIONS = (
    (
        rules.Function.LOCOMOTOR,
        "locomotor",
        "FONCTIONS LOCOMOTRICES (NEUROMUSCULAIRE, OSTEOARTICULAIRE, ENDURANCE À L'EFFORT MARCHE, "
        "FORCE) :",
        "FONCTIONS LOCOMOTRICES",
    ),
    (
        rules.Function.CEREBRAL,
        "cerebral",
        "FONCTIONS CÉRÉBRALES (COGNITIF, LANGAGE, ANXIÉTÉ / DÉPRESSION) :",
        "FONCTIONS CÉRÉBRALES ET COGNITIVES",
    ),
    (
        rules.Function.SENSORY,
        "sensory",
        "FONCTIONS SENSORIELLES (VISUELLE, SENSITIVE, AUDITIVE, PROPRIOCEPTIVES) ET DOULEUR :",
        "FONCTIONS SENSORIELLES",
    ),
)


class PdfFetchRefused(ValueError):
    """The PDF asked for a resource other than a static file or a data: URI."""


# --- Fonts and resources ----------------------------------------------------------------------
@cache
def font_configuration():
    """One FontConfiguration per process: fonts of @font-face are loaded once, not per render."""
    from weasyprint.text.fonts import FontConfiguration

    atexit.register(_drop_process_caches)
    return FontConfiguration()


def _drop_process_caches() -> None:
    # Released before the interpreter tears modules down, so that FontConfiguration.__del__
    # can still remove its temporary font folder (it fails silently once `rmtree` is gone).
    stylesheet.cache_clear()
    font_configuration.cache_clear()


@cache
def _static_file(relative_path: str) -> tuple[bytes, str]:
    """The bytes and MIME type of a static file, found by the staticfiles finders (cached)."""
    found = finders.find(relative_path)
    if not found:
        raise PdfFetchRefused(f"Static file not found: {relative_path}")
    path = Path(found)
    mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".ttf":
        mime_type = "font/ttf"
    return path.read_bytes(), mime_type


def fetch_static_or_data(url: str) -> tuple[bytes, str] | None:
    """The policy of the PDF's fetcher: this project's static files, data: URIs, nothing else.

    Returns the bytes and MIME type of a static file, None for a data: URI (decoded by the
    caller), and raises `PdfFetchRefused` for a `file://`, `http(s)://` or any other URL (for
    instance an `<img>` typed into a free-text field, were it ever not escaped).
    """
    if url.startswith("data:"):
        return None
    if url.startswith(_STATIC_PREFIX):
        parts = urlsplit(url)
        relative = parts.path[len("/static/") :]
        if parts.query or parts.fragment or not relative or ".." in relative.split("/"):
            raise PdfFetchRefused(f"Refused URL in a PDF: {url}")
        return _static_file(relative)
    raise PdfFetchRefused(f"Refused URL in a PDF: {url}")


@cache
def static_only_url_fetcher_class():
    """WeasyPrint's URLFetcher applying `fetch_static_or_data` (built lazily: importing
    WeasyPrint takes about two seconds, which every other page and command would pay)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyURLFetcher(URLFetcher):
        def __init__(self) -> None:
            # Defence in depth: the parent class may open data: URIs and nothing else.
            super().__init__(allowed_protocols=("data",), allow_redirects=False)

        def fetch(self, url: str, headers=None):
            found = fetch_static_or_data(url)
            if found is None:
                return super().fetch(url, headers)
            content, mime_type = found
            return URLFetcherResponse(url, content, {"Content-Type": mime_type})

    return StaticOnlyURLFetcher


@cache
def stylesheet():
    """The form's stylesheet, parsed once per process (issue 8).

    Passing the parsed `CSS` object to every render, instead of a `<link>` that WeasyPrint
    fetches, tokenizes and preprocesses again for each PDF, saves about 10 % of a render. It is
    built with the process's `FontConfiguration`, so its `@font-face` fonts are loaded once too,
    and its `url()`s (the fonts) go through the same static-only fetcher.
    """
    from weasyprint import CSS

    css, _mime = _static_file(CSS_STATIC_PATH)
    return CSS(
        string=css.decode(),
        base_url=PDF_BASE_URL,
        url_fetcher=static_only_url_fetcher_class()(),
        font_config=font_configuration(),
    )


@cache
def _template_digest() -> str:
    """A digest of the template and its stylesheet, so that a change of layout re-renders."""
    template = get_template(TEMPLATE_NAME)
    source = Path(template.origin.name).read_bytes()
    parts = [source] + [_static_file(path)[0] for path in (CSS_STATIC_PATH, *CSS_ASSETS)]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


# --- What is printed --------------------------------------------------------------------------
def lookup_url(prescription: Prescription) -> str:
    """The look-up URL the QR code carries (issue 4): reference and verification code."""
    query = urlencode({"ref": prescription.reference, "code": prescription.verification_code})
    return f"{settings.SITE_URL.rstrip('/')}/prescriptions/lookup/?{query}"


def _qr_data_uri(url: str) -> str:
    """The QR code of `url` as a PNG data URI: 8-bit grey, `QR_PIXELS_PER_MODULE` pixels a
    module, no quiet zone (the verification box around it leaves one).

    A PNG, not an SVG (issue 8): WeasyPrint parsed and drew the SVG's path in Python at each
    render, about 5 % of it; an image is decoded once and embedded as is. The CSS draws it
    with `image-rendering: pixelated`, so that viewers do not smooth the modules.
    A fixed mask (any of the eight is valid, ISO/IEC 18004 §7.8): segno otherwise scores all
    eight, which is two thirds of its time.
    """
    from PIL import Image

    matrix = segno.make(url, error="m", mask=0).matrix
    size = len(matrix)
    image = Image.frombytes("L", (size, size), b"".join(matrix).translate(_QR_GREY))
    scaled = size * QR_PIXELS_PER_MODULE
    image = image.resize((scaled, scaled), Image.Resampling.NEAREST)
    png = io.BytesIO()
    image.save(png, format="PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def _d(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _related(instance, name: str):
    """A reverse one-to-one (assessment, renewal), or None when there is none."""
    try:
        return getattr(instance, name)
    except (LimitationAssessment.DoesNotExist, Renewal.DoesNotExist):
        return None


def _severe_details(assessment: LimitationAssessment | None) -> list[dict[str, Any]]:
    """R-L3: the indicators of each function, the ones the physician ticked marked."""
    ticked = set(assessment.severe_indicators) if assessment else set()
    details = []
    for function, _field, _heading, detail_heading in TOOL_FUNCTIONS:
        items = [i for i in rules.SEVERE_INDICATORS if i.function == function]
        details.append(
            {
                "heading": detail_heading,
                "items": [
                    {
                        # The tool prints one sentence: capitals only at its start.
                        "label": i.label if n == 0 else i.label[0].lower() + i.label[1:],
                        "ticked": i.code in ticked,
                        "last": n == len(items) - 1,
                    }
                    for n, i in enumerate(items)
                ],
            }
        )
    return details


def pdf_context(prescription: Prescription) -> dict[str, Any]:
    """Everything the form prints, as plain values (also digested into the content key)."""
    patient = prescription.patient
    prescriber = prescription.prescriber
    structure = prescriber.structure
    assessment = _related(prescription, "assessment")
    renewal = _related(prescription, "renewal")
    levels = [(value, str(label)) for value, label in rules.LimitationLevel.choices]

    functions = []
    for _function, field, heading, _detail in TOOL_FUNCTIONS:
        rating = getattr(assessment, field) if assessment else None
        functions.append(
            {
                "heading": heading,
                "levels": [{"label": label, "ticked": value == rating} for value, label in levels],
            }
        )

    physio = None
    if renewal is not None:
        physio = {
            "kind": renewal.kind,
            "is_renewal": renewal.kind == Renewal.Kind.RENEWAL,
            "first_name": renewal.physio_first_name,
            "last_name": renewal.physio_last_name.upper(),
            "rpps": renewal.physio_rpps,
            "performed_on": _d(renewal.performed_on),
            "duration": f"{renewal.duration_months} mois",
            "start": _d(renewal.start_date),
            "end": _d(renewal.end_date),
            "summary": renewal.recommendations_summary(),
            "text": renewal.recommendations_text,
            "recorded_at": date_format(timezone.localtime(renewal.created_at), "d/m/Y à H:i")
            if renewal.created_at
            else "",
        }

    confirmed = assessment.confirmed_level if assessment else None
    computed = assessment.computed_level if assessment else None
    return {
        "draft": prescription.status == Prescription.Status.DRAFT,
        "cancelled": prescription.status == Prescription.Status.CANCELLED,
        "reference": prescription.reference,
        "verification_code": prescription.verification_code,
        "lookup_url": lookup_url(prescription),
        "lookup_page": f"{settings.SITE_URL.rstrip('/')}/prescriptions/lookup/",
        "date": _d(prescription.prescribed_on),
        "patient_name": patient.full_name,
        "duration": f"{prescription.duration_months} mois",
        "start": _d(prescription.start_date),
        "end": _d(prescription.end_date),
        "recommendations_summary": prescription.recommendations_summary(),
        "recommendations_text": prescription.recommendations_text,
        "restriction_picks": prescription.restriction_pick_labels,
        "restrictions_text": prescription.restrictions_text,
        "level": LEVEL_SINGULAR.get(confirmed, "") if confirmed is not None else "",
        "level_is_severe": confirmed == rules.LimitationLevel.SEVERE,
        "computed_level": LEVEL_SINGULAR.get(computed, "") if computed is not None else "",
        "level_differs": assessment is not None and computed != confirmed,
        "oui": prescription.physician_renewal_required,
        "oui_reason": prescription.physician_renewal_reason,
        "prescriber_name": prescriber.display_name,
        "prescriber_rpps": prescriber.rpps,
        "prescriber_structure": structure.name if structure else "",
        "prescriber_city": structure.city if structure else "",
        "signed_at": date_format(timezone.localtime(prescription.issued_at), "d/m/Y à H:i")
        if prescription.issued_at
        else "",
        "cancelled_at": _d(timezone.localtime(prescription.cancelled_at))
        if prescription.cancelled_at
        else "",
        "physio": physio,
        "functions": functions,
        "severe_details": _severe_details(assessment),
    }


def content_key(prescription: Prescription, context: dict[str, Any] | None = None) -> str:
    """SHA-256 of everything the PDF prints, the template version and the template's source."""
    context = pdf_context(prescription) if context is None else context
    payload = json.dumps(
        {"v": TEMPLATE_VERSION, "t": _template_digest(), "c": context},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# --- Rendering --------------------------------------------------------------------------------
def render_prescription_html(
    prescription: Prescription, *, context: dict[str, Any] | None = None
) -> str:
    """The filled form as the HTML WeasyPrint prints (every value auto-escaped)."""
    context = pdf_context(prescription) if context is None else context
    return render_to_string(
        TEMPLATE_NAME, {**context, "qr_data_uri": _qr_data_uri(context["lookup_url"])}
    )


def render_prescription_pdf(
    prescription: Prescription, *, context: dict[str, Any] | None = None
) -> bytes:
    """Render the official form, filled, as A4 PDF bytes (no storage)."""
    from weasyprint import HTML

    html = render_prescription_html(prescription, context=context)
    document = HTML(
        string=html, base_url=PDF_BASE_URL, url_fetcher=static_only_url_fetcher_class()()
    )
    with _cyclic_gc_paused():
        return document.write_pdf(stylesheets=[stylesheet()], font_config=font_configuration())


@contextmanager
def _cyclic_gc_paused():
    """Pause the cyclic garbage collector while WeasyPrint renders (issue 8).

    A render allocates some 10^5 objects, which set off a full collection of the whole process
    every fifth render or so: 70-90 ms added to that render (the p95: 245 ms for a 150 ms
    median). WeasyPrint's objects are freed by reference counting, so nothing piles up; the
    collector runs again, at its usual pace, once the render is over. The previous state is
    restored (never re-enabled if someone else had disabled it).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def prescription_pdf_bytes(prescription: Prescription) -> bytes:
    """The PDF of `prescription`: the stored original when what it prints is unchanged.

    Drafts are rendered each time and never stored. Otherwise one query finds the stored PDF
    for this content key (its SHA-256 checked); on a miss the form is rendered and stored (the
    background task of `prescriptions.tasks` usually stored it when the prescription was signed
    or renewed). Older versions are kept (never deleted): they are what was handed out before a
    renewal.
    """
    context = pdf_context(prescription)
    if prescription.status == Prescription.Status.DRAFT:
        return render_prescription_pdf(prescription, context=context)
    key = content_key(prescription, context)
    stored = (
        RenderedPdf.objects.filter(prescription=prescription, content_key=key)
        .values_list("pdf", "sha256")
        .first()
    )
    if stored is not None:
        content = bytes(stored[0])
        if hashlib.sha256(content).hexdigest() == stored[1]:
            return content
    content = render_prescription_pdf(prescription, context=context)
    if stored is not None:
        # The stored copy does not match its SHA-256: serve a fresh rendering, keep the evidence.
        logger.error("Stored PDF of %s fails its SHA-256 check.", prescription.reference)
        return content
    return _store(prescription, key, content)


def prescription_pdf_prerender(prescription: Prescription) -> bool:
    """Render and keep the PDF of a signed prescription, unless this version is kept already.

    What `prescriptions.tasks.prerender_prescription_pdf` runs when a prescription is signed or
    renewed. Returns whether it rendered (False for a draft, which is never stored).
    """
    if prescription.status == Prescription.Status.DRAFT:
        return False
    context = pdf_context(prescription)
    key = content_key(prescription, context)
    if RenderedPdf.objects.filter(prescription=prescription, content_key=key).exists():
        return False
    _store(prescription, key, render_prescription_pdf(prescription, context=context))
    return True


def _store(prescription: Prescription, key: str, content: bytes) -> bytes:
    """Keep `content` as the PDF of this version; if another request or the background task
    stored it at the same moment, theirs is kept and returned."""
    try:
        with transaction.atomic():
            RenderedPdf.objects.create(
                prescription=prescription,
                content_key=key,
                pdf=content,
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
            )
    except IntegrityError:
        return bytes(
            RenderedPdf.objects.filter(prescription=prescription, content_key=key)
            .values_list("pdf", flat=True)
            .get()
        )
    return content
