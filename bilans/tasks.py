"""Background work of the bilans app (Django's tasks framework, as `prescriptions.tasks`).

A signed bilan or compte rendu never changes (services): its PDF is rendered once, off the
request, right after the signature, so that the first download is a stored read (R-B4).
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from . import pdf
from .models import IssuedDocument


@task()
def prerender_document_pdf(issued_id: str) -> bool:
    """Render and store the PDF of a just signed document (returns whether it rendered: False
    when it was stored already or the row is gone)."""
    issued = IssuedDocument.objects.filter(pk=issued_id).first()
    if issued is None:
        return False
    return pdf.document_pdf_prerender(issued)


def prerender_pdf_on_commit(issued: IssuedDocument) -> None:
    """Ask for the PDF once the signature is committed (`robust`: a queue that refuses the task
    does not undo the signature; the PDF is then rendered and stored at its first download)."""
    issued_id = str(issued.pk)
    transaction.on_commit(lambda: prerender_document_pdf.enqueue(issued_id), robust=True)
