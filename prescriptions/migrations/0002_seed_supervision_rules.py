"""R-L4 (binding) and R-L5 (preferential): the default supervision table, as editable data."""

from django.db import migrations

HEALTH = ["physiotherapist", "occupational_therapist", "psychomotor_therapist"]
ALL_DISPENSERS = [*HEALTH, "apa_teacher", "sports_educator", "federation_certified"]
DEFAULTS = {
    3: HEALTH,  # severe: health professionals only (R-L4, binding)
    2: [*HEALTH, "apa_teacher"],  # moderate (R-L5, default)
    1: ALL_DISPENSERS,  # minimal (R-L5, default)
    0: ALL_DISPENSERS,  # none (R-L5, default)
}


def seed(apps, schema_editor):
    SupervisionRule = apps.get_model("prescriptions", "SupervisionRule")
    for level, professions in DEFAULTS.items():
        for profession in professions:
            SupervisionRule.objects.get_or_create(level=level, profession=profession)


class Migration(migrations.Migration):
    dependencies = [("prescriptions", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
