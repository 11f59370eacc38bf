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
MSG_NIR_DUPLICATE = _("Un patient avec ce NIR existe déjà.")
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


def _validate(patient: Patient, situations: list[EligibilitySituation]) -> None:
    errors: dict[str, list] = {}
    if patient.nir:
        try:
            patient.nir = rules.nir_validate(patient.nir)
        except rules.NirError as exc:
            errors["nir"] = [MSG_NIR_KEY if exc.reason == "key" else MSG_NIR_FORMAT]
        # Shown next to the field (the conditional unique constraint would report it globally).
        if (
            "nir" not in errors
            and Patient.objects.filter(nir=patient.nir).exclude(pk=patient.pk).exists()
        ):
            errors["nir"] = [MSG_NIR_DUPLICATE]
    if patient.birth_date and not rules.birth_date_is_plausible(
        patient.birth_date, today=timezone.localdate()
    ):
        errors["birth_date"] = [MSG_BIRTH_DATE]
    if rules.other_risk_factor_is_missing((s.code for s in situations), patient.other_risk_factor):
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
    patient_prescriptions_follow_structure(patient)
    return patient


def patient_prescriptions_follow_structure(patient: Patient) -> int:
    """After a save of `patient`: its prescriptions' copy of its structure follows it.

    Each prescription keeps the structure of its patient (prescriptions.Prescription.structure,
    issue 8), which scopes what a structure sees; a superuser may register the patient in
    another structure (the admin), and its prescriptions then move with it. Returns how many.
    """
    return patient.prescriptions.exclude(structure_id=patient.structure_id).update(
        structure_id=patient.structure_id
    )


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


# --- Orientation to a dispenser (CSP D.1172-2, R-L4, R-L5) --------------------------------
MSG_ORIENT_NOT_ALLOWED = _(
    "Seuls les médecins de l'équipe de soins et le personnel administratif de la structure "
    "peuvent orienter ce patient."
)
MSG_ORIENT_NOT_DISPENSER = _(
    "On ne peut orienter un patient que vers un intervenant en activité physique adaptée "
    "(masseur-kinésithérapeute, ergothérapeute, psychomotricien, enseignant en APA, éducateur "
    "sportif ou titulaire d'une certification fédérale, art. D. 1172-2 du CSP)."
)
MSG_ORIENT_INACTIVE = _("Ce compte est désactivé : il ne peut pas recevoir d'orientation.")
MSG_ORIENT_NO_LEVEL = _(
    "Le patient n'a pas encore de prescription émise : sa limitation fonctionnelle n'est pas "
    "connue, l'orientation n'est pas possible."
)
MSG_ORIENT_SEVERE = _(
    "La limitation fonctionnelle du patient est sévère : seuls les professionnels de santé "
    "(masseurs-kinésithérapeutes, ergothérapeutes, psychomotriciens) peuvent l'encadrer "
    "(art. D. 1172-3 du CSP)."
)
MSG_ORIENT_LEVEL = _(
    "Selon le tableau d'encadrement en vigueur, un(e) %(profession)s ne peut pas encadrer un "
    "patient dont la limitation fonctionnelle est « %(level)s »."
)
MSG_ORIENT_NOT_ACTIVE = _("Cette orientation a déjà pris fin.")


@transaction.atomic
def patient_orient(*, patient: Patient, professional: User, by: User) -> CareTeamGrant:
    """Orient `patient` to the dispenser `professional`: a care-team grant (ORIENTATION).

    Refuses a non-dispenser (D.1172-2) and a professional who may not supervise the confirmed
    limitation level of the patient's latest signed prescription: R-L4 (binding) for a severe
    limitation, the editable R-L5 table otherwise. Idempotent; re-activates an ended one.
    """
    # The prescriptions app sits above this one: import at call time.
    from prescriptions.rules import LimitationLevel, supervision_is_allowed_at_all
    from prescriptions.selectors import patient_limitation_level, user_may_supervise

    from .selectors import user_may_orient

    if not user_may_orient(by, patient):
        raise ValidationError(MSG_ORIENT_NOT_ALLOWED)
    if not professional.is_dispenser:
        raise ValidationError({"professional": [MSG_ORIENT_NOT_DISPENSER]})
    if not professional.is_active:
        raise ValidationError({"professional": [MSG_ORIENT_INACTIVE]})
    level = patient_limitation_level(patient)
    if level is None:
        raise ValidationError(MSG_ORIENT_NO_LEVEL)
    if not supervision_is_allowed_at_all(level=level, profession=professional.profession):
        raise ValidationError({"professional": [MSG_ORIENT_SEVERE]})  # R-L4 (binding)
    if not user_may_supervise(professional, level):  # R-L5 (editable table)
        raise ValidationError(
            {
                "professional": [
                    ValidationError(
                        MSG_ORIENT_LEVEL,
                        params={
                            "profession": professional.get_profession_display().lower(),
                            "level": LimitationLevel(level).label.lower(),
                        },
                    )
                ]
            }
        )
    grant = care_team_grant(
        patient=patient,
        user=professional,
        reason=CareTeamGrant.Reason.ORIENTATION,
        granted_by=by,
    )
    if grant.granted_by_id != by.pk:
        grant.granted_by = by
        grant.save(update_fields=["granted_by"])
    return grant


@transaction.atomic
def patient_orientation_revoke(*, grant: CareTeamGrant, by: User) -> CareTeamGrant:
    """End an orientation: the grant is kept (history) with `revoked_at` set."""
    from .selectors import user_may_orient

    locked = CareTeamGrant.objects.select_for_update().get(pk=grant.pk)
    if locked.reason != CareTeamGrant.Reason.ORIENTATION or not user_may_orient(by, locked.patient):
        raise ValidationError(MSG_ORIENT_NOT_ALLOWED)
    if locked.revoked_at is not None:
        raise ValidationError(MSG_ORIENT_NOT_ACTIVE)
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    return locked
