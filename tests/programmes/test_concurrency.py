"""R-G2: two coordinators taking the last seat of an offer at the same instant leave exactly one
enrolled, the other on the waiting list (the offer's row is locked, PostgreSQL)."""

import threading

import pytest
from django.db import connection

from programmes.models import Enrolment
from programmes.services import enrolment_create
from tests import factories
from tests.programmes.conftest import make_referred


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_taking_the_last_seat_at_once_enrol_exactly_one(
    mss, coordinator, teacher, prescriber, structure
):
    second_coordinator = factories.UserFactory(username="coordinateur2", structure=mss)
    offer = factories.make_offer(
        structure=mss, supervisors=[teacher], coordinator=coordinator, capacity=2
    )
    first = make_referred(offer=offer, prescriber=prescriber, structure=structure)
    enrolment_create(referral=first, goals="Objectif", by=coordinator)
    contenders = [
        make_referred(offer=offer, prescriber=prescriber, structure=structure) for _ in range(2)
    ]
    barrier = threading.Barrier(2, timeout=10)
    outcomes: dict[int, object] = {}

    def attempt(index: int, by) -> None:
        try:
            barrier.wait()
            outcomes[index] = enrolment_create(referral=contenders[index], goals="But", by=by)
        except Exception as exc:  # collected and asserted on below
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(0, coordinator)),
        threading.Thread(target=attempt, args=(1, second_coordinator)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    assert all(isinstance(o, Enrolment) for o in outcomes.values()), outcomes
    statuses = sorted(o.status for o in outcomes.values())  # type: ignore[union-attr]
    assert statuses == [Enrolment.Status.ENROLLED, Enrolment.Status.WAITING]
    assert Enrolment.objects.filter(offer=offer, status=Enrolment.Status.ENROLLED).count() == 2
