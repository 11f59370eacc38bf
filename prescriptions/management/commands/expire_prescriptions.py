"""Daily job: mark as expired the prescriptions whose period (renewal included) has ended."""

from django.core.management.base import BaseCommand

from prescriptions.services import prescriptions_expire


class Command(BaseCommand):
    help = "Passe au statut « échue » les prescriptions terminées (à lancer chaque jour)."

    def handle(self, *args, **options):
        count = prescriptions_expire()
        self.stdout.write(f"{count} prescription(s) passée(s) au statut « échue ».")
