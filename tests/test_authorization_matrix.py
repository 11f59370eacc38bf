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

from bilans.services import exit_bilan_save
from dashboard.permissions import structure_admin_group
from dispensing.services import patient_orient
from notifications.models import Notification
from patients.models import CareTeamGrant
from prescriptions.models import PrescriptionAccess, Renewal
from prescriptions.rules import add_months
from prescriptions.services import prescription_renew
from programmes.services import enrolment_create, referral_send
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
# "entry", "report" (signed, shared with the physicians), "exit" (a draft) are the APA teacher's;
# "?patient" adds `?patient=<patient uuid>`; "reset-link" is a password reset link (not valid).
MATRIX = [
    # url name                    method  params           ano pre out phG phy apa adm oad sup
    ("home",                      "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("login",                     "GET",  None,           "200 302 302 302 302 302 302 302 302"),
    ("login",                     "POST", None,           "200 302 302 302 302 302 302 302 302"),
    ("logout",                    "GET",  None,           "302 405 405 405 405 405 405 405 405"),
    ("healthz",                   "GET",  None,           "200 200 200 200 200 200 200 200 200"),
    ("healthz",                   "POST", None,           "405 405 405 405 405 405 405 405 405"),
    ("logout",                    "POST", None,           "302 302 302 302 302 302 302 302 302"),
    ("security:account",          "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("security:otp_verify",       "GET",  None,           "302 302 302 302 302 302 302 302 302"),
    ("security:otp_verify",       "POST", None,           "302 302 302 302 302 302 302 302 302"),
    ("security:otp_setup",        "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("security:otp_setup",        "POST", None,           "302 400 400 400 400 400 400 400 400"),
    ("security:otp_disable",      "GET",  None,           "302 405 405 405 405 405 405 405 405"),
    ("security:otp_disable",      "POST", None,           "302 302 302 302 302 302 302 302 302"),
    ("security:password_change",  "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("security:password_change",  "POST", None,           "302 200 200 200 200 200 200 200 200"),
    ("security:password_reset",   "GET",  None,           "200 200 200 200 200 200 200 200 200"),
    ("security:password_reset",   "POST", None,           "200 200 200 200 200 200 200 200 200"),
    ("security:password_reset_done", "GET", None,         "200 200 200 200 200 200 200 200 200"),
    ("security:password_reset_confirm", "GET",  "reset-link", "200 200 200 200 200 200 200 200 200"),  # noqa: E501
    ("security:password_reset_confirm", "POST", "reset-link", "200 200 200 200 200 200 200 200 200"),  # noqa: E501
    ("security:password_reset_complete", "GET", None,     "200 200 200 200 200 200 200 200 200"),
    ("patients:list",             "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("patients:list",             "POST", None,           "302 200 200 200 200 200 200 200 200"),
    ("patients:create",           "GET",  None,           "302 200 200 403 403 403 200 200 200"),
    ("patients:create",           "POST", None,           "302 200 200 403 403 403 200 200 200"),
    ("patients:detail",           "GET",  "patient",      "302 200 404 200 404 200 200 404 200"),
    ("patients:update",           "GET",  "patient",      "302 200 404 403 404 403 200 404 200"),
    ("patients:update",           "POST", "patient",      "302 200 404 403 404 403 200 404 200"),
    ("dispensing:supervised",       "GET",  None,           "302 403 403 200 200 200 403 403 403"),
    ("dispensing:orientation",      "GET",  "patient",      "302 200 404 403 404 403 200 404 200"),
    ("dispensing:orientation",      "POST", "patient",      "302 400 404 403 404 403 400 404 400"),
    ("dispensing:orientation_end",  "GET",  "orientation",  "302 405 405 405 405 405 405 405 405"),
    ("dispensing:orientation_end",  "POST", "orientation",  "302 302 404 403 404 403 302 404 302"),
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
    # Public: anyone holding a printed form checks it (no name, no health data in the answer).
    ("verify",                    "GET",  None,           "200 200 200 200 200 200 200 200 200"),
    ("verify",                    "POST", None,           "200 200 200 200 200 200 200 200 200"),
    ("prescriptions:renewal",     "GET",  "issued",       "302 403 404 200 404 403 403 404 403"),
    ("prescriptions:renewal",     "POST", "issued",       "302 403 404 200 404 403 403 404 403"),
    ("prescriptions:changes",     "GET",  "renewed",      "302 200 404 200 404 200 200 404 200"),
    ("prescriptions:changes",     "GET",  "issued",       "302 404 404 404 404 404 404 404 404"),
    ("prescriptions:changes_read", "GET", "renewed",      "302 405 405 405 405 405 405 405 405"),
    ("prescriptions:changes_read", "POST", "renewed",     "302 302 404 403 404 403 403 404 403"),
    ("prescriptions:access_end",  "GET",  "access",       "302 405 405 405 405 405 405 405 405"),
    ("prescriptions:access_end",  "POST", "access",       "302 302 404 403 404 403 302 404 302"),
    ("bilans:patient",            "GET",  "patient",      "302 200 404 403 404 200 403 404 403"),
    ("bilans:entry_create",       "GET",  "patient",      "302 403 404 403 404 200 403 404 403"),
    ("bilans:entry_create",       "POST", "patient",      "302 403 404 403 404 400 403 404 403"),
    ("bilans:report_create",      "GET",  "patient",      "302 403 404 403 404 200 403 404 403"),
    ("bilans:report_create",      "POST", "patient",      "302 403 404 403 404 400 403 404 403"),
    ("bilans:entry_detail",       "GET",  "entry",        "302 200 404 403 404 200 403 404 403"),
    ("bilans:entry_update",       "GET",  "entry",        "302 403 404 403 404 403 403 404 403"),
    ("bilans:entry_update",       "POST", "entry",        "302 403 404 403 404 403 403 404 403"),
    ("bilans:entry_pdf",          "GET",  "entry",        "302 200 404 403 404 200 403 404 403"),
    ("bilans:report_pdf",         "GET",  "report",       "302 200 404 403 404 200 403 404 403"),
    ("bilans:exit_pdf",           "GET",  "exit",         "302 404 404 404 404 404 404 404 404"),
    ("bilans:entry_sign",         "GET",  "entry",        "302 405 405 405 405 405 405 405 405"),
    ("bilans:entry_sign",         "POST", "entry",        "302 403 404 403 404 403 403 404 403"),
    ("bilans:exit_create",        "GET",  "entry",        "302 403 404 403 404 200 403 404 403"),
    ("bilans:exit_create",        "POST", "entry",        "302 403 404 403 404 400 403 404 403"),
    ("bilans:report_detail",      "GET",  "report",       "302 200 404 403 404 200 403 404 403"),
    ("bilans:exit_detail",        "GET",  "exit",         "302 403 404 403 404 200 403 404 403"),
    ("bilans:exit_update",        "GET",  "exit",         "302 403 404 403 404 200 403 404 403"),
    ("bilans:exit_update",        "POST", "exit",         "302 403 404 403 404 302 403 404 403"),
    ("bilans:exit_sign",          "GET",  "exit",         "302 405 405 405 405 405 405 405 405"),
    ("bilans:exit_sign",          "POST", "exit",         "302 403 404 403 404 302 403 404 403"),
    # The post-cancer pathway: the patient's structure is conventioned and delivers it (its APA
    # teacher and its admin staff book); the prescriber is the médecin traitant (R-C1).
    ("pathway:episode_create",    "GET",  "patient",      "302 200 404 403 404 403 403 404 403"),
    ("pathway:episode_create",    "POST", "patient",      "302 400 404 403 404 403 403 404 403"),
    ("pathway:pathway_create",    "GET",  "episode",      "302 200 404 403 404 403 403 404 403"),
    ("pathway:pathway_create",    "POST", "episode",      "302 400 404 403 404 403 403 404 403"),
    ("pathway:detail",            "GET",  "pathway",      "302 200 404 404 404 200 200 404 404"),
    ("pathway:pdf",               "GET",  "pathway",      "302 200 404 404 404 200 200 404 404"),
    ("pathway:booking_create",    "GET",  "pathway",      "302 405 405 405 405 405 405 405 405"),
    ("pathway:booking_create",    "POST", "pathway",      "302 403 404 404 404 400 400 404 404"),
    ("pathway:booking_mark",      "GET",  "booking",      "302 405 405 405 405 405 405 405 405"),
    ("pathway:booking_mark",      "POST", "booking",      "302 403 404 404 404 400 400 404 404"),
    ("pathway:statements",        "GET",  None,           "302 403 403 200 200 200 200 200 403"),
    ("pathway:ars_export",        "GET",  None,           "302 403 403 403 403 403 200 200 403"),
    ("notifications:inbox",       "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("notifications:open",        "GET",  "notification", "302 302 404 404 404 404 404 404 404"),
    ("notifications:open",        "POST", "notification", "302 405 405 405 405 405 405 405 405"),
    ("notifications:read",        "GET",  "notification", "302 405 405 405 405 405 405 405 405"),
    ("notifications:read",        "POST", "notification", "302 302 404 404 404 404 404 404 404"),
    ("notifications:read_all",    "GET",  None,           "302 405 405 405 405 405 405 405 405"),
    ("notifications:read_all",    "POST", None,           "302 302 302 302 302 302 302 302 302"),
    # Group programmes: "offer" (of the patient's structure, supervised by the APA teacher),
    # "referral" (the patient's, accepted by the enrolment), "enrolment", "session", "follow_up".
    ("programmes:mine",           "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("programmes:my_calendar",    "GET",  None,           "302 200 200 200 200 200 200 200 200"),
    ("programmes:import",         "GET",  None,           "302 403 403 403 403 403 200 200 403"),
    ("programmes:import",         "POST", None,           "302 403 403 403 403 403 400 400 403"),
    ("programmes:patient_directory", "GET",  "patient",   "302 200 404 403 404 403 200 404 200"),
    ("programmes:patient_directory", "POST", "patient",   "302 302 404 403 404 403 302 404 302"),
    ("programmes:patient_calendar", "GET",  "patient",    "302 200 404 200 404 200 200 404 200"),
    ("programmes:offer",          "GET",  "offer",        "302 404 404 404 404 200 200 404 200"),
    # Publishing: a structure's admin staff, for its own structure (a superuser has none);
    # changing: the admin staff of the offer's structure (its supervisor runs it: 403).
    ("programmes:offer_create",   "GET",  None,           "302 403 403 403 403 403 200 200 403"),
    ("programmes:offer_create",   "POST", None,           "302 403 403 403 403 403 400 400 403"),
    ("programmes:offer_edit",     "GET",  "offer",        "302 404 404 404 404 403 200 404 200"),
    ("programmes:offer_edit",     "POST", "offer",        "302 404 404 404 404 403 400 404 400"),
    ("programmes:referral_decision", "GET",  "referral",  "302 405 405 405 405 405 405 405 405"),
    ("programmes:referral_decision", "POST", "referral",  "302 404 404 404 404 302 302 404 302"),
    ("programmes:enrol",          "GET",  "referral",     "302 405 405 405 405 405 405 405 405"),
    ("programmes:enrol",          "POST", "referral",     "302 404 404 404 404 302 302 404 302"),
    ("programmes:enrolment_end",  "GET",  "enrolment",    "302 405 405 405 405 405 405 405 405"),
    ("programmes:enrolment_end",  "POST", "enrolment",    "302 404 404 404 404 302 302 404 302"),
    ("programmes:roll_call",      "GET",  "session",      "302 404 404 404 404 200 200 404 200"),
    ("programmes:roll_call",      "POST", "session",      "302 404 404 404 404 302 302 404 302"),
    ("programmes:session_cancel", "GET",  "session",      "302 405 405 405 405 405 405 405 405"),
    ("programmes:session_cancel", "POST", "session",      "302 404 404 404 404 302 302 404 302"),
    ("programmes:follow_up",      "GET",  "follow_up",    "302 404 404 404 404 200 200 404 200"),
    ("programmes:follow_up",      "POST", "follow_up",    "302 404 404 404 404 400 400 404 400"),
    ("dashboard:index",           "GET",  None,           "302 200 200 403 403 403 200 200 200"),
    # The Django admin (its own URLs are not walked): a few entry points.
    ("admin:index",               "GET",  None,           "302 302 302 302 302 302 200 200 200"),
    ("admin:patients_patient_changelist", "GET",  None,           "302 302 302 302 302 302 200 200 200"),  # noqa: E501
    ("admin:patients_patient_change", "GET",  "patient",      "302 302 302 302 302 302 200 302 200"),  # noqa: E501
    ("admin:prescriptions_prescription_change", "GET",  "issued",       "302 302 302 302 302 302 200 302 200"),  # noqa: E501
    ("admin:patients_patient_history", "GET",  "patient",      "302 302 302 302 302 302 200 404 200"),  # noqa: E501
    ("admin:patients_patient_simple_history", "GET",  "patient-version", "302 302 302 302 302 302 200 404 200"),  # noqa: E501
    ("admin:prescriptions_prescription_changelist", "GET",  None,           "302 302 302 302 302 302 200 200 200"),  # noqa: E501
    ("admin:prescriptions_prescription_history", "GET",  "issued",       "302 302 302 302 302 302 200 404 200"),  # noqa: E501
    ("admin:prescriptions_prescription_simple_history", "GET",  "issued-version", "302 302 302 302 302 302 200 404 200"),  # noqa: E501
    ("admin:prescriptions_prescription_change", "GET",  "draft",        "302 302 302 302 302 302 302 302 200"),  # noqa: E501
    ("admin:prescriptions_renewal_change", "GET",  "renewal",      "302 302 302 302 302 302 200 302 200"),  # noqa: E501
    ("admin:prescriptions_limitationassessment_change", "GET",  "assessment",   "302 302 302 302 302 302 200 302 200"),  # noqa: E501
    ("admin:patients_careteamgrant_change", "GET",  "grant",        "302 302 302 302 302 302 200 302 200"),  # noqa: E501
    ("admin:prescriptions_prescriptionaccess_change", "GET",  "access",       "302 302 302 302 302 302 403 403 200"),  # noqa: E501
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
        factories.look_up(prescription, physio_granted)
    prescription_renew(
        prescription=renewed,
        physiotherapist=physio_granted,
        kind=Renewal.Kind.RENEWAL,
        duration_months=3,
        patient_agreement=True,
        no_risk_attestation=True,
    )
    orientation = patient_orient(patient=patient, professional=apa, by=prescriber)
    # The bilans (CSP D.1172-5): a signed entry bilan and a compte rendu the patient agreed to
    # send (R-B4), and the exit bilan's draft.
    entry = factories.make_entry_bilan(patient, apa)
    report = factories.make_report(patient, apa)
    exit_draft = exit_bilan_save(entry=entry, author=apa, values=factories.bilan_values())
    # The post-cancer pathway (R-C1 to R-C3), delivered by the patient's structure.
    episode, pathway, booking = factories.make_pathway(
        patient, prescriber=prescriber, structure=structure, professional=apa, by=admins["admin"]
    )
    offer = factories.make_offer(structure=structure, supervisors=[apa])
    referral = referral_send(prescription=issued, offer=offer, by=prescriber)
    enrolment = enrolment_create(referral=referral, goals="Marcher", by=admins["admin"])
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
        "notification": Notification.objects.get(recipient=prescriber, renewal__isnull=False),
        "orientation": orientation,
        "renewal": renewed.renewal,
        "assessment": issued.assessment,
        "grant": CareTeamGrant.objects.get(user=physio_granted, reason=CareTeamGrant.Reason.LOOKUP),
        "access": PrescriptionAccess.objects.get(user=physio_granted, prescription=issued),
        "entry": entry,
        "report": report,
        "exit": exit_draft,
        "episode": episode,
        "pathway": pathway,
        "booking": booking,
        "offer": offer,
        "referral": referral,
        "enrolment": enrolment,
        "session": offer.sessions.first(),
        "follow_up": enrolment.follow_ups.first(),
    }
    return users, objects


def _url(name: str, params: str | None, objects: dict) -> str:
    if params is None:
        return reverse(name)
    if params == "?patient":
        return f"{reverse(name)}?patient={objects['patient'].pk}"
    if params == "reset-link":
        return reverse(name, kwargs={"uidb64": "MQ", "token": "jeton-invalide"})
    if params.endswith("-version"):  # a past version's page in the admin
        obj = objects[params.removesuffix("-version")]
        return reverse(name, args=[obj.pk, obj.history.earliest("history_date").history_id])
    obj = objects[params]
    if name.startswith(f"{ADMIN_NAMESPACE}:"):
        return reverse(name, args=[obj.pk])
    if params == "orientation":
        return reverse(name, kwargs={"pk": obj.patient_id, "grant_id": obj.pk})
    if params == "access":
        return reverse(name, kwargs={"pk": obj.prescription_id, "access_id": obj.pk})
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
            args = [uuid.uuid4(), 1] if params and params.endswith("-version") else [uuid.uuid4()]
            reverse(name, args=args if params else None)  # exists in the admin
        else:
            assert name in project, f"stale entry: {name}"
        assert method in ("GET", "POST")
        assert len(statuses.split()) == len(PERSONAS), name


# Pages that show a clinical record without being one to audit: none so far. A page added with a
# record in its URL must record its read (audit.services.audit_read) or be listed here with why.
# The Django admin's pages too (kernel.admin.AuditedReadAdmin): change, history, past version.
RECORD_PARAMS = (
    "patient",
    "issued",
    "draft",
    "renewed",
    "?patient",
    "renewal",
    "assessment",
    "grant",
    "access",
    "patient-version",
    "issued-version",
    "entry",
    "report",
    "exit",
    "episode",
    "pathway",
    "follow_up",
)


@pytest.mark.parametrize(
    "persona", ["prescriber", "physio_granted", "apa", "admin", "other_admin", "superuser"]
)
def test_every_page_that_shows_a_record_records_the_read(client, world, persona, otp_enforced):
    """The read audit is written by one helper (audit.services.audit_read), called by the views
    and by the admins of clinical records: a page that shows a record without recording the read
    once, or records it twice, fails here."""
    from audit.models import ReadAudit

    users, objects = world
    column = PERSONAS.index(persona)
    _log_in(client, users[persona])
    unaudited, checked = [], []
    for name, method, params, statuses in MATRIX:
        shown = method == "GET" and params in RECORD_PARAMS
        if not shown or statuses.split()[column] != "200":
            continue
        before = ReadAudit.objects.count()
        response = client.get(_url(name, params, objects))
        assert response.status_code == 200, name
        recorded = list(ReadAudit.objects.order_by("-id")[: ReadAudit.objects.count() - before])
        if len(recorded) != 1 or recorded[0].user_id != users[persona].pk:
            unaudited.append(f"{name} [{params}]: {len(recorded)} entries")
        elif recorded[0].patient_id != objects["patient"].pk:
            unaudited.append(f"{name} [{params}]: not the patient's record")
        checked.append(name)
    assert unaudited == []
    if persona in ("admin", "superuser"):
        assert any(name.startswith(f"{ADMIN_NAMESPACE}:") for name in checked)


@pytest.mark.parametrize(
    "persona", ["prescriber", "physio_granted", "apa", "admin", "other_admin", "superuser"]
)
def test_every_page_that_names_a_patient_records_one_read_naming_them(
    client, world, persona, otp_enforced
):
    """Any page of the matrix that is not a record's own page (those are checked above) and
    shows the patient's name (a list, a search, a home page, the dashboard, the inbox...)
    records one read for the page, naming the patient; an export records one export entry; a
    page that shows no patient records nothing. No list to keep: a new page that names a
    patient without recording the read fails here."""
    from audit.models import ReadAudit

    users, objects = world
    patient = objects["patient"]
    column = PERSONAS.index(persona)
    _log_in(client, users[persona])
    checked = []
    for name, method, params, statuses in MATRIX:
        if method != "GET" or params in RECORD_PARAMS or statuses.split()[column] != "200":
            continue
        before = ReadAudit.objects.count()
        response = client.get(_url(name, params, objects))
        assert response.status_code == 200, name
        body = b"".join(response.streaming_content) if response.streaming else response.content
        recorded = list(ReadAudit.objects.order_by("-id")[: ReadAudit.objects.count() - before])
        if [r.action for r in recorded] == [ReadAudit.Action.EXPORT]:
            continue  # an export is recorded whatever it holds, naming no patient (audit.services)
        if patient.birth_name.upper() in body.decode().upper():
            assert len(recorded) == 1, name
            assert recorded[0].action == ReadAudit.Action.PATIENT_LIST, name
            assert str(patient.pk) in recorded[0].patient_ids.split(), name
            checked.append(name)
        else:  # nothing named, nothing recorded
            assert recorded == [], name
    if persona != "other_admin":
        assert "home" in checked or persona in ("admin", "superuser"), checked
        assert len(checked) >= 2, checked
