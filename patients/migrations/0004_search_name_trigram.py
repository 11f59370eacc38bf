"""PostgreSQL only: a trigram index on the folded names, for the admin's accent-free search.

`search_name__startswith` / `__contains` become LIKE 'x%' / LIKE '% x%' queries, which a GIN
`gin_trgm_ops` index serves. Nothing happens on SQLite. Kept out of Model.Meta (GinIndex would
break SQLite), so the model state is unchanged and `makemigrations --check` stays clean.
Creating the extension needs the CREATE privilege on the database (PostgreSQL 13+: trusted
extension) or a superuser.
"""

from django.db import migrations

INDEX = "patients_patient_search_name_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON patients_patient "
        "USING gin (search_name gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_seed_eligibility_situations")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
