"""French wording rules (kernel.wording): plural and agreement with the patient's sex."""

import pytest
from django.template import Context, Template

from kernel import wording


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 patient"), (1, "1 patient"), (2, "2 patients"), (1000, "1000 patients")],
)
def test_french_plural_starts_at_two(count, expected):
    assert wording.count_of(count, "patient") == expected


def test_an_irregular_plural_is_given():
    assert wording.count_of(3, "cheval", "chevaux") == "3 chevaux"
    assert wording.plural(1, "cheval", "chevaux") == "cheval"


def test_sessions_per_week_has_no_parenthesis():
    assert wording.sessions_per_week(1) == "1 séance par semaine"
    assert wording.sessions_per_week(2) == "2 séances par semaine"


@pytest.mark.parametrize(
    ("sex", "expected"), [("F", "née"), ("M", "né"), ("", "né(e)"), (None, "né(e)")]
)
def test_born_agrees_with_the_known_sex(sex, expected):
    assert wording.born(sex) == expected


def test_agree_takes_an_explicit_wording_for_an_unknown_sex():
    assert wording.agree("F", "modifié", "modifiée") == "modifiée"
    assert wording.agree(None, "Enseignant", "Enseignante", "Enseignant·e") == "Enseignant·e"


def test_the_template_filters_use_the_rules():
    template = Template('{% load wording %}{{ sex|born }} · {{ n|count_of:"séance" }}')
    assert template.render(Context({"sex": "F", "n": 2})) == "née · 2 séances"
    assert template.render(Context({"sex": "M", "n": 0})) == "né · 0 séance"
