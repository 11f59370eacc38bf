"""The pages to publish an offer and to change it: who sees them and their links, the
structure's own professionals only, each refusal a French message on its field (never a 500),
the créneaux as a formset whose tampering is told, and their query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given

from prescriptions.rules import period_end
from programmes import rules, services
from programmes.forms import MSG_NOT_OF_STRUCTURE, MSG_SLOTS_TAMPERED
from programmes.models import Offer, Session
from tests import factories
from tests.programmes.conftest import make_referred
from tests.test_hostile_input import EXAMPLES, _payload_strategy, _post_and_check

CREATE = reverse("programmes:offer_create")


def _edit_url(offer) -> str:
    return reverse("programmes:offer_edit", kwargs={"pk": offer.pk})


def _payload(supervisors, **changes) -> dict:
    """A valid post: a 6-month programme from today, Monday and Thursday at 18:00."""
    start = timezone.localdate()
    data = {
        "title": "Marche nordique",
        "activity": "Marche",
        "levels": ["1", "2"],
        "supervisors": [str(u.pk) for u in supervisors],
        "coordinator": "",
        "place": "Parc de la Tête d'Or",
        "postal_code": "69006",
        "start_date": start.strftime("%d/%m/%Y"),
        "end_date": period_end(start, 6).strftime("%d/%m/%Y"),
        "capacity": "8",
        "slots-TOTAL_FORMS": "2",
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "2",
        "slots-MAX_NUM_FORMS": "2",
        "slots-0-weekday": "0",
        "slots-0-start_time": "18:00",
        "slots-0-minutes": "60",
        "slots-1-weekday": "3",
        "slots-1-start_time": "18:00",
        "slots-1-minutes": "60",
    }
    return data | changes


@pytest.fixture
def publisher(coordinator):
    """The coordinator of the conftest is the admin staff of the Maison Sport-Santé."""
    return coordinator


def _errors_of(response, field: str) -> list[str]:
    return [str(m) for m in response.context["form"].errors.get(field, [])]


# --- Publishing --------------------------------------------------------------------------------
def test_the_form_offers_only_those_who_may_run_a_programme(client, publisher, teacher, mss):
    physician = factories.PhysicianFactory(
        username="medecin-mss", structure=mss, last_name="Prescriptrice"
    )
    client.force_login(publisher)
    form = client.get(CREATE).context["form"]
    coordinators = {pk for pk, _label in form.fields["coordinator"].choices if pk}
    supervisors = {pk for pk, _label in form.fields["supervisors"].choices}
    assert coordinators == {publisher.pk, teacher.pk}
    assert supervisors == {teacher.pk}
    response = client.post(CREATE, _payload([teacher], coordinator=str(physician.pk)))
    assert response.status_code == 400 and not Offer.objects.exists()
    assert _errors_of(response, "coordinator") == [str(MSG_NOT_OF_STRUCTURE)]


def test_the_admin_staff_publishes_an_offer_and_lands_on_its_page(client, publisher, teacher):
    client.force_login(publisher)
    response = client.post(CREATE, _payload([teacher], coordinator=str(publisher.pk)))
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert response["Location"] == reverse("programmes:offer", kwargs={"pk": offer.pk})
    assert offer.coordinator == publisher and list(offer.supervisors.all()) == [teacher]
    assert offer.accepted_levels == [1, 2] and offer.capacity == 8
    assert offer.sessions.count() > 40
    page = client.get(response["Location"]).content.decode()
    assert "Le programme est publié." in page


def test_the_page_offers_only_the_active_professionals_of_the_structure(
    client, publisher, teacher, physio, mss, other_structure
):
    stranger = factories.ApaTeacherFactory(username="eapa-ailleurs", structure=other_structure)
    gone = factories.ApaTeacherFactory(username="eapa-partie", structure=mss, is_active=False)
    client.force_login(publisher)
    response = client.get(CREATE)
    assert response.status_code == 200
    offered = {pk for pk, _label in response.context["form"].fields["supervisors"].choices}
    assert offered == {teacher.pk, physio.pk}  # not the admin staff, not another structure's
    content = response.content.decode()
    assert stranger.last_name not in content and gone.username not in content
    # Required fields are marked, and the créneaux come as two rows.
    assert content.count('class="asteriskField"') >= 10
    assert 'name="slots-TOTAL_FORMS" value="2"' in content


def test_a_supervisor_of_another_structure_is_refused_on_its_field(
    client, publisher, teacher, other_structure
):
    stranger = factories.PhysiotherapistFactory(username="kine-ailleurs", structure=other_structure)
    client.force_login(publisher)
    response = client.post(CREATE, _payload([teacher, stranger]))
    assert response.status_code == 400
    assert _errors_of(response, "supervisors") == [str(MSG_NOT_OF_STRUCTURE)]
    assert not Offer.objects.exists()


def test_r_l4_severe_with_an_apa_teacher_alone_is_refused_on_the_levels(client, publisher, teacher):
    client.force_login(publisher)
    response = client.post(CREATE, _payload([teacher], levels=["2", "3"]))
    assert response.status_code == 400
    (message,) = _errors_of(response, "levels")
    assert "sévère" in message and "professionnels de santé" in message
    content = response.content.decode()
    assert 'href="#id_levels_0"' in content  # the summary leads to the field
    assert not Offer.objects.exists()


@pytest.mark.parametrize(
    "changes, field, expected",
    [
        ({"capacity": "9"}, "capacity", rules.MSG_CAPACITY),
        ({"capacity": "0"}, "capacity", rules.MSG_CAPACITY),
        ({"capacity": "-3"}, "capacity", rules.MSG_CAPACITY),
        ({"capacity": "9" * 5000}, "capacity", None),
        ({"end_date": "01/01/2020", "start_date": "01/02/2020"}, "end_date", rules.MSG_DATES),
        ({"postal_code": "00000"}, "postal_code", services.MSG_POSTAL_CODE),
        ({"title": "A" * 10_000}, "title", None),
        ({"title": "Marche\x00"}, "title", None),
        ({"start_date": "31/02/2026"}, "start_date", None),
        ({"levels": ["7"]}, "levels", None),
        ({"supervisors": "abc"}, "supervisors", MSG_NOT_OF_STRUCTURE),
        ({"supervisors": "9" * 5000}, "supervisors", MSG_NOT_OF_STRUCTURE),
        ({"coordinator": "123456789"}, "coordinator", MSG_NOT_OF_STRUCTURE),
    ],
)
def test_bad_input_is_a_french_message_on_its_field(
    client, publisher, teacher, changes, field, expected
):
    client.force_login(publisher)
    response = client.post(CREATE, _payload([teacher]) | changes)
    assert response.status_code == 400
    messages = _errors_of(response, field)
    assert messages, response.context["form"].errors
    if expected is not None:
        assert str(expected) in messages
    assert not Offer.objects.exists()


def test_a_ten_month_programme_is_refused_with_the_dates(client, publisher, teacher):
    start = timezone.localdate()
    client.force_login(publisher)
    end = period_end(start, 10).strftime("%d/%m/%Y")
    response = client.post(CREATE, _payload([teacher], end_date=end))
    assert response.status_code == 400
    (message,) = _errors_of(response, "end_date")
    assert period_end(start, 9).strftime("%d/%m/%Y") in message


def test_two_creneaux_on_the_same_day_are_refused_above_the_creneaux(client, publisher, teacher):
    client.force_login(publisher)
    response = client.post(CREATE, _payload([teacher], **{"slots-1-weekday": "0"}))
    assert response.status_code == 400
    assert response.context["form"].slot_error_messages() == [str(rules.MSG_SESSIONS_PER_WEEK)]
    assert 'id="slots_error"' in response.content.decode()
    assert not Offer.objects.exists()


def test_a_creneau_of_five_minutes_or_at_25_h_is_refused_on_its_input(client, publisher, teacher):
    client.force_login(publisher)
    bad = {"slots-0-minutes": "5", "slots-1-start_time": "25:99"}
    response = client.post(CREATE, _payload([teacher], **bad))
    assert response.status_code == 400
    content = response.content.decode()
    assert 'href="#id_slots-0-minutes"' in content and 'href="#id_slots-1-start_time"' in content
    assert 'aria-describedby="id_slots-0-minutes_error"' in content


@pytest.mark.parametrize(
    "management",
    [
        {"slots-TOTAL_FORMS": "1000"},
        {"slots-TOTAL_FORMS": "-1"},
        {"slots-TOTAL_FORMS": "abc"},
        {"slots-TOTAL_FORMS": "1"},
        {"slots-TOTAL_FORMS": None},
    ],
)
def test_a_tampered_formset_is_told_and_shows_two_rows_again(
    client, publisher, teacher, management
):
    client.force_login(publisher)
    data = {k: v for k, v in (_payload([teacher]) | management).items() if v is not None}
    response = client.post(CREATE, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.slot_error_messages() in (
        [str(MSG_SLOTS_TAMPERED)],
        [str(rules.MSG_SESSIONS_PER_WEEK)],
    )
    assert len(response.context["slots"].forms) == 2
    assert not Offer.objects.exists()


def test_only_a_publisher_opens_the_page(client, teacher, physio, prescriber):
    for user in (teacher, physio, prescriber):
        client.force_login(user)
        assert client.get(CREATE).status_code == 403
        assert client.post(CREATE, _payload([teacher])).status_code == 403
    assert not Offer.objects.exists()


# --- Changing --------------------------------------------------------------------------------
def test_the_edit_page_shows_the_offer_and_saves_a_change(client, publisher, teacher, offer):
    client.force_login(publisher)
    page = client.get(_edit_url(offer))
    assert page.status_code == 200
    form = page.context["form"]
    assert form["title"].value() == offer.title
    assert form["supervisors"].value() == [teacher.pk]
    content = page.content.decode()
    assert 'name="slots-0-start_time" value="18:00"' in content
    data = _payload(
        [teacher],
        title="Marche et renforcement",
        start_date=offer.start_date.strftime("%d/%m/%Y"),
        end_date=offer.end_date.strftime("%d/%m/%Y"),
        coordinator=str(publisher.pk),
        **{"slots-INITIAL_FORMS": "2"},
    )
    response = client.post(_edit_url(offer), data)
    assert response.status_code == 302, response.context["form"].errors
    offer.refresh_from_db()
    assert offer.title == "Marche et renforcement"
    assert "Le programme est modifié." in client.get(response["Location"]).content.decode()


def test_an_edit_that_would_break_enrolments_is_refused_on_its_fields(
    client, publisher, teacher, offer, prescriber, structure
):
    for _ in range(2):
        services.enrolment_create(
            referral=make_referred(offer=offer, prescriber=prescriber, structure=structure),
            goals="Objectif",
            by=publisher,
        )
    client.force_login(publisher)
    data = _payload(
        [teacher],
        levels=["1"],
        capacity="1",
        start_date=offer.start_date.strftime("%d/%m/%Y"),
        end_date=(offer.end_date - timedelta(days=7)).strftime("%d/%m/%Y"),
    )
    response = client.post(_edit_url(offer), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert {e.code for e in form.errors.as_data()["capacity"]} == {"offer_capacity_below_enrolled"}
    assert {e.code for e in form.errors.as_data()["levels"]} == {"offer_level_in_use"}
    assert {e.code for e in form.errors.as_data()["end_date"]} == {"offer_end_shortened"}
    offer.refresh_from_db()
    assert offer.capacity == 8 and offer.accepts_moderate


def test_the_supervisor_who_runs_the_offer_may_not_change_it(
    client, teacher, offer, structure_admin
):
    client.force_login(teacher)
    assert client.get(_edit_url(offer)).status_code == 403
    client.force_login(structure_admin)  # the admin staff of another structure: not seen
    assert client.get(_edit_url(offer)).status_code == 404
    bad = reverse("programmes:offer", kwargs={"pk": offer.pk}) + "../pas-un-uuid/modifier/"
    assert client.get(bad).status_code == 404


def test_the_links_to_publish_and_to_change_are_shown_to_who_may(client, publisher, teacher, offer):
    client.force_login(publisher)
    mine = client.get(reverse("programmes:mine")).content.decode()
    assert f'href="{CREATE}"' in mine and "Publier un programme" in mine
    detail = client.get(reverse("programmes:offer", kwargs={"pk": offer.pk})).content.decode()
    assert f'href="{_edit_url(offer)}"' in detail
    client.force_login(teacher)
    assert CREATE not in client.get(reverse("programmes:mine")).content.decode()
    detail = client.get(reverse("programmes:offer", kwargs={"pk": offer.pk})).content.decode()
    assert _edit_url(offer) not in detail


# --- Hostile input ---------------------------------------------------------------------------
VALID = {
    "title": "x",
    "activity": "y",
    "levels": "1",
    "supervisors": "",
    "coordinator": "",
    "place": "z",
    "postal_code": "69003",
    "start_date": "05/01/2026",
    "end_date": "04/07/2026",
    "capacity": "8",
    "slots-TOTAL_FORMS": "2",
    "slots-INITIAL_FORMS": "0",
    "slots-0-weekday": "0",
    "slots-0-start_time": "18:00",
    "slots-0-minutes": "60",
    "slots-1-weekday": "3",
    "slots-1-start_time": "18:00",
    "slots-1-minutes": "60",
}


@given(payload=_payload_strategy(VALID))
@EXAMPLES
def test_hostile_input_on_the_offer_pages(client, publisher, offer, payload):
    client.force_login(publisher)
    sessions = Session.objects.count()
    _post_and_check(client, CREATE, payload)
    _post_and_check(client, _edit_url(offer), payload)
    assert Session.objects.count() == sessions


# --- Query counts ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "page, ceiling",
    [
        # the usual 4 + the user's structure, situations, the structure's members, the menu's
        # unread notifications
        ("create", 8),
        # the usual 4 + offer, members, situations, its situations, supervisors, slots, enrolled,
        # the menu's unread notifications
        ("edit", 12),
    ],
)
def test_the_offer_pages_stay_under_their_ceiling_whatever_the_data(
    client, django_assert_max_num_queries, mss, publisher, teacher, offer, page, ceiling
):
    client.force_login(publisher)
    url = CREATE if page == "create" else _edit_url(offer)
    counts = []
    for size in (1, 6):
        for n in range(size):
            factories.ApaTeacherFactory(username=f"eapa-{size}-{n}", structure=mss)
        factories.make_offer(structure=mss, supervisors=[teacher], title=f"Autre {size}")
        with django_assert_max_num_queries(ceiling) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts
