"""R-R5 made real: the recorded bilans and comptes rendus decide the physiotherapist's renewal.

The prescriptions app asks (`events.risk_reports_requested`), the bilans app answers: no upward
import (tests/test_architecture.py, import-linter).
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dispensing.services import patient_orient
from kernel.errors import all_error_codes
from prescriptions.models import RiskBasis
from prescriptions.rules import add_months
from prescriptions.services import renewal_refusal, renewal_risk_case
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def renewable(prescriber, patient, physiotherapist, apa_teacher):
    today = timezone.localdate()
    start = add_months(today + timedelta(days=11), -3)
    prescription = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        prescribed_on=start,
        start_date=start,
        duration_months=3,
    )
    factories.look_up(prescription, physiotherapist)
    patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    return prescription


def _renew(prescription, physiotherapist):
    return factories.renew(prescription, physiotherapist, today=timezone.localdate())


def test_none_recorded_the_attestation_stays(renewable, physiotherapist):
    renewal = _renew(renewable, physiotherapist)
    assert renewal.risk_basis == RiskBasis.ATTESTED


def test_a_reported_risk_refuses_the_renewal_with_its_date_author_and_words(
    renewable, patient, apa_teacher, physiotherapist
):
    factories.make_entry_bilan(patient, apa_teacher)
    factories.make_report(
        patient, apa_teacher, risk_flag=True, risk_description="Douleur thoracique à l'effort"
    )
    refusal = renewal_refusal(
        prescription=renewable, physiotherapist=physiotherapist, today=timezone.localdate()
    )
    assert refusal is not None and all_error_codes(refusal) == {"renew_risk_reported"}
    message = refusal.messages[0]
    assert "« Douleur thoracique à l'effort »" in message
    assert apa_teacher.display_name in message
    assert timezone.localdate().strftime("%d/%m/%Y") in message
    with pytest.raises(Exception) as excinfo:
        _renew(renewable, physiotherapist)
    assert all_error_codes(excinfo.value) == {"renew_risk_reported"}


def test_a_later_compte_rendu_clears_the_risk(renewable, patient, apa_teacher, physiotherapist):
    factories.make_entry_bilan(patient, apa_teacher)
    factories.make_report(patient, apa_teacher, risk_flag=True, risk_description="Malaise")
    factories.make_report(patient, apa_teacher, risk_flag=False)  # same day, recorded later
    assert renewal_risk_case(renewable) == (RiskBasis.RECORDED_NO_RISK, None)
    renewal = _renew(renewable, physiotherapist)
    assert renewal.risk_basis == RiskBasis.RECORDED_NO_RISK


def test_a_draft_does_not_count(renewable, patient, apa_teacher):
    factories.make_entry_bilan(
        patient, apa_teacher, sign=False, risk_flag=True, risk_description="Chute"
    )
    assert renewal_risk_case(renewable) == (RiskBasis.ATTESTED, None)


def test_the_renewal_form_says_the_recorded_bilans_report_none(
    client, renewable, patient, apa_teacher, physiotherapist
):
    factories.make_entry_bilan(patient, apa_teacher)
    client.force_login(physiotherapist)
    page = client.get(reverse("prescriptions:renewal", kwargs={"pk": renewable.pk}))
    content = page.content.decode()
    assert 'id="recorded-no-risk"' in content
    assert page.context["form"].initial["no_risk_attestation"] is True


def test_the_renewal_page_shows_the_reported_risk(
    client, renewable, patient, apa_teacher, physiotherapist
):
    factories.make_entry_bilan(patient, apa_teacher, risk_flag=True, risk_description="Chute")
    client.force_login(physiotherapist)
    page = client.get(reverse("prescriptions:renewal", kwargs={"pk": renewable.pk}))
    assert "« Chute »" in page.content.decode()
    assert 'id="renewal-form"' not in page.content.decode()
