"""The benchmark of issue 8, in one run on PostgreSQL: `make bench` (or `.venv/bin/python
bench/run.py`).

1. Creates the database of `BENCH_DATABASE_URL` if missing, migrates it, and fills it with
   `manage.py bench_data` unless it already holds that many patients.
2. In-process (Django test `Client`, the whole middleware chain, `CaptureQueriesContext`):
   for each operation, the median and 95th percentile server time and the number of queries,
   each beside the floor (`bench/urls.py`: middleware + one trivial query) measured in the
   same run, interleaved with the operations, as a ratio.
3. Throughput: gunicorn (2 workers) on 127.0.0.1, 16 concurrent clients for 30 s each on the
   patient search and the prescription page (wrk), requests per second and errors.
4. Writes the table between the markers of `bench/RESULTS.md` (the notes around it are kept).

Pages that do not exist yet (their URL name does not resolve) are reported "n/a".
"""

import argparse
import contextlib
import dataclasses
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/apa_bench"
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
# The targets of the benchmark (bench/RESULTS.md).
PAGE_P95_MS, PAGE_FLOOR_RATIO = 100.0, 5.0
PDF_FIRST_P95_MS, PDF_REPEAT_P95_MS = 150.0, 20.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--prescriptions", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--iterations", type=int, default=40, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--duration", type=int, default=30, help="seconds of load per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn/wrk part")
    parser.add_argument("--only", default="", help="comma-separated operation keys to run")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--recreate", action="store_true", help="drop and recreate the benchmark database first"
    )
    return parser.parse_args()


# --- Database --------------------------------------------------------------------------------
def ensure_database(url: str, *, recreate: bool) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"bench: created database {name}", file=sys.stderr)


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "False")
    # Build the renewal's e-mail as in production, but keep it in memory (not on the console).
    os.environ.setdefault("EMAIL_URL", "memorymail://")
    # As in production: a signed or renewed prescription's PDF is a task in the database, for
    # the worker (`db_worker`); the writes measured pay for queueing it, not for rendering it.
    os.environ.setdefault("TASKS_BACKEND", "database")
    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise, no collectstatic
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apa_portal.settings")
    import django

    django.setup()
    from django.test.utils import override_settings

    override_settings(ROOT_URLCONF="bench.urls").enable()


def fill(args: argparse.Namespace) -> dict[str, int]:
    from django.core.management import call_command

    from demo.management.commands.bench_data import BENCH_MARKER
    from patients.models import Patient
    from practitioners.models import Structure
    from prescriptions.models import Prescription

    call_command("migrate", verbosity=0, interactive=False)
    count = Patient.objects.count()
    if count == 0:
        call_command(
            "bench_data",
            patients=args.patients,
            prescriptions=args.prescriptions,
            seed=args.seed,
        )
    elif not Structure.objects.filter(name=BENCH_MARKER).exists() or count != args.patients:
        sys.exit(
            f"bench: the database holds {count} patients, not a bench database of "
            f"{args.patients}: use --recreate (or another BENCH_DATABASE_URL)."
        )
    from bilans.models import EntryBilan, ExitBilan, IssuedDocument, ProgressReport
    from notifications.models import Notification
    from patients.models import CareTeamGrant
    from practitioners.models import User
    from prescriptions.models import LimitationAssessment, Renewal

    return {
        "structures": Structure.objects.count(),
        "users": User.objects.count(),
        "patients": Patient.objects.count(),
        "prescriptions": Prescription.objects.count(),
        "assessments": LimitationAssessment.objects.count(),
        "renewals": Renewal.objects.count(),
        "care team grants": CareTeamGrant.objects.count(),
        "notifications": Notification.objects.count(),
        "entry bilans": EntryBilan.objects.count(),
        "comptes rendus": ProgressReport.objects.count(),
        "exit bilans": ExitBilan.objects.count(),
        "issued bilans and comptes rendus": IssuedDocument.objects.count(),
    }


# --- Fixtures for the operations ---------------------------------------------------------
@dataclass
class World:
    physician: object
    physio: object
    superuser: object
    staff: object
    patient: object  # the bench patient, with 10 prescriptions
    prescription: object  # one of them, issued
    drafts: list = field(default_factory=list)  # to issue, one per request
    renewable: list = field(default_factory=list)  # to renew, one per request
    fresh_issued: list = field(default_factory=list)  # never rendered as PDF (no worker ran)
    prerendered: list = field(default_factory=list)  # issued, then rendered by the worker
    deep_anchor: object = None  # the 10,000th patient of the physician's list (page 400 of 25)
    apa: object = None  # the enseignant en APA with the most patients oriented (bench_data)
    apa_patient: object = None  # one of their patients with the most bilans and comptes rendus
    pathway: object = None  # a post-cancer pathway of the staff's structure, forfait used up
    apa_prescriber: object = None  # the physician who prescribed for apa_patient (the timeline)
    issued_bilan: object = None  # one issued bilan or compte rendu (the verification page)
    offer: object = None  # the bench's group programme (8 enrolled, 2 waiting), among 1,500
    session: object = None  # its first session, for the roll call


def make_world(n: int) -> World:
    """Fetches the personas and makes, through the services, what the writes consume."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import transaction
    from django.test.utils import override_settings
    from django.utils import timezone

    from demo.management.commands import bench_data as bd
    from patients.models import Patient
    from practitioners.models import User
    from prescriptions import rules, services
    from prescriptions.content import AssessmentInput, PrescriptionContent
    from prescriptions.models import Prescription

    users = {u.username: u for u in User.objects.filter(username__startswith="bench-")}
    physician = users[bd.BENCH_PHYSICIAN]
    staff = users[bd.BENCH_STRUCTURE_STAFF]
    try:
        from dashboard.permissions import STRUCTURE_ADMIN_GROUP

        group = Group.objects.filter(name=STRUCTURE_ADMIN_GROUP).first()
        if group:
            group.user_set.add(staff)
    except ImportError:
        pass
    patient = Patient.objects.get(
        birth_name=bd.BENCH_PATIENT[0],
        first_names=bd.BENCH_PATIENT[1],
        physician_in_charge=physician,
    )
    shown = (
        Prescription.objects.filter(patient=patient)
        .exclude(status__in=["draft", "cancelled"])
        .order_by("-prescribed_on")
    )
    from django.db.models import Count

    from bilans.models import ProgressReport
    from patients.models import CareTeamGrant

    busiest = (
        CareTeamGrant.objects.filter(
            reason__in=CareTeamGrant.ORIENTED_REASONS, revoked_at__isnull=True
        )
        .values("user_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    apa = User.objects.get(pk=busiest["user_id"]) if busiest else None
    # Their patient with the most comptes rendus whom they may still follow (R-L4, R-L5).
    from bilans.access import may_record

    candidates = (
        ProgressReport.objects.filter(author=apa)
        .values("patient_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("patient_id", flat=True)
        if apa
        else []
    )
    followed = next(
        (p for p in (Patient.objects.get(pk=pk) for pk in candidates) if may_record(apa, p)),
        None,
    )
    from bilans.models import IssuedDocument
    from prescriptions.models import Prescription as P

    latest = (
        P.objects.filter(patient=followed, issued_at__isnull=False)
        .select_related("prescriber")
        .order_by("-prescribed_on")
        .first()
        if followed
        else None
    )
    world = World(
        apa=apa,
        apa_patient=followed,
        apa_prescriber=latest.prescriber if latest else None,
        issued_bilan=IssuedDocument.objects.defer("pdf").order_by("reference").first(),
        physician=physician,
        physio=users[bd.BENCH_PHYSIOTHERAPIST],
        superuser=users[bd.BENCH_SUPERUSER],
        staff=staff,
        patient=patient,
        prescription=shown.filter(status__in=["renewed", "adapted"]).first() or shown.first(),
    )
    from patients.selectors import patients_visible_to

    # The list's pages go by keyset (kernel.pagination): page 400 of 25 patients is the
    # page after the 10,000th patient of the list (the offset is paid once, here).
    world.deep_anchor = (
        patients_visible_to(physician)
        .order_by("birth_name", "first_names", "id")
        .values_list("pk", flat=True)[9999]
    )
    today = timezone.localdate()
    others = list(
        Patient.objects.filter(structure_id=physician.structure_id, situations__isnull=False)
        .exclude(pk=patient.pk)
        .distinct()
        .order_by("id")[: 4 * n]
    )
    spare = others[3 * n :]
    content = PrescriptionContent(
        start_date=today,
        duration_months=3,
        activity_types=["endurance", "balance"],
        sessions_per_week=2,
        intensity="moderate",
        session_minutes=45,
        recommendations_text="Marche active progressive.",
        restriction_picks=["no_fall_risk"],
        patient_agreement=True,
    )
    assessment = AssessmentInput(locomotor=1, cerebral=0, sensory=2, confirmed_level=2)
    # These objects' PDFs are not what is measured: their tasks are never run (dummy backend),
    # except for `prerendered`, issued below and rendered by the worker as in production.
    dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    others = others[: 3 * n]
    with override_settings(TASKS=dummy), transaction.atomic():
        for index in range(n):
            world.drafts.append(
                services.prescription_create(
                    prescriber=physician,
                    patient=others[index],
                    content=content,
                    assessment=assessment,
                )
            )
            # Ends in 5 days: within the physiotherapist's window (R-R3).
            start = rules.add_months(today, -3) + timedelta(days=6)
            p = services.prescription_create(
                prescriber=physician,
                patient=others[n + index],
                content=dataclasses.replace(content, start_date=start),
                assessment=assessment,
                today=start,
            )
            p = services.prescription_issue(prescription=p, by=physician, today=start)
            services.prescription_access_grant(prescription=p, user=world.physio)
            world.renewable.append(p)
            p = services.prescription_create(
                prescriber=physician,
                patient=others[2 * n + index],
                content=content,
                assessment=assessment,
            )
            world.fresh_issued.append(services.prescription_issue(prescription=p, by=physician))
    with transaction.atomic():
        for patient in spare:
            p = services.prescription_create(
                prescriber=physician, patient=patient, content=content, assessment=assessment
            )
            world.prerendered.append(services.prescription_issue(prescription=p, by=physician))
    world.pathway = make_pathways(staff, physician)
    make_programmes(world, today)
    # The worker of production, run until the queue is empty (earlier runs' tasks included).
    started = time.perf_counter()
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    elapsed = time.perf_counter() - started
    print(f"bench: the worker emptied the queue in {elapsed:.1f} s", file=sys.stderr)
    return world


# The post-cancer pathway at the scale of a region (R-C1 to R-C3): the staff's structure is
# conventioned and delivers PATHWAYS pathways, each a physical-activity bilan and up to six
# consultations over the last twelve months (about 4 × PATHWAYS services, a quarter of them in
# the ARS export of the current quarter).
PATHWAYS = 3000


def make_pathways(staff, physician):
    """Bulk rows (idempotent: made once per bench database), as the services would make them."""
    from datetime import date
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from pathway import rules as pathway_rules
    from pathway.models import Booking, CancerEpisode, Convention, PathwayPrescription, Tariff
    from patients.models import Patient
    from practitioners.models import Profession, User

    structure_id = staff.structure_id
    existing = PathwayPrescription.objects.filter(structure_id=structure_id).order_by("-id")
    if existing.exists():
        return existing.filter(bookings__isnull=False).first()
    today = timezone.localdate()
    tariff = Tariff.objects.order_by("-valid_from").first()
    pros = {}
    for username, profession in (
        ("bench-apa-parcours", Profession.APA_TEACHER),
        ("bench-dieteticien", Profession.DIETITIAN),
        ("bench-psychologue", Profession.PSYCHOLOGIST),
    ):
        pros[profession], _ = User.objects.get_or_create(
            username=username,
            defaults={
                "profession": profession,
                "structure_id": structure_id,
                "last_name": username,
            },
        )
    by_kind = {
        kind: next(pros[p] for p in pathway_rules.PROFESSIONS_BY_KIND[kind] if p in pros)
        for kind in pathway_rules.Kind.values
    }
    patients = list(
        Patient.objects.filter(structure_id=structure_id)
        .order_by("id")
        .values_list("id", flat=True)[:PATHWAYS]
    )
    consultations = [
        pathway_rules.Kind.CONSULTATION_DIETARY,
        pathway_rules.Kind.CONSULTATION_PSYCHOLOGICAL,
    ]
    episodes, pathways, bookings = [], [], []
    for index, patient_id in enumerate(patients):
        first = today - timedelta(days=5 + index % 330)
        episode = CancerEpisode(
            patient_id=patient_id,
            localisation="Sein",
            treatment_end=first - timedelta(days=60),
            ald=True,
            recorded_by=physician,
        )
        pathway = PathwayPrescription(
            episode=episode,
            patient_id=patient_id,
            prescriber=physician,
            structure_id=structure_id,
            prescribed_on=first - timedelta(days=30),
            bilan_physical=True,
            bilan_dietary=True,
            reference=f"PSC-{first.year}-BNCH-{index:04d}",
            verification_code="BENCH0",
        )
        episodes.append(episode)
        pathways.append(pathway)
        plan = [pathway_rules.Kind.BILAN_PHYSICAL] + [
            consultations[n % 2] for n in range(index % 7)
        ]
        for n, kind in enumerate(plan):
            day = first + timedelta(days=20 * n)
            bookings.append(
                Booking(
                    pathway=pathway,
                    kind=kind,
                    scheduled_on=day,
                    professional=by_kind[kind],
                    amount=tariff.bilan_price if n == 0 else tariff.consultation_price,
                    tariff=tariff,
                    status=Booking.Status.DONE if day <= today else Booking.Status.BOOKED,
                    apa_project="Marche nordique 2 fois par semaine." if n == 0 else "",
                    booked_by=staff,
                )
            )
    with transaction.atomic():
        Convention.objects.get_or_create(
            structure_id=structure_id, number="ARS-BENCH", defaults={"starts_on": date(2021, 1, 1)}
        )
        CancerEpisode.objects.bulk_create(episodes, batch_size=1000)
        PathwayPrescription.objects.bulk_create(pathways, batch_size=1000)
        Booking.objects.bulk_create(bookings, batch_size=2000)
    assert sum(b.amount for b in bookings if b.pathway is pathways[6]) == Decimal("180.00")
    return pathways[6]  # 1 bilan and 6 consultations: the forfait used up


BENCH_OFFERS = 1_500  # Prescri'mouv lists 1,454 labelled créneaux in its region
BENCH_OFFER_TITLE = "Programme du banc d'essai"


def make_programmes(world: World, today) -> None:
    """The directory at the region's scale: 1,500 offers across the départements, every level
    mix (bulk-made: their sessions are not what is measured), and one programme made through
    the services with 8 enrolled and 2 on the waiting list (the offer's page, the roll call)."""
    import random
    from datetime import time as clock

    from django.db import transaction

    from practitioners.models import Profession, User
    from prescriptions.rules import period_end
    from programmes import geo
    from programmes import rules as programme_rules
    from programmes.models import Offer
    from programmes.services import OfferInput, enrolment_create, offer_create, referral_send

    rng = random.Random(19)
    supervisors = [world.apa] if world.apa else []
    existing = Offer.objects.exclude(title=BENCH_OFFER_TITLE).count()
    if existing < BENCH_OFFERS and supervisors:
        codes = sorted(geo.DEPARTEMENTS)
        offers = []
        for index in range(existing, BENCH_OFFERS):
            dep = rng.choice(codes)
            lat, lon = geo.DEPARTEMENTS[dep]
            minimal_only = rng.random() < 0.4
            offers.append(
                Offer(
                    structure_id=world.apa.structure_id,
                    title=f"Créneau sport santé n° {index}",
                    activity=rng.choice(
                        ["Marche nordique", "Gym douce", "Aquagym", "Renforcement"]
                    ),
                    accepts_none=True,
                    accepts_minimal=True,
                    accepts_moderate=not minimal_only,
                    place="Gymnase",
                    postal_code=(dep if len(dep) == 2 and dep.isdigit() else "69") + "000",
                    latitude=lat,
                    longitude=lon,
                    start_date=today - timedelta(days=rng.randint(0, 60)),
                    end_date=today + timedelta(days=rng.randint(60, 200)),
                    capacity=rng.randint(4, 8),
                )
            )
        with transaction.atomic():
            Offer.objects.bulk_create(offers, batch_size=500)
            through = Offer.supervisors.through
            through.objects.bulk_create(
                [through(offer_id=o.pk, user_id=world.apa.pk) for o in offers], batch_size=500
            )
    world.offer = Offer.objects.filter(title=BENCH_OFFER_TITLE).first()
    if world.offer is None and supervisors:
        # An offer's coordinator is a member of its structure: the staff's when it is the
        # enseignant's, else the first admin staff of the enseignant's structure.
        coordinator = world.staff
        if coordinator.structure_id != world.apa.structure_id:
            coordinator = (
                User.objects.filter(
                    structure_id=world.apa.structure_id,
                    profession=Profession.ADMIN_STAFF,
                    is_active=True,
                )
                .order_by("pk")
                .first()
            )
        with transaction.atomic():
            world.offer = offer_create(
                structure=world.apa.structure,
                data=OfferInput(
                    title=BENCH_OFFER_TITLE,
                    activity="Renforcement et endurance",
                    levels=[1, 2],
                    place="Gymnase du banc d'essai",
                    postal_code="69003",
                    start_date=today,
                    end_date=period_end(today, 6),
                    slots=[
                        programme_rules.WeeklySlot(0, clock(18), 60),
                        programme_rules.WeeklySlot(3, clock(18), 60),
                    ],
                ),
                supervisors=supervisors,
                coordinator=coordinator,
            )
            for prescription in world.fresh_issued[:10]:
                referral = referral_send(
                    prescription=prescription, offer=world.offer, by=world.physician
                )
                enrolment_create(
                    referral=referral, goals="Objectif", by=coordinator or world.superuser
                )
    if world.offer is not None:
        world.session = world.offer.sessions.order_by("starts_at").first()


# --- In-process measurement --------------------------------------------------------------
@dataclass
class Op:
    key: str
    label: str
    persona: str  # attribute of World, or "" for anonymous
    url: object  # callable(world, i) -> (method, path, data, headers) or None
    kind: str = "page"  # page | pdf_first | pdf_repeat
    iterations: int | None = None


@dataclass
class Result:
    op: Op
    path: str = ""
    times: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    statuses: set = field(default_factory=set)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def reverse_or_none(name: str, **kwargs) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def get(name, query="", headers=None, **kwargs):
    def build(world, i):
        path = reverse_or_none(name, **{k: v(world, i) for k, v in kwargs.items()})
        return path and ("get", path + query, None, headers or {})

    return build


def post(name, data, headers=None):
    """A POST: the patient search sends its terms in the body, never in the URL. A value of
    `data` may be a callable(world, i)."""

    def build(world, i):
        path = reverse_or_none(name)
        values = {k: str(v(world, i)) if callable(v) else v for k, v in data.items()}
        return path and ("post", path, values, headers or {})

    return build


HTMX = {"HX-Request": "true"}
RENEWAL_DATA = {
    "kind": "renewal",
    "duration_months": "3",
    "patient_agreement": "on",
    "no_risk_attestation": "on",
}

OPS = [
    Op("login", "Page de connexion (anonyme)", "", get("login")),
    Op(
        "search_prefix",
        "Recherche patient, préfixe « mar »",
        "physician",
        post("patients:list", {"q": "mar"}),
    ),
    Op(
        "search_prefix_htmx",
        "Recherche patient, préfixe « mar » (fragment htmx)",
        "physician",
        post("patients:list", {"q": "mar"}, HTMX),
    ),
    Op(
        "search_accents",
        "Recherche « Lefèvre Hélène » (accents)",
        "physician",
        post("patients:list", {"q": "Lefèvre Hélène"}),
    ),
    Op(
        "search_plain",
        "Recherche « lefevre helene » (sans accents)",
        "physician",
        post("patients:list", {"q": "lefevre helene"}),
    ),
    Op("patient_list", "Liste des patients (page 1)", "physician", get("patients:list")),
    Op(
        "patient_list_deep",
        "Liste des patients (page 400)",
        "physician",
        post("patients:list", {"apres": lambda w, i: w.deep_anchor}),
    ),
    Op(
        "patient_detail",
        "Dossier patient (10 prescriptions)",
        "physician",
        get("patients:detail", pk=lambda w, i: w.patient.pk),
    ),
    Op(
        "prescription_list",
        "Liste des prescriptions (page 1)",
        "physician",
        get("prescriptions:list"),
    ),
    Op(
        "prescription_detail",
        "Page de la prescription",
        "physician",
        get("prescriptions:detail", pk=lambda w, i: w.prescription.pk),
    ),
    Op(
        "pdf_first",
        "PDF, premier téléchargement (rendu par le worker à l'émission)",
        "physician",
        get("prescriptions:pdf", pk=lambda w, i: w.prerendered[i].pk),
        kind="pdf_first",
    ),
    Op(
        "pdf_render",
        "PDF, rendu à la demande (sans worker)",
        "physician",
        get("prescriptions:pdf", pk=lambda w, i: w.fresh_issued[i].pk),
        kind="pdf_first",
    ),
    Op(
        "pdf_repeat",
        "PDF, téléchargement répété (inchangé)",
        "physician",
        get("prescriptions:pdf", pk=lambda w, i: w.fresh_issued[0].pk),
        kind="pdf_repeat",
    ),
    Op(
        "issue",
        "Émettre une prescription (POST)",
        "physician",
        lambda w, i: (
            (p := reverse_or_none("prescriptions:issue", pk=w.drafts[i].pk)) and ("post", p, {}, {})
        ),
        kind="write",
    ),
    Op(
        "renewal",
        "Enregistrer un renouvellement (POST, kiné)",
        "physio",
        lambda w, i: (
            (p := reverse_or_none("prescriptions:renewal", pk=w.renewable[i].pk))
            and ("post", p, RENEWAL_DATA, {})
        ),
        kind="write",
    ),
    Op("home", "Accueil du médecin", "physician", get("home")),
    Op("apa_home", "Accueil de l'intervenant en APA (prochaines étapes)", "apa", get("home")),
    Op(
        "patient_bilans",
        "Bilans et comptes rendus d'un patient (intervenant)",
        "apa",
        get("bilans:patient", pk=lambda w, i: w.apa_patient.pk),
    ),
    Op(
        "pathway_ledger",
        "Parcours post-cancer : suivi du forfait (structure)",
        "staff",
        get("pathway:detail", pk=lambda w, i: w.pathway.pk),
    ),
    Op(
        "pathway_statements",
        f"Parcours post-cancer : parcours et sommes dues ({PATHWAYS} parcours)",
        "staff",
        get("pathway:statements"),
    ),
    Op(
        "pathway_export",
        "Parcours post-cancer : export ARS du trimestre (CSV)",
        "staff",
        get("pathway:ars_export"),
    ),
    Op(
        "pathway_pdf_repeat",
        "Parcours post-cancer : PDF de la prescription, téléchargement répété (stocké)",
        "staff",
        get("pathway:pdf", pk=lambda w, i: w.pathway.pk),
        kind="pdf_repeat",
    ),
    Op(
        "patient_timeline",
        "Parcours d'un patient suivi (médecin prescripteur)",
        "apa_prescriber",
        get("bilans:patient", pk=lambda w, i: w.apa_patient.pk),
    ),
    Op(
        "patient_record_timeline",
        "Fiche d'un patient suivi, avec son parcours (médecin prescripteur)",
        "apa_prescriber",
        get("patients:detail", pk=lambda w, i: w.apa_patient.pk),
    ),
    Op(
        "verify_bilan",
        "Vérification publique d'un bilan ou compte rendu (anonyme)",
        "",
        lambda w, i: (
            w.issued_bilan
            and (
                "get",
                f"{reverse_or_none('verify')}?ref={w.issued_bilan.reference}"
                f"&code={w.issued_bilan.verification_code}",
                None,
                {},
            )
        ),
    ),
    Op(
        "programme_directory",
        "Annuaire des programmes d'un patient (1 500 offres, les plus proches d'abord)",
        "physician",
        get("programmes:patient_directory", pk=lambda w, i: w.fresh_issued[-1].patient_id),
    ),
    Op(
        "programme_offer",
        "Page d'un programme (8 inscrits, 2 en attente)",
        "apa",
        get("programmes:offer", pk=lambda w, i: w.offer.pk),
    ),
    Op(
        "programme_roll_call",
        "Appel d'une séance (tablette)",
        "apa",
        get("programmes:roll_call", pk=lambda w, i: w.session.pk),
    ),
    Op("programme_mine", "Mes programmes (suivis dus)", "apa", get("programmes:mine")),
    Op(
        "programme_offer_create",
        "Publier un programme (formulaire, intervenants de la structure)",
        "staff",
        get("programmes:offer_create"),
    ),
    Op(
        "programme_offer_edit",
        "Modifier un programme (8 inscrits, 2 en attente)",
        "superuser",
        get("programmes:offer_edit", pk=lambda w, i: w.offer.pk),
    ),
    Op(
        "programme_calendar",
        "Agenda iCalendar de l'intervenant",
        "apa",
        get("programmes:my_calendar"),
    ),
    Op("notifications", "Notifications du médecin", "physician", get("notifications:inbox")),
    Op("dashboard_staff", "Tableau de bord (gestionnaire, CHU)", "staff", get("dashboard:index")),
    Op("dashboard_physician", "Tableau de bord (médecin)", "physician", get("dashboard:index")),
    Op(
        "admin_patients",
        "Admin : liste des patients (superutilisateur)",
        "superuser",
        get("admin:patients_patient_changelist"),
    ),
    Op(
        "admin_prescriptions",
        "Admin : liste des prescriptions (superutilisateur)",
        "superuser",
        get("admin:prescriptions_prescription_changelist"),
    ),
    Op(
        "admin_patients_staff",
        "Admin : liste des patients (gestionnaire de structure)",
        "staff",
        get("admin:patients_patient_changelist"),
    ),
]


def login(client, user) -> None:
    """Log `user` in without the password (no PBKDF2/Argon2 per persona), and mark the session
    verified by a second factor where the project asks one (staff, superusers)."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    try:
        import django_otp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from security.services import otp_mandatory_for
    except ImportError:
        return
    if not otp_mandatory_for(user):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def request_once(client, spec) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    method, path, data, headers = spec
    # The connection keeps at most 9,000 queries (a deque): past that, CaptureQueriesContext
    # would count 0. Start each request from an empty log.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        if method == "get":
            response = client.get(path, headers=headers)
        else:
            response = client.post(path, data, headers=headers)
        if response.streaming:
            b"".join(response.streaming_content)
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, len(captured.captured_queries), response.status_code


def measure(args, world: World, ops: list[Op]) -> tuple[list[Result], Result]:
    from django.test import Client

    clients = {"": Client()}
    # Every persona the operations name (the enseignant en APA and the prescriber of their
    # patient too), when the data has one.
    for persona in sorted({"physician", *(op.persona for op in ops)} - {""}):
        user = getattr(world, persona, None)
        if user is not None:
            clients[persona] = Client()
            login(clients[persona], user)
    # The enseignant en APA's pages (their home, the bilans, the group programmes) too.
    for persona in ("physician", "physio", "superuser", "staff", "apa"):
        if getattr(world, persona) is None:
            continue
        clients[persona] = Client()
        login(clients[persona], getattr(world, persona))
    floor = Result(Op("floor", "Plancher", "physician", get("bench-floor")))
    floor_spec = floor.op.url(world, 0)
    floor.path = floor_spec[1]
    for _ in range(args.warmup):
        request_once(clients["physician"], floor_spec)
    results = []
    for op in ops:
        result = Result(op)
        results.append(result)
        client = clients.get(op.persona)
        if client is None:
            result.note = f"n/a (no {op.persona} in the data)"
            print(f"bench: {op.key:<24} n/a", file=sys.stderr)
            continue
        n = args.iterations
        if op.kind in ("pdf_first", "write"):
            # Each request consumes one fresh object; warm up on other requests' objects.
            n = min(n, len(world.drafts) - 1)
        try:
            spec = op.url(world, 0)
        except IndexError:
            spec = None
        if not spec or client is None:
            result.note = "n/a (page not built yet)"
            print(f"bench: {op.key:<24} n/a", file=sys.stderr)
            continue
        result.path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<uuid>", spec[1])
        try:
            if op.kind in ("pdf_first", "write"):
                # Warm up on the spare object (index n), never measured.
                request_once(client, op.url(world, len(world.drafts) - 1))
            else:
                for _ in range(args.warmup):
                    request_once(client, spec)
            for i in range(n):
                f_ms, f_q, _ = request_once(clients["physician"], floor_spec)
                floor.times.append(f_ms)
                floor.queries.append(f_q)
                ms, queries, status = request_once(client, op.url(world, i))
                result.times.append(ms)
                result.queries.append(queries)
                result.statuses.add(status)
        except Exception as exc:  # noqa: BLE001 - a broken page is reported, not fatal
            result.note = f"error: {type(exc).__name__}: {str(exc)[:120]}"
            result.times.clear()
        expected = 302 if op.kind == "write" else 200
        bad = {s for s in result.statuses if s != expected}
        if bad and not result.note:
            result.note = f"HTTP {sorted(bad)}, expected {expected}"
        if result.times:
            print(
                f"bench: {op.key:<24} median {result.median:7.1f} ms  p95 {result.p95:7.1f} ms  "
                f"queries {min(result.queries)}-{max(result.queries)}  {sorted(result.statuses)}",
                file=sys.stderr,
            )
        else:
            print(f"bench: {op.key:<24} {result.note}", file=sys.stderr)
    return results, floor


def verdict(result: Result, floor: Result) -> tuple[str, str]:
    """(target, ✓/✗) for one operation."""
    if not result.times:
        return "", ""
    ratio = result.p95 / floor.p95
    if result.note.startswith("HTTP"):
        return "expected status", "✗"
    if result.op.kind == "pdf_first":
        return f"p95 < {PDF_FIRST_P95_MS:.0f} ms", "✓" if result.p95 < PDF_FIRST_P95_MS else "✗"
    if result.op.kind == "pdf_repeat":
        return f"p95 < {PDF_REPEAT_P95_MS:.0f} ms", "✓" if result.p95 < PDF_REPEAT_P95_MS else "✗"
    ok = result.p95 < PAGE_P95_MS and ratio <= PAGE_FLOOR_RATIO
    return f"p95 < {PAGE_P95_MS:.0f} ms, ≤ {PAGE_FLOOR_RATIO:.0f}× plancher", "✓" if ok else "✗"


# --- Throughput ------------------------------------------------------------------------
def throughput(args, world: World, url: str) -> list[dict]:
    from django.test import Client

    if not shutil.which("wrk"):
        return [{"label": "wrk missing (apt-get install -y wrk)", "url": "", "error": "n/a"}]
    client = Client()
    login(client, world.physician)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "False", "GUNICORN_ACCESS_LOG": "/dev/null"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "apa_portal.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{args.port}"
    targets = [
        # POSTed like the page does (terms in the body), with the CSRF cookie and header.
        ("Recherche patient « mar » (POST)", reverse_or_none("patients:list"), "q=mar"),
        (
            "Page de la prescription",
            reverse_or_none("prescriptions:detail", pk=world.prescription.pk),
            "",
        ),
    ]
    rows = []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=5)
                break
            except OSError:  # refused, reset or timed out while gunicorn boots
                time.sleep(0.2)
        for label, path, query in targets:
            if not path:
                rows.append({"label": label, "url": "", "error": "n/a (page not built yet)"})
                continue
            body = query if "=" in query and not query.startswith("?") else ""
            headers = {"Cookie": cookie}
            if body:
                # CSRF: any 32-character secret, sent as the cookie and as the header.
                csrf = secrets.token_hex(16)
                headers = {"Cookie": f"{cookie}; csrftoken={csrf}", "X-CSRFToken": csrf}
            url = base + path + ("" if body else query)
            request = urllib.request.Request(
                url, data=body.encode() or None, headers=headers, method="POST" if body else "GET"
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # a 200, not a redirect
                if response.status != 200 or "/accounts/login" in response.url:
                    raise RuntimeError(f"{path}: {response.status} {response.url}")
            header_args = [
                arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")
            ]
            out = subprocess.run(
                [
                    "wrk",
                    "-t2",
                    f"-c{args.connections}",
                    f"-d{args.duration}s",
                    "--timeout",
                    "10s",
                    "-s",
                    str(ROOT / "bench" / "wrk_status.lua"),
                    *header_args,
                    url,
                ],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "BENCH_POST_BODY": body},
            ).stdout
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            stats = dict(re.findall(r"(\w+)=([\d.]+)", out.split("BENCH", 1)[1]))
            rows.append(
                {
                    "label": label,
                    "url": f"{path} (POST {body})" if body else path + query,
                    "rps": rps,
                    "requests": int(stats["requests"]),
                    "errors": int(stats["non200"]) + int(stats["socket_errors"]),
                    "p50": float(stats["p50_ms"]),
                    "p99": float(stats["p99_ms"]),
                }
            )
            print(
                f"bench: load {label}: {rps:.1f} req/s, errors {rows[-1]['errors']}",
                file=sys.stderr,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


# --- Report ----------------------------------------------------------------------------
def machine() -> dict[str, str]:
    from django.db import connection

    cpu = "?"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem[1].split()[1] if len(mem) > 1 else "?",
        "postgres": pg,
        "python": platform.python_version(),
    }


def report(args, sizes, info, results, floor, load, started, load_before, load_after) -> str:
    lines = [
        BEGIN,
        f"Run of {started:%Y-%m-%d %H:%M} UTC: `bench/run.py --iterations {args.iterations}` "
        f"({args.warmup} warm-up requests, the floor measured before each request).",
        "",
        f"- Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM, PostgreSQL "
        f"{info['postgres']}, Python {info['python']}.",
        f"- Load average (1 min) before / after: {load_before:.2f} / {load_after:.2f}"
        + (" — other processes were using the CPU" if max(load_before, load_after) > 0.8 else "")
        + ".",
        "- Data: " + ", ".join(f"{n:,} {k}".replace(",", " ") for k, n in sizes.items()) + ".",
        f"- Floor (`/__bench__/floor/`: middleware, session, user + `SELECT 1`): median "
        f"{floor.median:.1f} ms, p95 {floor.p95:.1f} ms, {max(floor.queries)} queries.",
        "",
        "| Operation | URL | median ms | p95 ms | p95 / floor p95 | queries | target | met |",
        "|---|---|---:|---:|---:|---:|---|:-:|",
    ]
    for r in results:
        if not r.times:
            lines.append(f"| {r.op.label} | `{r.path}` | {r.note} | | | | | |")
            continue
        q = (
            str(r.queries[0])
            if min(r.queries) == max(r.queries)
            else f"{min(r.queries)}–{max(r.queries)}"
        )
        target, ok = verdict(r, floor)
        note = f" ({r.note})" if r.note else ""
        lines.append(
            f"| {r.op.label}{note} | `{r.path}` | {r.median:.1f} | {r.p95:.1f} | "
            f"{r.p95 / floor.p95:.1f}× | {q} | {target} | {ok} |"
        )
    if load:
        lines += [
            "",
            f"Throughput: gunicorn ({args.workers} sync workers, DEBUG off) on 127.0.0.1, "
            f"wrk with {args.connections} connections for {args.duration} s per URL (wrk runs "
            "on the same 2 CPUs; any status other than 200 counts as an error).",
            "",
            "| URL | requests/s | requests | errors | latency p50 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row in load:
            if "rps" not in row:
                lines.append(f"| {row['label']} | {row['error']} | | | | |")
                continue
            lines.append(
                f"| {row['label']} `{row['url']}` | {row['rps']:.1f} | {row['requests']} | "
                f"{row['errors']} | {row['p50']:.1f} | {row['p99']:.1f} |"
            )
    lines.append(END)
    return "\n".join(lines)


def write_results(path: Path, table: str) -> None:
    text = path.read_text() if path.exists() else f"# Benchmark results\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + table + tail
    else:
        text += "\n" + table + "\n"
    path.write_text(text)


def main() -> None:
    from datetime import UTC, datetime

    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    started = datetime.now(UTC)
    ensure_database(url, recreate=args.recreate)
    setup_django(url)
    sizes = fill(args)
    load_before = os.getloadavg()[0]
    n_fresh = max(args.iterations, 1) + 1  # one spare for the warm-up
    world = make_world(n_fresh)
    ops = [op for op in OPS if not args.only or op.key in args.only.split(",")]
    results, floor = measure(args, world, ops)
    load = [] if args.no_load else throughput(args, world, url)
    load_after = os.getloadavg()[0]
    table = report(args, sizes, machine(), results, floor, load, started, load_before, load_after)
    write_results(args.output, table)
    print(table)


if __name__ == "__main__":
    main()
