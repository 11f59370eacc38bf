"""Pages of the bilans and comptes rendus (CSP D.1172-5, R-B1 to R-B4).

Thin views: who may is asked of `access`, reads of `selectors`, writes of `services`. A patient
the user does not see, or a document of such a patient, is a 404; a patient seen but a document
not for this user is a 403 with the reason in French.
"""

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import ReadAudit
from audit.services import audit_read
from patients.selectors import patient_get_visible, patient_is_visible
from practitioners.http import AuthenticatedRequest

from . import access, rules, selectors, services
from .charts import paired_bars
from .forms import ITEM_FIELDS, EntryBilanForm, ExitBilanForm, ProgressReportForm
from .pdf import document_pdf_bytes, interpretations
from .rules import TESTS


def _refuse_or_hide(request: AuthenticatedRequest, document) -> None:
    """The document is not for this user: 403 with why when they see the patient (or are one of
    its physicians), 404 otherwise (its existence is not told)."""
    reason = access.physician_refusal(request.user, document)
    if reason is not None:
        raise PermissionDenied(reason)
    if patient_is_visible(user=request.user, patient=document.patient):
        raise PermissionDenied(access.MSG_MAY_NOT_READ)
    raise Http404("No such document")


def _readable(request: AuthenticatedRequest, document) -> bool:
    recorder = access.may_record(request.user, document.patient)
    if not access.may_read_document(request.user, document, recorder=recorder):
        _refuse_or_hide(request, document)
    audit_read(
        request, action=ReadAudit.Action.PATIENT_VIEW, patient=document.patient, detail="bilan"
    )
    return recorder


def patient_bilans(request: AuthenticatedRequest, pk) -> HttpResponse:
    """The patient's timeline: prescription → entry bilan → comptes rendus → renewal → exit
    bilan (R-B4), each item for whoever may read it."""
    patient = patient_get_visible(user=request.user, pk=pk)
    recorder = access.may_record(request.user, patient)
    if not access.may_see_patient_bilans(request.user, patient, recorder=recorder):
        raise PermissionDenied(access.MSG_MAY_NOT_READ)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient, detail="bilans")
    documents = selectors.patient_documents(user=request.user, patient=patient, recorder=recorder)
    entries = [d for d in documents if d.kind == "entry"]
    exited = {d.entry_id for d in documents if d.kind == "exit"}
    context = {
        "patient": patient,
        "documents": documents,
        "has_bilans": any(not d.is_prescription_side for d in documents),
        "recorder": recorder,
        "prescription": services.current_prescription(patient),
        "open_entries": [e for e in entries if e.is_signed and e.pk not in exited],
        "has_entry": bool(entries),
    }
    return render(request, "bilans/patient_bilans.html", context)


# --- Entry bilan ----------------------------------------------------------------------------------
def _form_page(request, form, template, context):
    items = [form[name] for name in ITEM_FIELDS if name in form.fields]
    context = {**context, "form": form, "tests": TESTS, "item_fields": items}
    return render(request, template, context, status=400 if form.errors else 200)


def entry_create(request: AuthenticatedRequest, pk) -> HttpResponse:
    patient = patient_get_visible(user=request.user, pk=pk)
    if not access.may_record(request.user, patient):
        raise PermissionDenied(access.MSG_NOT_ORIENTED)  # R-L4, R-L5
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient, detail="bilan")
    prescription = services.current_prescription(patient)
    form = EntryBilanForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            bilan = services.entry_bilan_save(
                patient=patient, author=request.user, values=form.values()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Le bilan d'entrée est enregistré comme brouillon."))
            return redirect(bilan)
    return _form_page(
        request,
        form,
        "bilans/entry_form.html",
        {"patient": patient, "prescription": prescription, "bilan": None},
    )


def _own_draft(request: AuthenticatedRequest, document) -> None:
    if document.author_id != request.user.pk or not document.is_draft:
        if access.may_read_document(request.user, document):
            raise PermissionDenied(
                services.MSG_NOT_AUTHOR if document.is_draft else services.MSG_SIGNED
            )
        _refuse_or_hide(request, document)


def entry_update(request: AuthenticatedRequest, pk) -> HttpResponse:
    bilan = selectors.entry_get(pk=pk)
    _own_draft(request, bilan)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=bilan.patient, detail="bilan")
    form = EntryBilanForm(
        request.POST if request.method == "POST" else None,
        initial=EntryBilanForm.initial_from(bilan),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_bilan_save(
                patient=bilan.patient, author=request.user, values=form.values(), bilan=bilan
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Le brouillon du bilan d'entrée est enregistré."))
            return redirect(bilan)
    return _form_page(
        request,
        form,
        "bilans/entry_form.html",
        {"patient": bilan.patient, "prescription": bilan.prescription, "bilan": bilan},
    )


def entry_detail(request: AuthenticatedRequest, pk) -> HttpResponse:
    bilan = selectors.entry_get(pk=pk)
    recorder = _readable(request, bilan)
    context = {
        "bilan": bilan,
        "patient": bilan.patient,
        "rows": bilan.test_rows(),
        "interpretations": interpretations(bilan),
        "may_edit": bilan.is_draft and bilan.author_id == request.user.pk,
        "may_exit": recorder and bilan.is_signed and not selectors.exit_exists(entry=bilan),
    }
    return render(request, "bilans/entry_detail.html", context)


@require_POST
def entry_sign(request: AuthenticatedRequest, pk) -> HttpResponse:
    bilan = selectors.entry_get(pk=pk)
    _own_draft(request, bilan)
    try:
        services.entry_bilan_sign(bilan=bilan, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("bilans:entry_update", pk=bilan.pk)
    messages.success(request, _("Le bilan d'entrée est signé."))
    return redirect(bilan)


# --- Compte rendu --------------------------------------------------------------------------------
def report_create(request: AuthenticatedRequest, pk) -> HttpResponse:
    patient = patient_get_visible(user=request.user, pk=pk)
    if not access.may_record(request.user, patient):
        raise PermissionDenied(access.MSG_NOT_ORIENTED)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient, detail="bilan")
    form = ProgressReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.progress_report_create(
                patient=patient, author=request.user, values=form.values()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Le compte rendu est enregistré et signé."))
            return redirect(report)
    return _form_page(request, form, "bilans/report_form.html", {"patient": patient})


def report_detail(request: AuthenticatedRequest, pk) -> HttpResponse:
    report = selectors.report_get(pk=pk)
    _readable(request, report)
    return render(
        request, "bilans/report_detail.html", {"report": report, "patient": report.patient}
    )


# --- Exit bilan ----------------------------------------------------------------------------------
def exit_create(request: AuthenticatedRequest, pk) -> HttpResponse:
    entry = selectors.entry_get(pk=pk)
    if not access.may_record(request.user, entry.patient):
        if access.may_read_document(request.user, entry, recorder=False):
            raise PermissionDenied(access.MSG_NOT_ORIENTED)
        _refuse_or_hide(request, entry)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=entry.patient, detail="bilan")
    form = ExitBilanForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            bilan = services.exit_bilan_save(entry=entry, author=request.user, values=form.values())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Le bilan de sortie est enregistré comme brouillon."))
            return redirect(bilan)
    return _form_page(
        request, form, "bilans/exit_form.html", {"patient": entry.patient, "entry": entry}
    )


def exit_update(request: AuthenticatedRequest, pk) -> HttpResponse:
    bilan = selectors.exit_get(pk=pk)
    _own_draft(request, bilan)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=bilan.patient, detail="bilan")
    form = ExitBilanForm(
        request.POST if request.method == "POST" else None,
        initial=ExitBilanForm.initial_from(bilan),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.exit_bilan_save(
                entry=bilan.entry, author=request.user, values=form.values(), bilan=bilan
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Le brouillon du bilan de sortie est enregistré."))
            return redirect(bilan)
    return _form_page(
        request,
        form,
        "bilans/exit_form.html",
        {"patient": bilan.patient, "entry": bilan.entry, "bilan": bilan},
    )


def exit_detail(request: AuthenticatedRequest, pk) -> HttpResponse:
    """R-B3: the exit bilan side by side with the entry bilan, the deltas and their meaning,
    small SVG charts with their data table, and the proposal."""
    bilan = selectors.exit_get(pk=pk)
    _readable(request, bilan)
    entry = bilan.entry
    deltas = [
        rules.delta(spec, getattr(entry, spec.key), getattr(bilan, spec.key)) for spec in TESTS
    ]
    context = {
        "bilan": bilan,
        "entry": entry,
        "patient": bilan.patient,
        "deltas": deltas,
        "charts": [chart for chart in (paired_bars(d) for d in deltas) if chart is not None],
        "entry_interpretations": interpretations(entry),
        "interpretations": interpretations(bilan),
        "stage_change": rules.stage_change(entry.stage, bilan.stage),
        "may_edit": bilan.is_draft and bilan.author_id == request.user.pk,
    }
    return render(request, "bilans/exit_detail.html", context)


@require_POST
def exit_sign(request: AuthenticatedRequest, pk) -> HttpResponse:
    bilan = selectors.exit_get(pk=pk)
    _own_draft(request, bilan)
    try:
        services.exit_bilan_sign(bilan=bilan, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("bilans:exit_update", pk=bilan.pk)
    messages.success(request, _("Le bilan de sortie est signé."))
    return redirect(bilan)


# --- PDFs (R-B4: handed to the patient, sent with their agreement) -------------------------------
def _pdf(request: AuthenticatedRequest, document, name: str) -> FileResponse:
    if not document.is_signed:
        raise Http404("Only a signed document has a PDF")
    _readable(request, document)
    response = FileResponse(
        io.BytesIO(document_pdf_bytes(document)),
        content_type="application/pdf",
        filename=f"{name}-{document.performed_on:%Y-%m-%d}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def entry_pdf(request: AuthenticatedRequest, pk) -> FileResponse:
    return _pdf(request, selectors.entry_get(pk=pk), "bilan-entree")


def report_pdf(request: AuthenticatedRequest, pk) -> FileResponse:
    return _pdf(request, selectors.report_get(pk=pk), "compte-rendu")


def exit_pdf(request: AuthenticatedRequest, pk) -> FileResponse:
    return _pdf(request, selectors.exit_get(pk=pk), "bilan-sortie")
