"""R-C2, R-C3: the tariff in force since the arrêté du 24 décembre 2020, as editable dated data."""

from datetime import date
from decimal import Decimal

from django.db import migrations

DEFAULT = {
    "bilan_price": Decimal("45.00"),
    "consultation_price": Decimal("22.50"),
    "annual_cap": Decimal("180.00"),
    "max_bilans": 3,
    "max_consultations": 6,
    "legal_source": (
        "CSP L. 1415-8 et R. 1415-1-11 ; arrêté du 24 décembre 2020 relatif au parcours de "
        "soins global après le traitement d'un cancer"
    ),
}


def seed(apps, schema_editor):
    Tariff = apps.get_model("pathway", "Tariff")
    Tariff.objects.get_or_create(valid_from=date(2020, 12, 24), defaults=DEFAULT)


class Migration(migrations.Migration):
    dependencies = [("pathway", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
