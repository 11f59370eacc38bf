"""R-R2: two renewals submitted at the same instant leave exactly one (PostgreSQL row locks)."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from prescriptions.content import Recommendations
from prescriptions.models import Prescription, Renewal
from prescriptions.services import ALREADY_DONE_WORDS, MSG_RENEW_ALREADY, prescription_renew
from tests import factories


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_renewals_of_one_prescription_leave_exactly_one(
    issued_prescription, physiotherapist
):
    colleague = factories.PhysiotherapistFactory(
        username="kine2", first_name="Léa", last_name="Roy"
    )
    today = issued_prescription.end_date
    barrier = threading.Barrier(2, timeout=10)
    outcomes: dict[str, object] = {}

    def attempt(physio, kind: str) -> None:
        try:
            barrier.wait()
            outcomes[physio.username] = prescription_renew(
                prescription=issued_prescription,
                physiotherapist=physio,
                kind=kind,
                duration_months=3,
                patient_agreement=True,
                no_risk_attestation=True,
                adaptations=Recommendations(**{"recommendations_text": "Équilibre"}),
                today=today,
            )
        except Exception as exc:  # collected and asserted on below
            outcomes[physio.username] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(physiotherapist, Renewal.Kind.RENEWAL)),
        threading.Thread(target=attempt, args=(colleague, Renewal.Kind.ADAPTATION)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    renewals = [o for o in outcomes.values() if isinstance(o, Renewal)]
    refusals = [o for o in outcomes.values() if isinstance(o, ValidationError)]
    assert len(renewals) == 1, outcomes
    assert len(refusals) == 1, outcomes  # a clear refusal, not an IntegrityError
    winner = renewals[0]
    assert Renewal.objects.filter(prescription=issued_prescription).count() == 1
    assert Renewal.objects.get().pk == winner.pk
    expected = MSG_RENEW_ALREADY % {
        "kind": ALREADY_DONE_WORDS[winner.kind],
        "name": winner.physio_display_name,
        "date": today.strftime("%d/%m/%Y"),
    }
    assert refusals[0].messages == [expected]
    status = Prescription.objects.get(pk=issued_prescription.pk).status
    assert status == (
        Prescription.Status.RENEWED
        if winner.kind == Renewal.Kind.RENEWAL
        else Prescription.Status.ADAPTED
    )
    assert today - timedelta(days=1) < winner.start_date
