"""Workflows of the prescription: draft, issue, cancel, renew or adapt, expire.

Every service validates, then saves inside one transaction, and raises `ValidationError` with
one of the French messages below (tests import them).
"""

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from patients.models import CareTeamGrant, Patient
from patients.services import care_team_grant
from practitioners.models import User

from . import rules
from .models import LimitationAssessment, Prescription, Renewal
from .selectors import user_may_prescribe_for
from .tasks import prerender_pdf_on_commit

MSG_NOT_PHYSICIAN = _(
    "Seul un médecin peut prescrire une activité physique adaptée (art. D. 1172-2 du CSP)."
)
MSG_NOT_CARE_TEAM = _(
    "Vous ne faites pas partie de l'équipe de soins de ce patient : seul un médecin de sa "
    "structure ou un médecin à qui l'accès a été accordé peut lui prescrire une activité "
    "physique adaptée."
)
MSG_NOT_PRESCRIBER = _(
    "Seul le médecin prescripteur peut modifier, émettre ou annuler ce brouillon."
)
MSG_NOT_ELIGIBLE = _(
    "Le patient ne relève d'aucune situation ouvrant droit à l'APA (ALD ou maladie chronique, "
    "facteur de risque, perte d'autonomie) : complétez son dossier avant d'émettre."
)
MSG_NO_AGREEMENT = _("L'accord du patient est requis pour émettre la prescription.")
MSG_DURATION = _("La durée de prescription est de 3 à 6 mois.")
MSG_OUI_WITHOUT_REASON = _(
    "Vous avez répondu OUI : précisez l'indication qui nécessite le renouvellement et "
    "l'adaptation de la prescription par un médecin."
)
MSG_NO_ASSESSMENT = _("Évaluez les limitations fonctionnelles du patient avant d'émettre.")
MSG_NO_RECOMMENDATION = _(
    "Indiquez au moins un type d'activité ou des préconisations en texte libre."
)
MSG_NOT_DRAFT = _(
    "Cette prescription a été émise : elle ne peut plus être modifiée. Pour la corriger, "
    "établissez une nouvelle prescription."
)
MSG_CANNOT_CANCEL = _("Cette prescription ne peut plus être annulée.")
MSG_CANCEL_REASON = _("Indiquez le motif de l'annulation.")

MSG_RENEW_NOT_PHYSIOTHERAPIST = _(
    "Seul un masseur-kinésithérapeute peut renouveler ou adapter une prescription d'activité "
    "physique adaptée (art. D. 1172-2-1 du CSP)."
)
MSG_RENEW_NO_RPPS = _(
    "Votre numéro RPPS doit figurer sur le formulaire (art. D. 1172-2-1 du CSP) : faites-le "
    "enregistrer sur votre compte."
)
MSG_RENEW_ALREADY = _(
    "Cette prescription a déjà été %(kind)s par %(name)s le %(date)s : le "
    "renouvellement ou l'adaptation par un masseur-kinésithérapeute n'est possible qu'une fois."
)
ALREADY_DONE_WORDS = {
    Renewal.Kind.RENEWAL: _("renouvelée"),
    Renewal.Kind.ADAPTATION: _("adaptée"),
}
MSG_RENEW_PHYSICIAN_ONLY = _(
    "Le médecin a indiqué que le renouvellement et l'adaptation de cette prescription doivent "
    "être faits par un médecin : « %(reason)s »."
)
MSG_RENEW_NOT_ISSUED = _("Seule une prescription émise peut être renouvelée ou adaptée.")
MSG_RENEW_TOO_EARLY = _(
    "Le renouvellement se fait à l'échéance de la prescription, qui se termine le %(end)s : "
    "il sera possible à partir du %(opens)s."
)
MSG_RENEW_TOO_LATE = _(
    "La prescription s'est terminée le %(end)s et le délai de renouvellement a pris fin le "
    "%(closes)s : une nouvelle prescription médicale est nécessaire."
)
MSG_RENEW_NO_AGREEMENT = _("L'accord du patient est requis (art. D. 1172-2-1 du CSP).")
MSG_RENEW_NO_ATTESTATION = _(
    "Attestez que le compte rendu et les bilans ne rapportent pas de difficulté ou de risque "
    "susceptible de nuire à la santé du patient (art. D. 1172-2-1 du CSP)."
)
MSG_ADAPTATION_EMPTY = _(
    "Pour une adaptation, indiquez les préconisations adaptées (type d'activité, fréquence, "
    "intensité, durée des séances ou texte libre)."
)

CONTENT_INPUT_FIELDS = frozenset(
    {
        "prescribed_on",
        "start_date",
        "duration_months",
        "activity_types",
        "sessions_per_week",
        "intensity",
        "session_minutes",
        "recommendations_text",
        "restriction_picks",
        "restrictions_text",
        "physician_renewal_required",
        "physician_renewal_reason",
        "patient_agreement",
    }
)
ASSESSMENT_INPUT_FIELDS = frozenset(
    {"locomotor", "cerebral", "sensory", "severe_indicators", "confirmed_level"}
)
RECOMMENDATION_FIELDS = (
    "activity_types",
    "sessions_per_week",
    "intensity",
    "session_minutes",
    "recommendations_text",
)


def _date(value: date) -> str:
    return formats.date_format(value, "d/m/Y")


def _full_clean(
    instance,
    errors: dict[str, list] | None = None,
    exclude=None,
    *,
    constraints_on: Collection[str] | None = None,
) -> None:
    """`full_clean()`, merging `errors` (the service's own field errors) into its errors.

    `constraints_on`: validate only the model's constraints on these fields (None: all of
    them). Each constraint validated in Python costs three queries (SAVEPOINT, SELECT,
    RELEASE); where the service has already checked a rule with its own French message, the
    database constraint stays the backstop and need not be validated again (issue 8).
    """
    errors = dict(errors or {})
    found: dict[str, list] = {}
    try:
        instance.full_clean(exclude=exclude, validate_constraints=constraints_on is None)
    except ValidationError as exc:
        found = exc.message_dict
    if constraints_on:
        # As full_clean() does: a field that failed its own validation is not checked again.
        skip = {f.name for f in instance._meta.concrete_fields} - set(constraints_on) | set(found)
        try:
            instance.validate_constraints(exclude=skip)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                found.setdefault(field, []).extend(messages)
    for field, messages in found.items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _check_content(content: Mapping[str, Any]) -> dict[str, list]:
    """Field errors of the prescription's content that the model cannot express alone."""
    errors: dict[str, list] = {}
    if "duration_months" in content and not rules.duration_is_valid(content["duration_months"]):
        errors["duration_months"] = [MSG_DURATION]  # R-P2
    if (
        content.get("physician_renewal_required")
        and not str(content.get("physician_renewal_reason", "")).strip()
    ):
        errors["physician_renewal_reason"] = [MSG_OUI_WITHOUT_REASON]  # R-P3
    return errors


def _clean_choice_list(values, choices) -> list[str]:
    allowed = set(choices.values)
    return [v for v in choices.values if v in set(values or ()) and v in allowed]


def _normalize_content(content: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(content) - CONTENT_INPUT_FIELDS
    if unknown:
        raise TypeError(f"Unknown prescription fields: {sorted(unknown)}")
    content = dict(content)
    if "activity_types" in content:
        content["activity_types"] = _clean_choice_list(
            content["activity_types"], rules.ActivityType
        )
    if "restriction_picks" in content:
        content["restriction_picks"] = _clean_choice_list(
            content["restriction_picks"], rules.RestrictionPick
        )
    if not content.get("physician_renewal_required", True):
        content["physician_renewal_reason"] = ""
    return content


def _save_assessment(prescription: Prescription, assessment: Mapping[str, Any] | None) -> None:
    if assessment is None:
        return
    unknown = set(assessment) - ASSESSMENT_INPUT_FIELDS
    if unknown:
        raise TypeError(f"Unknown assessment fields: {sorted(unknown)}")
    data = dict(assessment)
    data["severe_indicators"] = [
        i.code
        for i in rules.SEVERE_INDICATORS
        if i.code in set(data.get("severe_indicators") or ())
    ]
    try:
        instance = prescription.assessment
    except LimitationAssessment.DoesNotExist:
        instance = LimitationAssessment(prescription=prescription)
    for name, value in data.items():
        setattr(instance, name, value)
    _full_clean(instance)
    instance.save()


@transaction.atomic
def prescription_create(
    *,
    prescriber: User,
    patient: Patient,
    content: Mapping[str, Any],
    assessment: Mapping[str, Any] | None = None,
) -> Prescription:
    """Save a new draft. R-P1: only a physician prescribes, for a patient of their care team."""
    if not prescriber.is_physician:
        raise ValidationError(MSG_NOT_PHYSICIAN)
    if not user_may_prescribe_for(prescriber, patient):
        raise ValidationError(MSG_NOT_CARE_TEAM)  # need-to-know (README, "Qui voit quoi")
    content = _normalize_content(content)
    content.setdefault("prescribed_on", timezone.localdate())
    content.setdefault("start_date", content["prescribed_on"])
    prescription = Prescription(
        patient=patient,
        prescriber=prescriber,
        reference=_unique_reference(content["prescribed_on"].year),
        verification_code=rules.new_verification_code(),
        **content,
    )
    _full_clean(prescription, _check_content(content))
    prescription.save()
    _save_assessment(prescription, assessment)
    return prescription


def _unique_reference(year: int) -> str:
    # 40 random bits: a collision is unlikely but possible, so look before taking one.
    while True:
        reference = rules.new_reference(year)
        if not Prescription.objects.filter(reference=reference).exists():
            return reference


def _lock_draft(prescription: Prescription, by: User) -> Prescription:
    locked = Prescription.objects.select_for_update().get(pk=prescription.pk)
    if locked.prescriber_id != by.pk:
        raise ValidationError(MSG_NOT_PRESCRIBER)
    if locked.status != Prescription.Status.DRAFT:
        raise ValidationError(MSG_NOT_DRAFT)  # R-P4
    return locked


@transaction.atomic
def prescription_update(
    *,
    prescription: Prescription,
    by: User,
    content: Mapping[str, Any],
    assessment: Mapping[str, Any] | None = None,
) -> Prescription:
    """Change a draft. R-P4: an issued prescription is never edited in place."""
    locked = _lock_draft(prescription, by)
    content = _normalize_content(content)
    for name, value in content.items():
        setattr(locked, name, value)
    _full_clean(locked, _check_content(content))
    locked.save()
    _save_assessment(locked, assessment)
    return locked


@transaction.atomic
def prescription_issue(*, prescription: Prescription, by: User) -> Prescription:
    """Sign and issue a draft: from now on its content is immutable (R-P4)."""
    if not by.is_physician:
        raise ValidationError(MSG_NOT_PHYSICIAN)  # R-P1
    locked = _lock_draft(prescription, by)
    if not user_may_prescribe_for(by, locked.patient):
        raise ValidationError(MSG_NOT_CARE_TEAM)  # e.g. the access was revoked meanwhile
    errors: dict[str, list] = _check_content(
        {name: getattr(locked, name) for name in CONTENT_INPUT_FIELDS}
    )
    if not locked.patient_agreement:
        errors.setdefault("patient_agreement", []).append(MSG_NO_AGREEMENT)  # R-P1
    if not (locked.activity_types or locked.recommendations_text.strip()):
        errors.setdefault("activity_types", []).append(MSG_NO_RECOMMENDATION)  # R-P3
    if not LimitationAssessment.objects.filter(prescription=locked).exists():
        errors.setdefault("__all__", []).append(MSG_NO_ASSESSMENT)  # R-P3, R-L2
    if not locked.patient.situations.exists():
        errors.setdefault("__all__", []).append(MSG_NOT_ELIGIBLE)  # R-E1
    if errors:
        raise ValidationError(errors)
    locked.status = Prescription.Status.ISSUED
    locked.issued_at = timezone.now()
    # The draft's content was validated, constraints included, when it was saved; the rules
    # that issuing adds (agreement R-P1, duration R-P2, OUI reason R-P3) are checked above with
    # their French messages, and the database constraints stay the backstop. The patient and
    # the prescriber were just read (the structure is the patient's), the reference is unique
    # in the database: no query here.
    _full_clean(
        locked, exclude={"patient", "prescriber", "structure", "reference"}, constraints_on=()
    )
    locked.save()
    care_team_grant(
        patient=locked.patient, user=by, reason=CareTeamGrant.Reason.PRESCRIBER, granted_by=by
    )
    prerender_pdf_on_commit(locked)  # the signed form, ready before its first download
    return locked


@transaction.atomic
def prescription_cancel(*, prescription: Prescription, by: User, reason: str = "") -> Prescription:
    """Cancel a draft (or withdraw an issued, not yet renewed prescription, with a reason).

    Only the prescriber may do it; the content stays as it was signed.
    """
    locked = Prescription.objects.select_for_update().get(pk=prescription.pk)
    if locked.prescriber_id != by.pk:
        raise ValidationError(MSG_NOT_PRESCRIBER)
    if locked.status not in (Prescription.Status.DRAFT, Prescription.Status.ISSUED):
        raise ValidationError(MSG_CANNOT_CANCEL)
    if locked.status == Prescription.Status.ISSUED and not reason.strip():
        raise ValidationError({"cancel_reason": [MSG_CANCEL_REASON]})
    locked.status = Prescription.Status.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancel_reason = reason.strip()
    locked.save()
    return locked


def renewal_refusal(
    *, prescription: Prescription, physiotherapist: User, today: date
) -> ValidationError | None:
    """Why `physiotherapist` may not renew or adapt `prescription` today, or None.

    The blocking conditions of R-R1 to R-R4, checked in the order a person would explain them.
    Used by the service and by the page (to explain before the form is filled).
    """
    if not physiotherapist.is_physiotherapist:
        return ValidationError(MSG_RENEW_NOT_PHYSIOTHERAPIST)  # R-R1
    if not physiotherapist.rpps:
        return ValidationError(MSG_RENEW_NO_RPPS)  # R-R6 a)
    existing = Renewal.objects.filter(prescription_id=prescription.pk).first()
    if existing is not None:  # R-R2
        return ValidationError(
            MSG_RENEW_ALREADY,
            params={
                "kind": ALREADY_DONE_WORDS[existing.kind],
                "name": existing.physio_display_name,
                "date": _date(existing.performed_on),
            },
        )
    if prescription.status not in (Prescription.Status.ISSUED, Prescription.Status.EXPIRED):
        return ValidationError(MSG_RENEW_NOT_ISSUED)
    if prescription.physician_renewal_required:  # R-R4
        return ValidationError(
            MSG_RENEW_PHYSICIAN_ONLY, params={"reason": prescription.physician_renewal_reason}
        )
    opens, closes = rules.renewal_window(
        prescription.end_date,
        days_before=settings.APA_RENEWAL_WINDOW_DAYS_BEFORE,
        days_after=settings.APA_RENEWAL_WINDOW_DAYS_AFTER,
    )
    if today < opens:  # R-R3
        return ValidationError(
            MSG_RENEW_TOO_EARLY, params={"end": _date(prescription.end_date), "opens": _date(opens)}
        )
    if today > closes:  # R-R3
        return ValidationError(
            MSG_RENEW_TOO_LATE,
            params={"end": _date(prescription.end_date), "closes": _date(closes)},
        )
    return None


@transaction.atomic
def prescription_renew(
    *,
    prescription: Prescription,
    physiotherapist: User,
    kind: str,
    duration_months: int,
    patient_agreement: bool,
    no_risk_attestation: bool,
    adaptations: Mapping[str, Any] | None = None,
    today: date | None = None,
) -> Renewal:
    """Record the one renewal or adaptation a physiotherapist may make (CSP D.1172-2-1).

    Refuses: a non-physiotherapist (R-R1), a second renewal, also two at the same instant
    (R-R2: row lock, then the one-to-one key), a prescription whose physician answered OUI
    (R-R4), a date outside the window (R-R3), a missing agreement (R-R1) or attestation (R-R5).
    """
    today = today or timezone.localdate()
    # R-R2: lock the prescription so that a concurrent renewal waits, then sees this one.
    locked = Prescription.objects.select_for_update().get(pk=prescription.pk)
    refusal = renewal_refusal(prescription=locked, physiotherapist=physiotherapist, today=today)
    if refusal is not None:
        raise refusal

    errors: dict[str, list] = {}
    if not patient_agreement:
        errors["patient_agreement"] = [MSG_RENEW_NO_AGREEMENT]  # R-R1
    if not no_risk_attestation:
        errors["no_risk_attestation"] = [MSG_RENEW_NO_ATTESTATION]  # R-R5
    if not rules.duration_is_valid(duration_months):
        errors["duration_months"] = [MSG_DURATION]  # R-R2
    recommendations: dict[str, Any] = {}
    if kind == Renewal.Kind.ADAPTATION:
        recommendations = dict(adaptations or {})
        unknown = set(recommendations) - set(RECOMMENDATION_FIELDS)
        if unknown:
            raise TypeError(f"Unknown adaptation fields: {sorted(unknown)}")
        recommendations["activity_types"] = _clean_choice_list(
            recommendations.get("activity_types"), rules.ActivityType
        )
        if not any(recommendations.get(name) for name in RECOMMENDATION_FIELDS):
            errors["__all__"] = [MSG_ADAPTATION_EMPTY]
    if errors:
        raise ValidationError(errors)

    start, end = rules.renewal_period(
        initial_end=locked.end_date, performed_on=today, months=duration_months
    )
    renewal = Renewal(
        prescription=locked,
        kind=kind,
        physiotherapist=physiotherapist,
        physio_last_name=physiotherapist.last_name,
        physio_first_name=physiotherapist.first_name,
        physio_rpps=physiotherapist.rpps,
        performed_on=today,
        duration_months=duration_months,
        start_date=start,
        end_date=end,
        patient_agreement=patient_agreement,
        no_risk_attestation=no_risk_attestation,
        **recommendations,
    )
    # Agreement (R-R1), attestation (R-R5) and duration (R-R2) are checked above with their
    # French messages, the RPPS comes from the user (11 digits in the database too) and the
    # period from rules.renewal_period: only the ranges of an adaptation's recommendations
    # (which no check above covers) are validated here; the database constraints stay the
    # backstop. The physiotherapist is the user in hand: no query to check that it exists.
    _full_clean(
        renewal,
        exclude={"prescription", "physiotherapist"},
        constraints_on=(
            ("sessions_per_week", "session_minutes") if kind == Renewal.Kind.ADAPTATION else ()
        ),
    )
    try:
        with transaction.atomic():
            renewal.save()
    except IntegrityError as exc:
        # R-R2 on a database without row locks (SQLite): the one-to-one key decides.
        raise renewal_refusal(
            prescription=locked, physiotherapist=physiotherapist, today=today
        ) or ValidationError(MSG_RENEW_NOT_ISSUED) from exc
    locked.status = (
        Prescription.Status.RENEWED if kind == Renewal.Kind.RENEWAL else Prescription.Status.ADAPTED
    )
    locked.current_end_date = renewal.end_date  # R-R6: the new period is the current one
    locked.save(update_fields=["status", "current_end_date", "updated_at"])
    # R-R7: the prescriber is informed, in the same transaction (the e-mail leaves on commit).
    from notifications.services import notify_prescriber_of_renewal  # the app sits above this one

    notify_prescriber_of_renewal(renewal)
    prerender_pdf_on_commit(locked)  # R-R6: the form now carries the physiotherapist's part
    return renewal


def prescriptions_expire(*, today: date | None = None) -> int:
    """Mark as expired the prescriptions whose period (renewal included) ended before today."""
    today = today or timezone.localdate()
    ended = Prescription.objects.filter(
        status__in=Prescription.RUNNING_STATUSES, current_end_date__lt=today
    )
    count = 0
    # One save per row, not a bulk update, so that the history keeps each change of status.
    for prescription in ended.iterator(chunk_size=500):
        prescription.status = Prescription.Status.EXPIRED
        prescription.save(update_fields=["status", "updated_at"])
        count += 1
    return count
