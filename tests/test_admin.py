"""The Django admin made for the domain: scope, search, read-only records, query counts."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from dashboard.permissions import STRUCTURE_ADMIN_GROUP
from patients.models import Patient
from patients.rules import MSG_NIR_KEY
from practitioners.forms import (
    MSG_RPPS_FORMAT,
    MSG_RPPS_LUHN,
    PractitionerChangeForm,
    PractitionerCreationForm,
)
from practitioners.models import Profession, User
from practitioners.rules import luhn_is_valid
from prescriptions.models import Prescription
from tests import factories
from tests.dashboard.helpers import make_patient, make_rows, make_structure_admin, make_superuser

CHANGELISTS = [
    "admin:patients_patient_changelist",
    "admin:prescriptions_prescription_changelist",
    "admin:prescriptions_renewal_changelist",
    "admin:prescriptions_limitationassessment_changelist",
    "admin:practitioners_user_changelist",
    "admin:practitioners_structure_changelist",
    "admin:patients_careteamgrant_changelist",
    "admin:prescriptions_supervisionrule_changelist",
    "admin:patients_eligibilitysituation_changelist",
]


@pytest.fixture
def admin_of_structure(structure):
    return make_structure_admin(structure, "admin-lyon")


@pytest.fixture
def admin_of_other_structure(other_structure):
    return make_structure_admin(other_structure, "admin-valence")


@pytest.fixture
def superuser(structure):
    return make_superuser(structure)


def _count_queries(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.context["cl"].result_count


@pytest.mark.parametrize("who", ["superuser", "admin_of_structure"])
def test_each_admin_list_runs_the_same_number_of_queries_for_3_and_20_rows(
    client, request, who, structure, prescriber, physiotherapist
):
    client.force_login(request.getfixturevalue(who))
    make_rows(3, structure=structure, prescriber=prescriber, physiotherapist=physiotherapist)
    few = {name: _count_queries(client, reverse(name)) for name in CHANGELISTS}
    make_rows(17, structure=structure, prescriber=prescriber, physiotherapist=physiotherapist)
    factories.UserFactory.create_batch(17, structure=structure)
    factories.StructureFactory.create_batch(5)
    many = {name: _count_queries(client, reverse(name)) for name in CHANGELISTS}
    for name in CHANGELISTS:
        (few_queries, few_rows), (many_queries, many_rows) = few[name], many[name]
        assert few_queries == many_queries, (
            f"{name}: {few_queries} queries for {few_rows} rows, {many_queries} for {many_rows}"
        )
        # session + user (2), the user's and the group's permissions when not a superuser (2),
        # count with the filters and without (2), the rows with their relations (1), the choices
        # of each relational filter and the date hierarchy (at most 5): never more than 12.
        assert many_queries <= 12, f"{name}: {many_queries} queries"
    assert many["admin:patients_patient_changelist"][1] >= 20


def test_every_changelist_has_rows_for_the_structure_admin(
    client, admin_of_structure, structure, prescriber, physiotherapist
):
    make_rows(2, structure=structure, prescriber=prescriber, physiotherapist=physiotherapist)
    client.force_login(admin_of_structure)
    for url_name in CHANGELISTS:
        response = client.get(reverse(url_name))
        assert response.status_code == 200, url_name
        assert response.context["cl"].result_count > 0, url_name


@pytest.mark.parametrize(
    "typed", ["helene", "HELENE", "hel", "Hélène", "dup hel", "12/03/1956", "1956-03-12"]
)
def test_patient_search_finds_helene_without_accents(client, superuser, structure, typed):
    helene = make_patient(structure, birth_name="Dupont", first_names="Hélène Marie")
    make_patient(structure, birth_name="Martin", first_names="Paul", birth_date="1970-01-01")
    client.force_login(superuser)
    response = client.get(reverse("admin:patients_patient_changelist"), {"q": typed})
    assert list(response.context["cl"].result_list) == [helene]


def test_two_keystrokes_find_a_patient_by_the_first_letters_of_the_name(
    client, superuser, structure
):
    dupont = make_patient(structure, birth_name="Dupont", first_names="Hélène")
    make_patient(structure, birth_name="Lefebvre", first_names="François")
    client.force_login(superuser)
    response = client.get(reverse("admin:patients_patient_changelist"), {"q": "du"})
    assert list(response.context["cl"].result_list) == [dupont]


def test_prescription_search_by_accent_free_patient_name_reference_and_rpps(
    client, superuser, issued_prescription, prescriber
):
    client.force_login(superuser)
    url = reverse("admin:prescriptions_prescription_changelist")
    reference = issued_prescription.reference
    for typed in ["helene", reference, reference.lower().replace("-", " "), prescriber.rpps]:
        response = client.get(url, {"q": typed})
        assert list(response.context["cl"].result_list) == [issued_prescription], typed
    response = client.get(url, {"q": "zorglub"})
    assert response.context["cl"].result_count == 0


def test_practitioner_search_ignores_accents_and_finds_by_rpps(client, superuser, structure):
    lefevre = factories.ApaTeacherFactory(username="sl", last_name="Lefèvre", structure=structure)
    doctor = factories.PhysicianFactory(username="doc", last_name="Martin", structure=structure)
    client.force_login(superuser)
    url = reverse("admin:practitioners_user_changelist")
    assert list(client.get(url, {"q": "lefevre"}).context["cl"].result_list) == [lefevre]
    assert list(client.get(url, {"q": doctor.rpps}).context["cl"].result_list) == [doctor]


def test_an_admin_of_another_structure_sees_nothing_of_this_one(
    client, admin_of_other_structure, structure, prescriber, physiotherapist, patient
):
    rows = make_rows(2, structure=structure, prescriber=prescriber, physiotherapist=physiotherapist)
    client.force_login(admin_of_other_structure)
    for url_name in CHANGELISTS[:4] + ["admin:patients_careteamgrant_changelist"]:
        response = client.get(reverse(url_name))
        assert response.status_code == 200
        assert response.context["cl"].result_count == 0, url_name
    users = client.get(reverse("admin:practitioners_user_changelist")).context["cl"].result_list
    assert prescriber not in users
    prescription = rows[0]
    for url in [
        reverse("admin:patients_patient_change", args=[patient.pk]),
        reverse("admin:prescriptions_prescription_change", args=[prescription.pk]),
        reverse("admin:prescriptions_renewal_change", args=[prescription.renewal.pk]),
        reverse("admin:practitioners_user_change", args=[prescriber.pk]),
        reverse("admin:practitioners_structure_change", args=[structure.pk]),
    ]:
        response = client.get(url)
        # The admin answers a missing object by a redirect to its index, saying it does not exist.
        assert response.status_code == 302, url
        assert response.url == reverse("admin:index")
    for url in [
        reverse("admin:patients_patient_history", args=[patient.pk]),
        reverse("admin:prescriptions_prescription_history", args=[prescription.pk]),
        reverse("admin:practitioners_user_history", args=[prescriber.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    export = client.get(reverse("admin:patients_patient_export"))
    assert b"".join(export.streaming_content).decode("utf-8-sig").count("\r\n") == 1  # header


def test_a_structure_admin_sees_the_patients_of_their_structure_only(
    client, admin_of_structure, patient, other_structure
):
    elsewhere = make_patient(other_structure, birth_name="Ailleurs")
    client.force_login(admin_of_structure)
    response = client.get(reverse("admin:patients_patient_changelist"))
    assert list(response.context["cl"].result_list) == [patient]
    assert elsewhere not in response.context["cl"].result_list
    page = client.get(reverse("admin:patients_patient_change", args=[patient.pk]))
    assert page.status_code == 200
    assert f"?patient={patient.pk}" in page.content.decode()  # « Qui a consulté ce dossier »


def test_a_staff_member_outside_the_group_cannot_use_the_admin_lists(client, structure):
    staff = factories.UserFactory(username="staff-only", structure=structure, is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:patients_patient_changelist")).status_code == 403


def test_the_structure_admin_group_is_made_by_migrate_with_view_only_on_clinical_records(db):
    group = Group.objects.get(name=STRUCTURE_ADMIN_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_prescription", "view_patient", "change_patient", "change_user"} <= codenames
    assert "view_readaudit" in codenames  # audit.admin scopes it to the structure
    assert not {"change_prescription", "delete_prescription", "delete_patient"} & codenames
    assert not any(c.startswith("delete_") for c in codenames)


def test_an_issued_prescription_is_read_only_in_the_admin(client, superuser, issued_prescription):
    """R-P4 (CSP D.1172-2): once issued, never edited in place, in the admin too."""
    client.force_login(superuser)
    url = reverse("admin:prescriptions_prescription_change", args=[issued_prescription.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert b'name="_save"' not in response.content
    assert issued_prescription.reference.encode() in response.content
    # The assessment is shown inline, read-only.
    assert "Modérées".encode() in response.content
    posted = client.post(url, {"duration_months": 6, "recommendations_text": "Autre chose"})
    assert posted.status_code == 403
    issued_prescription.refresh_from_db()
    assert issued_prescription.duration_months == 3
    assert issued_prescription.recommendations_text == "Marche nordique"


def test_a_draft_stays_editable_by_a_superuser_and_hidden_from_structure_admins(
    client, superuser, admin_of_structure, draft_prescription
):
    client.force_login(superuser)
    url = reverse("admin:prescriptions_prescription_change", args=[draft_prescription.pk])
    assert client.get(url).context["has_change_permission"] is True
    client.force_login(admin_of_structure)
    assert client.get(url).status_code == 302  # drafts are their prescriber's only


@pytest.mark.parametrize(
    "model", ["patients_patient", "prescriptions_prescription", "prescriptions_renewal"]
)
def test_no_clinical_record_can_be_deleted_from_the_admin(
    client, superuser, structure, prescriber, physiotherapist, model
):
    prescription = make_rows(
        1, structure=structure, prescriber=prescriber, physiotherapist=physiotherapist
    )[0]
    pk = {
        "patients_patient": prescription.patient_id,
        "prescriptions_prescription": prescription.pk,
        "prescriptions_renewal": prescription.renewal.pk,
    }[model]
    client.force_login(superuser)
    changelist = client.get(reverse(f"admin:{model}_changelist"))
    action_form = changelist.context["action_form"]  # None when the list has no action at all
    actions = [name for name, _ in action_form.fields["action"].choices] if action_form else []
    assert "delete_selected" not in actions
    assert client.get(reverse(f"admin:{model}_delete", args=[pk])).status_code == 403
    assert (
        client.post(reverse(f"admin:{model}_delete", args=[pk]), {"post": "yes"}).status_code == 403
    )
    assert Patient.objects.filter(pk=prescription.patient_id).exists()
    assert Prescription.objects.filter(pk=prescription.pk).exists()


def test_a_structure_admin_creates_accounts_in_their_structure_and_never_a_superuser(
    client, admin_of_structure, structure, other_structure
):
    client.force_login(admin_of_structure)
    response = client.post(
        reverse("admin:practitioners_user_add"),
        {
            "username": "nouveau",
            "usable_password": "true",
            "password1": "un-mot-de-passe-solide-42",
            "password2": "un-mot-de-passe-solide-42",
            "first_name": "Léa",
            "last_name": "Nouvelle",
            "email": "lea@example.org",
            "profession": Profession.APA_TEACHER,
            "specialty": "",
            "rpps": "",
            # Neither is in the form for a structure admin: both are ignored.
            "structure": other_structure.pk,
            "is_superuser": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(username="nouveau")
    assert created.structure == structure
    assert not created.is_superuser


def test_a_structure_admin_cannot_open_a_superuser_account_nor_grant_superuser(
    client, admin_of_structure, superuser, structure
):
    client.force_login(admin_of_structure)
    assert (
        client.get(reverse("admin:practitioners_user_change", args=[superuser.pk])).status_code
        == 302
    )
    colleague = factories.UserFactory(username="collegue-admin", structure=structure)
    page = client.get(reverse("admin:practitioners_user_change", args=[colleague.pk]))
    form = page.context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "structure" not in form.fields
    assert "user_permissions" not in form.fields
    assert list(form.fields["groups"].queryset) == list(admin_of_structure.groups.all())


# --- R-ID1: RPPS, 11 digits (hard) and the Luhn warning (confirmable) ------------------------
def _failing_luhn_rpps() -> str:
    rpps = "10001234566"
    assert not luhn_is_valid(rpps)
    return rpps


def _creation_data(**overrides) -> dict:
    data = {
        "username": "nouveau-medecin",
        "usable_password": "true",
        "password1": "un-mot-de-passe-solide-42",
        "password2": "un-mot-de-passe-solide-42",
        "first_name": "Paul",
        "last_name": "Nouveau",
        "email": "",
        "profession": Profession.PHYSICIAN,
        "specialty": "general_practice",
        "rpps": _failing_luhn_rpps(),
    }
    data.update(overrides)
    return data


def test_an_rpps_failing_the_luhn_check_needs_the_confirmation_box(db, structure):
    form = PractitionerCreationForm(data=_creation_data(structure=structure.pk))
    assert not form.is_valid()
    assert form.errors["rpps"] == [str(MSG_RPPS_LUHN)]
    confirmed = PractitionerCreationForm(
        data=_creation_data(structure=structure.pk, confirm_rpps="on")
    )
    assert confirmed.is_valid(), confirmed.errors


def test_an_rpps_of_ten_digits_is_refused_even_when_confirmed(db, structure):
    form = PractitionerCreationForm(
        data=_creation_data(structure=structure.pk, rpps="1000123456", confirm_rpps="on")
    )
    assert not form.is_valid()
    assert form.errors["rpps"] == [str(MSG_RPPS_FORMAT)]


def test_a_valid_luhn_rpps_needs_no_confirmation(db, structure):
    form = PractitionerCreationForm(data=_creation_data(structure=structure.pk, rpps="10001234565"))
    assert form.is_valid(), form.errors


def test_an_already_confirmed_rpps_does_not_block_other_changes(db, structure):
    user = factories.PhysicianFactory(
        username="luhn", structure=structure, rpps=_failing_luhn_rpps()
    )
    data = {
        "username": "luhn",
        "first_name": "Autre",
        "last_name": user.last_name,
        "email": "",
        "profession": Profession.PHYSICIAN,
        "specialty": "general_practice",
        "rpps": user.rpps,
        "structure": structure.pk,
        "is_active": "on",
        "date_joined_0": "01/01/2026",
        "date_joined_1": "10:00:00",
    }
    form = PractitionerChangeForm(data=data, instance=user)
    assert "rpps" not in form.errors


def test_the_luhn_warning_and_confirmation_through_the_admin_page(client, superuser, structure):
    client.force_login(superuser)
    url = reverse("admin:practitioners_user_add")
    page = client.post(url, _creation_data(structure=structure.pk))
    assert page.status_code == 200
    assert page.context["adminform"].form.errors["rpps"] == [str(MSG_RPPS_LUHN)]
    assert str(escape(MSG_RPPS_LUHN)) in page.content.decode()
    assert "Je confirme ce numéro RPPS" in page.content.decode()
    assert not User.objects.filter(username="nouveau-medecin").exists()
    saved = client.post(url, _creation_data(structure=structure.pk, confirm_rpps="on"))
    assert saved.status_code == 302
    assert User.objects.get(username="nouveau-medecin").rpps == _failing_luhn_rpps()


@pytest.mark.postgres
def test_the_folded_names_have_a_trigram_index_that_serves_the_search_on_postgresql(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
            ["patients_patient_search_name_trgm"],
        )
        assert "gin_trgm_ops" in cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = off")
    # Unordered: the name-order index (patients 0005) would otherwise serve the ORDER BY.
    plan = Patient.objects.filter(search_name__contains=" helene").order_by().explain()
    assert "patients_patient_search_name_trgm" in plan


def _patient_post(**overrides) -> dict:
    data = {
        "birth_name": "Nouvelle",
        "used_name": "",
        "first_names": "Éléonore",
        "birth_date": "12/03/1956",
        "sex": "F",
        "nir": "",
        "phone": "",
        "email": "",
        "address": "",
        "postal_code": "",
        "city": "",
        "situations": [],
        "ald_details": "",
        "other_risk_factor": "",
        "physician_in_charge": "",
        "prescriptions-TOTAL_FORMS": "0",
        "prescriptions-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_a_structure_admin_registers_a_patient_in_their_structure_with_a_checked_nir(
    client, admin_of_structure, structure, other_structure
):
    client.force_login(admin_of_structure)
    url = reverse("admin:patients_patient_add")
    refused = client.post(url, _patient_post(nir="2 56 03 69 123 001 00"))
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["nir"] == [str(MSG_NIR_KEY)]  # R-ID2
    saved = client.post(url, _patient_post(structure=other_structure.pk))
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    patient = Patient.objects.get(birth_name="Nouvelle")
    assert patient.structure == structure
    assert patient.created_by == admin_of_structure
    assert patient.search_name == "nouvelle eleonore"


def test_the_row_checkbox_written_without_a_template_is_djangos_own(patient, issued_prescription):
    """kernel.admin.CsvExportAdmin.action_checkbox (bench/RESULTS.md) keeps Django's markup,
    on which the admin's JavaScript (select all, counter) depends."""
    from django.contrib import admin
    from django.contrib.admin import ModelAdmin

    for obj in (patient, issued_prescription):
        model_admin = admin.site._registry[type(obj)]
        assert model_admin.action_checkbox(obj) == ModelAdmin.action_checkbox(model_admin, obj)


def test_the_admin_asks_to_name_the_other_risk_factor_as_the_services_do(
    client, admin_of_structure
):
    from patients.models import EligibilitySituation
    from patients.services import MSG_OTHER_RISK_FACTOR

    other = EligibilitySituation.objects.get(code="rf_other")
    client.force_login(admin_of_structure)
    url = reverse("admin:patients_patient_add")
    refused = client.post(url, _patient_post(situations=[other.pk], other_risk_factor="  "))
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert errors["other_risk_factor"] == [str(MSG_OTHER_RISK_FACTOR)]
    assert not Patient.objects.filter(birth_name="Nouvelle").exists()
    named = _patient_post(situations=[other.pk], other_risk_factor="Travail posté")
    saved = client.post(url, named)
    assert saved.status_code == 302
    assert Patient.objects.get(birth_name="Nouvelle").other_risk_factor == "Travail posté"


def test_the_admin_speaks_french_in_its_sections_lists_and_search_box(client, superuser):
    client.force_login(superuser)
    index = client.get(reverse("admin:index")).content.decode()
    for english in ("Axes", "Otp_Totp", "TOTP devices", "Task Results", "Tasks Database"):
        assert english not in index, english
    for french in ("Tentatives de connexion", "Double authentification", "Tâches de fond"):
        assert french in index, french
    page = client.get(reverse("admin:prescriptions_prescription_changelist")).content.decode()
    assert "<h1>Prescriptions</h1>" in page
    assert "Sélectionnez l" not in page
    assert '<label for="searchbar" class="search-label">' in page and "Rechercher</label>" in page


def _admin_form_data(response) -> dict:
    """What the change page would post back unchanged: the form's fields and the inlines'
    management forms."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
            continue
        if value is not None and not isinstance(value, bool | str | int):
            value = field.widget.format_value(value)
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            value = management[name].value()
            data[f"{inline.formset.prefix}-{name}"] = "" if value is None else value
    return data


def test_a_superuser_cannot_change_who_signs_a_draft_for_whom_nor_its_date_or_status(
    client, superuser, structure, outsider_physician, draft_prescription
):
    """R-P1, R-P4: prescriber, patient, dates and status of a draft are the services' only; a
    superuser who could set them would let another physician sign the draft, backdated."""
    other_physician = factories.PhysicianFactory(username="autre-medecin", structure=structure)
    other_patient = factories.PatientFactory(structure=structure)
    client.force_login(superuser)
    url = reverse("admin:prescriptions_prescription_change", args=[draft_prescription.pk])
    response = client.get(url)
    form = response.context["adminform"].form
    for name in ("patient", "prescriber", "prescribed_on", "start_date", "status"):
        assert name not in form.fields, name  # shown read-only, not as inputs
    data = _admin_form_data(response)
    data.update(
        {
            "prescriber": str(other_physician.pk),
            "patient": str(other_patient.pk),
            "prescribed_on": "01/01/2020",
            "start_date": "01/01/2020",
            "status": Prescription.Status.ISSUED,
            "recommendations_text": "Corrigé dans l'administration",
            "_save": "Enregistrer",
        }
    )
    posted = client.post(url, data)
    assert posted.status_code == 302, posted.context["adminform"].form.errors
    before = draft_prescription
    after = Prescription.objects.get(pk=draft_prescription.pk)
    assert after.recommendations_text == "Corrigé dans l'administration"  # the post was saved
    assert after.prescriber_id == before.prescriber_id
    assert after.patient_id == before.patient_id
    assert after.prescribed_on == before.prescribed_on
    assert after.start_date == before.start_date
    assert after.status == Prescription.Status.DRAFT


def test_every_admin_of_a_clinical_record_records_its_reads():
    """The admins whose pages show a patient's record, a prescription or a part of one call the
    read audit (kernel.admin.AuditedReadAdmin and the app's `record_read`); a new admin of such
    a model without it fails here."""
    from django.contrib import admin as django_admin

    from kernel.admin import AuditedReadAdmin
    from patients.models import CareTeamGrant
    from prescriptions.models import (
        LimitationAssessment,
        PrescriptionAccess,
        Renewal,
    )

    clinical = {Patient, CareTeamGrant, Prescription, LimitationAssessment, Renewal}
    clinical.add(PrescriptionAccess)
    from programmes.models import Attendance, Enrolment, FollowUp, Referral

    clinical |= {Referral, Enrolment, Attendance, FollowUp}
    for model in clinical:
        model_admin = django_admin.site._registry[model]
        assert isinstance(model_admin, AuditedReadAdmin), model.__name__
        assert type(model_admin).record_read is not AuditedReadAdmin.record_read, model.__name__
