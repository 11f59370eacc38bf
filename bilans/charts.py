"""Small paired bars (entry, exit) drawn on the server as plain data for an inline SVG (no
script, printable), the same numbers shown in a table beside (R-B3)."""

from dataclasses import dataclass
from decimal import Decimal

from .rules import Delta

WIDTH = 320
BAR_HEIGHT = 14
GAP = 6
LABEL_SPACE = 70
VALUE_SPACE = 60


@dataclass(frozen=True)
class PairedBars:
    title: str
    unit: str
    width: int
    height: int
    entry_width: float
    exit_width: float
    entry_label: str
    exit_label: str
    bar_x: int
    entry_y: int
    exit_y: int
    value_x: float
    entry_value_x: float


def _fr(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def paired_bars(delta: Delta) -> PairedBars | None:
    """Two bars for one test, scaled to the larger value; None when not comparable."""
    if delta.entry is None or delta.exit is None:
        return None
    ceiling = max(delta.entry, delta.exit, Decimal(1))
    plot = WIDTH - LABEL_SPACE - VALUE_SPACE
    entry_width = float(plot * delta.entry / ceiling)
    exit_width = float(plot * delta.exit / ceiling)
    return PairedBars(
        title=delta.label,
        unit=delta.unit,
        width=WIDTH,
        height=2 * BAR_HEIGHT + 3 * GAP,
        entry_width=round(entry_width, 1),
        exit_width=round(exit_width, 1),
        entry_label=_fr(delta.entry),
        exit_label=_fr(delta.exit),
        bar_x=LABEL_SPACE,
        entry_y=GAP,
        exit_y=2 * GAP + BAR_HEIGHT,
        value_x=round(LABEL_SPACE + exit_width + 4, 1),
        entry_value_x=round(LABEL_SPACE + entry_width + 4, 1),
    )
