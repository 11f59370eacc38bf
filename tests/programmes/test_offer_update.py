"""Publishing and changing an offer through the services: the structure's own professionals
only, who may publish and change it, and R-G5 (a change never breaks what runs: places,
levels, dates, sessions held, follow-ups), every change kept, nothing deleted."""

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from kernel.errors import all_error_codes, error_codes
from patients.models import CareTeamGrant
from prescriptions.rules import period_end
from programmes import rules, services
from programmes.models import Enrolment, Offer, Session, Slot
from programmes.services import OfferInput
from tests import factories
from tests.programmes.conftest import make_referred

MONDAY_THURSDAY = [rules.WeeklySlot(0, time(18, 0), 60), rules.WeeklySlot(3, time(18, 0), 60)]


def _codes(excinfo) -> set:
    return all_error_codes(excinfo.value)


def _input(offer: Offer, **changes) -> OfferInput:
    """The offer as it is, with `changes`."""
    values = {
        "title": offer.title,
        "activity": offer.activity,
        "levels": offer.accepted_levels,
        "place": offer.place,
        "postal_code": offer.postal_code,
        "start_date": offer.start_date,
        "end_date": offer.end_date,
        "slots": [rules.WeeklySlot(s.weekday, s.start_time, s.minutes) for s in offer.slots.all()],
        "capacity": offer.capacity,
    }
    return OfferInput(**(values | changes))


def _update(offer, by, *, supervisors=None, coordinator="same", **changes):
    return services.offer_update(
        offer=offer,
        by=by,
        data=_input(offer, **changes),
        supervisors=supervisors if supervisors is not None else list(offer.supervisors.all()),
        coordinator=offer.coordinator if coordinator == "same" else coordinator,
    )


def _enrol(offer, prescriber, structure, coordinator, n=1):
    return [
        services.enrolment_create(
            referral=make_referred(offer=offer, prescriber=prescriber, structure=structure),
            goals="Objectif",
            by=coordinator,
        )
        for _ in range(n)
    ]


# --- Publishing: the structure's own professionals, its own staff ------------------------------
def test_a_supervisor_of_another_structure_is_refused(mss, other_structure):
    stranger = factories.ApaTeacherFactory(username="eapa-ailleurs", structure=other_structure)
    with pytest.raises(services.ValidationError) as excinfo:
        factories.make_offer(structure=mss, supervisors=[stranger])
    assert error_codes(excinfo.value)["supervisors"] == ["offer_supervisor_other_structure"]
    assert not Offer.objects.exists()


def test_a_coordinator_of_another_structure_is_refused(mss, teacher, other_structure):
    stranger = factories.UserFactory(username="admin-ailleurs", structure=other_structure)
    with pytest.raises(services.ValidationError) as excinfo:
        factories.make_offer(structure=mss, supervisors=[teacher], coordinator=stranger)
    assert error_codes(excinfo.value)["coordinator"] == ["offer_coordinator_structure"]


def test_only_the_structures_admin_staff_publishes_for_it(mss, teacher, coordinator, structure):
    data = _input_for_new()
    other_admin = factories.UserFactory(username="admin-autre", structure=structure)
    for user in (teacher, other_admin):
        with pytest.raises(services.ValidationError) as excinfo:
            services.offer_create(structure=mss, data=data, supervisors=[teacher], by=user)
        assert _codes(excinfo) == {"programme_publish_not_allowed"}
    offer = services.offer_create(structure=mss, data=data, supervisors=[teacher], by=coordinator)
    assert offer.structure == mss and offer.sessions.exists()


def _input_for_new(**changes) -> OfferInput:
    start = timezone.localdate()
    values = {
        "title": "Marche nordique",
        "activity": "Marche",
        "levels": [1, 2],
        "place": "Parc de la Tête d'Or",
        "postal_code": "69006",
        "start_date": start,
        "end_date": period_end(start, 6),
        "slots": MONDAY_THURSDAY,
    }
    return OfferInput(**(values | changes))


def test_a_start_past_the_calendars_end_is_a_french_error_not_a_crash(mss, teacher):
    data = _input_for_new(start_date=date(9999, 6, 1), end_date=date(9999, 12, 1))
    error = services.offer_errors(data=data, supervisors=[teacher])
    assert error is not None and error_codes(error)["start_date"] == ["offer_dates"]


# --- Who changes an offer ----------------------------------------------------------------------
def test_only_the_admin_staff_of_its_structure_changes_an_offer(offer, teacher, structure):
    other_admin = factories.UserFactory(username="admin-autre", structure=structure)
    for user in (teacher, other_admin):  # its supervisor runs it, does not publish it
        with pytest.raises(services.ValidationError) as excinfo:
            _update(offer, user, title="Autre")
        assert _codes(excinfo) == {"programme_edit_not_allowed"}
    offer.refresh_from_db()
    assert offer.title == "Programme sport santé"


def test_a_change_is_kept_in_the_history_and_nothing_is_deleted(offer, coordinator):
    versions = offer.history.count()
    sessions = offer.sessions.count()
    _update(offer, coordinator, title="Marche et renforcement", capacity=6)
    offer.refresh_from_db()
    assert (offer.title, offer.capacity) == ("Marche et renforcement", 6)
    assert offer.history.count() == versions + 1
    assert offer.history.earliest("history_date").title == "Programme sport santé"
    assert offer.sessions.count() == sessions


def test_r_o1_a_change_to_severe_with_an_apa_teacher_alone_is_refused(offer, coordinator):
    with pytest.raises(services.ValidationError) as excinfo:
        _update(offer, coordinator, levels=[1, 2, 3])
    assert error_codes(excinfo.value)["levels"] == ["offer_supervision_severe"]
    assert "professionnels de santé" in " ".join(excinfo.value.messages)
    offer.refresh_from_db()
    assert not offer.accepts_severe


# --- R-G5: never breaking what runs ------------------------------------------------------------
def test_r_g5_places_never_go_below_the_enrolled_patients(
    offer, prescriber, structure, coordinator
):
    _enrol(offer, prescriber, structure, coordinator, n=3)
    with pytest.raises(services.ValidationError) as excinfo:
        _update(offer, coordinator, capacity=2)
    assert error_codes(excinfo.value)["capacity"] == ["offer_capacity_below_enrolled"]
    assert "3 patients sont inscrits" in " ".join(excinfo.value.messages)
    _update(offer, coordinator, capacity=3)  # exactly the enrolled: accepted


def test_more_places_go_to_the_waiting_list(offer, prescriber, structure, coordinator):
    _update(offer, coordinator, capacity=2)
    enrolments = _enrol(offer, prescriber, structure, coordinator, n=4)
    assert [e.status for e in enrolments].count(Enrolment.Status.WAITING) == 2
    _update(offer, coordinator, capacity=3)
    statuses = list(Enrolment.objects.filter(offer=offer).values_list("status", flat=True))
    assert statuses.count(Enrolment.Status.ENROLLED) == 3
    first_waiting = Enrolment.objects.get(pk=enrolments[2].pk)
    assert first_waiting.status == Enrolment.Status.ENROLLED  # the first of the list
    assert first_waiting.follow_ups.exists()


def test_r_g5_a_level_held_by_an_enrolled_patient_stays_accepted(
    offer, prescriber, structure, coordinator
):
    _enrol(offer, prescriber, structure, coordinator)  # a moderate limitation
    with pytest.raises(services.ValidationError) as excinfo:
        _update(offer, coordinator, levels=[1])
    assert error_codes(excinfo.value)["levels"] == ["offer_level_in_use"]
    assert "modérée" in " ".join(excinfo.value.messages)
    _update(offer, coordinator, levels=[0, 2])  # the minimal level, held by none, may go


def test_r_g5_the_end_date_is_never_before_today(mss, teacher, coordinator):
    today = timezone.localdate()
    offer = factories.make_offer(
        structure=mss, supervisors=[teacher], coordinator=coordinator, start=today - timedelta(100)
    )
    with pytest.raises(services.ValidationError) as excinfo:
        _update(offer, coordinator, end_date=today - timedelta(days=1))
    assert error_codes(excinfo.value)["end_date"] == ["offer_end_past"]


def test_r_g5_the_start_date_is_fixed_once_started(mss, teacher, coordinator):
    today = timezone.localdate()
    offer = factories.make_offer(
        structure=mss, supervisors=[teacher], coordinator=coordinator, start=today - timedelta(10)
    )
    with pytest.raises(services.ValidationError) as excinfo:
        _update(offer, coordinator, start_date=today - timedelta(days=9))
    assert error_codes(excinfo.value)["start_date"] == ["offer_start_locked"]


def test_r_g5_the_start_date_is_fixed_once_patients_are_enrolled(
    mss, teacher, coordinator, prescriber, structure
):
    start = timezone.localdate() + timedelta(days=14)
    offer = factories.make_offer(
        structure=mss, supervisors=[teacher], coordinator=coordinator, start=start
    )
    later = start + timedelta(days=7)
    _update(offer, coordinator, start_date=later, end_date=period_end(later, 6))  # no one yet
    offer.refresh_from_db()
    _enrol(offer, prescriber, structure, coordinator)
    with pytest.raises(services.ValidationError) as excinfo:
        _update(offer, coordinator, start_date=start, end_date=period_end(start, 6))
    assert error_codes(excinfo.value)["start_date"] == ["offer_start_locked"]


def test_moving_an_unstarted_offer_cancels_the_old_sessions_and_makes_the_new(
    mss, teacher, coordinator
):
    start = timezone.localdate() + timedelta(days=14)
    offer = factories.make_offer(
        structure=mss, supervisors=[teacher], coordinator=coordinator, start=start
    )
    before = offer.sessions.count()
    later = start + timedelta(days=7)
    _update(offer, coordinator, start_date=later, end_date=period_end(later, 6))
    live = offer.sessions.filter(cancelled_at__isnull=True)
    assert live.order_by("starts_at").first().starts_at.date() >= later
    assert offer.sessions.count() > before  # the old ones are kept, cancelled
    assert set(
        offer.sessions.filter(cancelled_at__isnull=False).values_list("cancel_reason", flat=True)
    ) == {services.SESSION_CANCELLED_BY_EDIT}


def test_r_g5_with_patients_the_end_moves_later_never_earlier(
    offer, prescriber, structure, coordinator
):
    _enrol(offer, prescriber, structure, coordinator)
    with pytest.raises(services.ValidationError) as excinfo:
        _update(offer, coordinator, end_date=offer.end_date - timedelta(days=7))
    assert error_codes(excinfo.value)["end_date"] == ["offer_end_shortened"]


def test_without_patients_a_shorter_programme_cancels_its_last_sessions_and_keeps_them(
    offer, coordinator
):
    count = offer.sessions.count()
    new_end = period_end(offer.start_date, 4)
    _update(offer, coordinator, end_date=new_end)
    assert offer.sessions.count() == count  # nothing deleted
    late = offer.sessions.filter(starts_at__date__gt=new_end)
    assert late.exists() and not late.filter(cancelled_at__isnull=True).exists()
    assert not offer.sessions.filter(
        starts_at__date__lte=new_end, cancelled_at__isnull=False
    ).exists()


def test_a_later_end_makes_the_sessions_and_the_follow_ups_up_to_it(
    mss, teacher, coordinator, prescriber, structure
):
    start = timezone.localdate()
    offer = factories.make_offer(
        structure=mss, supervisors=[teacher], coordinator=coordinator, start=start, months=3
    )
    (enrolment,) = _enrol(offer, prescriber, structure, coordinator)
    # R-G4: a 3-month programme holds its follow-up on its last day.
    assert list(enrolment.follow_ups.values_list("due_on", flat=True)) == [offer.end_date]
    old_end = offer.end_date
    _update(offer, coordinator, end_date=period_end(start, 6))
    offer.refresh_from_db()
    dues = list(enrolment.follow_ups.order_by("due_on").values_list("due_on", flat=True))
    assert dues == rules.follow_up_dates(start, offer.end_date)
    assert dues[0] == old_end + timedelta(days=1)  # moved to its own date, not doubled
    assert offer.sessions.filter(starts_at__date__gt=old_end).count() > 20


def test_a_changed_creneau_keeps_the_past_sessions_and_makes_the_new_ones_from_now(
    mss, teacher, coordinator
):
    today = timezone.localdate()
    offer = factories.make_offer(
        structure=mss, supervisors=[teacher], coordinator=coordinator, start=today - timedelta(30)
    )
    now = timezone.now()
    past = set(offer.sessions.filter(starts_at__lte=now).values_list("pk", "starts_at", "ends_at"))
    slot_ids = set(offer.slots.values_list("pk", flat=True))
    wednesday = [rules.WeeklySlot(0, time(18, 0), 90), rules.WeeklySlot(2, time(10, 0), 60)]
    _update(offer, coordinator, slots=wednesday)
    # The past is untouched; the créneaux changed in place (their history keeps the old ones).
    assert (
        set(offer.sessions.filter(starts_at__lte=now).values_list("pk", "starts_at", "ends_at"))
        == past
    )
    assert set(offer.slots.values_list("pk", flat=True)) == slot_ids
    assert Slot.history.filter(offer_id=offer.pk, weekday=3).exists()
    future = offer.sessions.filter(starts_at__gt=now, cancelled_at__isnull=True)
    assert {timezone.localtime(s.starts_at).weekday() for s in future} == {0, 2}
    monday = future.filter(starts_at__week_day=2).first()  # Django: Sunday is 1
    assert monday.ends_at - monday.starts_at == timedelta(minutes=90)
    thursdays = offer.sessions.filter(starts_at__gt=now, starts_at__week_day=5)
    assert thursdays.exists() and not thursdays.filter(cancelled_at__isnull=True).exists()
    # Brought back, the Thursday créneau reinstates its sessions (no duplicate).
    _update(offer, coordinator, slots=MONDAY_THURSDAY)
    assert not thursdays.filter(cancelled_at__isnull=False).exists()
    wednesdays = offer.sessions.filter(starts_at__gt=now, starts_at__week_day=4)
    assert not wednesdays.filter(cancelled_at__isnull=True).exists()
    assert (
        Session.objects.filter(offer=offer, starts_at__lte=now, starts_at__week_day=4).count() == 0
    )


def test_a_session_cancelled_by_the_structure_stays_cancelled_after_an_edit(offer, coordinator):
    session = offer.sessions.filter(starts_at__gt=timezone.now()).first()
    services.session_cancel(session=session, by=coordinator, reason="Gymnase fermé")
    _update(offer, coordinator, title="Nouveau titre")
    session.refresh_from_db()
    assert session.cancelled_at is not None and session.cancel_reason == "Gymnase fermé"


def test_r_g5_a_future_session_with_a_roll_call_is_never_dropped(
    offer, prescriber, structure, coordinator, teacher
):
    (enrolment,) = _enrol(offer, prescriber, structure, coordinator)
    thursday = offer.sessions.filter(starts_at__gt=timezone.now(), starts_at__week_day=5).first()
    services.attendance_record(session=thursday, enrolment=enrolment, present=True, by=teacher)
    friday = [rules.WeeklySlot(0, time(18, 0), 60), rules.WeeklySlot(4, time(18, 0), 60)]
    with pytest.raises(services.ValidationError) as excinfo:
        _update(offer, coordinator, slots=friday)
    assert error_codes(excinfo.value)["slots"] == ["offer_session_held"]
    thursday.refresh_from_db()
    assert thursday.cancelled_at is None


def test_r_g3_an_edit_keeps_two_creneaux_on_two_days(offer, coordinator):
    same_day = [rules.WeeklySlot(0, time(18, 0), 60), rules.WeeklySlot(0, time(18, 0), 60)]
    with pytest.raises(services.ValidationError) as excinfo:
        _update(offer, coordinator, slots=same_day)
    assert error_codes(excinfo.value)["slots"] == ["offer_sessions_per_week"]


def test_a_new_supervisor_joins_the_care_team_of_the_programmes_patients(
    offer, prescriber, structure, coordinator, teacher, physio
):
    (enrolment,) = _enrol(offer, prescriber, structure, coordinator)
    _update(offer, coordinator, supervisors=[teacher, physio])
    assert CareTeamGrant.objects.filter(
        patient=enrolment.patient,
        user=physio,
        reason=CareTeamGrant.Reason.PROGRAMME,
        revoked_at__isnull=True,
    ).exists()


def _programme_grant(patient, user):
    return CareTeamGrant.objects.get(
        patient=patient, user=user, reason=CareTeamGrant.Reason.PROGRAMME
    )


def test_a_supervisor_taken_off_the_offer_leaves_the_care_team_of_its_patients(
    offer, prescriber, structure, coordinator, teacher, physio
):
    (enrolment,) = _enrol(offer, prescriber, structure, coordinator)
    _update(offer, coordinator, supervisors=[teacher, physio])
    _update(offer, coordinator, supervisors=[physio])
    assert _programme_grant(enrolment.patient, teacher).revoked_at is not None
    assert _programme_grant(enrolment.patient, physio).revoked_at is None
    assert _programme_grant(enrolment.patient, coordinator).revoked_at is None


def test_a_supervisor_taken_off_one_offer_stays_for_the_patients_of_another(
    offer, prescriber, structure, coordinator, teacher, physio, mss
):
    (enrolment,) = _enrol(offer, prescriber, structure, coordinator)
    other = factories.make_offer(
        structure=mss, supervisors=[teacher], coordinator=coordinator, levels=(1, 2)
    )
    services.referral_send(prescription=enrolment.prescription, offer=other, by=prescriber)
    _update(offer, coordinator, supervisors=[physio])
    assert _programme_grant(enrolment.patient, teacher).revoked_at is None  # the other offer
