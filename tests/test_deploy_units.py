"""The systemd units of deploy/ run what exists, restart what dies, and run as nobody special."""

import configparser
import shlex
from pathlib import Path

import pytest
from django.core.management import get_commands

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = sorted(p.name for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))


def parse(name: str) -> configparser.ConfigParser:
    """A unit file as sections of keys; a key given twice (ExecStart=) keeps every value, one per
    line (configparser joins the values of a key as it joins continuation lines)."""

    class MultiDict(dict):
        def __setitem__(self, key, value):
            if key in self and isinstance(value, list):
                self[key].extend(value)
            else:
                super().__setitem__(key, value)

    parser = configparser.RawConfigParser(
        dict_type=MultiDict, strict=False, empty_lines_in_values=False
    )
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def values(unit, section: str, key: str) -> list[str]:
    raw = unit.get(section, key, fallback=None)
    return [] if raw is None else raw.split("\n")  # one line per occurrence of the key


def manage_commands(unit) -> list[str]:
    """The management commands the unit's ExecStart lines run."""
    commands = []
    for line in values(unit, "Service", "ExecStart"):
        argv = shlex.split(line.lstrip("-@+!"))
        if "manage.py" in argv:
            commands.append(argv[argv.index("manage.py") + 1])
    return commands


def test_the_expected_units_are_there():
    assert UNITS == [
        "apa-portal-daily.service",
        "apa-portal-daily.timer",
        "apa-portal-web.service",
        "apa-portal-worker.service",
    ]


@pytest.mark.parametrize("name", UNITS)
def test_every_unit_parses_and_describes_itself(name):
    unit = parse(name)
    assert unit.get("Unit", "Description")
    if name.endswith(".service"):
        assert values(unit, "Service", "ExecStart")
        assert unit.get("Service", "User") not in ("", "root")
        assert unit.get("Service", "EnvironmentFile") == "/etc/apa-portal/env"
        assert unit.get("Service", "NoNewPrivileges") == "yes"
        assert unit.get("Service", "ProtectSystem") == "strict"


@pytest.mark.parametrize("name", ["apa-portal-web.service", "apa-portal-worker.service"])
def test_web_and_worker_are_restarted_whenever_they_stop(name):
    unit = parse(name)
    assert unit.get("Service", "Restart") == "always"
    assert 0 < float(unit.get("Service", "RestartSec")) <= 10
    assert unit.get("Install", "WantedBy") == "multi-user.target"


def test_the_web_unit_runs_gunicorn_with_the_projects_settings():
    unit = parse("apa-portal-web.service")
    argv = shlex.split(values(unit, "Service", "ExecStart")[0])
    assert argv[0].endswith("/gunicorn")
    assert argv[argv.index("--config") + 1] == "gunicorn.conf.py"
    assert argv[-1] == "apa_portal.wsgi"
    assert unit.get("Service", "Type") == "notify"  # gunicorn tells systemd when it is ready


def test_the_worker_unit_runs_the_supervised_worker_and_lets_a_task_finish():
    unit = parse("apa-portal-worker.service")
    assert manage_commands(unit) == ["run_worker"]  # not db_worker: it dies with the database
    assert unit.get("Service", "KillSignal") == "SIGTERM"
    assert int(unit.get("Service", "TimeoutStopSec")) >= 30  # longer than a PDF rendering


def test_the_daily_chores_run_existing_commands_and_the_timer_starts_them():
    service, timer = parse("apa-portal-daily.service"), parse("apa-portal-daily.timer")
    assert service.get("Service", "Type") == "oneshot"
    assert manage_commands(service) == [
        "expire_prescriptions",
        "end_expired_grants",  # after the expiry: the look-up accesses and orientations
        "prune_db_task_results",
        "archive_read_audit",
    ]
    assert timer.get("Timer", "Unit") == "apa-portal-daily.service"
    assert timer.get("Timer", "OnCalendar")
    assert timer.get("Timer", "Persistent") == "true"


@pytest.mark.parametrize("name", [n for n in UNITS if n.endswith(".service")])
def test_every_management_command_a_unit_runs_exists(name):
    known = get_commands()
    for command in manage_commands(parse(name)):
        assert command in known, f"{name} runs an unknown command: {command}"
