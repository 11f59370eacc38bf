"""Hostile input on the pathway's forms and query strings (R-C1 to R-C4): never a 500, nothing
written on a refusal, what was typed comes back escaped."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from pathway.models import Booking, CancerEpisode, PathwayPrescription
from tests import factories
from tests.test_hostile_input import EXAMPLES, HOSTILE, _payload_strategy, _post_and_check

pytestmark = pytest.mark.django_db


def _pathway_counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (CancerEpisode, PathwayPrescription, Booking))


@pytest.fixture
def world(patient, prescriber, structure):
    staff = factories.UserFactory(username="accueil", structure=structure)
    apa = factories.ApaTeacherFactory(username="apa-parcours", structure=structure)
    episode, pathway, booking = factories.make_pathway(
        patient, prescriber=prescriber, structure=structure, professional=apa, by=staff
    )
    return {"staff": staff, "apa": apa, "episode": episode, "pathway": pathway, "booking": booking}


@EXAMPLES
@given(data=st.data())
def test_episode_form_survives_hostile_input(client, prescriber, patient, data):
    client.force_login(prescriber)
    valid = {"localisation": "Sein", "treatment_end": "2025-03-15", "ald": "on"}
    before = _pathway_counts()
    _post_and_check(
        client,
        reverse("pathway:episode_create", args=[patient.pk]),
        data.draw(_payload_strategy(valid)),
    )
    assert _pathway_counts() == before  # rolled back either way


@EXAMPLES
@given(data=st.data())
def test_pathway_form_survives_hostile_input(client, prescriber, patient, structure, data):
    from pathway.models import Convention

    Convention.objects.get_or_create(structure=structure, number="X", starts_on=date(2021, 1, 1))
    episode = CancerEpisode.objects.create(
        patient=patient,
        localisation="Sein",
        ald=True,
        recorded_by=prescriber,
        treatment_end=timezone.localdate() - timedelta(days=30),
    )
    client.force_login(prescriber)
    valid = {"structure": str(structure.pk), "kinds": ["bilan_physical"], "prescribed_on": ""}
    _post_and_check(
        client,
        reverse("pathway:pathway_create", args=[episode.pk]),
        data.draw(_payload_strategy(valid)),
    )


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-02-30"])
def test_a_booking_at_the_calendars_ends_is_refused_in_french(client, world, day):
    client.force_login(world["staff"])
    url = reverse("pathway:booking_create", args=[world["pathway"].pk])
    payload = {"kind": "bilan_physical", "scheduled_on": day, "professional": str(world["apa"].pk)}
    _post_and_check(client, url, payload)


@EXAMPLES
@given(data=st.data())
def test_booking_form_survives_hostile_input(client, world, data):
    client.force_login(world["staff"])
    url = reverse("pathway:booking_create", args=[world["pathway"].pk])
    valid = {
        "kind": "bilan_physical",
        "scheduled_on": timezone.localdate().isoformat(),
        "professional": str(world["apa"].pk),
    }
    _post_and_check(client, url, data.draw(_payload_strategy(valid)))


@EXAMPLES
@given(data=st.data())
def test_booking_mark_survives_hostile_input(client, world, data):
    client.force_login(world["staff"])
    url = reverse("pathway:booking_mark", args=[world["booking"].pk])
    valid = {"done": "1", "apa_project": "Marche nordique"}
    _post_and_check(client, url, data.draw(_payload_strategy(valid)))


@pytest.mark.parametrize("value", [*HOSTILE[:30], "0", "13", "2019", "2101"])
@pytest.mark.parametrize("name", ["pathway:statements", "pathway:ars_export"])
def test_the_statements_period_survives_hostile_query_strings(client, world, name, value):
    client.force_login(world["staff"])
    for key in ("annee", "mois", "trimestre"):
        response = client.get(reverse(name), {key: value})
        assert response.status_code in (200, 400), (key, value)
        if response.status_code == 400:
            assert "Période invalide" in response.content.decode()
