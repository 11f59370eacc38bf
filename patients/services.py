"""Writes of patients. Each service validates (full_clean) then saves in one transaction."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from practitioners.models import User

from . import rules
from .models import CareTeamGrant, EligibilitySituation, Patient

MSG_NIR_KEY = _(
    "La clé du NIR est incorrecte : vérifiez les 15 caractères (clé = 97 − reste de la "
    "division des 13 premiers chiffres par 97)."
)
MSG_NIR_FORMAT = _(
    "Le NIR doit comporter 15 caractères : sexe, année, mois, département (2A/2B pour la "
    "Corse), commune, ordre et clé."
)
MSG_BIRTH_DATE = _("La date de naissance doit être comprise entre le 01/01/1900 et aujourd'hui.")
MSG_OTHER_RISK_FACTOR = _("Précisez l'autre facteur de risque.")
MSG_NO_STRUCTURE = _("Votre compte n'est rattaché à aucune structure : contactez l'administrateur.")

PATIENT_FIELDS = frozenset(
    {
        "birth_name",
        "first_names",
        "used_name",
        "birth_date",
        "sex",
        "nir",
        "phone",
        "email",
        "address",
        "postal_code",
        "city",
        "ald_details",
        "other_risk_factor",
        "physician_in_charge",
    }
)
OTHER_RISK_FACTOR_CODE = "rf_other"


def _validate(patient: Patient, situations: list[EligibilitySituation]) -> None:
    errors: dict[str, list] = {}
    if patient.nir:
        try:
            patient.nir = rules.nir_validate(patient.nir)
        except rules.NirError as exc:
            errors["nir"] = [MSG_NIR_KEY if exc.reason == "key" else MSG_NIR_FORMAT]
    if patient.birth_date and not rules.birth_date_is_plausible(
        patient.birth_date, today=timezone.localdate()
    ):
        errors["birth_date"] = [MSG_BIRTH_DATE]
    if any(s.code == OTHER_RISK_FACTOR_CODE for s in situations) and not (
        patient.other_risk_factor.strip()
    ):
        errors["other_risk_factor"] = [MSG_OTHER_RISK_FACTOR]
    try:
        patient.full_clean(exclude=set(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def patient_create(
    *,
    created_by: User,
    situations: Iterable[EligibilitySituation] = (),
    structure=None,
    **fields: Any,
) -> Patient:
    """Register a patient in `structure` (by default the creator's)."""
    unknown = set(fields) - PATIENT_FIELDS
    if unknown:
        raise TypeError(f"Unknown patient fields: {sorted(unknown)}")
    structure = structure or created_by.structure
    if structure is None:
        raise ValidationError(MSG_NO_STRUCTURE)
    situations = list(situations)
    patient = Patient(structure=structure, created_by=created_by, **fields)
    _validate(patient, situations)
    patient.save()
    patient.situations.set(situations)
    return patient


@transaction.atomic
def patient_update(
    *, patient: Patient, situations: Iterable[EligibilitySituation] | None = None, **fields: Any
) -> Patient:
    unknown = set(fields) - PATIENT_FIELDS
    if unknown:
        raise TypeError(f"Unknown patient fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(patient, name, value)
    situations = list(patient.situations.all() if situations is None else situations)
    _validate(patient, situations)
    patient.save()
    patient.situations.set(situations)
    return patient


def care_team_grant(
    *,
    patient: Patient,
    user: User,
    reason: str,
    granted_by: User | None = None,
    prescription=None,
) -> CareTeamGrant:
    """Add `user` to the patient's care team (idempotent; re-activates a revoked grant)."""
    grant, created = CareTeamGrant.objects.get_or_create(
        patient=patient,
        user=user,
        reason=reason,
        prescription=prescription,
        defaults={"granted_by": granted_by},
    )
    if not created and grant.revoked_at is not None:
        grant.revoked_at = None
        grant.save(update_fields=["revoked_at"])
    return grant
