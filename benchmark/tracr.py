"""The reference figures for tracr, and how raspc's rows measure up against them.

The figures are measurements of tracr at commit 9ce2b8c (compiled with its own
RASP library, verified on random inputs), as recorded in the project's
performance issue; they are data here, not something this benchmark runs.
tracr's "sort by frequency" is the task of ``programs/most_freq.rasp``.

The targets each raspc row is held to: no more layers than tracr, at most half
its parameters, every checked input right, compilation under 0.5 s up to
max_len 20 and under 5 s at max_len 64, and a forward pass at batch 1,024 at
least 100 times the reference interpreter's throughput.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from benchmark.measure import Row

TRACR_SOURCE = "tracr at commit 9ce2b8c, measured figures (the project's performance issue)"
#: raspc's programs compared with tracr's, in table order.
TRACR_PROGRAMS = ("length", "reverse", "hist", "sort", "most_freq", "dyck1", "dyck2")

PARAMS_FRACTION = 0.5
SPEEDUP_TARGET = 100.0
SPEEDUP_BATCH = 1024


@dataclass(frozen=True)
class TracrFigure:
    """One tracr measurement; ``task`` is tracr's name for it."""

    program: str
    task: str
    max_len: int
    layers: int
    d_model: int
    d_mlp: int
    params: int
    compile_seconds: float
    accuracy: float


TRACR_FIGURES: tuple[TracrFigure, ...] = (
    TracrFigure("length", "length", 10, 1, 28, 22, 2_333, 2.7, 0.92),
    TracrFigure("length", "length", 20, 1, 48, 42, 6_393, 3.0, 0.52),
    TracrFigure("reverse", "reverse", 10, 4, 71, 110, 89_880, 3.2, 0.88),
    TracrFigure("reverse", "reverse", 20, 4, 131, 420, 534_830, 2.6, 0.42),
    TracrFigure("hist", "hist", 20, 1, 48, 42, 6_393, 0.02, 0.90),
    TracrFigure("sort", "sort", 10, 3, 61, 30, 36_124, 2.1, 1.00),
    TracrFigure("sort", "sort", 20, 3, 111, 60, 126_834, 3.1, 0.84),
    TracrFigure("most_freq", "sort by frequency", 20, 5, 514, 420, 6_523_894, 4.1, 0.68),
    TracrFigure("dyck1", "dyck1", 20, 6, 83, 1_546, 1_644_623, 3.9, 0.92),
    TracrFigure("dyck2", "dyck2", 20, 8, 100, 3_092, 5_272_844, 5.0, 1.00),
)


def compile_target(max_len: int) -> float | None:
    """The compile-time target in seconds at ``max_len`` (None: no stated target)."""
    if max_len <= 20:
        return 0.5
    if max_len == 64:
        return 5.0
    return None


@dataclass(frozen=True)
class Targets:
    """Which targets a row meets: True, False, or None where it cannot be judged
    (the row failed, or there is no target at that size)."""

    layers: bool | None
    params: bool | None
    accuracy: bool | None
    compile: bool | None
    speedup: bool | None

    def all_met(self) -> bool:
        return all(v is True for v in (self.layers, self.params, self.accuracy, self.compile, self.speedup))


def _at_most(value, limit) -> bool | None:
    return None if value is None or limit is None else value <= limit


def targets(row: Row, figure: TracrFigure | None) -> Targets:
    """The targets ``row`` meets; the layer and parameter targets need tracr's figure."""
    limit = compile_target(row.max_len)
    speedup = row.speedup(SPEEDUP_BATCH)
    return Targets(
        layers=_at_most(row.layers, figure.layers if figure else None),
        params=_at_most(row.params, figure.params * PARAMS_FRACTION if figure else None),
        accuracy=None if row.accuracy is None else row.checked == row.matched,
        compile=None if row.compile_seconds is None or limit is None else row.compile_seconds < limit,
        speedup=None if speedup is None else speedup >= SPEEDUP_TARGET)


@dataclass(frozen=True)
class Comparison:
    """raspc's row beside tracr's figure for the same program and max_len."""

    figure: TracrFigure
    row: Row | None

    @property
    def params_ratio(self) -> float | None:
        """raspc's parameters over tracr's (below 1: raspc is smaller)."""
        if self.row is None or self.row.params is None:
            return None
        return self.row.params / self.figure.params

    @property
    def layers_difference(self) -> int | None:
        """raspc's layers minus tracr's (negative: raspc is shallower)."""
        if self.row is None or self.row.layers is None:
            return None
        return self.row.layers - self.figure.layers

    @property
    def targets(self) -> Targets | None:
        return None if self.row is None else targets(self.row, self.figure)


def compare(rows: Sequence[Row]) -> list[Comparison]:
    """One comparison per tracr figure whose program was benchmarked (row None when
    that max_len was not)."""
    by_key = {(r.program, r.max_len): r for r in rows}
    benchmarked = {r.program for r in rows}
    return [Comparison(f, by_key.get((f.program, f.max_len))) for f in TRACR_FIGURES if f.program in benchmarked]
