"""What the benchmark found (bench/RESULTS.md), pinned: the number of queries of each
page measured by `bench/run.py` is the same with more data, and stays under its ceiling.

The data are built with the factories and the services (tests/factories.py), as the app makes
them, at two sizes: the world of the benchmark in small (a structure with its physicians, its
staff in « Administrateurs de structure », a superuser; patients with prescriptions in every
status, renewals and adaptations left unread, patients of another structure granted to the
physician), then a second fill that adds patients to the same structures and prescriptions to
the same physicians and to the same patient, so a page whose queries grew with its rows (an
N+1) would show it. The data are deterministic: names, birth dates, situations, dates,
statuses and prescribers follow the patient's rank, and the references are numbered; the
random UUIDs never decide an order (no two patients share a name). Each ceiling lists its
queries. Every count includes: the
session, the user, and the request's savepoint and its release (ATOMIC_REQUESTS inside the
test's transaction) — "the usual 4" below.
"""

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.permissions import structure_admin_group
from patients.models import CareTeamGrant, Patient, Sex
from patients.services import care_team_grant
from patients.views import PATIENT_ORDER
from practitioners.models import Structure, User
from prescriptions import services
from prescriptions.content import Recommendations
from prescriptions.models import Prescription, Renewal
from prescriptions.rules import ActivityType, Intensity, LimitationLevel, add_months
from tests import factories

# page key -> (persona, the usual 4 + what the page itself asks)
CEILINGS = {
    # + count of the page, the page of patients, audit insert (one for the page, naming the
    # patients shown), unread notifications (navbar).
    "patient_search": ("physician", 8),
    # + the count in two parts (the structure's patients, the others granted: the second only
    # while the first is under the cap, as here), the page of patients, audit insert, unread
    # notifications.
    "patient_list": ("physician", 9),
    # + the values of the patient the page starts after (keyset pagination), and the same five.
    "patient_list_deep": ("physician", 10),
    # + the patient (structure, physician in charge), audit insert, situations, may the user
    # prescribe for this patient (an EXISTS), unread notifications, the prescriptions
    # (prescriber, renewal, assessment joined), the orientations in force, the look-up
    # accesses (the sections that end them), the cancer episodes with their pathway (the
    # post-cancer pathway's section; its ledger is pinned in tests/pathway/test_views.py), the
    # referrals to group programmes (their enrolments: one more query only when there are
    # referrals).
    "patient_detail": ("physician", 14),
    # + count, the page (patient and prescriber joined, only the columns printed), audit insert
    # (one for the page, naming its patients), unread notifications, the renewals shown.
    "prescription_list": ("physician", 9),
    # + the prescription (patient, prescriber, structure, assessment, renewal joined), audit
    # insert, who may supervise its level, unread notifications.
    "prescription_detail": ("physician", 8),
    # + the prescription, audit insert, the stored original (RenderedPdf).
    "pdf_repeat": ("physician", 7),
    # + patients count (two parts, as the list's), unread notifications, the structure, the
    # recent prescriptions and patients (three lists), the renewals shown, audit insert (one
    # for the page, naming the patients shown).
    "home": ("physician", 13),
    # + count, unread count, the page, audit insert (naming the patients it names).
    "notifications": ("physician", 8),
    # + unread notifications, the structure (staff), one aggregate per figure
    # (per month, per level, per situation; measured with the cache of the figures off), two
    # short lists each with its count past its first rows (measured with lists of 1 row, so
    # that both are counted), audit insert (naming the patients the lists show).
    "dashboard_staff": ("staff", 14),
    "dashboard_physician": ("physician", 13),
    # + two filters' choices (situations, structures), the count (stops after 1,000; no full
    # count), the page, the audit insert (one for the page, naming its patients). No date
    # hierarchy (dropped: ~150 ms over 300,000 rows).
    "admin_patients": ("superuser", 9),
    "admin_prescriptions": ("superuser", 9),
}
# Patients added by each fill: in the physician's structure, in another structure with their
# care team granted to the physician, and in that structure without any grant. Each fill also
# gives the patient of the detail pages three more prescriptions and registers one patient
# without situation nor prescription.
SMALL = {"patients": 12, "granted": 2, "elsewhere": 1}
LARGER = {"patients": 24, "granted": 4, "elsewhere": 2}

# Names from which the patients' are made: (birth name, first names) is unique for the first
# 16 x 8 patients, so that no two patients tie in the list's order (PATIENT_ORDER would then
# fall back to their random UUIDs). Several names hold a word starting with « mar » (search).
SURNAMES = [
    "Martin",
    "Bernard",
    "Lefèvre",
    "Marchand",
    "Dubois",
    "Müller",
    "Mercier",
    "Noël",
    "Garnier",
    "Da Silva",
    "Rousseau",
    "Lemaire",
    "Œuvray",
    "Guérin",
    "Masson",
    "Le Goff",
]
FIRST_NAMES = [
    ("Hélène", Sex.FEMALE),
    ("François", Sex.MALE),
    ("Zoé", Sex.FEMALE),
    ("Jérôme", Sex.MALE),
    ("Marie-Claire", Sex.FEMALE),
    ("Benoît", Sex.MALE),
    ("Maëlle", Sex.FEMALE),
    ("Loïc", Sex.MALE),
]
# The eligibility situations (R-E1) of the patients, in turn: one to three each.
SITUATIONS = [["ald"], ["chronic_disease", "rf_sedentary"], ["rf_obesity"], ["autonomy_a"]]
# What the physiotherapist adapts (R-R2: type of activity, intensity, frequency, duration).
ADAPTATIONS = Recommendations(
    activity_types=[ActivityType.BALANCE],
    sessions_per_week=3,
    intensity=Intensity.LIGHT,
    session_minutes=30,
    recommendations_text="Équilibre en groupe",
)
MINIMAL = factories.assessment_data(
    locomotor=LimitationLevel.MINIMAL,
    cerebral=LimitationLevel.NONE,
    sensory=LimitationLevel.NONE,
    confirmed_level=LimitationLevel.MINIMAL,
)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_cached_dashboard_figures(monkeypatch):
    """Count the dashboard's aggregates on every request (a timeout of 0 caches nothing), and
    its lists past their first row (their count is asked only then)."""
    monkeypatch.setattr("dashboard.selectors.FIGURES_CACHE_SECONDS", 0)
    monkeypatch.setattr("dashboard.selectors.LIST_LIMIT", 1)


def _url(key: str, patient: Patient, prescription: Prescription) -> str | None:
    urls = {
        "patient_search": reverse("patients:list"),  # POSTed with q=mar (see _queries)
        "patient_list": reverse("patients:list"),
        "patient_list_deep": reverse("patients:list"),  # POSTed with apres=<a patient's key>
        "patient_detail": reverse("patients:detail", kwargs={"pk": patient.pk}),
        "prescription_list": reverse("prescriptions:list"),
        "prescription_detail": reverse("prescriptions:detail", kwargs={"pk": prescription.pk}),
        "pdf_repeat": reverse("prescriptions:pdf", kwargs={"pk": prescription.pk}),
        "home": reverse("home"),
        "notifications": reverse("notifications:inbox"),
        "dashboard_staff": reverse("dashboard:index"),
        "dashboard_physician": reverse("dashboard:index"),
        "admin_patients": reverse("admin:patients_patient_changelist"),
        "admin_prescriptions": reverse("admin:prescriptions_prescription_changelist"),
    }
    return urls[key]


def _queries(client: Client, url: str, data: dict | None = None) -> int:
    client.get(url)  # settles the session (idle time-out stamp) and renders a PDF once
    with CaptureQueriesContext(connection) as captured:
        # The patient search posts its terms, and its pages a key: never in a URL.
        response = client.post(url, data) if data else client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


# --- The world, built through the factories and the services --------------------------------


@dataclass
class World:
    structure: Structure
    elsewhere: Structure
    physician: User
    colleague: User
    outsider: User
    physiotherapist: User
    staff: User
    superuser: User
    patients_made: int = 0
    # The patient whose record and prescription the detail pages show (at both sizes).
    patient: Patient = field(init=False)
    prescription: Prescription = field(init=False)


def _ending_in(days: int, *, months: int = 3, renewed: bool = False) -> dict:
    """The dates of a prescription of `months` months whose current period ends in `days` days
    (after a renewal of 3 months made on its end date when `renewed`)."""
    today = timezone.localdate()
    end = today + timedelta(days=days)
    start = add_months(end + timedelta(days=1), -months - (3 if renewed else 0))
    return {"prescribed_on": start, "start_date": start, "duration_months": months}


def _make(prescriber: User, patient: Patient, *, issue: bool = True, **content) -> Prescription:
    return factories.make_prescription(
        prescriber=prescriber, patient=patient, issue=issue, **content
    )


def _renewed(world: World, prescriber: User, patient: Patient, days: int, **content):
    """Issued, looked up and renewed by the physiotherapist on its end date: its new period
    ends in `days` days; the renewal is left unread (R-R7)."""
    prescription = _make(prescriber, patient, **_ending_in(days, renewed=True), **content)
    factories.look_up(prescription, world.physiotherapist)
    factories.renew(prescription, world.physiotherapist)
    return prescription


def _adapted(world: World, prescriber: User, patient: Patient, days: int) -> Prescription:
    """Issued, ended `days` days ago, adapted today by the physiotherapist (left unread)."""
    prescription = _make(prescriber, patient, **_ending_in(-days))
    factories.look_up(prescription, world.physiotherapist)
    services.prescription_renew(
        prescription=prescription,
        physiotherapist=world.physiotherapist,
        kind=Renewal.Kind.ADAPTATION,
        duration_months=4,
        patient_agreement=True,
        no_risk_attestation=True,
        adaptations=ADAPTATIONS,
        today=timezone.localdate(),
    )
    return prescription


def _cancelled(prescriber: User, patient: Patient) -> Prescription:
    """Issued, then withdrawn by its prescriber with a reason."""
    prescription = _make(prescriber, patient, **_ending_in(60))
    return services.prescription_cancel(
        prescription=prescription, by=prescriber, reason="Erreur de patient."
    )


def _expiring(prescriber: User, patient: Patient, months_ago: int) -> Prescription:
    """Issued, ended `months_ago` months ago: `prescriptions_expire` marks it expired."""
    today = timezone.localdate()
    return _make(prescriber, patient, **_ending_in((add_months(today, -months_ago) - today).days))


def _patient(world: World, structure: Structure, physician: User, **fields) -> Patient:
    """The next patient, named, born and eligible in turn (no random draw)."""
    n = world.patients_made
    world.patients_made += 1
    first_names, sex = FIRST_NAMES[n // len(SURNAMES) % len(FIRST_NAMES)]
    values = {
        "structure": structure,
        "physician_in_charge": physician,
        "created_by": world.staff if structure == world.structure else None,
        "birth_name": SURNAMES[n % len(SURNAMES)],
        "first_names": first_names,
        "sex": sex,
        "birth_date": date(1940 + n % 50, 1 + n % 12, 1 + n % 28),
        "situations": SITUATIONS[n % len(SITUATIONS)],
    }
    values.update(fields)
    return factories.PatientFactory(**values)


def _world() -> World:
    structure = factories.StructureFactory(name="Maison Sport-Santé de Strasbourg")
    elsewhere = factories.StructureFactory(
        name="Centre hospitalier de Colmar", kind=Structure.Kind.HOSPITAL, city="Colmar"
    )
    staff = factories.UserFactory(username="gestion", structure=structure, is_staff=True)
    staff.groups.add(structure_admin_group())
    world = World(
        structure=structure,
        elsewhere=elsewhere,
        physician=factories.PhysicianFactory(
            username="medecin", last_name="Martin", structure=structure
        ),
        colleague=factories.PhysicianFactory(
            username="collegue", last_name="Petit", structure=structure
        ),
        outsider=factories.PhysicianFactory(
            username="externe", last_name="Loin", structure=elsewhere
        ),
        physiotherapist=factories.PhysiotherapistFactory(username="kine", structure=elsewhere),
        staff=staff,
        superuser=factories.UserFactory(
            username="racine", structure=None, is_staff=True, is_superuser=True
        ),
    )
    # The patient of the detail pages: its prescription shown is renewed, its renewal unread.
    world.patient = _patient(
        world,
        structure,
        world.physician,
        birth_name="Lefèvre-Bénard",
        first_names="Hélène Zoé",
        sex=Sex.FEMALE,
    )
    world.prescription = _renewed(world, world.physician, world.patient, 20)
    return world


def _fill(world: World, *, patients: int, granted: int, elsewhere: int) -> None:
    """Add patients and prescriptions of every kind, in turn (deterministic)."""
    physician, colleague = world.physician, world.colleague
    # The patient of the detail pages gets older prescriptions at each fill (its page lists
    # them all): one expired, one cancelled, one draft.
    _expiring(physician, world.patient, months_ago=12)
    _cancelled(physician, world.patient)
    _make(physician, world.patient, issue=False)
    for i in range(patients):
        # A colleague is in charge of every third patient and prescribes every fifth
        # prescription: the physician's lists (the structure's) print several prescribers.
        in_charge = colleague if i % 3 == 2 else physician
        prescriber = colleague if i % 5 == 4 else physician
        patient = _patient(world, world.structure, in_charge)
        kind = i % 6
        if kind == 0:  # issued, ending within 30 days (the lists « ending soon »)
            _make(prescriber, patient, **_ending_in(3 + i % 20), assessment=MINIMAL)
        elif kind == 1:  # renewed, its new period ending soon
            _renewed(world, prescriber, patient, 5 + i % 20)
        elif kind == 2:  # adapted today
            _adapted(world, prescriber, patient, 10)
        elif kind == 3:  # a draft, and a cancelled one
            _make(prescriber, patient, issue=False)
            _cancelled(prescriber, patient)
        elif kind == 4:  # expired, then a new one running for months (two prescriptions)
            _expiring(prescriber, patient, months_ago=6)
            _make(prescriber, patient, **_ending_in(150, months=6), assessment=MINIMAL)
        else:  # running, renewal by a physician only (R-R4: OUI with its reason)
            _make(
                prescriber,
                patient,
                **_ending_in(80),
                physician_renewal_required=True,
                physician_renewal_reason="Cardiopathie à réévaluer.",
            )
    # Patients of another structure whose care team the physician was granted: the physician
    # prescribes for them, so did the physician of their structure.
    for i in range(granted):
        patient = _patient(world, world.elsewhere, world.outsider)
        care_team_grant(
            patient=patient,
            user=physician,
            reason=CareTeamGrant.Reason.PRESCRIBER,
            granted_by=world.outsider,
        )
        _expiring(world.outsider, patient, months_ago=4)
        if i % 2:
            _renewed(world, physician, patient, 12)
        else:
            _make(physician, patient, **_ending_in(25))
    # Patients the physician does not see (the superuser's lists do).
    for _ in range(elsewhere):
        _make(world.outsider, _patient(world, world.elsewhere, world.outsider), **_ending_in(40))
    # One more patient, registered but not yet eligible (no situation) nor prescribed for.
    _patient(world, world.structure, physician, situations=[])
    services.prescriptions_expire()


def _measure(world: World, clients: dict[str, Client]) -> dict[str, int]:
    # A page further in the list: after the 5th patient of the structure (at both sizes).
    deep = Patient.objects.filter(structure=world.structure).order_by(*PATIENT_ORDER)[4]
    data = {"patient_search": {"q": "mar"}, "patient_list_deep": {"apres": deep.pk}}
    return {
        key: _queries(clients[persona], _url(key, world.patient, world.prescription), data.get(key))
        for key, (persona, _ceiling) in CEILINGS.items()
    }


@pytest.fixture
def counts(db, monkeypatch):
    """The query counts of every page at two sizes of the same world."""
    # References in the format of rules.new_reference, numbered instead of drawn: the lists
    # that order by reference show the same rows on every run.
    numbers = itertools.count(1)

    def numbered_reference(year: int) -> str:
        body = f"{next(numbers):08d}"
        return f"APA-{year}-{body[:4]}-{body[4:]}"

    monkeypatch.setattr("prescriptions.rules.new_reference", numbered_reference)
    world = _world()
    _fill(world, **SMALL)
    personas = {"physician": world.physician, "staff": world.staff, "superuser": world.superuser}
    clients = {}
    for name, user in personas.items():
        clients[name] = Client()
        clients[name].force_login(user)
    small = _measure(world, clients)
    _fill(world, **LARGER)
    return small, _measure(world, clients)


def test_no_page_asks_more_queries_with_more_data(counts):
    small, larger = counts
    grew = {key: (small[key], larger[key]) for key in small if larger[key] != small[key]}
    assert not grew, f"queries that grow with the data: {grew}"


def test_every_page_stays_under_its_query_ceiling(counts):
    _small, larger = counts
    over = {key: (n, CEILINGS[key][1]) for key, n in larger.items() if n > CEILINGS[key][1]}
    assert not over, f"pages over their ceiling (count, ceiling): {over}"


# --- Writes: issuing and renewing validate in Python only what the services do not check -----
# Each CheckConstraint validated by full_clean() costs a SAVEPOINT, a SELECT and a RELEASE; the
# services check their rules with French messages and the database constraints stay the
# backstop (bench: 42 → 18 queries to issue, 43 → 21 to renew on PostgreSQL).


def test_issuing_a_draft_validates_no_constraint_query(draft_prescription, prescriber):
    from prescriptions.services import prescription_issue

    with CaptureQueriesContext(connection) as captured:
        prescription_issue(prescription=draft_prescription, by=prescriber)
    sql = [q["sql"] for q in captured.captured_queries]
    assert not [q for q in sql if '"_check"' in q], "a constraint was validated in Python"
    # the draft (locked), may prescribe (EXISTS), assessment and situation EXISTS, the update
    # and its history row, the care-team grant (get or create, with its savepoints): ≤ 14.
    assert len(sql) <= 14, sql


def test_issuing_queues_its_pdf_in_one_insert_after_the_commit(
    draft_prescription, prescriber, settings, django_capture_on_commit_callbacks
):
    """In production the PDF's task is one row of the queue (django-tasks-db), written once the
    signature has committed: the request pays one INSERT, not the 150-300 ms of the render."""
    from prescriptions.services import prescription_issue

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks() as callbacks:
        prescription_issue(prescription=draft_prescription, by=prescriber)
    with CaptureQueriesContext(connection) as captured:
        for callback in callbacks:
            callback()
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) == 1 and sql[0].startswith('INSERT INTO "django_tasks_database_dbtaskresult"')


def test_renewing_validates_no_constraint_query(issued_prescription, physiotherapist):
    from prescriptions.models import Renewal
    from prescriptions.services import prescription_renew

    with CaptureQueriesContext(connection) as captured:
        prescription_renew(
            prescription=issued_prescription,
            physiotherapist=physiotherapist,
            kind=Renewal.Kind.RENEWAL,
            duration_months=3,
            patient_agreement=True,
            no_risk_attestation=True,
            today=issued_prescription.end_date,
        )
    sql = [q["sql"] for q in captured.captured_queries]
    assert not [q for q in sql if '"_check"' in q], "a constraint was validated in Python"


def test_an_adaptation_out_of_range_is_still_refused_with_its_message(
    issued_prescription, physiotherapist
):
    """The one constraint no check of the service covers is still validated, in French."""
    from django.core.exceptions import ValidationError

    from prescriptions.models import Renewal
    from prescriptions.services import prescription_renew

    with pytest.raises(ValidationError) as refused:
        prescription_renew(
            prescription=issued_prescription,
            physiotherapist=physiotherapist,
            kind=Renewal.Kind.ADAPTATION,
            duration_months=3,
            patient_agreement=True,
            no_risk_attestation=True,
            adaptations=Recommendations(**{"sessions_per_week": 20, "session_minutes": 5}),
            today=issued_prescription.end_date,
        )
    messages = refused.value.messages
    assert any("séance" in m and "semaine" in m for m in messages), messages
    assert "La durée d'une séance doit être de 10 à 180 minutes." in messages
    assert not Renewal.objects.filter(prescription=issued_prescription).exists()
