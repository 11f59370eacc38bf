"""The programme's alerts (referral, decision, freed seat, drop-out, follow-up) are announced by
an e-mail with no health data, after the commit, as the renewal's and the bilans' are."""

import pytest
from django.core import mail

import notifications.services
from programmes import services
from tests.programmes.conftest import make_referred

pytestmark = pytest.mark.django_db


def _absent_three_times(offer, referral, coordinator, teacher):
    enrolment = services.enrolment_create(referral=referral, goals="Objectif", by=coordinator)
    for session in offer.sessions.order_by("starts_at")[:3]:
        services.attendance_record(session=session, enrolment=enrolment, present=False, by=teacher)


def test_the_dropout_alert_is_e_mailed_to_the_coordinator_and_the_prescriber_without_health_data(
    offer, referral, coordinator, prescriber, teacher, django_capture_on_commit_callbacks
):
    mail.outbox.clear()  # the referral's own announcement is not what this test is about
    with django_capture_on_commit_callbacks(execute=True):
        _absent_three_times(offer, referral, coordinator, teacher)
    dropout = [m for m in mail.outbox if "absences répétées" in m.subject]
    assert sorted(address for m in dropout for address in m.to) == sorted(
        [coordinator.email, prescriber.email]
    )
    patient = referral.patient
    for message in dropout:
        text = message.subject + message.body
        assert patient.birth_name.upper() not in text.upper()
        assert patient.first_names not in text
        assert offer.title not in text
        assert referral.prescription.reference not in text
        assert "/notifications/" in message.body


def test_a_rolled_back_roll_call_sends_nothing(
    offer, referral, coordinator, teacher, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _absent_three_times(offer, referral, coordinator, teacher)
    assert callbacks  # e-mails wait for the commit ...
    assert mail.outbox == []  # ... and none leaves without it


def test_the_offer_side_gets_an_e_mail_for_a_new_referral(
    offer, prescriber, structure, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_referred(offer=offer, prescriber=prescriber, structure=structure)
    (message,) = mail.outbox
    assert message.to == [coordinator.email]
    assert "orientation vers votre programme" in message.subject


def test_a_user_without_an_e_mail_address_gets_the_notification_only(
    offer, referral, coordinator, prescriber, teacher, django_capture_on_commit_callbacks
):
    coordinator.email = ""
    coordinator.save(update_fields=["email"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _absent_three_times(offer, referral, coordinator, teacher)
    assert [m.to for m in mail.outbox if "absences" in m.subject] == [[prescriber.email]]


def test_a_mail_server_failure_does_not_break_the_roll_call(
    offer, referral, coordinator, teacher, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notifications.services, "send_mail", broken)
    with django_capture_on_commit_callbacks(execute=True):
        _absent_three_times(offer, referral, coordinator, teacher)  # logged, not raised
    assert referral.patient.enrolments.get().attendances.filter(present=False).count() == 3
