"""Retention of the read audit (audit.retention, `manage.py archive_read_audit`)."""

import csv
import gzip
import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from apa_portal import settings as project_settings
from audit.models import AppendOnlyError, ReadAudit
from audit.retention import archive_fields, read_audit_archive

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive_dir(tmp_path, settings):
    settings.APA_AUDIT_ARCHIVE_DIR = tmp_path / "archives"
    return settings.APA_AUDIT_ARCHIVE_DIR


def audit_at(when, *, user, patient=None, agent="Firefox"):
    with time_machine.travel(when, tick=False):
        return ReadAudit.objects.create(
            user=user,
            action=ReadAudit.Action.PATIENT_VIEW,
            patient_id=patient.pk if patient else None,
            user_agent=agent,
        )


def read_archive(path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_the_defaults_follow_the_cnil_recommendation_on_access_logs():
    """CNIL délibération 2021-122: access logs kept between six months and one year."""
    assert 6 * 30 <= project_settings.APA_AUDIT_RETENTION_DAYS <= 365
    assert project_settings.APA_AUDIT_RETENTION_DAYS <= project_settings.APA_AUDIT_ARCHIVE_KEEP_DAYS
    assert project_settings.APA_AUDIT_ARCHIVE_KEEP_DAYS <= 365


def test_rows_past_the_retention_are_archived_then_deleted_and_the_others_kept(
    archive_dir, prescriber, patient
):
    now = timezone.now()
    old = [
        audit_at(now - timedelta(days=400), user=prescriber, patient=patient, agent="=cmd|x"),
        audit_at(now - timedelta(days=184), user=prescriber),
    ]
    recent = audit_at(now - timedelta(days=182), user=prescriber, patient=patient)

    result = read_audit_archive(now=now)

    assert result.archived == 2
    assert list(ReadAudit.objects.values_list("pk", flat=True)) == [recent.pk]
    rows = read_archive(result.path)
    assert [int(row["id"]) for row in rows] == [entry.pk for entry in old]
    assert list(rows[0]) == archive_fields()  # every concrete field, generically
    assert rows[0]["patient_id"] == str(patient.pk) and rows[1]["patient_id"] == ""
    assert rows[0]["user_agent"] == "=cmd|x"  # evidence: exactly as stored
    assert rows[0]["at"] == old[0].at.isoformat()
    assert not list(archive_dir.glob("*.part"))


def test_the_archive_has_a_column_for_every_concrete_field():
    assert archive_fields() == [f.attname for f in ReadAudit._meta.concrete_fields]
    assert {"id", "user_id", "action", "patient_id", "prescription_id", "at"} <= set(
        archive_fields()
    )


def test_nothing_to_archive_writes_no_file(archive_dir, prescriber):
    audit_at(timezone.now(), user=prescriber)
    result = read_audit_archive()
    assert (result.archived, result.path) == (0, None)
    assert ReadAudit.objects.count() == 1


def test_a_dry_run_counts_and_changes_nothing(archive_dir, prescriber):
    audit_at(timezone.now() - timedelta(days=300), user=prescriber)
    out = io.StringIO()
    call_command("archive_read_audit", "--dry-run", stdout=out)
    assert "1 rows older than 183 days would be archived" in out.getvalue()
    assert ReadAudit.objects.count() == 1 and not archive_dir.exists()


def test_the_command_archives_and_says_where(archive_dir, prescriber):
    audit_at(timezone.now() - timedelta(days=300), user=prescriber)
    out = io.StringIO()
    call_command("archive_read_audit", stdout=out)
    assert "1 rows older than 183 days archived to" in out.getvalue()
    assert ReadAudit.objects.count() == 0
    assert len(list(archive_dir.glob("read-audit-*.csv.gz"))) == 1


def test_a_failed_deletion_deletes_nothing_and_leaves_no_archive(
    archive_dir, prescriber, monkeypatch
):
    audit_at(timezone.now() - timedelta(days=300), user=prescriber)
    from django.db.models import QuerySet  # noqa: PLC0415

    monkeypatch.setattr(QuerySet, "delete", lambda self: (0, {}))
    with pytest.raises(Exception, match="1 rows archived, 0 to delete"):
        read_audit_archive()
    assert ReadAudit.objects.count() == 1
    assert not list(archive_dir.iterdir())


def test_archives_past_their_own_retention_are_deleted(archive_dir, prescriber):
    archive_dir.mkdir()
    too_old = archive_dir / "read-audit-20240101-20240630-20240701T030000.csv.gz"
    kept = archive_dir / "read-audit-20250101-20251230-20251231T030000.csv.gz"
    other = archive_dir / "notes.txt"
    for path in (too_old, kept, other):
        path.write_bytes(b"")
    now = timezone.make_aware(timezone.datetime(2026, 6, 1, 3, 0))
    result = read_audit_archive(now=now)
    assert result.archives_deleted == [too_old]
    assert sorted(p.name for p in archive_dir.iterdir()) == sorted([kept.name, other.name])


def test_the_read_audit_stays_append_only_for_everyone_else(prescriber):
    entry = audit_at(timezone.now() - timedelta(days=300), user=prescriber)
    with pytest.raises(AppendOnlyError):
        ReadAudit.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_the_audit_table_is_indexed_on_its_date():
    assert ReadAudit._meta.get_field("at").db_index
