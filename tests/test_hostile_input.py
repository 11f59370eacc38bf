"""Hostile input (hypothesis): random and malicious values posted to every form.

For each form: never a 500; on a refusal, nothing written (the row counts are unchanged); what
was typed comes back escaped (no raw `<` of a payload in the page); no template injection.
Without a CSRF token, every form is refused with 403 and nothing is written.
Each example runs in a savepoint rolled back afterwards, so the examples do not interfere.
"""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from audit.models import ReadAudit
from notifications.models import Notification
from patients.forms import PatientForm
from patients.models import CareTeamGrant, EligibilitySituation, Patient
from prescriptions.forms import PrescriptionForm
from prescriptions.models import LimitationAssessment, Prescription, Renewal
from prescriptions.renewal_forms import LookupForm, RenewalForm
from prescriptions.rules import add_months
from tests import factories

pytestmark = pytest.mark.django_db

EXAMPLES = hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: a failure is reproducible
    database=None,  # and no .hypothesis/ directory
)

HOSTILE = [
    "",
    " ",
    "\x00",
    "Dupont\x00; rm -rf /",
    "\x01\x02\x1b[31m\x7f\x9f",
    "\u202eesreveR\u200b\ufeff",
    "😀🏃‍♀️👩🏽‍⚕️🇫🇷",
    "A" * 10_000,
    "é" * 300,
    "' OR '1'='1",
    "'; DROP TABLE patients_patient; --",
    "1 UNION SELECT password FROM practitioners_user",
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "javascript:alert(1)",
    "../../../../etc/passwd",
    "%s%n%x",
    "NaN",
    "-1",
    "1e309",
    "99999999999999999999999",
    "2026-02-30",
    "31/02/2026",
    "0000-00-00",
    "true",
    "[]",
    '{"a": 1}',
    "None",
]
VALUE = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=300))
MISSING = object()


def _payload_strategy(valid: dict, extra_fields=()) -> st.SearchStrategy:
    """Each field: missing, its valid value, a hostile value or a list of them (multiple)."""
    names = sorted({*valid, *extra_fields})
    return st.fixed_dictionaries(
        {
            name: st.one_of(
                st.just(MISSING),
                st.just(valid.get(name, "")),
                VALUE,
                st.lists(VALUE, min_size=2, max_size=3),
            )
            for name in names
        }
    )


def _clean(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if v is not MISSING}


COUNTED = (Patient, Prescription, LimitationAssessment, Renewal, CareTeamGrant, Notification)


def _counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in COUNTED)


def _strings(payload: dict):
    for value in payload.values():
        yield from value if isinstance(value, list) else [value]


def _post_and_check(client, url: str, payload: dict, *, method: str = "post") -> None:
    """One example: post, check, roll back."""
    data = _clean(payload)
    cache.clear()  # the look-up's throttle would otherwise answer every later example
    savepoint = transaction.savepoint()
    try:
        before = _counts()
        response = getattr(client, method)(url, data)
        assert response.status_code < 500, (response.status_code, data)
        if response.status_code != 302:  # refused or shown again: nothing written
            assert _counts() == before, data
        content = response.content.decode(errors="replace")
        assert django_settings.SECRET_KEY not in content
        for value in _strings(data):
            if isinstance(value, str) and len(value) >= 6 and ("<" in value or ">" in value):
                assert value not in content, f"unescaped payload: {value!r}"
    finally:
        transaction.savepoint_rollback(savepoint)


# --- World ------------------------------------------------------------------------------------
def _ending_in(days: int) -> dict:
    start = add_months(timezone.localdate() + timedelta(days=days + 1), -3)
    return {"prescribed_on": start, "start_date": start, "duration_months": 3}


@pytest.fixture
def physician_client(client, prescriber):
    client.force_login(prescriber)
    return client


@pytest.fixture
def renewable(prescriber, patient, physiotherapist):
    prescription = factories.make_prescription(
        prescriber=prescriber, patient=patient, **_ending_in(10)
    )
    CareTeamGrant.objects.create(
        patient=patient,
        user=physiotherapist,
        reason=CareTeamGrant.Reason.LOOKUP,
        prescription=prescription,
    )
    return prescription


def _patient_valid() -> dict:
    return {
        "birth_name": "Durand",
        "first_names": "Lucie",
        "used_name": "",
        "birth_date": "1970-05-04",
        "sex": "F",
        "nir": "",
        "situations": [str(EligibilitySituation.objects.get(code="ald").pk)],
    }


PRESCRIPTION_VALID = {
    "duration_months": "3",
    "activity_types": ["endurance", "balance"],
    "sessions_per_week": "2",
    "session_minutes": "45",
    "intensity": "moderate",
    "recommendations_text": "Marche nordique",
    "restriction_picks": ["no_cold"],
    "locomotor": "2",
    "cerebral": "0",
    "sensory": "1",
    "physician_renewal_required": "non",
    "patient_agreement": "on",
}


# --- The forms ----------------------------------------------------------------------------------
@EXAMPLES
@given(data=st.data())
def test_patient_create_survives_hostile_input(physician_client, data):
    valid = _patient_valid()
    payload = data.draw(_payload_strategy(valid, PatientForm.base_fields))
    _post_and_check(physician_client, reverse("patients:create"), payload)


@EXAMPLES
@given(data=st.data())
def test_patient_edit_survives_hostile_input(physician_client, patient, data):
    payload = data.draw(_payload_strategy(_patient_valid(), PatientForm.base_fields))
    before = Patient.objects.get(pk=patient.pk).birth_name
    _post_and_check(physician_client, reverse("patients:update", args=[patient.pk]), payload)
    assert Patient.objects.get(pk=patient.pk).birth_name == before  # rolled back


@EXAMPLES
@given(data=st.data())
def test_prescription_create_survives_hostile_input(physician_client, patient, data):
    payload = data.draw(
        _payload_strategy(PRESCRIPTION_VALID, [*PrescriptionForm.base_fields, "issue"])
    )
    url = f"{reverse('prescriptions:create')}?patient={patient.pk}"
    _post_and_check(physician_client, url, payload)


@EXAMPLES
@given(data=st.data())
def test_prescription_edit_survives_hostile_input(physician_client, draft_prescription, data):
    payload = data.draw(
        _payload_strategy(PRESCRIPTION_VALID, [*PrescriptionForm.base_fields, "issue"])
    )
    url = reverse("prescriptions:update", args=[draft_prescription.pk])
    _post_and_check(physician_client, url, payload)


@EXAMPLES
@given(data=st.data())
def test_prescription_cancel_survives_hostile_input(physician_client, issued_prescription, data):
    payload = data.draw(_payload_strategy({"cancel_reason": "Erreur de patient"}))
    url = reverse("prescriptions:cancel", args=[issued_prescription.pk])
    _post_and_check(physician_client, url, payload)


@EXAMPLES
@given(data=st.data())
def test_lookup_survives_hostile_input(client, physiotherapist, renewable, data):
    client.force_login(physiotherapist)
    valid = {
        "reference": renewable.reference,
        "birth_date": renewable.patient.birth_date.strftime("%d/%m/%Y"),
        "code": renewable.verification_code,
    }
    payload = data.draw(_payload_strategy(valid, LookupForm.base_fields))
    _post_and_check(client, reverse("prescriptions:lookup"), payload)


@EXAMPLES
@given(data=st.data())
def test_renewal_survives_hostile_input(client, physiotherapist, renewable, data):
    client.force_login(physiotherapist)
    valid = {
        "kind": Renewal.Kind.RENEWAL,
        "duration_months": "4",
        "patient_agreement": "on",
        "no_risk_attestation": "on",
    }
    payload = data.draw(_payload_strategy(valid, RenewalForm.base_fields))
    _post_and_check(client, reverse("prescriptions:renewal", args=[renewable.pk]), payload)


@EXAMPLES
@given(data=st.data())
def test_login_survives_hostile_input(prescriber, data):
    payload = data.draw(
        _payload_strategy({"username": "medecin", "password": "mauvais", "next": "/"})
    )
    _post_and_check(Client(), reverse("login"), payload)


@EXAMPLES
@given(data=st.data())
def test_orientation_survives_hostile_input(
    physician_client, issued_prescription, apa_teacher, data
):
    payload = data.draw(_payload_strategy({"professional": str(apa_teacher.pk)}))
    url = reverse("patients:orientation", args=[issued_prescription.patient_id])
    _post_and_check(physician_client, url, payload)


@EXAMPLES
@given(data=st.data())
def test_otp_setup_survives_hostile_input(physician_client, data):
    payload = data.draw(_payload_strategy({"token": "123456", "next": "/"}))
    _post_and_check(physician_client, reverse("security:otp_setup"), payload)


@EXAMPLES
@given(query=VALUE)
@example(query="Dupont\x00")
@example(query="<script>alert(1)</script>")
def test_patient_search_survives_hostile_input(physician_client, patient, query):
    savepoint = transaction.savepoint()
    try:
        response = physician_client.post(reverse("patients:list"), {"q": query})
        assert response.status_code == 200
        if len(query) >= 6 and "<" in query:
            assert query not in response.content.decode()
    finally:
        transaction.savepoint_rollback(savepoint)


# --- CSRF -------------------------------------------------------------------------------------
def test_every_form_refuses_a_post_without_csrf_token(
    prescriber, physiotherapist, patient, draft_prescription, renewable
):
    forms = {
        prescriber: [
            (reverse("patients:create"), _patient_valid()),
            (reverse("patients:update", args=[patient.pk]), _patient_valid()),
            (f"{reverse('prescriptions:create')}?patient={patient.pk}", PRESCRIPTION_VALID),
            (reverse("prescriptions:update", args=[draft_prescription.pk]), PRESCRIPTION_VALID),
            (reverse("prescriptions:issue", args=[draft_prescription.pk]), {}),
            (reverse("prescriptions:cancel", args=[draft_prescription.pk]), {}),
            (reverse("patients:orientation", args=[patient.pk]), {"professional": "1"}),
            (reverse("patients:list"), {"q": "dupont"}),  # the search is posted (issue 5)
            (reverse("notifications:read_all"), {}),
            (reverse("security:otp_setup"), {"token": "123456"}),
            (reverse("logout"), {}),
        ],
        physiotherapist: [
            (
                reverse("prescriptions:lookup"),
                {"reference": renewable.reference, "birth_date": "12/03/1956"},
            ),
            (
                reverse("prescriptions:renewal", args=[renewable.pk]),
                {"kind": "renewal", "duration_months": "4", "patient_agreement": "on"},
            ),
        ],
    }
    for user, posts in forms.items():
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        for url, data in posts:
            before = (_counts(), ReadAudit.objects.count())
            response = client.post(url, data)
            assert response.status_code == 403, url
            assert "Le formulaire a expiré" in response.content.decode()
            assert (_counts(), ReadAudit.objects.count()) == before, url
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post(reverse("login"), {"username": "medecin", "password": "x"})
    assert response.status_code == 403
