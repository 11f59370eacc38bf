from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import prescription_get_for


def prescription_detail(request: HttpRequest, pk) -> HttpResponse:
    prescription = prescription_get_for(request, pk)
    return render(request, "prescriptions/prescription_detail.html", {"prescription": prescription})
