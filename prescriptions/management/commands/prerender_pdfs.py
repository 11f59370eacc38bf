"""After a change of the form's template: queue the PDF of every running prescription.

A change of `prescriptions.pdf.TEMPLATE_VERSION` (or of the template, its stylesheet or its
images) gives every prescription a new version of its PDF: without this command, each one is
rendered at its next download (0.15-0.3 s). The tasks skip what is kept already, so the command
may run again safely.
"""

from django.core.management.base import BaseCommand

from prescriptions.models import Prescription
from prescriptions.tasks import prerender_prescription_pdf

BATCH = 2_000


class Command(BaseCommand):
    help = (
        "Met en file le rendu du PDF de chaque prescription en cours (émise, renouvelée ou "
        "adaptée), après un changement du modèle du formulaire."
    )

    def handle(self, *args, **options):
        ids = (
            Prescription.objects.filter(status__in=Prescription.RUNNING_STATUSES)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        count = 0
        for pk in ids.iterator(chunk_size=BATCH):
            prerender_prescription_pdf.enqueue(str(pk))
            count += 1
        self.stdout.write(f"{count} PDF de prescription(s) en cours mis en file de rendu.")
