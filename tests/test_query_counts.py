"""What the benchmark found (issue 8, bench/RESULTS.md), pinned: the number of queries of each
page measured by `bench/run.py` is the same with more data, and stays under its ceiling.

The data are those of the benchmark (`manage.py bench_data`), at two small sizes: the second
fill adds patients to the same structures and prescriptions to the same physicians, so a page
whose queries grew with its rows (an N+1) would show it. Each ceiling lists its queries. Every
count includes: the session, the user, and the request's savepoint and its release
(ATOMIC_REQUESTS inside the test's transaction) — "the usual 4" below.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import Patient
from patients.views import PATIENT_ORDER
from practitioners.models import User
from prescriptions.management.commands import bench_data as bd
from prescriptions.models import Prescription, Renewal

# page key -> (persona, the usual 4 + what the page itself asks)
CEILINGS = {
    # + count of the page, the page of patients, unread notifications (navbar).
    "patient_search": ("physician", 7),
    # + the count in two parts (the structure's patients, the others granted: the second only
    # while the first is under the cap, as here), the page of patients, unread notifications.
    "patient_list": ("physician", 8),
    # + the values of the patient the page starts after (keyset pagination), and the same four.
    "patient_list_deep": ("physician", 9),
    # + the patient (structure, physician in charge), audit insert, situations, may the user
    # prescribe for this patient (an EXISTS), unread notifications, the prescriptions
    # (prescriber, renewal, assessment joined).
    "patient_detail": ("physician", 10),
    # + count, the page (patient and prescriber joined, only the columns printed), unread
    # notifications, the renewals shown.
    "prescription_list": ("physician", 8),
    # + the prescription (patient, prescriber, structure, assessment, renewal joined), audit
    # insert, who may supervise its level, unread notifications.
    "prescription_detail": ("physician", 8),
    # + the prescription, audit insert, the stored original (RenderedPdf).
    "pdf_repeat": ("physician", 7),
    # + patients count (two parts, as the list's), unread notifications, the structure, the
    # recent prescriptions and patients (three lists) and the renewals shown.
    "home": ("physician", 12),
    # + count, unread count, the page.
    "notifications": ("physician", 7),
    # + the structure (staff) or unread notifications (physician), one aggregate per figure
    # (per month, per level, per situation; measured with the cache of the figures off), two
    # short lists each with its count past its first rows (measured with lists of 1 row, so
    # that both are counted).
    "dashboard_staff": ("staff", 12),
    "dashboard_physician": ("physician", 12),
    # + two filters' choices (situations, structures), the count (stops after 1,000; no full
    # count), the page. No date hierarchy (dropped: ~150 ms over 300,000 rows).
    "admin_patients": ("superuser", 8),
    "admin_prescriptions": ("superuser", 8),
}
SMALL = {"patients": 30, "prescriptions": 90}
LARGER = {"patients": 60, "prescriptions": 240}


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


def _measure(clients: dict[str, Client]) -> dict[str, int]:
    patient = Patient.objects.filter(
        birth_name=bd.BENCH_PATIENT[0], first_names=bd.BENCH_PATIENT[1]
    ).earliest("created_at")
    prescription = (
        Prescription.objects.filter(patient=patient)
        .exclude(status__in=["draft", "cancelled"])
        .order_by("-prescribed_on", "reference")
        .first()
    )
    # A page further in the list: after the 5th patient of the structure (at both sizes).
    deep = Patient.objects.filter(structure=patient.structure).order_by(*PATIENT_ORDER)[4]
    data = {"patient_search": {"q": "mar"}, "patient_list_deep": {"apres": deep.pk}}
    return {
        key: _queries(clients[persona], _url(key, patient, prescription), data.get(key))
        for key, (persona, _ceiling) in CEILINGS.items()
    }


@pytest.fixture
def counts(db):
    """The query counts of every page at two sizes of the benchmark's data."""
    call_command("bench_data", seed=11, **SMALL)
    users = {u.username: u for u in User.objects.filter(username__startswith="bench-")}
    personas = {
        "physician": users[bd.BENCH_PHYSICIAN],
        "staff": users[bd.BENCH_STRUCTURE_STAFF],
        "superuser": users[bd.BENCH_SUPERUSER],
    }
    clients = {}
    for name, user in personas.items():
        clients[name] = Client()
        clients[name].force_login(user)
    # Every renewal unread: the dashboards' lists of unread renewals have rows at both sizes.
    Renewal.objects.update(prescriber_read_at=None)
    small = _measure(clients)
    call_command("bench_data", seed=12, force=True, **LARGER)
    Renewal.objects.update(prescriber_read_at=None)
    return small, _measure(clients)


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
            adaptations={"sessions_per_week": 20, "session_minutes": 5},
            today=issued_prescription.end_date,
        )
    messages = refused.value.messages
    assert any("séance" in m and "semaine" in m for m in messages), messages
    assert "La durée d'une séance doit être de 10 à 180 minutes." in messages
    assert not Renewal.objects.filter(prescription=issued_prescription).exists()
