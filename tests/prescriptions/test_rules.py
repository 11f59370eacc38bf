"""Pure rules of the prescription (prescriptions/rules.py): R-P2, R-P3, R-L1 to R-L5, R-R3."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from practitioners.models import Profession
from prescriptions import rules
from prescriptions.rules import (
    DEFAULT_SUPERVISION,
    SEVERE_INDICATORS,
    Function,
    LimitationLevel,
    add_months,
    duration_is_valid,
    new_reference,
    new_verification_code,
    normalize_reference,
    period_end,
    renewal_period,
    renewal_window,
    resulting_level,
    severe_indicators_imply_severe,
    supervision_is_allowed_at_all,
)

# --- R-P2 (CSP D.1172-2): 3 to 6 whole months ----------------------------------------------


@pytest.mark.parametrize("months", [3, 4, 5, 6])
def test_a_duration_of_three_to_six_whole_months_is_valid(months):
    assert duration_is_valid(months)


@pytest.mark.parametrize("months", [0, 1, 2, 7, 12, -3, True, False, 3.0, 4.5, "3", None])
def test_any_other_duration_is_refused(months):
    # True == 1 and 3.0 == 3 in Python: neither is a whole number of months.
    assert not duration_is_valid(months)


def test_a_month_later_is_the_same_day_of_the_next_month():
    assert add_months(date(2026, 3, 12), 1) == date(2026, 4, 12)
    assert add_months(date(2026, 3, 12), 0) == date(2026, 3, 12)


def test_a_month_after_31_january_is_the_end_of_february():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)  # leap year
    assert add_months(date(2025, 1, 31), 3) == date(2025, 4, 30)
    assert add_months(date(2025, 1, 31), 2) == date(2025, 3, 31)


def test_adding_months_crosses_the_year():
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert add_months(date(2025, 10, 15), 6) == date(2026, 4, 15)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_a_period_ends_the_day_before_the_same_date_n_months_later():
    assert period_end(date(2026, 3, 12), 3) == date(2026, 6, 11)
    assert period_end(date(2026, 1, 1), 6) == date(2026, 6, 30)
    assert period_end(date(2025, 10, 1), 3) == date(2025, 12, 31)


def test_a_period_ending_in_february_knows_leap_years():
    assert period_end(date(2023, 12, 1), 3) == date(2024, 2, 29)
    assert period_end(date(2024, 12, 1), 3) == date(2025, 2, 28)
    assert period_end(date(2023, 9, 1), 6) == date(2024, 2, 29)


def test_a_period_starting_on_31_january_is_clamped_not_overflowing():
    # 31 January + 3 months = 30 April (no 31 April): the period ends on 29 April.
    assert period_end(date(2026, 1, 31), 3) == date(2026, 4, 29)
    assert period_end(date(2026, 8, 31), 6) == date(2027, 2, 27)


@pytest.mark.parametrize("months", [3, 4, 5, 6])
@pytest.mark.parametrize(
    "start", [date(2024, 1, 31), date(2024, 2, 29), date(2025, 12, 31), date(2026, 3, 1)]
)
def test_consecutive_periods_leave_no_gap(start, months):
    end = period_end(start, months)
    assert end > start
    assert (end - start).days in range(months * 28 - 1, months * 31 + 1)
    renewed_start, _ = renewal_period(initial_end=end, performed_on=end, months=3)
    assert (renewed_start - end).days == 1


# --- R-P3: content ---------------------------------------------------------------------------


def test_the_five_activity_types_of_the_form_are_offered():
    assert set(rules.ActivityType.labels) == {
        "Endurance",
        "Renforcement musculaire",
        "Équilibre",
        "Souplesse",
        "Coordination",
    }


def test_the_restriction_examples_of_the_form_are_offered_as_quick_picks():
    assert [str(label) for label in rules.RestrictionPick.labels] == [
        "Activités avec le poids du corps ou charges légères",
        "Pas de sport à risque de chute et/ou de collision",
        "Éviter efforts en ambiance froide",
        "Éviter efforts statiques intenses",
        "Contrôler l'intensité pour ne pas dépasser une intensité modérée",
        "Traitements à prendre en compte",
    ]


def test_labels_follow_the_order_of_the_choices_and_drop_unknown_values():
    assert rules.labels(rules.ActivityType, ["balance", "bogus", "endurance"]) == [
        "Endurance",
        "Équilibre",
    ]


# --- R-L1, R-L2: the resulting limitation ------------------------------------------------------


def test_three_functions_are_rated_on_four_levels():
    assert len(Function.values) == 3
    assert [str(label) for label in LimitationLevel.labels] == [
        "Aucune",
        "Minimales",
        "Modérées",
        "Sévères",
    ]


@pytest.mark.parametrize("severe_position", [0, 1, 2])
def test_the_resulting_limitation_is_the_most_severe_of_the_three(severe_position):
    ratings = [LimitationLevel.MINIMAL, LimitationLevel.NONE, LimitationLevel.MODERATE]
    assert resulting_level(*ratings) == LimitationLevel.MODERATE
    ratings[severe_position] = LimitationLevel.SEVERE
    assert resulting_level(*ratings) == LimitationLevel.SEVERE


def test_no_limitation_anywhere_results_in_none():
    none = LimitationLevel.NONE
    assert resulting_level(none, none, none) == LimitationLevel.NONE


def test_a_resulting_level_needs_at_least_one_rating():
    with pytest.raises(ValueError):
        resulting_level()


# --- R-L3: the severe indicators, verbatim (annexe 11-7-2, seed 003) ---------------------------

# REFERENCE.md, R-L3, as printed in annexe 11-7-2 (the seed writes "et / ou" in the first one).
REFERENCE_R_L3 = {
    Function.LOCOMOTOR: (
        "altération de la motricité et du tonus et/ou altération d'amplitude sur plusieurs "
        "articulations affectant la gestuelle et l'activité au quotidien, fatigue invalidante dès "
        "le moindre mouvement, ne peut vaincre la résistance pour plusieurs groupes musculaires, "
        "distance parcourue en marche en 6 mn inférieure à 150 mètres."
    ),
    Function.CEREBRAL: (
        "mauvaise stratégie cognitive pour un mauvais résultat, échec, fonction langagière "
        "empêchant toute compréhension ou expression, manifestations sévères d'anxiété et/ou de "
        "dépression."
    ),
    Function.SENSORY: (
        "vision ne permettant pas la lecture ni l'écriture, circulation seul impossible dans un "
        "environnement non familier, stimulations sensibles non perçues, non localisées, surdité "
        "profonde, déséquilibre sans rééquilibrage, chutes fréquentes lors des activités au "
        "quotidien, douleurs constantes avec ou sans activité."
    ),
}


def _normalized(text: str) -> str:
    return re.sub(r"\s*/\s*", "/", text).casefold()


def test_every_severe_indicator_is_a_verbatim_phrase_of_its_function_in_r_l3():
    for indicator in SEVERE_INDICATORS:
        assert _normalized(indicator.label) in _normalized(REFERENCE_R_L3[indicator.function])


def test_the_severe_indicators_cover_all_of_r_l3():
    for function, text in REFERENCE_R_L3.items():
        remaining = _normalized(text)
        for indicator in SEVERE_INDICATORS:
            if indicator.function == function:
                remaining = remaining.replace(_normalized(indicator.label), "")
        assert set(remaining) <= set(", ."), remaining


def test_a_few_severe_indicators_are_worded_exactly_as_in_the_annex():
    labels = {i.code: i.label for i in SEVERE_INDICATORS}
    assert labels["loc_walk"] == "Distance parcourue en marche en 6 mn inférieure à 150 mètres"
    assert labels["loc_fatigue"] == "Fatigue invalidante dès le moindre mouvement"
    assert labels["cer_anxiety"] == "Manifestations sévères d'anxiété et/ou de dépression"
    assert labels["sen_stimuli"] == "Stimulations sensibles non perçues, non localisées"
    assert labels["sen_deafness"] == "Surdité profonde"
    assert labels["sen_pain"] == "Douleurs constantes avec ou sans activité"
    assert len(labels) == len(SEVERE_INDICATORS) == 14


def test_a_ticked_indicator_points_to_a_severe_limitation_of_its_function_only():
    assert severe_indicators_imply_severe(["cer_language", "unknown"]) == {
        Function.LOCOMOTOR: False,
        Function.CEREBRAL: True,
        Function.SENSORY: False,
    }
    assert not any(severe_indicators_imply_severe([]).values())


# --- R-L4 (binding), R-L5 (defaults) -----------------------------------------------------------

HEALTH = {
    Profession.PHYSIOTHERAPIST,
    Profession.OCCUPATIONAL_THERAPIST,
    Profession.PSYCHOMOTOR_THERAPIST,
}
OTHER_DISPENSERS = {
    Profession.APA_TEACHER,
    Profession.SPORTS_EDUCATOR,
    Profession.FEDERATION_CERTIFIED,
}


@pytest.mark.parametrize("profession", sorted(HEALTH))
def test_a_health_professional_may_supervise_every_level(profession):
    for level in LimitationLevel.values:
        assert supervision_is_allowed_at_all(level=level, profession=profession)


@pytest.mark.parametrize("profession", sorted(OTHER_DISPENSERS))
def test_only_health_professionals_may_supervise_a_severe_limitation(profession):
    assert not supervision_is_allowed_at_all(level=LimitationLevel.SEVERE, profession=profession)
    assert supervision_is_allowed_at_all(level=LimitationLevel.MODERATE, profession=profession)


@pytest.mark.parametrize("profession", [Profession.PHYSICIAN, Profession.ADMIN_STAFF, "bogus"])
def test_someone_who_is_not_a_dispenser_supervises_nothing(profession):
    for level in LimitationLevel.values:
        assert not supervision_is_allowed_at_all(level=level, profession=profession)


def test_the_default_supervision_table_follows_r_l4_and_r_l5():
    assert dict(DEFAULT_SUPERVISION) == {
        LimitationLevel.SEVERE: HEALTH,
        LimitationLevel.MODERATE: HEALTH | {Profession.APA_TEACHER},
        LimitationLevel.MINIMAL: HEALTH | OTHER_DISPENSERS,
        LimitationLevel.NONE: HEALTH | OTHER_DISPENSERS,
    }


def test_the_default_table_never_breaks_the_binding_rule():
    for level, professions in DEFAULT_SUPERVISION.items():
        for profession in professions:
            assert supervision_is_allowed_at_all(level=level, profession=profession)


# --- R-R3: the renewal window and the new period ----------------------------------------------


def test_the_renewal_window_runs_from_days_before_to_days_after_the_end():
    assert renewal_window(date(2026, 6, 11), days_before=30, days_after=90) == (
        date(2026, 5, 12),
        date(2026, 9, 9),
    )
    assert renewal_window(date(2026, 6, 11), days_before=0, days_after=0) == (
        date(2026, 6, 11),
        date(2026, 6, 11),
    )


def test_a_renewal_before_the_end_starts_the_day_after_the_initial_period():
    assert renewal_period(
        initial_end=date(2026, 6, 11), performed_on=date(2026, 6, 1), months=3
    ) == (
        date(2026, 6, 12),
        date(2026, 9, 11),
    )


def test_a_renewal_the_day_after_the_end_starts_that_day():
    assert renewal_period(
        initial_end=date(2026, 6, 11), performed_on=date(2026, 6, 12), months=6
    ) == (date(2026, 6, 12), date(2026, 12, 11))


def test_a_late_renewal_starts_on_the_day_it_is_made():
    assert renewal_period(
        initial_end=date(2026, 6, 11), performed_on=date(2026, 7, 20), months=4
    ) == (
        date(2026, 7, 20),
        date(2026, 11, 19),
    )


# --- The reference printed on the form --------------------------------------------------------

REFERENCE_RE = re.compile(r"APA-2026-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def test_a_new_reference_is_readable_and_unambiguous():
    references = {new_reference(2026) for _ in range(200)}
    assert len(references) == 200
    for reference in references:
        assert REFERENCE_RE.fullmatch(reference), reference
        assert not set(reference[9:]) & set("ILOU")
        assert normalize_reference(reference) == reference


def test_a_verification_code_is_six_unambiguous_characters():
    code = new_verification_code()
    assert len(code) == 6
    assert set(code) <= set(rules.REFERENCE_ALPHABET)


@pytest.mark.parametrize(
    "typed",
    [
        "APA-2026-7K3Q-X9MD",
        "apa-2026-7k3q-x9md",
        "apa 2026 7k3q x9md",
        "APA20267K3QX9MD",
        "  APA–2026–7K3Q–X9MD ",  # en dashes from a word processor
        "APA.2026.7K3Q.X9MD",
    ],
)
def test_a_reference_typed_from_paper_is_normalised(typed):
    assert normalize_reference(typed) == "APA-2026-7K3Q-X9MD"


def test_letters_that_look_like_digits_are_read_as_digits():
    assert normalize_reference("APA-2O26-7K3Q-X9MO") == "APA-2026-7K3Q-X9M0"
    assert normalize_reference("apa-2026-ilo0-0000") == "APA-2026-1100-0000"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "2026-7K3Q-X9MD",  # no prefix
        "APB-2026-7K3Q-X9MD",
        "APA-2026-7K3Q-X9M",  # too short
        "APA-2026-7K3Q-X9MDA",  # too long
        "APA-20A6-7K3Q-X9MD",  # the year is not a year
        "APA-2026-7K3U-X9MD",  # U is not in the alphabet
    ],
)
def test_what_cannot_be_a_reference_normalises_to_nothing(typed):
    assert normalize_reference(typed) == ""


def test_adding_months_past_the_calendar_raises_a_clean_error_not_a_500():
    with pytest.raises(ValidationError) as caught:
        rules.add_months(date(9999, 12, 31), 3)
    assert caught.value.code == "date_out_of_range"
    with pytest.raises(ValidationError):
        rules.period_end(date(9999, 12, 31), 1)
    assert rules.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_the_start_date_window_runs_from_the_signing_day_to_months_after():
    signed = date(2026, 11, 30)
    assert rules.start_date_bounds(signed, days_before=0, months_after=3) == (
        date(2026, 11, 30),
        date(2027, 2, 28),
    )
    assert rules.start_date_bounds(signed, days_before=7, months_after=1) == (
        date(2026, 11, 23),
        date(2026, 12, 30),
    )
