"""Demo data for a local try-out: one structure, five accounts, about twenty patients.

Idempotent: running it again changes nothing but the demo passwords.
"""

import random
from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from patients.models import CareTeamGrant, EligibilitySituation, Patient, Sex
from patients.rules import nir_validate
from patients.services import care_team_grant, patient_create
from practitioners.models import Profession, Specialty, Structure, User
from prescriptions import services
from prescriptions.models import Prescription, Renewal
from prescriptions.rules import (
    ActivityType,
    Intensity,
    LimitationLevel,
    RestrictionPick,
    add_months,
)
from security.services import base32_secret, confirmed_device, totp_device_for_demo

DEMO_STRUCTURE = "Maison Sport-Santé de Lyon Confluence"
KINE_PRACTICE = "Cabinet de kinésithérapie des Pentes"

# username: (first name, last name, profession, specialty, RPPS, superuser)
ACCOUNTS = {
    "medecin": (
        "Claire",
        "Martin",
        Profession.PHYSICIAN,
        Specialty.GENERAL_PRACTICE,
        "10001234565",
    ),
    "oncologue": ("Karim", "Benali", Profession.PHYSICIAN, Specialty.ONCOLOGY, "10002345675"),
    "kine": ("Julien", "Moreau", Profession.PHYSIOTHERAPIST, "", "10003456786"),
    "enseignant": ("Sophie", "Lefèvre", Profession.APA_TEACHER, "", ""),
    "admin": ("Nadia", "Rousseau", Profession.ADMIN_STAFF, "", ""),
}

# birth name, first names, used name, sex, birth date, département of birth, situations
PATIENTS = [
    ("Dupont", "Hélène Marie", "", Sex.FEMALE, date(1956, 3, 12), "69", ["ald", "rf_sedentary"]),
    ("Lefebvre", "François", "", Sex.MALE, date(1948, 11, 2), "75", ["ald"]),
    ("Nguyen", "Thi Lan", "Bernard", Sex.FEMALE, date(1971, 6, 25), "13", ["ald", "rf_overweight"]),
    ("Garcia", "José", "", Sex.MALE, date(1962, 1, 30), "2A", ["rf_hypertension", "rf_obesity"]),
    ("Rossi", "Zoé", "", Sex.FEMALE, date(1990, 9, 14), "69", ["chronic_disease"]),
    ("Mercier", "Jean-Pierre", "", Sex.MALE, date(1944, 4, 8), "42", ["autonomy_a", "autonomy_e"]),
    ("Fontaine", "Anaïs", "Giraud", Sex.FEMALE, date(1983, 12, 1), "38", ["ald"]),
    (
        "Chevalier",
        "Benoît",
        "",
        Sex.MALE,
        date(1958, 7, 19),
        "69",
        ["rf_dyslipidaemia", "rf_sedentary"],
    ),
    ("Bouvier", "Élodie", "", Sex.FEMALE, date(1976, 2, 28), "01", ["ald"]),
    ("Haddad", "Samir", "", Sex.MALE, date(1967, 10, 10), "93", ["rf_addiction"]),
    ("Perrin", "Gisèle", "", Sex.FEMALE, date(1939, 5, 5), "71", ["autonomy_b", "chronic_disease"]),
    ("Lambert", "Noël", "", Sex.MALE, date(1952, 12, 25), "2B", ["ald", "rf_hypertension"]),
    ("Roux", "Maëlle", "", Sex.FEMALE, date(1998, 8, 3), "69", ["autonomy_c"]),
    ("Faure", "Christophe", "", Sex.MALE, date(1970, 3, 21), "26", ["rf_obesity"]),
    ("André", "Cécile", "Blanc", Sex.FEMALE, date(1965, 11, 11), "73", ["ald"]),
    ("Gauthier", "Rémi", "", Sex.MALE, date(1959, 6, 6), "69", ["autonomy_d"]),
    ("Morel", "Inès", "", Sex.FEMALE, date(1987, 1, 17), "63", ["rf_undernutrition"]),
    ("Da Silva", "João", "", Sex.MALE, date(1950, 9, 9), "69", ["ald", "chronic_disease"]),
    ("Lemaire", "Françoise", "Colin", Sex.FEMALE, date(1947, 4, 30), "21", ["rf_other"]),
    ("Marchand", "Théo", "", Sex.MALE, date(2001, 10, 20), "69", ["chronic_disease"]),
]


def demo_nir(sex: str, birth: date, departement: str, order: int) -> str:
    """A NIR with a correct key (R-ID2), Corsica included."""
    body = f"{'2' if sex == Sex.FEMALE else '1'}{birth.year % 100:02d}{birth.month:02d}"
    body += f"{departement}{123:03d}{order:03d}"
    numeric = body.replace("2A", "19").replace("2B", "18")
    return nir_validate(f"{body}{97 - int(numeric) % 97:02d}")


class Command(BaseCommand):
    help = "Crée les données de démonstration (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="N'affiche pas les identifiants.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Ne crée rien si la base contient déjà des comptes (utilisé par « make run »).",
        )

    def handle(self, *args, quiet: bool = False, if_empty: bool = False, **options):
        if if_empty and User.objects.exists():
            if not quiet and User.objects.filter(username__in=ACCOUNTS).exists():
                self.stdout.write(
                    "Base déjà remplie. Comptes de démonstration : "
                    + ", ".join(ACCOUNTS)
                    + " (mot de passe : DEMO_PASSWORD, « demo » par défaut ; code de double "
                    "authentification d'« admin » : « python manage.py demo_totp »)."
                )
            return
        password = getattr(settings, "DEMO_PASSWORD", None) or "demo"
        if not settings.DEBUG and password == "demo":
            raise CommandError(
                "Refusé : DEBUG est désactivé et DEMO_PASSWORD vaut « demo ». Définissez un mot "
                "de passe de démonstration robuste dans DEMO_PASSWORD."
            )
        with transaction.atomic():
            users = self.seed_accounts(password)
            renewable = self.seed_patients_and_prescriptions(users)
        if not quiet:
            self.print_summary(password, renewable)

    def seed_accounts(self, password: str) -> dict[str, User]:
        structure, _ = Structure.objects.get_or_create(
            name=DEMO_STRUCTURE,
            defaults={"kind": Structure.Kind.MAISON_SPORT_SANTE, "city": "Lyon"},
        )
        practice, _ = Structure.objects.get_or_create(
            name=KINE_PRACTICE, defaults={"kind": Structure.Kind.PRACTICE, "city": "Lyon"}
        )
        users = {}
        for username, (first, last, profession, specialty, rpps) in ACCOUNTS.items():
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@demo.apa-portal.local",
                    "profession": profession,
                    "specialty": specialty,
                    "rpps": rpps,
                    # The physiotherapist works in town, outside the prescribers' structure.
                    "structure": practice
                    if profession == Profession.PHYSIOTHERAPIST
                    else structure,
                    "is_staff": username == "admin",
                    "is_superuser": username == "admin",
                },
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            users[username] = user
        # The second factor is mandatory for the admin account (security app): give it a TOTP
        # device whose codes `manage.py demo_totp` prints (fixed demo key under DEBUG).
        totp_device_for_demo(users["admin"])
        return users

    def seed_patients_and_prescriptions(self, users: dict[str, User]) -> Prescription | None:
        rng = random.Random(2023)
        today = timezone.localdate()
        situations = {s.code: s for s in EligibilitySituation.objects.all()}
        medecin, oncologue = users["medecin"], users["oncologue"]
        created = []
        for order, (birth_name, first_names, used_name, sex, birth, dep, codes) in enumerate(
            PATIENTS, start=1
        ):
            patient = Patient.objects.filter(
                birth_name=birth_name, first_names=first_names, birth_date=birth
            ).first()
            if patient is None:
                patient = patient_create(
                    created_by=users["admin"],
                    birth_name=birth_name,
                    first_names=first_names,
                    used_name=used_name,
                    sex=sex,
                    birth_date=birth,
                    nir=demo_nir(sex, birth, dep, order),
                    phone="06 " + " ".join(str(rng.randint(10, 99)) for _ in range(4)),
                    city="Lyon",
                    ald_details="Cancer du sein traité"
                    if "ald" in codes and sex == Sex.FEMALE
                    else "",
                    other_risk_factor="Exposition professionnelle au travail posté"
                    if "rf_other" in codes
                    else "",
                    physician_in_charge=medecin,
                    situations=[situations[c] for c in codes],
                )
                created.append(patient)
        renewable = None
        for index, patient in enumerate(created):
            prescriber = oncologue if index % 4 == 1 else medecin
            renewable = (
                self.seed_prescription(index, patient, prescriber, users, today, rng) or renewable
            )
        if not created:
            renewable = Prescription.objects.filter(
                status=Prescription.Status.ISSUED,
                physician_renewal_required=False,
                end_date__range=(today - timedelta(days=10), today + timedelta(days=20)),
                patient__structure__name=DEMO_STRUCTURE,
            ).first()
        return renewable

    def seed_prescription(self, index, patient, prescriber, users, today, rng):
        """Prescriptions in every status; returns the one the demo physiotherapist may renew."""
        kind = index % 7
        months = 3 + index % 4
        if kind == 0:  # ends in about ten days: within the renewal window of R-R3
            start = today - timedelta(days=months * 30 - 10)
        elif kind == 5:  # ends this month (a back-office filter), within the window of R-R3
            month_end = add_months(today.replace(day=1), 1) - timedelta(days=1)
            start = add_months(
                min(today + timedelta(days=2), month_end) + timedelta(days=1), -months
            )
        elif kind == 4:  # ended long ago
            start = today - timedelta(days=months * 31 + 200)
        elif kind in (2, 3):  # renewed or adapted: the initial period just ended
            start = today - timedelta(days=months * 31 - 5)
        else:
            start = today - timedelta(days=rng.randint(5, 40))
        content = {
            "prescribed_on": start,
            "start_date": start,
            "duration_months": months,
            "activity_types": rng.sample(ActivityType.values, k=rng.randint(1, 3)),
            "sessions_per_week": rng.choice([2, 2, 3]),
            "intensity": rng.choice([Intensity.LIGHT, Intensity.MODERATE]),
            "session_minutes": rng.choice([30, 45, 60]),
            "recommendations_text": (
                "Marche active progressive, renforcement des membres inférieurs."
            ),
            "restriction_picks": rng.sample(RestrictionPick.values, k=rng.randint(0, 2)),
            "restrictions_text": "",
            "physician_renewal_required": kind == 6,
            "physician_renewal_reason": "Insuffisance cardiaque à réévaluer" if kind == 6 else "",
            "patient_agreement": True,
        }
        level = [LimitationLevel.MINIMAL, LimitationLevel.MODERATE, LimitationLevel.SEVERE][
            index % 3
        ]
        assessment = {
            "locomotor": level,
            "cerebral": LimitationLevel.NONE,
            "sensory": LimitationLevel.MINIMAL,
            "severe_indicators": ["loc_walk"] if level == LimitationLevel.SEVERE else [],
            "confirmed_level": level,
        }
        prescription = services.prescription_create(
            prescriber=prescriber, patient=patient, content=content, assessment=assessment
        )
        if kind == 1 and index > 6:
            return None  # stays a draft
        services.prescription_issue(prescription=prescription, by=prescriber)
        if kind == 4:
            services.prescriptions_expire(today=today)
        elif kind == 1:
            services.prescription_cancel(
                prescription=prescription, by=prescriber, reason="Erreur de patient"
            )
        elif kind in (2, 3):
            kine = users["kine"]
            care_team_grant(
                patient=patient,
                user=kine,
                reason=CareTeamGrant.Reason.LOOKUP,
                prescription=prescription,
            )
            services.prescription_renew(
                prescription=prescription,
                physiotherapist=kine,
                kind=Renewal.Kind.RENEWAL if kind == 2 else Renewal.Kind.ADAPTATION,
                duration_months=3,
                patient_agreement=True,
                no_risk_attestation=True,
                adaptations={
                    "activity_types": [ActivityType.ENDURANCE, ActivityType.BALANCE],
                    "sessions_per_week": 3,
                    "intensity": Intensity.MODERATE,
                    "session_minutes": 45,
                    "recommendations_text": "Ajout d'exercices d'équilibre en groupe.",
                }
                if kind == 3
                else None,
                today=today,
            )
        if level != LimitationLevel.SEVERE and index % 2 == 0:
            care_team_grant(
                patient=patient,
                user=users["enseignant"],
                reason=CareTeamGrant.Reason.ORIENTATION,
                granted_by=prescriber,
            )
        return prescription if kind == 0 else None

    def print_summary(self, password: str, renewable: Prescription | None) -> None:
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write(f"Comptes (mot de passe : {password}) :")
        for username, (first, last, profession, *_rest) in ACCOUNTS.items():
            self.stdout.write(f"  {username:<11} {first} {last} · {profession.label}")
        self.stdout.write(
            "Le compte « admin » demande aussi un code de double authentification (TOTP) : "
            "« python manage.py demo_totp » affiche le code du moment (ou ajoutez la clé "
            f"{base32_secret(confirmed_device(User.objects.get(username='admin')))} à une "
            "application d'authentification)."
        )
        if renewable is not None:
            self.stdout.write(
                "Prescription à renouveler par « kine » : référence "
                f"{renewable.reference}, patient né(e) le {renewable.patient.birth_date:%d/%m/%Y}."
            )
