"""The official APA prescription form (arrêté du 28 décembre 2023) as a PDF, by WeasyPrint.

- `render_prescription_pdf(prescription)` renders the form, tagged PDF/UA-1 (page 1: the
  physician's part and its signature, then notes (1)-(4); page 2: the physiotherapist's part,
  then the notes again, as in the official model; page 3: the decision aid for functional
  limitations; then, only when a free text is too long for its page, an annex that the cut text
  points to), and seals it (`prescriptions.seal`: PAdES, pyHanko) unless it is a draft.
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
import gc
import hashlib
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
from django.db import DatabaseError, IntegrityError, transaction
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from . import rules, seal
from .models import LimitationAssessment, Prescription, RenderedPdf, Renewal

logger = logging.getLogger(__name__)

TEMPLATE_NAME = "prescriptions/pdf/prescription.html"
CSS_STATIC_PATH = "pdf/prescription.css"
# Static files the stylesheet draws with (digested with it: changing one re-renders). The tick
# boxes are the glyphs ☐ and ☒ of this font, so that extracted text and screen readers say
# which box is ticked.
CSS_ASSETS = ("fonts/DejaVuSans-Ticks.ttf",)
# Bump when the template or the CSS changes what is printed: stored PDFs then get a new version
# (the older ones stay, as a trace of what was handed out). Then, in production, run
# `manage.py prerender_pdfs` so that running prescriptions are not rendered at their download.
TEMPLATE_VERSION = "2026-05"  # 2026-05: segno's QR code; 2026-04: sealed, tagged, stable layout

# The QR code's PNG: pixels a module (16 mm for 37 modules: about 235 dpi, drawn unsmoothed).
QR_PIXELS_PER_MODULE = 4

# Relative URLs of the template (the stylesheet, the fonts) resolve against this origin. It is a
# name, never contacted: `.invalid` cannot resolve (RFC 2606) and the fetcher serves it from the
# staticfiles finders, refusing anything else.
PDF_BASE_URL = "https://pdf.apa-portal.invalid/"
_STATIC_PREFIX = PDF_BASE_URL.rstrip("/") + "/static/"

# The longest free texts printed in the physician's part on page 1 (R-P4: the part and its
# signature stay on page 1) and in the adaptation of page 2: a longer text is cut there at a
# word, and printed whole in the annex, which the cut points to. Characters, and lines (a text
# of short lines fills the page as well).
PAGE_BUDGETS = {
    "recommendations_text": (650, 7),
    "restrictions_text": (400, 5),
    "oui_reason": (220, 3),
    "physio_text": (900, 10),
}
# Pages 1 to 3 are fixed (physician, physiotherapist, decision aid): the annex starts on page 4.
ANNEX_PAGE = 4

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


# Notes (1) to (4) of the model (seed 003), printed after the physician's part and again after
# the physiotherapist's part, as in the official model: two columns cut by hand ("indent" marks
# the paragraphs of note (3)).
NOTES = (
    (
        (
            "",
            "(1) Article D. 1172-2 du CSP. Décret n° 2023-234 du 30 mars 2023 relatif aux "
            "conditions de prescription et de dispensation de l'activité physique adaptée.",
        ),
        (
            "",
            "(2) Se référer au site de la Haute Autorité de santé "
            "https://www.has-sante.fr/jcms/c_2876862/fr/consultation-et-prescription-medicale-d-"
            "activite-physique-a-des-fins-de-sante.",
        ),
        (
            "",
            "(3) Art. D. 1172-2-1. CSP : avec l'accord du patient, le masseur-kinésithérapeute "
            "peut, sauf indication contraire du médecin, renouveler une fois la prescription "
            "médicale initiale d'activité physique adaptée à l'échéance de la durée de celle-ci ou "
            "du nombre de séances prescrites ou l'adapter en termes de type d'activité, "
            "d'intensité, de fréquence et de durée, sur le formulaire spécifique prévu à l'article "
            "D. 1172-2, aux conditions suivantes :",
        ),
        (
            "indent",
            "1° Le compte rendu et les bilans mentionnés à l'article D. 1172-5 ne "
            "rapportent pas de difficulté ou de risque dans la pratique de l'activité physique "
            "adaptée susceptible de nuire à la santé du patient ;",
        ),
        (
            "indent",
            "2° Le médecin intervenant dans la prise en charge n'a pas émis d'indication "
            "contraire en amont ou en aval de la transmission du compte rendu et des bilans "
            "mentionnés à l'article D. 1172-5.",
        ),
    ),
    (
        (
            "indent",
            "Le renouvellement de la prescription médicale par le masseur-"
            "kinésithérapeute tient compte des propositions relatives à la poursuite de l'activité "
            "figurant dans ce compte rendu et les bilans susmentionnés ou l'adapte aux besoins du "
            "patient.",
        ),
        (
            "indent",
            "Le masseur-kinésithérapeute porte sur l'original du formulaire spécifique de "
            "prescription, présenté par le patient, le renouvellement ou l'adaptation qu'il "
            "réalise en apposant les indications suivantes :",
        ),
        ("indent", "a) Son identification complète : nom, prénom et numéro d'identification ;"),
        (
            "indent",
            "b) La mention « Renouvellement/Adaptation (le cas échéant) de prescription "
            "médicale d'activité physique adaptée » ;",
        ),
        (
            "indent",
            "c) La date à laquelle le masseur-kinésithérapeute effectue ce renouvellement "
            "ou cette adaptation, et sa signature.",
        ),
        (
            "indent",
            "L'original est remis au patient. Le masseur-kinésithérapeute en informe le "
            "médecin prescripteur par tout moyen garantissant la confidentialité des informations "
            "transmises.",
        ),
        ("", "(4) Art. D. 1172-2-1. CSP."),
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
    """The form's stylesheet, parsed once per process (bench/RESULTS.md).

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
    # The Django backend's Template has `origin`; the stubs' _EngineTemplate protocol omits it.
    source = Path(template.origin.name).read_bytes()  # type: ignore[attr-defined]
    parts = [source, json.dumps(NOTES, ensure_ascii=False).encode()]
    parts += [_static_file(path)[0] for path in (CSS_STATIC_PATH, *CSS_ASSETS)]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


# --- What is printed --------------------------------------------------------------------------
def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def verification_url(prescription: Prescription) -> str:
    """The public verification page with the reference and the code, as the QR code carries
    them (both are printed on the paper already; never a name nor health data)."""
    query = urlencode({"ref": prescription.reference, "code": prescription.verification_code})
    return f"{_site_url(reverse('verify'))}?{query}"


def _cut(text: str, budget: str) -> tuple[str, bool]:
    """`text` as printed in its box: whole, or cut at a word within its budget (then True)."""
    max_chars, max_lines = PAGE_BUDGETS[budget]
    lines = text.splitlines()
    if len(text) <= max_chars and len(lines) <= max_lines:
        return text, False
    head = "\n".join(lines[:max_lines])
    if len(head) > max_chars:
        head = head[:max_chars]
        space = head.rfind(" ", max_chars // 2)  # at a word, unless that loses half the box
        if space > 0:
            head = head[:space]
    return head.rstrip(), True


def _w3c_datetime(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _qr_data_uri(url: str) -> str:
    """The QR code of `url` as a PNG data URI (segno's own), `QR_PIXELS_PER_MODULE` pixels a
    module, no quiet zone (the verification box around it leaves one).

    A PNG, not an SVG: WeasyPrint parsed and drew the SVG's path in Python at each render, about
    5 % of it; an image is decoded once and embedded as is. The CSS draws it with
    `image-rendering: pixelated`, so that viewers do not smooth the modules. A fixed mask (any
    of the eight is valid, ISO/IEC 18004 §7.8): segno otherwise scores all eight, which is two
    thirds of its time.
    """
    return segno.make(url, error="m", mask=0).png_data_uri(scale=QR_PIXELS_PER_MODULE, border=0)


# The apps above print the same QR code on their documents (bilans.pdf).
qr_data_uri = _qr_data_uri


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

    annex = []
    cut_texts = set()

    def printed(title: str, text: str, budget: str) -> str:
        shown, cut = _cut(text, budget)
        if cut:
            annex.append({"title": title, "text": text})
            cut_texts.add(budget)
        return shown

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
            "text": printed(
                "Adaptations prescrites par le masseur-kinésithérapeute",
                renewal.recommendations_text,
                "physio_text",
            ),
            "text_cut": "physio_text" in cut_texts,
            "recorded_at": date_format(timezone.localtime(renewal.created_at), "d/m/Y à H:i")
            if renewal.created_at
            else "",
        }

    confirmed = assessment.confirmed_level if assessment else None
    computed = assessment.computed_level if assessment else None
    level_labels = dict(levels)  # the plural labels of the pages and the tool ("Minimales")
    recommendations_text = printed(
        "Préconisations d'activité", prescription.recommendations_text, "recommendations_text"
    )
    restrictions_text = printed(
        "Restrictions et/ou limitations fonctionnelles à prendre en compte",
        prescription.restrictions_text,
        "restrictions_text",
    )
    oui_reason = printed(
        "Indication qui nécessite le renouvellement et l'adaptation de la prescription par un "
        "médecin",
        prescription.physician_renewal_reason,
        "oui_reason",
    )
    # Order of the annex: the order of the form (the adaptation, on page 2, was cut first).
    annex.sort(key=lambda part: part["title"].startswith("Adaptations"))
    # R-P4: the form is dated the day it is signed: `prescribed_on`, which
    # `services.prescription_issue` sets to that day whatever the path that signs (a draft shows
    # the day it was last saved, marked as a draft).
    form_date = prescription.prescribed_on
    # R-R2, R-R4: the instruction to the physiotherapist only while a renewal remains possible.
    renewable = (
        renewal is None
        and not prescription.physician_renewal_required
        and prescription.status in (Prescription.Status.ISSUED, Prescription.Status.EXPIRED)
    )
    return {
        "draft": prescription.status == Prescription.Status.DRAFT,
        "cancelled": prescription.status == Prescription.Status.CANCELLED,
        "reference": prescription.reference,
        "verification_code": prescription.verification_code,
        "verification_url": verification_url(prescription),
        "verification_page": _site_url(reverse("verify")),
        "lookup_page": _site_url(reverse("prescriptions:lookup")),
        "renewable": renewable,
        "date": _d(form_date),
        "created": _w3c_datetime(prescription.issued_at) if prescription.issued_at else "",
        "patient_name": patient.full_name,
        "duration": f"{prescription.duration_months} mois",
        "start": _d(prescription.start_date),
        "end": _d(prescription.end_date),
        "recommendations_summary": prescription.recommendations_summary(),
        "recommendations_text": recommendations_text,
        "restriction_picks": prescription.restriction_pick_labels,
        "restrictions_text": restrictions_text,
        "level": level_labels.get(confirmed, "") if confirmed is not None else "",
        "level_is_severe": confirmed == rules.LimitationLevel.SEVERE,
        "computed_level": level_labels.get(computed, "") if computed is not None else "",
        "level_differs": assessment is not None and computed != confirmed,
        "oui": prescription.physician_renewal_required,
        "oui_reason": oui_reason,
        "annex": annex,
        "cut": sorted(cut_texts),
        "annex_page": ANNEX_PAGE,
        "prescriber_name": prescriber.display_name,
        "prescriber_rpps": prescriber.rpps,
        "prescriber_structure": structure.name if structure else "",
        "prescriber_city": structure.city if structure else "",
        # R-R7: how the physiotherapist informs the prescriber.
        "prescriber_address": prescriber.professional_address,
        "prescriber_phone": prescriber.professional_phone,
        "prescriber_secure_email": prescriber.secure_email,
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
    extra = {"qr_data_uri": _qr_data_uri(context["verification_url"]), "notes": NOTES}
    if not context["created"]:  # a draft: created now (never stored, so never digested)
        extra["created"] = _w3c_datetime(timezone.now())
    return render_to_string(TEMPLATE_NAME, {**context, **extra})


def render_prescription_pdf(
    prescription: Prescription, *, context: dict[str, Any] | None = None
) -> bytes:
    """Render the official form, filled, as A4 PDF bytes (no storage): tagged PDF/UA-1, with its
    title, author (the prescriber), subject, language and creation date; sealed unless it is a
    draft (or sealing is off: `APA_PDF_SEAL`)."""
    from weasyprint import HTML

    context = pdf_context(prescription) if context is None else context
    html = render_prescription_html(prescription, context=context)
    document = HTML(
        string=html, base_url=PDF_BASE_URL, url_fetcher=static_only_url_fetcher_class()()
    )
    with _cyclic_gc_paused():
        content = document.write_pdf(
            stylesheets=[stylesheet()], font_config=font_configuration(), pdf_variant="pdf/ua-1"
        )
        if context["draft"] or not seal.sealing_enabled():
            return content
        return seal.seal_pdf(
            content,
            reason=f"Cachet électronique APA Portal : prescription {context['reference']}",
            location=settings.SITE_URL,
        )


@contextmanager
def _cyclic_gc_paused():
    """Pause the cyclic garbage collector while WeasyPrint renders (bench/RESULTS.md).

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
    try:
        return _store(prescription, key, content)
    except DatabaseError as exc:
        # The store refuses (full, read-only, ...): what was rendered is served all the same,
        # and the background task stores it later (retried, kernel.worker). Not the message of
        # the error: it could quote what was being written.
        logger.error(
            "PDF of prescription id=%s rendered but not stored (%s): served; queued for storing.",
            prescription.pk,
            type(exc).__name__,
        )
        from .tasks import prerender_pdf_on_commit  # noqa: PLC0415 (tasks imports this module)

        prerender_pdf_on_commit(prescription)
        return content


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
    stored it at the same moment, theirs is kept and returned. Any other database error is
    raised (inside its own savepoint: the caller's transaction stays usable)."""
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
