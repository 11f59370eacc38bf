"""The physiotherapist's journey through the views: look-up (with its throttle), renewal or
adaptation (every refusal of R-R1 to R-R5 explained on the page), and what changed.

The service itself (`prescription_renew`) has its own tests; here each case goes through the
pages, as a physiotherapist would.
"""

import logging
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from audit.models import ReadAudit
from kernel.errors import error_codes
from patients.models import CareTeamGrant
from patients.services import care_team_grant
from prescriptions import rules, services
from prescriptions.access import MSG_LOOKUP_NOT_PHYSIOTHERAPIST
from prescriptions.content import Recommendations
from prescriptions.models import Prescription, PrescriptionAccess, Renewal
from prescriptions.renewal_forms import ATTESTATION_LABEL, MSG_LOOKUP_REFERENCE_FORMAT
from prescriptions.renewal_views import (
    MSG_LOOKUP_NO_MATCH,
    MSG_LOOKUP_THROTTLED,
    renewal_comparison,
)
from prescriptions.rules import ActivityType, Intensity, add_months, renewal_window
from tests import factories

PASSWORD = "motdepasse-de-test-42"
LOOKUP_URL = "/prescriptions/lookup/"


def _date(value) -> str:
    return formats.date_format(value, "d/m/Y")


def _html(response) -> str:
    return response.content.decode()


def _main(response) -> str:
    """The page's <main>, without the CSRF token (random per response)."""
    html = _html(response)
    html = html[html.index("<main") : html.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _ending_in(days: int) -> dict:
    """Prescription content whose 3-month period ends `days` days from today."""
    today = timezone.localdate()
    # end = start + 3 months - 1 day, so start = (today + days + 1) - 3 months
    start = add_months(today + timedelta(days=days + 1), -3)
    return {"prescribed_on": start, "start_date": start, "duration_months": 3}


@pytest.fixture
def renewable_prescription(prescriber, patient):
    """Issued, NON to "renewal by a physician", ending in 10 days: inside the R-R3 window."""
    return factories.make_prescription(prescriber=prescriber, patient=patient, **_ending_in(10))


def _grant(physio, prescription) -> None:
    factories.look_up(prescription, physio)


@pytest.fixture
def physio_client(client, physiotherapist, renewable_prescription):
    """The physiotherapist, logged in, who has looked the renewable prescription up."""
    _grant(physiotherapist, renewable_prescription)
    client.force_login(physiotherapist)
    return client


@pytest.fixture
def second_physiotherapist(other_structure):
    return factories.PhysiotherapistFactory(
        username="kine2", first_name="Léa", last_name="Bernard", structure=other_structure
    )


def renewal_url(prescription) -> str:
    return reverse("prescriptions:renewal", kwargs={"pk": prescription.pk})


def renewal_post(**overrides) -> dict:
    data = {
        "kind": Renewal.Kind.RENEWAL,
        "duration_months": "4",
        "patient_agreement": "on",
        "no_risk_attestation": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- The form -----------------------------------------------------------------------------------
def test_the_form_shows_the_attestation_the_identity_and_the_initial_recommendations(
    physio_client, physiotherapist, renewable_prescription
):
    response = physio_client.get(renewal_url(renewable_prescription))
    assert response.status_code == 200
    html = _html(response)
    assert str(ATTESTATION_LABEL).replace("'", "&#x27;") in html  # R-R5 wording
    assert physiotherapist.rpps in html  # R-R6 a), read-only from the account
    assert physiotherapist.last_name.upper() in html
    assert 'name="physio_rpps"' not in html  # not an input: it comes from the account
    assert "Prescription initiale" in html and "Marche nordique" in html
    assert 'name="kind"' in html and 'value="adaptation"' in html


def test_a_renewal_is_recorded_and_the_physiotherapist_part_is_shown(
    physio_client, physiotherapist, renewable_prescription, rf
):
    signed = {name: getattr(renewable_prescription, name) for name in Prescription.CONTENT_FIELDS}
    response = physio_client.post(renewal_url(renewable_prescription), renewal_post())
    assert response.status_code == 302
    assert response["Location"] == renewable_prescription.get_absolute_url()

    renewal = Renewal.objects.get(prescription=renewable_prescription)
    assert renewal.kind == Renewal.Kind.RENEWAL and renewal.duration_months == 4
    assert renewal.physio_rpps == physiotherapist.rpps
    prescription = Prescription.objects.get(pk=renewable_prescription.pk)
    assert prescription.status == Prescription.Status.RENEWED
    # R-P4: the physician's original part is unchanged.
    assert {name: getattr(prescription, name) for name in Prescription.CONTENT_FIELDS} == signed

    # R-R6: the physiotherapist's part, filled, with the new period and end date.
    request = rf.get("/")
    request.user = physiotherapist
    part = render_to_string(
        "prescriptions/_renewal_actions.html", {"prescription": prescription}, request=request
    )
    assert "Partie destinée au masseur-kinésithérapeute" in part
    assert "Renouvellement/Adaptation (le cas échéant) de prescription médicale" in part
    assert physiotherapist.rpps in part and physiotherapist.last_name.upper() in part
    assert _date(renewal.performed_on) in part
    assert _date(renewal.end_date) in part and "4 mois" in part
    assert reverse("prescriptions:changes", kwargs={"pk": prescription.pk}) in part


def test_recording_through_the_page_notifies_the_prescriber_after_commit(
    physio_client,
    prescriber,
    renewable_prescription,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = physio_client.post(renewal_url(renewable_prescription), renewal_post())
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [[prescriber.email]]  # R-R7
    assert prescriber.notifications.get().prescription_id == renewable_prescription.pk


def test_an_adaptation_records_the_changed_recommendations(physio_client, renewable_prescription):
    response = physio_client.post(
        renewal_url(renewable_prescription),
        renewal_post(
            kind=Renewal.Kind.ADAPTATION,
            duration_months="6",
            activity_types=[ActivityType.BALANCE, ActivityType.ENDURANCE],
            sessions_per_week="3",
            intensity=Intensity.LIGHT,
            session_minutes="30",
            recommendations_text="Équilibre en groupe",
        ),
    )
    assert response.status_code == 302
    renewal = Renewal.objects.get(prescription=renewable_prescription)
    assert renewal.kind == Renewal.Kind.ADAPTATION
    assert renewal.activity_types == [ActivityType.ENDURANCE, ActivityType.BALANCE]
    assert (renewal.sessions_per_week, renewal.intensity, renewal.session_minutes) == (
        3,
        Intensity.LIGHT,
        30,
    )
    assert renewal.recommendations_text == "Équilibre en groupe"
    assert Prescription.objects.get(pk=renewable_prescription.pk).status == "adapted"


def test_a_renewal_ignores_the_adaptation_fields(physio_client, renewable_prescription):
    physio_client.post(
        renewal_url(renewable_prescription),
        renewal_post(sessions_per_week="5", recommendations_text="Ignoré"),
    )
    renewal = Renewal.objects.get(prescription=renewable_prescription)
    assert renewal.sessions_per_week is None and renewal.recommendations_text == ""


def test_the_action_button_is_offered_to_a_physiotherapist_who_may_renew(
    physiotherapist, renewable_prescription, rf
):
    _grant(physiotherapist, renewable_prescription)
    request = rf.get("/")
    request.user = physiotherapist
    part = render_to_string(
        "prescriptions/_renewal_actions.html",
        {"prescription": renewable_prescription},
        request=request,
    )
    assert "Renouveler ou adapter" in part and renewal_url(renewable_prescription) in part


# --- Every refusal, explained on the page before anything is typed (R-R1 to R-R5) -------------
def _refusal_page_has_no_form(html: str) -> bool:
    return 'name="kind"' not in html and "Enregistrer et signer" not in html


def test_a_second_renewal_is_refused_with_who_and_when(
    client, physiotherapist, second_physiotherapist, renewable_prescription
):
    renewal = services.prescription_renew(
        prescription=renewable_prescription,
        physiotherapist=physiotherapist,
        kind=Renewal.Kind.RENEWAL,
        duration_months=3,
        patient_agreement=True,
        no_risk_attestation=True,
    )
    _grant(second_physiotherapist, renewable_prescription)
    client.force_login(second_physiotherapist)
    response = client.get(renewal_url(renewable_prescription))
    assert response.status_code == 200
    expected = services.MSG_RENEW_ALREADY % {
        "kind": "renouvelée",
        "name": renewal.physio_display_name,
        "date": _date(renewal.performed_on),
    }
    assert expected.replace("'", "&#x27;") in _html(response)  # R-R2: by whom, when
    assert _refusal_page_has_no_form(_html(response))
    # And a POST changes nothing.
    response = client.post(renewal_url(renewable_prescription), renewal_post())
    assert response.status_code == 200
    assert Renewal.objects.get().physiotherapist == physiotherapist


def test_a_prescription_the_physician_reserved_is_refused_with_the_reason(
    client, physiotherapist, prescriber, patient
):
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        physician_renewal_required=True,
        physician_renewal_reason="Insuffisance cardiaque à réévaluer",
        **_ending_in(5),
    )
    _grant(physiotherapist, prescription)
    client.force_login(physiotherapist)
    response = client.get(renewal_url(prescription))
    assert response.status_code == 200
    expected = services.MSG_RENEW_PHYSICIAN_ONLY % {"reason": "Insuffisance cardiaque à réévaluer"}
    assert expected.replace("'", "&#x27;") in _html(response)  # R-R4
    assert _refusal_page_has_no_form(_html(response))
    response = client.post(renewal_url(prescription), renewal_post())
    assert not Renewal.objects.exists()


def test_a_renewal_before_the_window_is_refused_with_the_opening_date(
    client, physiotherapist, prescriber, patient
):
    prescription = factories.make_prescription(
        prescriber=prescriber, patient=patient, **_ending_in(60)
    )
    _grant(physiotherapist, prescription)
    client.force_login(physiotherapist)
    response = client.get(renewal_url(prescription))
    opens, _closes = renewal_window(
        prescription.end_date,
        days_before=settings.APA_RENEWAL_WINDOW_DAYS_BEFORE,
        days_after=settings.APA_RENEWAL_WINDOW_DAYS_AFTER,
    )
    expected = services.MSG_RENEW_TOO_EARLY % {
        "end": _date(prescription.end_date),
        "opens": _date(opens),
    }
    assert response.status_code == 200
    assert expected.replace("'", "&#x27;") in _html(response)  # R-R3
    assert _refusal_page_has_no_form(_html(response))


def test_a_renewal_after_the_window_is_refused_with_the_closing_date(
    client, physiotherapist, prescriber, patient
):
    prescription = factories.make_prescription(
        prescriber=prescriber, patient=patient, **_ending_in(-120)
    )
    _grant(physiotherapist, prescription)
    client.force_login(physiotherapist)
    response = client.get(renewal_url(prescription))
    _opens, closes = renewal_window(
        prescription.end_date,
        days_before=settings.APA_RENEWAL_WINDOW_DAYS_BEFORE,
        days_after=settings.APA_RENEWAL_WINDOW_DAYS_AFTER,
    )
    expected = services.MSG_RENEW_TOO_LATE % {
        "end": _date(prescription.end_date),
        "closes": _date(closes),
    }
    assert expected.replace("'", "&#x27;") in _html(response)  # R-R3
    assert _refusal_page_has_no_form(_html(response))


@pytest.mark.parametrize("persona", ["prescriber", "colleague_physician", "apa_teacher"])
def test_a_non_physiotherapist_is_refused_with_403_and_an_explanation(
    client, request, persona, renewable_prescription
):
    user = request.getfixturevalue(persona)
    care_team_grant(
        patient=renewable_prescription.patient, user=user, reason=CareTeamGrant.Reason.ORIENTATION
    )
    client.force_login(user)
    response = client.get(renewal_url(renewable_prescription))
    assert response.status_code == 403  # R-R1
    html = _html(response)
    assert str(services.MSG_RENEW_NOT_PHYSIOTHERAPIST).replace("'", "&#x27;") in html
    assert _refusal_page_has_no_form(html)
    client.post(renewal_url(renewable_prescription), renewal_post())
    assert not Renewal.objects.exists()


def test_a_physiotherapist_without_rpps_is_told_to_have_it_recorded(
    client, renewable_prescription, other_structure
):
    physio = factories.PhysiotherapistFactory(
        username="sans-rpps", rpps="", structure=other_structure
    )
    _grant(physio, renewable_prescription)
    client.force_login(physio)
    response = client.get(renewal_url(renewable_prescription))
    assert str(services.MSG_RENEW_NO_RPPS).replace("'", "&#x27;") in _html(response)  # R-R6 a)


def test_a_cancelled_prescription_is_not_renewable(
    client, physiotherapist, renewable_prescription, prescriber
):
    _grant(physiotherapist, renewable_prescription)
    services.prescription_cancel(prescription=renewable_prescription, by=prescriber, reason="X")
    client.force_login(physiotherapist)
    # Withdrawn, it ends the physiotherapist's look-up access: not even shown any more.
    assert client.get(renewal_url(renewable_prescription)).status_code == 404
    assert client.post(renewal_url(renewable_prescription), renewal_post()).status_code == 404
    assert not Renewal.objects.exists()
    # And the service refuses it whatever the access (R-R2: only an issued one is renewed).
    with pytest.raises(ValidationError) as refused:
        services.prescription_renew(
            prescription=renewable_prescription,
            physiotherapist=physiotherapist,
            kind=Renewal.Kind.RENEWAL,
            duration_months=3,
            patient_agreement=True,
            no_risk_attestation=True,
        )
    assert error_codes(refused.value) == {"__all__": ["renew_not_issued"]}


def test_a_physiotherapist_who_did_not_look_the_prescription_up_gets_404(
    client, physiotherapist, renewable_prescription
):
    client.force_login(physiotherapist)
    assert client.get(renewal_url(renewable_prescription)).status_code == 404
    assert client.post(renewal_url(renewable_prescription), renewal_post()).status_code == 404
    assert not Renewal.objects.exists()


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("patient_agreement", rules.MSG_RENEW_NO_AGREEMENT),  # R-R1
        ("no_risk_attestation", rules.MSG_RENEW_NO_ATTESTATION),  # R-R5
    ],
)
def test_a_missing_agreement_or_attestation_is_shown_next_to_its_box(
    physio_client, renewable_prescription, missing, message
):
    response = physio_client.post(
        renewal_url(renewable_prescription), renewal_post(**{missing: None, "duration_months": "5"})
    )
    assert response.status_code == 200
    html = _html(response)
    error = re.search(rf'<div[^>]*id="id_{missing}_error"[^>]*>(.*?)</div>', html, re.S)
    assert error and str(message).replace("'", "&#x27;") in error.group(1)
    assert f'aria-describedby="id_{missing}_error"' in html
    assert 'value="5" class="form-check-input" id="id_duration_months_2" checked' in html or (
        re.search(r'value="5"[^>]*checked', html)
    )  # what was typed is kept
    assert not Renewal.objects.exists()


def test_both_missing_boxes_are_reported_at_once(physio_client, renewable_prescription):
    response = physio_client.post(
        renewal_url(renewable_prescription),
        renewal_post(patient_agreement=None, no_risk_attestation=None),
    )
    html = _html(response)
    assert 'id="id_patient_agreement_error"' in html
    assert 'id="id_no_risk_attestation_error"' in html


def test_a_duration_outside_3_to_6_months_is_refused(physio_client, renewable_prescription):
    response = physio_client.post(
        renewal_url(renewable_prescription), renewal_post(duration_months="7")
    )
    assert response.status_code == 200
    assert str(rules.MSG_DURATION) in _html(response)  # R-R2, R-P2
    assert not Renewal.objects.exists()


def test_an_empty_adaptation_is_refused(physio_client, renewable_prescription):
    response = physio_client.post(
        renewal_url(renewable_prescription),
        renewal_post(kind=Renewal.Kind.ADAPTATION, recommendations_text="  "),
    )
    assert response.status_code == 200
    assert str(services.MSG_ADAPTATION_EMPTY).replace("'", "&#x27;") in _html(response)
    assert not Renewal.objects.exists()


def test_the_loser_of_a_race_gets_the_already_renewed_page_not_an_error(
    physio_client, second_physiotherapist, renewable_prescription
):
    """Both loaded the form; the other one submitted first (sequential variant of the race)."""
    _grant(second_physiotherapist, renewable_prescription)
    other = Client()
    other.force_login(second_physiotherapist)
    assert other.get(renewal_url(renewable_prescription)).status_code == 200
    assert (
        physio_client.post(renewal_url(renewable_prescription), renewal_post()).status_code == 302
    )
    response = other.post(renewal_url(renewable_prescription), renewal_post())
    assert response.status_code == 200
    assert "a déjà été renouvelée" in _html(response)
    assert Renewal.objects.count() == 1


def test_the_renewal_form_queries_do_not_grow_with_the_data(
    physio_client, renewable_prescription, django_assert_max_num_queries, prescriber, patient
):
    for _ in range(5):
        factories.make_prescription(prescriber=prescriber, patient=patient)
    # 1 session, 2 user, 3 savepoint (ATOMIC_REQUESTS), 4 prescription with patient, prescriber,
    # structure, assessment and renewal joined, 5 audit insert, 6 renewal_refusal's Renewal
    # look-up (R-R2), 7 the recorded bilans and comptes rendus (R-R5, one UNION), 8 the menu's
    # unread notifications, 9 release savepoint
    with django_assert_max_num_queries(9):
        response = physio_client.get(renewal_url(renewable_prescription))
    assert response.status_code == 200


# --- What changed ------------------------------------------------------------------------------
@pytest.fixture
def adapted(renewable_prescription, physiotherapist):
    _grant(physiotherapist, renewable_prescription)
    return services.prescription_renew(
        prescription=renewable_prescription,
        physiotherapist=physiotherapist,
        kind=Renewal.Kind.ADAPTATION,
        duration_months=6,
        patient_agreement=True,
        no_risk_attestation=True,
        adaptations=Recommendations(
            **{
                "activity_types": [ActivityType.BALANCE],
                "sessions_per_week": 3,
                "intensity": Intensity.LIGHT,
                "session_minutes": 45,
                "recommendations_text": "Tai-chi",
            }
        ),
    )


def test_the_changes_page_shows_the_adaptation_beside_the_initial_recommendations(
    client, prescriber, adapted, renewable_prescription
):
    client.force_login(prescriber)
    response = client.get(reverse("prescriptions:changes", kwargs={"pk": adapted.prescription_id}))
    assert response.status_code == 200
    html = _html(response)
    for text in ("Endurance, Renforcement musculaire", "Équilibre", "Marche nordique", "Tai-chi"):
        assert text in html
    assert "2 séances par semaine" in html and "3 séances par semaine" in html
    assert "3 mois" in html and "6 mois" in html
    assert _date(adapted.end_date) in html
    rows = {row.label: row for row in renewal_comparison(renewable_prescription, adapted)}
    assert rows["Types d'activité"].changed and not rows["Durée d'une séance"].changed


def test_a_renewal_keeps_the_initial_recommendations_on_the_changes_page(
    physiotherapist, renewable_prescription
):
    renewal = services.prescription_renew(
        prescription=renewable_prescription,
        physiotherapist=physiotherapist,
        kind=Renewal.Kind.RENEWAL,
        duration_months=5,
        patient_agreement=True,
        no_risk_attestation=True,
    )
    rows = renewal_comparison(renewable_prescription, renewal)
    assert [row.label for row in rows if row.changed] == ["Durée de la prescription", "Période"]


def test_the_changes_page_queries_are_pinned(
    client, prescriber, patient, adapted, django_assert_max_num_queries
):
    for _ in range(4):
        factories.make_prescription(prescriber=prescriber, patient=patient)
    client.force_login(prescriber)
    url = reverse("prescriptions:changes", kwargs={"pk": adapted.prescription_id})
    # 1 session, 2 user, 3 savepoint, 4 prescription with its renewal joined, 5 audit insert,
    # 6 navbar unread count, 7 release savepoint (opening the page marks nothing read)
    with django_assert_max_num_queries(7):
        assert client.get(url).status_code == 200
    # « Marquer comme lu »: 1 session, 2 user, 3 savepoint, 4 prescription with its renewal,
    # 5 renewal marked read, 6 its history row, 7 notification marked read, 8 release savepoint
    with django_assert_max_num_queries(8):
        assert client.post(url + "read/").status_code == 302


def test_the_changes_page_is_404_without_a_renewal(client, prescriber, renewable_prescription):
    client.force_login(prescriber)
    url = reverse("prescriptions:changes", kwargs={"pk": renewable_prescription.pk})
    assert client.get(url).status_code == 404


def test_the_changes_page_is_404_for_someone_who_may_not_see_the_prescription(
    client, outsider_physician, adapted
):
    client.force_login(outsider_physician)
    url = reverse("prescriptions:changes", kwargs={"pk": adapted.prescription_id})
    assert client.get(url).status_code == 404


# --- Look-up -----------------------------------------------------------------------------------
@pytest.fixture
def physio_logged_in(client, physiotherapist):
    client.force_login(physiotherapist)
    return client


def lookup(client, reference: str, birth_date: str, code: str = "", **extra):
    data = {"reference": reference, "birth_date": birth_date}
    if code:
        data["code"] = code
    return client.post(LOOKUP_URL, data, **extra)


def test_the_look_up_grants_one_prescription_only_and_is_audited(
    physio_logged_in, physiotherapist, prescriber, patient, renewable_prescription
):
    other = factories.make_prescription(prescriber=prescriber, patient=patient)
    detail = renewable_prescription.get_absolute_url()
    assert physio_logged_in.get(detail).status_code == 404  # not before the look-up

    typed = renewable_prescription.reference.lower().replace("-", " ")  # as read from paper
    response = lookup(physio_logged_in, typed, "12/03/1956")
    assert response.status_code == 302 and response["Location"] == detail

    assert physio_logged_in.get(detail).status_code == 200
    assert physio_logged_in.get(other.get_absolute_url()).status_code == 404  # only that one
    assert physio_logged_in.get(patient.get_absolute_url()).status_code == 200
    grant = CareTeamGrant.objects.get(user=physiotherapist)
    assert (grant.patient, grant.reason) == (patient, CareTeamGrant.Reason.LOOKUP)
    access = PrescriptionAccess.objects.get(user=physiotherapist)
    assert access.prescription == renewable_prescription and access.revoked_at is None
    audit = ReadAudit.objects.get(user=physiotherapist, action=ReadAudit.Action.PRESCRIPTION_LOOKUP)
    assert (audit.prescription_id, audit.patient_id) == (renewable_prescription.pk, patient.pk)


def test_the_qr_code_prefills_the_reference_and_checks_the_code(
    physio_logged_in, renewable_prescription
):
    ref, code = renewable_prescription.reference, renewable_prescription.verification_code
    response = physio_logged_in.get(LOOKUP_URL, {"ref": ref, "code": code})
    html = _html(response)
    assert response.status_code == 200
    assert f'value="{ref}"' in html and "readonly" in html
    assert f'value="{code}"' in html  # kept in a hidden field, checked on submit
    response = lookup(physio_logged_in, ref, "12/03/1956", code=code.lower())
    assert response.status_code == 302


@pytest.fixture
def failure_cases(prescriber, patient, renewable_prescription):
    draft = factories.make_prescription(prescriber=prescriber, patient=patient, issue=False)
    cancelled = factories.make_prescription(prescriber=prescriber, patient=patient)
    services.prescription_cancel(prescription=cancelled, by=prescriber, reason="Erreur")
    good = renewable_prescription
    wrong_code = "000000" if good.verification_code != "000000" else "111111"
    return {
        "wrong birth date": (good.reference, "13/03/1956", ""),
        "unknown reference": ("APA-2026-0000-0000", "12/03/1956", ""),
        "draft": (draft.reference, "12/03/1956", ""),
        "cancelled": (cancelled.reference, "12/03/1956", ""),
        # With the QR code (a hidden code field): the same two pages again.
        "QR code, wrong birth date": (good.reference, "13/03/1956", good.verification_code),
        "QR code, wrong code": (good.reference, "12/03/1956", wrong_code),
    }


def test_wrong_combinations_reveal_nothing(
    physio_logged_in, physiotherapist, failure_cases, settings
):
    settings.APA_LOOKUP_MAX_FAILURES = 100  # this test is not about the throttle
    pages = {}
    for case, (reference, birth_date, code) in failure_cases.items():
        response = lookup(physio_logged_in, reference, birth_date, code=code)
        assert response.status_code == 200, case
        html = _main(response)
        assert str(MSG_LOOKUP_NO_MATCH).replace("'", "&#x27;") in html, case
        # Once what the user typed is set aside, every page is the same page.
        for typed in (reference, birth_date, code):
            if typed:
                html = html.replace(f'value="{typed}"', 'value=""')
        pages[case] = re.sub(r"\s+", " ", html)
    typed_pages = {pages[case] for case in pages if not case.startswith("QR")}
    qr_pages = {pages[case] for case in pages if case.startswith("QR")}
    assert len(typed_pages) == 1 and len(qr_pages) == 1
    assert not CareTeamGrant.objects.filter(user=physiotherapist).exists()


def test_a_malformed_reference_is_explained_without_touching_the_data(physio_logged_in):
    response = lookup(physio_logged_in, "12345", "12/03/1956")
    assert str(MSG_LOOKUP_REFERENCE_FORMAT) in _html(response)


def test_repeated_wrong_tries_are_throttled_even_for_a_correct_one(
    physio_logged_in, physiotherapist, renewable_prescription
):
    limit = settings.APA_LOOKUP_MAX_FAILURES
    for _ in range(limit):
        assert (
            lookup(physio_logged_in, renewable_prescription.reference, "01/01/1900").status_code
            == 200
        )
    response = lookup(physio_logged_in, renewable_prescription.reference, "12/03/1956")
    assert response.status_code == 429
    minutes = settings.APA_LOOKUP_WINDOW_SECONDS // 60
    assert (MSG_LOOKUP_THROTTLED % {"minutes": minutes}).replace("'", "&#x27;") in _html(response)
    assert not CareTeamGrant.objects.filter(user=physiotherapist).exists()


def test_the_throttle_is_also_per_ip_address(
    client, physiotherapist, second_physiotherapist, renewable_prescription
):
    client.force_login(physiotherapist)
    for _ in range(settings.APA_LOOKUP_MAX_FAILURES):
        lookup(client, renewable_prescription.reference, "01/01/1900", REMOTE_ADDR="10.0.0.7")
    same_ip, other_ip = Client(), Client()
    same_ip.force_login(second_physiotherapist)
    other_ip.force_login(second_physiotherapist)
    good = (renewable_prescription.reference, "12/03/1956")
    assert lookup(same_ip, *good, REMOTE_ADDR="10.0.0.7").status_code == 429
    assert lookup(other_ip, *good, REMOTE_ADDR="10.0.0.8").status_code == 302


def test_the_throttle_lifts_after_the_window(physio_logged_in, renewable_prescription):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(settings.APA_LOOKUP_MAX_FAILURES):
            lookup(physio_logged_in, renewable_prescription.reference, "01/01/1900")
        good = (renewable_prescription.reference, "12/03/1956")
        assert lookup(physio_logged_in, *good).status_code == 429
        traveller.shift(timedelta(seconds=settings.APA_LOOKUP_WINDOW_SECONDS + 1))
        assert lookup(physio_logged_in, *good).status_code == 302


def test_failures_are_logged_without_patient_data(
    physio_logged_in, physiotherapist, renewable_prescription, patient, caplog
):
    with caplog.at_level(logging.WARNING, logger="prescriptions.lookup"):
        for _ in range(settings.APA_LOOKUP_MAX_FAILURES + 1):
            lookup(physio_logged_in, renewable_prescription.reference, "13/03/1956")
    records = [r for r in caplog.records if r.name == "prescriptions.lookup"]
    assert len(records) == settings.APA_LOOKUP_MAX_FAILURES + 1
    logged = caplog.text
    assert f"user_id={physiotherapist.pk}" in logged and "throttled" in logged
    for secret in (
        renewable_prescription.reference,
        "13/03/1956",
        "1956",
        patient.birth_name,
        patient.first_names,
    ):
        assert secret not in logged


@pytest.mark.parametrize("persona", ["prescriber", "apa_teacher", "structure_admin"])
def test_only_a_physiotherapist_may_look_up(client, request, persona, renewable_prescription):
    client.force_login(request.getfixturevalue(persona))
    for response in (
        client.get(LOOKUP_URL),
        lookup(client, renewable_prescription.reference, "12/03/1956"),
    ):
        assert response.status_code == 403
        assert str(MSG_LOOKUP_NOT_PHYSIOTHERAPIST).replace("'", "&#x27;") in _html(response)
    assert not CareTeamGrant.objects.filter(reason=CareTeamGrant.Reason.LOOKUP).exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page_with_the_qr_code_kept(client):
    response = client.get(LOOKUP_URL, {"ref": "APA-2026-0000-0000", "code": "ABC123"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "ref%3DAPA-2026-0000-0000" in response["Location"]


# --- Concurrency (PostgreSQL) ------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_physiotherapists_submitting_at_the_same_moment_leave_one_renewal(
    prescriber, patient, physiotherapist, second_physiotherapist, monkeypatch
):
    import notifications.receivers
    from prescriptions import renewal_views

    # Make the race certain: both requests pass the page's check and enter the service; the
    # first one to take the row lock holds it (while notifying, inside its transaction) until
    # the other has entered the service too, which then waits on the lock (R-R2). An event,
    # not a sleep: a loaded CI machine can delay the second thread by any amount.
    entered = []
    both_entered = threading.Event()
    real_renew = services.prescription_renew
    real_notify = notifications.receivers.notify_prescriber_of_renewal

    def counting_renew(**kwargs):
        entered.append(kwargs["physiotherapist"].pk)
        if len(entered) == 2:
            both_entered.set()
        return real_renew(**kwargs)

    def notify_once_both_entered(renewal):
        both_entered.wait(timeout=15)
        return real_notify(renewal)

    monkeypatch.setattr(renewal_views, "prescription_renew", counting_renew)
    # The receiver holds its own reference to the service: patch the name it calls.
    monkeypatch.setattr(
        notifications.receivers, "notify_prescriber_of_renewal", notify_once_both_entered
    )
    prescription = factories.make_prescription(
        prescriber=prescriber, patient=patient, **_ending_in(10)
    )
    clients = []
    for physio in (physiotherapist, second_physiotherapist):
        _grant(physio, prescription)
        c = Client()
        c.force_login(physio)
        clients.append(c)
    barrier = threading.Barrier(len(clients))
    responses = [None] * len(clients)

    def submit(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[index] = clients[index].post(renewal_url(prescription), renewal_post())
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(entered) == sorted([physiotherapist.pk, second_physiotherapist.pk])
    assert Renewal.objects.filter(prescription=prescription).count() == 1
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 302]  # never a 500
    loser = next(r for r in responses if r.status_code == 200)
    assert "a déjà été renouvelée" in _html(loser)


def test_a_blank_renewal_form_reports_every_missing_item_at_once_linked_from_the_summary(
    physio_client, renewable_prescription
):
    response = physio_client.post(renewal_url(renewable_prescription), {})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"kind", "duration_months", "patient_agreement", "no_risk_attestation"}
    html = response.content.decode()
    assert "<title>Erreur : " in html
    for anchor in ("id_kind_0", "id_duration_months_0", "id_patient_agreement"):
        assert html.count(f'href="#{anchor}"') == 1, anchor
    # Required to sign, and marked as such.
    for name in ("patient_agreement", "no_risk_attestation"):
        assert f'for="id_{name}" class="form-check-label requiredField"' in html, name


def test_the_prescription_page_shows_the_adapted_recommendations_first_then_the_initial_ones(
    client, prescriber, adapted
):
    client.force_login(prescriber)
    html = _html(
        client.get(reverse("prescriptions:detail", kwargs={"pk": adapted.prescription_id}))
    )
    in_force = html.index("Préconisations en vigueur")
    initial = html.index("Préconisations initiales du médecin")
    assert in_force < html.index("Tai-chi") < initial
    assert f"adaptées le {_date(adapted.performed_on)}" in html


def test_the_new_period_of_each_duration_is_shown_before_signing(
    physio_client, renewable_prescription
):
    html = _html(physio_client.get(renewal_url(renewable_prescription)))
    today = timezone.localdate()
    for months in (3, 6):
        start, end = rules.renewal_period(
            initial_end=renewable_prescription.end_date, performed_on=today, months=months
        )
        assert f"{months} mois : du {_date(start)} au {_date(end)}" in html
