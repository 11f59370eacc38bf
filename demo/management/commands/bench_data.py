"""Data at the scale of a region, for the benchmark: `bench_data --patients 100000
--prescriptions 300000 [--seed 42]`.

Realistic French data (names with accents, valid NIRs and RPPS, Grand Est structures), built
fast with `bulk_create` in batches. `bulk_create` skips `save()` and signals, so:
- what `save()` derives is computed here (`Patient.search_name` with `rules.fold`,
  `Prescription.end_date` with `rules.period_end`, its copies `structure` and
  `current_end_date`);
- django-simple-history records nothing for these rows (no historical rows: they were never
  "changed" by anyone, and the benchmark does not read the history);
- every database constraint still holds (durations 3 to 6 months, OUI => reason, issued =>
  agreement and `issued_at`, end after start, one renewal per prescription, unique NIR and
  reference): `tests/test_bench_data.py` checks it and `full_clean()`s a sample.

Reproducible: the same `--seed` on an empty database gives the same rows (UUIDs, references
and verification codes are drawn from the seeded generator, in the format of
`rules.new_reference`; only timestamps and the password salt differ).

Refuses to run on a database that holds patients but no bench marker structure (real data)
unless `--force`.
"""

import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from bilans.models import EntryBilan, ExitBilan, IssuedDocument, ProgressReport
from bilans.models import Status as BilanStatus
from kernel.text import fold
from notifications.models import Notification
from patients.models import CareTeamGrant, EligibilitySituation, Patient, Sex
from practitioners.models import Profession, Specialty, Structure, User
from practitioners.rules import luhn_is_valid
from prescriptions import rules
from prescriptions.models import LimitationAssessment, Prescription, PrescriptionAccess, Renewal

BENCH_MARKER = "Banc d'essai APA Portal (bench_data)"
BENCH_PASSWORD = "banc-essai-apa-2026"
# The personas the benchmark logs in as.
BENCH_PHYSICIAN = "bench-medecin"
BENCH_PHYSIOTHERAPIST = "bench-kine"
BENCH_SUPERUSER = "bench-admin"
BENCH_STRUCTURE_STAFF = "bench-gestion"
# The patient whose page shows exactly 10 prescriptions (birth name, first names).
BENCH_PATIENT = ("Lefèvre-Bénard", "Hélène Zoé")
BENCH_PATIENT_PRESCRIPTIONS = 10

FEMALE_FIRST_NAMES = [
    "Hélène",
    "Zoé",
    "Léa",
    "Chloé",
    "Manon",
    "Camille",
    "Inès",
    "Sarah",
    "Emma",
    "Louise",
    "Jade",
    "Anaïs",
    "Maëlle",
    "Cécile",
    "Élodie",
    "Gisèle",
    "Françoise",
    "Thérèse",
    "Agnès",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Martine",
    "Valérie",
    "Sandrine",
    "Sophie",
    "Céline",
    "Aurélie",
    "Julie",
    "Marie",
    "Anne",
    "Monique",
    "Geneviève",
    "Noémie",
    "Océane",
    "Mélanie",
    "Clémence",
    "Joëlle",
    "Danièle",
    "Michèle",
    "Bérénice",
    "Léonie",
    "Aïcha",
    "Fatima",
    "Nadia",
    "Yasmine",
    "Thi Lan",
    "Marie-Claire",
    "Anne-Sophie",
]
MALE_FIRST_NAMES = [
    "François",
    "Jérôme",
    "Benoît",
    "Noël",
    "Rémi",
    "Théo",
    "Hugo",
    "Lucas",
    "Louis",
    "Gabriel",
    "Jules",
    "Arthur",
    "Nathan",
    "Léo",
    "Raphaël",
    "Mathéo",
    "Clément",
    "Jean",
    "Pierre",
    "Michel",
    "Philippe",
    "Alain",
    "Patrick",
    "Nicolas",
    "Christophe",
    "Stéphane",
    "Frédéric",
    "Sébastien",
    "Julien",
    "Laurent",
    "Éric",
    "Gérard",
    "André",
    "Bernard",
    "René",
    "Hervé",
    "Loïc",
    "Joël",
    "Gaël",
    "Anthony",
    "Mehdi",
    "Karim",
    "Samir",
    "Mohamed",
    "João",
    "José",
    "Jean-Pierre",
    "Jean-François",
    "Marc-Antoine",
    "Pierre-Édouard",
]
SURNAMES = [
    "Martin",
    "Bernard",
    "Bénard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Müller",
    "Lemaire",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemoine",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martínez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Lecomte",
    "Hoarau",
    "Ménard",
    "Léger",
    "Hébert",
    "Bélanger",
    "Pâris",
    "Crémieux",
    "Œuvray",
    "Weiß",
    "Klein",
    "Wagner",
    "Schneider",
    "Fischer",
    "Koch",
    "Hoffmann",
    "Krebs",
    "Zimmermann",
    "Nguyen",
    "Haddad",
    "Benali",
    "Da Silva",
    "Dos Santos",
    "Le Gall",
    "Le Goff",
    "De La Fontaine",
]
# Grand Est: city, postal code, département (for the NIR of people born there).
CITIES = [
    ("Strasbourg", "67000", "67"),
    ("Mulhouse", "68100", "68"),
    ("Colmar", "68000", "68"),
    ("Metz", "57000", "57"),
    ("Nancy", "54000", "54"),
    ("Reims", "51100", "51"),
    ("Troyes", "10000", "10"),
    ("Charleville-Mézières", "08000", "08"),
    ("Épinal", "88000", "88"),
    ("Châlons-en-Champagne", "51000", "51"),
    ("Thionville", "57100", "57"),
    ("Haguenau", "67500", "67"),
    ("Saint-Dié-des-Vosges", "88100", "88"),
    ("Verdun", "55100", "55"),
    ("Bar-le-Duc", "55000", "55"),
    ("Chaumont", "52000", "52"),
    ("Sélestat", "67600", "67"),
    ("Lunéville", "54300", "54"),
    ("Sarreguemines", "57200", "57"),
    ("Saint-Louis", "68300", "68"),
]
OTHER_BIRTH_DEPARTEMENTS = ["75", "69", "13", "59", "2A", "2B", "31", "33", "21", "25", "99"]
STREETS = [
    "rue des Tilleuls",
    "avenue de la Forêt-Noire",
    "rue du Général-Leclerc",
    "place Kléber",
    "rue de l'Église",
    "boulevard d'Alsace",
    "rue des Écoles",
    "allée des Châtaigniers",
    "rue Jean-Jaurès",
    "quai des Bateliers",
    "rue de la Mésange",
    "impasse des Prés",
]
# name, kind, city index, relative weight (share of the patients and practitioners).
HOSPITALS = [
    ("CHU de Strasbourg", 0, 20.0),
    ("CHU de Nancy", 4, 6.0),
    ("CHU de Reims", 5, 5.0),
    ("CHR Metz-Thionville", 3, 5.0),
    ("GHR Mulhouse Sud-Alsace", 1, 4.0),
    ("Hôpitaux civils de Colmar", 2, 3.0),
    ("Centre hospitalier de Troyes", 6, 2.0),
    ("Centre hospitalier d'Épinal", 8, 1.5),
    ("Centre hospitalier de Verdun", 13, 1.0),
    ("Centre hospitalier de Haguenau", 11, 1.5),
]
ALD_DETAILS = [
    "Cancer du sein traité",
    "Diabète de type 2",
    "Insuffisance cardiaque chronique",
    "BPCO",
    "Maladie de Parkinson",
    "Séquelles d'AVC",
    "Cancer colorectal en rémission",
    "Polyarthrite rhumatoïde",
    "Sclérose en plaques",
    "Maladie coronaire stable",
]
RECOMMENDATIONS = [
    "Marche active progressive, 30 minutes.",
    "Renforcement des membres inférieurs avec élastiques.",
    "Travail de l'équilibre en appui unipodal, prévention des chutes.",
    "Aquagym ou natation douce, endurance à intensité modérée.",
    "Vélo d'appartement, fractionné léger, surveillance de la fréquence cardiaque.",
    "Gym douce, souplesse et coordination en groupe.",
]
PHYSICIAN_REASONS = [
    "Cardiopathie instable : réévaluation cardiologique nécessaire.",
    "Diabète déséquilibré sous insuline.",
    "Suivi oncologique en cours (chimiothérapie).",
    "Chutes répétées : réévaluation gériatrique.",
]
CANCEL_REASONS = ["Erreur de patient.", "Patient hospitalisé.", "Refus du patient."]

SITUATION_WEIGHTS = {
    "ald": 30,
    "chronic_disease": 15,
    "rf_overweight": 10,
    "rf_obesity": 10,
    "rf_hypertension": 10,
    "rf_undernutrition": 3,
    "rf_sedentary": 12,
    "rf_dyslipidaemia": 6,
    "rf_addiction": 3,
    "rf_other": 2,
    "autonomy_a": 3,
    "autonomy_b": 2,
    "autonomy_c": 2,
    "autonomy_d": 1,
    "autonomy_e": 3,
}
# Status of a generated prescription, with its share.
STATUS_WEIGHTS = [
    (Prescription.Status.DRAFT, 5),
    (Prescription.Status.ISSUED, 25),
    (Prescription.Status.RENEWED, 10),
    (Prescription.Status.ADAPTED, 5),
    (Prescription.Status.EXPIRED, 40),
    (Prescription.Status.CANCELLED, 15),
]
BATCH = 5000


class Progress:
    """A plain-text progress bar on stderr (redrawn in place on a terminal)."""

    def __init__(self, label: str, total: int, stream=None) -> None:
        self.label, self.total = label, max(total, 1)
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.perf_counter()
        self.shown = -1
        self.tty = getattr(self.stream, "isatty", lambda: False)()

    def advance(self, n: int) -> None:
        if n == 0:
            return
        self.done += n
        percent = min(100, self.done * 100 // self.total)
        step = 1 if self.tty else 25
        if percent // step != self.shown // step or self.done >= self.total:
            self.shown = percent
            bar = "#" * (percent // 4) + "." * (25 - percent // 4)
            elapsed = time.perf_counter() - self.started
            start, end = ("\r", "") if self.tty else ("", "\n")
            self.stream.write(
                f"{start}{self.label:<22} [{bar}] {percent:3d}% "
                f"{self.done}/{self.total} {elapsed:5.1f} s{end}"
            )
            self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def rpps_with_luhn(body10: str) -> str:
    """R-ID1: 11 digits whose last one is the Luhn key."""
    return next(body10 + str(d) for d in range(10) if luhn_is_valid(body10 + str(d)))


def nir_for(sex: str, birth: date, departement: str, commune: int, order: int) -> str:
    """R-ID2: a NIR with the right key (97 - first 13 digits mod 97; 2A -> 19, 2B -> 18)."""
    body = f"{'2' if sex == Sex.FEMALE else '1'}{birth.year % 100:02d}{birth.month:02d}"
    body += f"{departement}{commune:03d}{order:03d}"
    numeric = body.replace("2A", "19").replace("2B", "18")
    return f"{body}{97 - int(numeric) % 97:02d}"


def email_for(first_names: str, birth_name: str, n: int) -> str:
    def ascii_part(text: str) -> str:
        folded = fold(text).replace("œ", "oe").replace("æ", "ae")
        return "".join(c if c.isascii() and c.isalnum() else "-" for c in folded).strip("-")

    return f"{ascii_part(first_names.split()[0])}.{ascii_part(birth_name)}{n}@exemple.fr"


def period_end(start: date, months: int) -> date:
    return rules.period_end(start, months)


class Generator:
    """Draws every row from one seeded `random.Random`."""

    physios: list[User]  # set by the command once the people exist

    def __init__(self, *, seed: int, salt: int, today: date, stream) -> None:
        self.rng = random.Random(f"{seed}:{salt}")
        self.seed = seed
        self.today = today
        self.stream = stream
        self.nirs: set[str] = set(Patient.objects.exclude(nir="").values_list("nir", flat=True))
        self.references: set[str] = set(Prescription.objects.values_list("reference", flat=True))

    # --- helpers ------------------------------------------------------------------------------
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def code(self, n: int) -> str:
        return "".join(self.rng.choice(rules.REFERENCE_ALPHABET) for _ in range(n))

    def reference(self, year: int) -> str:
        # The format of rules.new_reference, drawn from the seeded generator (reproducible);
        # the set guarantees uniqueness (the column is UNIQUE).
        while True:
            body = self.code(8)
            reference = f"APA-{year}-{body[:4]}-{body[4:]}"
            if reference not in self.references:
                self.references.add(reference)
                return reference

    def aware(self, day: date, hour: int | None = None) -> datetime:
        hour = self.rng.randint(8, 18) if hour is None else hour
        return datetime(day.year, day.month, day.day, hour, self.rng.randint(0, 59), tzinfo=UTC)

    # --- structures and practitioners -------------------------------------------------------
    def structures(self) -> list[tuple[Structure, float]]:
        marker, _ = Structure.objects.get_or_create(
            name=BENCH_MARKER, defaults={"kind": Structure.Kind.OTHER, "city": "Strasbourg"}
        )
        wanted = [(name, Structure.Kind.HOSPITAL, CITIES[c][0], w) for name, c, w in HOSPITALS]
        rng = random.Random(f"{self.seed}:structures")
        for index, (city, _postal, _dep) in enumerate(CITIES):
            wanted.append(
                (
                    f"Maison Sport-Santé de {city}",
                    Structure.Kind.MAISON_SPORT_SANTE,
                    city,
                    1.0 + rng.random(),
                )
            )
            for n in range(2):
                wanted.append(
                    (
                        f"Cabinet médical {SURNAMES[(index * 2 + n) % len(SURNAMES)]} ({city})",
                        Structure.Kind.PRACTICE,
                        city,
                        0.3 + rng.random() / 2,
                    )
                )
        result = []
        for name, kind, city, weight in wanted:
            structure, _ = Structure.objects.get_or_create(
                name=name, defaults={"kind": kind, "city": city}
            )
            result.append((structure, weight))
        self.marker = marker
        return result

    def practitioners(
        self, structures: list[tuple[Structure, float]], *, physicians: int, password: str
    ) -> dict[str, list[User]]:
        """~`physicians` physicians (valid Luhn RPPS), physiotherapists, APA professionals and
        the staff of each structure. Created once; a later run reuses them."""
        rng = random.Random(f"{self.seed}:practitioners")
        hashed = make_password(password)  # one hash for all: PBKDF2 per user would take minutes
        weights = [w for _, w in structures]
        plan: list[dict] = []

        def person(username, profession, structure, *, female=None, rpps="", specialty="", **extra):
            female = rng.random() < 0.55 if female is None else female
            plan.append(
                dict(
                    username=username,
                    first_name=rng.choice(FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES),
                    last_name=rng.choice(SURNAMES),
                    email=f"{username}@bench.apa-portal.local",
                    profession=profession,
                    specialty=specialty,
                    rpps=rpps,
                    structure=structure,
                    password=hashed,
                    **extra,
                )
            )

        main = structures[0][0]  # CHU de Strasbourg: the largest structure
        specialties = [Specialty.GENERAL_PRACTICE] * 6 + [Specialty.ONCOLOGY, Specialty.OTHER]
        person(
            BENCH_PHYSICIAN,
            Profession.PHYSICIAN,
            main,
            female=True,
            rpps=rpps_with_luhn("1900000000"),
            specialty=Specialty.GENERAL_PRACTICE,
        )
        for n in range(1, physicians):
            structure = rng.choices(structures, weights)[0][0]
            person(
                f"bench-md-{n:05d}",
                Profession.PHYSICIAN,
                structure,
                rpps=rpps_with_luhn(f"19{n:08d}"),
                specialty=rng.choice(specialties),
            )
        physios = max(2, physicians // 8)
        practices = [s for s, _ in structures if s.kind == Structure.Kind.PRACTICE] or [main]
        person(
            BENCH_PHYSIOTHERAPIST,
            Profession.PHYSIOTHERAPIST,
            practices[0],
            rpps=rpps_with_luhn("2900000000"),
        )
        for n in range(1, physios):
            person(
                f"bench-mk-{n:05d}",
                Profession.PHYSIOTHERAPIST,
                rng.choice(practices),
                rpps=rpps_with_luhn(f"29{n:08d}"),
            )
        for n in range(max(1, physicians // 40)):
            profession = (
                Profession.OCCUPATIONAL_THERAPIST if n % 2 else (Profession.PSYCHOMOTOR_THERAPIST)
            )
            person(
                f"bench-ergo-{n:05d}",
                profession,
                rng.choices(structures, weights)[0][0],
                rpps=rpps_with_luhn(f"39{n:08d}"),
            )
        msss = [s for s, _ in structures if s.kind == Structure.Kind.MAISON_SPORT_SANTE] or [main]
        for n in range(max(1, physicians // 12)):
            profession = [
                Profession.APA_TEACHER,
                Profession.APA_TEACHER,
                Profession.SPORTS_EDUCATOR,
                Profession.FEDERATION_CERTIFIED,
            ][n % 4]
            person(f"bench-apa-{n:05d}", profession, rng.choice(msss))
        person(BENCH_STRUCTURE_STAFF, Profession.ADMIN_STAFF, main, is_staff=True)
        for index, (structure, _) in enumerate(structures):
            person(f"bench-staff-{index:03d}", Profession.ADMIN_STAFF, structure)
        person(
            BENCH_SUPERUSER, Profession.ADMIN_STAFF, self.marker, is_staff=True, is_superuser=True
        )

        existing = set(
            User.objects.filter(username__startswith="bench-").values_list("username", flat=True)
        )
        taken_rpps = set(User.objects.exclude(rpps="").values_list("rpps", flat=True))
        missing = [
            User(**row)
            for row in plan
            if row["username"] not in existing and row["rpps"] not in taken_rpps - {""}
        ]
        progress = Progress("professionnels", len(missing), self.stream)
        for start in range(0, len(missing), BATCH):
            chunk = missing[start : start + BATCH]
            User.objects.bulk_create(chunk, batch_size=BATCH)
            progress.advance(len(chunk))
        progress.close()
        users = User.objects.filter(username__startswith="bench-").only(
            "id", "username", "first_name", "last_name", "rpps", "profession", "structure_id"
        )
        by_kind: dict[str, list[User]] = {
            "physician": [],
            "physiotherapist": [],
            "staff": [],
            "apa": [],
        }
        self.by_username = {}
        for user in users.order_by("username"):
            self.by_username[user.username] = user
            if user.profession == Profession.PHYSICIAN:
                by_kind["physician"].append(user)
            elif user.profession == Profession.PHYSIOTHERAPIST:
                by_kind["physiotherapist"].append(user)
            elif user.profession == Profession.APA_TEACHER:
                by_kind["apa"].append(user)
            elif user.profession == Profession.ADMIN_STAFF and not user.username.startswith(
                "bench-admin"
            ):
                by_kind["staff"].append(user)
        return by_kind

    # --- patients -----------------------------------------------------------------------------
    def patient(
        self,
        structure: Structure,
        physician: User | None,
        staff: User | None,
        *,
        names: tuple[str, str] | None = None,
    ) -> tuple[Patient, list[str]]:
        rng = self.rng
        sex = Sex.FEMALE if rng.random() < 0.54 else Sex.MALE
        first_pool = FEMALE_FIRST_NAMES if sex == Sex.FEMALE else MALE_FIRST_NAMES
        if names:
            birth_name, first_names = names
            sex = Sex.FEMALE
        else:
            birth_name = rng.choice(SURNAMES)
            if rng.random() < 0.08:
                birth_name = f"{birth_name}-{rng.choice(SURNAMES)}"
            first_names = rng.choice(first_pool)
            if rng.random() < 0.3:
                first_names = f"{first_names} {rng.choice(first_pool)}"
        used_name = rng.choice(SURNAMES) if sex == Sex.FEMALE and rng.random() < 0.25 else ""
        # Age 18 to 95, more of them old.
        age = int(18 + 77 * rng.random() ** 0.7)
        birth = self.today - timedelta(days=age * 365 + rng.randint(0, 364))
        city, postal, departement = rng.choice(CITIES)
        nir = ""
        if rng.random() < 0.85:
            birth_dep = departement if rng.random() < 0.75 else rng.choice(OTHER_BIRTH_DEPARTEMENTS)
            while True:
                candidate = nir_for(sex, birth, birth_dep, rng.randint(1, 990), rng.randint(1, 999))
                if candidate not in self.nirs:
                    self.nirs.add(candidate)
                    nir = candidate
                    break
        codes = rng.choices(
            list(SITUATION_WEIGHTS),
            list(SITUATION_WEIGHTS.values()),
            k=rng.choice([1, 1, 1, 2, 2, 3]),
        )
        codes = sorted(set(codes))
        patient = Patient(
            id=self.uuid(),
            structure=structure,
            birth_name=birth_name,
            first_names=first_names,
            used_name=used_name,
            birth_date=birth,
            sex=sex,
            nir=nir,
            phone=("06 " if rng.random() < 0.6 else "03 ")
            + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))
            if rng.random() < 0.8
            else "",
            email=email_for(first_names, birth_name, rng.randint(1, 99))
            if rng.random() < 0.4
            else "",
            address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            postal_code=postal,
            city=city,
            ald_details=rng.choice(ALD_DETAILS) if "ald" in codes else "",
            other_risk_factor="Travail posté de nuit" if "rf_other" in codes else "",
            physician_in_charge=physician,
            created_by=staff,
            # Patient.save() maintains it; bulk_create does not call save().
            search_name=fold(" ".join(filter(None, [birth_name, used_name, first_names]))),
        )
        return patient, codes

    # --- prescriptions ------------------------------------------------------------------------
    def prescription(self, patient_id, structure_id, prescriber: User) -> dict:
        """One prescription with its assessment, renewal, grants and notification, as rows."""
        rng, today = self.rng, self.today
        status = rng.choices([s for s, _ in STATUS_WEIGHTS], [w for _, w in STATUS_WEIGHTS])[0]
        months = rng.randint(rules.DURATION_MIN_MONTHS, rules.DURATION_MAX_MONTHS)  # R-P2
        with_renewal = status in (Prescription.Status.RENEWED, Prescription.Status.ADAPTED) or (
            status == Prescription.Status.EXPIRED and rng.random() < 0.25
        )
        if status == Prescription.Status.DRAFT:
            prescribed = today - timedelta(days=rng.randint(0, 30))
            start = prescribed + timedelta(days=rng.randint(0, 7))
        elif status == Prescription.Status.ISSUED:
            # Running now; some of them end soon (within the physiotherapist's window, R-R3).
            end_in = rng.randint(-5, months * 30)
            start = today + timedelta(days=end_in) - timedelta(days=months * 30)
            prescribed = start - timedelta(days=rng.randint(0, 10))
        elif status in (Prescription.Status.RENEWED, Prescription.Status.ADAPTED):
            start = today - timedelta(days=months * 31 + rng.randint(0, 120))
            prescribed = start - timedelta(days=rng.randint(0, 10))
        elif status == Prescription.Status.EXPIRED:
            start = today - timedelta(
                days=rng.randint(months * 31 + (400 if with_renewal else 10), 4 * 365)
            )
            prescribed = start - timedelta(days=rng.randint(0, 10))
        else:  # cancelled
            start = today - timedelta(days=rng.randint(0, 3 * 365))
            prescribed = start - timedelta(days=rng.randint(0, 10))
        end = period_end(start, months)  # Prescription.save() does this; bulk_create does not
        not_draft = status != Prescription.Status.DRAFT
        issued = not_draft and (status != Prescription.Status.CANCELLED or rng.random() < 0.5)
        # R-R4: a prescription the physiotherapist renewed had NON; others sometimes OUI.
        oui = not with_renewal and rng.random() < 0.1
        activity = sorted(rng.sample(rules.ActivityType.values, rng.randint(1, 3)))
        prescription = Prescription(
            id=self.uuid(),
            reference=self.reference(prescribed.year),
            verification_code=self.code(6),
            patient_id=patient_id,
            structure_id=structure_id,  # the patient's (Prescription.save() does it otherwise)
            prescriber=prescriber,
            prescribed_on=prescribed,
            start_date=start,
            duration_months=months,
            end_date=end,
            current_end_date=end,  # the renewal's below, as prescription_renew does
            activity_types=activity,
            sessions_per_week=rng.randint(1, 4) if rng.random() < 0.9 else None,
            intensity=rng.choice(rules.Intensity.values) if rng.random() < 0.9 else "",
            session_minutes=rng.choice([30, 45, 60, 90]) if rng.random() < 0.8 else None,
            recommendations_text=rng.choice(RECOMMENDATIONS) if rng.random() < 0.7 else "",
            restriction_picks=sorted(rng.sample(rules.RestrictionPick.values, rng.randint(0, 2))),
            restrictions_text="Surveiller la tension artérielle." if rng.random() < 0.2 else "",
            physician_renewal_required=oui,
            physician_renewal_reason=rng.choice(PHYSICIAN_REASONS) if oui else "",  # R-P3
            patient_agreement=not_draft or rng.random() < 0.5,  # R-P1
            status=status,
            issued_at=self.aware(prescribed) if issued else None,
            cancelled_at=(
                self.aware(min(today, prescribed + timedelta(days=rng.randint(0, 20))))
                if status == Prescription.Status.CANCELLED
                else None
            ),
            cancel_reason=(
                rng.choice(CANCEL_REASONS)
                if status == Prescription.Status.CANCELLED and issued
                else ""
            ),
        )
        rows: dict = {
            "prescription": prescription,
            "assessment": None,
            "renewal": None,
            "grants": [],
            "notification": None,
        }
        if not_draft or rng.random() < 0.7:
            levels = [min(3, int(rng.random() ** 1.6 * 4)) for _ in range(3)]
            level = rules.resulting_level(*levels)  # R-L2
            indicators = []
            if level == rules.LimitationLevel.SEVERE:
                indicators = sorted(rng.sample(sorted(rules.SEVERE_INDICATOR_CODES), 2))
            rows["assessment"] = LimitationAssessment(
                prescription=prescription,
                locomotor=levels[0],
                cerebral=levels[1],
                sensory=levels[2],
                severe_indicators=indicators,
                confirmed_level=level if rng.random() < 0.95 else min(3, level + 1),
            )
        if issued:
            rows["grants"].append(("prescriber", patient_id, prescriber.pk, None))
        if with_renewal:
            physio = rng.choice(self.physios)
            kind = (
                Renewal.Kind.ADAPTATION
                if status == Prescription.Status.ADAPTED
                or (status == Prescription.Status.EXPIRED and rng.random() < 0.3)
                else Renewal.Kind.RENEWAL
            )
            performed = end + timedelta(days=rng.randint(-20, 30))  # R-R3, within the window
            performed = min(performed, today)
            months2 = rng.randint(3, 6)
            r_start, r_end = rules.renewal_period(
                initial_end=end, performed_on=performed, months=months2
            )
            adapted = kind == Renewal.Kind.ADAPTATION
            renewal = Renewal(
                prescription=prescription,
                kind=kind,
                physiotherapist_id=physio.pk,
                physio_last_name=physio.last_name,
                physio_first_name=physio.first_name,
                physio_rpps=physio.rpps,
                performed_on=performed,
                duration_months=months2,
                start_date=r_start,
                end_date=r_end,
                patient_agreement=True,  # R-R1
                no_risk_attestation=True,  # R-R5
                activity_types=sorted(rng.sample(rules.ActivityType.values, 2)) if adapted else [],
                sessions_per_week=rng.randint(2, 5) if adapted else None,
                intensity=rng.choice(rules.Intensity.values) if adapted else "",
                recommendations_text="Progression de l'intensité." if adapted else "",
                prescriber_read_at=self.aware(performed)
                if performed < today - timedelta(days=14)
                else None,
            )
            rows["renewal"] = renewal
            prescription.current_end_date = r_end
            rows["grants"].append(("lookup", patient_id, physio.pk, prescription.pk))
            rows["notification"] = Notification(
                recipient_id=prescriber.pk,
                kind=Notification.Kind.PRESCRIPTION_ADAPTED
                if adapted
                else Notification.Kind.PRESCRIPTION_RENEWED,
                prescription=prescription,
                renewal=renewal,
                read_at=renewal.prescriber_read_at,
            )
        return rows


def _bench_tests(rng: random.Random) -> dict:
    """Plausible values of the usual tests (R-B1), within their bounds (bilans.rules.TESTS)."""
    return {
        "six_minute_walk_m": rng.randint(150, 650),
        "sit_to_stand_reps": rng.randint(5, 20),
        "tug_seconds": Decimal(rng.randint(60, 200)) / 10,
        "one_leg_stance_seconds": Decimal(rng.randint(0, 600)) / 10,
        "handgrip_kg": None,
        "handgrip_kg_not_done": "not_applicable",
        "weight_kg": Decimal(rng.randint(450, 1300)) / 10,
        "height_cm": rng.randint(150, 195),
        "waist_cm": rng.randint(65, 140),
        "borg_scale": "rpe",
        "borg_value": Decimal(rng.randint(9, 16)),
        "activity_items": [rng.randint(1, 5) for _ in range(9)],
        "stage": rng.choice(["contemplation", "preparation", "action"]),
        "goals": "Marcher 30 minutes par jour.",
    }


class Command(BaseCommand):
    help = (
        "Remplit la base avec des données réalistes à l'échelle d'une région, pour le banc "
        "d'essai (bulk_create ; l'historique n'est pas enregistré pour ces lignes)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--prescriptions", type=int, default=300_000)
        parser.add_argument(
            "--physicians",
            type=int,
            default=None,
            help="Nombre de médecins (par défaut ~4 000 pour 100 000 patients).",
        )
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--password", default=BENCH_PASSWORD, help="Mot de passe de tous les comptes générés."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Ajouter les données même si la base contient déjà des patients.",
        )

    def handle(
        self,
        *args,
        patients: int,
        prescriptions: int,
        physicians: int | None,
        seed: int,
        password: str,
        force: bool,
        **options,
    ):
        if patients < 1 or prescriptions < 0:
            raise CommandError("--patients doit être ≥ 1 et --prescriptions ≥ 0.")
        if prescriptions and prescriptions < BENCH_PATIENT_PRESCRIPTIONS:
            raise CommandError(f"--prescriptions doit être 0 ou ≥ {BENCH_PATIENT_PRESCRIPTIONS}.")
        marker = Structure.objects.filter(name=BENCH_MARKER).exists()
        existing = Patient.objects.count()
        if existing and not force:
            if not marker:
                raise CommandError(
                    f"Refusé : la base contient {existing} patient(s) et n'est pas une base de "
                    "banc d'essai. Utilisez une base vide (ou --force si vous êtes certain)."
                )
            raise CommandError(
                f"Refusé : la base contient déjà {existing} patient(s) du banc d'essai. "
                "Utilisez une base vide, ou --force pour en ajouter."
            )
        if not settings.DEBUG and password == BENCH_PASSWORD and not marker and existing:
            raise CommandError("Refusé : mot de passe par défaut sur une base non vide.")
        physicians = physicians or max(4, round(patients * 4000 / 100_000))
        started = time.perf_counter()
        gen = Generator(seed=seed, salt=existing, today=timezone.localdate(), stream=self.stderr)
        with transaction.atomic():
            structures = gen.structures()
            people = gen.practitioners(structures, physicians=physicians, password=password)
            counts = self.fill(
                gen, structures, people, patients=patients, prescriptions=prescriptions
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Fresh planner statistics and visibility map, as in a database in use (index-only
                # scans and counts skip the heap of all-visible pages).
                # VACUUM cannot run inside a transaction (the tests' own): ANALYZE then.
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{n} {label}" for label, n in counts.items())
        self.stdout.write(f"bench_data : {summary} en {elapsed:.1f} s (graine {seed}).")
        self.stdout.write(
            f"Comptes : {BENCH_PHYSICIAN}, {BENCH_PHYSIOTHERAPIST}, {BENCH_STRUCTURE_STAFF}, "
            f"{BENCH_SUPERUSER} (mot de passe : --password)."
        )

    def fill(self, gen: Generator, structures, people, *, patients: int, prescriptions: int):
        rng = gen.rng
        physicians_by_structure: dict[int, list[User]] = {}
        for user in people["physician"]:
            physicians_by_structure.setdefault(user.structure_id, []).append(user)
        staff_by_structure = {u.structure_id: u for u in people["staff"]}
        all_physicians = people["physician"]
        gen.physios = people["physiotherapist"]
        bench_physician = gen.by_username[BENCH_PHYSICIAN]
        situations = {s.code: s.pk for s in EligibilitySituation.objects.all()}
        through = Patient.situations.through
        weights = [w for _, w in structures]

        # 1. Patients, with their eligibility situations (R-E1, through the M2M's table).
        patient_refs: list[tuple] = []  # (pk, structure_id, physician_in_charge)
        progress = Progress("patients", patients, self.stderr)
        batch: list[Patient] = []
        links: list = []
        for index in range(patients):
            if index == 0:
                structure = structures[0][0]
                physician = bench_physician
            else:
                structure = rng.choices(structures, weights)[0][0]
                pool = physicians_by_structure.get(structure.pk) or all_physicians
                physician = rng.choice(pool)
            patient, codes = gen.patient(
                structure,
                physician,
                staff_by_structure.get(structure.pk),
                names=BENCH_PATIENT if index == 0 else None,
            )
            batch.append(patient)
            links.extend(
                through(patient_id=patient.pk, eligibilitysituation_id=situations[c])
                for c in codes
                if c in situations
            )
            patient_refs.append((patient.pk, structure.pk, physician))
            if len(batch) >= BATCH or index == patients - 1:
                Patient.objects.bulk_create(batch, batch_size=BATCH)
                through.objects.bulk_create(links, batch_size=BATCH)
                progress.advance(len(batch))
                batch, links = [], []
        progress.close()

        # 2. Prescriptions: exactly BENCH_PATIENT_PRESCRIPTIONS for the bench patient, the rest
        # spread at random (some patients have none, some many).
        per_patient = [0] * patients
        if prescriptions:
            per_patient[0] = BENCH_PATIENT_PRESCRIPTIONS
            if patients > 1:
                for _ in range(prescriptions - BENCH_PATIENT_PRESCRIPTIONS):
                    per_patient[rng.randrange(1, patients)] += 1
            else:
                per_patient[0] = prescriptions
        counts = {
            "patients": patients,
            "prescriptions": 0,
            "évaluations": 0,
            "renouvellements": 0,
            "accès": 0,
            "notifications": 0,
        }
        grants_seen: set[tuple] = set()
        followed: list[tuple[Prescription, int]] = []  # signed, with their confirmed level
        progress = Progress("prescriptions", prescriptions, self.stderr)
        rows_p: list[Prescription] = []
        rows_a: list[LimitationAssessment] = []
        rows_r: list[Renewal] = []
        rows_g: list[CareTeamGrant] = []
        rows_x: list[PrescriptionAccess] = []
        rows_n: list[Notification] = []

        def flush():
            Prescription.objects.bulk_create(rows_p, batch_size=BATCH)
            LimitationAssessment.objects.bulk_create(rows_a, batch_size=BATCH)
            Renewal.objects.bulk_create(rows_r, batch_size=BATCH)
            CareTeamGrant.objects.bulk_create(rows_g, batch_size=BATCH)
            PrescriptionAccess.objects.bulk_create(rows_x, batch_size=BATCH)
            Notification.objects.bulk_create(rows_n, batch_size=BATCH)
            counts["prescriptions"] += len(rows_p)
            counts["évaluations"] += len(rows_a)
            counts["renouvellements"] += len(rows_r)
            counts["accès"] += len(rows_g) + len(rows_x)
            counts["notifications"] += len(rows_n)
            progress.advance(len(rows_p))
            for rows in (rows_p, rows_a, rows_r, rows_g, rows_x, rows_n):
                rows.clear()

        for index, (patient_id, structure_id, physician) in enumerate(patient_refs):
            for _ in range(per_patient[index]):
                if index == 0:
                    prescriber = bench_physician
                elif rng.random() < 0.75:
                    prescriber = physician
                elif rng.random() < 0.8:
                    prescriber = rng.choice(
                        physicians_by_structure.get(structure_id) or all_physicians
                    )
                else:  # a physician of another structure (then granted the patient's care team)
                    prescriber = rng.choice(all_physicians)
                made = gen.prescription(patient_id, structure_id, prescriber)
                rows_p.append(made["prescription"])
                if made["assessment"] and made["prescription"].issued_at is not None:
                    followed.append((made["prescription"], made["assessment"].confirmed_level))
                if made["assessment"]:
                    rows_a.append(made["assessment"])
                if made["renewal"]:
                    rows_r.append(made["renewal"])
                    rows_n.append(made["notification"])
                for reason, p_id, user_id, prescription_id in made["grants"]:
                    if prescription_id is not None:  # the look-up of one prescription
                        rows_x.append(
                            PrescriptionAccess(prescription_id=prescription_id, user_id=user_id)
                        )
                    key = (reason, p_id, user_id)
                    if key in grants_seen:
                        continue
                    grants_seen.add(key)
                    rows_g.append(
                        CareTeamGrant(
                            patient_id=p_id,
                            user_id=user_id,
                            reason=CareTeamGrant.Reason.PRESCRIBER
                            if reason == "prescriber"
                            else CareTeamGrant.Reason.LOOKUP,
                            granted_by_id=user_id,
                        )
                    )
                if len(rows_p) >= BATCH:
                    flush()
        flush()
        progress.close()
        counts |= self.fill_bilans(gen, people.get("apa", []), followed, grants_seen)
        return counts

    def fill_bilans(self, gen: Generator, apa: list[User], followed, grants_seen) -> dict:
        """CSP D.1172-5: half of the signed prescriptions whose level an enseignant en APA may
        supervise (R-L4, R-L5: not severe) are followed: an orientation, a signed entry bilan,
        0 to 6 comptes rendus (one in ten reports a risk), an exit bilan once it has ended."""
        if not apa:
            return {}
        rng, today = gen.rng, gen.today
        rows_g, rows_e, rows_r, rows_x = [], [], [], []
        signed = {"status": BilanStatus.SIGNED}
        for prescription, level in followed:
            if level >= rules.LimitationLevel.SEVERE or prescription.status == "cancelled":
                continue
            if rng.random() >= 0.5 or prescription.start_date > today:
                continue
            teacher = rng.choice(apa)
            key = ("orientation", prescription.patient_id, teacher.pk)
            if key not in grants_seen:
                grants_seen.add(key)
                rows_g.append(
                    CareTeamGrant(
                        patient_id=prescription.patient_id,
                        user_id=teacher.pk,
                        reason=CareTeamGrant.Reason.ORIENTATION,
                        granted_by_id=prescription.prescriber_id,
                    )
                )
            day = min(prescription.start_date + timedelta(days=rng.randint(0, 14)), today)
            common = {
                "patient_id": prescription.patient_id,
                "prescription_id": prescription.pk,
                "author_id": teacher.pk,
                "share_agreement": rng.random() < 0.8,
            }
            entry = EntryBilan(
                id=gen.uuid(),
                performed_on=day,
                signed_at=gen.aware(day),
                **common,
                **signed,
                **_bench_tests(rng),
                programme_activity_types=list(prescription.activity_types),
                programme_intensity="light",
                programme_sessions_per_week=rng.randint(1, 3),
                programme_session_minutes=rng.choice([45, 60]),
                programme_sessions_total=rng.choice([12, 24, 36]),
                programme_place=rng.choice(["individual", "group", "home"]),
            )
            rows_e.append(entry)
            end = prescription.current_end_date
            for n in range(rng.randint(0, 6)):
                report_day = day + timedelta(days=21 * (n + 1))
                if report_day > min(today, end):
                    break
                risky = rng.random() < 0.1
                rows_r.append(
                    ProgressReport(
                        id=gen.uuid(),
                        performed_on=report_day,
                        sessions_planned=8,
                        sessions_done=rng.randint(3, 8),
                        tolerance=rng.choice(["good", "good", "fair", "poor"]),
                        progress="Progression régulière.",
                        risk_flag=risky,
                        risk_description="Essoufflement inhabituel à l'effort." if risky else "",
                        **common,
                    )
                )
            if end < today:
                exit_day = min(end + timedelta(days=rng.randint(0, 10)), today)
                rows_x.append(
                    ExitBilan(
                        id=gen.uuid(),
                        entry=entry,
                        performed_on=exit_day,
                        signed_at=gen.aware(exit_day),
                        proposal="leave",
                        leave_to="Club sport-santé labellisé",
                        **common,
                        **signed,
                        **_bench_tests(rng),
                    )
                )
        # R-B4: each signed document is issued (a reference unique with the prescriptions', a
        # verification code); its PDF is rendered at its first download, as after a deploy.
        rows_i = []
        for kind, documents in (("entry", rows_e), ("report", rows_r), ("exit", rows_x)):
            for document in documents:
                signed_at = getattr(document, "signed_at", None) or gen.aware(document.performed_on)
                rows_i.append(
                    IssuedDocument(
                        id=gen.uuid(),
                        kind=kind,
                        patient_id=document.patient_id,
                        reference=gen.reference(document.performed_on.year),
                        verification_code=gen.code(6),
                        performed_on=document.performed_on,
                        signed_at=signed_at,
                        **{kind: document},
                    )
                )
        CareTeamGrant.objects.bulk_create(rows_g, batch_size=BATCH)
        EntryBilan.objects.bulk_create(rows_e, batch_size=BATCH)
        ProgressReport.objects.bulk_create(rows_r, batch_size=BATCH)
        ExitBilan.objects.bulk_create(rows_x, batch_size=BATCH)
        IssuedDocument.objects.bulk_create(rows_i, batch_size=BATCH)
        return {
            "orientations": len(rows_g),
            "bilans d'entrée": len(rows_e),
            "comptes rendus": len(rows_r),
            "bilans de sortie": len(rows_x),
            "documents émis (bilans et comptes rendus)": len(rows_i),
        }
