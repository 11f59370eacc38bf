"""Workflows of the prescription (prescriptions/services.py): R-P1 to R-P4, R-E1, R-R1 to R-R6."""

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kernel.errors import all_error_codes, error_codes
from patients.models import CareTeamGrant
from prescriptions import services
from prescriptions.content import PrescriptionContent, Recommendations
from prescriptions.models import Prescription, Renewal
from prescriptions.rules import ActivityType, Intensity, LimitationLevel, period_end
from prescriptions.services import (
    MSG_RENEW_TOO_EARLY,
    MSG_RENEW_TOO_LATE,
    prescription_cancel,
    prescription_create,
    prescription_issue,
    prescription_renew,
    prescription_update,
    prescriptions_expire,
)
from tests import factories

pytestmark = pytest.mark.django_db


def changed(prescription: Prescription, **changes) -> PrescriptionContent:
    """The draft's content with `changes`, as the form sends it whole."""
    return dataclasses.replace(PrescriptionContent.of(prescription), **changes)


def params_of(exc: pytest.ExceptionInfo) -> dict:
    """The parameters of the one error raised (what its French message prints)."""
    (error,) = exc.value.error_list
    return error.params


def messages_of(exc: pytest.ExceptionInfo) -> list[str]:
    return [str(m) for m in exc.value.messages]


def d(day) -> str:
    return day.strftime("%d/%m/%Y")


def renew(prescription, physiotherapist, **overrides) -> Renewal:
    """Renew on the end date (within R-R3's window), with agreement and attestation."""
    arguments = {
        "kind": Renewal.Kind.RENEWAL,
        "duration_months": 3,
        "patient_agreement": True,
        "no_risk_attestation": True,
        "today": prescription.end_date,
    }
    arguments.update(overrides)
    return prescription_renew(
        prescription=prescription, physiotherapist=physiotherapist, **arguments
    )


ADAPTATIONS = Recommendations(
    activity_types=[ActivityType.BALANCE, "bogus"],
    sessions_per_week=3,
    intensity=Intensity.LIGHT,
    session_minutes=30,
    recommendations_text="Équilibre en groupe",
)


# --- prescription_create: R-P1, R-P2, R-P3 ------------------------------------------------------


def test_a_physician_creates_a_draft_with_a_reference_and_an_end_date(prescriber, patient):
    prescription = prescription_create(
        prescriber=prescriber,
        patient=patient,
        content=factories.prescription_content(duration_months=4),
        assessment=factories.assessment_data(),
    )
    assert prescription.status == Prescription.Status.DRAFT
    assert prescription.reference.startswith(f"APA-{timezone.localdate().year}-")
    assert len(prescription.verification_code) == 6
    assert prescription.end_date == period_end(prescription.start_date, 4)
    assert prescription.assessment.confirmed_level == LimitationLevel.MODERATE


@pytest.mark.parametrize("persona", ["physiotherapist", "apa_teacher", "structure_admin"])
def test_only_a_physician_may_prescribe(request, patient, persona):
    # R-P1 (CSP D.1172-2)
    user = request.getfixturevalue(persona)
    with pytest.raises(ValidationError) as exc:
        prescription_create(
            prescriber=user, patient=patient, content=factories.prescription_content()
        )
    assert all_error_codes(exc.value) == {"not_physician"}
    assert not Prescription.objects.exists()


@pytest.mark.parametrize("months", [2, 7, 0, "3", 3.0, True])
def test_a_duration_other_than_3_to_6_whole_months_is_refused(prescriber, patient, months):
    # R-P2
    with pytest.raises(ValidationError) as exc:
        prescription_create(
            prescriber=prescriber,
            patient=patient,
            content=factories.prescription_content(duration_months=months),
        )
    assert "duration" in error_codes(exc.value)["duration_months"]
    assert not Prescription.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_oui_without_the_indication_is_refused(prescriber, patient, reason):
    # R-P3: NON / OUI, and if OUI which one.
    with pytest.raises(ValidationError) as exc:
        prescription_create(
            prescriber=prescriber,
            patient=patient,
            content=factories.prescription_content(
                physician_renewal_required=True, physician_renewal_reason=reason
            ),
        )
    assert error_codes(exc.value)["physician_renewal_reason"] == ["oui_without_reason"]


def test_non_drops_a_leftover_indication(prescriber, patient):
    prescription = prescription_create(
        prescriber=prescriber,
        patient=patient,
        content=factories.prescription_content(
            physician_renewal_required=False, physician_renewal_reason="Reste d'un essai"
        ),
    )
    assert prescription.physician_renewal_reason == ""


def test_unknown_activity_types_and_restrictions_are_dropped(prescriber, patient):
    prescription = prescription_create(
        prescriber=prescriber,
        patient=patient,
        content=factories.prescription_content(
            activity_types=["balance", "parachute", "endurance"],
            restriction_picks=["no_cold", "bogus"],
        ),
    )
    assert prescription.activity_types == ["endurance", "balance"]
    assert prescription.restriction_picks == ["no_cold"]


def test_a_severe_indicator_unknown_to_r_l3_is_dropped(prescriber, patient):
    prescription = prescription_create(
        prescriber=prescriber,
        patient=patient,
        content=factories.prescription_content(),
        assessment=factories.assessment_data(severe_indicators=["sen_pain", "made_up"]),
    )
    assert prescription.assessment.severe_indicators == ["sen_pain"]


# --- prescription_issue: R-P1, R-E1, R-P3, R-P4 -------------------------------------------------


def test_issuing_freezes_the_draft_and_adds_the_prescriber_to_the_care_team(
    draft_prescription, prescriber
):
    issued = prescription_issue(prescription=draft_prescription, by=prescriber)
    assert issued.status == Prescription.Status.ISSUED
    assert issued.issued_at is not None
    assert CareTeamGrant.objects.filter(
        patient=issued.patient, user=prescriber, reason=CareTeamGrant.Reason.PRESCRIBER
    ).exists()


def test_issuing_without_the_patients_agreement_is_refused(prescriber, patient):
    # R-P1: with the patient's agreement.
    draft = factories.make_prescription(
        prescriber=prescriber, patient=patient, issue=False, patient_agreement=False
    )
    with pytest.raises(ValidationError) as exc:
        prescription_issue(prescription=draft, by=prescriber)
    assert error_codes(exc.value)["patient_agreement"] == ["no_agreement"]
    draft.refresh_from_db()
    assert draft.status == Prescription.Status.DRAFT


def test_issuing_for_a_patient_in_no_situation_of_r_e1_is_refused(prescriber, structure):
    patient = factories.PatientFactory(structure=structure, situations=[])
    draft = factories.make_prescription(prescriber=prescriber, patient=patient, issue=False)
    with pytest.raises(ValidationError) as exc:
        prescription_issue(prescription=draft, by=prescriber)
    assert "not_eligible" in error_codes(exc.value)["__all__"]
    draft.refresh_from_db()
    assert draft.status == Prescription.Status.DRAFT


@pytest.mark.parametrize("code", ["rf_sedentary", "autonomy_e", "chronic_disease"])
def test_any_situation_of_r_e1_makes_the_patient_eligible(prescriber, structure, code):
    patient = factories.PatientFactory(structure=structure, situations=[code])
    draft = factories.make_prescription(prescriber=prescriber, patient=patient, issue=False)
    assert prescription_issue(prescription=draft, by=prescriber).status == "issued"


def test_issuing_without_the_limitation_assessment_is_refused(prescriber, patient):
    draft = prescription_create(
        prescriber=prescriber, patient=patient, content=factories.prescription_content()
    )
    with pytest.raises(ValidationError) as exc:
        prescription_issue(prescription=draft, by=prescriber)
    assert error_codes(exc.value)["__all__"] == ["no_assessment"]


def test_issuing_without_any_recommendation_is_refused(prescriber, patient):
    # R-P3: the type of activity at least.
    draft = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        issue=False,
        activity_types=[],
        recommendations_text="  ",
    )
    with pytest.raises(ValidationError) as exc:
        prescription_issue(prescription=draft, by=prescriber)
    assert error_codes(exc.value)["activity_types"] == ["no_recommendation"]


def test_issuing_with_oui_and_a_blank_indication_is_refused(draft_prescription, prescriber):
    # A blank indication passes the database (not empty) but not the service (R-P3).
    Prescription.objects.filter(pk=draft_prescription.pk).update(
        physician_renewal_required=True, physician_renewal_reason="   "
    )
    with pytest.raises(ValidationError) as exc:
        prescription_issue(prescription=draft_prescription, by=prescriber)
    assert error_codes(exc.value)["physician_renewal_reason"] == ["oui_without_reason"]


def test_every_missing_element_is_reported_at_once(prescriber, structure):
    patient = factories.PatientFactory(structure=structure, situations=[])
    draft = prescription_create(
        prescriber=prescriber,
        patient=patient,
        content=factories.prescription_content(
            patient_agreement=False, activity_types=[], recommendations_text=""
        ),
    )
    with pytest.raises(ValidationError) as exc:
        prescription_issue(prescription=draft, by=prescriber)
    errors = error_codes(exc.value)
    assert set(errors) == {"patient_agreement", "activity_types", "__all__"}
    assert set(errors["__all__"]) == {"no_assessment", "not_eligible"}


def test_only_the_prescriber_may_issue_the_draft(draft_prescription, colleague_physician):
    with pytest.raises(ValidationError) as exc:
        prescription_issue(prescription=draft_prescription, by=colleague_physician)
    assert all_error_codes(exc.value) == {"not_prescriber"}


def test_a_non_physician_may_not_issue(draft_prescription, physiotherapist):
    with pytest.raises(ValidationError) as exc:
        prescription_issue(prescription=draft_prescription, by=physiotherapist)
    assert all_error_codes(exc.value) == {"not_physician"}


def test_an_issued_prescription_cannot_be_issued_again(issued_prescription, prescriber):
    # R-P4
    issued_at = issued_prescription.issued_at
    with pytest.raises(ValidationError) as exc:
        prescription_issue(prescription=issued_prescription, by=prescriber)
    assert all_error_codes(exc.value) == {"not_draft"}
    assert Prescription.objects.get(pk=issued_prescription.pk).issued_at == issued_at


def test_a_stale_draft_instance_cannot_issue_twice(draft_prescription, prescriber):
    # The service reads the row under lock, not the caller's copy.
    prescription_issue(prescription=draft_prescription, by=prescriber)
    with pytest.raises(ValidationError) as exc:
        prescription_issue(prescription=draft_prescription, by=prescriber)
    assert all_error_codes(exc.value) == {"not_draft"}


# --- prescription_update: R-P4 ------------------------------------------------------------------


def test_a_draft_is_updated_by_its_prescriber(draft_prescription, prescriber):
    updated = prescription_update(
        prescription=draft_prescription,
        by=prescriber,
        content=changed(draft_prescription, duration_months=6, recommendations_text="Aquagym"),
        assessment=factories.assessment_data(confirmed_level=LimitationLevel.SEVERE),
    )
    fresh = Prescription.objects.get(pk=updated.pk)
    assert fresh.duration_months == 6
    assert fresh.end_date == period_end(fresh.start_date, 6)
    assert fresh.recommendations_text == "Aquagym"
    assert fresh.assessment.confirmed_level == LimitationLevel.SEVERE


def test_an_issued_prescription_is_not_edited_in_place(issued_prescription, prescriber):
    # R-P4: a correction is a new prescription.
    with pytest.raises(ValidationError) as exc:
        prescription_update(
            prescription=issued_prescription,
            by=prescriber,
            content=changed(issued_prescription, duration_months=6),
        )
    assert all_error_codes(exc.value) == {"not_draft"}
    assert Prescription.objects.get(pk=issued_prescription.pk).duration_months == 3


def test_a_draft_is_updated_by_its_prescriber_only(draft_prescription, colleague_physician):
    with pytest.raises(ValidationError) as exc:
        prescription_update(
            prescription=draft_prescription,
            by=colleague_physician,
            content=changed(draft_prescription, duration_months=6),
        )
    assert all_error_codes(exc.value) == {"not_prescriber"}


def test_an_update_keeps_the_rules_of_the_content(draft_prescription, prescriber):
    with pytest.raises(ValidationError) as exc:
        prescription_update(
            prescription=draft_prescription,
            by=prescriber,
            content=changed(draft_prescription, duration_months=7, physician_renewal_required=True),
        )
    assert error_codes(exc.value)["duration_months"][0] == "duration"
    assert error_codes(exc.value)["physician_renewal_reason"] == ["oui_without_reason"]
    assert Prescription.objects.get(pk=draft_prescription.pk).duration_months == 3


def test_an_update_with_an_unknown_field_is_a_programming_error(draft_prescription, prescriber):
    with pytest.raises(TypeError):
        prescription_update(
            prescription=draft_prescription,
            by=prescriber,
            content=changed(draft_prescription, status="issued"),
        )


# --- prescription_cancel ------------------------------------------------------------------------


def test_a_draft_is_cancelled_without_a_reason(draft_prescription, prescriber):
    cancelled = prescription_cancel(prescription=draft_prescription, by=prescriber)
    assert cancelled.status == Prescription.Status.CANCELLED
    assert cancelled.cancelled_at is not None


def test_withdrawing_an_issued_prescription_needs_a_reason(issued_prescription, prescriber):
    with pytest.raises(ValidationError) as exc:
        prescription_cancel(prescription=issued_prescription, by=prescriber, reason="  ")
    assert error_codes(exc.value) == {"cancel_reason": ["cancel_reason"]}
    cancelled = prescription_cancel(
        prescription=issued_prescription, by=prescriber, reason=" Erreur de patient "
    )
    fresh = Prescription.objects.get(pk=cancelled.pk)
    assert (fresh.status, fresh.cancel_reason) == ("cancelled", "Erreur de patient")
    assert fresh.duration_months == issued_prescription.duration_months  # content as signed


def test_only_the_prescriber_may_cancel(issued_prescription, colleague_physician):
    with pytest.raises(ValidationError) as exc:
        prescription_cancel(prescription=issued_prescription, by=colleague_physician, reason="x")
    assert all_error_codes(exc.value) == {"not_prescriber"}


def test_a_renewed_or_cancelled_prescription_cannot_be_cancelled(
    issued_prescription, draft_prescription, prescriber, renewal
):
    with pytest.raises(ValidationError) as exc:
        prescription_cancel(prescription=issued_prescription, by=prescriber, reason="x")
    assert all_error_codes(exc.value) == {"cannot_cancel"}
    prescription_cancel(prescription=draft_prescription, by=prescriber)
    with pytest.raises(ValidationError) as exc:
        prescription_cancel(prescription=draft_prescription, by=prescriber, reason="x")
    assert all_error_codes(exc.value) == {"cannot_cancel"}


# --- prescription_renew: a valid renewal or adaptation (R-R1, R-R2, R-R6 a)) ----------------------


def test_a_physiotherapist_renews_at_the_end_of_the_prescription(
    issued_prescription, physiotherapist
):
    end = issued_prescription.end_date
    renewal = renew(issued_prescription, physiotherapist, duration_months=4, today=end)
    fresh = Prescription.objects.get(pk=issued_prescription.pk)
    assert fresh.status == Prescription.Status.RENEWED
    assert renewal.kind == Renewal.Kind.RENEWAL
    assert renewal.performed_on == end
    # The new period follows the initial one without a gap.
    assert renewal.start_date == end + timedelta(days=1)
    assert renewal.end_date == period_end(end + timedelta(days=1), 4)
    assert fresh.current_end_date == renewal.end_date
    # R-R6 a): the identity as written on the form.
    assert (renewal.physio_last_name, renewal.physio_first_name, renewal.physio_rpps) == (
        physiotherapist.last_name,
        physiotherapist.first_name,
        physiotherapist.rpps,
    )
    assert renewal.physiotherapist == physiotherapist


def test_the_physiotherapists_identity_is_kept_as_it_was_on_that_day(renewal, physiotherapist):
    physiotherapist.last_name = "Moreau-Lambert"
    physiotherapist.save()
    fresh = Renewal.objects.get(pk=renewal.pk)
    assert fresh.physio_last_name == "Moreau"
    assert fresh.physio_display_name == "Julien MOREAU"


def test_a_renewal_keeps_the_initial_content_and_records_no_adaptation(
    issued_prescription, physiotherapist
):
    renewal = renew(issued_prescription, physiotherapist, adaptations=ADAPTATIONS)
    assert renewal.activity_types == []
    assert renewal.recommendations_text == ""


def test_a_late_renewal_starts_on_the_day_it_is_made(issued_prescription, physiotherapist):
    late = issued_prescription.end_date + timedelta(days=20)
    renewal = renew(issued_prescription, physiotherapist, duration_months=3, today=late)
    assert renewal.start_date == late
    assert renewal.end_date == period_end(late, 3)


def test_an_early_renewal_within_the_window_starts_after_the_initial_period(
    issued_prescription, physiotherapist
):
    early = issued_prescription.end_date - timedelta(days=30)
    renewal = renew(issued_prescription, physiotherapist, today=early)
    assert renewal.start_date == issued_prescription.end_date + timedelta(days=1)


def test_a_physiotherapist_adapts_the_prescription(issued_prescription, physiotherapist):
    renewal = renew(
        issued_prescription,
        physiotherapist,
        kind=Renewal.Kind.ADAPTATION,
        duration_months=6,
        adaptations=ADAPTATIONS,
    )
    fresh = Prescription.objects.get(pk=issued_prescription.pk)
    assert fresh.status == Prescription.Status.ADAPTED
    assert renewal.kind == Renewal.Kind.ADAPTATION
    assert renewal.activity_types == [ActivityType.BALANCE]
    assert (renewal.sessions_per_week, renewal.intensity, renewal.session_minutes) == (
        3,
        Intensity.LIGHT,
        30,
    )
    assert renewal.recommendations_text == "Équilibre en groupe"
    assert renewal.end_date == period_end(issued_prescription.end_date + timedelta(days=1), 6)
    # The initial prescription is untouched (R-P4).
    assert fresh.activity_types == issued_prescription.activity_types


def test_an_adaptation_with_only_free_text_is_enough(issued_prescription, physiotherapist):
    renewal = renew(
        issued_prescription,
        physiotherapist,
        kind=Renewal.Kind.ADAPTATION,
        adaptations=Recommendations(**{"recommendations_text": "Marche en forêt"}),
    )
    assert renewal.recommendations_text == "Marche en forêt"


# --- prescription_renew: each refusal ------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["prescriber", "colleague_physician", "apa_teacher", "structure_admin"]
)
def test_only_a_physiotherapist_may_renew(request, issued_prescription, persona):
    # R-R1 (CSP D.1172-2-1)
    user = request.getfixturevalue(persona)
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, user)
    assert all_error_codes(exc.value) == {"renew_not_physiotherapist"}
    assert not Renewal.objects.exists()


def test_other_health_professionals_may_not_renew(issued_prescription, structure):
    # Ergothérapeutes and psychomotriciens supervise, but only a kiné renews (R-R1).
    from practitioners.models import Profession

    ergo = factories.UserFactory(
        username="ergo", profession=Profession.OCCUPATIONAL_THERAPIST, rpps="10009999994"
    )
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, ergo)
    assert all_error_codes(exc.value) == {"renew_not_physiotherapist"}


def test_a_physiotherapist_without_rpps_may_not_renew(issued_prescription, physiotherapist):
    # R-R6 a): the RPPS number is written on the form.
    physiotherapist.rpps = ""
    physiotherapist.save()
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist)
    assert all_error_codes(exc.value) == {"renew_no_rpps"}


def test_a_second_renewal_is_refused_and_says_who_renewed_and_when(
    issued_prescription, physiotherapist, renewal
):
    # R-R2: once per initial prescription.
    other = factories.PhysiotherapistFactory(username="kine2", first_name="Léa", last_name="Roy")
    for kind in (Renewal.Kind.RENEWAL, Renewal.Kind.ADAPTATION):
        with pytest.raises(ValidationError) as exc:
            renew(issued_prescription, other, kind=kind, adaptations=ADAPTATIONS)
        assert all_error_codes(exc.value) == {"renew_already"}
        assert params_of(exc) == {
            "kind": "renouvelée",
            "name": "Julien MOREAU",
            "date": d(renewal.performed_on),
        }
    assert Renewal.objects.count() == 1


def test_the_same_physiotherapist_cannot_renew_twice_either(
    issued_prescription, physiotherapist, renewal
):
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist)
    assert all_error_codes(exc.value) == {"renew_already"}
    assert Renewal.objects.count() == 1


def test_a_renewal_after_an_adaptation_names_the_adaptation(issued_prescription, physiotherapist):
    renew(
        issued_prescription,
        physiotherapist,
        kind=Renewal.Kind.ADAPTATION,
        adaptations=ADAPTATIONS,
    )
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist)
    assert all_error_codes(exc.value) == {"renew_already"}
    assert params_of(exc)["kind"] == "adaptée" and params_of(exc)["name"] == "Julien MOREAU"


def test_a_renewal_refused_after_the_renewed_period_expired(
    issued_prescription, physiotherapist, renewal
):
    # An expired prescription may be renewed once, but not when it was already renewed.
    prescriptions_expire(today=renewal.end_date + timedelta(days=1))
    assert Prescription.objects.get(pk=issued_prescription.pk).status == "expired"
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist, today=renewal.end_date + timedelta(days=2))
    assert all_error_codes(exc.value) == {"renew_already"}
    assert params_of(exc)["kind"] == "renouvelée"


def test_a_renewal_is_refused_when_the_physician_answered_oui(prescriber, patient, physiotherapist):
    # R-R4: the message quotes the physician's indication.
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        physician_renewal_required=True,
        physician_renewal_reason="Insuffisance cardiaque à réévaluer",
    )
    with pytest.raises(ValidationError) as exc:
        renew(prescription, physiotherapist)
    assert all_error_codes(exc.value) == {"renew_physician_only"}
    assert params_of(exc) == {"reason": "Insuffisance cardiaque à réévaluer"}
    assert "« Insuffisance cardiaque à réévaluer »" in messages_of(exc)[0]
    assert not Renewal.objects.exists()


def test_a_renewal_too_early_is_refused_with_the_dates(issued_prescription, physiotherapist):
    # R-R3: "à l'échéance", by default from 30 days before the end date.
    end = issued_prescription.end_date
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist, today=end - timedelta(days=31))
    assert all_error_codes(exc.value) == {"renew_too_early"}
    assert params_of(exc) == {"end": d(end), "opens": d(end - timedelta(days=30))}
    assert not Renewal.objects.exists()


def test_a_renewal_too_late_is_refused_with_the_dates(issued_prescription, physiotherapist):
    # R-R3: by default until 90 days after the end date.
    end = issued_prescription.end_date
    renew_too_late = end + timedelta(days=91)
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist, today=renew_too_late)
    assert all_error_codes(exc.value) == {"renew_too_late"}
    assert params_of(exc) == {"end": d(end), "closes": d(end + timedelta(days=90))}
    assert not Renewal.objects.exists()


def test_the_first_and_last_days_of_the_window_are_allowed(prescriber, patient, physiotherapist):
    first = factories.make_prescription(prescriber=prescriber, patient=patient)
    renew(first, physiotherapist, today=first.end_date - timedelta(days=30))
    last = factories.make_prescription(prescriber=prescriber, patient=patient)
    renew(last, physiotherapist, today=last.end_date + timedelta(days=90))
    assert Renewal.objects.count() == 2


def test_the_renewal_window_is_configurable(settings, issued_prescription, physiotherapist):
    end = issued_prescription.end_date
    settings.APA_RENEWAL_WINDOW_DAYS_BEFORE = 7
    settings.APA_RENEWAL_WINDOW_DAYS_AFTER = 10
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist, today=end - timedelta(days=8))
    assert messages_of(exc) == [
        MSG_RENEW_TOO_EARLY % {"end": d(end), "opens": d(end - timedelta(days=7))}
    ]
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist, today=end + timedelta(days=11))
    assert messages_of(exc) == [
        MSG_RENEW_TOO_LATE % {"end": d(end), "closes": d(end + timedelta(days=10))}
    ]
    settings.APA_RENEWAL_WINDOW_DAYS_BEFORE = 60
    renewal = renew(issued_prescription, physiotherapist, today=end - timedelta(days=45))
    assert renewal.performed_on == end - timedelta(days=45)


def test_a_renewal_without_the_patients_agreement_is_refused(issued_prescription, physiotherapist):
    # R-R1: with the patient's agreement.
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist, patient_agreement=False)
    assert error_codes(exc.value) == {"patient_agreement": ["renew_no_agreement"]}
    assert not Renewal.objects.exists()
    assert Prescription.objects.get(pk=issued_prescription.pk).status == "issued"


def test_a_renewal_without_the_no_risk_attestation_is_refused(issued_prescription, physiotherapist):
    # R-R5
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist, no_risk_attestation=False)
    assert error_codes(exc.value) == {"no_risk_attestation": ["renew_no_attestation"]}
    assert not Renewal.objects.exists()


@pytest.mark.parametrize("months", [2, 7, True, "3"])
def test_a_renewal_for_other_than_3_to_6_months_is_refused(
    issued_prescription, physiotherapist, months
):
    # R-R2: a new duration of 3 to 6 months.
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist, duration_months=months)
    assert error_codes(exc.value) == {"duration_months": ["duration"]}


@pytest.mark.parametrize(
    "adaptations",
    [
        None,
        Recommendations(),
        Recommendations(activity_types=["bogus"], recommendations_text="  "),
    ],
)
def test_an_adaptation_without_any_content_is_refused(
    issued_prescription, physiotherapist, adaptations
):
    with pytest.raises(ValidationError) as exc:
        renew(
            issued_prescription,
            physiotherapist,
            kind=Renewal.Kind.ADAPTATION,
            adaptations=adaptations,
        )
    assert error_codes(exc.value) == {"__all__": ["adaptation_empty"]}


def test_every_missing_element_of_a_renewal_is_reported_at_once(
    issued_prescription, physiotherapist
):
    with pytest.raises(ValidationError) as exc:
        renew(
            issued_prescription,
            physiotherapist,
            kind=Renewal.Kind.ADAPTATION,
            patient_agreement=False,
            no_risk_attestation=False,
            duration_months=9,
        )
    assert set(exc.value.message_dict) == {
        "patient_agreement",
        "no_risk_attestation",
        "duration_months",
        "__all__",
    }


def test_a_draft_cannot_be_renewed(draft_prescription, physiotherapist):
    with pytest.raises(ValidationError) as exc:
        renew(draft_prescription, physiotherapist)
    assert all_error_codes(exc.value) == {"renew_not_issued"}


def test_a_cancelled_prescription_cannot_be_renewed(
    issued_prescription, prescriber, physiotherapist
):
    prescription_cancel(prescription=issued_prescription, by=prescriber, reason="Erreur")
    with pytest.raises(ValidationError) as exc:
        renew(issued_prescription, physiotherapist)
    assert all_error_codes(exc.value) == {"renew_not_issued"}


def test_an_expired_prescription_may_still_be_renewed_within_the_window(
    issued_prescription, physiotherapist
):
    end = issued_prescription.end_date
    prescriptions_expire(today=end + timedelta(days=1))
    renewal = renew(issued_prescription, physiotherapist, today=end + timedelta(days=10))
    assert renewal.start_date == end + timedelta(days=10)
    assert Prescription.objects.get(pk=issued_prescription.pk).status == "renewed"


def test_the_refusal_is_explained_before_the_form_is_filled(issued_prescription, physiotherapist):
    today = issued_prescription.end_date
    assert (
        services.renewal_refusal(
            prescription=issued_prescription, physiotherapist=physiotherapist, today=today
        )
        is None
    )
    refusal = services.renewal_refusal(
        prescription=issued_prescription,
        physiotherapist=physiotherapist,
        today=today + timedelta(days=365),
    )
    assert refusal is not None and "délai de renouvellement a pris fin" in refusal.messages[0]


# --- prescriptions_expire -------------------------------------------------------------------------


def test_prescriptions_whose_period_ended_expire(prescriber, patient, draft_prescription):
    issued = factories.make_prescription(prescriber=prescriber, patient=patient)
    end = issued.end_date
    assert prescriptions_expire(today=end) == 0  # the last day is still within the period
    assert Prescription.objects.get(pk=issued.pk).status == "issued"
    before = issued.history.count()
    assert prescriptions_expire(today=end + timedelta(days=1)) == 1
    fresh = Prescription.objects.get(pk=issued.pk)
    assert fresh.status == Prescription.Status.EXPIRED
    assert fresh.history.count() == before + 1
    # A draft never expires; running again changes nothing.
    assert Prescription.objects.get(pk=draft_prescription.pk).status == "draft"
    assert prescriptions_expire(today=end + timedelta(days=1)) == 0


def test_a_renewed_prescription_expires_at_the_end_of_the_renewal(issued_prescription, renewal):
    assert prescriptions_expire(today=issued_prescription.end_date + timedelta(days=5)) == 0
    assert Prescription.objects.get(pk=issued_prescription.pk).status == "renewed"
    assert prescriptions_expire(today=renewal.end_date + timedelta(days=1)) == 1
    assert Prescription.objects.get(pk=issued_prescription.pk).status == "expired"


def test_cancelled_prescriptions_do_not_expire(issued_prescription, prescriber):
    prescription_cancel(prescription=issued_prescription, by=prescriber, reason="Erreur")
    assert prescriptions_expire(today=issued_prescription.end_date + timedelta(days=400)) == 0
    assert Prescription.objects.get(pk=issued_prescription.pk).status == "cancelled"


def test_a_draft_saved_days_earlier_is_dated_the_day_it_is_signed(client, prescriber, patient):
    """R-P4: dated and signed the same day, whatever the path (here the physician's page), so a
    draft saved on 06/11 and signed on 02/12 carries 02/12, never the day it was saved."""
    import time_machine
    from django.urls import reverse

    paris = timezone.get_default_timezone()
    with time_machine.travel(datetime(2026, 11, 6, 10, 0, tzinfo=paris), tick=False):
        # To start the day it will be signed (the form refuses a start before that day).
        draft = factories.make_prescription(
            prescriber=prescriber, patient=patient, issue=False, start_date=date(2026, 12, 2)
        )
    assert draft.prescribed_on == date(2026, 11, 6)
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=paris), tick=False):
        client.force_login(prescriber)
        response = client.post(reverse("prescriptions:issue", kwargs={"pk": draft.pk}))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Prescription.Status.ISSUED
    assert draft.prescribed_on == date(2026, 12, 2)
    assert timezone.localtime(draft.issued_at).date() == date(2026, 12, 2)
