"""Writes of patients. Each service validates (full_clean) then saves in one transaction, and
raises `ValidationError`s with a code and a French message written once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from practitioners.models import Structure, User

from . import rules
from .events import patient_updated
from .models import CareTeamGrant, EligibilitySituation, Patient

MSG_BIRTH_DATE = _("La date de naissance doit être comprise entre le 01/01/1900 et aujourd'hui.")
MSG_OTHER_RISK_FACTOR = _("Précisez l'autre facteur de risque.")
MSG_NO_STRUCTURE = _("Votre compte n'est rattaché à aucune structure : contactez l'administrateur.")


@dataclass(frozen=True, kw_only=True)
class PatientData:
    """What a person types about a patient: identity, contact details, eligibility (R-E1).

    Built by the patient form and the admin's, taken by `patient_create` / `patient_update`:
    the list of a patient's editable fields is this class's fields.
    """

    # In the order of the patient's form.
    birth_name: str
    used_name: str = ""
    first_names: str
    birth_date: date
    sex: str
    nir: str = ""
    physician_in_charge: User | None = None
    ald_details: str = ""
    other_risk_factor: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))

    @classmethod
    def of(cls, patient: Patient) -> PatientData:
        return cls(**{name: getattr(patient, name) for name in cls.field_names()})

    def apply_to(self, patient: Patient) -> None:
        for name in self.field_names():
            setattr(patient, name, getattr(self, name))


def patient_errors(
    patient: Patient, situations: Iterable[EligibilitySituation]
) -> dict[str, list[ValidationError]]:
    """Field errors of `patient` beyond the model's own validation (R-ID2, R-E1)."""
    errors: dict[str, list[ValidationError]] = {}
    if patient.nir:
        try:
            patient.nir = rules.nir_validate(patient.nir)
        except rules.NirError as exc:
            errors["nir"] = [
                ValidationError(rules.MSG_NIR_KEY, code="nir_key")
                if exc.reason == "key"
                else ValidationError(rules.MSG_NIR_FORMAT, code="nir_format")
            ]
        # Shown next to the field (the conditional unique constraint would report it globally).
        if (
            "nir" not in errors
            and Patient.objects.filter(nir=patient.nir).exclude(pk=patient.pk).exists()
        ):
            errors["nir"] = [ValidationError(rules.MSG_NIR_DUPLICATE, code="nir_duplicate")]
    if patient.birth_date and not rules.birth_date_is_plausible(
        patient.birth_date, today=timezone.localdate()
    ):
        errors["birth_date"] = [ValidationError(MSG_BIRTH_DATE, code="birth_date")]
    if rules.other_risk_factor_is_missing((s.code for s in situations), patient.other_risk_factor):
        errors["other_risk_factor"] = [
            ValidationError(MSG_OTHER_RISK_FACTOR, code="other_risk_factor")
        ]
    return errors


def _validate(patient: Patient, situations: list[EligibilitySituation]) -> None:
    errors = patient_errors(patient, situations)
    try:
        patient.full_clean(exclude=set(errors))
    except ValidationError as exc:
        for field, field_errors in exc.error_dict.items():
            errors.setdefault(field, []).extend(field_errors)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def patient_save(*, patient: Patient, situations: Iterable[EligibilitySituation]) -> Patient:
    """Validate and save `patient` as its caller filled it, with its situations (R-E1).

    The one path of every write of a patient (the pages' services below and the admin's form).
    Sends `events.patient_updated` once saved, in the transaction: the apps above keep their
    copies of the patient's structure in step (a superuser may move a patient to another
    structure; its prescriptions follow it).
    """
    chosen = list(situations)
    _validate(patient, chosen)
    adding = patient._state.adding
    patient.save()
    patient.situations.set(chosen)
    if not adding:
        patient_updated.send(sender=Patient, patient=patient)
    return patient


def patient_create(
    *,
    created_by: User,
    data: PatientData,
    situations: Iterable[EligibilitySituation] = (),
    structure: Structure | None = None,
) -> Patient:
    """Register a patient in `structure` (by default the creator's)."""
    structure = structure or created_by.structure
    if structure is None:
        raise ValidationError(MSG_NO_STRUCTURE, code="no_structure")
    patient = Patient(structure=structure, created_by=created_by)
    data.apply_to(patient)
    return patient_save(patient=patient, situations=situations)


def patient_update(
    *,
    patient: Patient,
    data: PatientData,
    situations: Iterable[EligibilitySituation] | None = None,
) -> Patient:
    """Change a patient's record (its situations too when given)."""
    data.apply_to(patient)
    return patient_save(
        patient=patient,
        situations=patient.situations.all() if situations is None else situations,
    )


def patient_lock(patient_id: Any) -> None:
    """Lock the patient's row until the end of the transaction: the writes of the apps above
    that must see each other for one patient (one post-cancer forfait at a time, the grants of
    a patient's group programmes) are done one after the other."""
    Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk").first()


def care_team_grant(
    *,
    patient: Patient,
    user: User,
    reason: str,
    granted_by: User | None = None,
) -> CareTeamGrant:
    """Add `user` to the patient's care team (idempotent; re-activates a revoked grant)."""
    grant, created = CareTeamGrant.objects.get_or_create(
        patient=patient, user=user, reason=reason, defaults={"granted_by": granted_by}
    )
    if not created and grant.revoked_at is not None:
        grant.revoked_at = None
        grant.save(update_fields=["revoked_at"])
    return grant


@transaction.atomic
def care_team_revoke(*, patient: Patient, user: User, reason: str) -> CareTeamGrant | None:
    """End `user`'s membership of the patient's care team for `reason` (need-to-know).

    Never deleted: `revoked_at` is set, the history keeps it; `care_team_grant` re-activates
    it. Returns the grant ended, or None when there was no active one."""
    grant = (
        CareTeamGrant.objects.select_for_update()
        .filter(patient=patient, user=user, reason=reason, revoked_at__isnull=True)
        .first()
    )
    if grant is None:
        return None
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])  # a save: the history keeps it
    return grant
