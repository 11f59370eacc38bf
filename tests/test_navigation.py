"""What each role finds on the home page and in the menu (aria-current on this page's item only)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _current_items(html: str) -> list[str]:
    return re.findall(r'aria-current="page"[^>]*href="([^"]+)"', html)


def test_the_physiotherapist_looks_a_prescription_up_from_the_home_page(client, physiotherapist):
    client.force_login(physiotherapist)
    html = client.get(reverse("home")).content.decode()
    form = html.split('class="home-lookup"')[0].rsplit("<form", 1)[1]
    assert f'action="{reverse("prescriptions:lookup")}"' in form
    assert 'name="reference"' in html and 'name="birth_date"' in html


def test_the_look_up_page_marks_its_own_menu_item_not_prescriptions(client, physiotherapist):
    client.force_login(physiotherapist)
    html = client.get(reverse("prescriptions:lookup")).content.decode()
    assert _current_items(html) == [reverse("prescriptions:lookup")]


def test_the_prescription_list_marks_prescriptions(client, prescriber):
    client.force_login(prescriber)
    html = client.get(reverse("prescriptions:list")).content.decode()
    assert _current_items(html) == [reverse("prescriptions:list")]


def test_the_apa_teachers_patients_button_leads_to_their_oriented_patients(client, apa_teacher):
    client.force_login(apa_teacher)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("dispensing:supervised")}">Mes patients orientés (' in html
    html = client.get(reverse("dispensing:supervised")).content.decode()
    assert _current_items(html) == [reverse("dispensing:supervised")]


def test_page_titles_never_carry_the_patients_name(client, prescriber, patient):
    client.force_login(prescriber)
    for url in (
        reverse("patients:detail", args=[patient.pk]),
        reverse("patients:update", args=[patient.pk]),
        f"{reverse('prescriptions:create')}?patient={patient.pk}",
    ):
        html = client.get(url).content.decode()
        title = html.split("<title>")[1].split("</title>")[0]
        assert patient.birth_name.upper() not in title.upper(), url
        assert patient.first_names not in title, url
