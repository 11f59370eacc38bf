"""Pages of group programmes: the directory (only the offers that accept the level, nearest
first, with seats), the orientation, the enrolment and the waiting list, the roll call, the
follow-up due, the calendars without health data, the CSV import (all or nothing); their query
counts do not grow with the data; hostile input never makes a 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import given

from notifications.models import Notification
from programmes import rules
from programmes.models import Attendance, Enrolment, FollowUp, Offer, Referral
from programmes.services import enrolment_create
from tests import factories
from tests.programmes.conftest import make_referred
from tests.test_hostile_input import EXAMPLES, _payload_strategy, _post_and_check


def _login(client, user):
    client.force_login(user)


def test_the_directory_lists_only_offers_accepting_the_level_nearest_first_with_seats(
    client, mss, teacher, physio, prescriber, patient, structure
):
    patient.postal_code = "69003"
    patient.save()
    factories.make_prescription(prescriber=prescriber, patient=patient)  # moderate
    far = factories.make_offer(
        structure=mss, supervisors=[teacher], postal_code="75011", title="Paris moderee"
    )
    near = factories.make_offer(
        structure=mss, supervisors=[teacher], postal_code="69007", title="Lyon moderee"
    )
    factories.make_offer(
        structure=mss, supervisors=[teacher], levels=(0, 1), title="Sport bien-etre minimal"
    )
    factories.make_offer(
        structure=mss, supervisors=[physio], levels=(3,), title="Severe kine seulement"
    )
    _login(client, prescriber)
    response = client.get(reverse("programmes:patient_directory", kwargs={"pk": patient.pk}))
    assert response.status_code == 200
    titles = [entry.offer.title for entry in response.context["entries"]]
    assert titles == [near.title, far.title]
    assert response.context["entries"][0].seats_left == 8
    assert response.context["entries"][0].distance_km == 0
    content = response.content.decode()
    assert "8 places" in content and "minimal" not in content


def test_a_physician_orients_and_the_coordinator_enrols_from_the_offer_page(
    client, offer, prescriber, patient, coordinator
):
    factories.make_prescription(prescriber=prescriber, patient=patient)
    _login(client, prescriber)
    url = reverse("programmes:patient_directory", kwargs={"pk": patient.pk})
    response = client.post(url, {"offer": str(offer.pk)})
    assert response.status_code == 302
    referral = Referral.objects.get(patient=patient, offer=offer)
    assert referral.status == Referral.Status.SENT
    # Visible to both sides: the patient's record and the offer's page.
    assert "envoyée" in client.get(patient.get_absolute_url()).content.decode()
    client.force_login(coordinator)
    page = client.get(reverse("programmes:offer", kwargs={"pk": offer.pk}))
    assert patient.birth_name.upper() in page.content.decode().upper()
    response = client.post(
        reverse("programmes:enrol", kwargs={"pk": referral.pk}), {"goals": "Marcher 30 min"}
    )
    assert response.status_code == 302
    assert Enrolment.objects.get(patient=patient).status == Enrolment.Status.ENROLLED


def test_the_roll_call_records_one_tap_and_three_absences_raise_the_alert(
    client, offer, referral, coordinator, teacher, prescriber
):
    enrolment = enrolment_create(referral=referral, goals="Objectif", by=coordinator)
    _login(client, teacher)
    for session in offer.sessions.order_by("starts_at")[:3]:
        url = reverse("programmes:roll_call", kwargs={"pk": session.pk})
        page = client.get(url)
        assert page.status_code == 200 and 'aria-pressed="false"' in page.content.decode()
        response = client.post(url, {"enrolment": str(enrolment.pk), "present": "0"})
        assert response.status_code == 302
    assert Attendance.objects.filter(enrolment=enrolment, present=False).count() == 3
    alerts = Notification.objects.filter(kind=Notification.Kind.PROGRAMME_DROPOUT)
    assert {n.recipient_id for n in alerts} == {coordinator.pk, prescriber.pk}


def test_a_follow_up_due_shows_on_the_professionals_page(
    client, offer, referral, coordinator, teacher
):
    enrolment = enrolment_create(referral=referral, goals="Objectif", by=coordinator)
    factories.make_entry_bilan(referral.patient, teacher, share_agreement=False)
    first = enrolment.follow_ups.order_by("due_on").first()
    FollowUp.objects.filter(pk=first.pk).update(due_on=timezone.localdate())
    _login(client, teacher)
    page = client.get(reverse("programmes:mine"))
    assert first in page.context["follow_ups"]
    response = client.post(
        reverse("programmes:follow_up", kwargs={"pk": first.pk}),
        {
            "effects": "Moins essoufflé",
            "adjusted_goals": "45 minutes",
            "tolerance": "good",
            "share_agreement": "on",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert Notification.objects.filter(
        recipient=referral.prescription.prescriber,
        kind=Notification.Kind.DOCUMENT_SHARED,
        document_id=first.report_id,
    ).exists()


def test_the_calendars_carry_no_health_data(client, offer, referral, coordinator, teacher):
    enrolment_create(referral=referral, goals="Cancer du sein, fatigue", by=coordinator)
    patient = referral.patient
    _login(client, teacher)
    mine = client.get(reverse("programmes:my_calendar"))
    assert mine["Content-Type"].startswith("text/calendar")
    body = mine.content.decode()
    assert "BEGIN:VEVENT" in body and "TZID=Europe/Paris" in body
    client.force_login(referral.prescription.prescriber)
    theirs = client.get(reverse("programmes:patient_calendar", kwargs={"pk": patient.pk}))
    text = theirs.content.decode()
    assert "BEGIN:VEVENT" in text
    for secret in (patient.birth_name, "Cancer", "fatigue", "Modérée", "ALD"):
        assert secret.upper() not in body.upper() and secret.upper() not in text.upper()


CSV_HEADER = "titre;activite;niveaux;intervenants;coordinateur;lieu;code_postal;debut;fin;places;creneaux;situations"  # noqa: E501


def _csv(*rows: str) -> SimpleUploadedFile:
    content = "\ufeff" + "\n".join([CSV_HEADER, *rows]) + "\n"
    return SimpleUploadedFile("offres.csv", content.encode(), content_type="text/csv")


def test_the_csv_import_reports_every_bad_row_and_imports_nothing(client, mss, teacher, physio):
    admin = factories.UserFactory(username="admin-mss", structure=mss)
    _login(client, admin)
    good = "Marche;Marche nordique;minimale,moderee;eapa;;Parc;69003;05/01/2026;04/07/2026;8;lundi 18:00 60, jeudi 18h00;"  # noqa: E501
    severe_alone = "Gym;Gym douce;severe;eapa;;Salle;69003;05/01/2026;04/07/2026;8;mardi 10:00;"
    too_many = "Yoga;Yoga;aucune;eapa;;Salle;69003;05/01/2026;04/07/2026;12;mardi 10:00;"
    bad_date = "Velo;Velo;aucune;eapa;;Salle;69003;32/01/2026;04/07/2026;8;mardi 10:00;"
    url = reverse("programmes:import")
    response = client.post(url, {"file": _csv(good, severe_alone, too_many, bad_date)})
    assert response.status_code == 400
    lines = [line for line, _reason in response.context["report"].errors]
    assert lines == [3, 4, 5]
    assert not Offer.objects.exists()
    ok = "Gym;Gym douce;severe,moderee;eapa,kine-mss;;Salle;69003;05/01/2026;04/07/2026;6;mardi 10:00, vendredi 10:00;"  # noqa: E501
    response = client.post(url, {"file": _csv(good, ok)})
    assert response.status_code == 302
    assert Offer.objects.count() == 2
    assert Offer.objects.get(title="Gym").capacity == 6


def test_a_hostile_file_is_refused_without_a_500(client, mss):
    admin = factories.UserFactory(username="admin-mss", structure=mss)
    _login(client, admin)
    for content in (b"\xff\xfe\x00", b"", b"a;b\n1;2\n", b"titre\n" + b"x" * 100):
        upload = SimpleUploadedFile("x.csv", content, content_type="text/csv")
        response = client.post(reverse("programmes:import"), {"file": upload})
        assert response.status_code == 400
    assert not Offer.objects.exists()


@pytest.fixture
def enrolled_world(offer, referral, coordinator):
    enrolment = enrolment_create(referral=referral, goals="Objectif", by=coordinator)
    return offer, enrolment


@given(payload=_payload_strategy({"enrolment": "", "present": "1"}))
@EXAMPLES
def test_hostile_input_on_the_roll_call(client, enrolled_world, teacher, payload):
    offer, enrolment = enrolled_world
    _login(client, teacher)
    session = offer.sessions.first()
    payload = {**payload}
    _post_and_check(client, reverse("programmes:roll_call", kwargs={"pk": session.pk}), payload)


@given(
    payload=_payload_strategy(
        {
            "effects": "x",
            "adjusted_goals": "y",
            "tolerance": "good",
            "share_agreement": "on",
            "risk_flag": "on",
            "risk_description": "z",
        }
    )
)
@EXAMPLES
def test_hostile_input_on_the_follow_up(client, enrolled_world, teacher, payload):
    _offer, enrolment = enrolled_world
    _login(client, teacher)
    item = enrolment.follow_ups.first()
    _post_and_check(client, reverse("programmes:follow_up", kwargs={"pk": item.pk}), payload)


@given(payload=_payload_strategy({"offer": "", "goals": "x", "reason": "y"}))
@EXAMPLES
def test_hostile_input_on_the_directory_enrolment_and_refusal(
    client, enrolled_world, prescriber, coordinator, payload
):
    offer, enrolment = enrolled_world
    client.force_login(prescriber)
    url = reverse("programmes:patient_directory", kwargs={"pk": enrolment.patient_id})
    _post_and_check(client, url, payload)
    client.force_login(coordinator)
    for name in ("programmes:enrol", "programmes:referral_decision"):
        _post_and_check(client, reverse(name, kwargs={"pk": enrolment.referral_id}), payload)
    url = reverse("programmes:session_cancel", kwargs={"pk": offer.sessions.first().pk})
    _post_and_check(client, url, payload)


def _grow(offer, prescriber, structure, coordinator, teacher, count):
    """More patients, enrolled and on the waiting list, with attendances."""
    session = offer.sessions.order_by("starts_at").first()
    for _ in range(count):
        enrolment = enrolment_create(
            referral=make_referred(offer=offer, prescriber=prescriber, structure=structure),
            goals="Objectif",
            by=coordinator,
        )
        if enrolment.status == Enrolment.Status.ENROLLED:
            Attendance.objects.create(
                session=session, enrolment=enrolment, present=True, recorded_by=teacher
            )


@pytest.mark.parametrize(
    "page, ceiling",
    [
        # the usual 4 + offer, enrolments, referrals, sessions, slots, audit
        ("offer", 11),
        # the usual 4 + session, enrolments, attendances, audit
        ("roll_call", 9),
        # the usual 4 + offers, follow-ups (audit when any)
        ("mine", 8),
        # the usual 4 + patient, prescription, situations, offers, audit (+ the record's scope)
        ("directory", 12),
        # the usual 4 + the scope, the sessions
        ("my_calendar", 7),
    ],
)
def test_programme_pages_stay_under_their_ceiling_whatever_the_data(
    client, django_assert_max_num_queries, mss, teacher, prescriber, structure, coordinator,
    offer, page, ceiling,
):  # fmt: skip
    patient = make_referred(offer=offer, prescriber=prescriber, structure=structure).patient
    urls = {
        "offer": (coordinator, reverse("programmes:offer", kwargs={"pk": offer.pk})),
        "roll_call": (
            teacher,
            reverse("programmes:roll_call", kwargs={"pk": offer.sessions.first().pk}),
        ),
        "mine": (teacher, reverse("programmes:mine")),
        "directory": (
            prescriber,
            reverse("programmes:patient_directory", kwargs={"pk": patient.pk}),
        ),
        "my_calendar": (teacher, reverse("programmes:my_calendar")),
    }
    user, url = urls[page]
    client.force_login(user)
    counts = []
    for size in (2, 9):
        _grow(offer, prescriber, structure, coordinator, teacher, size)
        factories.make_offer(structure=mss, supervisors=[teacher], title=f"Autre {size}")
        with django_assert_max_num_queries(ceiling) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_reference_figures_of_seed_000():
    """R-G2, R-G3: 8 patients a session, two sessions a week."""
    assert rules.MAX_CAPACITY == 8 and rules.DEFAULT_CAPACITY == 8
    assert rules.SESSIONS_PER_WEEK == 2


def test_r_g4_the_follow_up_due_appears_on_the_professionals_home(
    client, offer, referral, coordinator, teacher, time_machine
):
    enrolment = enrolment_create(referral=referral, goals="Objectif", by=coordinator)
    first = enrolment.follow_ups.order_by("due_on").first()
    _login(client, teacher)
    assert "follow-ups-due" not in client.get(reverse("home")).content.decode()
    time_machine.move_to(first.due_on)
    _login(client, teacher)  # the session of three months ago has expired
    page = client.get(reverse("home")).content.decode()
    assert "follow-ups-due" in page and referral.patient.birth_name.upper() in page.upper()
