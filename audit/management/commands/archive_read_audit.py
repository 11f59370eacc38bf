"""`manage.py archive_read_audit`: move the read audit's rows past their retention to gzip CSV
files and delete the archives past theirs (audit.retention; run it daily, e.g. a systemd timer:
deploy/apa-portal-archive-audit.timer)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from audit.retention import read_audit_archive


class Command(BaseCommand):
    help = "Archive the read audit's rows older than APA_AUDIT_RETENTION_DAYS (gzip CSV)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count only.")

    def handle(self, *, dry_run: bool, **options) -> None:
        result = read_audit_archive(dry_run=dry_run)
        days = settings.APA_AUDIT_RETENTION_DAYS
        if dry_run:
            self.stdout.write(f"{result.archived} rows older than {days} days would be archived.")
            return
        where = f" to {result.path}" if result.path else ""
        self.stdout.write(f"{result.archived} rows older than {days} days archived{where}.")
        for path in result.archives_deleted:
            self.stdout.write(f"Archive past its retention deleted: {path.name}")
