"""The pathway's services (R-C1 to R-C4): who, when, how much — every refusal in French with its
dates, its cap and what remains."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kernel.errors import all_error_codes
from pathway import selectors, services
from pathway.models import Booking, Convention, PathwayPrescription, Tariff
from pathway.rules import Kind
from practitioners.models import Specialty
from tests import factories

from .conftest import ALL_BILANS, PRESCRIBED_ON, TREATMENT_END

pytestmark = pytest.mark.django_db

B_PHYS, B_DIET, B_PSY = ALL_BILANS
C_DIET, C_PSY = Kind.CONSULTATION_DIETARY, Kind.CONSULTATION_PSYCHOLOGICAL


def _codes(excinfo) -> set:
    return all_error_codes(excinfo.value)


def _message(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- R-C1: the prescription ---------------------------------------------------------------------
def test_r_c1_prescription_on_the_last_day_is_accepted_and_the_day_after_refused_with_the_dates(
    episode, oncologist, msp
):
    with pytest.raises(ValidationError) as excinfo:
        services.pathway_prescribe(
            episode=episode,
            by=oncologist,
            structure=msp,
            kinds=ALL_BILANS,
            prescribed_on=date(2026, 3, 16),
        )
    assert _codes(excinfo) == {"pathway_too_late"}
    assert _message(excinfo) == (
        "Le traitement s'est terminé le 15/03/2025 : la prescription du parcours était possible "
        "jusqu'au 15/03/2026 (12 mois après la fin du traitement)."
    )
    pathway = services.pathway_prescribe(
        episode=episode,
        by=oncologist,
        structure=msp,
        kinds=[B_PHYS],
        prescribed_on=date(2026, 3, 15),
    )
    assert pathway.prescribed_kinds == [B_PHYS]
    assert pathway.reference.startswith("PSC-2026-")


def test_r_c1_a_general_practitioner_who_is_not_the_medecin_traitant_may_not_prescribe(
    episode, colleague_physician, prescriber, msp
):
    with pytest.raises(ValidationError) as excinfo:
        services.pathway_prescribe(
            episode=episode,
            by=colleague_physician,
            structure=msp,
            kinds=ALL_BILANS,
            prescribed_on=PRESCRIBED_ON,
        )
    assert _codes(excinfo) == {"pathway_prescriber"}
    # The patient's médecin traitant (a general practitioner) may.
    assert prescriber.specialty == Specialty.GENERAL_PRACTICE
    services.pathway_prescribe(
        episode=episode,
        by=prescriber,
        structure=msp,
        kinds=ALL_BILANS,
        prescribed_on=PRESCRIBED_ON,
    )


def test_r_c1_an_oncologist_outside_the_care_team_may_not_prescribe(episode, other_structure, msp):
    stranger = factories.PhysicianFactory(specialty=Specialty.ONCOLOGY, structure=other_structure)
    with pytest.raises(ValidationError) as excinfo:
        services.pathway_prescribe(
            episode=episode,
            by=stranger,
            structure=msp,
            kinds=ALL_BILANS,
            prescribed_on=PRESCRIBED_ON,
        )
    assert _codes(excinfo) == {"pathway_prescriber"}


def test_r_c1_a_patient_not_in_ald_is_refused(patient, oncologist, msp):
    episode = services.episode_record(
        patient=patient, by=oncologist, localisation="Côlon", treatment_end=TREATMENT_END, ald=False
    )
    with pytest.raises(ValidationError) as excinfo:
        services.pathway_prescribe(
            episode=episode,
            by=oncologist,
            structure=msp,
            kinds=ALL_BILANS,
            prescribed_on=PRESCRIBED_ON,
        )
    assert _codes(excinfo) == {"pathway_not_ald"}


def test_r_c1_the_structure_must_be_conventioned_and_a_bilan_prescribed(
    episode, oncologist, msp, other_structure
):
    with pytest.raises(ValidationError) as excinfo:
        services.pathway_prescribe(
            episode=episode,
            by=oncologist,
            structure=other_structure,
            kinds=ALL_BILANS,
            prescribed_on=PRESCRIBED_ON,
        )
    assert _codes(excinfo) == {"not_conventioned"}
    with pytest.raises(ValidationError) as excinfo:
        services.pathway_prescribe(
            episode=episode, by=oncologist, structure=msp, kinds=[], prescribed_on=PRESCRIBED_ON
        )
    assert _codes(excinfo) == {"no_bilan"}


def test_one_pathway_per_episode(pathway, episode, oncologist, msp):
    with pytest.raises(ValidationError) as excinfo:
        services.pathway_prescribe(
            episode=episode,
            by=oncologist,
            structure=msp,
            kinds=ALL_BILANS,
            prescribed_on=PRESCRIBED_ON,
        )
    assert _codes(excinfo) == {"pathway_exists"}


def test_only_a_physician_of_the_care_team_records_an_episode(patient, apa_teacher):
    with pytest.raises(ValidationError) as excinfo:
        services.episode_record(
            patient=patient,
            by=apa_teacher,
            localisation="Sein",
            treatment_end=TREATMENT_END,
            ald=True,
        )
    assert _codes(excinfo) == {"episode_not_allowed"}


# --- R-C1: the delivery window ------------------------------------------------------------------
def test_r_c1_delivery_12_months_after_the_first_bilan_is_accepted_the_day_after_refused(
    book,
):
    book(B_PHYS, date(2025, 4, 10))
    book(C_DIET, date(2026, 4, 10))
    with pytest.raises(ValidationError) as excinfo:
        book(C_PSY, date(2026, 4, 11))
    assert _codes(excinfo) == {"after_delivery_window"}
    assert "10/04/2025" in _message(excinfo) and "10/04/2026" in _message(excinfo)


def test_nothing_is_booked_before_the_prescription(book):
    with pytest.raises(ValidationError) as excinfo:
        book(B_PHYS, date(2025, 3, 31))
    assert _codes(excinfo) == {"before_prescription"}
    assert "01/04/2025" in _message(excinfo)


def test_an_earlier_bilan_may_not_push_an_existing_booking_out_of_the_window(book):
    book(C_DIET, date(2026, 4, 20))
    with pytest.raises(ValidationError) as excinfo:
        book(B_PHYS, date(2025, 4, 10))
    assert _codes(excinfo) == {"after_delivery_window"}


# --- R-C2, R-C3: the caps, to the cent ----------------------------------------------------------
def test_r_c3_two_bilans_and_four_consultations_make_180_euros_and_one_more_is_refused(
    book, pathway
):
    day = date(2025, 5, 1)
    for kind in (B_PHYS, B_DIET, C_DIET, C_DIET, C_PSY, C_PSY):
        book(kind, day)
    ledger = selectors.ledger(pathway, today=day)
    assert ledger.booked == Decimal("180.00") and ledger.remaining == Decimal("0.00")
    with pytest.raises(ValidationError) as excinfo:
        book(C_PSY, day)
    assert _codes(excinfo) == {"annual_cap"}
    assert _message(excinfo) == (
        "Refusé : le forfait de 180,00\u00a0€ par patient et par an serait dépassé (180,00\u00a0€ "
        "déjà réservés ou réalisés, 22,50\u00a0€ de plus ; il reste 0,00\u00a0€). Encore "
        "possible : plus rien dans le forfait."
    )
    assert Booking.objects.filter(pathway=pathway).count() == 6


def test_r_c3_a_fourth_bilan_is_refused_with_what_remains(book):
    day = date(2025, 5, 1)
    for kind in ALL_BILANS:
        book(kind, day)
    with pytest.raises(ValidationError) as excinfo:
        book(B_PHYS, day)
    assert _codes(excinfo) == {"max_bilans"}
    assert _message(excinfo).endswith("Encore possible : 2 consultations.")


def test_r_c3_a_seventh_consultation_is_refused_with_the_cap(book):
    day = date(2025, 5, 1)
    book(B_PHYS, day)
    for _ in range(6):
        book(C_DIET, day)
    with pytest.raises(ValidationError) as excinfo:
        book(C_PSY, day)
    assert _codes(excinfo) == {"max_consultations"}
    assert "6 consultations de suivi au plus" in _message(excinfo)


def test_r_c2_a_not_done_service_frees_its_place(book, msp_staff, pathway):
    day = date(2025, 5, 1)
    first = book(B_DIET, day)
    for kind in (B_PSY, B_PHYS):
        book(kind, day)
    services.booking_mark(booking=first, by=msp_staff, done=False, today=day)
    book(B_DIET, day)
    assert Booking.objects.filter(pathway=pathway).count() == 4  # nothing deleted


def test_r_c2_a_booking_uses_the_tariff_in_force_on_its_date(book):
    Tariff.objects.create(
        valid_from=date(2025, 6, 1),
        bilan_price=Decimal("50.00"),
        consultation_price=Decimal("25.00"),
        annual_cap=Decimal("200.00"),
        max_bilans=3,
        max_consultations=6,
        legal_source="Arrêté fictif (test)",
    )
    assert book(B_PHYS, date(2025, 5, 31)).amount == Decimal("45.00")
    assert book(B_DIET, date(2025, 6, 1)).amount == Decimal("50.00")


# --- Who and what fits ----------------------------------------------------------------------------
def test_the_professional_must_fit_the_kind_and_work_in_the_structure(book, msp_apa, msp_dietitian):
    with pytest.raises(ValidationError) as excinfo:
        book(C_PSY, date(2025, 5, 1), professional=msp_dietitian)
    assert _codes(excinfo) == {"profession_mismatch"}
    elsewhere = factories.ApaTeacherFactory()
    with pytest.raises(ValidationError) as excinfo:
        book(B_PHYS, date(2025, 5, 1), professional=elsewhere)
    assert _codes(excinfo) == {"professional_elsewhere"}


def test_a_bilan_not_prescribed_is_refused(pathway, book):
    # The pathway of the fixture, as if only the physical-activity bilan had been prescribed.
    PathwayPrescription.objects.filter(pk=pathway.pk).update(
        bilan_dietary=False, bilan_psychological=False
    )
    with pytest.raises(ValidationError) as excinfo:
        book(B_DIET, date(2025, 5, 1))
    assert _codes(excinfo) == {"bilan_not_prescribed"}
    assert book(B_PHYS, date(2025, 5, 1)).kind == B_PHYS


def test_only_the_delivering_structure_books(book, oncologist, apa_teacher):
    for outsider in (oncologist, apa_teacher):
        with pytest.raises(ValidationError) as excinfo:
            book(B_PHYS, date(2025, 5, 1), by=outsider)
        assert _codes(excinfo) == {"booking_not_allowed"}


def test_nothing_is_delivered_when_the_convention_has_ended(book, msp):
    Convention.objects.filter(structure=msp).update(ends_on=date(2025, 4, 30))
    with pytest.raises(ValidationError) as excinfo:
        book(B_PHYS, date(2025, 5, 1))
    assert _codes(excinfo) == {"not_conventioned"}


# --- R-C4 ---------------------------------------------------------------------------------------
def test_r_c4_the_physical_activity_bilan_done_records_the_apa_project(book, msp_staff):
    booking = book(B_PHYS, date(2025, 5, 1))
    with pytest.raises(ValidationError) as excinfo:
        services.booking_mark(booking=booking, by=msp_staff, done=True, today=date(2025, 5, 1))
    assert _codes(excinfo) == {"apa_project_missing"}
    done = services.booking_mark(
        booking=booking,
        by=msp_staff,
        done=True,
        apa_project="Marche nordique 2×/semaine",
        today=date(2025, 5, 1),
    )
    assert done.status == Booking.Status.DONE
    assert done.apa_project == "Marche nordique 2×/semaine"
    with pytest.raises(ValidationError) as excinfo:
        services.booking_mark(booking=booking, by=msp_staff, done=False, today=date(2025, 5, 1))
    assert _codes(excinfo) == {"booking_not_booked"}


def test_a_service_in_the_future_is_not_marked_done(book, msp_staff):
    booking = book(C_DIET, date(2025, 5, 2))
    with pytest.raises(ValidationError) as excinfo:
        services.booking_mark(booking=booking, by=msp_staff, done=True, today=date(2025, 5, 1))
    assert _codes(excinfo) == {"done_in_future"}


def test_r_c2_one_forfait_per_patient_at_a_time_even_for_a_second_cancer(
    pathway, patient, oncologist, msp, book
):
    """180 € per patient per year: a second episode's pathway waits until the first forfait's
    12 months (from its first service) are over, to the day."""
    book(Kind.BILAN_PHYSICAL, date(2025, 5, 1))  # the first forfait runs to 01/05/2026
    second = services.episode_record(
        patient=patient,
        by=oncologist,
        localisation="Côlon",
        treatment_end=date(2025, 9, 1),
        ald=True,
    )

    def prescribe(on):
        return services.pathway_prescribe(
            episode=second, by=oncologist, structure=msp, kinds=ALL_BILANS, prescribed_on=on
        )

    with pytest.raises(ValidationError) as excinfo:
        prescribe(date(2026, 5, 1))
    assert _codes(excinfo) == {"pathway_forfait_running"}
    assert _message(excinfo) == (
        f"Ce patient bénéficie déjà du parcours {pathway.reference}, dont le forfait annuel court "
        "jusqu'au 01/05/2026 (180 € par patient et par an) : un nouveau parcours peut être "
        "prescrit à partir du 02/05/2026."
    )
    assert prescribe(date(2026, 5, 2)).episode == second
