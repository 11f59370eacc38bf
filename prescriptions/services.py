"""Workflows of the prescription: draft, issue, cancel, renew or adapt, expire, and the
physiotherapist's access to the prescription they look up.

Every service validates, then saves inside one transaction, and raises `ValidationError`s that
carry a code and one of the French messages below (written once; tests assert on the codes).
"""

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from kernel.errors import coded_error as _error
from patients.models import CareTeamGrant, Patient
from patients.services import care_team_grant
from practitioners.models import User

from . import access, rules
from .content import AssessmentInput, PrescriptionContent, Recommendations
from .events import (
    ReportedDocument,
    prescription_withdrawn,
    renewal_read,
    renewal_recorded,
    risk_reports_requested,
)
from .models import LimitationAssessment, Prescription, PrescriptionAccess, Renewal, RiskBasis
from .rules import (
    MSG_DURATION,
    MSG_NO_AGREEMENT,
    MSG_OUI_WITHOUT_REASON,
    MSG_RENEW_NO_AGREEMENT,
    MSG_RENEW_NO_ATTESTATION,
)
from .tasks import prerender_pdf_on_commit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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
MSG_ACCESS_ALREADY_ENDED = _("Cet accès a déjà pris fin.")

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
# Keyed by the model's value (a str): a Renewal.Kind is one.
ALREADY_DONE_WORDS: dict[str, "StrOrPromise"] = {
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
MSG_RENEW_RISK_REPORTED = _(
    "Le %(date)s, %(author)s a signalé une difficulté ou un risque dans la pratique de l'activité "
    "physique adaptée : « %(words)s ». Tant qu'un compte rendu ou un bilan ultérieur ne l'a pas "
    "levé, le renouvellement ou l'adaptation par le masseur-kinésithérapeute n'est pas possible "
    "(art. D. 1172-2-1 du CSP) : le patient revoit son médecin."
)
MSG_ADAPTATION_EMPTY = _(
    "Pour une adaptation, indiquez les préconisations adaptées (type d'activité, fréquence, "
    "intensité, durée des séances ou texte libre)."
)


def _date(value: date) -> str:
    return formats.date_format(value, "d/m/Y")


def _full_clean(
    instance: Model,
    errors: dict[str, list[ValidationError]] | None = None,
    exclude: Collection[str] | None = None,
    *,
    constraints_on: Collection[str] | None = None,
) -> None:
    """`full_clean()`, merging `errors` (the service's own field errors) into its errors, codes
    kept.

    `constraints_on`: validate only the model's constraints on these fields (None: all of
    them). Where the service has already checked a rule with its own French message, the
    database constraint stays the backstop and is not validated again: no second message for
    one rule, and no query (the check constraints cost one query in all,
    `kernel.models.CheckedModel`; each unique constraint one more).
    """
    errors = {field: list(field_errors) for field, field_errors in (errors or {}).items()}
    found: dict[str, list[ValidationError]] = {}
    try:
        instance.full_clean(exclude=exclude, validate_constraints=constraints_on is None)
    except ValidationError as exc:
        found = {field: list(field_errors) for field, field_errors in exc.error_dict.items()}
    if constraints_on:
        # As full_clean() does: a field that failed its own validation is not checked again.
        skip = {f.name for f in instance._meta.concrete_fields} - set(constraints_on) | set(found)
        try:
            instance.validate_constraints(exclude=skip)
        except ValidationError as exc:
            for field, field_errors in exc.error_dict.items():
                found.setdefault(field, []).extend(field_errors)
    for field, field_errors in found.items():
        errors.setdefault(field, []).extend(field_errors)
    if errors:
        raise ValidationError(errors)


def _check_content(content: PrescriptionContent) -> dict[str, list[ValidationError]]:
    """Field errors of the prescription's content that the model cannot express alone."""
    errors: dict[str, list[ValidationError]] = {}
    if not rules.duration_is_valid(content.duration_months):
        errors["duration_months"] = [_error(MSG_DURATION, "duration")]  # R-P2
    if content.physician_renewal_required and not content.physician_renewal_reason.strip():
        errors["physician_renewal_reason"] = [  # R-P3
            _error(MSG_OUI_WITHOUT_REASON, "oui_without_reason")
        ]
    return errors


def _save_assessment(prescription: Prescription, assessment: AssessmentInput | None) -> None:
    if assessment is None:
        return
    try:
        instance = prescription.assessment
    except LimitationAssessment.DoesNotExist:
        instance = LimitationAssessment(prescription=prescription)
    for name, value in assessment.as_dict().items():
        setattr(instance, name, value)
    _full_clean(instance)
    instance.save()


def _apply(prescription: Prescription, content: PrescriptionContent) -> None:
    for name, value in content.normalized().as_dict().items():
        setattr(prescription, name, value)


@transaction.atomic
def prescription_create(
    *,
    prescriber: User,
    patient: Patient,
    content: PrescriptionContent,
    assessment: AssessmentInput | None = None,
    today: date | None = None,
) -> Prescription:
    """Save a new draft, dated `today`. R-P1: only a physician prescribes, for a patient of
    their care team."""
    if not prescriber.is_physician:
        raise _error(MSG_NOT_PHYSICIAN, "not_physician")
    if not access.may_prescribe_for(prescriber, patient):
        raise _error(MSG_NOT_CARE_TEAM, "not_care_team")  # need-to-know ("Qui voit quoi")
    today = today or timezone.localdate()
    prescription = Prescription(
        patient=patient,
        prescriber=prescriber,
        prescribed_on=today,
        reference=_unique_reference(today.year),
        verification_code=rules.new_verification_code(),
    )
    _apply(prescription, content)
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
        raise _error(MSG_NOT_PRESCRIBER, "not_prescriber")
    if locked.status != Prescription.Status.DRAFT:
        raise _error(MSG_NOT_DRAFT, "not_draft")  # R-P4
    return locked


@transaction.atomic
def prescription_update(
    *,
    prescription: Prescription,
    by: User,
    content: PrescriptionContent,
    assessment: AssessmentInput | None = None,
    today: date | None = None,
) -> Prescription:
    """Change a draft, dated again `today`. R-P4: an issued prescription is never edited in
    place."""
    locked = _lock_draft(prescription, by)
    locked.prescribed_on = today or timezone.localdate()
    _apply(locked, content)
    _full_clean(locked, _check_content(content))
    locked.save()
    _save_assessment(locked, assessment)
    return locked


def issue_errors(prescription: Prescription) -> dict[str, list[ValidationError]]:
    """What stops `prescription` (a saved draft) from being issued, by field (R-P1 to R-P3,
    R-L2, R-E1); empty when it may be issued."""
    errors = _check_content(PrescriptionContent.of(prescription))
    if not prescription.patient_agreement:
        errors.setdefault("patient_agreement", []).append(_error(MSG_NO_AGREEMENT, "no_agreement"))
    if not (prescription.activity_types or prescription.recommendations_text.strip()):
        errors.setdefault("activity_types", []).append(  # R-P3
            _error(MSG_NO_RECOMMENDATION, "no_recommendation")
        )
    if not LimitationAssessment.objects.filter(prescription=prescription).exists():
        errors.setdefault("__all__", []).append(  # R-P3, R-L2
            _error(MSG_NO_ASSESSMENT, "no_assessment")
        )
    if not prescription.patient.situations.exists():
        errors.setdefault("__all__", []).append(_error(MSG_NOT_ELIGIBLE, "not_eligible"))  # R-E1
    return errors


@transaction.atomic
def prescription_issue(
    *, prescription: Prescription, by: User, today: date | None = None
) -> Prescription:
    """Sign and issue a draft: dated the day of signature, its content immutable from now on
    (R-P4)."""
    if not by.is_physician:
        raise _error(MSG_NOT_PHYSICIAN, "not_physician")  # R-P1
    locked = _lock_draft(prescription, by)
    if not access.may_prescribe_for(by, locked.patient):
        raise _error(MSG_NOT_CARE_TEAM, "not_care_team")  # e.g. the access was revoked meanwhile
    errors = issue_errors(locked)
    if errors:
        raise ValidationError(errors)
    locked.status = Prescription.Status.ISSUED
    locked.issued_at = timezone.now()
    # R-P4: dated and signed the same day, whenever the draft was saved.
    locked.prescribed_on = today or timezone.localdate()
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
        raise _error(MSG_NOT_PRESCRIBER, "not_prescriber")
    if not access.may_be_cancelled(locked):
        raise _error(MSG_CANNOT_CANCEL, "cannot_cancel")
    if locked.status == Prescription.Status.ISSUED and not reason.strip():
        raise ValidationError({"cancel_reason": [_error(MSG_CANCEL_REASON, "cancel_reason")]})
    withdrawn = locked.status == Prescription.Status.ISSUED
    locked.status = Prescription.Status.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancel_reason = reason.strip()
    locked.save()
    if withdrawn:
        # A withdrawn prescription opens nothing any more: the physiotherapists who looked it up
        # lose it, and what hung on it ends (the orientations: the dispensing app receives it).
        prescription_accesses_end(prescriptions=[locked])
        prescription_withdrawn.send(sender=Prescription, prescription=locked)
    return locked


@transaction.atomic
def prescription_access_grant(*, prescription: Prescription, user: User) -> PrescriptionAccess:
    """Open `prescription` to the physiotherapist who proved its reference and the patient's
    birth date (the look-up), and the patient's identity with it (a look-up membership of the
    care team). Idempotent; re-opens a revoked access."""
    granted, created = PrescriptionAccess.objects.get_or_create(
        prescription=prescription, user=user
    )
    if not created and granted.revoked_at is not None:
        granted.revoked_at = None
        granted.save(update_fields=["revoked_at"])
    care_team_grant(patient=prescription.patient, user=user, reason=CareTeamGrant.Reason.LOOKUP)
    return granted


def _end_lookup_grants(pairs: set[tuple[Any, Any]], now: datetime) -> None:
    """End the look-up memberships (patient, user) whose last open access just ended: the
    physiotherapist keeps the patient's identity only through another prescription looked up."""
    for patient_id, user_id in pairs:
        still_open = PrescriptionAccess.objects.filter(
            user_id=user_id, prescription__patient_id=patient_id, revoked_at__isnull=True
        ).exists()
        if still_open:
            continue
        for grant in CareTeamGrant.objects.filter(
            patient_id=patient_id,
            user_id=user_id,
            reason=CareTeamGrant.Reason.LOOKUP,
            revoked_at__isnull=True,
        ):
            grant.revoked_at = now
            grant.save(update_fields=["revoked_at"])  # one save each: the history keeps it


@transaction.atomic
def prescription_accesses_end(
    *, prescriptions: Collection[Prescription] | None = None, today: date | None = None
) -> int:
    """End the look-up accesses of `prescriptions` (a withdrawal), or, without them, of every
    prescription withdrawn or ended more than APA_GRANT_DAYS_AFTER_END days ago (the daily job).

    Both halves end: the access to the prescription and, when it was the physiotherapist's last
    one for the patient, the look-up membership of the care team. Never deleted: `revoked_at`
    is set and the history keeps the change. Returns how many accesses ended.
    """
    now = timezone.now()
    accesses = PrescriptionAccess.objects.filter(revoked_at__isnull=True)
    if prescriptions is not None:
        accesses = accesses.filter(prescription__in=[p.pk for p in prescriptions])
    else:
        today = today or timezone.localdate()
        last_day = today - timedelta(days=settings.APA_GRANT_DAYS_AFTER_END)
        accesses = accesses.filter(
            Q(prescription__status=Prescription.Status.CANCELLED)
            | Q(prescription__current_end_date__lt=last_day)
        )
    pairs: set[tuple[Any, Any]] = set()
    count = 0
    for granted in accesses.select_related("prescription").select_for_update(of=("self",)):
        granted.revoked_at = now
        granted.save(update_fields=["revoked_at"])
        pairs.add((granted.prescription.patient_id, granted.user_id))
        count += 1
    _end_lookup_grants(pairs, now)
    return count


@transaction.atomic
def prescription_access_revoke(*, access_grant: PrescriptionAccess, by: User) -> PrescriptionAccess:
    """The physician or the structure's admin ends a physiotherapist's look-up access from the
    patient's record (and its membership of the care team, when it was the last one)."""
    locked = (
        PrescriptionAccess.objects.select_for_update(of=("self",))
        .select_related("prescription__patient")
        .get(pk=access_grant.pk)
    )
    if not access.may_end_access(by, locked.prescription.patient):
        raise _error(access.MSG_MAY_NOT_END_ACCESS, "access_not_allowed")
    if locked.revoked_at is not None:
        raise _error(MSG_ACCESS_ALREADY_ENDED, "access_already_ended")
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    _end_lookup_grants({(locked.prescription.patient_id, locked.user_id)}, locked.revoked_at)
    return locked


def renewal_risk_case(
    prescription: Prescription,
) -> tuple[str, ReportedDocument | None]:
    """R-R5: which case applies, from the bilans and comptes rendus recorded in the product
    since the prescription (asked of the apps above by `events.risk_reports_requested`).

    Returns (RiskBasis, the document that reports a risk or None): the latest document decides
    (a later compte rendu that reports none clears an earlier risk); none recorded: the
    physiotherapist's attestation (RiskBasis.ATTESTED).
    """
    documents: list[ReportedDocument] = []
    for _receiver, answer in risk_reports_requested.send(
        sender=Prescription, prescription=prescription
    ):
        documents.extend(cast(list[ReportedDocument], answer) or [])
    if not documents:
        return RiskBasis.ATTESTED, None
    latest = max(documents, key=lambda document: (document.performed_on, document.recorded_at))
    if latest.risk_flag:
        return RiskBasis.ATTESTED, latest
    return RiskBasis.RECORDED_NO_RISK, None


def renewal_refusal(
    *,
    prescription: Prescription,
    physiotherapist: User,
    today: date,
    risk_case: tuple[str, ReportedDocument | None] | None = None,
) -> ValidationError | None:
    """Why `physiotherapist` may not renew or adapt `prescription` today, or None.

    The blocking conditions of R-R1 to R-R4, checked in the order a person would explain them.
    Used by the service and by the page (to explain before the form is filled).
    """
    if not physiotherapist.is_physiotherapist:
        return _error(MSG_RENEW_NOT_PHYSIOTHERAPIST, "renew_not_physiotherapist")  # R-R1
    if not physiotherapist.rpps:
        return _error(MSG_RENEW_NO_RPPS, "renew_no_rpps")  # R-R6 a)
    existing = Renewal.objects.filter(prescription_id=prescription.pk).first()
    if existing is not None:  # R-R2
        return _error(
            MSG_RENEW_ALREADY,
            "renew_already",
            kind=ALREADY_DONE_WORDS[existing.kind],
            name=existing.physio_display_name,
            date=_date(existing.performed_on),
        )
    if prescription.status not in (Prescription.Status.ISSUED, Prescription.Status.EXPIRED):
        return _error(MSG_RENEW_NOT_ISSUED, "renew_not_issued")
    if prescription.physician_renewal_required:  # R-R4
        return _error(
            MSG_RENEW_PHYSICIAN_ONLY,
            "renew_physician_only",
            reason=prescription.physician_renewal_reason,
        )
    opens, closes = rules.renewal_window(
        prescription.end_date,
        days_before=settings.APA_RENEWAL_WINDOW_DAYS_BEFORE,
        days_after=settings.APA_RENEWAL_WINDOW_DAYS_AFTER,
    )
    if today < opens:  # R-R3
        return _error(
            MSG_RENEW_TOO_EARLY,
            "renew_too_early",
            end=_date(prescription.end_date),
            opens=_date(opens),
        )
    if today > closes:  # R-R3
        return _error(
            MSG_RENEW_TOO_LATE,
            "renew_too_late",
            end=_date(prescription.end_date),
            closes=_date(closes),
        )
    _case, risk = risk_case or renewal_risk_case(prescription)
    if risk is not None:  # R-R5: the recorded bilans report a difficulty or risk
        return _error(
            MSG_RENEW_RISK_REPORTED,
            "renew_risk_reported",
            date=_date(risk.performed_on),
            author=risk.author,
            words=risk.words,
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
    adaptations: Recommendations | None = None,
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
    risk_case = renewal_risk_case(locked)  # R-R5: asked once, read twice below
    refusal = renewal_refusal(
        prescription=locked, physiotherapist=physiotherapist, today=today, risk_case=risk_case
    )
    if refusal is not None:
        raise refusal

    errors: dict[str, list[ValidationError]] = {}
    if not patient_agreement:  # R-R1
        errors["patient_agreement"] = [_error(MSG_RENEW_NO_AGREEMENT, "renew_no_agreement")]
    if not no_risk_attestation:
        errors["no_risk_attestation"] = [  # R-R5
            _error(MSG_RENEW_NO_ATTESTATION, "renew_no_attestation")
        ]
    if not rules.duration_is_valid(duration_months):
        errors["duration_months"] = [_error(MSG_DURATION, "duration")]  # R-R2
    recommendations: dict[str, Any] = {}
    if kind == Renewal.Kind.ADAPTATION:
        adapted = (adaptations or Recommendations()).normalized()
        recommendations = adapted.as_dict()
        if adapted.is_empty():
            errors["__all__"] = [_error(MSG_ADAPTATION_EMPTY, "adaptation_empty")]
    if errors:
        raise ValidationError(errors)

    risk_basis = risk_case[0]  # R-R5: which case applied
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
        risk_basis=risk_basis,
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
        ) or _error(MSG_RENEW_NOT_ISSUED, "renew_not_issued") from exc
    locked.status = (
        Prescription.Status.RENEWED if kind == Renewal.Kind.RENEWAL else Prescription.Status.ADAPTED
    )
    locked.current_end_date = renewal.end_date  # R-R6: the new period is the current one
    locked.save(update_fields=["status", "current_end_date", "updated_at"])
    # R-R7: the prescriber is informed, in the same transaction (the notifications app receives
    # the event; its e-mail leaves on commit).
    renewal_recorded.send(sender=Renewal, renewal=renewal)
    prerender_pdf_on_commit(locked)  # R-R6: the form now carries the physiotherapist's part
    return renewal


def renewal_mark_read(*, renewal: Renewal, by: User) -> bool:
    """R-R7: the prescriber has seen what the physiotherapist changed: clear the unread flag.

    Does nothing for anyone else (a colleague or the physiotherapist reading the same page), nor
    the second time. Returns whether it marked the renewal read; then sends `renewal_read` (the
    notifications app marks its notification read).
    """
    if not access.is_prescriber(by, renewal.prescription) or renewal.prescriber_read_at:
        return False
    renewal.prescriber_read_at = timezone.now()
    renewal.save(update_fields=["prescriber_read_at"])
    renewal_read.send(sender=Renewal, renewal=renewal, by=by)
    return True


def prescriptions_follow_patient(*, patient: Patient) -> int:
    """After a save of `patient`: its prescriptions' copy of its structure follows it.

    Each prescription keeps the structure of its patient (`Prescription.structure`), which
    scopes what a structure sees; a superuser may register the patient in another structure
    (the admin), and its prescriptions then move with it. Returns how many moved.
    """
    return (
        Prescription.objects.filter(patient=patient)
        .exclude(structure_id=patient.structure_id)
        .update(structure_id=patient.structure_id)
    )


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
