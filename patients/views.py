from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import patient_get_for, patient_search, patients_visible_to


def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    patients = patient_search(patients_visible_to(request.user), query)
    page = Paginator(patients, 25).get_page(request.GET.get("page"))
    return render(request, "patients/patient_list.html", {"page": page, "query": query})


def patient_detail(request: HttpRequest, pk) -> HttpResponse:
    patient = patient_get_for(request, pk)
    return render(request, "patients/patient_detail.html", {"patient": patient})
