"""Retention of the read audit: rows past `APA_AUDIT_RETENTION_DAYS` move to compressed CSV.

CNIL, délibération n° 2021-122 du 14 octobre 2021 (recommandation relative à la
journalisation): the traces of access to a processing of personal data are kept between six
months and one year. The rows stay in the database for APA_AUDIT_RETENTION_DAYS (183: online,
searchable by the audit's pages), are then archived to gzip-compressed CSV files in
APA_AUDIT_ARCHIVE_DIR (to be kept apart from the main system, read-only), and the archive files
whose newest row is older than APA_AUDIT_ARCHIVE_KEEP_DAYS (365) are deleted.

The read audit is append-only (`audit.models.ReadAuditQuerySet` refuses `delete()`). This module
is the one narrow path that deletes rows, and only rows it has just written to an archive, in
one transaction, checking that as many rows were deleted as were archived. It goes through
`ReadAudit._base_manager` (a plain manager, not the model's append-only queryset).

The archive is a machine file: UTF-8, comma-separated, one header row with every concrete field
of `ReadAudit` (`_meta.concrete_fields`: a field added later is archived without a change here),
foreign keys as their id, dates in ISO 8601 with their UTC offset, values exactly as stored (no
spreadsheet escaping: it is evidence; import it, do not open it by double-click).
"""

from __future__ import annotations

import csv
import gzip
import logging
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import ReadAudit

logger = logging.getLogger("audit.retention")

CHUNK_SIZE = 5000
ARCHIVE_NAME = re.compile(r"^read-audit-(\d{8})-(\d{8})-\d{8}T\d{6}\.csv\.gz$")


class ArchiveMismatch(Exception):
    """Fewer or more rows would be deleted than were archived: nothing is deleted."""


@dataclass(frozen=True)
class ArchiveResult:
    archived: int
    path: Path | None
    archives_deleted: list[Path]


def archive_fields() -> list[str]:
    """The columns of an archive: every concrete field of the read audit (FKs as `<name>_id`)."""
    return [field.attname for field in ReadAudit._meta.concrete_fields]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _prune_archives(directory: Path, *, today: date) -> list[Path]:
    """Delete the archive files whose newest row is older than APA_AUDIT_ARCHIVE_KEEP_DAYS."""
    limit = today - timedelta(days=settings.APA_AUDIT_ARCHIVE_KEEP_DAYS)
    deleted: list[Path] = []
    if not directory.is_dir():
        return deleted
    for path in sorted(directory.iterdir()):
        match = ARCHIVE_NAME.match(path.name)
        if match and datetime.strptime(match.group(2), "%Y%m%d").date() < limit:
            path.unlink()
            deleted.append(path)
    return deleted


def read_audit_archive(
    *, now: datetime | None = None, directory: Path | None = None, dry_run: bool = False
) -> ArchiveResult:
    """Archive and delete the read audit's rows older than APA_AUDIT_RETENTION_DAYS, then prune
    the archives past APA_AUDIT_ARCHIVE_KEEP_DAYS. `dry_run`: count, write and delete nothing."""
    now = now or timezone.now()
    directory = Path(directory or settings.APA_AUDIT_ARCHIVE_DIR)
    before = now - timedelta(days=settings.APA_AUDIT_RETENTION_DAYS)
    expired = ReadAudit._base_manager.filter(at__lt=before)
    if dry_run:
        return ArchiveResult(archived=expired.count(), path=None, archives_deleted=[])

    max_pk = expired.order_by("-pk").values_list("pk", flat=True).first()
    path = None
    written = 0
    if max_pk is not None:
        expired = expired.filter(pk__lte=max_pk)  # what is archived is exactly what is deleted
        first_at = expired.order_by("at").values_list("at", flat=True).first()
        last_at = expired.order_by("-at").values_list("at", flat=True).first()
        directory.mkdir(parents=True, exist_ok=True)
        local = timezone.localtime
        path = directory / (
            f"read-audit-{local(first_at):%Y%m%d}-{local(last_at):%Y%m%d}-"
            f"{local(now):%Y%m%dT%H%M%S}.csv.gz"
        )
        partial = path.with_name(path.name + ".part")
        fields = archive_fields()
        with gzip.open(partial, "wt", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(fields)
            rows = expired.order_by("pk").values_list(*fields).iterator(chunk_size=CHUNK_SIZE)
            for row in rows:
                writer.writerow([_cell(value) for value in row])
                written += 1
        with open(partial, "rb") as stream:
            os.fsync(stream.fileno())
        partial.rename(path)
        try:
            with transaction.atomic():
                deleted, _ = expired.delete()
                if deleted != written:
                    raise ArchiveMismatch(f"{written} rows archived, {deleted} to delete")
        except BaseException:
            path.unlink(missing_ok=True)  # nothing was deleted: the next run archives them
            raise
        logger.info("Read audit: %d rows archived to %s and deleted.", written, path.name)
    pruned = _prune_archives(directory, today=timezone.localdate(now))
    for old in pruned:
        logger.info("Read audit: archive %s deleted (past its retention).", old.name)
    return ArchiveResult(archived=written, path=path, archives_deleted=pruned)
