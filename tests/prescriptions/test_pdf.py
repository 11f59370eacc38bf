"""The official form as a PDF (issue 3), the physiotherapist's part (issue 4, R-R6) and the kept
originals (issue 8). Text is read back with pypdf, as a Caisse's software or a person would."""

import hashlib
import io
import re

import pypdf
import pytest
import segno
from django.conf import settings
from django.utils import timezone

from prescriptions import pdf
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
    """Without any whitespace: line breaks fall anywhere (a wrapped URL, a column)."""
    return re.sub(r"\s+", "", text)


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
    """As the views load it (prescriptions.selectors.prescription_get_for)."""
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
        adaptations={
            "activity_types": ["balance"],
            "sessions_per_week": 3,
            "intensity": "light",
            "recommendations_text": "Ajout d'exercices d'équilibre en groupe",
        },
        today=issued_prescription.end_date,
    )


# --- The official form, verbatim and filled ----------------------------------------------------
def test_pdf_prints_every_sentence_of_the_official_form_in_order(issued_prescription):
    text = text_of(pdf.render_prescription_pdf(loaded(issued_prescription)))

    end_of_physician_part = assert_in_order(text, PHYSICIAN_SENTENCES)
    end_of_physio_part = assert_in_order(text, PHYSIO_SENTENCES, end_of_physician_part)
    end_of_notes = assert_in_order(text, FOOTNOTES, end_of_physio_part)
    assert_in_order(text, TOOL_SENTENCES, end_of_notes)


def test_pdf_is_an_a4_form_of_two_pages(issued_prescription):
    reader = pypdf.PdfReader(io.BytesIO(pdf.render_prescription_pdf(loaded(issued_prescription))))

    assert len(reader.pages) == 2
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    # Page 2 is the decision aid.
    assert "OUTIL D'AIDE À LA DÉTERMINATION" in reader.pages[1].extract_text()


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

    assert prescription.prescribed_on.strftime("%d/%m/%Y") in text
    assert f"{patient.birth_name.upper()} Hélène" in text
    assert "pour une durée de : 3 mois" in text
    assert (
        "Endurance, Équilibre ; 3 séance(s) par semaine ; 40 minutes par séance ; "
        "intensité modérée (Borg 12 à 13)"
    ) in text
    assert "Marche nordique, progressivité" in text
    assert "Éviter efforts en ambiance froide ; Traitements à prendre en compte" in text
    assert "Bêtabloquants : se fier à l'échelle de Borg" in text
    assert "Limitation fonctionnelle retenue par le médecin : Modérée" in text
    # The prescriber's identity and the electronic signature.
    assert "Dr Claire MARTIN" in text
    assert f"RPPS : {prescriber.rpps}" in text
    assert "Maison Sport-Santé de Lyon" in text
    signed = timezone.localtime(prescription.issued_at).strftime("%d/%m/%Y")
    assert squash(f"Signé électroniquement le {signed}") in squash(text)


def test_pdf_ticks_non_by_default_and_oui_with_the_reason(prescriber, patient):
    # The ticks are drawn (no glyph, so that the sentence stays verbatim): check the markup.
    non = factories.make_prescription(prescriber=prescriber, patient=patient)
    oui = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        physician_renewal_required=True,
        physician_renewal_reason="Insuffisance cardiaque à réévaluer",
    )

    html_non = pdf.render_prescription_html(loaded(non))
    html_oui = pdf.render_prescription_html(loaded(oui))

    assert '<span class="box first on"></span>NON <span class="box"></span>OUI' in html_non
    assert '<span class="box first"></span>NON <span class="box on"></span>OUI' in html_oui
    text = text_of(pdf.render_prescription_pdf(loaded(oui)))
    assert "(si oui, laquelle) : Insuffisance cardiaque à réévaluer" in text


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
    # R-L4: a severe limitation is supervised by health professionals only.
    assert "Limitation fonctionnelle retenue par le médecin : Sévère" in text
    assert "encadrement par des professionnels de santé uniquement" in text


def test_reference_and_page_number_are_on_every_page(issued_prescription):
    pages = pages_text(pdf.render_prescription_pdf(loaded(issued_prescription)))

    for number, page in enumerate(pages, start=1):
        assert issued_prescription.reference in page
        assert issued_prescription.verification_code in page
        assert f"page {number} / {len(pages)}" in page


def test_qr_code_carries_the_look_up_url_with_reference_and_code(issued_prescription):
    prescription = loaded(issued_prescription)

    url = pdf.lookup_url(prescription)
    html = pdf.render_prescription_html(prescription)

    assert url == (
        f"{settings.SITE_URL.rstrip('/')}/prescriptions/lookup/"
        f"?ref={prescription.reference}&code={prescription.verification_code}"
    )
    assert f'src="{pdf._qr_data_uri(url)}"' in html.replace("&amp;", "&")
    assert pdf._qr_data_uri(url).startswith("data:image/png;base64,")


def test_qr_code_in_the_pdf_is_the_symbol_of_the_url_module_for_module_and_unsmoothed(
    issued_prescription,
):
    # A PNG (issue 8): each module a square of QR_PIXELS_PER_MODULE black or white pixels, drawn
    # without interpolation so that viewers keep the modules sharp.
    prescription = loaded(issued_prescription)
    matrix = segno.make(pdf.lookup_url(prescription), error="m", mask=0).matrix
    scale = pdf.QR_PIXELS_PER_MODULE
    size = len(matrix) * scale

    images = embedded_images(pdf.render_prescription_pdf(prescription))

    [qr] = [i for i in images if i["/Width"] == size]
    assert qr["/Interpolate"].value is False  # pypdf's BooleanObject is always truthy
    assert (qr["/Height"], qr["/ColorSpace"], qr["/BitsPerComponent"]) == (size, "/DeviceGray", 8)
    pixels = qr.decode_as_image().load()
    for y in range(size):
        for x in range(size):
            assert pixels[x, y] == (0 if matrix[y // scale][x // scale] else 255), (x, y)


def test_ticked_boxes_draw_one_embedded_tick_image(prescriber, patient):
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        assessment=factories.assessment_data(
            locomotor=LimitationLevel.SEVERE,
            severe_indicators=["loc_walk"],
            confirmed_level=LimitationLevel.SEVERE,
        ),
    )
    tick, _mime = pdf._static_file("pdf/tick.png")

    images = embedded_images(pdf.render_prescription_pdf(loaded(prescription)))

    # NON, three ratings, one indicator: five ticked boxes, one image.
    assert "pdf/tick.png" in pdf.CSS_ASSETS  # digested: a new tick renders the forms again
    assert tick.startswith(b"\x89PNG")
    assert len([i for i in images if i["/Width"] == 128 and i["/Height"] == 128]) == 1


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
    assert {"APA-Form-Sans", "APA-Form-Sans-Bold"} <= embedded


# --- The physiotherapist's part (R-R6) --------------------------------------------------------
def test_physiotherapist_part_is_blank_before_a_renewal(issued_prescription, physiotherapist):
    text = text_of(pdf.render_prescription_pdf(loaded(issued_prescription)))

    assert_in_order(text, PHYSIO_SENTENCES)
    # The R-R6 mention is in the notes only, not yet written in the physiotherapist's part.
    assert squash(text).count(squash(R_R6_MENTION)) == 1
    assert physiotherapist.rpps not in text
    assert "MOREAU" not in text


def test_physiotherapist_part_is_filled_after_a_renewal(issued_prescription, renewal):
    text = text_of(pdf.render_prescription_pdf(loaded(issued_prescription)))
    flat = squash(text)

    # R-R6 a) identity, b) the mention, c) the date and the signature.
    assert f"MOREAU Julien, masseur-kinésithérapeute, RPPS : {renewal.physio_rpps}" in text
    assert flat.count(squash(R_R6_MENTION)) == 2
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
    assert squash(f"Signé électroniquement le {signed}") in flat
    assert squash(f"par Julien MOREAU (RPPS {renewal.physio_rpps})") in flat
    # The physician's part is unchanged.
    assert_in_order(text, PHYSICIAN_SENTENCES)
    assert "Marche nordique" in text
    html = pdf.render_prescription_html(loaded(issued_prescription))
    assert '<span class="box first on"></span>Renouvellement de prescription initiale' in html
    assert '<span class="box first"></span>Adaptation de prescription initiale' in html


def test_physiotherapist_part_is_filled_after_an_adaptation(issued_prescription, adaptation):
    text = text_of(pdf.render_prescription_pdf(loaded(issued_prescription)))
    flat = squash(text)

    assert f"RPPS : {adaptation.physio_rpps}" in text
    assert flat.count(squash(R_R6_MENTION)) == 2
    assert squash("Équilibre ; 3 séance(s) par semaine ; intensité légère (Borg 10 à 11)") in flat
    assert "Ajout d'exercices d'équilibre en groupe" in text
    assert squash("Pour une durée de : (3 à 6 mois maximum) 4 mois") in flat
    html = pdf.render_prescription_html(loaded(issued_prescription))
    assert '<span class="box first"></span>Renouvellement de prescription initiale' in html
    assert '<span class="box first on"></span>Adaptation de prescription initiale' in html


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


# --- Kept originals (issue 8) -------------------------------------------------------------------
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


# --- Speed of the first render (issue 8) --------------------------------------------------------
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
    assert "page 2 / 2" in pages_text(content)[1]  # the cached stylesheet still applies


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
