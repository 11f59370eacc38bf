"""Pages of the post-cancer care pathway (R-C1 to R-C4).

Thin views: who may is asked of `access`, reads of `selectors`, writes of `services`. A patient
the user does not see is a 404; a pathway seen by neither its structure nor the care team's
physicians is a 404 too (its existence is not told).
"""

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import ReadAudit
from audit.services import audit_read
from kernel.csv import csv_response
from patients.selectors import patient_get_visible
from practitioners.http import AuthenticatedRequest

from . import access, exports, selectors, services
from .forms import BookingForm, EpisodeForm, MarkForm, PathwayForm, PeriodForm
from .models import Booking, CancerEpisode, PathwayPrescription
from .pdf import pathway_pdf_bytes


def _pathway_readable(request: AuthenticatedRequest, pk) -> PathwayPrescription:
    pathway = selectors.pathway_get(pk)
    if not access.may_see_pathway(request.user, pathway):
        raise Http404("No such pathway")
    return pathway


# --- The episode --------------------------------------------------------------------------------
def episode_create(request: AuthenticatedRequest, pk) -> HttpResponse:
    patient = patient_get_visible(user=request.user, pk=pk)
    if not access.may_record_episode(request.user, patient):
        raise PermissionDenied(access.MSG_EPISODE_NOT_ALLOWED)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient, detail="cancer")
    form = EpisodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.episode_record(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("L'épisode de cancer est enregistré."))
            return redirect(patient)
    context = {"patient": patient, "form": form}
    return render(request, "pathway/episode_form.html", context, status=400 if form.errors else 200)


# --- The prescription (R-C1) --------------------------------------------------------------------
def pathway_create(request: AuthenticatedRequest, pk) -> HttpResponse:
    episode = get_object_or_404(CancerEpisode.objects.select_related("patient"), pk=pk)
    patient = patient_get_visible(user=request.user, pk=episode.patient_id)
    if not access.may_prescribe(request.user, patient):
        raise PermissionDenied(access.MSG_PRESCRIBE_NOT_ALLOWED)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient, detail="parcours")
    structures = selectors.conventioned_structures(timezone.localdate())
    form = PathwayForm(request.POST if request.method == "POST" else None, structures=structures)
    if request.method == "POST" and form.is_valid():
        try:
            pathway = services.pathway_prescribe(
                episode=episode,
                by=request.user,
                structure=form.cleaned_data["structure"],
                kinds=form.cleaned_data["kinds"],
                prescribed_on=form.cleaned_data["prescribed_on"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Le parcours est prescrit."))
            return redirect(pathway)
    context = {"patient": patient, "episode": episode, "form": form}
    return render(request, "pathway/pathway_form.html", context, status=400 if form.errors else 200)


# --- The ledger and the bookings (R-C1 to R-C4) --------------------------------------------------
def _detail(request, pathway, *, booking_form=None, mark_errors=None, status=200):
    today = timezone.localdate()
    may_book = access.may_book(request.user, pathway)
    if may_book and booking_form is None:
        booking_form = BookingForm(
            professionals=selectors.structure_professionals(pathway.structure_id)
        )
    context = {
        "pathway": pathway,
        "patient": pathway.patient,
        "ledger": selectors.ledger(pathway, today=today),
        "may_book": may_book,
        "booking_form": booking_form,
        "mark_errors": mark_errors or {},
        "may_prescribe_from_project": access.may_prescribe_from_project(request.user, pathway),
    }
    return render(request, "pathway/detail.html", context, status=status)


def pathway_detail(request: AuthenticatedRequest, pk) -> HttpResponse:
    pathway = _pathway_readable(request, pk)
    audit_read(
        request, action=ReadAudit.Action.PATIENT_VIEW, patient=pathway.patient, detail="parcours"
    )
    return _detail(request, pathway)


@require_POST
def booking_create(request: AuthenticatedRequest, pk) -> HttpResponse:
    pathway = _pathway_readable(request, pk)
    if not access.may_book(request.user, pathway):
        raise PermissionDenied(access.MSG_BOOK_NOT_ALLOWED)
    form = BookingForm(
        request.POST, professionals=selectors.structure_professionals(pathway.structure_id)
    )
    if form.is_valid():
        try:
            services.booking_create(pathway=pathway, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("La prestation est réservée."))
            return redirect(pathway)
    return _detail(request, pathway, booking_form=form, status=400)


@require_POST
def booking_mark(request: AuthenticatedRequest, pk) -> HttpResponse:
    booking = get_object_or_404(Booking.objects.select_related("pathway"), pk=pk)
    pathway = _pathway_readable(request, booking.pathway_id)
    if not access.may_book(request.user, pathway):
        raise PermissionDenied(access.MSG_BOOK_NOT_ALLOWED)
    form = MarkForm(request.POST)
    if form.is_valid():
        try:
            services.booking_mark(booking=booking, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("La prestation est renseignée."))
            return redirect(pathway)
    errors = [str(e) for errs in form.errors.values() for e in errs]
    return _detail(request, pathway, mark_errors={booking.pk: errors}, status=400)


def pathway_pdf(request: AuthenticatedRequest, pk) -> FileResponse:
    """The pathway prescription's PDF (R-C1), for whoever reads the pathway."""
    pathway = _pathway_readable(request, pk)
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_VIEW,
        patient=pathway.patient,
        detail="parcours pdf",
    )
    response = FileResponse(
        io.BytesIO(pathway_pdf_bytes(pathway)),
        content_type="application/pdf",
        filename=f"parcours-{pathway.reference}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Statements (R-C2) --------------------------------------------------------------------------
def _period(request: AuthenticatedRequest) -> tuple[int, int, int]:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        raise ValidationError(_("Période invalide : année de 2020 à 2100, mois de 1 à 12."))
    today = timezone.localdate()
    year = form.cleaned_data["annee"] or today.year
    month = form.cleaned_data["mois"] or today.month
    quarter = form.cleaned_data["trimestre"] or (today.month - 1) // 3 + 1
    return year, month, quarter


def statements(request: AuthenticatedRequest) -> HttpResponse:
    """The structure's pathways (its staff and pathway professionals), and for its staff, per
    professional what the structure owes them for a month and the ARS export."""
    structure_id = request.user.structure_id
    if structure_id is None or not access.may_see_structure_pathways(request.user):
        raise PermissionDenied(access.MSG_STRUCTURE_PATHWAYS_NOT_ALLOWED)
    staff = access.may_see_statements(request.user, structure_id)
    try:
        year, month, quarter = _period(request)
    except ValidationError as exc:
        return render(
            request, "pathway/statements.html", {"period_error": exc.messages[0]}, status=400
        )
    pathways = list(selectors.structure_pathways(structure_id))
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_LIST,
        detail="parcours post-cancer",
        patients_shown=[p.patient_id for p in pathways],
    )
    context = {
        "pathways": pathways,
        "staff": staff,
        "rows": selectors.professional_statement(structure_id, year=year, month=month)
        if staff
        else [],
        "year": year,
        "month": month,
        "quarter": quarter,
    }
    return render(request, "pathway/statements.html", context)


def ars_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """R-C2: the quarter's statement the ARS asks for (CSV, `;`, UTF-8 with BOM, jj/mm/aaaa,
    pseudonymised patient identifier; name and NIR only when the convention requires them),
    recorded in the read audit."""
    structure_id = request.user.structure_id
    if structure_id is None or not access.may_see_statements(request.user, structure_id):
        raise PermissionDenied(access.MSG_STATEMENTS_NOT_ALLOWED)
    try:
        year, _month, quarter = _period(request)
    except ValidationError as exc:
        return render(
            request, "pathway/statements.html", {"period_error": exc.messages[0]}, status=400
        )
    start, _end = selectors.quarter_bounds(year, quarter)
    convention = selectors.convention_in_force(structure_id, start)
    with_identity = bool(convention and convention.export_identity)
    audit_read(
        request,
        action=ReadAudit.Action.EXPORT,
        detail=f"état ARS parcours post-cancer {year} T{quarter}"
        + (" (avec identité)" if with_identity else ""),
    )
    bookings = selectors.ars_quarter_bookings(structure_id, year=year, quarter=quarter)
    return csv_response(
        f"etat-ars-parcours-{year}-T{quarter}",
        exports.ars_header(with_identity=with_identity),
        exports.ars_rows(bookings, convention=convention, with_identity=with_identity),
    )
