"""Need-to-know access (README, « Qui voit quoi »): the selectors and access rules per persona.

Every list and every page goes through `patients_visible_to` / `prescriptions_visible_to` and
the per-model helpers `patient_get_visible` / `prescription_get_visible`; these tests pin what
each persona gets from them, search results included, and that reading writes nothing (the
views record the read with `audit.services.audit_read`).
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from audit.models import ReadAudit
from audit.services import audit_read
from dispensing import services as orientation_services
from dispensing.access import may_orient
from dispensing.selectors import patients_oriented_to
from kernel.errors import all_error_codes
from patients import services as patient_services
from patients.access import may_edit_patient, may_see_nir
from patients.models import CareTeamGrant
from patients.selectors import (
    patient_get_visible,
    patient_search,
    patients_visible_count,
    patients_visible_to,
)
from practitioners.models import Profession
from prescriptions import services as prescription_services
from prescriptions.access import may_prescribe_for
from prescriptions.rules import LimitationLevel
from prescriptions.selectors import (
    patient_limitation_level,
    prescription_get_visible,
    prescriptions_visible_to,
)
from tests import factories

pytestmark = pytest.mark.django_db


# --- Personas --------------------------------------------------------------------------------
@pytest.fixture
def other_admin(other_structure):
    return factories.UserFactory(
        username="admin-ailleurs", structure=other_structure, is_staff=True
    )


@pytest.fixture
def superuser(db):
    return factories.UserFactory(
        username="racine", structure=None, is_staff=True, is_superuser=True
    )


@pytest.fixture
def granted_physiotherapist(physiotherapist, issued_prescription):
    """The physiotherapist after the look-up of `issued_prescription`."""
    factories.look_up(issued_prescription, physiotherapist)
    return physiotherapist


@pytest.fixture
def foreign_patient(other_structure, outsider_physician):
    """A patient of the other structure, with the same name as `patient`."""
    patient = factories.PatientFactory(
        structure=other_structure, birth_name="Dupont", physician_in_charge=outsider_physician
    )
    factories.make_prescription(prescriber=outsider_physician, patient=patient)
    return patient


def _visible(user):
    return set(patients_visible_to(user))


# --- Patients -------------------------------------------------------------------------------
def test_the_structure_physicians_admin_and_superuser_see_the_patient(
    patient, prescriber, colleague_physician, structure_admin, superuser
):
    for user in (prescriber, colleague_physician, structure_admin, superuser):
        assert patient in _visible(user), user.username


def test_outsiders_see_no_patient_of_the_structure(
    patient, issued_prescription, outsider_physician, physiotherapist, apa_teacher, other_admin
):
    # The APA teacher works in the same structure but is not oriented: nothing either.
    for user in (outsider_physician, physiotherapist, apa_teacher, other_admin):
        assert patient not in _visible(user), user.username
        with pytest.raises(Http404):
            patient_get_visible(user=user, pk=patient.pk)
        with pytest.raises(Http404):
            prescription_get_visible(user=user, pk=issued_prescription.pk)


def test_an_anonymous_or_deactivated_user_sees_nothing(patient, prescriber):
    from django.contrib.auth.models import AnonymousUser

    assert not patients_visible_to(AnonymousUser()).exists()
    assert not prescriptions_visible_to(AnonymousUser()).exists()
    prescriber.is_active = False
    prescriber.save()
    assert not patients_visible_to(prescriber).exists()
    assert not prescriptions_visible_to(prescriber).exists()


@pytest.mark.parametrize("cap", [1, 2, 3, 4, 1000])
def test_the_fast_count_counts_exactly_the_visible_patients_up_to_its_cap(
    cap,
    structure,
    other_structure,
    prescriber,
    structure_admin,
    superuser,
    physiotherapist,
    outsider_physician,
):
    """`patients_visible_count` counts in two parts what `patients_visible_to` filters at once
    (bench/RESULTS.md): both must agree, for every persona, around the cap."""
    from django.contrib.auth.models import AnonymousUser

    mine = factories.PatientFactory.create_batch(3, structure=structure)
    elsewhere = factories.PatientFactory.create_batch(2, structure=other_structure)
    for granted in (elsewhere[0], mine[0]):  # one outside the structure, one inside
        patient_services.care_team_grant(
            patient=granted, user=prescriber, reason=CareTeamGrant.Reason.PRESCRIBER
        )
    patient_services.care_team_grant(
        patient=elsewhere[1], user=physiotherapist, reason=CareTeamGrant.Reason.LOOKUP
    )
    revoked = patient_services.care_team_grant(
        patient=elsewhere[1], user=prescriber, reason=CareTeamGrant.Reason.LOOKUP
    )
    revoked.revoked_at = timezone.now()
    revoked.save()
    inactive = factories.UserFactory(
        profession=Profession.PHYSICIAN, structure=structure, is_active=False
    )
    users = (prescriber, structure_admin, superuser, physiotherapist, outsider_physician)
    for user in (*users, inactive, AnonymousUser()):
        expected = min(patients_visible_to(user).count(), cap + 1)
        assert patients_visible_count(user, cap=cap) == expected, getattr(user, "username", "")
    assert patients_visible_to(prescriber).count() == 4  # the structure's 3 and one granted


def test_the_search_never_returns_a_foreign_patient(
    patient, foreign_patient, prescriber, outsider_physician, physiotherapist, apa_teacher
):
    # Both patients are "Dupont…" and born on the same day.
    assert set(patient_search(patients_visible_to(prescriber), "dupont")) == {patient}
    assert set(patient_search(patients_visible_to(outsider_physician), "dupont")) == {
        foreign_patient
    }
    for user in (physiotherapist, apa_teacher):
        assert not patient_search(patients_visible_to(user), "dupont").exists()
        assert not patient_search(patients_visible_to(user), "12/03/1956").exists()


# --- Physiotherapist: granted one prescription through the look-up --------------------------
def test_a_physiotherapist_with_a_grant_sees_that_prescription_only(
    granted_physiotherapist, issued_prescription, prescriber, patient
):
    other = factories.make_prescription(prescriber=prescriber, patient=patient)
    assert set(prescriptions_visible_to(granted_physiotherapist)) == {issued_prescription}
    assert prescription_get_visible(user=granted_physiotherapist, pk=issued_prescription.pk)
    with pytest.raises(Http404):
        prescription_get_visible(user=granted_physiotherapist, pk=other.pk)
    # The patient is visible (the identity on the form), not editable.
    assert patient in _visible(granted_physiotherapist)
    assert not may_edit_patient(granted_physiotherapist, patient)


def test_a_revoked_grant_gives_nothing(granted_physiotherapist, issued_prescription, patient):
    CareTeamGrant.objects.filter(user=granted_physiotherapist).update(revoked_at=timezone.now())
    assert not prescriptions_visible_to(granted_physiotherapist).exists()
    assert patient not in _visible(granted_physiotherapist)


# --- Drafts ---------------------------------------------------------------------------------
def test_a_draft_is_seen_by_its_prescriber_only(
    draft_prescription, prescriber, colleague_physician, structure_admin, superuser
):
    assert draft_prescription in prescriptions_visible_to(prescriber)
    assert draft_prescription not in prescriptions_visible_to(colleague_physician)
    assert draft_prescription not in prescriptions_visible_to(structure_admin)
    assert draft_prescription in prescriptions_visible_to(superuser)


def test_only_the_prescriber_may_cancel_a_draft(draft_prescription, colleague_physician):
    with pytest.raises(ValidationError) as exc:
        prescription_services.prescription_cancel(
            prescription=draft_prescription, by=colleague_physician
        )
    assert all_error_codes(exc.value) == {"not_prescriber"}


# --- Physicians prescribe for the patients of their care team -------------------------------
def test_a_physician_of_another_structure_may_not_prescribe(patient, outsider_physician):
    assert not may_prescribe_for(outsider_physician, patient)
    with pytest.raises(ValidationError) as exc:
        factories.make_prescription(prescriber=outsider_physician, patient=patient, issue=False)
    assert all_error_codes(exc.value) == {"not_care_team"}


def test_a_physician_granted_the_patient_may_prescribe(patient, outsider_physician, prescriber):
    patient_services.care_team_grant(
        patient=patient,
        user=outsider_physician,
        reason=CareTeamGrant.Reason.PRESCRIBER,
        granted_by=prescriber,
    )
    assert may_prescribe_for(outsider_physician, patient)
    prescription = factories.make_prescription(prescriber=outsider_physician, patient=patient)
    assert prescription.status == "issued"


def test_a_draft_cannot_be_issued_once_the_access_is_revoked(patient, outsider_physician):
    grant = patient_services.care_team_grant(
        patient=patient, user=outsider_physician, reason=CareTeamGrant.Reason.PRESCRIBER
    )
    draft = factories.make_prescription(prescriber=outsider_physician, patient=patient, issue=False)
    CareTeamGrant.objects.filter(pk=grant.pk).update(revoked_at=timezone.now())
    with pytest.raises(ValidationError) as exc:
        prescription_services.prescription_issue(prescription=draft, by=outsider_physician)
    assert all_error_codes(exc.value) == {"not_care_team"}


def test_nobody_but_a_physician_may_prescribe(patient, structure_admin, superuser, apa_teacher):
    for user in (structure_admin, superuser, apa_teacher):
        assert not may_prescribe_for(user, patient)  # R-P1


# --- Admin staff: their structure's records -------------------------------------------------
def test_an_admin_edits_the_patients_of_their_structure_only(
    patient, foreign_patient, structure_admin, other_admin, superuser
):
    assert may_edit_patient(structure_admin, patient)
    assert not may_edit_patient(structure_admin, foreign_patient)
    assert foreign_patient not in _visible(structure_admin)
    assert patient not in _visible(other_admin)
    assert may_edit_patient(superuser, foreign_patient)


def test_an_admin_sees_the_issued_prescriptions_of_their_structure(
    issued_prescription, foreign_patient, structure_admin
):
    visible = set(prescriptions_visible_to(structure_admin))
    assert issued_prescription in visible
    assert not any(p.patient_id == foreign_patient.pk for p in visible)


# --- APA professionals: the patients oriented to them, the level, never the NIR -------------
def test_an_oriented_apa_teacher_sees_the_patient_and_the_level_not_the_nir(
    issued_prescription, patient, prescriber, apa_teacher
):
    orientation_services.patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    assert patient in _visible(apa_teacher)
    assert issued_prescription in prescriptions_visible_to(apa_teacher)
    assert not may_see_nir(apa_teacher)
    assert not may_edit_patient(apa_teacher, patient)
    oriented = list(patients_oriented_to(apa_teacher))
    assert oriented == [patient]
    assert oriented[0].limitation_level == LimitationLevel.MODERATE
    assert "nir" in oriented[0].get_deferred_fields()


def test_the_nir_is_for_physicians_admin_and_physiotherapists(
    prescriber, structure_admin, physiotherapist, apa_teacher, superuser
):
    assert all(map(may_see_nir, (prescriber, structure_admin, physiotherapist, superuser)))
    for profession in (
        Profession.APA_TEACHER,
        Profession.SPORTS_EDUCATOR,
        Profession.FEDERATION_CERTIFIED,
        Profession.OCCUPATIONAL_THERAPIST,
        Profession.PSYCHOMOTOR_THERAPIST,
    ):
        assert not may_see_nir(factories.UserFactory(profession=profession))


# --- Orientation (R-L4, R-L5) ---------------------------------------------------------------
def _severe(prescriber, patient):
    return factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        assessment=factories.assessment_data(
            locomotor=LimitationLevel.SEVERE, confirmed_level=LimitationLevel.SEVERE
        ),
    )


def _orient_error(**kwargs) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        orientation_services.patient_orient(**kwargs)
    return exc.value.messages


def test_orientation_is_to_a_dispenser_only(issued_prescription, patient, prescriber):
    colleague = factories.PhysicianFactory(structure=patient.structure)
    assert _orient_error(patient=patient, professional=colleague, by=prescriber) == [
        str(orientation_services.MSG_ORIENT_NOT_DISPENSER)
    ]
    assert not CareTeamGrant.objects.filter(user=colleague).exists()


def test_a_severe_limitation_is_never_oriented_to_an_apa_teacher(
    patient, prescriber, apa_teacher, physiotherapist
):
    _severe(prescriber, patient)  # R-L4 (binding)
    assert patient_limitation_level(patient) == LimitationLevel.SEVERE
    assert _orient_error(patient=patient, professional=apa_teacher, by=prescriber) == [
        str(orientation_services.MSG_ORIENT_SEVERE)
    ]
    grant = orientation_services.patient_orient(
        patient=patient, professional=physiotherapist, by=prescriber
    )
    assert grant.reason == CareTeamGrant.Reason.ORIENTATION


def test_the_supervision_table_decides_for_a_moderate_limitation(
    issued_prescription, patient, structure_admin, apa_teacher
):
    # R-L5 defaults: moderate -> health professionals and APA teachers, not sports educators.
    educator = factories.UserFactory(profession=Profession.SPORTS_EDUCATOR)
    messages = _orient_error(patient=patient, professional=educator, by=structure_admin)
    assert messages == [
        str(orientation_services.MSG_ORIENT_LEVEL)
        % {"profession": "éducateur sportif", "level": "modérées"}
    ]
    orientation_services.patient_orient(
        patient=patient, professional=apa_teacher, by=structure_admin
    )


def test_the_level_is_the_one_of_the_latest_signed_prescription(
    issued_prescription, patient, prescriber
):
    assert patient_limitation_level(patient) == LimitationLevel.MODERATE
    # A draft does not count; a later signed one does.
    factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        issue=False,
        assessment=factories.assessment_data(confirmed_level=LimitationLevel.SEVERE),
    )
    assert patient_limitation_level(patient) == LimitationLevel.MODERATE
    _severe(prescriber, patient)
    assert patient_limitation_level(patient) == LimitationLevel.SEVERE


def test_no_orientation_before_a_signed_prescription(patient, prescriber, apa_teacher):
    assert _orient_error(patient=patient, professional=apa_teacher, by=prescriber) == [
        str(orientation_services.MSG_ORIENT_NO_LEVEL)
    ]


def test_only_the_care_team_physicians_and_the_structure_admin_orient(
    issued_prescription, patient, outsider_physician, other_admin, apa_teacher, physiotherapist
):
    assert not may_orient(outsider_physician, patient)
    assert not may_orient(other_admin, patient)
    assert not may_orient(apa_teacher, patient)
    assert _orient_error(patient=patient, professional=physiotherapist, by=other_admin) == [
        str(orientation_services.MSG_ORIENT_NOT_ALLOWED)
    ]


def test_ending_an_orientation_ends_the_access_and_keeps_the_record(
    issued_prescription, patient, prescriber, apa_teacher
):
    grant = orientation_services.patient_orient(
        patient=patient, professional=apa_teacher, by=prescriber
    )
    orientation_services.patient_orientation_revoke(grant=grant, by=prescriber)
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert patient not in _visible(apa_teacher)
    assert not patients_oriented_to(apa_teacher).exists()
    with pytest.raises(ValidationError):
        orientation_services.patient_orientation_revoke(grant=grant, by=prescriber)
    # Orienting again re-activates the same record.
    again = orientation_services.patient_orient(
        patient=patient, professional=apa_teacher, by=prescriber
    )
    assert again.pk == grant.pk and again.revoked_at is None


# --- Reads write nothing; the views' one helper records them ------------------------------
def test_the_per_model_helpers_read_without_writing_and_refuse_with_404(
    patient, issued_prescription, prescriber, outsider_physician
):
    assert patient_get_visible(user=prescriber, pk=patient.pk) == patient
    assert prescription_get_visible(user=prescriber, pk=issued_prescription.pk)
    with pytest.raises(Http404):
        patient_get_visible(user=outsider_physician, pk=patient.pk)
    assert not ReadAudit.objects.exists()


def test_the_audit_helper_records_a_page_read_once_and_every_export(
    patient, issued_prescription, prescriber
):
    def request(method):
        made = getattr(RequestFactory(), method)("/", REMOTE_ADDR="192.0.2.7")
        made.user = prescriber
        return made

    audit_read(request("get"), action=ReadAudit.Action.PATIENT_VIEW, patient=patient)
    audit_read(
        request("get"), action=ReadAudit.Action.PRESCRIPTION_VIEW, prescription=issued_prescription
    )
    # A POST that shows the page again (a refused form) follows the read already recorded.
    audit_read(request("post"), action=ReadAudit.Action.PATIENT_VIEW, patient=patient)
    # What hands data out is recorded whatever the method.
    audit_read(request("post"), action=ReadAudit.Action.EXPORT, detail="patients : 1 ligne")
    reads = list(
        ReadAudit.objects.order_by("at", "pk").values_list(
            "user__username", "action", "patient_id", "prescription_id", "structure_id"
        )
    )
    assert reads == [
        ("medecin", ReadAudit.Action.PATIENT_VIEW, patient.pk, None, patient.structure_id),
        (
            "medecin",
            ReadAudit.Action.PRESCRIPTION_VIEW,
            patient.pk,
            issued_prescription.pk,
            patient.structure_id,
        ),
        ("medecin", ReadAudit.Action.EXPORT, None, None, prescriber.structure_id),
    ]
    assert set(ReadAudit.objects.values_list("ip_address", flat=True)) == {"192.0.2.7"}


def test_birth_date_search_is_scoped_too(patient, foreign_patient, prescriber):
    birth = patient.birth_date
    assert foreign_patient.birth_date == birth == date(1956, 3, 12)
    found = patient_search(patients_visible_to(prescriber), birth.strftime("%d/%m/%Y"))
    assert set(found) == {patient}


def test_the_patient_page_shows_the_nir_to_the_physician_not_to_the_apa_teacher(
    client, structure, prescriber, apa_teacher
):
    from django.urls import reverse

    patient = factories.PatientFactory(structure=structure, nir="295109912611193")
    factories.make_prescription(prescriber=prescriber, patient=patient)
    orientation_services.patient_orient(patient=patient, professional=apa_teacher, by=prescriber)
    url = reverse("patients:detail", kwargs={"pk": patient.pk})
    client.force_login(prescriber)
    assert patient.nir_display in client.get(url).content.decode()
    client.force_login(apa_teacher)
    page = client.get(url).content.decode()
    assert patient.birth_name.upper() in page
    assert patient.nir_display not in page
    assert "2951099" not in "".join(page.split())


def test_every_reader_takes_the_level_of_the_prescription_signed_last_on_the_same_day(
    patient, prescriber, structure_admin
):
    """R-L2: one definition of the patient's level (prescriptions.selectors), used by the
    orientation, the admin's list, its export and the dashboard: of two prescriptions of the
    same day, the one signed last counts, whichever was drafted first."""
    from django.contrib import admin
    from django.test import RequestFactory as Factory

    from dashboard import selectors as dashboard_selectors
    from patients.models import Patient

    drafted_first = factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        issue=False,
        assessment=factories.assessment_data(
            locomotor=LimitationLevel.SEVERE,
            severe_indicators=["loc_walk"],
            confirmed_level=LimitationLevel.SEVERE,
        ),
    )
    factories.make_prescription(
        prescriber=prescriber,
        patient=patient,
        assessment=factories.assessment_data(
            locomotor=LimitationLevel.MINIMAL,
            cerebral=LimitationLevel.NONE,
            sensory=LimitationLevel.NONE,
            confirmed_level=LimitationLevel.MINIMAL,
        ),
    )
    prescription_services.prescription_issue(prescription=drafted_first, by=prescriber)

    assert patient_limitation_level(patient) == LimitationLevel.SEVERE
    request = Factory().get("/")
    request.user = structure_admin
    listed = admin.site._registry[Patient].get_queryset(request).get(pk=patient.pk)
    assert listed.latest_level == LimitationLevel.SEVERE
    scope = dashboard_selectors.dashboard_scope(structure_admin)
    per_level = dict(dashboard_selectors.patients_per_level(scope))
    assert per_level[str(LimitationLevel.SEVERE.label)] == 1
    assert per_level[str(LimitationLevel.MINIMAL.label)] == 0
