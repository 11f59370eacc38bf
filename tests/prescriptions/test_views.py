"""The physician's journey in the browser: the one-page prescription, its page, list and PDF."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import ReadAudit
from patients.forms import MSG_IMPOSSIBLE_DATE
from prescriptions import views
from prescriptions.forms import MSG_RATE_ALL_FUNCTIONS, MSG_SESSIONS_PER_WEEK, PrescriptionForm
from prescriptions.models import LimitationAssessment, Prescription
from prescriptions.rules import LimitationLevel
from prescriptions.services import (
    MSG_DURATION,
    MSG_NO_AGREEMENT,
    MSG_NO_ASSESSMENT,
    MSG_NOT_DRAFT,
    MSG_NOT_ELIGIBLE,
    MSG_OUI_WITHOUT_REASON,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _new_url(patient) -> str:
    return f"{reverse('prescriptions:create')}?patient={patient.pk}"


def _form_data(**overrides) -> dict:
    """What a physician types on the page (a complete prescription)."""
    data = {
        "duration_months": "3",
        "start_date": timezone.localdate().isoformat(),
        "activity_types": ["endurance", "balance"],
        "sessions_per_week": "2",
        "session_minutes": "45",
        "intensity": "moderate",
        "recommendations_text": "Marche nordique",
        "restriction_picks": ["no_cold"],
        "restrictions_text": "",
        "locomotor": "2",
        "cerebral": "0",
        "sensory": "1",
        "confirmed_level": "",
        "physician_renewal_required": "non",
        "physician_renewal_reason": "",
        "patient_agreement": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _settle_session(client) -> None:
    """A first request stamps the session (idle time-out), so the measured one is the page's."""
    client.get(reverse("home"))


# --- The new prescription page -----------------------------------------------------------------
def test_the_new_prescription_page_has_everything_on_one_page(client, prescriber, patient):
    client.force_login(prescriber)
    response = client.get(_new_url(patient))
    text = response.text
    assert response.status_code == 200
    assert "Enregistrer le brouillon" in text and "Émettre et signer" in text
    assert f'value="{timezone.localdate():%d/%m/%Y}"' in text  # start date: today, jj/mm/aaaa
    assert "Élevée (Borg 14 à 16)" in text
    assert "Éviter efforts en ambiance froide" in text  # the R-P3 quick picks as chips
    assert "Surdité profonde" in text  # R-L3 indicators as help
    assert "js/prescription_form.js" in text
    # R-L4/R-L5: the supervision table for the four levels, as data for the live display.
    table = json.loads(
        text.split('id="supervision-table" type="application/json">')[1].split("</script>")[0]
    )
    assert set(table) == {"0", "1", "2", "3"}
    assert table["3"]["binding"].startswith("Seuls les professionnels de santé")
    assert "Enseignant en activité physique adaptée" not in table["3"]["professions"]


def test_a_draft_is_saved_with_its_assessment(client, prescriber, patient):
    client.force_login(prescriber)
    response = client.post(_new_url(patient), _form_data(patient_agreement=None, save="1"))
    prescription = Prescription.objects.get()
    assert response.status_code == 302
    assert response.url == prescription.get_absolute_url()
    assert prescription.status == Prescription.Status.DRAFT
    assert prescription.activity_types == ["endurance", "balance"]
    assert prescription.restriction_picks == ["no_cold"]
    # R-L2: left on "Niveau calculé", the confirmed level is the most severe rating.
    assert prescription.assessment.confirmed_level == LimitationLevel.MODERATE


def test_emettre_et_signer_issues_in_one_step_and_the_content_is_frozen(
    client, prescriber, patient
):
    client.force_login(prescriber)
    response = client.post(_new_url(patient), _form_data(confirmed_level="3", issue="1"))
    prescription = Prescription.objects.get()
    assert response.status_code == 302
    assert prescription.status == Prescription.Status.ISSUED
    assert prescription.issued_at is not None
    assert prescription.assessment.confirmed_level == LimitationLevel.SEVERE  # the physician's
    page = client.get(prescription.get_absolute_url()).text
    assert "Télécharger le formulaire (PDF)" in page
    assert prescription.verification_code in page
    assert "Modifier le brouillon" not in page
    assert "Seuls les professionnels de santé" in page  # R-L4 next to a severe level


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"duration_months": "2"}, "duration_months", MSG_DURATION),  # R-P2
        ({"duration_months": "7"}, "duration_months", MSG_DURATION),  # R-P2
        ({"duration_months": None}, "duration_months", MSG_DURATION),
        (  # R-P3
            {"physician_renewal_required": "oui", "physician_renewal_reason": "  "},
            "physician_renewal_reason",
            MSG_OUI_WITHOUT_REASON,
        ),
        ({"start_date": "2026-02-30"}, "start_date", MSG_IMPOSSIBLE_DATE),
        ({"start_date": "31/04/2026"}, "start_date", MSG_IMPOSSIBLE_DATE),
        ({"sessions_per_week": "9"}, "sessions_per_week", MSG_SESSIONS_PER_WEEK),
        ({"cerebral": None}, "cerebral", MSG_RATE_ALL_FUNCTIONS),  # R-L1
    ],
)
@pytest.mark.parametrize("button", ["save", "issue"])
def test_bad_input_is_refused_next_to_the_field_and_stores_nothing(
    client, prescriber, patient, overrides, field, message, button
):
    client.force_login(prescriber)
    before = (Prescription.objects.count(), LimitationAssessment.objects.count())
    data = _form_data(recommendations_text="Marche nordique au parc", **overrides)
    response = client.post(_new_url(patient), {**data, button: "1"})
    assert response.status_code == 200
    assert (Prescription.objects.count(), LimitationAssessment.objects.count()) == before
    form = response.context["form"]
    assert form.errors[field] == [str(message)]
    assert not form.non_field_errors()  # said once, next to the field
    assert f'id="id_{field}_error"' in response.text
    assert "Marche nordique au parc" in response.text  # everything typed is kept


def test_issuing_without_the_patients_agreement_stores_nothing(client, prescriber, patient):
    client.force_login(prescriber)
    response = client.post(
        _new_url(patient),
        _form_data(patient_agreement=None, restrictions_text="Genou droit fragile", issue="1"),
    )
    assert response.status_code == 200
    assert Prescription.objects.count() == 0  # R-P1: the draft's save is rolled back too
    form = response.context["form"]
    assert form.errors["patient_agreement"] == [str(MSG_NO_AGREEMENT)]
    assert not form.non_field_errors()
    assert "Genou droit fragile" in response.text


def test_issuing_without_an_assessment_says_so_in_the_assessment_section(
    client, prescriber, patient
):
    client.force_login(prescriber)
    data = _form_data(locomotor=None, cerebral=None, sensory=None, issue="1")
    response = client.post(_new_url(patient), data)
    assert Prescription.objects.count() == 0
    form = response.context["form"]
    # Next to the first function of the assessment, and linked from the summary to it.
    assert form.errors["locomotor"] == [str(MSG_NO_ASSESSMENT)]
    assert 'href="#id_locomotor_0"' in response.text


def test_issuing_for_an_ineligible_patient_is_refused(client, prescriber, structure):
    patient = factories.PatientFactory(structure=structure, situations=[])
    client.force_login(prescriber)
    page = client.get(_new_url(patient)).text
    assert "Aucune situation ouvrant droit" in page  # said before the physician types
    response = client.post(_new_url(patient), _form_data(issue="1"))
    assert Prescription.objects.count() == 0
    # R-E1: the physician may edit the patient, so the situations are asked in the form itself.
    assert response.context["form"].errors["situations"] == [str(MSG_NOT_ELIGIBLE)]


def test_a_physician_who_may_not_edit_the_patient_is_told_the_patient_is_not_eligible(
    client, prescriber, structure
):
    patient = factories.PatientFactory(structure=structure, situations=[])
    form = PrescriptionForm(_form_data(issue="1"), issuing=True, eligible=False)
    assert not form.is_valid()
    assert str(MSG_NOT_ELIGIBLE) in [str(e) for e in form.non_field_errors()]
    assert "situations" not in form.fields
    assert patient.situations.count() == 0


def test_a_situation_ticked_in_the_prescription_form_is_recorded_and_the_issue_goes_through(
    client, prescriber, structure
):
    patient = factories.PatientFactory(structure=structure, situations=[])
    client.force_login(prescriber)
    page = client.get(_new_url(patient))
    choices = page.context["form"].fields["situations"].choices
    situation_pk = choices[0][0]
    response = client.post(_new_url(patient), _form_data(issue="1", situations=[situation_pk]))
    assert response.status_code == 302
    prescription = Prescription.objects.get()
    assert prescription.status == Prescription.Status.ISSUED
    assert list(patient.situations.values_list("pk", flat=True)) == [situation_pk]


def test_a_blank_issue_reports_every_missing_item_at_once(client, prescriber, structure):
    patient = factories.PatientFactory(structure=structure, situations=[])
    client.force_login(prescriber)
    response = client.post(_new_url(patient), {"issue": "1"})
    assert Prescription.objects.count() == 0
    errors = response.context["form"].errors
    for name in (
        "duration_months",
        "start_date",
        "activity_types",
        "locomotor",
        "patient_agreement",
        "situations",
    ):
        assert name in errors, name
    html = response.text
    assert "<title>Erreur : " in html
    assert 'id="error-summary" tabindex="-1"' in html
    for name in ("duration_months", "activity_types", "locomotor", "situations"):
        assert html.count(f'href="#id_{name}_0"') == 1, name
    assert html.count('href="#id_start_date"') == 1
    assert html.count('href="#id_patient_agreement"') == 1


def test_a_blank_draft_save_asks_only_what_a_draft_needs(client, prescriber, patient):
    client.force_login(prescriber)
    response = client.post(_new_url(patient), {"save": "1"})
    errors = response.context["form"].errors
    assert set(errors) == {"duration_months", "start_date", "physician_renewal_required"}


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("31/12/9999", "start_too_late"),
        ("01/01/1900", "start_too_early"),
        ("01/01/0001", "start_too_early"),
    ],
)
def test_a_start_date_outside_the_window_is_refused_in_french(
    client, prescriber, patient, typed, code
):
    client.force_login(prescriber)
    response = client.post(_new_url(patient), _form_data(start_date=typed, issue="1"))
    assert response.status_code == 200
    assert Prescription.objects.count() == 0
    form = response.context["form"]
    assert form.has_error("start_date", code)
    assert "La date de début ne peut pas" in form.errors["start_date"][0]


@pytest.mark.parametrize("months", [1, 3])
def test_the_start_date_window_follows_the_settings(client, prescriber, patient, settings, months):
    settings.APA_START_DATE_MONTHS_AFTER = months
    client.force_login(prescriber)
    two_months = (timezone.localdate() + timedelta(days=62)).isoformat()
    response = client.post(_new_url(patient), _form_data(start_date=two_months, save="1"))
    saved = Prescription.objects.exists()
    assert saved is (months == 3)
    if not saved:
        assert response.context["form"].has_error("start_date", "start_too_late")


def test_a_start_date_with_a_two_digit_year_is_told_to_type_four_digits(
    client, prescriber, patient
):
    client.force_login(prescriber)
    response = client.post(_new_url(patient), _form_data(start_date="14/5/61", save="1"))
    assert response.context["form"].has_error("start_date", "short_year")


def test_a_refused_issue_leaves_the_saved_draft_as_it_was(client, prescriber, draft_prescription):
    client.force_login(prescriber)
    url = reverse("prescriptions:update", args=[draft_prescription.pk])
    response = client.post(
        url, _form_data(recommendations_text="Nouveau texte", patient_agreement=None, issue="1")
    )
    assert response.status_code == 200
    draft_prescription.refresh_from_db()
    assert draft_prescription.status == Prescription.Status.DRAFT
    assert draft_prescription.recommendations_text == "Marche nordique"
    assert "Nouveau texte" in response.text


def test_a_draft_is_edited_then_issued(client, prescriber, draft_prescription):
    client.force_login(prescriber)
    url = reverse("prescriptions:update", args=[draft_prescription.pk])
    page = client.get(url).text
    assert "Marche nordique" in page  # the saved content fills the form
    response = client.post(url, _form_data(duration_months="6", issue="1"))
    assert response.status_code == 302
    draft_prescription.refresh_from_db()
    assert draft_prescription.status == Prescription.Status.ISSUED
    assert draft_prescription.duration_months == 6


def test_the_issue_button_of_a_draft_page_issues_it(client, prescriber, draft_prescription):
    client.force_login(prescriber)
    response = client.post(reverse("prescriptions:issue", args=[draft_prescription.pk]))
    assert response.status_code == 302
    draft_prescription.refresh_from_db()
    assert draft_prescription.status == Prescription.Status.ISSUED


def test_the_issue_button_shows_the_form_with_the_reasons_when_refused(client, prescriber, patient):
    draft = factories.make_prescription(
        prescriber=prescriber, patient=patient, issue=False, patient_agreement=False
    )
    client.force_login(prescriber)
    response = client.post(reverse("prescriptions:issue", args=[draft.pk]))
    assert response.status_code == 200
    assert response.context["form"].errors["patient_agreement"] == [str(MSG_NO_AGREEMENT)]
    draft.refresh_from_db()
    assert draft.status == Prescription.Status.DRAFT


@pytest.mark.parametrize(
    ("method", "name"),
    [("get", "update"), ("post", "update"), ("get", "issue"), ("post", "issue")],
)
def test_an_issued_prescription_cannot_be_edited_by_any_url(
    client, prescriber, issued_prescription, method, name
):
    client.force_login(prescriber)
    url = reverse(f"prescriptions:{name}", args=[issued_prescription.pk])
    response = getattr(client, method)(url, _form_data(duration_months="6", save="1"))
    assert response.status_code in (302, 405)
    assert "<form" not in response.content.decode() or response.status_code != 200
    if response.status_code == 302:
        assert response.url == issued_prescription.get_absolute_url()
        followed = client.get(response.url)
        assert str(MSG_NOT_DRAFT) in [str(m) for m in followed.context["messages"]]
    issued_prescription.refresh_from_db()
    assert issued_prescription.duration_months == 3  # R-P4
    assert issued_prescription.status == Prescription.Status.ISSUED


def test_a_colleague_cannot_edit_the_prescribers_prescriptions(
    client, colleague_physician, draft_prescription, issued_prescription
):
    client.force_login(colleague_physician)
    draft_url = reverse("prescriptions:update", args=[draft_prescription.pk])
    assert client.get(draft_url).status_code == 404  # a draft is the prescriber's only
    issued_url = reverse("prescriptions:update", args=[issued_prescription.pk])
    assert client.get(issued_url).status_code == 403
    assert (
        client.post(reverse("prescriptions:issue", args=[draft_prescription.pk])).status_code == 404
    )


def test_only_a_physician_opens_the_prescription_form(client, structure_admin, patient):
    client.force_login(structure_admin)
    assert client.get(_new_url(patient)).status_code == 403  # R-P1
    assert client.post(_new_url(patient), _form_data(issue="1")).status_code == 403
    assert Prescription.objects.count() == 0


def test_the_new_page_without_a_patient_sends_to_the_patient_list(client, prescriber):
    client.force_login(prescriber)
    response = client.get(reverse("prescriptions:create"))
    assert response.status_code == 302
    assert response.url == reverse("patients:list")


def test_another_structures_patient_cannot_be_prescribed_for(client, outsider_physician, patient):
    client.force_login(outsider_physician)
    assert client.get(_new_url(patient)).status_code == 404
    assert client.post(_new_url(patient), _form_data(issue="1")).status_code == 404


def test_html_typed_in_the_text_fields_comes_back_escaped(client, prescriber, patient):
    client.force_login(prescriber)
    script = "<script>alert('x')</script>"
    data = _form_data(
        recommendations_text=script,
        restrictions_text='<img src="file:///etc/passwd">',
        physician_renewal_required="oui",
        physician_renewal_reason="<b>cardio</b>",
        issue="1",
    )
    response = client.post(_new_url(patient), data, follow=True)
    text = response.content.decode()
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    assert "<img src=" not in text
    assert "&lt;b&gt;cardio&lt;/b&gt;" in text


# --- The prescription page, list, cancel and PDF ---------------------------------------------
def test_the_prescription_page_shows_the_renewal(client, prescriber, renewal):
    client.force_login(prescriber)
    text = client.get(renewal.prescription.get_absolute_url()).text
    assert renewal.physio_display_name in text
    assert renewal.physio_rpps in text
    assert renewal.end_date.strftime("%d/%m/%Y") in text
    assert "Partie destinée au masseur-kinésithérapeute" in text


@pytest.mark.parametrize("rows", [3, 15])
def test_prescription_page_queries_do_not_grow_with_the_data(
    client, prescriber, patient, rows, django_assert_max_num_queries
):
    prescriptions = [
        factories.make_prescription(prescriber=prescriber, patient=patient) for _ in range(rows)
    ]
    client.force_login(prescriber)
    _settle_session(client)
    # 1 session, 2 user, 3 the prescription (patient, prescriber, structure, assessment,
    # renewal joined), 4 audit insert, 5 supervising professions, 6 unread notifications,
    # 7 unread renewals (the physiotherapist's part), 8-9 the request's savepoint and release.
    with django_assert_max_num_queries(9):
        response = client.get(prescriptions[-1].get_absolute_url())
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [3, 15])
def test_prescription_list_queries_do_not_grow_with_the_data(
    client, prescriber, patient, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        factories.make_prescription(prescriber=prescriber, patient=patient)
    client.force_login(prescriber)
    _settle_session(client)
    # 1 session, 2 user, 3 count, 4 unread notifications, 5 the page (patient, prescriber,
    # renewal joined), 6 the read audit's insert (one for the page, naming its patients),
    # 7 unread renewals (the badge), 8-9 the request's savepoint and release.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("prescriptions:list"))
    assert response.text.count("font-monospace") == rows


def test_the_list_filters_by_status(client, prescriber, draft_prescription, issued_prescription):
    client.force_login(prescriber)
    response = client.get(reverse("prescriptions:list"), {"status": "draft"})
    assert draft_prescription.reference in response.text
    assert issued_prescription.reference not in response.text


def test_the_prescriber_cancels_a_draft(client, prescriber, draft_prescription):
    client.force_login(prescriber)
    response = client.post(reverse("prescriptions:cancel", args=[draft_prescription.pk]))
    assert response.status_code == 302
    draft_prescription.refresh_from_db()
    assert draft_prescription.status == Prescription.Status.CANCELLED


def test_withdrawing_an_issued_prescription_needs_a_reason(client, prescriber, issued_prescription):
    client.force_login(prescriber)
    url = reverse("prescriptions:cancel", args=[issued_prescription.pk])
    response = client.post(url, {"cancel_reason": ""})
    assert response.status_code == 400
    assert response.context["cancel_form"].errors["cancel_reason"]
    issued_prescription.refresh_from_db()
    assert issued_prescription.status == Prescription.Status.ISSUED
    client.post(url, {"cancel_reason": "Erreur de patient"})
    issued_prescription.refresh_from_db()
    assert issued_prescription.status == Prescription.Status.CANCELLED


def test_only_the_prescriber_cancels(client, colleague_physician, issued_prescription):
    client.force_login(colleague_physician)
    url = reverse("prescriptions:cancel", args=[issued_prescription.pk])
    assert client.post(url, {"cancel_reason": "x"}).status_code == 403
    assert client.get(url).status_code == 405


def test_the_pdf_is_served_privately_and_audited(
    client, prescriber, issued_prescription, monkeypatch
):
    monkeypatch.setattr(views.pdf, "prescription_pdf_bytes", lambda p: b"%PDF-1.7 test")
    client.force_login(prescriber)
    response = client.get(reverse("prescriptions:pdf", args=[issued_prescription.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert f"prescription-{issued_prescription.reference}.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.7 test"
    assert ReadAudit.objects.filter(
        prescription_id=issued_prescription.pk, action=ReadAudit.Action.PRESCRIPTION_PDF
    ).exists()


def test_a_draft_has_no_pdf(client, prescriber, draft_prescription, monkeypatch):
    monkeypatch.setattr(views.pdf, "prescription_pdf_bytes", lambda p: b"%PDF")
    client.force_login(prescriber)
    response = client.get(reverse("prescriptions:pdf", args=[draft_prescription.pk]))
    assert response.status_code == 404
    assert not ReadAudit.objects.filter(action=ReadAudit.Action.PRESCRIPTION_PDF).exists()


@pytest.mark.parametrize("rows", [3, 15])
def test_pdf_view_queries_do_not_grow_with_the_data(
    client, prescriber, patient, rows, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(views.pdf, "prescription_pdf_bytes", lambda p: b"%PDF")
    prescriptions = [
        factories.make_prescription(prescriber=prescriber, patient=patient) for _ in range(rows)
    ]
    client.force_login(prescriber)
    _settle_session(client)
    # 1 session, 2 user, 3 the prescription with its relations, 4 audit insert,
    # 5-6 the request's savepoint and release (the PDF renderer itself is stubbed here).
    with django_assert_max_num_queries(6):
        client.get(reverse("prescriptions:pdf", args=[prescriptions[-1].pk]))


# --- Home -------------------------------------------------------------------------------------
def test_the_physicians_home_lists_drafts_and_prescriptions_ending_soon(
    client, prescriber, patient, draft_prescription
):
    ending = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        start_date=timezone.localdate() - timedelta(days=80),
    )
    later = factories.make_prescription(prescriber=prescriber, patient=patient, duration_months=6)
    client.force_login(prescriber)
    response = client.get(reverse("home"))
    assert list(response.context["drafts"]) == [draft_prescription]
    assert list(response.context["ending_soon"]) == [ending]
    assert later not in response.context["ending_soon"]


def test_the_home_counts_the_patients_up_to_a_cap(client, prescriber, structure, monkeypatch):
    from dashboard import views as home_views

    factories.PatientFactory.create_batch(3, structure=structure)
    client.force_login(prescriber)
    assert "Trouver un patient pour prescrire (3)" in client.get(reverse("home")).text
    monkeypatch.setattr(home_views, "PATIENT_COUNT_CAP", 2)
    text = client.get(reverse("home")).text
    assert "Trouver un patient pour prescrire (plus de 2)" in text


def test_a_renewed_prescription_ends_on_the_home_at_its_renewals_end(client, prescriber, renewal):
    """R-R6: the home's ending-soon list follows the renewal's end, not the initial one."""
    with time_machine.travel(renewal.prescription.end_date):
        client.force_login(prescriber)  # a new session on that day (30-minute idle limit)
        assert renewal.prescription not in client.get(reverse("home")).context["ending_soon"]
    with time_machine.travel(renewal.end_date - timedelta(days=5)):
        client.force_login(prescriber)
        page = client.get(reverse("home"))
    assert list(page.context["ending_soon"]) == [renewal.prescription]
    assert renewal.end_date.strftime("%d/%m/%Y") in page.text


def test_a_physiotherapists_home_lists_their_patients(client, physiotherapist, issued_prescription):
    factories.look_up(issued_prescription, physiotherapist)
    client.force_login(physiotherapist)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert issued_prescription.patient in response.context["recent_patients"]
    assert issued_prescription in response.context["recent_prescriptions"]
