"""Demo data for a local try-out: one structure, seven accounts, about twenty patients, the
post-cancer pathway at each of its stages, and a group programme with its ten patients.

Idempotent: running it again changes nothing but the demo passwords.
"""

import random
from datetime import date, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from bilans import access as bilan_access
from bilans import services as bilan_services
from pathway import services as pathway_services
from pathway.models import Booking, Convention
from pathway.rules import Kind
from patients.models import CareTeamGrant, EligibilitySituation, Patient, Sex
from patients.rules import nir_validate
from patients.services import PatientData, care_team_grant, patient_create
from practitioners.models import Profession, Specialty, Structure, User
from prescriptions import seal, services
from prescriptions.content import AssessmentInput, PrescriptionContent, Recommendations
from prescriptions.models import Prescription, Renewal
from prescriptions.rules import (
    ActivityType,
    Intensity,
    LimitationLevel,
    RestrictionPick,
    add_months,
)
from programmes import rules as programme_rules
from programmes.models import Attendance, Enrolment, Offer
from programmes.services import (
    OfferInput,
    attendance_record,
    enrolment_create,
    offer_create,
    referral_send,
)
from security.services import base32_secret, confirmed_device, totp_device_for_demo

DEMO_STRUCTURE = "Maison Sport-Santé de Lyon Confluence"
GROUP_PROGRAMME_TITLE = "Programme sport & cancer (type CAMI)"
# The roll calls of the group programme's last sessions recorded through the service (the rest
# of its attendance history is written at once).
ROLL_CALLS_THROUGH_THE_SERVICE = 6
# The group programme's patients (seed 000): 8 enrolled, then 2 on the waiting list.
PROGRAMME_PATIENTS = [
    ("Arnaud", "Élise", Sex.FEMALE, date(1968, 2, 3)),
    ("Bonnet", "Martine", Sex.FEMALE, date(1959, 7, 21)),
    ("Chevalier", "Luc", Sex.MALE, date(1955, 10, 9)),
    ("Da Silva", "Ana", Sex.FEMALE, date(1974, 5, 17)),
    ("Ferreira", "Paulo", Sex.MALE, date(1961, 12, 30)),
    ("Gauthier", "Sylvie", Sex.FEMALE, date(1966, 3, 8)),
    ("Henry", "Odile", Sex.FEMALE, date(1952, 9, 1)),
    ("Imbert", "Yves", Sex.MALE, date(1958, 4, 26)),
    ("Joly", "Nathalie", Sex.FEMALE, date(1970, 8, 14)),
    ("Klein", "Bernard", Sex.MALE, date(1950, 1, 19)),
]
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
    # The post-cancer pathway's professionals (R-C3), in the conventioned structure.
    "dieteticienne": ("Laure", "Petit", Profession.DIETITIAN, "", ""),
    "psychologue": ("Marc", "Dubreuil", Profession.PSYCHOLOGIST, "", ""),
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


DEMO_BILAN = {
    "six_minute_walk_m": 400,
    "sit_to_stand_reps": 11,
    "tug_seconds": Decimal("13.5"),
    "one_leg_stance_seconds": Decimal("8.0"),
    "handgrip_kg_not_done": "pain",
    "weight_kg": Decimal("82.0"),
    "height_cm": 168,
    "waist_cm": 98,
    "borg_scale": "rpe",
    "borg_value": Decimal("13"),
    "activity_items": [2, 2, 1, 3, 2, 1, 2, 2, 1],
    "stage": "preparation",
    "goals": "Marcher 30 minutes sans s'arrêter ; reprendre la danse.",
    "barriers": "Peur de la chute, horaires de travail.",
    "resources": "Soutien de sa fille, salle à proximité.",
}
DEMO_PROGRAMME = {
    "programme_activity_types": ["endurance", "balance"],
    "programme_sessions_per_week": 2,
    "programme_session_minutes": 60,
    "programme_sessions_total": 24,
    "programme_place": "group",
}


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
        if getattr(settings, "DJANGO_ENV", "development") == "production":
            raise CommandError(
                "Refusé : les données de démonstration ne sont jamais créées en production "
                "(DJANGO_ENV=production)."
            )
        password = getattr(settings, "DEMO_PASSWORD", None) or "demo"
        if not settings.DEBUG and password == "demo":
            raise CommandError(
                "Refusé : DEBUG est désactivé et DEMO_PASSWORD vaut « demo ». Définissez un mot "
                "de passe de démonstration robuste dans DEMO_PASSWORD."
            )
        with transaction.atomic():
            users = self.seed_accounts(password)
            renewable = self.seed_patients_and_prescriptions(users)
            self.seed_pathways(users)
            self.seed_programme(users)
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
        # The second factor is mandatory for the admin account (security app). Under DEBUG it
        # gets a device with the published demo key (`manage.py demo_totp` prints its codes);
        # otherwise none: the admin enrols an authenticator app at the first login, as any
        # administrator does (a device whose key nobody knows would lock the account out).
        if settings.DEBUG:
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
                    data=PatientData(
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
                    ),
                    situations=[situations[c] for c in codes],
                )
                created.append(patient)
        renewable = None
        for index, patient in enumerate(created):
            prescriber = oncologue if index % 4 == 1 else medecin
            renewable = (
                self.seed_prescription(index, patient, prescriber, users, today, rng) or renewable
            )
        if created:
            self.seed_bilans(users["enseignant"], today, renewable)
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
        content = PrescriptionContent(
            start_date=start,
            duration_months=months,
            activity_types=rng.sample(ActivityType.values, k=rng.randint(1, 3)),
            sessions_per_week=rng.choice([2, 2, 3]),
            intensity=rng.choice([Intensity.LIGHT, Intensity.MODERATE]),
            session_minutes=rng.choice([30, 45, 60]),
            recommendations_text=(
                "Marche active progressive, renforcement des membres inférieurs."
            ),
            restriction_picks=rng.sample(RestrictionPick.values, k=rng.randint(0, 2)),
            physician_renewal_required=kind == 6,
            physician_renewal_reason="Insuffisance cardiaque à réévaluer" if kind == 6 else "",
            patient_agreement=True,
        )
        level = [LimitationLevel.MINIMAL, LimitationLevel.MODERATE, LimitationLevel.SEVERE][
            index % 3
        ]
        assessment = AssessmentInput(
            locomotor=level,
            cerebral=LimitationLevel.NONE,
            sensory=LimitationLevel.MINIMAL,
            severe_indicators=["loc_walk"] if level == LimitationLevel.SEVERE else [],
            confirmed_level=level,
        )
        # Signed on the day it starts (R-P4: dated the day of signature).
        prescription = services.prescription_create(
            prescriber=prescriber,
            patient=patient,
            content=content,
            assessment=assessment,
            today=start,
        )
        if kind == 1 and index > 6:
            return None  # stays a draft
        services.prescription_issue(prescription=prescription, by=prescriber, today=start)
        if kind == 4:
            services.prescriptions_expire(today=today)
        elif kind == 1:
            services.prescription_cancel(
                prescription=prescription, by=prescriber, reason="Erreur de patient"
            )
        elif kind in (2, 3):
            kine = users["kine"]
            services.prescription_access_grant(prescription=prescription, user=kine)
            services.prescription_renew(
                prescription=prescription,
                physiotherapist=kine,
                kind=Renewal.Kind.RENEWAL if kind == 2 else Renewal.Kind.ADAPTATION,
                duration_months=3,
                patient_agreement=True,
                no_risk_attestation=True,
                adaptations=Recommendations(
                    activity_types=[ActivityType.ENDURANCE, ActivityType.BALANCE],
                    sessions_per_week=3,
                    intensity=Intensity.MODERATE,
                    session_minutes=45,
                    recommendations_text="Ajout d'exercices d'équilibre en groupe.",
                )
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

    def seed_bilans(self, apa: User, today: date, renewable: Prescription | None) -> None:
        """The enseignant's patients at each step of D.1172-5: no entry bilan yet, entry bilan
        signed, a compte rendu, a compte rendu that reports a risk (R-R5), an exit bilan. The
        direct orientations only (ORIENTATION): the group programme's patients get theirs in
        `seed_programme`."""
        oriented = (
            Patient.objects.filter(
                grants__user=apa,
                grants__reason=CareTeamGrant.Reason.ORIENTATION,
                grants__revoked_at__isnull=True,
            )
            .distinct()
            .order_by("birth_name")
        )
        step = 0
        for patient in oriented:
            prescription = bilan_services.current_prescription(patient)
            if prescription is None or not bilan_access.may_record(apa, patient):
                continue
            if prescription == renewable:
                continue  # the physiotherapist's demo renewal stays possible (R-R5)
            step += 1
            if step % 5 == 1:
                continue  # the entry bilan is still to do
            entry_day = min(prescription.start_date + timedelta(days=3), today)
            values = {**DEMO_BILAN, "share_agreement": step % 5 != 2}
            entry = bilan_services.entry_bilan_save(
                patient=patient,
                author=apa,
                values={**values, **DEMO_PROGRAMME, "programme_intensity": prescription.intensity},
                today=entry_day,
            )
            entry = bilan_services.entry_bilan_sign(bilan=entry, by=apa)
            if step % 5 == 2:
                continue
            # A reported risk refuses the physiotherapist's renewal (R-R5): never on a
            # prescription the demo's physiotherapist may renew now (the window of R-R3).
            renewable_now = prescription.status == Prescription.Status.ISSUED and (
                today - timedelta(days=30) <= prescription.end_date <= today + timedelta(days=30)
            )
            risky = step % 5 == 4 and not renewable_now
            bilan_services.progress_report_create(
                patient=patient,
                author=apa,
                values={
                    "sessions_planned": 8,
                    "sessions_done": 6 if risky else 8,
                    "tolerance": "fair" if risky else "good",
                    "progress": "Marche 25 minutes sans pause.",
                    "share_agreement": True,
                    "risk_flag": risky,
                    "risk_description": "Essoufflement important et douleur thoracique à "
                    "l'effort lors de la dernière séance."
                    if risky
                    else "",
                },
                today=min(entry_day + timedelta(days=21), today),
            )
            if step % 5 == 0:
                exit_bilan = bilan_services.exit_bilan_save(
                    entry=entry,
                    author=apa,
                    values={
                        **DEMO_BILAN,
                        "six_minute_walk_m": 445,
                        "tug_seconds": Decimal("11.2"),
                        "sit_to_stand_reps": 14,
                        "stage": "action",
                        "share_agreement": True,
                        "proposal": "leave",
                        "leave_to": "Club de marche nordique labellisé Sport-Santé",
                    },
                    today=today,
                )
                bilan_services.exit_bilan_sign(bilan=exit_bilan, by=apa)

    def seed_pathways(self, users: dict[str, User]) -> None:
        """The post-cancer pathway (R-C1 to R-C4) at each stage, in the demo structure, which is
        conventioned by the ARS: an episode to prescribe for, a window of prescription closed,
        a pathway prescribed with nothing booked, one under way (the APA project recorded, a
        consultation booked), one whose 180 € are used up, one whose 12 months have passed."""
        structure = users["admin"].structure
        if structure is None or Convention.objects.filter(structure=structure).exists():
            return  # already seeded
        Convention.objects.create(
            structure=structure, number="ARS-ARA-2021-0042", starts_on=date(2021, 1, 1)
        )
        today = timezone.localdate()
        oncologue, admin = users["oncologue"], users["admin"]
        pros: dict[str, User] = {
            Kind.BILAN_PHYSICAL: users["enseignant"],
            Kind.BILAN_DIETARY: users["dieteticienne"],
            Kind.BILAN_PSYCHOLOGICAL: users["psychologue"],
            Kind.CONSULTATION_DIETARY: users["dieteticienne"],
            Kind.CONSULTATION_PSYCHOLOGICAL: users["psychologue"],
        }
        all_bilans = [Kind.BILAN_PHYSICAL, Kind.BILAN_DIETARY, Kind.BILAN_PSYCHOLOGICAL]

        def episode(birth_name: str, ended: date, localisation: str):
            patient = Patient.objects.filter(birth_name=birth_name, structure=structure).first()
            if patient is None:
                return None
            return pathway_services.episode_record(
                patient=patient,
                by=oncologue,
                localisation=localisation,
                treatment_end=ended,
                ald=True,
                today=today,
            )

        def deliver(pathway, kind: str, on: date, *, done: bool = True) -> Booking:
            booking = pathway_services.booking_create(
                pathway=pathway, by=admin, kind=kind, scheduled_on=on, professional=pros[kind]
            )
            if done:
                project = (
                    "Marche nordique en groupe 2 fois par semaine, renforcement musculaire "
                    "doux ; objectif : 30 minutes de marche sans pause."
                    if kind == Kind.BILAN_PHYSICAL
                    else ""
                )
                booking = pathway_services.booking_mark(
                    booking=booking, by=admin, done=True, apa_project=project, today=today
                )
            return booking

        def prescribe(found, on: date):
            return pathway_services.pathway_prescribe(
                episode=found,
                by=oncologue,
                structure=structure,
                kinds=all_bilans,
                prescribed_on=on,
            )

        # To prescribe: the treatment ended 40 days ago.
        episode("Dupont", today - timedelta(days=40), "Sein")
        # Too late: the treatment ended 14 months ago (R-C1).
        episode("André", add_months(today, -14), "Sein")
        # Prescribed, nothing booked yet.
        if found := episode("Nguyen", today - timedelta(days=90), "Sein"):
            prescribe(found, today - timedelta(days=10))
        # Under way: the physical-activity bilan and its APA project (R-C4), a dietary bilan and
        # consultation done, a psychological consultation booked.
        if found := episode("Fontaine", today - timedelta(days=200), "Côlon"):
            pathway = prescribe(found, today - timedelta(days=150))
            deliver(pathway, Kind.BILAN_PHYSICAL, today - timedelta(days=140))
            deliver(pathway, Kind.BILAN_DIETARY, today - timedelta(days=120))
            deliver(pathway, Kind.CONSULTATION_DIETARY, today - timedelta(days=90))
            deliver(pathway, Kind.CONSULTATION_PSYCHOLOGICAL, today + timedelta(days=7), done=False)
        # The forfait used up: 1 bilan and 6 consultations, 180 € (R-C2, R-C3).
        if found := episode("Bouvier", today - timedelta(days=330), "Sein"):
            pathway = prescribe(found, today - timedelta(days=300))
            deliver(pathway, Kind.BILAN_PHYSICAL, today - timedelta(days=290))
            for n in range(6):
                kind = Kind.CONSULTATION_DIETARY if n % 2 else Kind.CONSULTATION_PSYCHOLOGICAL
                deliver(pathway, kind, today - timedelta(days=270 - 30 * n))
        # The 12 months after the first bilan have passed (R-C1).
        if found := episode("Lambert", today - timedelta(days=500), "Prostate"):
            pathway = prescribe(found, today - timedelta(days=450))
            deliver(pathway, Kind.BILAN_PHYSICAL, today - timedelta(days=420))
            deliver(pathway, Kind.CONSULTATION_PSYCHOLOGICAL, today - timedelta(days=380))

    def seed_programme(self, users: dict[str, User]) -> None:
        """A CAMI-like group programme (seed 000): two sessions a week for 6 months, started
        12 weeks ago; 8 enrolled with their attendance and their signed entry bilan (R-B1: the
        follow-up is recorded as a compte rendu, which follows it), one who missed the last 3
        sessions (the drop-out alert), 2 on the waiting list; the first follow-up is due this
        week (none done yet: it goes through `follow_up_record`, as on the page)."""
        if Offer.objects.filter(title=GROUP_PROGRAMME_TITLE).exists():
            return
        rng = random.Random(2026)
        today = timezone.localdate()
        start = today - timedelta(weeks=12)
        medecin, oncologue, coordinator = users["medecin"], users["oncologue"], users["admin"]
        apa = users["enseignant"]
        structure = apa.structure
        assert structure is not None
        offer = offer_create(
            structure=structure,
            data=OfferInput(
                title=GROUP_PROGRAMME_TITLE,
                activity="Renforcement musculaire et endurance en groupe",
                levels=[LimitationLevel.MINIMAL, LimitationLevel.MODERATE],
                place="Gymnase de la Confluence, Lyon 2e",
                postal_code="69002",
                start_date=start,
                end_date=add_months(start, 6) - timedelta(days=1),
                slots=[
                    programme_rules.WeeklySlot(1, time(17, 30), 60),
                    programme_rules.WeeklySlot(4, time(10, 0), 60),
                ],
            ),
            supervisors=[apa],
            coordinator=coordinator,
        )
        situation = EligibilitySituation.objects.get(code="ald")
        enrolments = []
        for order, (birth_name, first_names, sex, birth) in enumerate(PROGRAMME_PATIENTS):
            patient = patient_create(
                created_by=coordinator,
                data=PatientData(
                    birth_name=birth_name,
                    first_names=first_names,
                    used_name="",
                    sex=sex,
                    birth_date=birth,
                    nir=demo_nir(sex, birth, "69", 100 + order),
                    postal_code="69002",
                    city="Lyon",
                    ald_details="Cancer traité, fin des traitements depuis moins d'un an",
                    other_risk_factor="",
                    physician_in_charge=medecin,
                ),
                situations=[situation],
            )
            prescriber = oncologue if order % 2 else medecin
            signed_on = start - timedelta(days=7)
            prescription = services.prescription_create(
                prescriber=prescriber,
                patient=patient,
                content=PrescriptionContent(
                    start_date=signed_on,
                    duration_months=6,
                    activity_types=[ActivityType.ENDURANCE, ActivityType.STRENGTH],
                    sessions_per_week=2,
                    intensity=Intensity.MODERATE,
                    session_minutes=60,
                    recommendations_text="Programme collectif sport et cancer.",
                    restriction_picks=[],
                    physician_renewal_required=False,
                    physician_renewal_reason="",
                    patient_agreement=True,
                ),
                assessment=AssessmentInput(
                    locomotor=LimitationLevel.MODERATE,
                    cerebral=LimitationLevel.MINIMAL,
                    sensory=LimitationLevel.NONE,
                    severe_indicators=[],
                    confirmed_level=LimitationLevel.MODERATE,
                ),
                today=signed_on,
            )
            prescription = services.prescription_issue(
                prescription=prescription, by=prescriber, today=signed_on
            )
            referral = referral_send(
                prescription=prescription, offer=offer, by=prescriber, today=start
            )
            enrolments.append(
                enrolment_create(
                    referral=referral,
                    goals="Marcher 30 minutes sans s'arrêter ; reprendre une activité régulière.",
                    by=coordinator,
                    today=start,
                )
            )
        now = timezone.now()
        past = list(offer.sessions.filter(starts_at__lt=now).order_by("starts_at"))
        enrolled = [e for e in enrolments if e.status == Enrolment.Status.ENROLLED]
        for enrolment in enrolled:
            # The enseignant follows them through the programme's grant (PROGRAMME).
            entry = bilan_services.entry_bilan_save(
                patient=enrolment.patient,
                author=apa,
                values={
                    **DEMO_BILAN,
                    **DEMO_PROGRAMME,
                    "programme_intensity": enrolment.prescription.intensity,
                    "share_agreement": True,
                },
                today=start,
            )
            bilan_services.entry_bilan_sign(bilan=entry, by=apa)
        # The roll calls of the last weeks go through the service, as on the tablet; the older
        # ones are written at once (with their history rows), never two absences in a row, so
        # that no drop-out alert is owed for them: seed_demo runs before every browser test.
        recent = min(len(past), ROLL_CALLS_THROUGH_THE_SERVICE)
        older: list[Attendance] = []
        for index, enrolment in enumerate(enrolled):
            absent_before = False
            for session in past[: len(past) - recent]:
                present = absent_before or rng.random() < 0.9
                older.append(
                    Attendance(
                        session=session, enrolment=enrolment, present=present, recorded_by=apa
                    )
                )
                absent_before = not present
            for rank, session in enumerate(past[len(past) - recent :]):
                # The last of them missed the last three sessions: the drop-out alert.
                missed = index == len(enrolled) - 1 and rank >= recent - 3
                attendance_record(
                    session=session,
                    enrolment=enrolment,
                    present=not missed and rng.random() < 0.9,
                    by=apa,
                )
        bulk_create_with_history(older, Attendance)

    def print_summary(self, password: str, renewable: Prescription | None) -> None:
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write(f"Comptes (mot de passe : {password}) :")
        for username, (first, last, profession, *_rest) in ACCOUNTS.items():
            self.stdout.write(f"  {username:<11} {first} {last} · {profession.label}")
        if settings.DEBUG:
            # The fixed, published demo key (security.services.DEMO_TOTP_KEY_HEX) of a local
            # try-out; without DEBUG the key is random and a secret: never printed.
            self.stdout.write(
                "Le compte « admin » demande aussi un code de double authentification (TOTP) : "
                "« python manage.py demo_totp » affiche le code du moment (ou ajoutez la clé "
                f"{base32_secret(confirmed_device(User.objects.get(username='admin')))} à une "
                "application d'authentification)."
            )
        else:
            self.stdout.write(
                "Le compte « admin » demande aussi la double authentification : il enregistre "
                "son application d'authentification à sa première connexion."
            )
        if renewable is not None:
            self.stdout.write(
                "Prescription à renouveler par « kine » : référence "
                f"{renewable.reference}, patient né(e) le {renewable.patient.birth_date:%d/%m/%Y}."
            )
        if seal.sealing_enabled() and not settings.APA_PDF_SEAL_P12:
            seal.signer()  # the development seal certificate, made now rather than at a download
            pem = settings.APA_PDF_SEAL_DEV_DIR / seal.DEV_PEM_NAME
            self.stdout.write(
                "Les PDF sont scellés par un certificat de développement (non valable) : "
                "« pyhanko sign validate --pretty-print --trust-replace --trust "
                f"{pem} formulaire.pdf » vérifie un formulaire."
            )
