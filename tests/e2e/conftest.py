"""Browser tests: Playwright driving Debian's Chromium against the app on a live server.

Skipped, with a clear reason, when /usr/bin/chromium or the playwright package is missing
(`make test` says so). Never downloads a browser: the machine has no outside network.
"""

import json
import os
import re
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=fr-FR",
]
ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev dependencies include it
    sync_playwright = None

SKIP_REASON = None
if sync_playwright is None:
    SKIP_REASON = "playwright is not installed"
elif not Path(CHROMIUM).exists():
    SKIP_REASON = f"no Chromium at {CHROMIUM} (apt-get install chromium)"


def pytest_collection_modifyitems(config, items):
    e2e_dir = Path(__file__).parent
    for item in items:
        if e2e_dir in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)
            if SKIP_REASON:
                item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {SKIP_REASON}"))


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the fixtures
    # (same thread, not in a coroutine) are safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        # launch() starts Chromium with a fresh, temporary profile directory of its own.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (from the npm registry, see package.json) on the current page."""
    if not AXE_JS.exists():
        pytest.fail(f"axe-core missing at {AXE_JS}: run `npm ci` (make e2e does it)")
    # Evaluated through the DevTools protocol, which the page's CSP does not restrict (an
    # injected <script> tag would be refused by `script-src 'self'`, as it should).
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: tags})",
        ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, json.dumps(violations, indent=2, ensure_ascii=False)


def screenshot(page, name: str) -> None:
    """Keep a screenshot for the README (only when E2E_SCREENSHOTS=1, to keep the tree clean)."""
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


PASSWORD = "demo"


@dataclass
class _Snapshot:
    """Every table's rows after seed_demo, read once per test process."""

    day: date
    tables: dict[str, tuple[list[str], list[tuple]]]


_snapshot: _Snapshot | None = None


def _writable(value):
    """A value as read, ready to be written back: psycopg reads a jsonb column as a dict or a
    list (and would write a list as an array); sqlite3 reads a time it cannot write (Django
    writes it as its text)."""
    if connection.vendor == "postgresql" and isinstance(value, dict | list):
        from psycopg.types.json import Jsonb  # noqa: PLC0415 (PostgreSQL only)

        return Jsonb(value)
    if connection.vendor == "sqlite" and isinstance(value, time):
        return str(value)
    return value


def _take_snapshot() -> _Snapshot:
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows = [tuple(_writable(v) for v in row) for row in cursor.fetchall()]
            tables[table] = ([c[0] for c in cursor.description], rows)
    return _Snapshot(timezone.localdate(), tables)


def _restore(snapshot: _Snapshot) -> None:
    """Put the tables back as seed_demo left them: empty them (the reference rows, content
    types and permissions the last flush put back included), insert the rows read, reset the
    sequences; foreign keys checked once at the end, as loaddata does."""
    tables = list(snapshot.tables)
    with (
        connection.constraint_checks_disabled(),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        for sql in connection.ops.sql_flush(no_style(), tables):
            cursor.execute(sql)
        for table, (columns, rows) in snapshot.tables.items():
            if not rows:
                continue
            names = ", ".join(connection.ops.quote_name(c) for c in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {connection.ops.quote_name(table)} ({names}) VALUES ({marks})",
                rows,
            )
        for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
            cursor.execute(sql)
    connection.check_constraints(table_names=tables)


@pytest.fixture
def demo(transactional_db, settings):
    """The demo data of `make run` (the reference data is seeded by tests/conftest.py).

    seed_demo runs once per test process (and again if the day changes: its dates are relative
    to today); the other tests of the process get its rows back from a snapshot of every table,
    in a fraction of the time (it was a third of each browser test's set-up).

    Its PDFs are not rendered ahead (the tasks are kept, never run): `make run` renders each
    signed document's PDF as it is seeded, some 40 renders that took most of every browser
    test's set-up; a test that downloads one gets it rendered on demand, as when the worker is
    late."""
    global _snapshot
    if _snapshot is not None and _snapshot.day == timezone.localdate():
        _restore(_snapshot)
        return
    settings.DEBUG = True  # seed_demo refuses the "demo" password otherwise
    tasks = settings.TASKS
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    call_command("seed_demo", quiet=True)
    settings.TASKS = tasks
    settings.DEBUG = False
    _snapshot = _take_snapshot()


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/(?!accounts/login).*"))


def log_out(page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/accounts/login/")
