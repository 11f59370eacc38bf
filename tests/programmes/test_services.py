"""Writes of group programmes: R-G1 (running prescription, initial goals), R-G2 (capacity),
R-G3 (duration), R-G4 (follow-ups), R-O1 (level and supervision), the waiting list and the
drop-out alert."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from kernel.errors import all_error_codes
from notifications.models import Notification
from patients.models import CareTeamGrant
from prescriptions.rules import LimitationLevel, period_end
from prescriptions.services import prescription_cancel
from programmes import services
from programmes.models import Enrolment, FollowUp, Offer, Referral, Session
from tests import factories
from tests.programmes.conftest import make_referred


def _codes(excinfo) -> set:
    return all_error_codes(excinfo.value)


def test_an_offer_accepting_severe_with_an_apa_teacher_alone_is_refused(mss, teacher):
    with pytest.raises(services.ValidationError) as excinfo:
        factories.make_offer(structure=mss, supervisors=[teacher], levels=(2, 3))
    assert _codes(excinfo) == {"offer_supervision_severe"}
    assert not Offer.objects.exists()


def test_an_offer_accepting_severe_with_a_physiotherapist_is_published(mss, teacher, physio):
    offer = factories.make_offer(structure=mss, supervisors=[teacher, physio], levels=(2, 3))
    assert offer.accepted_levels == [2, 3]
    assert offer.sessions.count() > 40  # two a week for six months


def test_the_editable_table_decides_a_moderate_level_for_a_sports_educator(mss):
    educator = factories.UserFactory(profession="sports_educator", structure=mss)
    with pytest.raises(services.ValidationError) as excinfo:
        factories.make_offer(structure=mss, supervisors=[educator], levels=(0, 2))
    assert _codes(excinfo) == {"offer_supervision_level"}


def test_a_capacity_above_eight_is_refused_by_the_service_and_the_database(mss, teacher):
    with pytest.raises(services.ValidationError) as excinfo:
        factories.make_offer(structure=mss, supervisors=[teacher], capacity=9)
    assert "offer_capacity" in _codes(excinfo)
    offer = factories.make_offer(structure=mss, supervisors=[teacher])
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(capacity=9)


@pytest.mark.parametrize("months", [2, 10])
def test_a_programme_shorter_than_3_or_longer_than_9_months_is_refused(mss, teacher, months):
    with pytest.raises(services.ValidationError) as excinfo:
        factories.make_offer(structure=mss, supervisors=[teacher], months=months)
    assert _codes(excinfo) == {"offer_duration"}


@pytest.mark.parametrize(
    "days", [(0,), (0, 0), (0, 2, 4)], ids=["once", "twice-the-same-day", "three-times"]
)
def test_r_g3_a_programme_has_two_sessions_a_week_on_two_days(mss, teacher, days):
    from datetime import time  # noqa: PLC0415

    from programmes.rules import WeeklySlot  # noqa: PLC0415

    slots = [WeeklySlot(day, time(18 if n == 0 else 19, 0), 60) for n, day in enumerate(days)]
    with pytest.raises(services.ValidationError) as excinfo:
        factories.make_offer(structure=mss, supervisors=[teacher], slots=slots)
    assert _codes(excinfo) == {"offer_sessions_per_week"}
    two = [WeeklySlot(1, time(17, 30), 60), WeeklySlot(4, time(10, 0), 60)]
    assert factories.make_offer(structure=mss, supervisors=[teacher], slots=two).pk


def test_a_non_dispenser_cannot_supervise_an_offer(mss, coordinator):
    with pytest.raises(services.ValidationError) as excinfo:
        factories.make_offer(structure=mss, supervisors=[coordinator])
    assert "offer_supervisor_not_dispenser" in _codes(excinfo)


def test_a_physician_cannot_coordinate_an_offer(mss, teacher, coordinator):
    """The coordinator runs the offer's side (referrals, enrolment, drop-out alerts): the
    structure's admin staff or one of its dispensing professionals."""
    physician = factories.PhysicianFactory(username="medecin-mss", structure=mss)
    with pytest.raises(services.ValidationError) as excinfo:
        factories.make_offer(structure=mss, supervisors=[teacher], coordinator=physician)
    assert "offer_coordinator_role" in _codes(excinfo)
    assert factories.make_offer(structure=mss, supervisors=[teacher], coordinator=teacher)
    assert factories.make_offer(structure=mss, supervisors=[teacher], coordinator=coordinator)


def test_orienting_grants_the_offer_team_and_tells_the_coordinator(
    offer, prescriber, structure, teacher, coordinator
):
    referral = make_referred(offer=offer, prescriber=prescriber, structure=structure)
    assert referral.status == Referral.Status.SENT
    granted = set(
        CareTeamGrant.objects.filter(
            patient=referral.patient, reason=CareTeamGrant.Reason.PROGRAMME
        ).values_list("user__username", flat=True)
    )
    assert granted == {teacher.username, coordinator.username}
    assert Notification.objects.filter(
        recipient=coordinator, kind=Notification.Kind.PROGRAMME_REFERRAL, offer_id=offer.pk
    ).exists()


def test_an_offer_never_takes_a_level_it_does_not_accept(offer, prescriber, patient):
    severe = factories.assessment_data(
        locomotor=LimitationLevel.SEVERE, confirmed_level=LimitationLevel.SEVERE
    )
    prescription = factories.make_prescription(
        prescriber=prescriber, patient=patient, assessment=severe
    )
    with pytest.raises(services.ValidationError) as excinfo:
        services.referral_send(prescription=prescription, offer=offer, by=prescriber)
    assert _codes(excinfo) == {"programme_level_not_accepted"}


def test_orientation_and_enrolment_need_a_running_prescription(
    offer, prescriber, patient, coordinator
):
    draft = factories.make_prescription(prescriber=prescriber, patient=patient, issue=False)
    with pytest.raises(services.ValidationError) as excinfo:
        services.referral_send(prescription=draft, offer=offer, by=prescriber)
    assert _codes(excinfo) == {"programme_prescription_not_running"}
    issued = factories.make_prescription(prescriber=prescriber, patient=patient)
    referral = services.referral_send(prescription=issued, offer=offer, by=prescriber)
    # The prescription ends before the coordinator enrols: refused (R-G1).
    with pytest.raises(services.ValidationError) as excinfo:
        services.enrolment_create(
            referral=referral,
            goals="Marcher 30 minutes",
            by=coordinator,
            today=issued.current_end_date + timedelta(days=1),
        )
    assert _codes(excinfo) == {"programme_prescription_not_running"}


def test_a_withdrawn_prescription_cannot_enrol(offer, prescriber, referral, coordinator):
    prescription_cancel(prescription=referral.prescription, by=prescriber, reason="Erreur")
    with pytest.raises(services.ValidationError) as excinfo:
        services.enrolment_create(referral=referral, goals="Objectif", by=coordinator)
    assert _codes(excinfo) == {"programme_prescription_not_running"}


def test_enrolment_needs_the_goals_of_the_initial_consultation(referral, coordinator):
    with pytest.raises(services.ValidationError) as excinfo:
        services.enrolment_create(referral=referral, goals="  ", by=coordinator)
    assert _codes(excinfo) == {"enrolment_goals_required"}


def test_only_the_offer_side_enrols(referral, prescriber):
    with pytest.raises(services.ValidationError) as excinfo:
        services.enrolment_create(referral=referral, goals="Objectif", by=prescriber)
    assert _codes(excinfo) == {"programme_not_allowed"}


def _fill(offer, prescriber, structure, coordinator, count):
    return [
        services.enrolment_create(
            referral=make_referred(offer=offer, prescriber=prescriber, structure=structure),
            goals="Reprendre la marche",
            by=coordinator,
        )
        for _ in range(count)
    ]


def test_the_ninth_patient_goes_to_the_waiting_list(offer, prescriber, structure, coordinator):
    enrolments = _fill(offer, prescriber, structure, coordinator, 9)
    assert [e.status for e in enrolments] == ["enrolled"] * 8 + ["waiting"]
    assert enrolments[-1].starts_on is None
    assert Enrolment.objects.filter(offer=offer, status="enrolled").count() == 8


def test_a_freed_seat_goes_to_the_first_waiting_and_tells_the_coordinator(
    offer, prescriber, structure, coordinator
):
    enrolments = _fill(offer, prescriber, structure, coordinator, 10)
    first_waiting, second_waiting = enrolments[8], enrolments[9]
    services.enrolment_end(enrolment=enrolments[0], by=coordinator, reason="Déménagement")
    first_waiting.refresh_from_db()
    second_waiting.refresh_from_db()
    assert first_waiting.status == Enrolment.Status.ENROLLED
    assert second_waiting.status == Enrolment.Status.WAITING
    assert FollowUp.objects.filter(enrolment=first_waiting).exists()
    kinds = Notification.objects.filter(kind=Notification.Kind.PROGRAMME_SEAT)
    assert {n.recipient_id for n in kinds} == {coordinator.pk, prescriber.pk}
    assert Enrolment.objects.filter(offer=offer, status="enrolled").count() == 8


def test_follow_ups_are_scheduled_every_three_months_at_enrolment(offer, referral, coordinator):
    enrolment = services.enrolment_create(referral=referral, goals="Objectif", by=coordinator)
    dues = list(enrolment.follow_ups.values_list("due_on", flat=True))
    start = enrolment.starts_on
    assert dues == [
        period_end(start, 3) + timedelta(days=1),
        min(period_end(start, 6) + timedelta(days=1), offer.end_date),
    ]


def _enrolled(offer, referral, coordinator):
    return services.enrolment_create(referral=referral, goals="Objectif", by=coordinator)


def test_three_absences_in_a_row_alert_the_coordinator_and_the_prescriber_once(
    offer, referral, coordinator, prescriber, teacher
):
    enrolment = _enrolled(offer, referral, coordinator)
    sessions = list(offer.sessions.order_by("starts_at")[:5])
    services.attendance_record(session=sessions[0], enrolment=enrolment, present=False, by=teacher)
    services.attendance_record(session=sessions[1], enrolment=enrolment, present=False, by=teacher)
    dropout = Notification.objects.filter(kind=Notification.Kind.PROGRAMME_DROPOUT)
    assert not dropout.exists()
    services.attendance_record(session=sessions[2], enrolment=enrolment, present=False, by=teacher)
    assert {n.recipient_id for n in dropout} == {coordinator.pk, prescriber.pk}
    services.attendance_record(session=sessions[3], enrolment=enrolment, present=False, by=teacher)
    assert dropout.count() == 2  # once, not at every further absence


def test_a_presence_breaks_the_streak(offer, referral, coordinator, teacher, settings):
    settings.APA_PROGRAMME_DROPOUT_ABSENCES = 2
    enrolment = _enrolled(offer, referral, coordinator)
    sessions = list(offer.sessions.order_by("starts_at")[:3])
    for session, present in zip(sessions, [False, True, False], strict=True):
        services.attendance_record(
            session=session, enrolment=enrolment, present=present, by=teacher
        )
    assert not Notification.objects.filter(kind=Notification.Kind.PROGRAMME_DROPOUT).exists()


def test_a_cancelled_session_takes_no_roll_call(offer, referral, coordinator, teacher):
    enrolment = _enrolled(offer, referral, coordinator)
    session = offer.sessions.first()
    services.session_cancel(session=session, by=coordinator, reason="Gymnase fermé")
    with pytest.raises(services.ValidationError) as excinfo:
        services.attendance_record(session=session, enrolment=enrolment, present=True, by=teacher)
    assert _codes(excinfo) == {"session_cancelled"}
    assert Session.objects.get(pk=session.pk).cancel_reason == "Gymnase fermé"


def test_the_follow_up_goes_to_the_prescriber_only_with_the_patients_agreement(
    offer, referral, coordinator, prescriber, teacher
):
    """R-G4 through R-B4: the follow-up's compte rendu is sent (once: no notification of the
    follow-up's own beside the compte rendu's) only with the patient's agreement."""
    enrolment = _enrolled(offer, referral, coordinator)
    factories.make_entry_bilan(referral.patient, teacher, share_agreement=False)
    first, second = enrolment.follow_ups.all()[:2]
    services.follow_up_record(
        follow_up=first, by=teacher, effects="Moins de fatigue", adjusted_goals="45 min",
        tolerance="good", share_agreement=False,
    )  # fmt: skip
    sent = Notification.objects.filter(recipient=prescriber)
    assert not sent.exists()
    services.follow_up_record(
        follow_up=second, by=teacher, effects="", adjusted_goals="1 h", tolerance="good",
        share_agreement=True,
    )  # fmt: skip
    second.refresh_from_db()
    assert [(n.kind, n.document_id) for n in sent] == [
        (Notification.Kind.DOCUMENT_SHARED, second.report_id)
    ]
    assert not Notification.objects.filter(kind=Notification.Kind.PROGRAMME_FOLLOW_UP).exists()
    with pytest.raises(services.ValidationError) as excinfo:
        services.follow_up_record(
            follow_up=second, by=teacher, effects="", adjusted_goals="x", tolerance="good",
            share_agreement=True,
        )  # fmt: skip
    assert _codes(excinfo) == {"follow_up_done"}


def test_a_refusal_needs_a_reason_the_prescriber_reads(referral, coordinator, prescriber):
    with pytest.raises(services.ValidationError) as excinfo:
        services.referral_decide(referral=referral, by=coordinator, accept=False)
    assert _codes(excinfo) == {"referral_reason_required"}
    services.referral_decide(referral=referral, by=coordinator, accept=False, reason="Complet")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REFUSED and referral.refusal_reason == "Complet"
    assert Notification.objects.filter(
        recipient=prescriber, kind=Notification.Kind.PROGRAMME_DECISION
    ).exists()


def test_nothing_is_deleted_every_change_is_kept(offer, referral, coordinator):
    enrolment = _enrolled(offer, referral, coordinator)
    services.enrolment_end(enrolment=enrolment, by=coordinator, reason="Fin")
    assert enrolment.history.count() == 2
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()


def test_sessions_follow_ups_and_the_ended_referral_are_in_the_history(
    offer, referral, coordinator
):
    session = offer.sessions.first()
    assert session.history.count() == 1
    enrolment = _enrolled(offer, referral, coordinator)
    assert all(f.history.count() == 1 for f in enrolment.follow_ups.all())
    services.enrolment_end(enrolment=enrolment, by=coordinator, reason="Fin")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ENDED
    assert [h.status for h in referral.history.order_by("history_date")] == [
        "sent",
        "accepted",
        "ended",
    ]
