"""Bar charts drawn on the server as plain data for an inline SVG (no script, printable).

The templates draw `<rect>`s from these numbers; the same numbers are shown as a table beside.
"""

from dataclasses import dataclass

COLUMN_WIDTH = 640
COLUMN_HEIGHT = 240
COLUMN_TOP = 20
COLUMN_BOTTOM = 40
BAR_ROW_HEIGHT = 38
BAR_LABEL_MAX = 60
BAR_WIDTH = 480
BAR_VALUE_SPACE = 60


@dataclass(frozen=True)
class Bar:
    label: str
    short_label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float
    sub_label: str = ""


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    baseline_y: float
    total: int


def _ceiling(values: list[int]) -> int:
    return max([*values, 1])


def column_chart(items: list[tuple[str, int]]) -> Chart:
    """Vertical bars, one per item (the months), the value above each bar.

    A label "juil. 2026" is drawn on two lines (month, then year) under its bar.
    """
    ceiling = _ceiling([v for _, v in items])
    plot_height = COLUMN_HEIGHT - COLUMN_TOP - COLUMN_BOTTOM
    slot = COLUMN_WIDTH / max(len(items), 1)
    bar_width = slot * 0.6
    baseline = COLUMN_TOP + plot_height
    bars = []
    for index, (label, value) in enumerate(items):
        height = plot_height * value / ceiling
        x = index * slot + (slot - bar_width) / 2
        first_line, _, second_line = label.rpartition(" ")
        bars.append(
            Bar(
                label=label,
                short_label=first_line or label,
                sub_label=second_line if first_line else "",
                value=value,
                x=round(x, 1),
                y=round(baseline - height, 1),
                width=round(bar_width, 1),
                height=round(height, 1),
                label_x=round(x + bar_width / 2, 1),
                label_y=baseline + 16,
                value_x=round(x + bar_width / 2, 1),
                value_y=round(baseline - height - 4, 1),
            )
        )
    return Chart(COLUMN_WIDTH, COLUMN_HEIGHT, bars, baseline, sum(v for _, v in items))


def bar_chart(items: list[tuple[str, int]]) -> Chart:
    """Horizontal bars, the label above each bar (long labels such as the R-E1 situations)."""
    ceiling = _ceiling([v for _, v in items])
    plot_width = BAR_WIDTH - BAR_VALUE_SPACE
    bars = []
    for index, (label, value) in enumerate(items):
        top = index * BAR_ROW_HEIGHT
        width = plot_width * value / ceiling
        short = label if len(label) <= BAR_LABEL_MAX else label[: BAR_LABEL_MAX - 1] + "…"
        bars.append(
            Bar(
                label=label,
                short_label=short,
                value=value,
                x=0,
                y=top + 16,
                width=round(width, 1),
                height=14,
                label_x=0,
                label_y=top + 12,
                value_x=round(width + 6, 1),
                value_y=top + 28,
            )
        )
    height = max(len(items), 1) * BAR_ROW_HEIGHT
    return Chart(BAR_WIDTH, height, bars, height, sum(v for _, v in items))
