"""Lift the lock-out of an account's second factor (when no administrator can log in)."""

from django.core.management.base import BaseCommand, CommandError

from practitioners.models import User
from security.services import otp_unlock


class Command(BaseCommand):
    help = "Débloque la double authentification d'un compte (après trop de codes erronés)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Aucun compte « {username} ».")
        if otp_unlock(user=user, by=None):
            self.stdout.write(f"Double authentification de « {username} » débloquée.")
        else:
            self.stdout.write(f"La double authentification de « {username} » n'était pas bloquée.")
