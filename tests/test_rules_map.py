"""docs/rules.md, the map of the domain's rules: every R- id the code cites is a row, and every row
names code and a test that exist."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
MAP = ROOT / "docs" / "rules.md"
RULE_ID = re.compile(r"\bR-[A-Z]+[0-9]+\b")
CODE_DIRS = (
    "kernel",
    "practitioners",
    "audit",
    "security",
    "patients",
    "prescriptions",
    "dispensing",
    "bilans",
    "pathway",
    "programmes",
    "notifications",
    "dashboard",
    "demo",
    "apa_portal",
    "templates",
    "static",
)


def _rows() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in MAP.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and RULE_ID.fullmatch(cells[0]):
            rows[cells[0]] = (cells[3], cells[4])
    return rows


def _cited_in_code() -> set[str]:
    cited = set()
    for directory in CODE_DIRS:
        for path in (ROOT / directory).rglob("*"):
            if path.suffix in {".py", ".html", ".js", ".css", ".txt"} and path.is_file():
                cited |= set(RULE_ID.findall(path.read_text(errors="ignore")))
    return cited


def test_every_rule_cited_in_the_code_is_in_the_map():
    assert _cited_in_code() - set(_rows()) == set()


def test_every_row_of_the_map_points_at_code_that_exists():
    missing = []
    for rule, (code, _test) in _rows().items():
        for place in code.split(";"):
            file, _, symbol = place.strip().partition(":")
            path = ROOT / file
            if not path.is_file() or not re.search(rf"\b{re.escape(symbol)}\b", path.read_text()):
                missing.append(f"{rule}: {place.strip()}")
    assert missing == []


def test_every_row_of_the_map_names_a_test_that_exists():
    missing = []
    for rule, (_code, test) in _rows().items():
        file, _, name = test.partition("::")
        path = ROOT / file
        if not path.is_file() or f"def {name}(" not in path.read_text():
            missing.append(f"{rule}: {test}")
    assert missing == []


def test_the_map_has_a_row_for_each_rule_of_the_prescription_and_its_renewal():
    assert {f"R-P{n}" for n in (1, 2, 3, 4)} | {f"R-R{n}" for n in range(1, 8)} <= set(_rows())


def test_the_map_has_a_row_for_each_rule_of_the_post_cancer_pathway():
    assert {f"R-C{n}" for n in (1, 2, 3, 4)} <= set(_rows())


def test_the_map_has_a_row_for_each_rule_of_group_programmes():
    assert {f"R-G{n}" for n in (1, 2, 3, 4)} | {"R-O1"} <= set(_rows())
