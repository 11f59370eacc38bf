from django.urls import reverse

from kernel.pagination import CappedPaginator
from prescriptions.models import Prescription
from tests import factories


def test_the_paginator_stops_counting_past_its_cap(prescriber, patient, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    for _ in range(5):
        factories.make_prescription(prescriber=prescriber, patient=patient)
    paginator = CappedPaginator(Prescription.objects.order_by("-created_at"), 2)
    assert paginator.count == 4  # cap + 1: enough to know there are more
    assert paginator.is_capped
    monkeypatch.setattr(CappedPaginator, "cap", 5)
    exact = CappedPaginator(Prescription.objects.order_by("-created_at"), 2)
    assert exact.count == 5 and not exact.is_capped


def test_the_prescription_list_says_there_are_more_than_it_counted(
    client, prescriber, patient, monkeypatch
):
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    for _ in range(5):
        factories.make_prescription(prescriber=prescriber, patient=patient)
    client.force_login(prescriber)
    response = client.get(reverse("prescriptions:list"))
    assert "Plus de 3 prescriptions" in response.content.decode()


def test_the_prescription_list_pages_keep_the_status_filter(
    client, prescriber, patient, monkeypatch
):
    monkeypatch.setattr("prescriptions.views.PAGE_SIZE", 2)
    for _ in range(3):
        factories.make_prescription(prescriber=prescriber, patient=patient)
    client.force_login(prescriber)
    html = client.get(reverse("prescriptions:list") + "?status=issued").content.decode()
    assert 'href="?status=issued&amp;page=2"' in html
    assert "Page 1 sur 2" in html
