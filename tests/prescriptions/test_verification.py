"""The public verification page (`/verifier/`): anyone holding a printed form checks that it is
authentic and whether it is valid, with the reference and the code printed on it. It answers
validity, status and dates only (never a name nor health data), answers a wrong code as an
unknown reference, and is throttled with the physiotherapist look-up's counters."""

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from prescriptions import pdf
from prescriptions.models import Prescription
from prescriptions.services import prescription_cancel
from prescriptions.verification_views import MSG_VERIFY_NO_MATCH, MSG_VERIFY_THROTTLED
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/verifier/"


def _html(response) -> str:
    return response.content.decode()


def _escaped(message) -> str:
    return str(message).replace("'", "&#x27;")


def verify(client, reference: str, code: str, **extra):
    return client.post(URL, {"reference": reference, "code": code}, **extra)


@pytest.fixture
def anonymous():
    return Client()


def test_the_url_is_public_and_named_verify(anonymous):
    assert reverse("verify") == URL
    response = anonymous.get(URL)
    assert response.status_code == 200
    assert "Vérifier un formulaire de prescription" in _html(response)


def test_a_good_pair_answers_validity_status_and_dates_and_never_a_name(
    anonymous, issued_prescription, django_assert_max_num_queries
):
    prescription = issued_prescription
    with django_assert_max_num_queries(3):  # one SELECT, in the request's savepoint
        response = verify(anonymous, prescription.reference, prescription.verification_code)

    html = _html(response)
    assert response.status_code == 200
    assert f"Formulaire authentique : prescription {prescription.reference}" in html
    assert "Valide" in html and "Émise" in html
    assert timezone.localdate(prescription.issued_at).strftime("%d/%m/%Y") in html
    assert f"du {prescription.start_date:%d/%m/%Y} au {prescription.end_date:%d/%m/%Y}" in html
    # Never a name, a birth date or health data.
    patient = prescription.patient
    for secret in (
        patient.birth_name,
        patient.birth_name.upper(),
        patient.first_names,
        patient.birth_date.strftime("%d/%m/%Y"),
        prescription.prescriber.last_name,
        prescription.prescriber.last_name.upper(),
        "Marche nordique",
        "Endurance",
    ):
        assert secret not in html, secret


def test_the_qr_code_address_answers_directly(anonymous, issued_prescription):
    url = pdf.verification_url(issued_prescription)
    path = url[len(settings.SITE_URL.rstrip("/")) :]

    response = anonymous.get(path)

    assert response.status_code == 200
    assert f"prescription {issued_prescription.reference}" in _html(response)


def test_typing_is_forgiving(anonymous, issued_prescription):
    # Lower case, spaces instead of hyphens, O typed for 0 (the alphabet has no O, I, L).
    reference = issued_prescription.reference.lower().replace("-", " ")
    code = issued_prescription.verification_code.lower()
    response = verify(anonymous, reference, code)
    assert f"prescription {issued_prescription.reference}" in _html(response)


def test_a_wrong_code_gets_the_same_answer_as_an_unknown_reference(
    anonymous, issued_prescription, draft_prescription
):
    code = issued_prescription.verification_code
    wrong_code = ("2" if code[0] != "2" else "3") + code[1:]

    wrong = _html(verify(anonymous, issued_prescription.reference, wrong_code))
    unknown = _html(verify(anonymous, "APA-2026-0000-0000", code))
    # A draft was never handed out: its reference is unknown too.
    draft = _html(
        verify(anonymous, draft_prescription.reference, draft_prescription.verification_code)
    )

    message = _escaped(MSG_VERIFY_NO_MATCH)
    assert message in wrong and message in unknown and message in draft

    def answer(html):
        start = html.index('id="verify-errors"')
        return html[start : html.index("</div>", start)]

    assert answer(wrong) == answer(unknown) == answer(draft)
    assert "authentique" not in wrong


def test_a_draft_cancelled_before_signature_is_unknown(anonymous, draft_prescription, prescriber):
    prescription_cancel(prescription=draft_prescription, by=prescriber)

    html = _html(
        verify(anonymous, draft_prescription.reference, draft_prescription.verification_code)
    )

    assert _escaped(MSG_VERIFY_NO_MATCH) in html and "authentique" not in html


def test_a_cancelled_form_is_authentic_but_not_valid(anonymous, issued_prescription, prescriber):
    prescription_cancel(prescription=issued_prescription, by=prescriber, reason="Erreur")

    html = _html(
        verify(anonymous, issued_prescription.reference, issued_prescription.verification_code)
    )

    assert "Non valide" in html and "Annulée" in html
    assert "Erreur" not in html  # the reason may be health data
    assert f'Annulée le</dt><dd class="col-sm-7">{timezone.localdate():%d/%m/%Y}' in html


def test_a_renewed_form_says_so_with_its_new_end(anonymous, issued_prescription, renewal):
    html = _html(
        verify(anonymous, issued_prescription.reference, issued_prescription.verification_code)
    )

    assert "Renouvelée" in html
    assert f"jusqu'au {renewal.end_date:%d/%m/%Y}" in html
    assert renewal.physio_last_name not in html and renewal.physio_last_name.upper() not in html


def test_a_form_past_its_end_is_not_valid(anonymous, prescriber, patient):
    start = timezone.localdate() - timedelta(days=200)
    prescription = factories.make_prescription(
        prescriber=prescriber, patient=patient, prescribed_on=start, start_date=start
    )
    Prescription.objects.filter(pk=prescription.pk).update(status=Prescription.Status.EXPIRED)

    html = _html(verify(anonymous, prescription.reference, prescription.verification_code))

    assert "Non valide" in html and "Échue" in html


def test_repeated_wrong_tries_are_throttled_even_for_a_correct_pair(anonymous, issued_prescription):
    wrong = "ZZZZZZ" if issued_prescription.verification_code != "ZZZZZZ" else "YYYYYY"
    for _ in range(settings.APA_LOOKUP_MAX_FAILURES):
        assert verify(anonymous, issued_prescription.reference, wrong).status_code == 200

    response = verify(
        anonymous, issued_prescription.reference, issued_prescription.verification_code
    )

    assert response.status_code == 429
    minutes = settings.APA_LOOKUP_WINDOW_SECONDS // 60
    assert _escaped(MSG_VERIFY_THROTTLED % {"minutes": minutes}) in _html(response)
    assert "authentique" not in _html(response)
    # The QR code's address is throttled as well.
    assert anonymous.get(pdf.verification_url(issued_prescription)).status_code == 429


def test_the_throttle_is_the_look_up_s_per_ip_address(issued_prescription):
    wrong = "ZZZZZZ" if issued_prescription.verification_code != "ZZZZZZ" else "YYYYYY"
    for _ in range(settings.APA_LOOKUP_MAX_FAILURES):
        verify(Client(), issued_prescription.reference, wrong, REMOTE_ADDR="10.0.0.7")
    good = (issued_prescription.reference, issued_prescription.verification_code)
    assert verify(Client(), *good, REMOTE_ADDR="10.0.0.7").status_code == 429


def test_a_badly_formed_pair_is_refused_in_french_without_counting(anonymous):
    for _ in range(settings.APA_LOOKUP_MAX_FAILURES + 1):
        response = verify(anonymous, "n'importe quoi", "12")
    assert response.status_code == 200
    html = _html(response)
    assert "La référence se présente ainsi" in html
    assert "Le code de vérification compte 6 caractères" in html


def test_each_answer_is_logged_without_patient_data(anonymous, issued_prescription, caplog):
    with caplog.at_level(logging.INFO):
        verify(anonymous, issued_prescription.reference, issued_prescription.verification_code)
        verify(anonymous, issued_prescription.reference, "ZZZZZ2")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"Prescription verified: reference={issued_prescription.reference}" in logged
    assert "Prescription verification failed" in logged  # the failure, counted by the throttle
    patient = issued_prescription.patient
    assert patient.birth_name not in logged and patient.birth_name.upper() not in logged
    assert patient.birth_date.strftime("%d/%m/%Y") not in logged


def test_a_logged_in_physiotherapist_goes_on_to_the_look_up(
    client, physiotherapist, issued_prescription
):
    client.force_login(physiotherapist)

    html = _html(
        verify(client, issued_prescription.reference, issued_prescription.verification_code)
    )

    lookup = reverse("prescriptions:lookup")
    assert (
        f"{lookup}?ref={issued_prescription.reference}"
        f"&amp;code={issued_prescription.verification_code}"
    ) in html


def test_the_look_up_link_is_not_offered_to_others(anonymous, issued_prescription):
    html = _html(
        verify(anonymous, issued_prescription.reference, issued_prescription.verification_code)
    )
    assert reverse("prescriptions:lookup") not in html
