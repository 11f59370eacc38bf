"""The bilans' pure rules against worked examples (R-B1, R-B3)."""

from datetime import date
from decimal import Decimal

import pytest

from bilans import rules
from bilans.rules import TESTS_BY_KEY


# --- 6-minute walk, Enright & Sherrill 1998 --------------------------------------------------
def test_six_minute_walk_predicted_man_worked_example():
    # 7.57 × 175 − 5.02 × 60 − 1.76 × 80 − 309 = 1324.75 − 301.2 − 140.8 − 309 = 573.75
    assert rules.six_minute_walk_predicted(sex="M", age=60, height_cm=175, weight_kg=80) == (
        Decimal("573.8")
    )


def test_six_minute_walk_predicted_woman_worked_example():
    # 2.11 × 160 − 2.29 × 65 − 5.78 × 60 + 667 = 337.6 − 148.85 − 346.8 + 667 = 508.95
    assert rules.six_minute_walk_predicted(sex="F", age=60, height_cm=160, weight_kg=65) == (
        Decimal("509.0")
    )


def test_six_minute_walk_reference_ages_are_those_of_the_published_population():
    # Enright & Sherrill 1998: 290 healthy adults aged 40 to 80.
    assert not rules.six_minute_walk_extrapolated(40)
    assert not rules.six_minute_walk_extrapolated(80)
    assert rules.six_minute_walk_extrapolated(39)
    assert rules.six_minute_walk_extrapolated(81)


def test_a_predicted_distance_below_zero_gives_no_percentage():
    # A heavy, short, old woman: 2.11 × 100 − 2.29 × 300 − 5.78 × 95 + 667 = −358.1 m.
    predicted = rules.six_minute_walk_predicted(sex="F", age=95, height_cm=100, weight_kg=300)
    assert predicted == Decimal("-358.1")
    assert rules.percent_of_predicted(200, predicted) is None


def test_six_minute_walk_predicted_needs_a_known_sex():
    assert rules.six_minute_walk_predicted(sex="", age=60, height_cm=160, weight_kg=65) is None


def test_percent_of_predicted():
    assert rules.percent_of_predicted(430, Decimal("573.8")) == 75
    assert rules.percent_of_predicted(430, None) is None


def test_age_on():
    assert rules.age_on(date(1960, 6, 15), date(2020, 6, 14)) == 59
    assert rules.age_on(date(1960, 6, 15), date(2020, 6, 15)) == 60


# --- BMI ------------------------------------------------------------------------------------
def test_bmi_worked_example():
    # 70 / 1.75² = 22.857…
    assert rules.bmi(weight_kg=70, height_cm=175) == Decimal("22.9")
    assert rules.bmi_category(Decimal("22.9")) == "corpulence normale"
    assert rules.bmi_category(Decimal("30.0")) == "obésité modérée"
    assert rules.bmi_category(Decimal("18.4")) == "maigreur"


# --- TUG ------------------------------------------------------------------------------------
def test_tug_fall_risk_above_the_threshold_only():
    assert rules.tug_fall_risk(Decimal("12.1"), threshold=12) is True
    assert rules.tug_fall_risk(Decimal("12.0"), threshold=12) is False
    assert rules.tug_fall_risk(Decimal("13.0"), threshold=14) is False


# --- Bounds (R-B1: absurd values refused) -----------------------------------------------------
@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("six_minute_walk_m", 2000, False),
        ("six_minute_walk_m", 450, True),
        ("tug_seconds", Decimal("0"), False),
        ("tug_seconds", Decimal("9.5"), True),
        ("one_leg_stance_seconds", Decimal("61"), False),
        ("one_leg_stance_seconds", Decimal("60"), True),
        ("sit_to_stand_reps", 61, False),
        ("height_cm", 30, False),
        ("weight_kg", Decimal("500"), False),
    ],
)
def test_bounds(key, value, ok):
    assert rules.value_in_bounds(TESTS_BY_KEY[key], value) is ok


def test_bound_message_is_french():
    assert TESTS_BY_KEY["tug_seconds"].message == (
        "Timed Up and Go : la valeur doit être comprise entre 2 et 300 s."
    )


def test_borg_bounds():
    assert rules.borg_in_bounds("rpe", 13)
    assert not rules.borg_in_bounds("rpe", 5)
    assert rules.borg_in_bounds("cr10", Decimal("0.5"))
    assert not rules.borg_in_bounds("cr10", 11)
    assert not rules.borg_in_bounds("", 5)


# --- Ricci & Gagnon --------------------------------------------------------------------------
def test_ricci_gagnon_score_is_the_sum_of_the_items():
    items = [3, 2, 4, 1, 5, 2, 3, 2, 3]
    assert rules.questionnaire_score(rules.RICCI_GAGNON, items) == 25
    assert rules.questionnaire_band(rules.RICCI_GAGNON, 25) == "actif"
    assert rules.questionnaire_band(rules.RICCI_GAGNON, 17) == "inactif"
    assert rules.questionnaire_band(rules.RICCI_GAGNON, 36) == "très actif"


# Ricci J, Gagnon L, Université de Montréal, modified by Laureyns F. and Séné J.-M.: nine
# questions, 1 to 5 points each, summed (9 to 45); under 18 inactif, 18 to 35 actif, over 35
# très actif. The worked examples are the bands' edges and the scale's ends.
@pytest.mark.parametrize(
    ("items", "score", "band"),
    [
        ([1] * 9, 9, "inactif"),
        ([2] * 8 + [1], 17, "inactif"),
        ([2] * 9, 18, "actif"),
        ([4] * 8 + [3], 35, "actif"),
        ([4] * 9, 36, "très actif"),
        ([5] * 9, 45, "très actif"),
    ],
)
def test_ricci_gagnon_worked_examples(items, score, band):
    assert rules.questionnaire_score(rules.RICCI_GAGNON, items) == score
    assert rules.questionnaire_band(rules.RICCI_GAGNON, score) == band


@pytest.mark.parametrize("items", [[3] * 8, [6] + [3] * 8, [0] + [3] * 8, [True] + [3] * 8])
def test_ricci_gagnon_refuses_incomplete_or_out_of_range_items(items):
    assert not rules.questionnaire_items_valid(rules.RICCI_GAGNON, items)
    with pytest.raises(ValueError):
        rules.questionnaire_score(rules.RICCI_GAGNON, items)


# --- Programme (R-B1 with R-P3) ----------------------------------------------------------------
def test_programme_may_not_exceed_the_restriction_or_the_prescribed_intensity():
    assert (
        rules.programme_intensity_refusal(
            intensity="vigorous", prescribed_intensity="", restriction_picks=["max_moderate"]
        )
        == "programme_above_restriction"
    )
    assert (
        rules.programme_intensity_refusal(
            intensity="moderate", prescribed_intensity="light", restriction_picks=[]
        )
        == "programme_above_prescription"
    )
    assert (
        rules.programme_intensity_refusal(
            intensity="moderate", prescribed_intensity="moderate", restriction_picks=[]
        )
        is None
    )


# --- Deltas (R-B3) ------------------------------------------------------------------------------
def test_delta_of_the_six_minute_walk_reads_in_french():
    d = rules.delta(TESTS_BY_KEY["six_minute_walk_m"], 400, 445)
    assert d.change == 45
    assert d.meaning == "+45\u00a0m au test de marche de 6 minutes"
    assert d.better is True


def test_delta_of_the_tug_lower_is_better():
    d = rules.delta(TESTS_BY_KEY["tug_seconds"], Decimal("14.2"), Decimal("11.7"))
    assert d.change == Decimal("-2.5")
    assert d.meaning == "-2,5\u00a0s au Timed Up and Go"
    assert d.better is True


def test_delta_of_a_round_hundred_and_of_a_decimal_weight_read_in_french():
    walk = rules.delta(TESTS_BY_KEY["six_minute_walk_m"], 300, 400)
    assert walk.meaning == "+100\u00a0m au test de marche de 6 minutes"  # never "1E+2"
    weight = rules.delta(TESTS_BY_KEY["weight_kg"], Decimal("82.0"), Decimal("79.5"))
    assert weight.meaning == "-2,5\u00a0kg de poids" and weight.better is None


def test_bmi_category_edges_who_trs_894():
    # WHO TRS 894 (2000): < 18.5, 18.5-24.9, 25-29.9, 30-34.9, 35-39.9, >= 40.
    assert rules.bmi_category(Decimal("18.5")) == "corpulence normale"
    assert rules.bmi_category(Decimal("25.0")) == "surpoids"
    assert rules.bmi_category(Decimal("35.0")) == "obésité sévère"
    assert rules.bmi_category(Decimal("40.0")) == "obésité morbide"
    # 82 kg, 1.70 m: 82 / 2.89 = 28.37... -> 28.4
    assert rules.bmi(weight_kg=82, height_cm=170) == Decimal("28.4")


def test_delta_of_a_test_not_done_is_not_compared():
    d = rules.delta(TESTS_BY_KEY["handgrip_kg"], None, Decimal("25"))
    assert d.change is None and d.better is None
    assert "non comparable" in d.meaning


def test_stage_change():
    assert rules.stage_change("contemplation", "action") == 2
    assert rules.stage_change("maintenance", "preparation") == -2
    assert rules.stage_change("", "action") is None
