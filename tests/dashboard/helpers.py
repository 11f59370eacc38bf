"""Builders shared by the back-office tests (admin, exports, dashboard)."""

from datetime import date, timedelta

from django.utils import timezone

from dashboard.permissions import structure_admin_group
from patients.models import Patient
from practitioners.models import Structure, User
from prescriptions.models import Prescription
from tests import factories


def make_structure_admin(structure: Structure, username: str) -> User:
    """An is_staff admin of `structure`, in the group « Administrateurs de structure »."""
    user = factories.UserFactory(username=username, structure=structure, is_staff=True)
    user.groups.add(structure_admin_group())
    return user


def make_superuser(structure: Structure | None = None) -> User:
    return factories.UserFactory(
        username="super", structure=structure, is_staff=True, is_superuser=True
    )


def make_rows(
    n: int, *, structure: Structure, prescriber: User, physiotherapist: User | None = None
) -> list[Prescription]:
    """`n` patients with an issued prescription each, ending in about ten days; every other one
    renewed by `physiotherapist` (so that every admin list has rows with every relation)."""
    today = timezone.localdate()
    prescriptions = []
    for _ in range(n):
        patient = factories.PatientFactory(structure=structure, physician_in_charge=prescriber)
        prescription = factories.make_prescription(
            prescriber=prescriber,
            patient=patient,
            prescribed_on=today - timedelta(days=80),
            start_date=today - timedelta(days=80),
        )
        if physiotherapist is not None and len(prescriptions) % 2 == 0:
            factories.renew(prescription, physiotherapist, today=today)
        prescriptions.append(prescription)
    return prescriptions


def make_patient(structure: Structure, **fields) -> Patient:
    fields.setdefault("birth_date", date(1956, 3, 12))
    return factories.PatientFactory(structure=structure, **fields)
