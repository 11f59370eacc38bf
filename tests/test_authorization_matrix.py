"""The authorisation matrix: every URL of the project × every persona × method → status.

Deny by default, checked: `test_every_url_has_an_entry` fails when a URL is added without a row
here, so no page can be added unprotected. Each persona's requests run against one world of
real objects (a patient, an issued prescription, a draft, a renewal, a notification, an
orientation); every request is rolled back (savepoint), so a POST that writes does not change
what the next row sees. The second factor is enforced: the admin personas log in with it.

Statuses: 200 page, 302 redirect (anonymous: to the login page; a form that saved), 400 form
refused (nothing stored), 403 refused, 404 not visible (deny without telling it exists), 405
wrong method.
"""

import copy
import uuid
from datetime import timedelta

import django_otp
import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from dashboard.permissions import structure_admin_group
from notifications.models import Notification
from patients.models import CareTeamGrant
from patients.services import care_team_grant, patient_orient
from prescriptions.models import Renewal
from prescriptions.rules import add_months
from prescriptions.services import prescription_renew
from tests import factories

pytestmark = pytest.mark.django_db

PERSONAS = (
    "anonymous",  # not logged in
    "prescriber",  # physician of the patient's structure, who signed the prescriptions
    "outsider",  # physician of another structure
    "physio_granted",  # physiotherapist who looked the prescriptions up (LOOKUP grants)
    "physio",  # physiotherapist without any grant
    "apa",  # APA teacher the patient is oriented to
    "admin",  # admin staff of the patient's structure (group « Administrateurs de structure »)
    "other_admin",  # admin staff of another structure
    "superuser",
)

# (URL name, method, parameters, expected statuses in the order of PERSONAS)
# Parameters: "patient", "issued" (issued, renewable), "draft", "renewed" (renewed by the
# physiotherapist), "notification" (the prescriber's), "orientation" (the APA teacher's grant);
# "?patient" adds `?patient=<patient uuid>`.
MATRIX = [
    # url name                    method  params           ano pre out phG phy apa adm oad sup
    ("home",                      "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("login",                     "GET",  None,           "200 302 302 302 302 302 302 302 302"),
    ("login",                     "POST", None,           "200 302 302 302 302 302 302 302 302"),
    ("logout",                    "GET",  None,           "302 405 405 405 405 405 405 405 405"),
    ("logout",                    "POST", None,           "302 302 302 302 302 302 302 302 302"),
    ("security:account",          "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("security:otp_verify",       "GET",  None,           "302 302 302 302 302 302 302 302 302"),
    ("security:otp_verify",       "POST", None,           "302 302 302 302 302 302 302 302 302"),
    ("security:otp_setup",        "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("security:otp_setup",        "POST", None,           "302 400 400 400 400 400 400 400 400"),
    ("security:otp_disable",      "GET",  None,           "302 405 405 405 405 405 405 405 405"),
    ("security:otp_disable",      "POST", None,           "302 302 302 302 302 302 302 302 302"),
    ("patients:list",             "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("patients:list",             "POST", None,           "302 200 200 200 200 200 200 200 200"),
    ("patients:create",           "GET",  None,           "302 200 200 403 403 403 200 200 200"),
    ("patients:create",           "POST", None,           "302 200 200 403 403 403 200 200 200"),
    ("patients:detail",           "GET",  "patient",      "302 200 404 200 404 200 200 404 200"),
    ("patients:update",           "GET",  "patient",      "302 200 404 403 404 403 200 404 200"),
    ("patients:update",           "POST", "patient",      "302 200 404 403 404 403 200 404 200"),
    ("patients:supervised",       "GET",  None,           "302 403 403 200 200 200 403 403 403"),
    ("patients:orientation",      "GET",  "patient",      "302 200 404 403 404 403 200 404 200"),
    ("patients:orientation",      "POST", "patient",      "302 400 404 403 404 403 400 404 400"),
    ("patients:orientation_end",  "GET",  "orientation",  "302 405 405 405 405 405 405 405 405"),
    ("patients:orientation_end",  "POST", "orientation",  "302 302 404 403 404 403 302 404 302"),
    ("prescriptions:list",        "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("prescriptions:create",      "GET",  "?patient",     "302 200 404 403 404 403 403 404 403"),
    ("prescriptions:create",      "POST", "?patient",     "302 200 404 403 404 403 403 404 403"),
    ("prescriptions:detail",      "GET",  "issued",       "302 200 404 200 404 200 200 404 200"),
    ("prescriptions:detail",      "GET",  "draft",        "302 200 404 404 404 404 404 404 200"),
    ("prescriptions:update",      "GET",  "draft",        "302 200 404 404 404 404 404 404 403"),
    ("prescriptions:update",      "POST", "draft",        "302 200 404 404 404 404 404 404 403"),
    ("prescriptions:issue",       "GET",  "draft",        "302 405 405 405 405 405 405 405 405"),
    ("prescriptions:issue",       "POST", "draft",        "302 302 404 404 404 404 404 404 403"),
    ("prescriptions:cancel",      "GET",  "draft",        "302 405 405 405 405 405 405 405 405"),
    ("prescriptions:cancel",      "POST", "draft",        "302 302 404 404 404 404 404 404 403"),
    ("prescriptions:pdf",         "GET",  "issued",       "302 200 404 200 404 200 200 404 200"),
    ("prescriptions:pdf",         "GET",  "draft",        "302 404 404 404 404 404 404 404 404"),
    ("prescriptions:lookup",      "GET",  None,           "302 403 403 200 200 403 403 403 403"),
    ("prescriptions:lookup",      "POST", None,           "302 403 403 200 200 403 403 403 403"),
    ("prescriptions:renewal",     "GET",  "issued",       "302 403 404 200 404 403 403 404 403"),
    ("prescriptions:renewal",     "POST", "issued",       "302 403 404 200 404 403 403 404 403"),
    ("prescriptions:changes",     "GET",  "renewed",      "302 200 404 200 404 200 200 404 200"),
    ("prescriptions:changes",     "GET",  "issued",       "302 404 404 404 404 404 404 404 404"),
    ("notifications:inbox",       "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("notifications:open",        "GET",  "notification", "302 302 404 404 404 404 404 404 404"),
    ("notifications:read_all",    "GET",  None,           "302 405 405 405 405 405 405 405 405"),
    ("notifications:read_all",    "POST", None,           "302 302 302 302 302 302 302 302 302"),
    ("dashboard:index",           "GET",  None,           "302 200 200 403 403 403 200 200 200"),
    # The Django admin (its own URLs are not walked): a few entry points.
    ("admin:index",               "GET",  None,           "302 302 302 302 302 302 200 200 200"),
    ("admin:patients_patient_changelist", "GET",  None,           "302 302 302 302 302 302 200 200 200"),  # noqa: E501
    ("admin:patients_patient_change", "GET",  "patient",      "302 302 302 302 302 302 200 302 200"),  # noqa: E501
    ("admin:prescriptions_prescription_change", "GET",  "issued",       "302 302 302 302 302 302 200 302 200"),  # noqa: E501
    ("admin:audit_readaudit_changelist", "GET",  None,           "302 302 302 302 302 302 200 200 200"),  # noqa: E501
    ("admin:practitioners_user_changelist", "GET",  None,           "302 302 302 302 302 302 200 200 200"),  # noqa: E501
]  # fmt: skip

ADMIN_NAMESPACE = "admin"


# --- The world --------------------------------------------------------------------------------
def _ending_in(days: int) -> dict:
    today = timezone.localdate()
    start = add_months(today + timedelta(days=days + 1), -3)
    return {"prescribed_on": start, "start_date": start, "duration_months": 3}


@pytest.fixture
def world(structure, other_structure, prescriber, outsider_physician, patient):
    physio_granted = factories.PhysiotherapistFactory(username="kine", structure=other_structure)
    physio = factories.PhysiotherapistFactory(username="kine-sans-acces", structure=other_structure)
    apa = factories.ApaTeacherFactory(username="enseignant", structure=structure)
    audit_view = Permission.objects.get(codename="view_readaudit")
    admins = {}
    for name, where in (("admin", structure), ("other_admin", other_structure)):
        user = factories.UserFactory(username=f"matrix-{name}", structure=where, is_staff=True)
        user.groups.add(structure_admin_group())
        # « Qui a consulté ce dossier » (audit.admin): the group should carry this permission.
        user.user_permissions.add(audit_view)
        admins[name] = user
    superuser = factories.UserFactory(
        username="racine", structure=None, is_staff=True, is_superuser=True
    )
    issued = factories.make_prescription(prescriber=prescriber, patient=patient, **_ending_in(10))
    renewed = factories.make_prescription(prescriber=prescriber, patient=patient, **_ending_in(5))
    draft = factories.make_prescription(prescriber=prescriber, patient=patient, issue=False)
    for prescription in (issued, renewed):
        care_team_grant(
            patient=patient,
            user=physio_granted,
            reason=CareTeamGrant.Reason.LOOKUP,
            prescription=prescription,
        )
    prescription_renew(
        prescription=renewed,
        physiotherapist=physio_granted,
        kind=Renewal.Kind.RENEWAL,
        duration_months=3,
        patient_agreement=True,
        no_risk_attestation=True,
    )
    orientation = patient_orient(patient=patient, professional=apa, by=prescriber)
    users = {
        "prescriber": prescriber,
        "outsider": outsider_physician,
        "physio_granted": physio_granted,
        "physio": physio,
        "apa": apa,
        "superuser": superuser,
        **admins,
    }
    objects = {
        "patient": patient,
        "issued": issued,
        "draft": draft,
        "renewed": renewed,
        "notification": Notification.objects.get(recipient=prescriber),
        "orientation": orientation,
    }
    return users, objects


def _url(name: str, params: str | None, objects: dict) -> str:
    if params is None:
        return reverse(name)
    if params == "?patient":
        return f"{reverse(name)}?patient={objects['patient'].pk}"
    obj = objects[params]
    if name.startswith(f"{ADMIN_NAMESPACE}:"):
        return reverse(name, args=[obj.pk])
    if params == "orientation":
        return reverse(name, kwargs={"pk": obj.patient_id, "grant_id": obj.pk})
    return reverse(name, kwargs={"pk": obj.pk})


def _log_in(client, user) -> None:
    client.force_login(user)
    if user.is_staff or user.is_superuser or user.is_admin_staff:
        # The second factor, as the OTP page would record it.
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


# --- The tests -----------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_authorisation_matrix(client, world, persona, otp_enforced):
    users, objects = world
    column = PERSONAS.index(persona)
    if persona != "anonymous":
        _log_in(client, users[persona])
    mismatches = []
    for name, method, params, statuses in MATRIX:
        expected = int(statuses.split()[column])
        url = _url(name, params, objects)
        savepoint, cookies = transaction.savepoint(), copy.deepcopy(client.cookies)
        try:
            response = client.get(url) if method == "GET" else client.post(url, {})
        finally:
            # Undo the request's writes, and its cookies (a log-out, a new session).
            transaction.savepoint_rollback(savepoint)
            client.cookies = cookies
        if response.status_code != expected:
            mismatches.append(f"{method} {name} [{params}]: {response.status_code}, not {expected}")
        elif persona == "anonymous" and expected == 302 and name not in ("logout",):
            target = response.headers["Location"]
            if not target.startswith((reverse("login"), reverse("admin:login"))):
                mismatches.append(f"{method} {name}: anonymous sent to {target}")
    assert mismatches == [], "\n".join(mismatches)


def _project_url_names(patterns=None, namespace: str | None = None) -> set[str]:
    names = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            if inner == ADMIN_NAMESPACE:
                continue  # the Django admin's own URLs: entry points listed explicitly
            names |= _project_url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"an unnamed URL cannot be in the matrix: {pattern.pattern}"
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_url_has_an_entry():
    """A new URL without a row in MATRIX fails here: add the row with the expected statuses."""
    in_matrix = {name for name, *_ in MATRIX}
    missing = _project_url_names() - in_matrix
    assert not missing, f"URLs without an entry in the authorisation matrix: {sorted(missing)}"


def test_every_entry_is_a_url_and_has_a_status_per_persona():
    project = _project_url_names()
    for name, method, params, statuses in MATRIX:
        if name.startswith(f"{ADMIN_NAMESPACE}:"):
            reverse(name, args=[uuid.uuid4()] if params else None)  # exists in the admin
        else:
            assert name in project, f"stale entry: {name}"
        assert method in ("GET", "POST")
        assert len(statuses.split()) == len(PERSONAS), name
