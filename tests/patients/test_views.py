"""The patient pages as a person uses them: list and search, record and timeline, create/edit."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.forms import MSG_CONFIRM_NOT_DUPLICATE, MSG_IMPOSSIBLE_DATE
from patients.models import CareTeamGrant, EligibilitySituation, Patient
from patients.rules import MSG_NIR_DUPLICATE, MSG_NIR_KEY
from patients.services import MSG_BIRTH_DATE, MSG_OTHER_RISK_FACTOR, care_team_grant
from tests import factories

pytestmark = pytest.mark.django_db

VALID_NIR = "295109912611193"  # key 93 is right (R-ID2)
WRONG_KEY_NIR = "295109912611194"


def _patient_data(**overrides) -> dict:
    data = {
        "birth_name": "Durand",
        "used_name": "",
        "first_names": "Lucie",
        "birth_date": "1970-05-04",
        "sex": "F",
        "nir": "",
        "physician_in_charge": "",
        "ald_details": "",
        "other_risk_factor": "",
        "phone": "",
        "email": "",
        "address": "",
        "postal_code": "",
        "city": "",
        "situations": [EligibilitySituation.objects.get(code="ald").pk],
    }
    data.update(overrides)
    return data


def _settle_session(client) -> None:
    """A first request stamps the session (idle time-out), so the measured one is the page's."""
    client.get(reverse("home"))


# --- List and search ----------------------------------------------------------------------------
def test_the_prescriber_sees_the_patients_of_the_structure(client, prescriber, patient):
    client.force_login(prescriber)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 200
    assert patient.full_name in response.text
    assert 'hx-trigger="input changed delay:250ms, search"' in response.text


def test_search_by_helene_finds_helene_without_the_accent(client, prescriber, structure):
    helene = factories.PatientFactory(
        structure=structure, birth_name="Dupont", first_names="Hélène"
    )
    other = factories.PatientFactory(structure=structure, birth_name="Martin", first_names="Paul")
    client.force_login(prescriber)
    response = client.post(reverse("patients:list"), {"q": "helene"})
    assert helene.full_name in response.text
    assert other.full_name not in response.text


def test_search_as_you_type_answers_the_results_fragment_only(client, prescriber, patient):
    client.force_login(prescriber)
    response = client.post(reverse("patients:list"), {"q": "hel"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert patient.full_name in response.text
    assert "HX-Request" in response["Vary"]


def test_search_by_french_birth_date(client, prescriber, structure):
    found = factories.PatientFactory(structure=structure, birth_date=date(1961, 7, 14))
    other = factories.PatientFactory(structure=structure, birth_date=date(1962, 7, 14))
    client.force_login(prescriber)
    response = client.post(reverse("patients:list"), {"q": "14/07/1961"})
    assert found.full_name in response.text
    assert other.full_name not in response.text


def test_the_list_is_paginated(client, prescriber, structure):
    factories.PatientFactory.create_batch(30, structure=structure)
    client.force_login(prescriber)
    first = client.get(reverse("patients:list"))
    second = client.post(reverse("patients:list"), {"apres": first.context["page"].last_pk})
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert "30 patients · 5 affichés" in second.text
    assert "Suivants" in first.text and "Suivants" not in second.text
    assert "Précédents" in second.text and "Précédents" not in first.text


def _walk(client, data, direction, start):
    """Every patient met by pressing "Suivants" (or "Précédents") from `start` to the end."""
    seen, key = [], start
    while key is not None:
        page = client.post(reverse("patients:list"), {**data, direction: key}).context["page"]
        rows = list(page) if direction == "apres" else list(reversed(list(page)))
        seen += rows
        more = page.has_next if direction == "apres" else page.has_previous
        key = (rows[-1].pk if rows else None) if more else None
    return seen


def test_keyset_pages_meet_every_patient_once_in_order_both_ways(client, prescriber, structure):
    """Issue 8: pages by keyset. Namesakes (same names, so the key decides) are neither skipped
    nor repeated, going forward with "Suivants" or back with "Précédents"."""
    for index in range(23):
        factories.PatientFactory(structure=structure, birth_name="Martin", first_names="Anne")
        factories.PatientFactory(structure=structure, birth_name=f"Zed{index % 4}")
        factories.PatientFactory(structure=structure, birth_name="Abel", first_names=f"E{index}")
    expected = list(Patient.objects.order_by("birth_name", "first_names", "id"))
    client.force_login(prescriber)
    first = client.get(reverse("patients:list")).context["page"]
    forward = list(first) + _walk(client, {}, "apres", first.last_pk)
    assert forward == expected
    last = client.post(reverse("patients:list"), {"apres": expected[-26].pk}).context["page"]
    assert list(last) == expected[-25:] and not last.has_next
    backward = list(reversed(list(last))) + _walk(client, {}, "avant", last.first_pk)
    assert backward == list(reversed(expected))


def test_a_key_that_is_malformed_or_hidden_gives_the_first_page(
    client, prescriber, structure, outsider_physician
):
    factories.PatientFactory.create_batch(30, structure=structure)
    hidden = factories.PatientFactory(structure=outsider_physician.structure, birth_name="Aaa")
    client.force_login(prescriber)
    first = client.get(reverse("patients:list")).context["page"]
    for key in ("pas-une-clé", "", str(hidden.pk), "1' OR 1=1"):
        for name in ("apres", "avant"):
            page = client.post(reverse("patients:list"), {name: key}).context["page"]
            assert list(page) == list(first) and not page.has_previous


@pytest.mark.django_db
def test_a_deep_keyset_page_runs_as_many_queries_as_the_second(
    client, prescriber, structure, django_assert_max_num_queries
):
    factories.PatientFactory.create_batch(80, structure=structure)
    client.force_login(prescriber)
    _settle_session(client)
    ordered = list(Patient.objects.order_by("birth_name", "first_names", "id"))
    counts = []
    for anchor in (ordered[24], ordered[74]):
        # + the anchor's values, beside the list's queries (the count's two parts, page, navbar,
        # savepoint, the read audit's insert naming the patients shown)
        with django_assert_max_num_queries(10) as captured:
            client.post(reverse("patients:list"), {"apres": anchor.pk})
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_patients_of_another_structure_are_not_listed(client, outsider_physician, patient):
    client.force_login(outsider_physician)
    response = client.get(reverse("patients:list"))
    assert patient.full_name not in response.text


@pytest.mark.parametrize("rows", [3, 15])
def test_patient_list_queries_do_not_grow_with_the_patients(
    client, prescriber, structure, rows, django_assert_max_num_queries
):
    factories.PatientFactory.create_batch(rows, structure=structure)
    client.force_login(prescriber)
    _settle_session(client)
    # 1 session, 2 user, 3 count of the page, 4 the page of patients,
    # 5 the read audit's insert (one for the page, naming its patients), 6 unread notifications
    # (navbar, physicians only), 7-8 the request's savepoint (ATOMIC_REQUESTS, inside the test's
    # transaction) and its release.
    with django_assert_max_num_queries(8):
        response = client.post(reverse("patients:list"), {"q": "dupont"})
    assert response.status_code == 200


# --- Record and timeline --------------------------------------------------------------------
def test_the_record_shows_identity_eligibility_and_the_timeline(
    client, prescriber, patient, renewal
):
    client.force_login(prescriber)
    response = client.get(patient.get_absolute_url())
    text = response.text
    assert response.status_code == 200
    assert patient.full_name in text
    assert "Affection de longue durée" in text
    assert renewal.prescription.reference in text
    # Who renewed, when, and until when.
    assert renewal.physio_display_name in text
    assert renewal.physio_rpps in text
    assert renewal.performed_on.strftime("%d/%m/%Y") in text
    assert renewal.end_date.strftime("%d/%m/%Y") in text
    assert "Nouvelle prescription" in text


def test_the_nir_is_hidden_from_an_apa_teacher(client, prescriber, apa_teacher, structure):
    patient = factories.PatientFactory(structure=structure, nir=VALID_NIR)
    care_team_grant(patient=patient, user=apa_teacher, reason=CareTeamGrant.Reason.ORIENTATION)
    client.force_login(apa_teacher)
    response = client.get(patient.get_absolute_url())
    assert response.status_code == 200
    assert "2 95 10 99 126 111 93" not in response.text
    assert "Nouvelle prescription" not in response.text
    client.force_login(prescriber)
    assert "2 95 10 99 126 111 93" in client.get(patient.get_absolute_url()).text


def test_a_colleague_does_not_see_the_prescribers_drafts_in_the_timeline(
    client, colleague_physician, draft_prescription
):
    client.force_login(colleague_physician)
    response = client.get(draft_prescription.patient.get_absolute_url())
    assert draft_prescription.reference not in response.text


@pytest.mark.parametrize("rows", [3, 15])
def test_patient_record_queries_do_not_grow_with_the_prescriptions(
    client, prescriber, patient, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        factories.make_prescription(prescriber=prescriber, patient=patient)
    client.force_login(prescriber)
    _settle_session(client)
    # 1 session, 2 user, 3 the patient (structure, physician in charge), 4 audit insert,
    # 5 situations, 6 unread notifications (navbar), 7 the prescriptions (prescriber, renewal,
    # assessment joined), 8 the orientations in force (professional joined), 9 the look-up
    # accesses (physiotherapist and prescription joined), 10 the bilans and comptes rendus the
    # physician reads (one UNION; here the médecin traitant), 11 the cancer episodes (the
    # post-cancer pathway's section), 12 the referrals to group programmes (their enrolments
    # only when there are some), 13-14 the request's savepoint and its release (ATOMIC_REQUESTS
    # inside the test's transaction). May the physician prescribe, orient or end an access
    # (R-P1): the patient was just read through their scope, no query.
    with django_assert_max_num_queries(14):
        response = client.get(patient.get_absolute_url())
    assert response.text.count('class="badge status-badge') == rows


# --- Create and edit ------------------------------------------------------------------------
def test_a_physician_registers_a_patient_with_the_situations(client, prescriber):
    client.force_login(prescriber)
    response = client.get(reverse("patients:create"))
    assert response.status_code == 200
    assert "Perte d&#x27;autonomie (handicap ou vieillissement)" in response.text  # R-E1 groups
    response = client.post(reverse("patients:create"), _patient_data(nir="2 95 10 99 126 111 93"))
    patient = Patient.objects.get(birth_name="Durand")
    assert response.status_code == 302
    assert response.url == patient.get_absolute_url()
    assert patient.nir == VALID_NIR
    assert [s.code for s in patient.situations.all()] == ["ald"]
    assert patient.structure == prescriber.structure


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"nir": WRONG_KEY_NIR}, "nir", MSG_NIR_KEY),  # R-ID2
        ({"birth_date": "1980-02-31"}, "birth_date", MSG_IMPOSSIBLE_DATE),
        ({"birth_date": "31/02/1980"}, "birth_date", MSG_IMPOSSIBLE_DATE),
        ({"birth_date": "1890-01-01"}, "birth_date", MSG_BIRTH_DATE),
        ({"birth_date": ""}, "birth_date", None),
    ],
)
def test_bad_patient_input_is_refused_next_to_the_field_and_stores_nothing(
    client, prescriber, overrides, field, message
):
    client.force_login(prescriber)
    before = Patient.objects.count()
    response = client.post(reverse("patients:create"), _patient_data(**overrides))
    assert response.status_code == 200
    assert Patient.objects.count() == before
    form = response.context["form"]
    if message is not None:
        assert form.errors[field] == [str(message)]
    else:
        assert form.errors[field]
    assert f'id="id_{field}_error"' in response.text
    assert "is-invalid" in response.text
    assert "Durand" in response.text  # what was typed is kept


def test_a_birth_date_in_the_future_is_refused(client, prescriber):
    client.force_login(prescriber)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        reverse("patients:create"), _patient_data(birth_date=tomorrow.isoformat())
    )
    assert response.context["form"].errors["birth_date"] == [str(MSG_BIRTH_DATE)]
    assert not Patient.objects.filter(birth_name="Durand").exists()


def test_another_risk_factor_must_be_named(client, prescriber):
    client.force_login(prescriber)
    other = EligibilitySituation.objects.get(code="rf_other")
    response = client.post(reverse("patients:create"), _patient_data(situations=[other.pk]))
    assert response.context["form"].errors["other_risk_factor"] == [str(MSG_OTHER_RISK_FACTOR)]
    assert not Patient.objects.filter(birth_name="Durand").exists()


def test_a_nir_already_registered_is_refused_next_to_the_field(client, prescriber, structure):
    factories.PatientFactory(structure=structure, nir=VALID_NIR)
    client.force_login(prescriber)
    response = client.post(reverse("patients:create"), _patient_data(nir=VALID_NIR))
    assert response.context["form"].errors["nir"] == [str(MSG_NIR_DUPLICATE)]


def test_a_possible_duplicate_is_shown_and_must_be_confirmed(client, prescriber, structure):
    existing = factories.PatientFactory(
        structure=structure, birth_name="Dupont", first_names="Hélène", birth_date=date(1956, 3, 12)
    )
    client.force_login(prescriber)
    data = _patient_data(birth_name="DUPONT", first_names="Helene", birth_date="12/03/1956")
    response = client.post(reverse("patients:create"), data)
    assert response.status_code == 200
    assert Patient.objects.filter(birth_date=date(1956, 3, 12)).count() == 1
    assert response.context["form"].errors["confirm_not_duplicate"] == [
        str(MSG_CONFIRM_NOT_DUPLICATE)
    ]
    assert existing.get_absolute_url() in response.text
    assert "Je confirme qu&#x27;il s&#x27;agit d&#x27;un autre patient" in response.text

    response = client.post(reverse("patients:create"), {**data, "confirm_not_duplicate": "on"})
    assert response.status_code == 302
    assert Patient.objects.filter(birth_date=date(1956, 3, 12)).count() == 2


def test_a_duplicate_in_another_structure_is_not_named(client, outsider_physician, patient):
    client.force_login(outsider_physician)
    data = _patient_data(
        birth_name=patient.birth_name,
        first_names=patient.first_names,
        birth_date=patient.birth_date.isoformat(),
    )
    response = client.post(reverse("patients:create"), data)
    assert response.status_code == 302  # need-to-know: another structure's patient stays unseen


def test_the_prescriber_edits_the_record(client, prescriber, patient):
    client.force_login(prescriber)
    response = client.get(reverse("patients:update", args=[patient.pk]))
    assert response.status_code == 200
    assert f'value="{patient.birth_name}"' in response.text
    data = _patient_data(
        birth_name=patient.birth_name,
        first_names=patient.first_names,
        birth_date=patient.birth_date.isoformat(),
        city="Lyon",
    )
    response = client.post(reverse("patients:update", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.city == "Lyon"


def test_an_edit_keeps_the_record_when_the_nir_key_is_wrong(client, prescriber, patient):
    client.force_login(prescriber)
    data = _patient_data(
        birth_name="Changé", birth_date=patient.birth_date.isoformat(), nir=WRONG_KEY_NIR
    )
    response = client.post(reverse("patients:update", args=[patient.pk]), data)
    assert response.context["form"].errors["nir"] == [str(MSG_NIR_KEY)]
    patient.refresh_from_db()
    assert patient.birth_name != "Changé"


@pytest.mark.parametrize("persona", ["physiotherapist", "apa_teacher"])
def test_only_physicians_and_staff_of_the_structure_create_or_edit(
    client, request, persona, patient
):
    user = request.getfixturevalue(persona)
    care_team_grant(patient=patient, user=user, reason=CareTeamGrant.Reason.ORIENTATION)
    client.force_login(user)
    assert client.get(reverse("patients:create")).status_code == 403
    assert client.post(reverse("patients:create"), _patient_data()).status_code == 403
    assert client.get(reverse("patients:update", args=[patient.pk])).status_code == 403
    assert not Patient.objects.filter(birth_name="Durand").exists()


def test_structure_staff_may_register_a_patient(client, structure_admin):
    client.force_login(structure_admin)
    assert client.get(reverse("patients:create")).status_code == 200


def test_an_outsider_cannot_reach_the_edit_page(client, outsider_physician, patient):
    client.force_login(outsider_physician)
    assert client.get(reverse("patients:update", args=[patient.pk])).status_code == 404


def test_html_typed_in_a_name_comes_back_escaped(client, prescriber):
    client.force_login(prescriber)
    data = _patient_data(birth_name="<script>alert(1)</script>", city="<b>Lyon</b>")
    response = client.post(reverse("patients:create"), data, follow=True)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in response.text
    assert "&lt;b&gt;Lyon&lt;/b&gt;" in response.text


def test_enregistrer_et_prescrire_leads_a_physician_to_the_new_prescription(client, prescriber):
    client.force_login(prescriber)
    response = client.post(reverse("patients:create"), _patient_data(then_prescribe="1"))
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('prescriptions:create')}?patient={patient.pk}"


def test_the_search_term_starts_the_new_patients_form_without_saving_anything(client, prescriber):
    client.force_login(prescriber)
    response = client.post(reverse("patients:create"), {"prefill": "lemaire odile 14/05/1961"})
    assert response.status_code == 200
    assert not Patient.objects.exists()
    form = response.context["form"]
    assert not form.is_bound
    assert form.initial["birth_name"] == "LEMAIRE"
    assert form.initial["first_names"] == "Odile"
    assert form.initial["birth_date"] == date(1961, 5, 14)
    assert "Erreur" not in response.text.split("</title>")[0]


def test_a_two_digit_year_is_told_so(client, prescriber):
    client.force_login(prescriber)
    response = client.post(reverse("patients:create"), _patient_data(birth_date="14/5/61"))
    assert response.context["form"].has_error("birth_date", "short_year")
    assert "quatre chiffres" in response.text


def test_the_result_count_alone_is_the_live_region_of_the_search(client, prescriber, patient):
    client.force_login(prescriber)
    html = client.get(reverse("patients:list")).text
    assert html.count("aria-live") == 1
    assert 'id="patient-results-status" class="visually-hidden" aria-live="polite"' in html
    search_input = html.split('id="patient-search"')[1].split(">")[0]
    assert "autofocus" in search_input


def test_the_list_reads_in_the_order_it_is_sorted_birth_name_first(client, prescriber, structure):
    for birth, used in (("Lemoine", ""), ("Lemaire", "Colin"), ("Lefebvre", "")):
        factories.PatientFactory(structure=structure, birth_name=birth, used_name=used)
    client.force_login(prescriber)
    html = client.get(reverse("patients:list")).content.decode()
    shown = [html.index(name) for name in ("LEFEBVRE", "LEMAIRE Hélène (nom d", "LEMOINE")]
    assert shown == sorted(shown)
