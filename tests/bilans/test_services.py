"""The bilans' services: who records (R-L4, R-L5 with the orientation), R-B1 to R-B3."""

from decimal import Decimal

import pytest

from bilans import services
from bilans.models import Status
from dispensing.services import patient_orient
from kernel.errors import all_error_codes
from prescriptions.models import SupervisionRule
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def oriented(prescriber, patient, apa_teacher, issued_prescription):
    patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    return apa_teacher


def _codes(excinfo) -> set[str]:
    return all_error_codes(excinfo.value)


def test_the_oriented_professional_records_and_signs_the_entry_bilan(patient, oriented):
    bilan = factories.make_entry_bilan(patient, oriented, sign=False)
    assert bilan.status == Status.DRAFT
    signed = services.entry_bilan_sign(bilan=bilan, by=oriented)
    assert signed.status == Status.SIGNED and signed.signed_at is not None
    assert signed.bmi == Decimal("28.4")  # 82 / 1.70²
    assert signed.activity_score == 16


def test_a_professional_not_oriented_may_not_record(patient, issued_prescription):
    other = factories.ApaTeacherFactory(username="autre")
    with pytest.raises(Exception) as excinfo:
        factories.make_entry_bilan(patient, other)
    assert _codes(excinfo) == {"bilan_not_allowed"}


def test_an_oriented_professional_who_may_no_longer_supervise_the_level_may_not_record(
    patient, oriented
):
    # R-L5: the editable table changed; the orientation stays, the recording does not.
    SupervisionRule.objects.filter(profession=oriented.profession).delete()
    with pytest.raises(Exception) as excinfo:
        factories.make_entry_bilan(patient, oriented)
    assert _codes(excinfo) == {"bilan_not_allowed"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("six_minute_walk_m", 2000), ("tug_seconds", Decimal("0")), ("one_leg_stance_seconds", 61)],
)
def test_absurd_values_are_refused_with_a_french_message(patient, oriented, field, value):
    with pytest.raises(Exception) as excinfo:
        factories.make_entry_bilan(patient, oriented, sign=False, **{field: value})
    assert _codes(excinfo) == {"out_of_bounds"}
    assert "doit être comprise entre" in excinfo.value.message_dict[field][0]


def test_a_value_and_a_reason_not_done_are_refused_together(patient, oriented):
    with pytest.raises(Exception) as excinfo:
        factories.make_entry_bilan(patient, oriented, sign=False, handgrip_kg=Decimal("20"))
    assert _codes(excinfo) == {"value_and_not_done"}


def test_a_signed_bilan_has_a_value_or_a_reason_for_every_test(patient, oriented):
    bilan = factories.make_entry_bilan(
        patient, oriented, sign=False, handgrip_kg=None, handgrip_kg_not_done=""
    )
    with pytest.raises(Exception) as excinfo:
        services.entry_bilan_sign(bilan=bilan, by=oriented)
    assert _codes(excinfo) == {"test_missing"}
    assert "handgrip_kg" in excinfo.value.message_dict


def test_the_programme_must_be_complete_to_sign(patient, oriented):
    bilan = factories.make_entry_bilan(
        patient, oriented, sign=False, programme_sessions_total=None, programme_weeks=None
    )
    with pytest.raises(Exception) as excinfo:
        services.entry_bilan_sign(bilan=bilan, by=oriented)
    assert _codes(excinfo) == {"programme_incomplete"}


def test_a_programme_above_the_prescribed_intensity_is_refused(patient, oriented):
    # The prescription (factories) prescribes a moderate intensity.
    with pytest.raises(Exception) as excinfo:
        factories.make_entry_bilan(patient, oriented, programme_intensity="vigorous")
    assert _codes(excinfo) == {"programme_above_prescription"}


def test_a_programme_above_the_restriction_is_refused(prescriber, patient, apa_teacher):
    factories.make_prescription(
        prescriber=prescriber, patient=patient, intensity="", restriction_picks=["max_moderate"]
    )
    patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    with pytest.raises(Exception) as excinfo:
        factories.make_entry_bilan(patient, apa_teacher, programme_intensity="vigorous")
    assert _codes(excinfo) == {"programme_above_restriction"}


def test_a_signed_bilan_is_never_edited(patient, oriented):
    bilan = factories.make_entry_bilan(patient, oriented)
    with pytest.raises(Exception) as excinfo:
        services.entry_bilan_save(
            patient=patient, author=oriented, values={"goals": "x"}, bilan=bilan
        )
    assert _codes(excinfo) == {"signed"}


def test_one_entry_bilan_per_prescription(patient, oriented):
    factories.make_entry_bilan(patient, oriented)
    with pytest.raises(Exception) as excinfo:
        factories.make_entry_bilan(patient, oriented)
    assert _codes(excinfo) == {"entry_exists"}


def test_a_compte_rendu_follows_the_signed_entry_bilan(patient, oriented):
    with pytest.raises(Exception) as excinfo:
        factories.make_report(patient, oriented)
    assert _codes(excinfo) == {"report_no_entry"}
    factories.make_entry_bilan(patient, oriented)
    report = factories.make_report(patient, oriented)
    assert report.attendance_percent == 88


def test_a_risk_flag_needs_its_words(patient, oriented):
    factories.make_entry_bilan(patient, oriented)
    with pytest.raises(Exception) as excinfo:
        factories.make_report(patient, oriented, risk_flag=True, risk_description=" ")
    assert _codes(excinfo) == {"risk_without_words"}


def test_sessions_done_at_most_planned(patient, oriented):
    factories.make_entry_bilan(patient, oriented)
    with pytest.raises(Exception) as excinfo:
        factories.make_report(patient, oriented, sessions_done=9)
    assert _codes(excinfo) == {"sessions_above_planned"}


def test_the_exit_bilan_needs_its_proposal(patient, oriented):
    entry = factories.make_entry_bilan(patient, oriented)
    exit_bilan = services.exit_bilan_save(
        entry=entry, author=oriented, values=factories.bilan_values(six_minute_walk_m=445)
    )
    with pytest.raises(Exception) as excinfo:
        services.exit_bilan_sign(bilan=exit_bilan, by=oriented)
    assert _codes(excinfo) == {"proposal_missing"}
    services.exit_bilan_save(
        entry=entry,
        author=oriented,
        values={"proposal": "leave", "leave_to": ""},
        bilan=exit_bilan,
    )
    with pytest.raises(Exception) as excinfo:
        services.exit_bilan_sign(bilan=exit_bilan, by=oriented)
    assert _codes(excinfo) == {"leave_where"}
    services.exit_bilan_save(
        entry=entry,
        author=oriented,
        values={"leave_to": "Club de marche nordique labellisé"},
        bilan=exit_bilan,
    )
    signed = services.exit_bilan_sign(bilan=exit_bilan, by=oriented)
    assert signed.is_signed
    with pytest.raises(Exception) as excinfo:
        services.exit_bilan_save(entry=entry, author=oriented, values={})
    assert _codes(excinfo) == {"exit_exists"}


def test_one_entry_bilan_per_prescription_in_the_database_too(patient, oriented):
    from django.db import IntegrityError, transaction  # noqa: PLC0415

    from bilans.models import EntryBilan  # noqa: PLC0415

    first = factories.make_entry_bilan(patient, oriented)
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryBilan.objects.create(
            patient=patient,
            prescription=first.prescription,
            author=oriented,
            performed_on=first.performed_on,
        )


def test_the_checks_only_read_the_normalisation_is_the_apply_step(patient, oriented):
    # The checks are pure: they report, never change the bilan they check.
    from bilans.models import ExitBilan  # noqa: PLC0415

    entry = factories.make_entry_bilan(patient, oriented)
    unsaved = ExitBilan(
        entry=entry,
        patient=patient,
        prescription=entry.prescription,
        author=oriented,
        performed_on=entry.performed_on,
        continue_activity_types=["endurance", "not-a-type"],
        continue_sessions_per_week=2,
    )
    services._check_proposal(unsaved, {}, signing=False)
    assert unsaved.continue_activity_types == ["endurance", "not-a-type"]
    entry.programme_activity_types = ["not-a-type"]
    services._check_programme(entry, {}, signing=False)
    assert entry.programme_activity_types == ["not-a-type"]
    # The apply step keeps only the known activity types.
    exit_bilan = services.exit_bilan_save(
        entry=entry,
        author=oriented,
        values={"continue_activity_types": ["endurance", "not-a-type", 3, ["x"]]},
    )
    exit_bilan.refresh_from_db()
    assert exit_bilan.continue_activity_types == ["endurance"]
