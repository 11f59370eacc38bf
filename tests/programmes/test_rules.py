"""Pure rules of group programmes: R-G2, R-G3, R-G4, R-O1, the sessions of weekly créneaux in
Europe/Paris across the changes of time and the French public holidays (real 2026-2027 dates),
the drop-out streak and the offline distance."""

from datetime import UTC, date, datetime, time

from practitioners.models import HEALTH_PROFESSIONS, Profession
from prescriptions.rules import DEFAULT_SUPERVISION, LimitationLevel
from programmes import geo, rules


def test_easter_sunday_on_real_years():
    assert rules.easter_sunday(2026) == date(2026, 4, 5)
    assert rules.easter_sunday(2027) == date(2027, 3, 28)
    assert rules.easter_sunday(2024) == date(2024, 3, 31)


def test_the_french_public_holidays_of_2026_and_2027():
    h26 = rules.french_public_holidays(2026)
    assert len(h26) == 11
    assert h26[date(2026, 4, 6)] == "Lundi de Pâques"
    assert h26[date(2026, 5, 14)] == "Ascension"
    assert h26[date(2026, 5, 25)] == "Lundi de Pentecôte"
    assert date(2026, 7, 14) in h26 and date(2026, 11, 11) in h26
    h27 = rules.french_public_holidays(2027)
    assert h27[date(2027, 3, 29)] == "Lundi de Pâques"
    assert h27[date(2027, 5, 6)] == "Ascension"
    assert h27[date(2027, 5, 17)] == "Lundi de Pentecôte"


def _monday_thursday():
    return [rules.WeeklySlot(0, time(18, 0), 60), rules.WeeklySlot(3, time(18, 0), 60)]


def test_a_session_keeps_its_wall_clock_time_across_the_spring_change_of_2026():
    # Summer time starts on Sunday 29 March 2026: 18:00 is 17:00 UTC before, 16:00 UTC after.
    sessions = rules.dated_sessions(_monday_thursday(), date(2026, 3, 23), date(2026, 3, 31))
    starts = [s.starts_at for s in sessions]
    assert [s.astimezone(UTC).hour for s in starts] == [17, 17, 16]
    assert [s.astimezone(rules.PARIS).hour for s in starts] == [18, 18, 18]
    assert starts[-1].astimezone(UTC) == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)


def test_a_session_keeps_its_wall_clock_time_across_the_autumn_changes_of_2026_and_2027():
    # Winter time: Sunday 25 October 2026 and Sunday 31 October 2027.
    autumn_26 = rules.dated_sessions(_monday_thursday(), date(2026, 10, 22), date(2026, 10, 26))
    assert [s.starts_at.astimezone(UTC).hour for s in autumn_26] == [16, 17]
    autumn_27 = rules.dated_sessions(_monday_thursday(), date(2027, 10, 28), date(2027, 11, 1))
    assert [s.starts_at.astimezone(UTC).hour for s in autumn_27] == [16, 17]
    # And the session lasts 60 minutes of wall-clock time.
    assert all((s.ends_at - s.starts_at).total_seconds() == 3600 for s in autumn_26)


def test_sessions_on_public_holidays_are_named_for_the_structure_to_cancel():
    sessions = rules.dated_sessions(_monday_thursday(), date(2026, 4, 1), date(2026, 5, 31))
    holidays = {s.starts_at.date(): s.holiday for s in sessions if s.holiday}
    assert holidays == {
        date(2026, 4, 6): "Lundi de Pâques",
        date(2026, 5, 14): "Ascension",
        date(2026, 5, 25): "Lundi de Pentecôte",
    }
    sessions_27 = rules.dated_sessions(_monday_thursday(), date(2027, 3, 25), date(2027, 5, 20))
    assert {s.starts_at.date() for s in sessions_27 if s.holiday} == {
        date(2027, 3, 29),
        date(2027, 5, 6),
        date(2027, 5, 17),
    }


def test_r_g2_capacity_is_one_to_eight():
    assert rules.capacity_is_valid(8) and rules.capacity_is_valid(1)
    assert not rules.capacity_is_valid(9) and not rules.capacity_is_valid(0)


def test_r_g3_a_programme_lasts_three_to_nine_months():
    start = date(2026, 1, 5)
    assert rules.duration_is_valid(start, date(2026, 4, 4))  # 3 months
    assert rules.duration_is_valid(start, date(2026, 10, 4))  # 9 months
    assert not rules.duration_is_valid(start, date(2026, 4, 3))
    assert not rules.duration_is_valid(start, date(2026, 10, 5))


def test_r_g4_follow_ups_every_three_months_from_the_start():
    assert rules.follow_up_dates(date(2026, 1, 5), date(2026, 10, 4)) == [
        date(2026, 4, 5),
        date(2026, 7, 5),
        date(2026, 10, 4),  # the last falls on the end of the programme
    ]
    # A 3-month programme still has its follow-up, on its last day.
    assert rules.follow_up_dates(date(2026, 11, 30), date(2027, 2, 27)) == [date(2027, 2, 27)]


def test_r_o1_an_apa_teacher_alone_does_not_cover_a_severe_limitation():
    allowed = {level: professions for level, professions in DEFAULT_SUPERVISION.items()}
    teacher = [Profession.APA_TEACHER]
    assert rules.unsupervised_levels([LimitationLevel.SEVERE], teacher, allowed) == [
        LimitationLevel.SEVERE
    ]
    assert rules.unsupervised_levels([1, 2], teacher, allowed) == []
    with_physio = [Profession.APA_TEACHER, Profession.PHYSIOTHERAPIST]
    assert rules.unsupervised_levels([0, 1, 2, 3], with_physio, allowed) == []
    assert rules.unsupervised_levels([0], [Profession.SPORTS_EDUCATOR], allowed) == []
    assert rules.unsupervised_levels([2], [Profession.SPORTS_EDUCATOR], allowed) == [2]
    assert Profession.PHYSIOTHERAPIST in HEALTH_PROFESSIONS


def test_the_absence_streak_counts_the_last_sessions_missed_in_a_row():
    assert rules.absence_streak([]) == 0
    assert rules.absence_streak([False, False, True, False, False]) == 2
    assert rules.absence_streak([True, False, False, False]) == 3


def test_postcodes_are_placed_offline_by_departement():
    assert geo.departement_of("69003") == "69"
    assert geo.departement_of("20000") == "2A"
    assert geo.departement_of("20200") == "2B"
    assert geo.departement_of("97400") == "974"
    assert geo.departement_of("6900") == "" and geo.departement_of("６９００３") == ""
    assert geo.coordinates_of("99999") is None
    lyon, paris = geo.coordinates_of("69001"), geo.coordinates_of("75011")
    assert lyon and paris and 380 < rules.distance_km(lyon, paris) < 420
