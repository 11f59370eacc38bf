"""A structure's offers from a CSV file (README, « Import des offres »): every bad row is
reported with its line and reason, and nothing is imported unless every row is valid.

UTF-8 (a BOM is accepted), `;` as separator, one header line with these columns:
titre;activite;niveaux;intervenants;coordinateur;lieu;code_postal;debut;fin;places;creneaux;situations
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction

from kernel.text import fold
from patients.models import EligibilitySituation
from practitioners.models import Structure, User
from prescriptions.rules import LimitationLevel

from . import rules
from .services import OfferInput, offer_create, offer_errors

COLUMNS = (
    "titre",
    "activite",
    "niveaux",
    "intervenants",
    "coordinateur",
    "lieu",
    "code_postal",
    "debut",
    "fin",
    "places",
    "creneaux",
    "situations",
)
REQUIRED = (
    "titre",
    "activite",
    "niveaux",
    "intervenants",
    "lieu",
    "code_postal",
    "debut",
    "fin",
    "creneaux",
)  # noqa: E501
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
LEVEL_WORDS = {
    "aucune": LimitationLevel.NONE,
    "minimale": LimitationLevel.MINIMAL,
    "minimales": LimitationLevel.MINIMAL,
    "moderee": LimitationLevel.MODERATE,
    "moderees": LimitationLevel.MODERATE,
    "severe": LimitationLevel.SEVERE,
    "severes": LimitationLevel.SEVERE,
}
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
SLOT_RE = re.compile(r"^(\w+)\s+(\d{1,2})[:h](\d{2})(?:\s+(\d{1,3}))?$")


@dataclass
class ImportReport:
    created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _date(text: str) -> date:
    return datetime.strptime(text.strip(), "%d/%m/%Y").date()


def _slots(text: str) -> list[rules.WeeklySlot]:
    slots = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = SLOT_RE.match(fold(part))
        if not match or match.group(1) not in WEEKDAYS:
            raise ValueError(f"créneau illisible « {part} » (attendu : « lundi 18:00 60 »)")
        hour, minute = int(match.group(2)), int(match.group(3))
        minutes = int(match.group(4) or 60)
        if hour > 23 or minute > 59 or not 15 <= minutes <= 240:
            raise ValueError(f"créneau impossible « {part} »")
        slots.append(rules.WeeklySlot(WEEKDAYS.index(match.group(1)), time(hour, minute), minutes))
    return slots


def offers_import(*, structure: Structure, content: bytes) -> ImportReport:
    """Parse, check every row, and create every offer in one transaction, or none."""
    report = ImportReport()
    if len(content) > MAX_BYTES:
        report.errors.append((0, "fichier trop volumineux (2 Mo au plus)"))
        return report
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append((0, "le fichier n'est pas encodé en UTF-8"))
        return report
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";")
    header = [fold(name or "").strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        report.errors.append((1, "colonnes manquantes : " + ", ".join(missing)))
        return report
    reader.fieldnames = header
    # The structure's own members only: another structure's professionals are unknown here.
    users = {u.username: u for u in User.objects.filter(is_active=True, structure=structure)}
    situations = {s.code: s for s in EligibilitySituation.objects.all()}
    parsed = []
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            report.errors.append((line, f"trop de lignes ({MAX_ROWS} au plus)"))
            break
        if None in row:
            report.errors.append((line, "trop de colonnes (le séparateur est « ; »)"))
            continue
        cells = {key: (value or "").strip() for key, value in row.items()}
        try:
            empty = [name for name in REQUIRED if not cells.get(name)]
            if empty:
                raise ValueError("colonnes vides : " + ", ".join(empty))
            levels = [LEVEL_WORDS.get(fold(w).strip()) for w in cells["niveaux"].split(",")]
            if None in levels:
                raise ValueError("niveaux : aucune, minimale, moderee, severe")
            supervisors = []
            for name in cells["intervenants"].split(","):
                if name.strip() not in users:
                    raise ValueError(f"intervenant inconnu « {name.strip()} »")
                supervisors.append(users[name.strip()])
            coordinator = None
            if cells.get("coordinateur"):
                coordinator = users.get(cells["coordinateur"])
                if coordinator is None:
                    raise ValueError(f"coordinateur inconnu « {cells['coordinateur']} »")
            chosen = []
            for code in filter(None, (c.strip() for c in cells.get("situations", "").split(","))):
                if code not in situations:
                    raise ValueError(f"situation inconnue « {code} »")
                chosen.append(situations[code])
            try:
                start, end = _date(cells["debut"]), _date(cells["fin"])
            except ValueError:
                raise ValueError("dates au format jj/mm/aaaa") from None
            places = cells.get("places") or str(rules.DEFAULT_CAPACITY)
            if not places.isascii() or not places.isdigit() or len(places) > 3:
                raise ValueError("places : un nombre de 1 à 8")
            data = OfferInput(
                title=cells["titre"][:200],
                activity=cells["activite"][:200],
                levels=[int(level) for level in levels if level is not None],
                place=cells["lieu"][:250],
                postal_code=cells["code_postal"],
                start_date=start,
                end_date=end,
                slots=_slots(cells["creneaux"]),
                capacity=int(places),
            )
        except ValueError as exc:
            report.errors.append((line, str(exc)))
            continue
        error = offer_errors(
            data=data, supervisors=supervisors, structure=structure, coordinator=coordinator
        )
        if error is not None:
            report.errors.append((line, " ".join(error.messages)))
            continue
        parsed.append((data, supervisors, coordinator, chosen))
    if not parsed and not report.errors:
        report.errors.append((0, "le fichier ne contient aucune offre"))
    if report.errors:
        return report
    with transaction.atomic():
        for data, supervisors, coordinator, chosen in parsed:
            try:
                offer_create(
                    structure=structure,
                    data=data,
                    supervisors=supervisors,
                    coordinator=coordinator,
                    situations=chosen,
                )
            except ValidationError as exc:  # pragma: no cover - checked above
                transaction.set_rollback(True)
                report.errors.append((0, " ".join(exc.messages)))
                report.created = 0
                return report
            report.created += 1
    return report
