"""The official form as a PDF (arrêté du 28 décembre 2023), the physiotherapist's part (R-R6),
the kept originals, and the second edition: nothing lost, stable layout, sealed, tagged.
Text is read back with pypdf and poppler's pdftotext, as a Caisse's software or a person would;
the seal is validated with pyHanko, as `pyhanko sign validate` does."""

import hashlib
import io
import re
import shutil
import subprocess
from datetime import timedelta

import pypdf
import pytest
import segno
import time_machine
from django.conf import settings
from django.utils import timezone

from prescriptions import pdf, seal
from prescriptions.content import Recommendations
from prescriptions.models import Prescription, RenderedPdf, Renewal
from prescriptions.rules import LimitationLevel, RestrictionPick
from prescriptions.services import prescription_renew
from tests import factories

# REFERENCE.md section 9, verbatim, cut where the form leaves a line to fill ("....."). In order.
PHYSICIAN_SENTENCES = [
    "FORMULAIRE DE PRESCRIPTION D'ACTIVITÉ PHYSIQUE ADAPTÉE",
    "Date :",
    "Nom et prénom du patient :",
    "Je prescris une activité physique adaptée, pour une durée de :",
    "(La durée de prescription est de 3 à 6 mois renouvelable (1)), à adapter en fonction de "
    "l'évolution des aptitudes du patient.",
    "Préconisations d'activité, selon les référentiels d'aide à la prescription d'activité "
    "physique lorsqu'ils existent (2) :",
    "(type d'activité à libeller sous la forme et en fonction de l'état de santé du patient "
    "d'exercices d'endurance, de renforcement musculaire, travail de l'équilibre, de la "
    "souplesse, la coordination à réaliser, fréquence, intensité)",
    "Restrictions et/ou limitations fonctionnelles à prendre en compte :",
    "Cette prescription ouvre droit au patient à la réalisation d'un bilan d'évaluation de sa "
    "condition physique et de ses capacités fonctionnelles ainsi qu'à un bilan motivationnel par "
    "une personne qualifiée (masseur-kinésithérapeute, ergothérapeute, psychomotricien, "
    "intervenant en activité physique adaptée formé à la réalisation de ces évaluations), à "
    "l'entrée puis à la fin du programme d'activité physique adaptée, en référence à l'article "
    "D. 1172-2 du code de la santé publique.",
    "Le patient présente-t-il une indication qui nécessite le renouvellement et l'adaptation de "
    "la prescription par un médecin ? (3) : NON OUI (si oui, laquelle) :",
    "Signature du médecin :",
]
PHYSIO_SENTENCES = [
    "Partie destinée au masseur-kinésithérapeute",
    "A compléter par le masseur-kinésithérapeute en cas de renouvellement ou adaptation de la "
    "prescription médicale initiale ci-dessus (renouvellement ou adaptation limité à 1 fois), "
    "dont le médecin doit être informé (4)",
    "Tampon du masseur-kinésithérapeute :",
    "Date :",
    "Nom et prénom du patient :",
    "Renouvellement de prescription initiale :",
    "Je renouvelle la prescription d'activité physique adaptée ci-dessus pour une durée de "
    "(3 à 6 mois maximum)",
    "ou",
    "Adaptation de prescription initiale :",
    "Je prescris les adaptations suivantes (préciser le type d'activité à libeller sous la forme "
    "et en fonction de l'état du patient d'exercices d'endurance, de renforcement musculaire, "
    "travail de l'équilibre, de la souplesse, la coordination à réaliser, la fréquence, "
    "l'intensité) :",
    "Pour une durée de : (3 à 6 mois maximum)",
    "Signature du masseur-kinésithérapeute :",
]
# Seed 003, the last (cleanest) version of the notes.
FOOTNOTES = [
    "(1) Article D. 1172-2 du CSP. Décret n° 2023-234 du 30 mars 2023 relatif aux conditions de "
    "prescription et de dispensation de l'activité physique adaptée.",
    "(2) Se référer au site de la Haute Autorité de santé https://www.has-sante.fr/jcms/"
    "c_2876862/fr/consultation-et-prescription-medicale-d-activite-physique-a-des-fins-de-sante.",
    "(3) Art. D. 1172-2-1. CSP : avec l'accord du patient, le masseur-kinésithérapeute peut, "
    "sauf indication contraire du médecin, renouveler une fois la prescription médicale initiale "
    "d'activité physique adaptée à l'échéance de la durée de celle-ci ou du nombre de séances "
    "prescrites ou l'adapter en termes de type d'activité, d'intensité, de fréquence et de durée, "
    "sur le formulaire spécifique prévu à l'article D. 1172-2, aux conditions suivantes :",
    "1° Le compte rendu et les bilans mentionnés à l'article D. 1172-5 ne rapportent pas de "
    "difficulté ou de risque dans la pratique de l'activité physique adaptée susceptible de "
    "nuire à la santé du patient ;",
    "2° Le médecin intervenant dans la prise en charge n'a pas émis d'indication contraire en "
    "amont ou en aval de la transmission du compte rendu et des bilans mentionnés à l'article "
    "D. 1172-5.",
    "Le renouvellement de la prescription médicale par le masseur-kinésithérapeute tient compte "
    "des propositions relatives à la poursuite de l'activité figurant dans ce compte rendu et "
    "les bilans susmentionnés ou l'adapte aux besoins du patient.",
    "Le masseur-kinésithérapeute porte sur l'original du formulaire spécifique de prescription, "
    "présenté par le patient, le renouvellement ou l'adaptation qu'il réalise en apposant les "
    "indications suivantes :",
    "a) Son identification complète : nom, prénom et numéro d'identification ;",
    "b) La mention « Renouvellement/Adaptation (le cas échéant) de prescription médicale "
    "d'activité physique adaptée » ;",
    "c) La date à laquelle le masseur-kinésithérapeute effectue ce renouvellement ou cette "
    "adaptation, et sa signature.",
    "L'original est remis au patient. Le masseur-kinésithérapeute en informe le médecin "
    "prescripteur par tout moyen garantissant la confidentialité des informations transmises.",
    "(4) Art. D. 1172-2-1. CSP.",
]
# Seed 003, "OUTIL D'AIDE À LA DÉTERMINATION DES LIMITATIONS FONCTIONNELLES" (two typos of the
# seed corrected: "MARCHÉ" -> "MARCHE", "CÉRÉBRALE SET" -> "CÉRÉBRALES ET").
TOOL_SENTENCES = [
    "OUTIL D'AIDE À LA DÉTERMINATION DES LIMITATIONS FONCTIONNELLES",
    "Le degré de limitation fonctionnelle ne correspond pas à la sévérité de la pathologie mais "
    "aux limitations locomotrices, cérébrales, sensorielles et de douleur du patient. Chaque "
    "fonction doit être individuellement évaluée. La limitation fonctionnelle résultante de votre "
    "patient correspond théoriquement à la limitation la plus sévère qui aura été cochée (cf : "
    "modèle en ligne sur le site mon sport santé PACA)",
    "FONCTIONS LOCOMOTRICES (NEUROMUSCULAIRE, OSTEOARTICULAIRE, ENDURANCE À L'EFFORT MARCHE, "
    "FORCE) :",
    "Aucune Minimales Modérées Sévères",
    "FONCTIONS CÉRÉBRALES (COGNITIF, LANGAGE, ANXIÉTÉ / DÉPRESSION) :",
    "Aucune Minimales Modérées Sévères",
    "FONCTIONS SENSORIELLES (VISUELLE, SENSITIVE, AUDITIVE, PROPRIOCEPTIVES) ET DOULEUR :",
    "Aucune Minimales Modérées Sévères",
    "DÉTAIL des indicateurs de la LIMITATION FONCTIONNELLE SÉVÈRE :",
    "FONCTIONS LOCOMOTRICES : Altération de la motricité et du tonus et / ou altération "
    "d'amplitude sur plusieurs articulations affectant la gestuelle et l'activité au quotidien, "
    "fatigue invalidante dès le moindre mouvement, ne peut vaincre la résistance pour plusieurs "
    "groupes musculaires, distance parcourue en marche en 6 mn inférieure à 150 mètres",
    "FONCTIONS CÉRÉBRALES ET COGNITIVES : Mauvaise stratégie cognitive pour un mauvais résultat, "
    "échec, fonction langagière empêchant toute compréhension ou expression, manifestations "
    "sévères d'anxiété et/ou de dépression",
    "FONCTIONS SENSORIELLES : Vision ne permettant pas la lecture ni l'écriture, circulation "
    "seul impossible dans un environnement non familier, stimulations sensibles non perçues, non "
    "localisées, surdité profonde, déséquilibre sans rééquilibrage, chutes fréquentes lors des "
    "activités au quotidien, douleurs constantes avec ou sans activité",
    "SEULS LES PROFESSIONNELS DE SANTÉ (kinésithérapeutes, ergothérapeutes et psychomotriciens) "
    "SONT HABILITÉS À SUPERVISER L'ACTIVITÉ PHYSIQUE ADAPTÉE POUR les patients présentant une "
    "limitation fonctionnelle sévère (pour les kinés, hors actes de rééducation pris en charge "
    "par l'assurance maladie, et dans la limite de leurs compétences, à savoir bilan "
    "kinésithérapique et gymnastique hygiénique, d'entretien ou préventive). Les patients AVEC "
    "LIMITATION FONCTIONNELLE SÉVÈRE pourront être orientés, en fonction du bilan effectué en fin "
    "de cycle par le professionnel de santé et en concertation avec le médecin traitant, vers un "
    "enseignant en activité adaptée pour poursuivre sa pratique.",
    "Pour tout complément d'informations concernant les limitations fonctionnelles et les "
    "intervenants habilités, se référer aux annexes 2 et 3 de l'INSTRUCTION INTERMINISTÉRIELLE "
    "N° DGS/EA3/DGESIP/DS/SG/2017/81 du 3 mars 2017",
    "ATTENTION, CET OUTIL N'EST QU'UNE AIDE À LA DÉCISION. IL APPARTIENT AU MÉDECIN D'IDENTIFIER "
    "LA LIMITATION FONCTIONNELLE DE SON PATIENT.",
]
R_R6_MENTION = (
    "« Renouvellement/Adaptation (le cas échéant) de prescription médicale d'activité physique "
    "adaptée »"
)


def squash(text: str) -> str:
    """Without any whitespace nor tick box (☐, ☒): line breaks fall anywhere (a wrapped URL, a
    column), and the sentences of the model are compared without their boxes."""
    return re.sub(r"[\s☐☒]+", "", text)


def pages_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def embedded_images(content: bytes) -> list:
    """Each image object of the PDF once (a tick is one image, drawn in every ticked box)."""
    found = {}

    def walk(resources):
        for ref in (resources or {}).get("/XObject", {}).values():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Image":
                found.setdefault(ref.idnum, xobject)
            elif xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in pypdf.PdfReader(io.BytesIO(content)).pages:
        walk(page.get("/Resources"))
    return list(found.values())


def text_of(content: bytes) -> str:
    return "\n".join(pages_text(content))


def assert_in_order(text: str, sentences: list[str], start: int = 0) -> int:
    """Each sentence is found after the previous one; returns where the last one ends."""
    haystack = squash(text)
    position = start
    for sentence in sentences:
        found = haystack.find(squash(sentence), position)
        assert found >= 0, f"not found (in order): {sentence!r}"
        position = found + len(squash(sentence))
    return position


def loaded(prescription: Prescription) -> Prescription:
    """As the views load it (prescriptions.selectors.prescription_get_visible)."""
    return Prescription.objects.select_related(
        "patient", "prescriber__structure", "assessment", "renewal__physiotherapist"
    ).get(pk=prescription.pk)


@pytest.fixture
def adaptation(issued_prescription, physiotherapist):
    return prescription_renew(
        prescription=issued_prescription,
        physiotherapist=physiotherapist,
        kind=Renewal.Kind.ADAPTATION,
        duration_months=4,
        patient_agreement=True,
        no_risk_attestation=True,
        adaptations=Recommendations(
            **{
                "activity_types": ["balance"],
                "sessions_per_week": 3,
                "intensity": "light",
                "recommendations_text": "Ajout d'exercices d'équilibre en groupe",
            }
        ),
        today=issued_prescription.end_date,
    )


# --- The official form, verbatim and filled ----------------------------------------------------
def test_pdf_prints_every_sentence_of_the_official_form_in_order(issued_prescription):
    text = text_of(pdf.render_prescription_pdf(loaded(issued_prescription)))

    # Notes (1)-(4) after the physician's part and again after the physiotherapist's part, as in
    # the official model.
    end_of_physician_part = assert_in_order(text, PHYSICIAN_SENTENCES)
    end_of_first_notes = assert_in_order(text, FOOTNOTES, end_of_physician_part)
    end_of_physio_part = assert_in_order(text, PHYSIO_SENTENCES, end_of_first_notes)
    end_of_notes = assert_in_order(text, FOOTNOTES, end_of_physio_part)
    assert_in_order(text, TOOL_SENTENCES, end_of_notes)


def test_pdf_is_an_a4_form_of_three_fixed_pages(issued_prescription):
    reader = pypdf.PdfReader(io.BytesIO(pdf.render_prescription_pdf(loaded(issued_prescription))))

    assert len(reader.pages) == 3
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    page_1, page_2, page_3 = (squash(page.extract_text()) for page in reader.pages)
    # Page 1: the physician's part, its signature and the notes; page 2: the physiotherapist's
    # part and the notes again; page 3: the decision aid.
    assert squash("Signature du médecin :") in page_1 and squash(FOOTNOTES[-1]) in page_1
    assert squash("Partie destinée au masseur-kinésithérapeute") in page_2
    assert squash(FOOTNOTES[0]) in page_2 and squash(FOOTNOTES[-1]) in page_2
    assert squash("OUTIL D'AIDE À LA DÉTERMINATION") in page_3


def test_pdf_is_filled_with_the_prescription_with_accents_intact(prescriber, patient):
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        activity_types=["balance", "endurance"],
        sessions_per_week=3,
        intensity="moderate",
        session_minutes=40,
        recommendations_text="Marche nordique, progressivité",
        restriction_picks=[RestrictionPick.NO_COLD, RestrictionPick.TREATMENTS],
        restrictions_text="Bêtabloquants : se fier à l'échelle de Borg",
        assessment=factories.assessment_data(
            locomotor=LimitationLevel.MODERATE, confirmed_level=LimitationLevel.MODERATE
        ),
    )
    text = text_of(pdf.render_prescription_pdf(loaded(prescription)))

    assert timezone.localdate(prescription.issued_at).strftime("%d/%m/%Y") in text
    assert f"{patient.birth_name.upper()} Hélène" in text
    assert "pour une durée de : 3 mois" in text
    assert (
        "Endurance, Équilibre ; 3 séances par semaine ; 40 minutes par séance ; "
        "intensité modérée (Borg 12 à 13)"
    ) in text
    assert "Marche nordique, progressivité" in text
    assert "Éviter efforts en ambiance froide ; Traitements à prendre en compte" in text
    assert "Bêtabloquants : se fier à l'échelle de Borg" in text
    # The level's label of the pages and of the tool (plural), not a singular of its own.
    assert "Limitation fonctionnelle retenue par le médecin : Modérées" in text
    # The prescriber's identity and the electronic signature.
    assert "Dr Claire MARTIN" in text
    assert f"RPPS : {prescriber.rpps}" in text
    assert "Maison Sport-Santé de Lyon" in text
    signed = timezone.localtime(prescription.issued_at).strftime("%d/%m/%Y")
    assert squash(f"Émise le {signed}") in squash(text)
    # The box says what the seal is, and that it does not replace the handwritten signature.
    assert squash("cachet électronique de la plateforme (signature PAdES)") in squash(text)
    assert squash("ne remplace pas la signature manuscrite du médecin") in squash(text)
    assert "Signé électroniquement" not in text


def test_pdf_ticks_non_by_default_and_oui_with_the_reason(prescriber, patient):
    # The ticks are text (☒ ticked, ☐ not): extracted text and screen readers say which.
    non = factories.make_prescription(prescriber=prescriber, patient=patient)
    oui = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        physician_renewal_required=True,
        physician_renewal_reason="Insuffisance cardiaque à réévaluer",
    )

    text_non = text_of(pdf.render_prescription_pdf(loaded(non)))
    text_oui = text_of(pdf.render_prescription_pdf(loaded(oui)))

    assert "☒ NON ☐ OUI (si oui, laquelle) :" in text_non
    assert "☐ NON ☒ OUI (si oui, laquelle) : Insuffisance cardiaque à réévaluer" in text_oui


def test_pdf_ticks_the_three_ratings_and_the_severe_indicators(prescriber, patient):
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        assessment=factories.assessment_data(
            locomotor=LimitationLevel.SEVERE,
            cerebral=LimitationLevel.NONE,
            sensory=LimitationLevel.MINIMAL,
            severe_indicators=["loc_walk"],
            confirmed_level=LimitationLevel.SEVERE,
        ),
    )
    context = pdf.pdf_context(loaded(prescription))

    ticked = [[lv["label"] for lv in f["levels"] if lv["ticked"]] for f in context["functions"]]
    assert ticked == [["Sévères"], ["Aucune"], ["Minimales"]]
    marked = [i["label"] for d in context["severe_details"] for i in d["items"] if i["ticked"]]
    assert marked == ["distance parcourue en marche en 6 mn inférieure à 150 mètres"]
    text = text_of(pdf.render_prescription_pdf(loaded(prescription)))
    # The ticks, as text, in the tool.
    assert "☐ Aucune ☐ Minimales ☐ Modérées ☒ Sévères" in text
    assert "☒ Aucune ☐ Minimales ☐ Modérées ☐ Sévères" in text
    assert "☐ Aucune ☒ Minimales ☐ Modérées ☐ Sévères" in text
    assert squash("☒ distance parcourue en marche en 6 mn") in re.sub(r"\s+", "", text)
    # R-L4: a severe limitation is supervised by health professionals only.
    assert "Limitation fonctionnelle retenue par le médecin : Sévères" in text
    assert "encadrement par des professionnels de santé uniquement" in text


def test_reference_and_page_number_are_on_every_page(issued_prescription):
    pages = pages_text(pdf.render_prescription_pdf(loaded(issued_prescription)))

    for number, page in enumerate(pages, start=1):
        assert issued_prescription.reference in page
        assert issued_prescription.verification_code in page
        assert f"page {number} / {len(pages)}" in page


def test_qr_code_carries_the_verification_url_with_reference_and_code(issued_prescription):
    prescription = loaded(issued_prescription)

    url = pdf.verification_url(prescription)
    html = pdf.render_prescription_html(prescription)

    assert url == (
        f"{settings.SITE_URL.rstrip('/')}/verifier/"
        f"?ref={prescription.reference}&code={prescription.verification_code}"
    )
    assert f'src="{pdf._qr_data_uri(url)}"' in html.replace("&amp;", "&")
    assert pdf._qr_data_uri(url).startswith("data:image/png;base64,")


def test_qr_code_in_the_pdf_is_the_symbol_of_the_url_module_for_module_and_unsmoothed(
    issued_prescription,
):
    # A PNG: each module a square of QR_PIXELS_PER_MODULE black or white pixels, drawn
    # without interpolation so that viewers keep the modules sharp.
    prescription = loaded(issued_prescription)
    matrix = segno.make(pdf.verification_url(prescription), error="m", mask=0).matrix
    scale = pdf.QR_PIXELS_PER_MODULE
    size = len(matrix) * scale

    images = embedded_images(pdf.render_prescription_pdf(prescription))

    [qr] = [i for i in images if i["/Width"] == size]
    assert qr["/Interpolate"].value is False  # pypdf's BooleanObject is always truthy
    assert (qr["/Height"], qr["/BitsPerComponent"]) == (size, 8)
    pixels = qr.decode_as_image().convert("L").load()  # segno's PNG, embedded in colour
    for y in range(size):
        for x in range(size):
            assert pixels[x, y] == (0 if matrix[y // scale][x // scale] else 255), (x, y)


def test_tick_boxes_are_glyphs_of_a_shipped_font_digested_with_the_stylesheet(
    issued_prescription,
):
    font, _mime = pdf._static_file("fonts/DejaVuSans-Ticks.ttf")

    content = pdf.render_prescription_pdf(loaded(issued_prescription))

    assert "fonts/DejaVuSans-Ticks.ttf" in pdf.CSS_ASSETS  # a new font renders the forms again
    assert font.startswith(b"\x00\x01\x00\x00")  # TrueType
    assert embedded_images(content) == [embedded_images(content)[0]]  # the QR code only
    assert "☒ NON ☐ OUI" in text_of(content)


def test_fonts_are_shipped_and_embedded(issued_prescription):
    reader = pypdf.PdfReader(io.BytesIO(pdf.render_prescription_pdf(loaded(issued_prescription))))

    embedded = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (
                font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                if "/DescendantFonts" in font
                else font["/FontDescriptor"]
            )
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            embedded.add(str(font["/BaseFont"]).split("+", 1)[-1])
    assert {"APA-Form-Sans", "APA-Form-Sans-Bold", "APA-Form-Ticks"} <= embedded


# --- The physiotherapist's part (R-R6) --------------------------------------------------------
def test_physiotherapist_part_is_blank_before_a_renewal(issued_prescription, physiotherapist):
    text = text_of(pdf.render_prescription_pdf(loaded(issued_prescription)))

    assert_in_order(text, PHYSIO_SENTENCES)
    # The R-R6 mention is in the notes only (printed twice), not yet in the physiotherapist's part.
    assert squash(text).count(squash(R_R6_MENTION)) == 2
    assert physiotherapist.rpps not in text
    assert "MOREAU" not in text


def test_physiotherapist_part_is_filled_after_a_renewal(issued_prescription, renewal):
    text = text_of(pdf.render_prescription_pdf(loaded(issued_prescription)))
    flat = squash(text)

    # R-R6 a) identity, b) the mention, c) the date and the signature.
    assert f"MOREAU Julien, masseur-kinésithérapeute, RPPS : {renewal.physio_rpps}" in text
    assert flat.count(squash(R_R6_MENTION)) == 3
    performed = renewal.performed_on.strftime("%d/%m/%Y")
    assert squash(f"Date : {performed} Nom et prénom du patient :") in flat
    assert (
        squash(
            "pour une durée de (3 à 6 mois maximum) 3 mois "
            f"(du {renewal.start_date:%d/%m/%Y} au {renewal.end_date:%d/%m/%Y})"
        )
        in flat
    )
    signed = timezone.localtime(renewal.created_at).strftime("%d/%m/%Y")
    assert squash(f"Enregistré le {signed}") in flat
    assert squash(f"par Julien MOREAU (RPPS {renewal.physio_rpps})") in flat
    # The physician's part is unchanged.
    assert_in_order(text, PHYSICIAN_SENTENCES)
    assert "Marche nordique" in text
    assert "☒ Renouvellement de prescription initiale" in text
    assert "☐ Adaptation de prescription initiale" in text


def test_physiotherapist_part_is_filled_after_an_adaptation(issued_prescription, adaptation):
    text = text_of(pdf.render_prescription_pdf(loaded(issued_prescription)))
    flat = squash(text)

    assert f"RPPS : {adaptation.physio_rpps}" in text
    assert flat.count(squash(R_R6_MENTION)) == 3
    assert squash("Équilibre ; 3 séances par semaine ; intensité légère (Borg 10 à 11)") in flat
    assert "Ajout d'exercices d'équilibre en groupe" in text
    assert squash("Pour une durée de : (3 à 6 mois maximum) 4 mois") in flat
    assert "☐ Renouvellement de prescription initiale" in text
    assert "☒ Adaptation de prescription initiale" in text


# --- Safety: user text is text, and nothing is fetched but our static files -------------------
HOSTILE = (
    '<img src="file:///etc/passwd"> <img src="http://example.org/x.png"> <script>alert(1)</script>'
)


def test_html_typed_in_free_text_is_printed_as_text_and_never_fetched(
    prescriber, patient, monkeypatch
):
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        recommendations_text=HOSTILE,
        restrictions_text=HOSTILE,
        physician_renewal_required=True,
        physician_renewal_reason=HOSTILE,
    )
    asked = []
    real_policy = pdf.fetch_static_or_data

    def spy(url):
        asked.append(url)
        return real_policy(url)

    monkeypatch.setattr(pdf, "fetch_static_or_data", spy)

    text = text_of(pdf.render_prescription_pdf(loaded(prescription)))

    assert squash(text).count(squash(HOSTILE)) == 3
    assert asked, "the stylesheet and the fonts go through the fetcher"
    assert all(u.startswith((pdf._STATIC_PREFIX, "data:")) for u in asked), asked
    assert not [u for u in asked if "passwd" in u or "example.org" in u]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/x.png",
        "https://example.org/x.png",
        "ftp://example.org/x",
        "https://pdf.apa-portal.invalid/etc/passwd",
        "https://pdf.apa-portal.invalid/static/../apa_portal/settings.py",
        "https://pdf.apa-portal.invalid/static/pdf/nothing-here.css",
        "/static/pdf/prescription.css",
    ],
)
def test_fetcher_refuses_every_url_but_static_files_and_data(url):
    fetcher = pdf.static_only_url_fetcher_class()()

    with pytest.raises(pdf.PdfFetchRefused):
        fetcher.fetch(url)


def test_fetcher_serves_static_files_and_data_uris():
    fetcher = pdf.static_only_url_fetcher_class()()

    css = fetcher.fetch(pdf._STATIC_PREFIX + "pdf/prescription.css")
    font = fetcher.fetch(pdf._STATIC_PREFIX + "fonts/LiberationSans-Regular.ttf")
    data = fetcher.fetch("data:text/plain;base64,Qm9uam91cg==")

    assert css.content_type == "text/css" and b"@font-face" in css.read()
    assert font.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    assert data.read() == b"Bonjour"


def test_a_refused_image_is_skipped_not_fetched_by_weasyprint(monkeypatch):
    from weasyprint import HTML

    asked = []
    real_policy = pdf.fetch_static_or_data

    def spy(url):
        asked.append(url)
        return real_policy(url)

    monkeypatch.setattr(pdf, "fetch_static_or_data", spy)
    html = '<p>x</p><img src="file:///etc/passwd"><img src="http://example.org/x.png">'

    content = HTML(
        string=html, base_url=pdf.PDF_BASE_URL, url_fetcher=pdf.static_only_url_fetcher_class()()
    ).write_pdf()

    assert content.startswith(b"%PDF")
    assert asked == ["file:///etc/passwd", "http://example.org/x.png"]  # asked, and refused


# --- Kept originals ------------------------------------------------------------------------------
def test_second_download_is_served_from_the_stored_original(issued_prescription, render_spy):
    first = pdf.prescription_pdf_bytes(loaded(issued_prescription))
    second = pdf.prescription_pdf_bytes(loaded(issued_prescription))

    assert first == second
    assert len(render_spy) == 1
    stored = RenderedPdf.objects.get(prescription=issued_prescription)
    assert bytes(stored.pdf) == first
    assert stored.sha256 == hashlib.sha256(first).hexdigest()
    assert stored.size == len(first)


def test_cached_download_takes_one_query(issued_prescription, django_assert_num_queries):
    prescription = loaded(issued_prescription)
    pdf.prescription_pdf_bytes(prescription)

    # 1: the stored PDF for this prescription and content key (everything else is loaded).
    with django_assert_num_queries(1):
        pdf.prescription_pdf_bytes(prescription)


def test_a_renewal_renders_a_new_version_and_keeps_the_old_one(
    issued_prescription, physiotherapist, render_spy
):
    before = pdf.prescription_pdf_bytes(loaded(issued_prescription))
    factories.renew(issued_prescription, physiotherapist)

    after = pdf.prescription_pdf_bytes(loaded(issued_prescription))
    again = pdf.prescription_pdf_bytes(loaded(issued_prescription))

    assert len(render_spy) == 2
    assert after == again != before
    assert "MOREAU Julien" in text_of(after)
    versions = RenderedPdf.objects.filter(prescription=issued_prescription)
    assert versions.count() == 2  # the original handed out before the renewal is kept
    assert {bytes(v.pdf) for v in versions} == {before, after}


def test_a_change_of_status_alone_does_not_render_again(issued_prescription, render_spy):
    pdf.prescription_pdf_bytes(loaded(issued_prescription))
    Prescription.objects.filter(pk=issued_prescription.pk).update(
        status=Prescription.Status.EXPIRED
    )

    pdf.prescription_pdf_bytes(loaded(issued_prescription))

    assert len(render_spy) == 1


def test_a_draft_is_marked_rendered_each_time_and_never_stored(draft_prescription, render_spy):
    first = pdf.prescription_pdf_bytes(loaded(draft_prescription))
    pdf.prescription_pdf_bytes(loaded(draft_prescription))

    assert len(render_spy) == 2
    assert "BROUILLON — non valable" in pages_text(first)[0]
    assert not RenderedPdf.objects.exists()


def test_a_stored_pdf_failing_its_checksum_is_not_served(issued_prescription, render_spy):
    good = pdf.prescription_pdf_bytes(loaded(issued_prescription))
    RenderedPdf.objects.update(pdf=b"%PDF-tampered")

    served = pdf.prescription_pdf_bytes(loaded(issued_prescription))

    assert served.startswith(b"%PDF-") and len(served) > 10_000
    assert len(good) > 10_000
    assert len(render_spy) == 2
    assert bytes(RenderedPdf.objects.get().pdf) == b"%PDF-tampered"  # kept as evidence


# --- Speed of the first render -------------------------------------------------------------------
def test_stylesheet_and_fonts_are_parsed_once_per_process(issued_prescription, monkeypatch):
    prescription = loaded(issued_prescription)
    pdf.render_prescription_pdf(prescription)  # the process's first render parses them
    asked = []
    real_policy = pdf.fetch_static_or_data

    def spy(url):
        asked.append(url)
        return real_policy(url)

    monkeypatch.setattr(pdf, "fetch_static_or_data", spy)

    content = pdf.render_prescription_pdf(prescription)

    assert "prescription.css" not in pdf.render_prescription_html(prescription)  # no <link>
    assert not [u for u in asked if u.endswith((".css", ".ttf"))], asked
    assert "page 2 / 3" in pages_text(content)[1]  # the cached stylesheet still applies


@pytest.mark.parametrize("enabled", [True, False])
def test_render_restores_the_garbage_collector_state(issued_prescription, enabled):
    import gc

    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        pdf.render_prescription_pdf(loaded(issued_prescription))
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


# --- Second edition: nothing lost, stable layout ----------------------------------------------
TOKEN = "https://exemple.fr/" + "X7" * 140 + "K"  # 300 characters, not one break opportunity
LONG_TEXT = ("Marche nordique progressive, renforcement des membres inférieurs. " * 80)[:5000]


def poppler(tmp_path, tool: str, content: bytes, *options: str) -> str:
    if shutil.which(tool) is None:  # .ci/run installs it; `make test` says when it is missing
        pytest.skip(f"{tool} is missing (apt-get install poppler-utils)")
    path = tmp_path / "form.pdf"
    path.write_bytes(content)
    result = subprocess.run(
        [tool, *options, str(path), "-"] if tool == "pdftotext" else [tool, *options, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def words_outside_the_page(tmp_path, content: bytes) -> list[str]:
    """Words whose box is not inside the page (pdftotext -bbox: one <word> per word)."""
    xhtml = poppler(tmp_path, "pdftotext", content, "-bbox")
    outside = []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', xhtml, re.S):
        width, height = float(page[1]), float(page[2])
        box = r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">'
        for word in re.finditer(box + r"(.*?)</word>", page[3]):
            x0, y0, x1, y1 = (float(word[i]) for i in range(1, 5))
            if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
                outside.append(word[5])
    return outside


def test_an_unbroken_token_wraps_whole_inside_the_page(prescriber, patient, tmp_path):
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        recommendations_text=TOKEN,
        restrictions_text=TOKEN,
        physician_renewal_required=True,
        physician_renewal_reason=TOKEN,  # over its box's budget: cut, then whole in the annex
    )
    content = pdf.render_prescription_pdf(loaded(prescription))

    text = poppler(tmp_path, "pdftotext", content)
    assert re.sub(r"\s+", "", text).count(TOKEN) == 3  # recommendations, restrictions, annex
    assert words_outside_the_page(tmp_path, content) == []
    # The cut reason points to the annex, which prints it whole.
    pages = pages_text(content)
    assert squash(f"suite en annexe, page {pdf.ANNEX_PAGE}") in squash(pages[0])
    annex = squash(pages[pdf.ANNEX_PAGE - 1])
    assert squash("ANNEXE : SUITE DES TEXTES DU FORMULAIRE") in annex and TOKEN in annex


def test_the_signature_stays_on_page_1_with_5000_character_texts(
    prescriber, patient, physiotherapist
):
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        recommendations_text=LONG_TEXT,
        restrictions_text=LONG_TEXT,
        restriction_picks=list(RestrictionPick),
        physician_renewal_required=False,
    )
    prescription_renew(
        prescription=prescription,
        physiotherapist=physiotherapist,
        kind=Renewal.Kind.ADAPTATION,
        duration_months=4,
        patient_agreement=True,
        no_risk_attestation=True,
        adaptations=Recommendations(
            **{"activity_types": ["balance"], "recommendations_text": LONG_TEXT}
        ),
        today=prescription.end_date,
    )

    pages = [squash(page) for page in pages_text(pdf.render_prescription_pdf(loaded(prescription)))]

    assert squash("Signature du médecin :") in pages[0] and squash("Émise le") in pages[0]
    assert squash(FOOTNOTES[-1]) in pages[0]
    assert squash("Signature du masseur-kinésithérapeute :") in pages[1]
    assert squash("Enregistré le") in pages[1] and squash(FOOTNOTES[-1]) in pages[1]
    assert squash("OUTIL D'AIDE À LA DÉTERMINATION") in pages[2]
    # The annex, without the header and footer of its pages: the three texts, whole.
    annex = "".join(pages[pdf.ANNEX_PAGE - 1 :])
    reference = prescription.reference
    annex = re.sub(rf"Patient:.*?Réf\.{reference}", "", annex)
    annex = re.sub(rf"Prescription{reference}·codedevérification\w+page\d+/\d+", "", annex)
    assert annex.count(squash(LONG_TEXT)) == 3
    assert pages[0].count(squash(f"suite en annexe, page {pdf.ANNEX_PAGE}")) == 2
    assert squash(f"suite en annexe, page {pdf.ANNEX_PAGE}") in pages[1]


def test_a_text_of_many_short_lines_is_cut_too():
    shown, cut = pdf._cut("\n".join(["ligne"] * 40), "recommendations_text")
    assert cut and shown.count("\n") == pdf.PAGE_BUDGETS["recommendations_text"][1] - 1
    assert pdf._cut("Court", "recommendations_text") == ("Court", False)


def test_every_page_carries_the_patient_the_date_the_reference_and_its_number(prescriber, patient):
    prescription = factories.make_prescription(
        prescriber=prescriber, patient=patient, recommendations_text=LONG_TEXT
    )
    pages = pages_text(pdf.render_prescription_pdf(loaded(prescription)))
    date = timezone.localdate(prescription.issued_at).strftime("%d/%m/%Y")

    assert len(pages) == 4  # with the annex
    for number, page in enumerate(pages, start=1):
        flat = squash(page)
        assert squash(f"Patient : {patient.full_name} · date : {date}") in flat, number
        assert squash(f"Réf. {prescription.reference}") in flat
        assert f"page {number} / {len(pages)}" in page


def test_the_form_is_dated_the_day_it_is_signed(prescriber, patient):
    # R-P4: a draft saved on one day and signed three days later is dated the day of signature.
    with time_machine.travel(timezone.now() - timedelta(days=3)):
        draft = factories.make_prescription(prescriber=prescriber, patient=patient, issue=False)
        saved_on = timezone.localdate()
    from prescriptions.services import prescription_issue

    issued = prescription_issue(prescription=draft, by=prescriber)
    signed_on = timezone.localdate(issued.issued_at)

    context = pdf.pdf_context(loaded(issued))
    text = text_of(pdf.render_prescription_pdf(loaded(issued)))

    assert signed_on != saved_on
    assert context["date"] == signed_on.strftime("%d/%m/%Y")
    assert squash(f"Date : {signed_on:%d/%m/%Y} Nom et prénom du patient") in squash(text)
    assert f"{saved_on:%d/%m/%Y}" not in context["date"]


def test_the_instruction_to_the_physiotherapist_only_while_a_renewal_is_possible(
    prescriber, patient, physiotherapist
):
    instruction = "Masseur-kinésithérapeute : pour renouveler ou adapter cette prescription"
    renewable = factories.make_prescription(prescriber=prescriber, patient=patient)
    oui = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        physician_renewal_required=True,
        physician_renewal_reason="Réévaluation cardiologique",
    )
    renewed = factories.make_prescription(prescriber=prescriber, patient=patient)
    factories.renew(renewed, physiotherapist)

    assert instruction in pdf.render_prescription_html(loaded(renewable))
    assert instruction not in pdf.render_prescription_html(loaded(oui))  # R-R4
    assert instruction not in pdf.render_prescription_html(loaded(renewed))  # R-R2


def test_the_prescriber_contact_is_printed_for_the_physiotherapist(prescriber, patient):
    # R-R7: the physiotherapist informs the prescriber; the form says how to reach them.
    prescriber.professional_address = "12 rue de la République, 69002 Lyon"
    prescriber.professional_phone = "04 78 00 00 00"
    prescriber.secure_email = "claire.martin@medecin.mssante.fr"
    prescriber.save()
    prescription = factories.make_prescription(prescriber=prescriber, patient=patient)

    text = squash(text_of(pdf.render_prescription_pdf(loaded(prescription))))

    assert squash("12 rue de la République, 69002 Lyon") in text
    assert squash("Tél. : 04 78 00 00 00") in text
    assert squash("Messagerie sécurisée de santé : claire.martin@medecin.mssante.fr") in text


def test_the_physiotherapist_part_is_sized_for_paper(issued_prescription):
    html = pdf.render_prescription_html(loaded(issued_prescription))
    physio = html[html.index('<div class="physio">') :]
    css, _mime = pdf._static_file(pdf.CSS_STATIC_PATH)

    assert physio.count('<p class="blank"></p>') == 5  # five ruled lines for adaptations
    assert re.search(r"\.stamp \.area \{[^}]*min-height: 2[0-9]mm", css.decode())


# --- Second edition: accessible, sealed ---------------------------------------------------------
def test_the_pdf_is_tagged_pdf_ua_1_with_its_metadata(issued_prescription, tmp_path):
    prescription = loaded(issued_prescription)
    content = pdf.render_prescription_pdf(prescription)

    info = poppler(tmp_path, "pdfinfo", content)
    xmp = poppler(tmp_path, "pdfinfo", content, "-meta")
    reader = pypdf.PdfReader(io.BytesIO(content))
    metadata = reader.metadata

    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert 'pdfuaid:part="1"' in xmp
    assert metadata.title == f"Prescription d'activité physique adaptée {prescription.reference}"
    assert metadata.author == "Dr Claire MARTIN"  # the prescriber
    assert "arrêté du 28 décembre 2023" in metadata.subject
    assert prescription.patient.birth_name.upper() not in metadata.subject
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert metadata.creation_date == prescription.issued_at.replace(microsecond=0)
    assert "/StructTreeRoot" in reader.trailer["/Root"]


def _validate(content: bytes, trusted_pem=None):
    """The seal and pyHanko's verdict, trusting the development certificate (or `trusted_pem`),
    as `pyhanko sign validate --trust dev-seal.pem` does."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    pem = trusted_pem or settings.APA_PDF_SEAL_DEV_DIR / seal.DEV_PEM_NAME
    trust = load_cert_from_pemder(str(pem))
    [signature] = PdfFileReader(io.BytesIO(content), strict=False).embedded_signatures
    return signature, validate_pdf_signature(signature, ValidationContext(trust_roots=[trust]))


def test_an_issued_form_is_sealed_and_pyhanko_finds_the_seal_intact(issued_prescription):
    content = pdf.prescription_pdf_bytes(loaded(issued_prescription))

    signature, status = _validate(content)

    assert status.intact and status.valid and status.bottom_line
    assert signature.field_name == seal.SEAL_FIELD_NAME
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert status.coverage.name == "ENTIRE_FILE"
    # What is stored is the sealed file, and its SHA-256 is the sealed bytes'.
    stored = RenderedPdf.objects.get(prescription=issued_prescription)
    assert bytes(stored.pdf) == content
    assert stored.sha256 == hashlib.sha256(content).hexdigest()


def test_pyhanko_flags_a_sealed_form_with_one_byte_changed(issued_prescription):
    content = pdf.render_prescription_pdf(loaded(issued_prescription))
    # One byte of the signed part: a letter of the producer in the document information.
    at = content.index(b"WeasyPrint") + len("WeasyPrin")
    tampered = content[:at] + b"T" + content[at + 1 :]
    assert len(tampered) == len(content) and tampered != content

    _signature, status = _validate(tampered)

    assert not status.intact and not status.bottom_line


def test_a_renewal_is_sealed_as_a_new_version_and_the_original_stays(
    issued_prescription, physiotherapist
):
    original = pdf.prescription_pdf_bytes(loaded(issued_prescription))
    factories.renew(issued_prescription, physiotherapist)

    renewed = pdf.prescription_pdf_bytes(loaded(issued_prescription))

    assert renewed != original
    assert _validate(renewed)[1].intact and _validate(original)[1].intact
    assert RenderedPdf.objects.filter(prescription=issued_prescription).count() == 2


def test_a_draft_is_not_sealed_and_sealing_can_be_turned_off(
    draft_prescription, issued_prescription, settings
):
    draft = pdf.render_prescription_pdf(loaded(draft_prescription))
    assert pypdf.PdfReader(io.BytesIO(draft)).trailer["/Root"].get("/AcroForm") is None

    settings.APA_PDF_SEAL = False
    unsealed = pdf.render_prescription_pdf(loaded(issued_prescription))
    assert pypdf.PdfReader(io.BytesIO(unsealed)).trailer["/Root"].get("/AcroForm") is None


def test_a_production_pkcs12_is_loaded_from_its_path(tmp_path, settings, issued_prescription):
    p12, pem = seal.make_development_pkcs12(password=b"secret-of-production")
    (tmp_path / "seal.p12").write_bytes(p12)
    settings.APA_PDF_SEAL_P12 = str(tmp_path / "seal.p12")
    settings.APA_PDF_SEAL_PASSWORD = "secret-of-production"
    seal.signer.cache_clear()
    seal._bytes_reserved.cache_clear()
    try:
        content = pdf.render_prescription_pdf(loaded(issued_prescription))
        (tmp_path / "seal.pem").write_bytes(pem)

        _signature, status = _validate(content, tmp_path / "seal.pem")
        assert status.intact and status.bottom_line  # sealed by this certificate
    finally:
        seal.signer.cache_clear()
        seal._bytes_reserved.cache_clear()


def test_a_form_is_sealed_from_a_thread_running_an_event_loop(issued_prescription, settings):
    # pyHanko runs asyncio.run(): an async caller (or Playwright's sync API) must not break it.
    import asyncio

    settings.APA_PDF_SEAL = False
    unsealed = pdf.render_prescription_pdf(loaded(issued_prescription))

    async def seal_in_a_coroutine():
        return seal.seal_pdf(unsealed, reason="Cachet électronique APA Portal")

    content = asyncio.run(seal_in_a_coroutine())

    assert _validate(content)[1].intact
