"""Invariants held by the database and the models, whatever code path writes.

Each constraint is tested by bypassing the services (a queryset `update()`), so that only the
database stands in the way.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from practitioners.models import Profession
from prescriptions import rules
from prescriptions.models import (
    ImmutablePrescriptionError,
    LimitationAssessment,
    Prescription,
    Renewal,
    SupervisionRule,
)
from prescriptions.rules import LimitationLevel
from prescriptions.services import prescription_cancel
from tests import factories

pytestmark = pytest.mark.django_db


def refused_by_the_database(model, pk, **changes) -> bool:
    try:
        with transaction.atomic():
            model.objects.filter(pk=pk).update(**changes)
    except IntegrityError:
        return True
    return False


# --- R-P2: duration of 3 to 6 months ---------------------------------------------------------


@pytest.mark.parametrize("months", [0, 1, 2, 7, 12])
def test_the_database_refuses_a_prescription_duration_outside_3_to_6_months(
    issued_prescription, draft_prescription, months
):
    with pytest.raises(IntegrityError), transaction.atomic():
        Prescription.objects.filter(pk=issued_prescription.pk).update(duration_months=months)
    with pytest.raises(IntegrityError), transaction.atomic():
        Prescription.objects.filter(pk=draft_prescription.pk).update(duration_months=months)


@pytest.mark.parametrize("months", [3, 4, 5, 6])
def test_the_database_accepts_a_duration_of_3_to_6_months(draft_prescription, months):
    assert not refused_by_the_database(Prescription, draft_prescription.pk, duration_months=months)


@pytest.mark.parametrize("months", [2, 7])
def test_model_validation_refuses_a_wrong_duration(draft_prescription, months):
    # The choices (3 to 6) refuse it before the constraint; the services say MSG_DURATION.
    draft_prescription.duration_months = months
    with pytest.raises(ValidationError) as exc:
        draft_prescription.full_clean()
    assert list(exc.value.message_dict) == ["duration_months"]


# --- R-P3: OUI needs the indication ------------------------------------------------------------


def test_the_database_refuses_oui_without_the_indication(draft_prescription, issued_prescription):
    for prescription in (draft_prescription, issued_prescription):
        assert refused_by_the_database(
            Prescription,
            prescription.pk,
            physician_renewal_required=True,
            physician_renewal_reason="",
        )


def test_the_database_accepts_oui_with_the_indication(draft_prescription):
    assert not refused_by_the_database(
        Prescription,
        draft_prescription.pk,
        physician_renewal_required=True,
        physician_renewal_reason="Insuffisance cardiaque",
    )


# --- R-P1: issued only with the patient's agreement --------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        Prescription.Status.ISSUED,
        Prescription.Status.RENEWED,
        Prescription.Status.ADAPTED,
        Prescription.Status.EXPIRED,
    ],
)
def test_the_database_refuses_a_prescription_beyond_draft_without_agreement(
    issued_prescription, status
):
    Prescription.objects.filter(pk=issued_prescription.pk).update(status=status)
    assert refused_by_the_database(Prescription, issued_prescription.pk, patient_agreement=False)


def test_a_draft_or_cancelled_prescription_may_lack_the_agreement(draft_prescription):
    assert not refused_by_the_database(Prescription, draft_prescription.pk, patient_agreement=False)
    Prescription.objects.filter(pk=draft_prescription.pk).update(status="cancelled")
    assert not refused_by_the_database(Prescription, draft_prescription.pk, patient_agreement=False)


def test_the_database_refuses_to_issue_a_draft_without_agreement(draft_prescription):
    Prescription.objects.filter(pk=draft_prescription.pk).update(patient_agreement=False)
    assert refused_by_the_database(
        Prescription, draft_prescription.pk, status=Prescription.Status.ISSUED
    )


def test_an_issued_prescription_has_an_issue_time(issued_prescription):
    assert issued_prescription.issued_at is not None
    assert refused_by_the_database(Prescription, issued_prescription.pk, issued_at=None)


def test_the_database_refuses_a_period_that_ends_before_it_starts(issued_prescription):
    assert refused_by_the_database(
        Prescription, issued_prescription.pk, end_date=issued_prescription.start_date
    )


@pytest.mark.parametrize(
    "changes", [{"sessions_per_week": 0}, {"sessions_per_week": 8}, {"session_minutes": 181}]
)
def test_the_database_refuses_absurd_recommendations(draft_prescription, changes):
    assert refused_by_the_database(Prescription, draft_prescription.pk, **changes)


# --- End date -------------------------------------------------------------------------------


def test_the_end_date_is_computed_from_the_start_and_the_duration(prescriber, patient):
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        issue=False,
        prescribed_on=date(2026, 1, 20),
        start_date=date(2026, 1, 31),
        duration_months=3,
    )
    assert prescription.end_date == date(2026, 4, 29)
    prescription.duration_months = 6
    prescription.save()
    assert Prescription.objects.get(pk=prescription.pk).end_date == date(2026, 7, 30)


def test_a_stale_end_date_is_recomputed_on_save(draft_prescription):
    draft_prescription.end_date = date(2099, 1, 1)
    draft_prescription.save()
    assert draft_prescription.end_date == rules.period_end(
        draft_prescription.start_date, draft_prescription.duration_months
    )


# --- R-P4: an issued prescription is not edited in place ---------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration_months", 6),
        ("start_date", date(2020, 1, 1)),
        ("prescribed_on", date(2020, 1, 1)),
        ("recommendations_text", "Natation"),
        ("intensity", rules.Intensity.VIGOROUS),
        ("sessions_per_week", 5),
        ("restrictions_text", "Pas de course"),
        ("physician_renewal_required", True),
        ("patient_agreement", False),
        ("reference", "APA-2026-0000-0000"),
    ],
)
def test_changing_the_content_of_an_issued_prescription_is_refused(
    issued_prescription, field, value
):
    prescription = Prescription.objects.get(pk=issued_prescription.pk)
    setattr(prescription, field, value)
    with pytest.raises(ImmutablePrescriptionError, match=field):
        prescription.save()
    fresh = Prescription.objects.get(pk=issued_prescription.pk)
    assert getattr(fresh, field) == getattr(issued_prescription, field)


def test_changing_a_list_of_an_issued_prescription_in_place_is_refused(issued_prescription):
    prescription = Prescription.objects.get(pk=issued_prescription.pk)
    prescription.activity_types.append(rules.ActivityType.BALANCE)
    with pytest.raises(ImmutablePrescriptionError, match="activity_types"):
        prescription.save()
    prescription = Prescription.objects.get(pk=issued_prescription.pk)
    prescription.restriction_picks.append(rules.RestrictionPick.NO_COLD)
    with pytest.raises(ImmutablePrescriptionError, match="restriction_picks"):
        prescription.save()


def test_the_instance_returned_by_issuing_is_protected_too(issued_prescription):
    issued_prescription.duration_months = 6
    with pytest.raises(ImmutablePrescriptionError):
        issued_prescription.save()


def test_changing_the_patient_or_the_prescriber_of_an_issued_prescription_is_refused(
    issued_prescription, colleague_physician, structure
):
    prescription = Prescription.objects.get(pk=issued_prescription.pk)
    prescription.prescriber = colleague_physician
    with pytest.raises(ImmutablePrescriptionError):
        prescription.save()
    prescription = Prescription.objects.get(pk=issued_prescription.pk)
    prescription.patient = factories.PatientFactory(structure=structure)
    with pytest.raises(ImmutablePrescriptionError):
        prescription.save()


def test_the_status_of_an_issued_prescription_may_change(issued_prescription):
    prescription = Prescription.objects.get(pk=issued_prescription.pk)
    prescription.status = Prescription.Status.EXPIRED
    prescription.save()
    assert Prescription.objects.get(pk=prescription.pk).status == Prescription.Status.EXPIRED


def test_a_cancelled_prescription_keeps_its_content_too(issued_prescription, prescriber):
    prescription_cancel(prescription=issued_prescription, by=prescriber, reason="Doublon")
    prescription = Prescription.objects.get(pk=issued_prescription.pk)
    prescription.duration_months = 6
    with pytest.raises(ImmutablePrescriptionError):
        prescription.save()


def test_a_draft_may_be_changed_and_saved(draft_prescription):
    prescription = Prescription.objects.get(pk=draft_prescription.pk)
    prescription.duration_months = 6
    prescription.activity_types.append(rules.ActivityType.BALANCE)
    prescription.save()
    fresh = Prescription.objects.get(pk=draft_prescription.pk)
    assert fresh.duration_months == 6
    assert rules.ActivityType.BALANCE in fresh.activity_types


# --- History (R-P4: "the history of every change is kept") -------------------------------------


def test_every_change_of_a_prescription_is_kept_in_its_history(draft_prescription, prescriber):
    from prescriptions.services import prescription_issue

    before = draft_prescription.history.count()
    prescription_issue(prescription=draft_prescription, by=prescriber)
    prescription = Prescription.objects.get(pk=draft_prescription.pk)
    prescription_cancel(prescription=prescription, by=prescriber, reason="Erreur de patient")
    statuses = list(prescription.history.order_by("history_date").values_list("status", flat=True))
    assert prescription.history.count() == before + 2
    assert statuses[-3:] == ["draft", "issued", "cancelled"]


def test_renewals_and_assessments_have_a_history(renewal, issued_prescription):
    assert renewal.history.count() == 1
    assert issued_prescription.assessment.history.count() >= 1


# --- R-R2: one renewal or adaptation per prescription, in the database -------------------------


def test_the_database_refuses_a_second_renewal_of_the_same_prescription(renewal):
    second = Renewal.objects.get(pk=renewal.pk)
    second.pk = None
    second.kind = Renewal.Kind.ADAPTATION
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save(force_insert=True)
    assert Renewal.objects.count() == 1


# --- R-R1, R-R5, R-R6 a), R-R2: the renewal's own invariants ----------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"patient_agreement": False},  # R-R1
        {"no_risk_attestation": False},  # R-R5
        {"physio_rpps": ""},  # R-R6 a)
        {"physio_rpps": "1234567890"},
        {"duration_months": 2},  # R-R2: 3 to 6 months
        {"duration_months": 7},
        {"sessions_per_week": 9},
    ],
)
def test_the_database_refuses_a_renewal_that_breaks_its_rules(renewal, changes):
    assert refused_by_the_database(Renewal, renewal.pk, **changes)


def test_a_renewal_with_valid_values_passes_the_database(renewal):
    assert not refused_by_the_database(Renewal, renewal.pk, duration_months=6)


# --- R-L1, R-L2: the assessment ---------------------------------------------------------------


def test_the_resulting_level_is_computed_and_the_physician_confirms_it(prescriber, patient):
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        assessment=factories.assessment_data(
            locomotor=LimitationLevel.MINIMAL,
            cerebral=LimitationLevel.SEVERE,
            sensory=LimitationLevel.NONE,
            severe_indicators=["cer_language"],
            confirmed_level=LimitationLevel.MODERATE,  # the tool is a decision aid (R-L2)
        ),
    )
    assessment = LimitationAssessment.objects.get(prescription=prescription)
    assert assessment.computed_level == LimitationLevel.SEVERE
    assert assessment.computed_level_label == "Sévères"
    assert assessment.confirmed_level == LimitationLevel.MODERATE
    assert assessment.severe_indicator_labels == [
        "Fonction langagière empêchant toute compréhension ou expression"
    ]


@pytest.mark.parametrize("field", ["locomotor", "cerebral", "sensory", "confirmed_level"])
def test_the_database_refuses_a_level_beyond_severe(issued_prescription, field):
    assert refused_by_the_database(
        LimitationAssessment, issued_prescription.assessment.pk, **{field: 4}
    )


def test_a_prescription_has_at_most_one_assessment(issued_prescription):
    with pytest.raises(IntegrityError), transaction.atomic():
        LimitationAssessment.objects.create(
            prescription=issued_prescription, locomotor=0, cerebral=0, sensory=0, confirmed_level=0
        )


# --- R-L4 (binding) and R-L5 (defaults): the supervision table ---------------------------------


def test_the_seeded_supervision_table_equals_the_defaults_of_r_l4_and_r_l5():
    table: dict[int, set[str]] = {}
    for level, profession in SupervisionRule.objects.values_list("level", "profession"):
        table.setdefault(level, set()).add(profession)
    assert table == {level: set(p) for level, p in rules.DEFAULT_SUPERVISION.items()}


@pytest.mark.parametrize(
    "profession",
    [Profession.APA_TEACHER, Profession.SPORTS_EDUCATOR, Profession.FEDERATION_CERTIFIED],
)
def test_the_database_refuses_a_non_health_professional_for_a_severe_limitation(profession):
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisionRule.objects.create(level=LimitationLevel.SEVERE, profession=profession)


def test_an_existing_severe_row_cannot_be_edited_into_a_non_health_professional():
    row = SupervisionRule.objects.filter(level=LimitationLevel.SEVERE).first()
    assert refused_by_the_database(SupervisionRule, row.pk, profession=Profession.APA_TEACHER)
    minimal = SupervisionRule.objects.filter(
        level=LimitationLevel.MINIMAL, profession=Profession.APA_TEACHER
    ).get()
    assert refused_by_the_database(SupervisionRule, minimal.pk, level=LimitationLevel.SEVERE)


def test_the_admin_form_explains_r_l4_in_french():
    rule = SupervisionRule(level=LimitationLevel.SEVERE, profession=Profession.APA_TEACHER)
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert any("limitation sévère" in m for m in exc.value.messages)


@pytest.mark.parametrize("profession", [Profession.PHYSICIAN, Profession.ADMIN_STAFF])
def test_the_supervision_table_holds_dispensers_only(profession):
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisionRule.objects.create(level=LimitationLevel.NONE, profession=profession)


def test_the_preferential_rows_of_r_l5_are_editable_data():
    SupervisionRule.objects.filter(
        level=LimitationLevel.MODERATE, profession=Profession.APA_TEACHER
    ).delete()
    SupervisionRule.objects.create(
        level=LimitationLevel.MODERATE, profession=Profession.SPORTS_EDUCATOR
    )
    professions = set(
        SupervisionRule.objects.filter(level=LimitationLevel.MODERATE).values_list(
            "profession", flat=True
        )
    )
    assert Profession.SPORTS_EDUCATOR in professions
    assert Profession.APA_TEACHER not in professions
