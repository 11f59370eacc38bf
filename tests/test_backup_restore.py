"""Backup and restore (README, « Sauvegarde et restauration »): a `pg_dump` of the demo database
restored with `pg_restore` into a fresh database holds every prescription and every stored PDF,
byte for byte (their SHA-256). PostgreSQL only: the CI's PostgreSQL pass runs it."""

import hashlib
import os
import subprocess
import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from prescriptions import tasks
from prescriptions.models import Prescription, RenderedPdf

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SIGNED = [s for s in Prescription.Status if s not in (Prescription.Status.DRAFT,)]


def _pg_env() -> dict[str, str]:
    params = connection.settings_dict
    env = dict(os.environ)
    env.update(
        PGHOST=params["HOST"] or "127.0.0.1",
        PGPORT=str(params["PORT"] or 5432),
        PGUSER=params["USER"] or "postgres",
    )
    if params["PASSWORD"]:
        env["PGPASSWORD"] = params["PASSWORD"]
    return env


def _run(*argv: str) -> None:
    subprocess.run(argv, env=_pg_env(), check=True, capture_output=True, timeout=300)


def _connect(dbname: str) -> psycopg.Connection:
    env = _pg_env()
    return psycopg.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env.get("PGPASSWORD"),
        dbname=dbname,
    )


def _snapshot(dbname: str) -> tuple[list, dict]:
    """Every prescription row (all columns), and every stored PDF: its recorded SHA-256 and
    the SHA-256 of its bytes as read back."""
    prescriptions = Prescription._meta.db_table
    pdfs = RenderedPdf._meta.db_table
    with _connect(dbname) as conn, conn.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{prescriptions}" ORDER BY id')  # noqa: S608 (our names)
        rows = cursor.fetchall()
        cursor.execute(f'SELECT id, sha256, pdf FROM "{pdfs}" ORDER BY id')  # noqa: S608
        stored = {pk: (sha, hashlib.sha256(bytes(pdf)).hexdigest()) for pk, sha, pdf in cursor}
    return rows, stored


def test_a_dump_of_the_demo_database_restores_every_prescription_and_pdf_intact(settings, tmp_path):
    settings.DEBUG = False
    settings.DEMO_PASSWORD = "un-mot-de-passe-de-demo-robuste-2026"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    call_command("seed_demo", quiet=True)
    signed = Prescription.objects.exclude(
        status__in=[Prescription.Status.DRAFT, Prescription.Status.CANCELLED]
    )
    for pk in signed.values_list("pk", flat=True):
        tasks.prerender_prescription_pdf.call(str(pk))
    assert RenderedPdf.objects.count() >= signed.count() > 0

    source = connection.settings_dict["NAME"]
    restored = f"apa_restore_{uuid.uuid4().hex[:12]}"
    dump = tmp_path / "apa.dump"
    # The procedure of the README: a custom-format dump, a fresh database, a restore.
    _run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source)
    _run("createdb", "--template=template0", "--encoding=UTF8", restored)
    try:
        _run("pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
             f"--dbname={restored}", str(dump))  # fmt: skip
        original_rows, original_pdfs = _snapshot(source)
        restored_rows, restored_pdfs = _snapshot(restored)
    finally:
        _run("dropdb", "--if-exists", "--force", restored)

    assert restored_rows == original_rows
    assert len(restored_rows) == Prescription.objects.count()
    assert restored_pdfs == original_pdfs
    # Every stored PDF, read back from the restored database, matches its recorded SHA-256.
    assert all(recorded == computed for recorded, computed in restored_pdfs.values())
    with _connect("postgres") as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [restored])
        assert cursor.fetchone() is None  # the test leaves no database behind
