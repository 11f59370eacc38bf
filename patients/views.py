"""Patient pages: the searchable list, the record (identity, eligibility R-E1, and the sections
the apps above add), and the create / edit form. Thin: reads through selectors, writes through
services, access through `access`, reads of a record recorded by `audit_read`."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.models import ReadAudit
from audit.services import audit_read
from kernel.pagination import CappedPaginator, keyset_page
from practitioners.http import AuthenticatedHtmxRequest, AuthenticatedRequest

from . import access, rules
from .forms import MSG_CONFIRM_NOT_DUPLICATE, PatientForm
from .models import Patient
from .record import record_sections
from .selectors import (
    patient_duplicates,
    patient_get_visible,
    patient_search,
    patients_visible_count,
    patients_visible_to,
)
from .services import patient_create, patient_update

PAGE_SIZE = 25
# A total order: the keyset of the list (Patient.Meta sets it; the stubs allow None).
PATIENT_ORDER = tuple(Patient._meta.ordering)  # type: ignore[arg-type]


@require_http_methods(["GET", "HEAD", "POST"])
def patient_list(request: AuthenticatedHtmxRequest) -> HttpResponse:
    """The patients the user may see, searched as the user types (htmx) or on submit (no JS).

    No patient data in URLs: the search terms travel in a POST body only, never in the query
    string, a pushed history entry or a link, so neither the browser's history nor an access log
    holds a name or a birth date. A GET shows the first page without search; the other pages are
    asked by POST too (the query and the key of a patient in the body).
    """
    data = request.POST if request.method == "POST" else {}
    query = data.get("q", "").strip()[:100]
    patients = patient_search(patients_visible_to(request.user), query)
    # Pages by keyset: "Suivants" starts after the last patient shown, "Précédents" ends before
    # the first one, at the same cost on any page of 20,000 patients (bench/RESULTS.md).
    page = keyset_page(
        patients,
        ordering=PATIENT_ORDER,
        per_page=PAGE_SIZE,
        after=data.get("apres"),
        before=data.get("avant"),
        # Without a search, the count of every patient the user may see (the fast way).
        count=None if query else patients_visible_count(request.user, cap=CappedPaginator.cap),
    )
    # One entry per page shown (the first page, a search, a next page), naming the patients on
    # it; never the search terms (they may be a name).
    audit_read(
        request,
        action=ReadAudit.Action.PATIENT_LIST,
        patients_shown=(patient.pk for patient in page.object_list),
        detail="recherche" if query else "",
    )
    context = {
        "page": page,
        "query": query,
        "may_create": access.may_create_patient(request.user),
    }
    template = (
        "patients/_patient_results.html"
        if request.htmx and not (request.htmx.boosted or request.htmx.history_restore_request)
        else "patients/patient_list.html"
    )
    response = render(request, template, context)
    # The same URL answers a fragment or a page: caches and the back button must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def patient_detail(request: AuthenticatedRequest, pk) -> HttpResponse:
    patient = patient_get_visible(user=request.user, pk=pk)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient)
    sections = record_sections(request, patient)
    context = {
        "patient": patient,
        "situations": list(patient.situations.all()),
        "may_see_nir": access.may_see_nir(request.user),
        "may_edit": access.may_edit_patient(request.user, patient),
        "sections": sections,
        "actions": [action for section in sections for action in section.actions],
    }
    return render(request, "patients/patient_detail.html", context)


def patient_create_view(request: AuthenticatedRequest) -> HttpResponse:
    if not access.may_create_patient(request.user):
        raise PermissionDenied(access.MSG_MAY_NOT_CREATE)
    if request.method == "POST" and "prefill" in request.POST:
        # From the search that found nobody: its terms start the form (in a POST body only).
        initial = rules.patient_initial_from_search(request.POST["prefill"][:100])
        form = PatientForm(initial=initial, user=request.user)
        return render(
            request, "patients/patient_form.html", {"form": form, "duplicates": [], "patient": None}
        )
    form = PatientForm(request.POST if request.method == "POST" else None, user=request.user)
    duplicates: list[Patient] = []
    if request.method == "POST" and form.is_valid():
        duplicates = _duplicates(request, form, exclude_pk=None)
        if not duplicates:
            try:
                with transaction.atomic():
                    patient = patient_create(
                        created_by=request.user,
                        data=form.patient_data(),
                        situations=form.selected_situations(),
                    )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Le patient a été enregistré."))
                if "then_prescribe" in request.POST and request.user.is_physician:
                    # "Enregistrer et prescrire": straight to the new prescription (R-P1).
                    return redirect(f"{reverse('prescriptions:create')}?patient={patient.pk}")
                return redirect(patient)
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "duplicates": duplicates, "patient": None},
    )


def patient_update_view(request: AuthenticatedRequest, pk) -> HttpResponse:
    patient = patient_get_visible(user=request.user, pk=pk)
    if not access.may_edit_patient(request.user, patient):
        raise PermissionDenied(access.MSG_MAY_NOT_EDIT)
    audit_read(request, action=ReadAudit.Action.PATIENT_VIEW, patient=patient)
    form = PatientForm(
        request.POST if request.method == "POST" else None, instance=patient, user=request.user
    )
    duplicates: list[Patient] = []
    if request.method == "POST" and form.is_valid():
        duplicates = _duplicates(request, form, exclude_pk=patient.pk)
        if not duplicates:
            try:
                with transaction.atomic():
                    patient = patient_update(
                        patient=patient,
                        data=form.patient_data(),
                        situations=form.selected_situations(),
                    )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Le dossier du patient a été mis à jour."))
                return redirect(patient)
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "duplicates": duplicates, "patient": patient},
    )


def _duplicates(request: AuthenticatedRequest, form: PatientForm, *, exclude_pk) -> list[Patient]:
    """Patients that look like this one, unless the user confirmed it is another person.

    A warning, not a refusal. Only the patients the user may see are named (need-to-know); on
    an edit, only a change of the identity is checked.
    """
    if form.cleaned_data.get("confirm_not_duplicate"):
        return []
    if exclude_pk is not None and not form.identity_changed():
        return []
    birth_name, first_names, birth_date = form.identity()
    found = list(
        patient_duplicates(
            birth_name=birth_name,
            first_names=first_names,
            birth_date=birth_date,
            exclude_pk=exclude_pk,
        ).filter(pk__in=patients_visible_to(request.user).values("pk"))[:10]
    )
    if found:
        form.add_error(
            "confirm_not_duplicate",
            ValidationError(MSG_CONFIRM_NOT_DUPLICATE, code="possible_duplicate"),
        )
    return found
