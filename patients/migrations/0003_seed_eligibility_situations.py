"""R-E1 (CSP L.1172-1, D.1172-1-1, décret n° 2023-235): the situations that open the right."""

from django.db import migrations

SITUATIONS = [
    ("ald", "chronic", "Affection de longue durée (ALD, liste de l'article D. 160-4 du CSS)"),
    ("chronic_disease", "chronic", "Maladie chronique ayant un retentissement sur la vie quotidienne"),
    ("rf_overweight", "risk_factor", "Surpoids"),
    ("rf_obesity", "risk_factor", "Obésité"),
    ("rf_hypertension", "risk_factor", "Hypertension artérielle"),
    ("rf_undernutrition", "risk_factor", "Dénutrition"),
    ("rf_sedentary", "risk_factor", "Sédentarité"),
    ("rf_dyslipidaemia", "risk_factor", "Dyslipidémie"),
    ("rf_addiction", "risk_factor", "Conduites addictives"),
    ("rf_other", "risk_factor", "Autre facteur de risque (à préciser)"),
    ("autonomy_a", "autonomy", "a) Bénéficiaire de l'allocation personnalisée d'autonomie (art. L. 232-1 du CASF)"),
    ("autonomy_b", "autonomy", "b) Bénéficiaire de l'aide à domicile (art. L. 231-1 du CASF)"),
    ("autonomy_c", "autonomy", "c) Droit ouvert par la commission des droits et de l'autonomie des personnes handicapées (CDAPH)"),
    ("autonomy_d", "autonomy", "d) Titulaire de la carte « mobilité inclusion »"),
    ("autonomy_e", "autonomy", "e) Fragilité identifiée par un repérage multidimensionnel"),
]


def seed(apps, schema_editor):
    EligibilitySituation = apps.get_model("patients", "EligibilitySituation")
    for position, (code, group, label) in enumerate(SITUATIONS, start=1):
        EligibilitySituation.objects.update_or_create(
            code=code, defaults={"group": group, "label": label, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
