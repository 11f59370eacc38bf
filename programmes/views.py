"""Pages of group programmes: the directory of offers for a patient (R-O1), the offer's page
(referrals, enrolment, waiting list, sessions, follow-ups due), the roll call (a tablet at the
session: large targets, one tap per patient, a small page), the follow-up (R-G4), the
calendars (iCalendar) and the CSV import. The services enforce the rules; the pages show
them."""

import uuid
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import ReadAudit
from audit.services import audit_read
from bilans import access as bilan_access
from bilans import selectors as bilan_selectors
from bilans.services import MSG_REPORT_NO_ENTRY, current_prescription
from patients.selectors import patient_get_visible
from practitioners.http import AuthenticatedRequest
from prescriptions.rules import LimitationLevel

from . import access, importer, selectors, services
from .calendar import sessions_ics
from .forms import (
    CancelForm,
    EndForm,
    EnrolForm,
    FollowUpForm,
    ImportForm,
    OfferForm,
    RefuseForm,
)
from .importer import COLUMNS
from .models import Enrolment, Offer

UPCOMING_SESSIONS = 12
MINE_LIMIT = 50


def _errors(request: AuthenticatedRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def patient_directory(request: AuthenticatedRequest, pk) -> HttpResponse:
    """R-O1: the offers matching the patient's running prescription (level, situations), nearest
    first, with seats left; « Orienter » sends a referral (a POST)."""
    patient = patient_get_visible(user=request.user, pk=pk)
    if not access.may_orient_to_offer(request.user, patient):
        raise PermissionDenied(access.MSG_ORIENT_NOT_ALLOWED)
    today = timezone.localdate()
    prescription = selectors.running_prescription_of(patient, today=today)
    if request.method == "POST":
        offer_id = _uuid_or_none(request.POST.get("offer"))
        offer = Offer.objects.filter(pk=offer_id).first() if offer_id else None
        if offer is None:
            messages.error(request, _("Choisissez un programme dans la liste."))
        elif prescription is None:
            messages.error(request, str(services.MSG_PRESCRIPTION_NOT_RUNNING))
        else:
            try:
                services.referral_send(prescription=prescription, offer=offer, by=request.user)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(
                    request,
                    _("Le patient est orienté vers « %(title)s ».") % {"title": offer.title},
                )
                return redirect(patient)
        return redirect("programmes:patient_directory", pk=patient.pk)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient, detail="programmes")
    level = None
    entries: list[selectors.DirectoryEntry] = []
    if prescription is not None:
        level = int(prescription.assessment.confirmed_level)
        entries = selectors.offers_matching(prescription=prescription, level=level, today=today)
    context = {
        "patient": patient,
        "prescription": prescription,
        "level": level,
        "level_label": LimitationLevel(level).label if level is not None else None,
        "entries": entries,
        "no_prescription_message": services.MSG_PRESCRIPTION_NOT_RUNNING,
    }
    return render(request, "programmes/directory.html", context)


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    """A posted identifier: a malformed one is none (a clear message), never a 500."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def my_offers(request: AuthenticatedRequest) -> HttpResponse:
    """« Mes programmes »: the offers the user manages, and the follow-ups due (R-G4)."""
    today = timezone.localdate()
    # The running programmes, the first MINE_LIMIT (a regional coordinator may run hundreds).
    offers = list(
        selectors.offers_managed_by(request.user)
        .filter(end_date__gte=today)
        .select_related("structure")
        .order_by("start_date", "title", "pk")[: MINE_LIMIT + 1]
    )
    follow_ups = list(selectors.follow_ups_due(request.user, today=today)[:50])
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_LIST,
        patients_shown=[item.enrolment.patient_id for item in follow_ups],
        detail="suivis de programme",
    )
    return render(
        request,
        "programmes/mine.html",
        {
            "offers": offers[:MINE_LIMIT],
            "more_offers": len(offers) > MINE_LIMIT,
            "follow_ups": follow_ups,
            "today": today,
            "may_import": access.may_publish_offers(request.user),
            "may_publish": access.may_publish_offers_for(request.user, request.user.structure_id),
        },
    )


def offer_detail(request: AuthenticatedRequest, pk) -> HttpResponse:
    """The offer's page for those who run it: referrals to answer, enrolled patients and the
    waiting list, the next sessions with their roll call."""
    offer = selectors.offer_get_managed(user=request.user, pk=pk)
    today = timezone.localdate()
    enrolments = list(selectors.enrolments_of_offer(offer))
    referrals = list(selectors.referrals_of_offer(offer))
    context = {
        "offer": offer,
        "referrals": referrals,
        "enrolled": [e for e in enrolments if e.status == Enrolment.Status.ENROLLED],
        "waiting": [e for e in enrolments if e.status == Enrolment.Status.WAITING],
        "sessions": list(
            offer.sessions.filter(starts_at__gte=selectors.start_of_day(today))[:UPCOMING_SESSIONS]
        ),
        "slots": list(offer.slots.all()),
        "may_edit": access.may_edit_offer(request.user, offer),
    }
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_LIST,
        patients_shown=[e.patient_id for e in enrolments] + [r.patient_id for r in referrals],
        detail="programme",
    )
    return render(request, "programmes/offer_detail.html", context)


@require_POST
def referral_decision(request: AuthenticatedRequest, pk) -> HttpResponse:
    referral = selectors.referral_get_managed(user=request.user, pk=pk)
    accept = request.POST.get("decision") == "accept"
    form = RefuseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.referral_decide(referral=referral, by=request.user, accept=accept, reason=reason)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        done = _("Orientation acceptée.") if accept else _("Orientation refusée.")
        messages.success(request, done)
    return redirect("programmes:offer", pk=referral.offer_id)


@require_POST
def enrol(request: AuthenticatedRequest, pk) -> HttpResponse:
    referral = selectors.referral_get_managed(user=request.user, pk=pk)
    form = EnrolForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(services.MSG_GOALS_REQUIRED))
        return redirect("programmes:offer", pk=referral.offer_id)
    try:
        enrolment = services.enrolment_create(
            referral=referral, goals=form.cleaned_data["goals"], by=request.user
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if enrolment.status == Enrolment.Status.WAITING:
            messages.warning(
                request, _("Le programme est complet : le patient est inscrit en liste d'attente.")
            )
        else:
            messages.success(request, _("Le patient est inscrit au programme."))
    return redirect("programmes:offer", pk=referral.offer_id)


@require_POST
def enrolment_leave(request: AuthenticatedRequest, pk) -> HttpResponse:
    enrolment = selectors.enrolment_get_managed(user=request.user, pk=pk)
    form = EndForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.enrolment_end(enrolment=enrolment, by=request.user, reason=reason)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Le patient est sorti du programme."))
    return redirect("programmes:offer", pk=enrolment.offer_id)


def roll_call(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The roll call at the session: one button per patient, present or absent, one tap each.
    A POST records one patient and comes back to the page (works without JavaScript)."""
    session = selectors.session_get_managed(user=request.user, pk=pk)
    if request.method == "POST":
        enrolment_id = _uuid_or_none(request.POST.get("enrolment"))
        enrolment = (
            Enrolment.objects.filter(offer_id=session.offer_id, pk=enrolment_id).first()
            if enrolment_id
            else None
        )
        if enrolment is None or request.POST.get("present") not in ("0", "1"):
            messages.error(request, str(services.MSG_NOT_ENROLLED))
            return redirect("programmes:roll_call", pk=session.pk)
        try:
            services.attendance_record(
                session=session,
                enrolment=enrolment,
                present=request.POST["present"] == "1",
                by=request.user,
            )
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("programmes:roll_call", pk=session.pk)
    enrolled = list(
        selectors.enrolments_of_offer(session.offer).filter(status=Enrolment.Status.ENROLLED)
    )
    marks = dict(session.attendances.values_list("enrolment_id", "present"))
    rows = [{"enrolment": e, "present": marks.get(e.pk)} for e in enrolled]
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_LIST,
        patients_shown=[e.patient_id for e in enrolled],
        detail="appel",
    )
    return render(request, "programmes/roll_call.html", {"session": session, "rows": rows})


@require_POST
def session_cancel_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    session = selectors.session_get_managed(user=request.user, pk=pk)
    form = CancelForm(request.POST)
    try:
        services.session_cancel(
            session=session,
            by=request.user,
            reason=form.cleaned_data["reason"] if form.is_valid() else "",
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("La séance est annulée."))
    return redirect("programmes:offer", pk=session.offer_id)


def follow_up(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """R-G4: the follow-up consultation, recorded as a compte rendu (R-B2): effects, adjusted
    goals, tolerance, a difficulty or risk, the patient's agreement to send it (R-B4). Without
    the signed entry bilan the compte rendu is refused: the page says so and links to it."""
    item = selectors.follow_up_get_managed(user=request.user, pk=pk)
    patient = item.enrolment.patient
    form = FollowUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.follow_up_record(follow_up=item, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("La consultation de suivi est enregistrée : son compte rendu est signé."),
            )
            return redirect("programmes:offer", pk=item.enrolment.offer_id)
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_VIEW,
        patient=patient,
        detail="suivi de programme",
    )
    recorder = bilan_access.may_record(request.user, patient)
    report = item.report
    context = {
        "item": item,
        "form": form,
        "recorder": recorder,
        # The entry bilan first (R-B1 before R-B2): said before the form, not only after a POST
        # (a refused POST saved nothing: the follow-up stays due).
        "entry_missing": item.done_on is None
        and not bilan_selectors.entry_signed_for(current_prescription(patient)),
        "entry_missing_message": MSG_REPORT_NO_ENTRY,
        "report": report,
        "report_readable": report is not None
        and bilan_access.may_read_document(request.user, report, recorder=recorder),
    }
    return render(
        request,
        "programmes/follow_up.html",
        context,
        status=400 if form.errors else 200,
    )


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def my_calendar(request: AuthenticatedRequest) -> HttpResponse:
    """The professional's sessions (from 30 days ago), as an iCalendar file."""
    since = timezone.localdate() - timedelta(days=30)
    sessions = selectors.sessions_of_professional(request.user, since=since)[:2000]
    return _ics(sessions_ics(sessions, name=_("Mes séances"), now=timezone.now()), "seances.ics")


def patient_calendar(request: AuthenticatedRequest, pk) -> HttpResponse:
    """The patient's sessions, to hand over or send to them (no health data in the events)."""
    patient = patient_get_visible(user=request.user, pk=pk)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient, detail="agenda")
    sessions = selectors.sessions_of_patient(patient, since=timezone.localdate())[:1000]
    return _ics(
        sessions_ics(sessions, name=_("Séances d'activité physique"), now=timezone.now()),
        "seances-patient.ics",
    )


def offers_import(request: AuthenticatedRequest) -> HttpResponse:
    """A structure's admin staff imports its offers from a CSV file: all or nothing."""
    if not access.may_publish_offers(request.user) or request.user.structure is None:
        raise PermissionDenied(access.MSG_PUBLISH_NOT_ALLOWED)
    posted = request.method == "POST"
    form = ImportForm(request.POST if posted else None, request.FILES if posted else None)
    report = None
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        report = importer.offers_import(structure=request.user.structure, content=content)
        if report.ok:
            messages.success(
                request, _("%(count)s offre(s) importée(s).") % {"count": report.created}
            )
            return redirect("programmes:mine")
    return render(
        request,
        "programmes/import.html",
        {"form": form, "report": report, "columns": COLUMNS},
        status=400 if (form.errors or (report and not report.ok)) else 200,
    )


def offer_create(request: AuthenticatedRequest) -> HttpResponse:
    """Publish one offer of the user's structure (its admin staff): the offer, its levels and
    supervisors (R-O1), its dates (R-G3), its places (R-G2) and its two weekly créneaux."""
    structure = request.user.structure
    if structure is None or not access.may_publish_offers_for(request.user, structure.pk):
        raise PermissionDenied(access.MSG_PUBLISH_NOT_ALLOWED)
    return _offer_form_page(request, structure=structure, offer=None)


def offer_edit(request: AuthenticatedRequest, pk) -> HttpResponse:
    """Change an offer (the admin staff of its structure): R-G5, what runs is never broken
    (`services.offer_update`). Those who run it without publishing it are refused (403),
    the others do not see it (404)."""
    offer = selectors.offer_get_managed(user=request.user, pk=pk)
    if not access.may_edit_offer(request.user, offer):
        raise PermissionDenied(access.MSG_EDIT_NOT_ALLOWED)
    return _offer_form_page(request, structure=offer.structure, offer=offer)


def _offer_form_page(request: AuthenticatedRequest, *, structure, offer: Offer | None):
    posted = request.method == "POST"
    form = OfferForm(request.POST if posted else None, structure=structure, offer=offer)
    if posted and form.is_valid():
        try:
            if offer is None:
                saved = services.offer_create(
                    structure=structure,
                    data=form.offer_input(),
                    supervisors=form.selected_supervisors(),
                    coordinator=form.selected_coordinator(),
                    situations=form.selected_situations(),
                    by=request.user,
                )
            else:
                saved = services.offer_update(
                    offer=offer,
                    by=request.user,
                    data=form.offer_input(),
                    supervisors=form.selected_supervisors(),
                    coordinator=form.selected_coordinator(),
                    situations=form.selected_situations(),
                )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            done = (
                _("Le programme est publié.") if offer is None else _("Le programme est modifié.")
            )
            messages.success(request, done)
            return redirect("programmes:offer", pk=saved.pk)
    context = {
        "form": form,
        "slots": form.shown_slots(),
        "offer": offer,
        "structure": structure,
        "enrolled_count": (
            offer.enrolments.filter(status=Enrolment.Status.ENROLLED).count() if offer else 0
        ),
    }
    return render(
        request, "programmes/offer_form.html", context, status=400 if form.has_errors else 200
    )
