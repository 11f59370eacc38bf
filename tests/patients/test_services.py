"""Patients: registration and update services (R-ID2, R-E1), duplicates and search selectors."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kernel.errors import all_error_codes, error_codes
from patients.models import EligibilitySituation, Patient, Sex
from patients.selectors import patient_duplicates, patient_search
from patients.services import PatientData, patient_create, patient_update
from tests import factories

pytestmark = pytest.mark.django_db

VALID_NIR = "295109912611193"
CORSE_DU_SUD_NIR = "162012A12300493"  # key computed with 2A read as 19
HAUTE_CORSE_NIR = "162012B12300423"  # key computed with 2B read as 18


def identity(**overrides) -> dict:
    data = {
        "birth_name": "Dupont",
        "first_names": "Hélène Marie",
        "birth_date": date(1956, 3, 12),
        "sex": Sex.FEMALE,
    }
    data.update(overrides)
    return data


def situations(*codes: str) -> list[EligibilitySituation]:
    return list(EligibilitySituation.objects.filter(code__in=codes))


# --- R-E1: the eligibility situations, seeded by migration ---------------------------------


def test_every_situation_of_r_e1_is_seeded_by_migration():
    assert set(EligibilitySituation.objects.values_list("code", flat=True)) == {
        "ald",
        "chronic_disease",
        "rf_overweight",
        "rf_obesity",
        "rf_hypertension",
        "rf_undernutrition",
        "rf_sedentary",
        "rf_dyslipidaemia",
        "rf_addiction",
        "rf_other",
        "autonomy_a",
        "autonomy_b",
        "autonomy_c",
        "autonomy_d",
        "autonomy_e",
    }


def test_the_situations_of_r_e1_fall_in_its_three_groups():
    by_group: dict[str, set[str]] = {}
    for code, group in EligibilitySituation.objects.values_list("code", "group"):
        by_group.setdefault(group, set()).add(code)
    G = EligibilitySituation.Group
    assert by_group == {
        G.CHRONIC: {"ald", "chronic_disease"},
        G.RISK_FACTOR: {
            "rf_overweight",
            "rf_obesity",
            "rf_hypertension",
            "rf_undernutrition",
            "rf_sedentary",
            "rf_dyslipidaemia",
            "rf_addiction",
            "rf_other",
        },
        G.AUTONOMY: {f"autonomy_{letter}" for letter in "abcde"},
    }


def test_the_loss_of_autonomy_cases_are_labelled_a_to_e_in_order():
    labels = EligibilitySituation.objects.filter(
        group=EligibilitySituation.Group.AUTONOMY
    ).values_list("label", flat=True)
    assert [label[:2] for label in labels] == ["a)", "b)", "c)", "d)", "e)"]
    assert "L. 232-1" in labels[0]
    assert "mobilité inclusion" in labels[3]


def test_an_other_risk_factor_must_be_named(prescriber):
    for text in ("", "   "):
        with pytest.raises(ValidationError) as exc:
            patient_create(
                created_by=prescriber,
                situations=situations("rf_other"),
                data=PatientData(other_risk_factor=text, **identity()),
            )
        assert error_codes(exc.value) == {"other_risk_factor": ["other_risk_factor"]}
    assert not Patient.objects.exists()


def test_a_named_other_risk_factor_is_recorded(prescriber):
    patient = patient_create(
        created_by=prescriber,
        situations=situations("rf_other", "rf_sedentary"),
        data=PatientData(other_risk_factor="Travail posté", **identity()),
    )
    assert set(patient.situations.values_list("code", flat=True)) == {"rf_other", "rf_sedentary"}
    assert patient.other_risk_factor == "Travail posté"


def test_adding_the_other_risk_factor_on_update_needs_its_name(patient):
    with pytest.raises(ValidationError) as exc:
        patient_update(
            patient=patient, situations=situations("rf_other"), data=factories.patient_data(patient)
        )
    assert error_codes(exc.value) == {"other_risk_factor": ["other_risk_factor"]}
    patient.refresh_from_db()
    assert list(patient.situations.values_list("code", flat=True)) == ["ald"]


# --- R-ID2: the NIR ------------------------------------------------------------------------


def test_a_patient_is_registered_in_the_creators_structure_with_a_compact_nir(prescriber):
    patient = patient_create(
        created_by=prescriber,
        situations=situations("ald"),
        data=PatientData(nir="2 95 10 99 126 111 93", **identity()),
    )
    patient.refresh_from_db()
    assert patient.nir == VALID_NIR
    assert patient.nir_display == "2 95 10 99 126 111 93"
    assert patient.structure == prescriber.structure
    assert patient.created_by == prescriber


def test_a_nir_is_optional(prescriber):
    patient = patient_create(created_by=prescriber, data=PatientData(**identity()))
    assert patient.nir == ""


@pytest.mark.parametrize("nir", [CORSE_DU_SUD_NIR, HAUTE_CORSE_NIR, "1 62 01 2a 123 004 93"])
def test_a_corsican_nir_is_accepted(prescriber, nir):
    patient = patient_create(
        created_by=prescriber, data=PatientData(nir=nir, **identity(sex=Sex.MALE))
    )
    assert patient.nir in (CORSE_DU_SUD_NIR, HAUTE_CORSE_NIR)


@pytest.mark.parametrize(
    "nir", ["295109912611194", "162012A12300423", "162012B12300493", "162012A12300466"]
)
def test_a_nir_with_a_wrong_key_is_refused_with_a_clear_message(prescriber, nir):
    with pytest.raises(ValidationError) as exc:
        patient_create(created_by=prescriber, data=PatientData(nir=nir, **identity()))
    assert error_codes(exc.value) == {"nir": ["nir_key"]}
    assert not Patient.objects.exists()


@pytest.mark.parametrize("nir", ["29510991261119", "162012C12300493", "2951099126111AB", "x"])
def test_a_malformed_nir_is_refused_with_a_clear_message(prescriber, nir):
    with pytest.raises(ValidationError) as exc:
        patient_create(created_by=prescriber, data=PatientData(nir=nir, **identity()))
    assert error_codes(exc.value) == {"nir": ["nir_format"]}
    assert not Patient.objects.exists()


def test_a_wrong_nir_on_update_is_refused_and_nothing_changes(patient):
    patient_update(patient=patient, data=factories.patient_data(patient, nir=VALID_NIR))
    with pytest.raises(ValidationError) as exc:
        patient_update(
            patient=patient,
            data=factories.patient_data(patient, nir="295109912611194", city="Lyon"),
        )
    assert error_codes(exc.value) == {"nir": ["nir_key"]}
    fresh = Patient.objects.get(pk=patient.pk)
    assert (fresh.nir, fresh.city) == (VALID_NIR, "")


def test_two_patients_may_not_share_a_nir(prescriber):
    patient_create(created_by=prescriber, data=PatientData(nir=VALID_NIR, **identity()))
    with pytest.raises(ValidationError) as exc:
        # Typed differently, the same NIR once compacted.
        patient_create(
            created_by=prescriber,
            data=PatientData(nir="2 95 10 99 126 111 93", **identity(birth_name="Autre")),
        )
    assert error_codes(exc.value) == {"nir": ["nir_duplicate"]}
    assert Patient.objects.count() == 1


def test_the_database_refuses_a_duplicate_nir(structure):
    factories.PatientFactory(structure=structure, nir=VALID_NIR)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PatientFactory(structure=structure, nir=VALID_NIR)


def test_several_patients_may_have_no_nir(structure):
    factories.PatientFactory(structure=structure, nir="")
    factories.PatientFactory(structure=structure, nir="")
    assert Patient.objects.filter(nir="").count() == 2


def test_updating_a_patient_keeps_its_own_nir(patient):
    patient_update(patient=patient, data=factories.patient_data(patient, nir=VALID_NIR))
    patient_update(patient=patient, data=factories.patient_data(patient, city="Lyon"))
    assert Patient.objects.get(pk=patient.pk).nir == VALID_NIR


@pytest.mark.parametrize("nir", ["123", "2951099126111ab", "162012C12300493"])
def test_the_database_refuses_a_malformed_nir(patient, nir):
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(nir=nir)


# --- Identity -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "birth_date",
    [date(1899, 12, 31), timezone.localdate() + timedelta(days=1), date(2999, 1, 1)],
)
def test_an_implausible_birth_date_is_refused(prescriber, birth_date):
    with pytest.raises(ValidationError) as exc:
        patient_create(created_by=prescriber, data=PatientData(**identity(birth_date=birth_date)))
    assert error_codes(exc.value) == {"birth_date": ["birth_date"]}


def test_a_baby_born_today_may_be_registered(prescriber):
    patient = patient_create(
        created_by=prescriber, data=PatientData(**identity(birth_date=timezone.localdate()))
    )
    assert patient.birth_date == timezone.localdate()


def test_every_error_is_reported_at_once(prescriber):
    with pytest.raises(ValidationError) as exc:
        patient_create(
            created_by=prescriber,
            situations=situations("rf_other"),
            data=PatientData(
                nir="295109912611194", **identity(birth_name="", birth_date=date(1850, 1, 1))
            ),
        )
    assert set(exc.value.message_dict) == {"nir", "birth_date", "other_risk_factor", "birth_name"}


def test_an_account_without_structure_cannot_register_a_patient(prescriber):
    prescriber.structure = None
    with pytest.raises(ValidationError) as exc:
        patient_create(created_by=prescriber, data=PatientData(**identity()))
    assert all_error_codes(exc.value) == {"no_structure"}


def test_unknown_fields_are_a_programming_error(prescriber):
    with pytest.raises(TypeError):
        patient_create(created_by=prescriber, data=PatientData(shoe_size=42, **identity()))


def test_the_used_name_is_shown_with_the_birth_name(prescriber):
    patient = patient_create(
        created_by=prescriber, data=PatientData(used_name="Bernard", **identity())
    )
    assert patient.full_name == "BERNARD (née DUPONT) Hélène Marie"


def test_changes_to_a_patient_are_kept_in_its_history(patient):
    before = patient.history.count()
    patient_update(patient=patient, data=factories.patient_data(patient, city="Lyon"))
    assert patient.history.count() == before + 1
    assert patient.history.first().city == "Lyon"


# --- Duplicates (a warning before registering) ---------------------------------------------


def test_a_patient_with_the_same_names_and_birth_date_is_a_duplicate_whatever_the_accents(
    patient,
):
    patient_update(
        patient=patient,
        data=factories.patient_data(patient, birth_name="Dupont", first_names="Hélène Marie"),
    )
    found = patient_duplicates(
        birth_name="DUPONT", first_names="helene", birth_date=patient.birth_date
    )
    assert list(found) == [patient]
    found = patient_duplicates(
        birth_name="dupont", first_names="Hélène Louise", birth_date=patient.birth_date
    )
    assert list(found) == [patient]


def test_a_patient_born_another_day_or_with_another_first_name_is_not_a_duplicate(patient):
    patient_update(
        patient=patient,
        data=factories.patient_data(patient, birth_name="Dupont", first_names="Hélène"),
    )
    assert not patient_duplicates(
        birth_name="Dupont", first_names="Hélène", birth_date=patient.birth_date + timedelta(1)
    ).exists()
    assert not patient_duplicates(
        birth_name="Dupont", first_names="Marie", birth_date=patient.birth_date
    ).exists()
    assert not patient_duplicates(
        birth_name="Durand", first_names="Hélène", birth_date=patient.birth_date
    ).exists()


def test_a_patient_is_not_its_own_duplicate(patient):
    patient_update(
        patient=patient,
        data=factories.patient_data(patient, birth_name="Dupont", first_names="Hélène"),
    )
    assert not patient_duplicates(
        birth_name="Dupont",
        first_names="Hélène",
        birth_date=patient.birth_date,
        exclude_pk=patient.pk,
    ).exists()


def test_duplicates_are_found_across_structures(patient, other_structure):
    # Duplicates are checked over every patient: the same person may be registered elsewhere.
    other = factories.PatientFactory(
        structure=other_structure,
        birth_name="Lefèvre",
        first_names="Élodie",
        birth_date=date(1976, 2, 28),
    )
    found = patient_duplicates(
        birth_name="LEFEVRE", first_names="elodie", birth_date=date(1976, 2, 28)
    )
    assert list(found) == [other]


# --- Search --------------------------------------------------------------------------------


@pytest.fixture
def people(structure):
    make = factories.PatientFactory
    return {
        "helene": make(
            structure=structure,
            birth_name="Dupont",
            first_names="Hélène",
            birth_date=date(1956, 3, 12),
        ),
        "francois": make(
            structure=structure,
            birth_name="Lefebvre",
            first_names="François",
            birth_date=date(1948, 11, 2),
        ),
        "anais": make(
            structure=structure,
            birth_name="Fontaine",
            used_name="Giraud",
            first_names="Anaïs",
            birth_date=date(1956, 3, 12),
        ),
    }


def search(query: str) -> set[str]:
    return {p.first_names for p in patient_search(Patient.objects.all(), query)}


def test_search_is_accent_and_case_insensitive_on_word_prefixes(people):
    assert search("hel dup") == {"Hélène"}
    assert search("HÉLÈNE") == {"Hélène"}
    assert search("franc") == {"François"}
    assert search("FRANÇ lef") == {"François"}


def test_search_matches_the_start_of_a_word_only(people):
    assert search("ene") == set()
    assert search("pont") == set()


def test_search_finds_the_used_name(people):
    assert search("gir") == {"Anaïs"}
    assert search("fontaine anais") == {"Anaïs"}


def test_search_by_french_or_iso_birth_date(people):
    assert search("12/03/1956") == {"Hélène", "Anaïs"}
    assert search("1956-03-12") == {"Hélène", "Anaïs"}
    assert search("02.11.1948") == {"François"}
    assert search("dup 12/03/1956") == {"Hélène"}


def test_an_impossible_date_finds_nobody(people):
    assert search("31/02/1956") == set()


def test_an_empty_search_keeps_everyone(people):
    assert search("  ") == {"Hélène", "François", "Anaïs"}


def test_search_keeps_the_scope_it_is_given(people, other_structure):
    factories.PatientFactory(structure=other_structure, birth_name="Dupont", first_names="Luc")
    scoped = Patient.objects.filter(structure=people["helene"].structure)
    assert {p.first_names for p in patient_search(scoped, "dupont")} == {"Hélène"}
