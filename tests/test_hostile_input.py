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
from bilans.models import EntryBilan, ExitBilan, IssuedDocument, ProgressReport
from notifications.models import Notification
from patients.forms import PatientForm
from patients.models import CareTeamGrant, EligibilitySituation, Patient
from prescriptions.forms import PrescriptionForm
from prescriptions.models import LimitationAssessment, Prescription, Renewal
from prescriptions.renewal_forms import LookupForm, RenewalForm
from prescriptions.rules import add_months
from prescriptions.verification_forms import VerificationForm
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
    # Dates at and past the calendar's ends, and a two-digit year (start date, birth date).
    "31/12/9999",
    "9999-12-31",
    "01/01/0001",
    "14/5/61",
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


COUNTED = (
    Patient,
    Prescription,
    LimitationAssessment,
    Renewal,
    CareTeamGrant,
    Notification,
    EntryBilan,
    ExitBilan,
    ProgressReport,
    IssuedDocument,
)


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
    factories.look_up(prescription, physiotherapist)
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
def test_verification_survives_hostile_input(issued_prescription, data):
    # Public page: an anonymous visitor, the reference and the code printed on the form.
    valid = {
        "reference": issued_prescription.reference,
        "code": issued_prescription.verification_code,
    }
    payload = data.draw(_payload_strategy(valid, VerificationForm.base_fields))
    _post_and_check(Client(), reverse("verify"), payload)


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
    url = reverse("dispensing:orientation", args=[issued_prescription.patient_id])
    _post_and_check(physician_client, url, payload)


@EXAMPLES
@given(data=st.data())
def test_otp_setup_survives_hostile_input(physician_client, data):
    payload = data.draw(_payload_strategy({"token": "123456", "next": "/"}))
    _post_and_check(physician_client, reverse("security:otp_setup"), payload)


@EXAMPLES
@given(data=st.data())
def test_password_change_survives_hostile_input(physician_client, data):
    payload = data.draw(
        _payload_strategy(
            {
                "old_password": "motdepasse-de-test-42",
                "new_password1": "une phrase de passe hostile 2026",
                "new_password2": "une phrase de passe hostile 2026",
            }
        )
    )
    _post_and_check(physician_client, reverse("security:password_change"), payload)


@EXAMPLES
@given(data=st.data())
def test_password_reset_survives_hostile_input(prescriber, data):
    payload = data.draw(_payload_strategy({"email": prescriber.email}))
    _post_and_check(Client(), reverse("security:password_reset"), payload)


@EXAMPLES
@given(data=st.data())
def test_password_reset_confirm_survives_hostile_input(prescriber, data):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    client = Client()
    link = reverse(
        "security:password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(prescriber.pk)),
            default_token_generator.make_token(prescriber),
        ],
    )
    set_password_url = client.get(link).url  # the token moves to the session
    payload = data.draw(
        _payload_strategy(
            {"new_password1": "une phrase hostile 2026", "new_password2": "une phrase hostile 2026"}
        )
    )
    _post_and_check(client, set_password_url, payload)


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
            (reverse("dispensing:orientation", args=[patient.pk]), {"professional": "1"}),
            (
                reverse("patients:list"),
                {"q": "dupont"},
            ),  # the search is posted (README, « Qui voit quoi »)
            (reverse("notifications:read_all"), {}),
            (reverse("security:otp_setup"), {"token": "123456"}),
            (
                reverse("security:password_change"),
                {
                    "old_password": "motdepasse-de-test-42",
                    "new_password1": "une phrase de passe 2026",
                    "new_password2": "une phrase de passe 2026",
                },
            ),
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
    response = anonymous.post(reverse("security:password_reset"), {"email": prescriber.email})
    assert response.status_code == 403
    response = anonymous.post(reverse("verify"), {"reference": renewable.reference, "code": "X"})
    assert response.status_code == 403


# --- Integer ids in URLs ------------------------------------------------------------------------
@pytest.mark.parametrize("number", ["0", "99999999999999999999999"])
def test_an_integer_id_out_of_range_is_a_404_not_a_500(client, prescriber, patient, number):
    """The `<int:...>` ids (notifications, orientations, look-up accesses) never overflow the
    database's integer into a 500."""
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(prescriber)
    prescription = factories.make_prescription(prescriber=prescriber, patient=patient)
    for method, url in (
        ("get", reverse("notifications:open", kwargs={"pk": number})),
        ("post", reverse("notifications:read", kwargs={"pk": number})),
        ("post", reverse("dispensing:orientation_end", args=[patient.pk, number])),
        ("post", reverse("prescriptions:access_end", args=[prescription.pk, number])),
    ):
        assert getattr(client, method)(url).status_code == 404, url


# --- Bilans (CSP D.1172-5) ----------------------------------------------------------------------
def _bilan_valid() -> dict:
    return {
        "six_minute_walk_m": "400", "sit_to_stand_reps": "11", "tug_seconds": "13,5",
        "one_leg_stance_seconds": "8", "handgrip_kg_not_done": "pain", "weight_kg": "82",
        "height_cm": "170", "waist_cm": "98", "borg_scale": "rpe", "borg_value": "13",
        **{f"activity_item_{n}": "2" for n in range(1, 10)}, "stage": "preparation",
        "goals": "Marcher", "barriers": "Peur", "resources": "Famille", "share_agreement": "on",
        "risk_flag": "", "risk_description": "", "performed_on": "2026-03-01",
    }  # fmt: skip


@pytest.fixture
def apa_client(client, prescriber, patient, apa_teacher, issued_prescription):
    from dispensing.services import patient_orient  # noqa: PLC0415

    patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    client.force_login(apa_teacher)
    return client


@EXAMPLES
@given(data=st.data())
def test_entry_bilan_survives_hostile_input(apa_client, patient, data):
    from bilans.models import EntryBilan  # noqa: PLC0415

    valid = {
        **_bilan_valid(),
        "programme_activity_types": "endurance", "programme_intensity": "moderate",
        "programme_sessions_per_week": "2", "programme_session_minutes": "60",
        "programme_sessions_total": "24", "programme_place": "group",
    }  # fmt: skip
    payload = data.draw(_payload_strategy(valid))
    before = EntryBilan.objects.count()
    _post_and_check(apa_client, reverse("bilans:entry_create", args=[patient.pk]), payload)
    assert EntryBilan.objects.count() == before


@EXAMPLES
@given(data=st.data())
def test_progress_report_survives_hostile_input(apa_client, patient, apa_teacher, data):
    from bilans.models import ProgressReport  # noqa: PLC0415

    factories.make_entry_bilan(patient, apa_teacher) if not _has_entry(patient) else None
    valid = {
        "sessions_planned": "8", "sessions_done": "6", "tolerance": "good", "progress": "Bien",
        "share_agreement": "on", "risk_flag": "on", "risk_description": "Malaise",
    }  # fmt: skip
    payload = data.draw(_payload_strategy(valid))
    before = ProgressReport.objects.count()
    _post_and_check(apa_client, reverse("bilans:report_create", args=[patient.pk]), payload)
    assert ProgressReport.objects.count() == before


def _has_entry(patient) -> bool:
    from bilans.models import EntryBilan  # noqa: PLC0415

    return EntryBilan.objects.filter(patient=patient).exists()


# --- The exit bilan and the compte rendu: hostile values, absurd numbers, forged ids -------------
EXIT_VALID = {
    "proposal": "continue", "continue_activity_types": "endurance",
    "continue_sessions_per_week": "2", "continue_intensity": "moderate", "leave_to": "",
    "comment": "Bonne progression",
}  # fmt: skip
REPORT_VALID = {
    "sessions_planned": "8", "sessions_done": "6", "tolerance": "good", "progress": "Bien",
    "share_agreement": "on", "risk_flag": "", "risk_description": "",
}  # fmt: skip


@pytest.fixture
def signed_entry(apa_client, patient, apa_teacher):
    return factories.make_entry_bilan(patient, apa_teacher)


@EXAMPLES
@given(data=st.data())
def test_exit_bilan_survives_hostile_input(apa_client, signed_entry, data):
    payload = data.draw(_payload_strategy({**_bilan_valid(), **EXIT_VALID}))
    _post_and_check(apa_client, reverse("bilans:exit_create", args=[signed_entry.pk]), payload)


@EXAMPLES
@given(data=st.data())
def test_exit_bilan_draft_update_survives_hostile_input(
    apa_client, signed_entry, apa_teacher, data
):
    from bilans.services import exit_bilan_save  # noqa: PLC0415

    draft = ExitBilan.objects.filter(entry=signed_entry).first() or exit_bilan_save(
        entry=signed_entry, author=apa_teacher, values=factories.bilan_values()
    )
    payload = data.draw(_payload_strategy({**_bilan_valid(), **EXIT_VALID}))
    _post_and_check(apa_client, reverse("bilans:exit_update", args=[draft.pk]), payload)


def _refused(client, url: str, data: dict, *, words: str, field_status: int = 400) -> None:
    """Posted: refused with a French message naming the problem, nothing written."""
    before = _counts()
    response = client.post(url, data)
    assert response.status_code == field_status, (response.status_code, data)
    assert words in response.content.decode(), words
    assert _counts() == before


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"six_minute_walk_m": "2000"}, "Test de marche de 6 minutes : la valeur doit être"),
        ({"tug_seconds": "0"}, "Timed Up and Go : la valeur doit être comprise"),
        ({"one_leg_stance_seconds": "61"}, "Appui unipodal : la valeur doit être comprise"),
        ({"weight_kg": "-5"}, "Poids : la valeur doit être comprise"),
        ({"height_cm": "99999999999999999999"}, "Taille : la valeur doit être comprise"),
        ({"borg_value": "25"}, "Échelle de Borg : de 6 à 20"),
        ({"activity_item_3": "9"}, "Assurez-vous que cette valeur est inférieure ou égale à 5"),
        ({"continue_sessions_per_week": "12"}, "Fréquence de 1 à 7 séances par semaine"),
        ({"continue_intensity": "extreme"}, "Sélectionnez un choix valide"),
        ({"continue_activity_types": ["endurance", "base-jump"]}, "Sélectionnez un choix valide"),
        ({"six_minute_walk_m": "quatre cents"}, "Saisissez un nombre entier"),
        ({"performed_on": "0001-01-01"}, "La date du document doit être comprise entre"),
        ({"performed_on": "9999-12-31"}, "La date du document doit être comprise entre"),
        ({"performed_on": "2026-02-30"}, "Saisissez une date valide"),
        ({"comment": "A" * 5001}, "au plus 5000 caractères"),
        ({"goals": "é" * 20_000}, "au plus 5000 caractères"),
    ],
)
def test_the_exit_bilan_refuses_absurd_input_in_french(apa_client, signed_entry, change, words):
    data = {**_bilan_valid(), **EXIT_VALID, "performed_on": "", **change}
    url = reverse("bilans:exit_create", args=[signed_entry.pk])
    _refused(apa_client, url, data, words=words.replace("'", "&#x27;"))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"sessions_done": "9", "sessions_planned": "8"}, "ne peut pas dépasser le nombre"),
        ({"sessions_done": "99999"}, "Le nombre de séances doit être compris entre 0 et 500"),
        ({"sessions_done": "-1"}, "Assurez-vous que cette valeur est supérieure"),
        ({"sessions_done": "1e309"}, "Saisissez un nombre entier"),
        ({"sessions_done": ""}, "Ce champ est obligatoire"),
        ({"tolerance": "excellent"}, "Sélectionnez un choix valide"),
        ({"risk_flag": "on", "risk_description": "   "}, "Décrivez la difficulté ou le risque"),
        ({"risk_flag": "on", "risk_description": "x" * 6000}, "au plus 5000 caractères"),
        ({"progress": "<script>" * 1000}, "au plus 5000 caractères"),
        ({"performed_on": "1900-01-01"}, "La date du document doit être comprise entre"),
        ({"performed_on": "2999-01-01"}, "La date du document doit être comprise entre"),
    ],
)
def test_the_compte_rendu_refuses_absurd_input_in_french(
    apa_client, patient, signed_entry, change, words
):
    data = {**REPORT_VALID, **change}
    url = reverse("bilans:report_create", args=[patient.pk])
    _refused(apa_client, url, data, words=words.replace("'", "&#x27;"))


def test_forged_ids_of_other_patients_are_refused_and_nothing_written(
    apa_client, patient, signed_entry, prescriber, other_structure
):
    """The professional oriented to one patient forges the ids of another patient's documents:
    a patient they do not see is a 404 (its existence is not told), a document not theirs a 403
    or a 404; nothing is written."""
    import uuid  # noqa: PLC0415

    from dispensing.services import patient_orient  # noqa: PLC0415

    stranger = factories.PatientFactory(structure=other_structure)
    other_teacher = factories.ApaTeacherFactory(username="autre-ens", structure=other_structure)
    other_physician = factories.PhysicianFactory(username="autre-med", structure=other_structure)
    # A patient of another structure, with their own prescription, entry bilan and draft exit.
    factories.make_prescription(prescriber=other_physician, patient=stranger)
    patient_orient(patient=stranger, professional=other_teacher, by=other_physician)
    their_entry = factories.make_entry_bilan(stranger, other_teacher)
    from bilans.services import exit_bilan_save  # noqa: PLC0415

    their_draft = exit_bilan_save(
        entry=their_entry, author=other_teacher, values=factories.bilan_values()
    )
    their_report = factories.make_report(stranger, other_teacher)
    exit_data = {**_bilan_valid(), **EXIT_VALID, "performed_on": ""}
    before = _counts()
    for url, data in (
        (reverse("bilans:exit_create", args=[their_entry.pk]), exit_data),
        (reverse("bilans:exit_update", args=[their_draft.pk]), exit_data),
        (reverse("bilans:exit_sign", args=[their_draft.pk]), {}),
        (reverse("bilans:report_create", args=[stranger.pk]), REPORT_VALID),
        (reverse("bilans:entry_create", args=[stranger.pk]), _bilan_valid()),
        (reverse("bilans:exit_create", args=[uuid.uuid4()]), exit_data),
        (reverse("bilans:report_create", args=[uuid.uuid4()]), REPORT_VALID),
        # An id of one kind in the URL of another.
        (reverse("bilans:exit_update", args=[signed_entry.pk]), exit_data),
        (reverse("bilans:exit_create", args=[their_report.pk]), exit_data),
    ):
        response = apa_client.post(url, data)
        assert response.status_code == 404, (url, response.status_code)
    for url in (
        reverse("bilans:exit_detail", args=[their_draft.pk]),
        reverse("bilans:report_detail", args=[their_report.pk]),
        reverse("bilans:report_pdf", args=[their_report.pk]),
        reverse("bilans:entry_pdf", args=[their_entry.pk]),
    ):
        assert apa_client.get(url).status_code == 404, url
    # A hidden field naming another patient or entry is not read: the URL decides.
    response = apa_client.post(
        reverse("bilans:exit_create", args=[signed_entry.pk]),
        {**exit_data, "entry": str(their_entry.pk), "patient": str(stranger.pk)},
    )
    assert response.status_code == 302
    created = ExitBilan.objects.get(entry=signed_entry)
    assert created.patient_id == patient.pk and created.prescription_id == (
        signed_entry.prescription_id
    )
    after = dict(zip(COUNTED, _counts(), strict=True))
    assert after == {**dict(zip(COUNTED, before, strict=True)), ExitBilan: before[-3] + 1}
    their_draft.refresh_from_db()
    assert their_draft.is_draft and their_draft.proposal == ""  # theirs unchanged
