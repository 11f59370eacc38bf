"""The pathway's pure rules (R-C1 to R-C3): windows to the day, caps to the cent, in Decimal."""

from datetime import date
from decimal import Decimal

from pathway import rules
from pathway.rules import Caps, Kind, Line

CAPS = Caps(
    bilan_price=Decimal("45.00"),
    consultation_price=Decimal("22.50"),
    annual_cap=Decimal("180.00"),
    max_bilans=3,
    max_consultations=6,
)
B, C = Kind.BILAN_PHYSICAL, Kind.CONSULTATION_DIETARY


def lines(bilans: int, consultations: int) -> list[Line]:
    return [Line(B, Decimal("45.00"))] * bilans + [Line(C, Decimal("22.50"))] * consultations


def test_r_c1_the_prescription_window_ends_12_months_after_the_end_of_treatment_that_day_included():
    end = date(2025, 3, 15)
    assert rules.prescription_deadline(end) == date(2026, 3, 15)
    assert rules.prescription_date_is_valid(treatment_end=end, prescribed_on=end)
    assert rules.prescription_date_is_valid(treatment_end=end, prescribed_on=date(2026, 3, 15))
    assert not rules.prescription_date_is_valid(treatment_end=end, prescribed_on=date(2026, 3, 16))
    assert not rules.prescription_date_is_valid(treatment_end=end, prescribed_on=date(2025, 3, 14))


def test_r_c1_the_delivery_window_on_a_31st_ends_at_the_end_of_the_shorter_month():
    assert rules.delivery_deadline(date(2024, 2, 29)) == date(2025, 2, 28)


def test_r_c1_only_an_oncologist_a_paediatrician_or_the_medecin_traitant_prescribes():
    assert rules.may_prescribe_pathway(
        specialty="oncology", is_physician=True, is_medecin_traitant=False
    )
    assert rules.may_prescribe_pathway(
        specialty="paediatrics", is_physician=True, is_medecin_traitant=False
    )
    assert rules.may_prescribe_pathway(
        specialty="other", is_physician=True, is_medecin_traitant=True
    )
    assert not rules.may_prescribe_pathway(
        specialty="other", is_physician=True, is_medecin_traitant=False
    )
    assert not rules.may_prescribe_pathway(
        specialty="", is_physician=False, is_medecin_traitant=True
    )


def test_r_c3_two_bilans_and_four_consultations_make_exactly_180_euros_and_one_more_is_refused():
    assert rules.cap_refusal(lines=lines(2, 3), kind=C, caps=CAPS) is None
    assert rules.balance(lines(2, 4)).total == Decimal("180.00")
    assert rules.cap_refusal(lines=lines(2, 4), kind=C, caps=CAPS) == "annual_cap"
    assert rules.cap_refusal(lines=lines(2, 4), kind=B, caps=CAPS) == "annual_cap"


def test_r_c3_a_fourth_bilan_and_a_seventh_consultation_are_refused():
    assert rules.cap_refusal(lines=lines(3, 0), kind=B, caps=CAPS) == "max_bilans"
    assert rules.cap_refusal(lines=lines(1, 6), kind=C, caps=CAPS) == "max_consultations"
    assert rules.cap_refusal(lines=lines(1, 5), kind=C, caps=CAPS) is None


def test_r_c2_what_is_still_possible_is_counted_in_decimal():
    assert rules.still_possible(lines=lines(0, 0), caps=CAPS) == (3, 6)
    assert rules.still_possible(lines=lines(2, 2), caps=CAPS) == (1, 2)
    assert rules.still_possible(lines=lines(1, 6), caps=CAPS) == (0, 0)
    assert rules.still_possible(lines=lines(3, 2), caps=CAPS) == (0, 0)
    assert isinstance(rules.balance(lines(1, 1)).total, Decimal)


def test_each_kind_is_delivered_by_a_fitting_profession():
    assert rules.profession_fits(Kind.BILAN_PHYSICAL, "apa_teacher")
    assert rules.profession_fits(Kind.CONSULTATION_DIETARY, "dietitian")
    assert not rules.profession_fits(Kind.CONSULTATION_DIETARY, "psychologist")
    assert not rules.profession_fits(Kind.BILAN_PSYCHOLOGICAL, "apa_teacher")


def test_amounts_are_written_in_french_to_the_cent():
    assert rules.euros(Decimal("22.5")) == "22,50\u00a0€"


def test_r_c1_pathway_references_are_verifiable_but_never_taken_for_an_apa_prescription():
    from pathway.rules import PATHWAY_REFERENCE_PREFIX  # noqa: PLC0415
    from prescriptions.rules import VERIFIABLE_PREFIXES, normalize_reference  # noqa: PLC0415

    assert PATHWAY_REFERENCE_PREFIX in VERIFIABLE_PREFIXES
    typed = "psc 2026 7k3q x9md"
    assert normalize_reference(typed, VERIFIABLE_PREFIXES) == "PSC-2026-7K3Q-X9MD"
    assert normalize_reference(typed) == ""  # the physiotherapist's look-up: APA forms only
    assert normalize_reference("apa-2026-7k3q-x9md") == "APA-2026-7K3Q-X9MD"
