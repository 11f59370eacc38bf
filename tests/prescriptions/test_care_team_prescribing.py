"""R-P1 and need-to-know in the pages: a physician prescribes only for a patient of their care
team. The pages ask `prescriptions.access.may_prescribe_for`, the rule the services
enforce, so a button is never shown that the service would refuse, and a form is never shown
to a physician who may not prescribe for that patient (403, in French).
"""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from patients.models import CareTeamGrant
from patients.services import care_team_grant
from prescriptions import access, receivers
from prescriptions.access import may_prescribe_for
from prescriptions.models import Prescription
from prescriptions.services import MSG_NOT_CARE_TEAM
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PRESCRIPTION = "Nouvelle prescription"
REFUSAL = escape(str(MSG_NOT_CARE_TEAM))


def _create_url(patient) -> str:
    return f"{reverse('prescriptions:create')}?patient={patient.pk}"


@pytest.fixture
def granted_outsider(outsider_physician, patient, prescriber):
    """A physician of another structure, granted this patient's care team."""
    care_team_grant(
        patient=patient,
        user=outsider_physician,
        reason=CareTeamGrant.Reason.PRESCRIBER,
        granted_by=prescriber,
    )
    return outsider_physician


@pytest.fixture
def orphan_draft(granted_outsider, patient):
    """A draft whose prescriber has since left the patient's care team (the grant revoked)."""
    draft = factories.make_prescription(prescriber=granted_outsider, patient=patient, issue=False)
    CareTeamGrant.objects.filter(user=granted_outsider, patient=patient).update(
        revoked_at=timezone.now()
    )
    assert not may_prescribe_for(granted_outsider, patient)
    return draft


# --- The patient page's button follows the selector -----------------------------------------
@pytest.mark.parametrize(
    "persona",
    ["prescriber", "colleague_physician", "granted_outsider", "structure_admin", "apa_teacher"],
)
def test_the_button_is_shown_exactly_to_who_may_prescribe(request, client, patient, persona):
    user = request.getfixturevalue(persona)
    if persona == "apa_teacher":
        care_team_grant(patient=patient, user=user, reason=CareTeamGrant.Reason.ORIENTATION)
    client.force_login(user)
    response = client.get(patient.get_absolute_url())
    assert response.status_code == 200
    shown = _create_url(patient) in response.text
    assert shown == may_prescribe_for(user, patient)
    assert shown == (persona in ("prescriber", "colleague_physician", "granted_outsider"))


def test_the_patient_page_asks_the_selector_not_the_profession(
    client, prescriber, patient, monkeypatch
):
    calls = []

    def refuse(user, seen, **kwargs):
        calls.append((user, seen))
        return False

    monkeypatch.setattr(receivers, "may_prescribe_for", refuse)
    client.force_login(prescriber)
    response = client.get(patient.get_absolute_url())
    assert calls == [(prescriber, patient)]
    assert _create_url(patient) not in response.text
    assert NEW_PRESCRIPTION not in response.text


# --- The form views refuse, in French ----------------------------------------------------------
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_form_is_refused_to_a_physician_who_may_not_prescribe_for_the_patient(
    client, prescriber, patient, monkeypatch, method
):
    monkeypatch.setattr(access, "may_prescribe_for", lambda user, p, **kwargs: False)
    client.force_login(prescriber)
    if method == "get":
        response = client.get(_create_url(patient))
    else:
        response = client.post(_create_url(patient), {"duration_months": "3", "issue": "1"})
    assert response.status_code == 403
    assert REFUSAL in response.text
    assert 'name="duration_months"' not in response.text  # no form
    assert not Prescription.objects.exists()


def test_an_orphan_draft_is_neither_edited_nor_signed_but_may_be_cancelled(
    client, granted_outsider, orphan_draft
):
    client.force_login(granted_outsider)
    before = Prescription.objects.values().get(pk=orphan_draft.pk)
    edit = reverse("prescriptions:update", args=[orphan_draft.pk])
    issue = reverse("prescriptions:issue", args=[orphan_draft.pk])
    for response in (
        client.get(edit),
        client.post(edit, {"duration_months": "4", "issue": "1"}),
        client.post(issue),
    ):
        assert response.status_code == 403
        assert REFUSAL in response.text
        assert 'name="duration_months"' not in response.text
    assert Prescription.objects.values().get(pk=orphan_draft.pk) == before
    # The draft's page offers neither "Modifier" nor "Émettre", still the cancellation.
    page = client.get(orphan_draft.get_absolute_url())
    assert page.status_code == 200
    assert edit not in page.text and issue not in page.text
    cancel = client.post(reverse("prescriptions:cancel", args=[orphan_draft.pk]), {})
    assert cancel.status_code == 302
    orphan_draft.refresh_from_db()
    assert orphan_draft.status == Prescription.Status.CANCELLED


def test_the_prescriber_still_edits_and_signs_a_draft_of_the_care_team(
    client, prescriber, draft_prescription
):
    client.force_login(prescriber)
    edit = reverse("prescriptions:update", args=[draft_prescription.pk])
    assert client.get(edit).status_code == 200
    page = client.get(draft_prescription.get_absolute_url())
    assert edit in page.text
    assert reverse("prescriptions:issue", args=[draft_prescription.pk]) in page.text
