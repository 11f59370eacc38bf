"""The structure is told when a post-cancer pathway is prescribed to it, and a professional when
a bilan or consultation is booked with them: in the inbox, announced by an e-mail with no health
data (the pathway's events had no receiver before)."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from notifications.models import Notification
from pathway import services
from pathway.rules import Kind
from tests import factories

from .conftest import PRESCRIBED_ON

pytestmark = pytest.mark.django_db

Kinds = Notification.Kind


def test_the_structures_staff_is_told_of_a_pathway_prescribed_to_it(
    episode, oncologist, msp, msp_staff, msp_apa, django_capture_on_commit_callbacks
):
    elsewhere = factories.UserFactory(username="accueil-ailleurs", structure=oncologist.structure)
    gone = factories.UserFactory(username="ancien", structure=msp, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        pathway = services.pathway_prescribe(
            episode=episode,
            by=oncologist,
            structure=msp,
            kinds=[Kind.BILAN_PHYSICAL],
            prescribed_on=PRESCRIBED_ON,
        )
    told = Notification.objects.filter(kind=Kinds.PATHWAY_PRESCRIBED)
    assert [(n.recipient, n.pathway) for n in told] == [(msp_staff, pathway)]
    assert elsewhere not in {n.recipient for n in told} and gone not in {n.recipient for n in told}
    (message,) = mail.outbox
    assert message.to == [msp_staff.email]
    text = message.subject + message.body
    patient = pathway.patient
    assert patient.birth_name.upper() not in text.upper()
    assert patient.first_names not in text
    assert pathway.reference not in text
    assert episode.localisation not in text


def test_a_structure_without_staff_tells_its_pathway_professionals(
    episode, oncologist, msp, msp_apa, msp_dietitian
):
    services.pathway_prescribe(
        episode=episode,
        by=oncologist,
        structure=msp,
        kinds=[Kind.BILAN_PHYSICAL],
        prescribed_on=PRESCRIBED_ON,
    )
    told = {n.recipient for n in Notification.objects.filter(kind=Kinds.PATHWAY_PRESCRIBED)}
    assert told == {msp_apa, msp_dietitian}


def test_the_booked_professional_is_told_and_opens_the_pathway(
    client, book, pathway, msp_apa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        book(Kind.BILAN_PHYSICAL, PRESCRIBED_ON)
    (notification,) = Notification.objects.filter(kind=Kinds.PATHWAY_BOOKED)
    assert notification.recipient == msp_apa and notification.pathway == pathway
    assert [m.to for m in mail.outbox if "prévu avec vous" in m.subject] == [[msp_apa.email]]
    client.force_login(msp_apa)
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert pathway.reference in inbox
    response = client.get(notification.get_absolute_url())
    assert response.url == reverse("pathway:detail", kwargs={"pk": pathway.pk})
    assert client.get(response.url).status_code == 200


def test_a_professional_who_books_for_themselves_is_not_told(book, msp_apa):
    book(Kind.BILAN_PHYSICAL, PRESCRIBED_ON, by=msp_apa)
    assert not Notification.objects.filter(kind=Kinds.PATHWAY_BOOKED).exists()


def test_a_notification_is_about_a_prescription_or_a_pathway(prescriber):
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=prescriber, kind=Kinds.PATHWAY_BOOKED)
