"""Print the current TOTP code of a demo account, so that the local demo stays usable."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from practitioners.models import User
from security.services import base32_secret, confirmed_device, current_totp


class Command(BaseCommand):
    help = "Affiche le code de double authentification (TOTP) du moment d'un compte de démo."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="admin")

    def handle(self, *args, username: str, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusé : réservé à la démonstration locale (DEBUG activé). En production, "
                "le code vient de l'application d'authentification de la personne."
            )
        user = User.objects.filter(username=username).first()
        device = confirmed_device(user) if user else None
        if device is None:
            raise CommandError(
                f"Aucun appareil TOTP pour « {username} » : lancez « manage.py seed_demo »."
            )
        self.stdout.write(current_totp(device))
        self.stderr.write(
            f"(code valable 30 s ; clé à ajouter dans une application : {base32_secret(device)})"
        )
