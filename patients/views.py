"""Patient pages: the searchable list, the record with its prescriptions' timeline, and the
create / edit form (identity, eligibility R-E1). Thin: reads through selectors, writes through
services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apa_portal.pagination import CappedPaginator, keyset_page
from audit.models import ReadAudit
from prescriptions.selectors import prescriptions_visible_to, user_may_prescribe_for

from .forms import MSG_CONFIRM_NOT_DUPLICATE, PatientForm
from .models import Patient
from .selectors import (
    patient_duplicates,
    patient_get_for,
    patient_search,
    patients_visible_count,
    patients_visible_to,
    user_may_edit_patient,
    user_may_see_nir,
)
from .services import patient_create, patient_update

PAGE_SIZE = 25
PATIENT_ORDER = tuple(Patient._meta.ordering)  # a total order: the keyset of the list


@require_http_methods(["GET", "HEAD", "POST"])
def patient_list(request: HttpRequest) -> HttpResponse:
    """The patients the user may see, searched as the user types (htmx) or on submit (no JS).

    No patient data in URLs (issue 5): the search terms travel in a POST body only, never in
    the query string, a pushed history entry or a link, so neither the browser's history nor
    an access log holds a name or a birth date. A GET shows the first page without search;
    the other pages are asked by POST too (the query and the key of a patient in the body).
    """
    data = request.POST if request.method == "POST" else {}
    query = data.get("q", "").strip()[:100]
    patients = patient_search(patients_visible_to(request.user), query)
    # Pages by keyset (issue 8): "Suivants" starts after the last patient shown, "Précédents"
    # ends before the first one, at the same cost on any page of 20,000 patients.
    page = keyset_page(
        patients,
        ordering=PATIENT_ORDER,
        per_page=PAGE_SIZE,
        after=data.get("apres"),
        before=data.get("avant"),
        # Without a search, the count of every patient the user may see (the fast way).
        count=None if query else patients_visible_count(request.user, cap=CappedPaginator.cap),
    )
    context = {
        "page": page,
        "query": query,
        "may_create": user_may_create_patient(request.user),
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


def patient_detail(request: HttpRequest, pk) -> HttpResponse:
    patient = patient_get_for(request, pk)
    prescriptions = (
        prescriptions_visible_to(request.user)
        .filter(patient=patient)
        .select_related("prescriber", "renewal", "assessment")
        .order_by("-prescribed_on", "-created_at")
    )
    context = {
        "patient": patient,
        "situations": list(patient.situations.all()),
        "prescriptions": prescriptions,
        "may_see_nir": user_may_see_nir(request.user),
        "may_edit": user_may_edit_patient(request.user, patient),
        # R-P1 and need-to-know: a physician of the patient's care team (as the services check).
        "may_prescribe": user_may_prescribe_for(request.user, patient),
    }
    return render(request, "patients/patient_detail.html", context)


def user_may_create_patient(user) -> bool:
    """Whoever may edit a patient of their own structure may register one there."""
    if user.is_superuser:
        return True
    return user.structure_id is not None and user_may_edit_patient(
        user, Patient(structure_id=user.structure_id)
    )


def patient_create_view(request: HttpRequest) -> HttpResponse:
    if not user_may_create_patient(request.user):
        raise PermissionDenied
    form = PatientForm(request.POST if request.method == "POST" else None, user=request.user)
    duplicates: list[Patient] = []
    if request.method == "POST" and form.is_valid():
        duplicates = _duplicates(request, form, exclude_pk=None)
        if not duplicates:
            try:
                with transaction.atomic():
                    patient = patient_create(
                        created_by=request.user,
                        situations=form.selected_situations(),
                        **form.service_fields(),
                    )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Le patient a été enregistré."))
                return redirect(patient)
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "duplicates": duplicates, "patient": None},
    )


def patient_update_view(request: HttpRequest, pk) -> HttpResponse:
    patient = patient_get_for(
        request, pk, audit=ReadAudit.Action.PATIENT_VIEW if request.method == "GET" else None
    )
    if not user_may_edit_patient(request.user, patient):
        raise PermissionDenied
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
                        situations=form.selected_situations(),
                        **form.service_fields(),
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


def _duplicates(request: HttpRequest, form: PatientForm, *, exclude_pk) -> list[Patient]:
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
        form.add_error("confirm_not_duplicate", MSG_CONFIRM_NOT_DUPLICATE)
    return found
