"""Heatmaps as data, drawn as inline SVG.

Every plot of the lens is a ``Heatmap``: row and column labels, a value per cell, how
the values map to colour, and optional text and tooltips per cell. ``heatmap_svg``
draws one into a page; ``runtime.lens.png`` draws the same data with matplotlib, through
the same ``intensities``, so that the two pictures agree.

Colour: an intensity in [-1, 1] per cell; white at 0, blue towards 1, red towards -1.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

#: Values mapped to colour: ``unit`` [0, 1] as is; ``positive`` [0, the largest]; ``signed``
#: [-m, m] for the largest magnitude m; ``rank`` 1 (full colour) up to the largest, on a log scale.
SCALES = ("unit", "positive", "signed", "rank")

POSITIVE_RGB = (33, 102, 172)
NEGATIVE_RGB = (178, 24, 43)


@dataclass(frozen=True)
class Heatmap:
    """One plot: ``values`` (rows, columns), NaN where a cell has nothing.

    ``name`` is a file stem (``--png`` writes ``name.png``); ``text`` a short label per
    cell (drawn when the cells are large enough); ``tips`` a tooltip per cell."""

    name: str
    title: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    values: np.ndarray
    scale: str = "unit"
    text: tuple[tuple[str, ...], ...] | None = None
    tips: tuple[tuple[str, ...], ...] | None = None
    row_title: str = ""
    column_title: str = ""
    caption: str = ""

    def __post_init__(self):
        if self.scale not in SCALES:
            raise ValueError(f"unknown scale {self.scale!r}")
        if np.shape(self.values) != (len(self.rows), len(self.columns)):
            raise ValueError(f"{self.name}: values {np.shape(self.values)} do not fit "
                             f"{len(self.rows)} rows x {len(self.columns)} columns")


def intensities(heatmap: Heatmap) -> np.ndarray:
    """Each cell's colour intensity in [-1, 1] (0 for an empty cell)."""
    values = np.asarray(heatmap.values, np.float64)
    finite = np.where(np.isfinite(values), values, 0.0)
    if heatmap.scale == "unit":
        out = np.clip(finite, 0.0, 1.0)
    elif heatmap.scale == "positive":
        top = float(finite.max(initial=0.0))
        out = np.clip(finite / top, 0.0, 1.0) if top > 0 else np.zeros_like(finite)
    elif heatmap.scale == "signed":
        top = float(np.abs(finite).max(initial=0.0))
        out = np.clip(finite / top, -1.0, 1.0) if top > 0 else np.zeros_like(finite)
    else:  # rank: 1 is full colour, the worst rank white
        worst = float(finite.max(initial=1.0))
        ranks = np.maximum(finite, 1.0)
        out = 1.0 - np.log(ranks) / math.log(worst) if worst > 1 else np.ones_like(finite)
    return np.where(np.isfinite(values), out, 0.0)


def colour(intensity: float) -> str:
    """White mixed towards blue (positive) or red (negative)."""
    target = POSITIVE_RGB if intensity >= 0 else NEGATIVE_RGB
    t = min(abs(float(intensity)), 1.0)
    r, g, b = (round(255 + (c - 255) * t) for c in target)
    return f"rgb({r},{g},{b})"


def _text_width(labels: Sequence[str], size: float) -> float:
    return 0.62 * size * max((len(label) for label in labels), default=1)


def heatmap_svg(heatmap: Heatmap, cell: int | None = None) -> str:
    """The heatmap as one ``<svg>`` element: labels left and on top, a tooltip per cell."""
    rows, columns = heatmap.rows, heatmap.columns
    if cell is None:
        cell = 22 if len(rows) <= 60 and len(columns) <= 40 else 16
    font = 11 if cell >= 18 else 10
    left = _text_width(rows, font) + 10 + (14 if heatmap.row_title else 0)
    top = _text_width(columns, font) * 0.75 + 12 + (14 if heatmap.column_title else 0)
    width = max(left + len(columns) * cell, left + 0.62 * 11 * len(heatmap.column_title)) + 4
    height = top + len(rows) * cell + 4
    shades = intensities(heatmap)
    values = np.asarray(heatmap.values, np.float64)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'role="img" aria-label="{html.escape(heatmap.title)}" class="heatmap">']
    if heatmap.column_title:
        parts.append(f'<text x="{left:.0f}" y="11" font-size="11" fill="#555">'
                     f'{html.escape(heatmap.column_title)}</text>')
    if heatmap.row_title:
        parts.append(f'<text x="11" y="{top + len(rows) * cell / 2:.0f}" font-size="11" text-anchor="middle" '
                     f'fill="#555" transform="rotate(-90 11 {top + len(rows) * cell / 2:.0f})">'
                     f'{html.escape(heatmap.row_title)}</text>')
    for k, label in enumerate(columns):
        x = left + k * cell + cell / 2
        parts.append(f'<text x="{x:.0f}" y="{top - 5:.0f}" font-size="{font}" text-anchor="start" '
                     f'transform="rotate(-45 {x:.0f} {top - 5:.0f})">{html.escape(label)}</text>')
    for k, label in enumerate(rows):
        y = top + k * cell + cell / 2 + font / 3
        parts.append(f'<text x="{left - 5:.0f}" y="{y:.0f}" font-size="{font}" text-anchor="end">'
                     f'{html.escape(label)}</text>')
    for r in range(len(rows)):
        for c in range(len(columns)):
            x, y = left + c * cell, top + r * cell
            empty = not math.isfinite(values[r, c])
            fill = "#f3f3f3" if empty else colour(shades[r, c])
            tip = heatmap.tips[r][c] if heatmap.tips else f"{rows[r]}, {columns[c]}: {_number(values[r, c])}"
            parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{cell - 1}" height="{cell - 1}" fill="{fill}" '
                         f'stroke="#e4e4e4"><title>{html.escape(tip)}</title></rect>')
            label = heatmap.text[r][c] if heatmap.text else ""
            if label and cell >= 18:
                ink = "#fff" if abs(shades[r, c]) > 0.6 else "#222"
                parts.append(f'<text x="{x + (cell - 1) / 2:.0f}" y="{y + cell / 2 + 3:.0f}" font-size="9" '
                             f'text-anchor="middle" fill="{ink}" pointer-events="none">'
                             f'{html.escape(label[:4])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float) -> str:
    return "none" if not math.isfinite(value) else f"{value:.4g}"
