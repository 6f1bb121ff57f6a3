"""The lens's heatmaps as PNG files, drawn with matplotlib.

The same data and the same colours as the page's SVG (``runtime.lens.plots``):
each cell's intensity in [-1, 1], red through white to blue. matplotlib is imported
only when a picture is drawn, so that the rest of the lens does not need it.
"""
from __future__ import annotations

import os
import textwrap
from typing import Sequence

from runtime.lens.plots import NEGATIVE_RGB, POSITIVE_RGB, Heatmap, intensities

#: Inches per cell, and the largest figure side in inches.
CELL_INCHES = 0.32
MAX_INCHES = 40.0


def _colour_map():
    from matplotlib.colors import LinearSegmentedColormap

    def rgb(triple):
        return tuple(c / 255 for c in triple)

    return LinearSegmentedColormap.from_list("raspc", [rgb(NEGATIVE_RGB), (1.0, 1.0, 1.0), rgb(POSITIVE_RGB)])


def draw_png(heatmap: Heatmap, path: str) -> None:
    """One heatmap as one PNG file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, columns = len(heatmap.rows), len(heatmap.columns)
    width = min(MAX_INCHES, 2.5 + CELL_INCHES * columns + 0.06 * max(len(r) for r in heatmap.rows))
    height = min(MAX_INCHES, 1.8 + CELL_INCHES * rows)
    figure, axes = plt.subplots(figsize=(width, height))
    shades = intensities(heatmap)
    axes.imshow(shades, cmap=_colour_map(), vmin=-1.0, vmax=1.0, aspect="auto", interpolation="nearest")
    axes.set_xticks(range(columns), heatmap.columns, rotation=45, ha="right", fontsize=8)
    axes.set_yticks(range(rows), heatmap.rows, fontsize=8)
    axes.set_title(heatmap.title, fontsize=10)
    axes.set_xlabel(heatmap.column_title, fontsize=9)
    axes.set_ylabel(heatmap.row_title, fontsize=9)
    if heatmap.text and rows * columns <= 1600:
        for r in range(rows):
            for c in range(columns):
                if heatmap.text[r][c]:
                    axes.text(c, r, heatmap.text[r][c][:4], ha="center", va="center", fontsize=6,
                              color="white" if abs(shades[r, c]) > 0.6 else "black")
    bottom = 0.0
    if heatmap.caption:
        caption = textwrap.fill(heatmap.caption, width=max(40, int(width * 14)))
        lines = caption.count("\n") + 1
        bottom = min(0.3, (0.16 * lines + 0.1) / height)
        figure.text(0.01, 0.01, caption, fontsize=7, color="#555", va="bottom")
    figure.tight_layout(rect=(0, bottom, 1, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_pngs(heatmaps: Sequence[Heatmap], folder: str) -> list[str]:
    """Each heatmap as ``folder/name.png``; the paths written."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for heatmap in heatmaps:
        path = os.path.join(folder, f"{heatmap.name}.png")
        draw_png(heatmap, path)
        paths.append(path)
    return paths
