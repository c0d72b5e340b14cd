"""Horizontal bar charts drawn as inline SVG on the server: geometry here, drawing in the template."""
from __future__ import annotations

from dataclasses import dataclass

LABEL_WIDTH = 120  # room for the category names, left of the bars
BAR_SPACE = 320  # the longest bar
BAR_HEIGHT = 14
ROW_GAP = 10
LEGEND_HEIGHT = 26


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    series: int
    text: str


@dataclass(frozen=True)
class Row:
    label: str
    label_y: float
    rects: tuple[Rect, ...]


@dataclass(frozen=True)
class BarChart:
    title: str
    series: tuple[str, ...]
    rows: tuple[Row, ...]
    height: float
    width: float = LABEL_WIDTH + BAR_SPACE + 80

    @property
    def legend_y(self) -> float:
        return self.height - LEGEND_HEIGHT + 8


def bar_chart(title: str, data: list[tuple[str, list[float], list[str]]], series: tuple[str, ...] = ("数量",)) -> BarChart:
    """One row per category, one bar per series; each bar's text is shown at its end."""
    peak = max((value for _, values, _ in data for value in values), default=0) or 1
    row_height = BAR_HEIGHT * len(series) + ROW_GAP
    rows = []
    for index, (label, values, texts) in enumerate(data):
        top = index * row_height + 4
        rects = tuple(
            Rect(LABEL_WIDTH, top + n * BAR_HEIGHT, max(round(value / peak * BAR_SPACE, 1), 1.0), n, text)
            for n, (value, text) in enumerate(zip(values, texts, strict=True))
        )
        rows.append(Row(label if len(label) <= 9 else label[:8] + "…", top + row_height / 2 - ROW_GAP / 2, rects))
    legend = LEGEND_HEIGHT if len(series) > 1 else 0
    return BarChart(title, series, tuple(rows), len(data) * row_height + 8 + legend)
