"""The benchmark's plots (PNG, matplotlib's Agg backend, no display needed).

``max_len.png``: compile seconds and parameters against max_len, one line per
program, log y. ``vocab_size.png``: the same against the vocabulary size, one
line per program and max_len, log-log. Configurations that did not compile leave
gaps rather than zeros.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from benchmark.measure import Row

LINE_STYLES = ("-", "--", ":", "-.")


def _series(rows: Sequence[Row], key: Callable[[Row], str], x: Callable[[Row], float],
            y: Callable[[Row], float | None]) -> dict[str, tuple[list[float], list[float]]]:
    """Per label, the (x, y) points that have a value, in x order."""
    series: dict[str, tuple[list[float], list[float]]] = {}
    for row in sorted(rows, key=x):
        value = y(row)
        if value is None or value <= 0:
            continue
        xs, ys = series.setdefault(key(row), ([], []))
        xs.append(x(row))
        ys.append(value)
    return series


def _styles(labels: Sequence[str]) -> dict[str, dict]:
    """One colour and line style per label, the same in every panel."""
    import matplotlib

    colours = matplotlib.colormaps["tab10"].colors
    return {label: {"color": colours[k % len(colours)], "linestyle": LINE_STYLES[k // len(colours) % len(LINE_STYLES)]}
            for k, label in enumerate(sorted(labels))}


def _panel(axis, series, styles, xlabel: str, ylabel: str, log_x: bool) -> None:
    for label, (xs, ys) in sorted(series.items()):
        axis.plot(xs, ys, marker="o", markersize=3, label=label, **styles[label])
    axis.set_yscale("log")
    if log_x:
        axis.set_xscale("log")
    ticks = sorted({x for xs, _ in series.values() for x in xs})
    if ticks:
        axis.set_xticks(ticks, labels=[f"{t:g}" for t in ticks])
        axis.set_xticks([], minor=True)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.grid(True, which="major", alpha=0.3)


def _figure(rows: Sequence[Row], key, x, xlabel: str, log_x: bool, path: Path, title: str) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    compile_series = _series(rows, key, x, lambda r: r.compile_seconds)
    params_series = _series(rows, key, x, lambda r: r.params)
    if not compile_series and not params_series:
        return None
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    styles = _styles(sorted(set(compile_series) | set(params_series)))
    _panel(left, compile_series, styles, xlabel, "compile seconds (median)", log_x)
    _panel(right, params_series, styles, xlabel, "parameters", log_x)
    legend = dict(zip(*reversed(left.get_legend_handles_labels())))
    legend.update(zip(*reversed(right.get_legend_handles_labels())))
    labels = sorted(legend)
    figure.legend([legend[label] for label in labels], labels, loc="center right", fontsize="small", frameon=False)
    figure.suptitle(title)
    figure.tight_layout(rect=(0, 0, 0.85, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write_plots(rows: Sequence[Row], vocab_rows: Sequence[Row], folder: Path) -> list[Path]:
    """Write the plots that have data; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [
        _figure(rows, lambda r: r.program, lambda r: r.max_len, "max_len", False, folder / "max_len.png",
                "Compile time and parameters against max_len"),
        _figure(vocab_rows, lambda r: f"{r.program}, max_len {r.max_len}", lambda r: r.vocab_size or 0,
                "vocabulary size", True, folder / "vocab_size.png",
                "Compile time and parameters against vocabulary size"),
    ]
    return [path for path in written if path is not None]
