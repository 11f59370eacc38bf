"""The physician's journey: list, one-page prescription form (draft, issue and sign), the
prescription page, cancellation and the PDF. Thin views: reads through `selectors`, writes
through `services`, whose `ValidationError`s are placed next to the fields.

A refused "Émettre et signer" leaves nothing behind: the save of the draft and the issue run in
one transaction, rolled back together, and the form comes back with everything typed and the
errors next to the fields (see `_save_and_maybe_issue`).
"""

import io
import uuid
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import ReadAudit
from audit.services import audit_read
from kernel.pagination import CappedPaginator
from patients import access as patient_access
from patients.models import FULL_NAME_FIELDS, EligibilitySituation, Patient
from patients.rules import OTHER_RISK_FACTOR_CODE
from patients.selectors import patient_get_visible
from patients.services import patient_save
from practitioners.http import AuthenticatedRequest
from practitioners.models import DISPLAY_NAME_FIELDS, Profession

from . import access, events, pdf, rules
from .forms import CancelForm, PrescriptionForm
from .models import Prescription
from .selectors import (
    prescription_get_visible,
    prescriptions_visible_to,
    supervising_professions,
)
from .services import (
    MSG_NOT_CARE_TEAM,
    MSG_NOT_DRAFT,
    prescription_cancel,
    prescription_create,
    prescription_issue,
    prescription_update,
)

PAGE_SIZE = 25
# What a row of the list prints: its rows are read without the other columns, nor the renewal's
# (the copy `current_end_date` holds its end).
LIST_ROW_FIELDS = (
    "reference",
    "status",
    "prescribed_on",
    "current_end_date",
    *(f"patient__{name}" for name in FULL_NAME_FIELDS),
    *(f"prescriber__{name}" for name in DISPLAY_NAME_FIELDS),
)
# R-L4 (binding, CSP D.1172-3, annexe 11-7-2), shown next to a severe limitation.
SEVERE_SUPERVISION_SENTENCE = _(
    "Seuls les professionnels de santé (masseurs-kinésithérapeutes, ergothérapeutes, "
    "psychomotriciens) sont habilités à superviser l'activité physique adaptée des patients "
    "présentant une limitation fonctionnelle sévère. Un enseignant en activité physique adaptée "
    "peut intervenir en complément lorsque le patient a acquis une autonomie suffisante."
)
NO_PDF_MESSAGE = _(
    "Le PDF n'existe que pour une prescription émise : émettez et signez d'abord ce brouillon."
)


# --- Lists and pages ------------------------------------------------------------------------
def prescription_list(request: AuthenticatedRequest) -> HttpResponse:
    """The prescriptions the user may see, newest first, filtered by status."""
    status = request.GET.get("status", "")
    prescriptions = (
        prescriptions_visible_to(request.user)
        .select_related("patient", "prescriber")
        .only(*LIST_ROW_FIELDS)
    )
    if status in Prescription.Status.values:
        prescriptions = prescriptions.filter(status=status)
    else:
        status = ""
    page = CappedPaginator(
        prescriptions.order_by("-prescribed_on", "-created_at"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    # One read for the page, naming the patients of its rows (their names are shown).
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_LIST,
        patients_shown=(prescription.patient_id for prescription in page.object_list),
        detail="prescriptions",
    )
    context = {"page": page, "status": status, "statuses": Prescription.Status.choices}
    return render(request, "prescriptions/prescription_list.html", context)


def prescription_detail(request: AuthenticatedRequest, pk) -> HttpResponse:
    prescription = prescription_get_visible(user=request.user, pk=pk)
    audit_read(request, action=ReadAudit.Action.PRESCRIPTION_VIEW, prescription=prescription)
    return render(
        request,
        "prescriptions/prescription_detail.html",
        _detail_context(request, prescription, CancelForm()),
    )


def _detail_context(request: AuthenticatedRequest, prescription: Prescription, cancel_form) -> dict:
    user = request.user
    assessment = getattr(prescription, "assessment", None)
    return {
        "prescription": prescription,
        "patient": prescription.patient,
        "assessment": assessment,
        "renewal": getattr(prescription, "renewal", None),
        "supervision": _supervision(assessment.confirmed_level) if assessment else None,
        "is_prescriber": access.is_prescriber(user, prescription),
        "may_edit": access.may_edit_draft(user, prescription),
        "may_cancel": access.may_cancel(user, prescription),
        "has_pdf": access.has_official_form(prescription),
        "cancel_form": cancel_form,
    }


def _supervision(level: int) -> dict[str, Any]:
    """R-L4/R-L5: who may supervise `level`, from the editable table (R-L4 always binding)."""
    return {
        "level": level,
        "label": str(rules.LimitationLevel(level).label),
        "professions": [str(Profession(p).label) for p in supervising_professions(level)],
        "binding": str(SEVERE_SUPERVISION_SENTENCE)
        if level == rules.LimitationLevel.SEVERE
        else "",
    }


# --- The prescription form --------------------------------------------------------------------
def prescription_create_view(request: AuthenticatedRequest) -> HttpResponse:
    """`/prescriptions/new/?patient=<uuid>`: a new prescription for that patient (R-P1)."""
    try:
        patient_pk = uuid.UUID(request.GET.get("patient", ""))
    except ValueError:
        messages.info(request, _("Choisissez d'abord le patient, puis « Nouvelle prescription »."))
        return redirect("patients:list")
    patient = patient_get_visible(user=request.user, pk=patient_pk)
    if not request.user.is_physician:
        raise PermissionDenied(access.MSG_MAY_NOT_PRESCRIBE)
    if not access.may_prescribe_for(request.user, patient):
        raise PermissionDenied(MSG_NOT_CARE_TEAM)  # R-P1 and need-to-know
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient)
    if request.method == "POST":
        form = _form(request, patient, request.POST)
    else:
        form = _form(request, patient, initial=_prefill(request, patient))
    if request.method == "POST" and form.is_valid():
        prescription = _save_and_maybe_issue(request, form, patient=patient)
        if prescription is not None:
            return _after_save(request, prescription)
    return _render_form(request, form, patient=patient, prescription=None)


def _prefill(request: AuthenticatedRequest, patient: Patient) -> dict[str, Any]:
    """R-C4: the first values an app above offers from `?from=<source>` (events), or none."""
    source = request.GET.get("from", "")[:100]
    if not source:
        return {}
    for _receiver, answer in events.prescription_prefill_requested.send(
        sender=Prescription, user=request.user, patient=patient, source=source
    ):
        if isinstance(answer, events.PrescriptionPrefill):
            messages.info(request, answer.label)
            return dict(answer.initial)
    return {}


def prescription_update_view(request: AuthenticatedRequest, pk) -> HttpResponse:
    """`/prescriptions/<uuid>/edit/`: a draft only (R-P4); never a form for an issued one."""
    prescription = prescription_get_visible(user=request.user, pk=pk)
    _check_own_draft(request, prescription)
    if not prescription.is_draft:
        messages.error(request, MSG_NOT_DRAFT)  # R-P4: never a form for an issued one
        return redirect(prescription)
    audit_read(request, action=ReadAudit.Action.PRESCRIPTION_VIEW, prescription=prescription)
    if request.method == "POST":
        form = _form(request, prescription.patient, request.POST)
        if form.is_valid():
            saved = _save_and_maybe_issue(request, form, prescription=prescription)
            if saved is not None:
                return _after_save(request, saved)
    else:
        form = _form(
            request, prescription.patient, initial=PrescriptionForm.initial_from(prescription)
        )
    return _render_form(request, form, patient=prescription.patient, prescription=prescription)


@require_POST
def prescription_issue_view(request: AuthenticatedRequest, pk) -> HttpResponse:
    """`/prescriptions/<uuid>/issue/` (POST): sign a saved draft from its page (R-P4)."""
    prescription = prescription_get_visible(user=request.user, pk=pk)
    _check_own_draft(request, prescription)
    if not prescription.is_draft:
        messages.error(request, MSG_NOT_DRAFT)  # R-P4
        return redirect(prescription)
    # The draft is checked as the form checks "Émettre et signer" (every missing item at once,
    # the start date against today); the service checks again.
    form = _form(
        request,
        prescription.patient,
        _as_form_data(PrescriptionForm.initial_from(prescription)),
        issuing=True,
    )
    if not form.is_valid():
        return _render_form(request, form, patient=prescription.patient, prescription=prescription)
    try:
        with transaction.atomic():
            issued = prescription_issue(prescription=prescription, by=request.user)
    except ValidationError as exc:
        # Show the draft's form with the reasons next to the fields, as after "Émettre et signer".
        form.add_service_errors(exc)
        return _render_form(request, form, patient=prescription.patient, prescription=prescription)
    return _after_save(request, issued)


def _check_own_draft(request: AuthenticatedRequest, prescription: Prescription) -> None:
    """Only its prescriber edits or signs a draft, while still in the patient's care team (a
    revoked grant leaves the draft theirs to cancel, not to sign: R-P1, need-to-know)."""
    if not access.is_prescriber(request.user, prescription):
        raise PermissionDenied(access.MSG_NOT_PRESCRIBER_EDIT)
    if prescription.is_draft and not access.may_edit_draft(request.user, prescription):
        raise PermissionDenied(MSG_NOT_CARE_TEAM)


def _form(
    request: AuthenticatedRequest,
    patient: Patient,
    data: Any = None,
    *,
    issuing: bool | None = None,
    **kwargs: Any,
) -> PrescriptionForm:
    """The prescription form for `patient`: with "Émettre et signer" every requirement of the
    issue is checked at once; a patient without a situation of R-E1 gets them in the form when
    the physician may edit the patient (except "other risk factor", to be named in the record)."""
    eligible = patient.situations.exists()
    situations = None
    if not eligible and patient_access.may_edit_patient(request.user, patient):
        situations = list(EligibilitySituation.objects.exclude(code=OTHER_RISK_FACTOR_CODE))
    if issuing is None:
        issuing = data is not None and "issue" in data
    return PrescriptionForm(
        data, issuing=issuing, eligible=eligible, situations=situations, **kwargs
    )


def _save_and_maybe_issue(
    request: AuthenticatedRequest,
    form: PrescriptionForm,
    *,
    patient: Patient | None = None,
    prescription: Prescription | None = None,
) -> Prescription | None:
    """Save the draft, and sign it when the physician pressed "Émettre et signer".

    Both in one transaction: when the issue is refused (no agreement, no assessment...), the
    draft's save is rolled back too and nothing is stored. Nothing typed is lost either: the
    form comes back bound to what was posted, with the reasons next to the fields, and the
    physician may press "Enregistrer le brouillon" to keep it for later.
    """
    user = request.user
    try:
        with transaction.atomic():
            situations = form.selected_situations()
            if situations:  # R-E1, ticked in the form for a patient who had none
                record = patient if prescription is None else prescription.patient
                assert record is not None  # the create view passes the patient: for mypy
                patient_save(patient=record, situations=situations)
            if prescription is None:
                assert patient is not None  # the create view passes it: for mypy
                saved = prescription_create(
                    prescriber=user,
                    patient=patient,
                    content=form.content(),
                    assessment=form.assessment(),
                )
            else:
                saved = prescription_update(
                    prescription=prescription,
                    by=user,
                    content=form.content(),
                    assessment=form.assessment(),
                )
            if "issue" in request.POST:
                saved = prescription_issue(prescription=saved, by=user)
    except ValidationError as exc:
        form.add_service_errors(exc)
        return None
    return saved


def _after_save(request: AuthenticatedRequest, prescription: Prescription) -> HttpResponse:
    if prescription.is_draft:
        messages.success(
            request,
            _("Brouillon enregistré. Il n'est pas encore émis : vous pouvez le compléter."),
        )
    else:
        messages.success(
            request,
            _(
                "Prescription émise et signée le %(date)s : elle ne peut plus être modifiée. "
                "Téléchargez le formulaire officiel pour le remettre au patient."
            )
            % {"date": formats.date_format(prescription.prescribed_on, "d/m/Y")},
        )
    return redirect(prescription)


def _as_form_data(initial: dict[str, Any]) -> QueryDict:
    """A saved draft as the POST data of its form, to show it bound with the service's errors."""
    data = QueryDict(mutable=True)
    for name, value in initial.items():
        if value is None or value is False or value == "":
            continue
        if isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        elif value is True:
            data[name] = "on"
        elif isinstance(value, date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    return data


def _render_form(
    request: AuthenticatedRequest,
    form: PrescriptionForm,
    *,
    patient: Patient,
    prescription: Prescription | None,
) -> HttpResponse:
    context = {
        "form": form,
        "patient": patient,
        "prescription": prescription,
        "action": reverse("prescriptions:update", kwargs={"pk": prescription.pk})
        if prescription
        else f"{reverse('prescriptions:create')}?patient={patient.pk}",
        "patient_eligible": form.eligible,
        "computed_level": form.computed_level() if form.is_bound else _initial_level(form),
        # R-L4/R-L5 for the live display: one entry per level, read by prescription_form.js.
        "supervision_table": {level: _supervision(level) for level in rules.LimitationLevel.values},
        "severe_level": rules.LimitationLevel.SEVERE,
        "level_labels": dict(rules.LimitationLevel.choices),
    }
    return render(request, "prescriptions/prescription_form.html", context)


def _initial_level(form: PrescriptionForm) -> int | None:
    ratings: list[Any] = [form.initial.get(name) for name in ("locomotor", "cerebral", "sensory")]
    return None if any(r is None for r in ratings) else rules.resulting_level(*ratings)


# --- Cancel and PDF ---------------------------------------------------------------------------
@require_POST
def prescription_cancel_view(request: AuthenticatedRequest, pk) -> HttpResponse:
    """`/prescriptions/<uuid>/cancel/` (POST): only the prescriber; a reason for an issued one."""
    prescription = prescription_get_visible(user=request.user, pk=pk)
    if not access.is_prescriber(request.user, prescription):
        raise PermissionDenied(access.MSG_NOT_PRESCRIBER_CANCEL)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                prescription_cancel(
                    prescription=prescription,
                    by=request.user,
                    reason=form.cleaned_data["cancel_reason"],
                )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("La prescription a été annulée."))
            return redirect(prescription)
    return render(
        request,
        "prescriptions/prescription_detail.html",
        _detail_context(request, prescription, form),
        status=400,
    )


def prescription_pdf(request: AuthenticatedRequest, pk) -> FileResponse:
    """`/prescriptions/<uuid>/pdf/`: the official form, filled (issued or later only)."""
    prescription = prescription_get_visible(user=request.user, pk=pk)
    if not access.has_official_form(prescription):
        raise Http404(NO_PDF_MESSAGE)
    audit_read(request, action=ReadAudit.Action.PRESCRIPTION_PDF, prescription=prescription)
    response = FileResponse(
        io.BytesIO(pdf.prescription_pdf_bytes(prescription)),
        content_type="application/pdf",
        filename=f"prescription-{prescription.reference}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
