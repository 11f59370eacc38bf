"""Daily job: end the look-up accesses and the orientations of prescriptions withdrawn or ended
more than APA_GRANT_DAYS_AFTER_END days ago (the end of the renewal window by default)."""

from django.core.management.base import BaseCommand

from dispensing.services import orientations_end_without_prescription
from prescriptions.services import prescription_accesses_end


class Command(BaseCommand):
    help = (
        "Met fin aux accès des kinésithérapeutes et aux orientations des prescriptions annulées "
        "ou terminées (à lancer chaque jour, après expire_prescriptions)."
    )

    def handle(self, *args, **options):
        accesses = prescription_accesses_end()
        orientations = orientations_end_without_prescription()
        self.stdout.write(
            f"{accesses} accès de kinésithérapeute et {orientations} orientation(s) terminés."
        )
