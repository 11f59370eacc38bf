"""R-B4: the bilans and comptes rendus go to the prescriber and the médecin traitant only with
the patient's recorded agreement: an in-app notification, and an e-mail with no health data."""

import pytest
from django.core import mail

from dispensing.services import patient_orient
from notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def oriented(prescriber, patient, apa_teacher, issued_prescription):
    patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    return apa_teacher


def test_a_shared_signed_bilan_reaches_the_prescriber_and_the_medecin_traitant(
    structure, patient, prescriber, oriented, django_capture_on_commit_callbacks
):
    traitant = factories.PhysicianFactory(username="traitant", structure=structure)
    patient.physician_in_charge = traitant
    patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        bilan = factories.make_entry_bilan(patient, oriented)
    notified = Notification.objects.filter(document_id=bilan.pk)
    assert {n.recipient for n in notified} == {prescriber, traitant}
    assert {n.kind for n in notified} == {Notification.Kind.DOCUMENT_SHARED}
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        text = message.subject + message.body
        assert patient.birth_name.upper() not in text.upper()
        assert patient.first_names not in text
        assert bilan.prescription.reference not in text
        assert "400" not in text  # no result either


def test_nothing_is_sent_without_the_agreement(
    patient, oriented, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_entry_bilan(patient, oriented, share_agreement=False)
        factories.make_report(patient, oriented, share_agreement=False)
    assert not Notification.objects.filter(document_id__isnull=False).exists()
    assert mail.outbox == []


def test_a_draft_is_not_sent(patient, oriented, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_entry_bilan(patient, oriented, sign=False)
    assert not Notification.objects.filter(document_id__isnull=False).exists()
    assert mail.outbox == []


def test_opening_the_notification_leads_to_the_document(client, patient, prescriber, oriented):
    report = (
        factories.make_entry_bilan(patient, oriented),
        factories.make_report(patient, oriented),
    )[1]
    notification = Notification.objects.get(recipient=prescriber, document_id=report.pk)
    client.force_login(prescriber)
    response = client.get(notification.get_absolute_url())
    assert response.status_code == 302 and response.headers["Location"] == report.get_absolute_url()
    assert client.get(report.get_absolute_url()).status_code == 200
    inbox = client.get("/notifications/").content.decode()
    assert "Compte rendu transmis" in inbox
