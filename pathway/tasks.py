"""Background work of the pathway app (Django's tasks framework, as `prescriptions.tasks`).

A pathway prescription never changes (services): its PDF is rendered once, off the request,
right after the prescription, so that the first download is a stored read.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from . import pdf
from .models import PathwayPrescription


@task()
def prerender_pathway_pdf(pathway_id: str) -> bool:
    """Render and store the PDF of a just made pathway prescription (returns whether it
    rendered: False when it was stored already or the row is gone)."""
    pathway = (
        PathwayPrescription.objects.select_related("patient", "episode", "prescriber", "structure")
        .filter(pk=pathway_id)
        .first()
    )
    if pathway is None:
        return False
    return pdf.pathway_pdf_prerender(pathway)


def prerender_pdf_on_commit(pathway: PathwayPrescription) -> None:
    """Ask for the PDF once the prescription is committed (`robust`: a queue that refuses the
    task does not undo the prescription; the PDF is then rendered at its first download)."""
    pathway_id = str(pathway.pk)
    transaction.on_commit(lambda: prerender_pathway_pdf.enqueue(pathway_id), robust=True)
