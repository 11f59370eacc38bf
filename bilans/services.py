"""Writes of the bilans and comptes rendus (CSP D.1172-5, R-B1 to R-B4).

Every service checks who acts (`access.may_record`), validates with French messages and codes,
then saves inside one transaction. A signed document is never edited.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.errors import coded_error as _error
from patients.models import Patient
from practitioners.models import User
from prescriptions.models import Prescription
from prescriptions.rules import ActivityType, new_reference, new_verification_code

from . import access, rules, selectors
from .events import document_signed
from .models import EntryBilan, ExitBilan, IssuedDocument, ProgressReport, Status
from .rules import TESTS

MSG_NO_PRESCRIPTION = _(
    "Le patient n'a pas de prescription d'activité physique adaptée en cours : le bilan suit une "
    "prescription émise."
)
MSG_ENTRY_EXISTS = _(
    "Un bilan d'entrée existe déjà pour cette prescription : complétez-le ou rédigez un compte "
    "rendu."
)
MSG_NOT_AUTHOR = _("Seul l'intervenant qui a rédigé ce brouillon peut le modifier ou le signer.")
MSG_SIGNED = _("Ce document est signé : il ne peut plus être modifié.")
MSG_VALUE_AND_NOT_DONE = _(
    "Indiquez soit la valeur mesurée, soit la raison pour laquelle le test n'a pas été réalisé, "
    "pas les deux."
)
MSG_TEST_MISSING = _(
    "Indiquez la valeur mesurée ou la raison pour laquelle le test n'a pas été réalisé : rien "
    "n'est laissé vide dans un bilan signé."
)
MSG_BORG_SCALE = _("Indiquez l'échelle de Borg utilisée.")
MSG_STAGE_MISSING = _("Indiquez le stade de changement du patient (bilan motivationnel).")
MSG_PROGRAMME_INCOMPLETE = _(
    "Le programme doit préciser le type d'activité, l'intensité, la fréquence et le nombre de "
    "séances ou la durée (art. D. 1172-5 du CSP)."
)
MSG_PROGRAMME_ABOVE_RESTRICTION = _(
    "La prescription demande de ne pas dépasser une intensité modérée : le programme ne peut pas "
    "prévoir une intensité élevée."
)
MSG_PROGRAMME_ABOVE_PRESCRIPTION = _(
    "L'intensité du programme dépasse celle de la prescription (« %(prescribed)s »)."
)
MSG_PROGRAMME_RANGE = _(
    "Fréquence de 1 à 7 séances par semaine, séances de 10 à 180 minutes, 1 à 200 séances ou 1 à "
    "52 semaines."
)
MSG_RISK_WITHOUT_WORDS = _("Décrivez la difficulté ou le risque signalé.")
MSG_REPORT_NO_ENTRY = _(
    "Le compte rendu suit le programme défini par le bilan d'entrée : signez d'abord le bilan "
    "d'entrée."
)
MSG_SESSIONS_ABOVE_PLANNED = _(
    "Le nombre de séances réalisées ne peut pas dépasser le nombre de séances prévues."
)
MSG_SESSIONS_RANGE = _("Le nombre de séances doit être compris entre 0 et 500.")
MSG_DATE_RANGE = _(
    "La date du document doit être comprise entre le %(start)s (%(what)s) et aujourd'hui "
    "(%(today)s)."
)
MSG_DATE_AFTER_PRESCRIPTION = _("date de la prescription")
MSG_DATE_AFTER_ENTRY = _("date du bilan d'entrée")
MSG_EXIT_ENTRY_UNSIGNED = _("Le bilan de sortie se compare à un bilan d'entrée signé.")
MSG_EXIT_EXISTS = _("Ce programme a déjà un bilan de sortie.")
MSG_PROPOSAL_MISSING = _("Indiquez la proposition : poursuivre ou sortir du programme.")
MSG_CONTINUE_INCOMPLETE = _(
    "Pour poursuivre, indiquez le type d'activité, la fréquence et l'intensité proposés."
)
MSG_LEAVE_WHERE = _("Pour une sortie du programme, indiquez vers où le patient est orienté.")

TEST_FIELDS = tuple(spec.key for spec in TESTS)
ASSESSMENT_FIELDS = (
    *TEST_FIELDS,
    *(f"{key}_not_done" for key in TEST_FIELDS),
    "borg_scale",
    "borg_value",
    "borg_value_not_done",
    "activity_items",
    "activity_items_not_done",
    "stage",
    "goals",
    "barriers",
    "resources",
    "performed_on",
    "share_agreement",
    "risk_flag",
    "risk_description",
)
PROGRAMME_FIELDS = (
    "programme_activity_types",
    "programme_intensity",
    "programme_sessions_per_week",
    "programme_session_minutes",
    "programme_sessions_total",
    "programme_weeks",
    "programme_place",
    "programme_notes",
)
ENTRY_FIELDS = ASSESSMENT_FIELDS + PROGRAMME_FIELDS
EXIT_FIELDS = ASSESSMENT_FIELDS + (
    "proposal",
    "continue_activity_types",
    "continue_sessions_per_week",
    "continue_intensity",
    "leave_to",
    "comment",
)
ACTIVITY_LIST_FIELDS = frozenset({"programme_activity_types", "continue_activity_types"})
REPORT_FIELDS = (
    "performed_on",
    "sessions_planned",
    "sessions_done",
    "tolerance",
    "progress",
    "share_agreement",
    "risk_flag",
    "risk_description",
)


Errors = dict[str, list[ValidationError]]


def _add(errors: Errors, field: str, error: ValidationError) -> None:
    errors.setdefault(field, []).append(error)


def current_prescription(patient: Patient) -> Prescription | None:
    """The patient's latest signed prescription: the one the bilans follow."""
    return (
        Prescription.objects.filter(patient=patient, status__in=Prescription.SIGNED_STATUSES)
        .select_related("prescriber")
        .order_by("-prescribed_on", "-issued_at")
        .first()
    )


def _apply(instance: Any, values: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    """Set the submitted values on the instance, normalised (the apply step: the checks that
    follow only read)."""
    for name in fields:
        if name in values:
            value = values[name]
            if name in ACTIVITY_LIST_FIELDS:
                # Only the known activity types are kept (a list of choices, never free text).
                value = rules_known_activities(value)
            setattr(instance, name, value)


def _check_assessment(instance: Any, errors: Errors, *, signing: bool) -> None:
    """R-B1: units and bounds, a value or a reason (never both; one of them when signed)."""
    for spec in TESTS:
        value = getattr(instance, spec.key)
        not_done = getattr(instance, f"{spec.key}_not_done")
        if value is not None and not_done:
            _add(errors, spec.key, _error(MSG_VALUE_AND_NOT_DONE, "value_and_not_done"))
        elif not rules.value_in_bounds(spec, value):
            _add(errors, spec.key, _error(spec.message, "out_of_bounds"))
        elif signing and value is None and not not_done:
            _add(errors, spec.key, _error(MSG_TEST_MISSING, "test_missing"))
    if instance.borg_value is not None and instance.borg_value_not_done:
        _add(errors, "borg_value", _error(MSG_VALUE_AND_NOT_DONE, "value_and_not_done"))
    elif instance.borg_value is not None and not instance.borg_scale:
        _add(errors, "borg_scale", _error(MSG_BORG_SCALE, "borg_scale"))
    elif not rules.borg_in_bounds(instance.borg_scale, instance.borg_value):
        _add(errors, "borg_value", _error(rules.MSG_BORG_RANGE, "borg_range"))
    elif signing and instance.borg_value is None and not instance.borg_value_not_done:
        _add(errors, "borg_value", _error(MSG_TEST_MISSING, "test_missing"))
    items = instance.activity_items or []
    questionnaire = rules.RICCI_GAGNON
    if items and instance.activity_items_not_done:
        _add(errors, "activity_items", _error(MSG_VALUE_AND_NOT_DONE, "value_and_not_done"))
    elif not rules.questionnaire_items_valid(questionnaire, items):
        _add(
            errors,
            "activity_items",
            _error(
                rules.MSG_QUESTIONNAIRE_ITEMS,
                "questionnaire_items",
                n=questionnaire.items,
                min=questionnaire.item_min,
                max=questionnaire.item_max,
            ),
        )
    elif signing and not items and not instance.activity_items_not_done:
        _add(errors, "activity_items", _error(MSG_TEST_MISSING, "test_missing"))
    if signing and not instance.stage:
        _add(errors, "stage", _error(MSG_STAGE_MISSING, "stage_missing"))
    if instance.risk_flag and not instance.risk_description.strip():
        _add(errors, "risk_description", _error(MSG_RISK_WITHOUT_WORDS, "risk_without_words"))


def _check_date(document: Any, errors: Errors, *, not_before: date, what: Any, today: date) -> None:
    """A document is dated between what it follows and today: never in the future, never
    before its prescription (R-R5 reads the documents dated since the prescription: a
    backdated risk report would escape it)."""
    if not not_before <= document.performed_on <= today:
        _add(
            errors,
            "performed_on",
            _error(
                MSG_DATE_RANGE,
                "date_range",
                start=f"{not_before:%d/%m/%Y}",
                what=what,
                today=f"{today:%d/%m/%Y}",
            ),
        )


def _in(value: int | None, low: int, high: int) -> bool:
    return value is None or low <= value <= high


def _check_programme(bilan: EntryBilan, errors: Errors, *, signing: bool) -> None:
    """R-B1: the programme, consistent with the prescription's restrictions and intensity."""
    prescription = bilan.prescription
    refusal = rules.programme_intensity_refusal(
        intensity=bilan.programme_intensity,
        prescribed_intensity=prescription.intensity,
        restriction_picks=list(prescription.restriction_picks or []),
    )
    if refusal == "programme_above_restriction":
        _add(errors, "programme_intensity", _error(MSG_PROGRAMME_ABOVE_RESTRICTION, refusal))
    elif refusal == "programme_above_prescription":
        _add(
            errors,
            "programme_intensity",
            _error(
                MSG_PROGRAMME_ABOVE_PRESCRIPTION,
                refusal,
                prescribed=str(prescription.get_intensity_display()).lower(),
            ),
        )
    if not (
        _in(bilan.programme_sessions_per_week, 1, 7)
        and _in(bilan.programme_session_minutes, 10, 180)
        and _in(bilan.programme_sessions_total, 1, 200)
        and _in(bilan.programme_weeks, 1, 52)
    ):
        _add(errors, "__all__", _error(MSG_PROGRAMME_RANGE, "programme_range"))
    if signing and not (
        bilan.programme_activity_types
        and bilan.programme_intensity
        and bilan.programme_sessions_per_week
        and (bilan.programme_sessions_total or bilan.programme_weeks)
    ):
        _add(errors, "__all__", _error(MSG_PROGRAMME_INCOMPLETE, "programme_incomplete"))


def rules_known_activities(values: Any) -> list[str]:
    """The known activity types of a submitted list, in order; anything else (unknown value,
    wrong type, not a list) is dropped."""
    if not isinstance(values, list | tuple):
        return []
    known = {choice.value for choice in ActivityType}
    return [v for v in values if isinstance(v, str) and v in known]


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _save(instance: Any) -> None:
    # The service's checks above carry the French messages; the model's own validation (choices,
    # lengths) and the database constraints stay the backstop.
    instance.full_clean(exclude={"patient", "prescription", "author", "entry"})
    instance.save()


def _lock_draft(model: Any, document: Any, by: User) -> Any:
    locked = model.objects.select_for_update().select_related("prescription").get(pk=document.pk)
    if locked.author_id != by.pk:
        raise _error(MSG_NOT_AUTHOR, "not_author")
    if locked.status != Status.DRAFT:
        raise _error(MSG_SIGNED, "signed")
    if not access.may_record(by, locked.patient):
        raise _error(access.MSG_NOT_ORIENTED, "bilan_not_allowed")
    return locked


# --- The document as handed out (R-B4) ----------------------------------------------------------
SignedDocument = EntryBilan | ExitBilan | ProgressReport


def _unique_reference(year: int) -> str:
    """A reference of the prescription form's format, unknown to the issued documents and to the
    prescriptions (one verification page answers both)."""
    while True:
        reference = new_reference(year)
        if not (
            IssuedDocument.objects.filter(reference=reference).exists()
            or Prescription.objects.filter(reference=reference).exists()
        ):
            return reference


def _kind(document: SignedDocument) -> str:
    if isinstance(document, EntryBilan):
        return IssuedDocument.Kind.ENTRY
    if isinstance(document, ExitBilan):
        return IssuedDocument.Kind.EXIT
    return IssuedDocument.Kind.REPORT


def document_issue(document: SignedDocument) -> IssuedDocument:
    """R-B4: give a signed document its reference and verification code (printed on its PDF,
    checked on the public verification page). Once: a document that has them keeps them (a
    document signed before references existed gets them at its first download)."""
    if not document.is_signed:
        raise ValueError("only a signed document is issued")
    kind = _kind(document)
    existing = IssuedDocument.objects.filter(**{kind: document}).first()
    if existing is not None:
        setattr(existing, kind, document)  # the document at hand, not loaded again
        return existing
    signed_at = getattr(document, "signed_at", None) or document.created_at
    try:
        with transaction.atomic():
            return IssuedDocument.objects.create(
                kind=kind,
                patient_id=document.patient_id,
                reference=_unique_reference(timezone.localdate(signed_at).year),
                verification_code=new_verification_code(),
                performed_on=document.performed_on,
                signed_at=signed_at,
                **{kind: document},
            )
    except IntegrityError:  # issued at the same moment by another request: theirs is kept
        return IssuedDocument.objects.get(**{kind: document})


def _issue_and_prerender(document: SignedDocument) -> IssuedDocument:
    from .tasks import prerender_pdf_on_commit  # noqa: PLC0415 (tasks imports the PDF machinery)

    issued = document_issue(document)
    prerender_pdf_on_commit(issued)
    return issued


# --- Entry bilan (R-B1) -----------------------------------------------------------------------
@transaction.atomic
def entry_bilan_save(
    *,
    patient: Patient,
    author: User,
    values: Mapping[str, Any],
    bilan: EntryBilan | None = None,
    today: date | None = None,
) -> EntryBilan:
    """Create or change the draft of the entry bilan (R-B1) of the patient's current
    prescription, by the professional who supervises the patient."""
    if bilan is None:
        if not access.may_record(author, patient):
            raise _error(access.MSG_NOT_ORIENTED, "bilan_not_allowed")  # R-L4, R-L5
        prescription = current_prescription(patient)
        if prescription is None:
            raise _error(MSG_NO_PRESCRIPTION, "bilan_no_prescription")
        if EntryBilan.objects.filter(prescription=prescription).exists():
            raise _error(MSG_ENTRY_EXISTS, "entry_exists")
        bilan = EntryBilan(
            patient=patient,
            prescription=prescription,
            author=author,
            performed_on=today or timezone.localdate(),
        )
    else:
        bilan = _lock_draft(EntryBilan, bilan, author)
    _apply(bilan, values, ENTRY_FIELDS)
    errors: Errors = {}
    _check_date(
        bilan,
        errors,
        not_before=bilan.prescription.prescribed_on,
        what=MSG_DATE_AFTER_PRESCRIPTION,
        today=today or timezone.localdate(),
    )
    _check_assessment(bilan, errors, signing=False)
    _check_programme(bilan, errors, signing=False)
    _raise(errors)
    _save(bilan)
    return bilan


@transaction.atomic
def entry_bilan_sign(*, bilan: EntryBilan, by: User) -> EntryBilan:
    """Sign the entry bilan: every test has a value or a reason, the motivational stage and the
    programme are complete (R-B1). Then it is never edited; it is sent only with the patient's
    agreement (R-B4)."""
    locked: EntryBilan = _lock_draft(EntryBilan, bilan, by)
    errors: Errors = {}
    _check_assessment(locked, errors, signing=True)
    _check_programme(locked, errors, signing=True)
    _raise(errors)
    locked.status = Status.SIGNED
    locked.signed_at = timezone.now()
    _save(locked)
    _issue_and_prerender(locked)  # R-B4: reference, verification code, PDF stored once
    document_signed.send(sender=EntryBilan, document=locked)  # R-B4
    return locked


# --- Compte rendu (R-B2) ----------------------------------------------------------------------
@transaction.atomic
def progress_report_create(
    *, patient: Patient, author: User, values: Mapping[str, Any], today: date | None = None
) -> ProgressReport:
    """Record a compte rendu (R-B2), signed at once, after the signed entry bilan of the
    patient's current prescription. Its difficulty or risk flag is what R-R5 reads."""
    if not access.may_record(author, patient):
        raise _error(access.MSG_NOT_ORIENTED, "bilan_not_allowed")
    prescription = current_prescription(patient)
    if prescription is None:
        raise _error(MSG_NO_PRESCRIPTION, "bilan_no_prescription")
    if not EntryBilan.objects.filter(prescription=prescription, status=Status.SIGNED).exists():
        raise _error(MSG_REPORT_NO_ENTRY, "report_no_entry")
    report = ProgressReport(
        patient=patient,
        prescription=prescription,
        author=author,
        performed_on=today or timezone.localdate(),
    )
    _apply(report, values, REPORT_FIELDS)
    errors: Errors = {}
    _check_date(
        report,
        errors,
        not_before=prescription.prescribed_on,
        what=MSG_DATE_AFTER_PRESCRIPTION,
        today=today or timezone.localdate(),
    )
    if not _in(report.sessions_done, 0, 500) or not _in(report.sessions_planned, 0, 500):
        _add(errors, "sessions_done", _error(MSG_SESSIONS_RANGE, "sessions_range"))
    elif report.sessions_planned is not None and (report.sessions_done or 0) > (
        report.sessions_planned
    ):
        _add(errors, "sessions_done", _error(MSG_SESSIONS_ABOVE_PLANNED, "sessions_above_planned"))
    if report.risk_flag and not report.risk_description.strip():
        _add(errors, "risk_description", _error(MSG_RISK_WITHOUT_WORDS, "risk_without_words"))
    _raise(errors)
    _save(report)
    _issue_and_prerender(report)  # R-B4: reference, verification code, PDF stored once
    document_signed.send(sender=ProgressReport, document=report)  # R-B4
    return report


# --- Exit bilan (R-B3) ------------------------------------------------------------------------
def _check_proposal(bilan: ExitBilan, errors: Errors, *, signing: bool) -> None:
    """R-B3: the proposal. A check: it reads the bilan and never changes it."""
    if not _in(bilan.continue_sessions_per_week, 1, 7):
        _add(errors, "continue_sessions_per_week", _error(MSG_PROGRAMME_RANGE, "programme_range"))
    if not signing:
        return
    if not bilan.proposal:
        _add(errors, "proposal", _error(MSG_PROPOSAL_MISSING, "proposal_missing"))
    elif bilan.proposal == rules.Proposal.CONTINUE and not (
        bilan.continue_activity_types
        and bilan.continue_sessions_per_week
        and bilan.continue_intensity
    ):
        _add(errors, "__all__", _error(MSG_CONTINUE_INCOMPLETE, "continue_incomplete"))
    elif bilan.proposal == rules.Proposal.LEAVE and not bilan.leave_to.strip():
        _add(errors, "leave_to", _error(MSG_LEAVE_WHERE, "leave_where"))


@transaction.atomic
def exit_bilan_save(
    *,
    entry: EntryBilan,
    author: User,
    values: Mapping[str, Any],
    bilan: ExitBilan | None = None,
    today: date | None = None,
) -> ExitBilan:
    """Create or change the draft of the comparative exit bilan of `entry` (R-B3)."""
    if bilan is None:
        if not access.may_record(author, entry.patient):
            raise _error(access.MSG_NOT_ORIENTED, "bilan_not_allowed")
        if not entry.is_signed:
            raise _error(MSG_EXIT_ENTRY_UNSIGNED, "exit_entry_unsigned")
        if selectors.exit_exists(entry=entry):
            raise _error(MSG_EXIT_EXISTS, "exit_exists")
        bilan = ExitBilan(
            entry=entry,
            patient_id=entry.patient_id,
            prescription_id=entry.prescription_id,
            author=author,
            performed_on=today or timezone.localdate(),
        )
    else:
        bilan = _lock_draft(ExitBilan, bilan, author)
    _apply(bilan, values, EXIT_FIELDS)
    errors: Errors = {}
    _check_date(
        bilan,
        errors,
        not_before=entry.performed_on,
        what=MSG_DATE_AFTER_ENTRY,
        today=today or timezone.localdate(),
    )
    _check_assessment(bilan, errors, signing=False)
    _check_proposal(bilan, errors, signing=False)
    _raise(errors)
    _save(bilan)
    return bilan


@transaction.atomic
def exit_bilan_sign(*, bilan: ExitBilan, by: User) -> ExitBilan:
    """Sign the exit bilan: the same completeness as at entry, and the proposal (R-B3)."""
    locked: ExitBilan = _lock_draft(ExitBilan, bilan, by)
    errors: Errors = {}
    _check_assessment(locked, errors, signing=True)
    _check_proposal(locked, errors, signing=True)
    _raise(errors)
    locked.status = Status.SIGNED
    locked.signed_at = timezone.now()
    _save(locked)
    _issue_and_prerender(locked)  # R-B4: reference, verification code, PDF stored once
    document_signed.send(sender=ExitBilan, document=locked)  # R-B4
    return locked
