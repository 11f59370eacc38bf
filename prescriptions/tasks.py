"""Background work of the prescriptions app: Django's tasks framework (DEP 14), through the
`django-tasks` backport until Django 6; the backend is chosen by `TASKS_BACKEND` (settings).

Rendering the official form takes 150-300 ms of CPU (bench/RESULTS.md). A signed
prescription is immutable (R-P4) and changes only when a physiotherapist renews or adapts it
(R-R6): its PDF is rendered then, off the request, so that the first download is a stored read.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from . import pdf
from .models import Prescription


@task()
def prerender_prescription_pdf(prescription_id: str) -> bool:
    """Render and keep the PDF of a just signed or renewed prescription (returns whether it
    rendered: False if it was kept already, if the prescription is gone or is a draft)."""
    prescription = (
        Prescription.objects.select_related(
            "patient", "prescriber__structure", "assessment", "renewal"
        )
        .filter(pk=prescription_id)
        .first()
    )
    if prescription is None:
        return False
    return pdf.prescription_pdf_prerender(prescription)


def prerender_pdf_on_commit(prescription: Prescription) -> None:
    """Ask for the PDF of `prescription` once the current transaction has committed.

    After the commit, so that the worker reads what was signed (and the immediate backend does
    not render inside the transaction, holding its locks). `robust`: a queue that fails to take
    the task must not turn a committed signature into an error page; the PDF is then rendered
    on its first download.
    """
    prescription_id = str(prescription.pk)
    transaction.on_commit(lambda: prerender_prescription_pdf.enqueue(prescription_id), robust=True)
