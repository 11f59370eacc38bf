"""R-C2, R-C3: the last 22.50 € booked twice at the same instant leaves exactly one booking
(the pathway's row is locked before the caps are counted: PostgreSQL row locks)."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from pathway import selectors, services
from pathway.models import Booking
from pathway.rules import Kind


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r_c2_the_last_euros_booked_twice_at_once_leave_exactly_one_booking(
    pathway, book, msp_staff, msp_dietitian, msp_psychologist
):
    day = date(2025, 5, 1)
    for kind in (
        Kind.BILAN_PHYSICAL,
        Kind.BILAN_DIETARY,
        Kind.CONSULTATION_DIETARY,
        Kind.CONSULTATION_DIETARY,
        Kind.CONSULTATION_PSYCHOLOGICAL,
    ):
        book(kind, day)
    assert selectors.ledger(pathway, today=day).remaining == Decimal("22.50")
    barrier = threading.Barrier(2, timeout=10)
    outcomes: dict[str, object] = {}

    def attempt(name: str, kind: str, professional) -> None:
        try:
            barrier.wait()
            outcomes[name] = services.booking_create(
                pathway=pathway,
                by=msp_staff,
                kind=kind,
                scheduled_on=day,
                professional=professional,
            )
        except Exception as exc:  # collected and asserted on below
            outcomes[name] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=("a", Kind.CONSULTATION_DIETARY, msp_dietitian)),
        threading.Thread(
            target=attempt, args=("b", Kind.CONSULTATION_PSYCHOLOGICAL, msp_psychologist)
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    bookings = [o for o in outcomes.values() if isinstance(o, Booking)]
    refusals = [o for o in outcomes.values() if isinstance(o, ValidationError)]
    assert len(bookings) == 1, outcomes
    assert len(refusals) == 1, outcomes  # a clear refusal, not an IntegrityError
    assert refusals[0].code == "annual_cap"
    assert Booking.objects.filter(pathway=pathway).count() == 6
    ledger = selectors.ledger(pathway, today=day)
    assert ledger.booked == Decimal("180.00")
    assert ledger.remaining == Decimal("0.00")
