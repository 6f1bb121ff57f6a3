"""The values of a map with a ``@tolerance``, found by probing it.

A map whose operands take too many values to list (a mean over many
combinations) or too many combinations to enumerate cannot have its value set
listed; with a declared tolerance the compiler builds it approximately along the
bounds of its numerical operands (``compiler.constructions.tolerant``), and needs
the bounds of its own values for whatever reads it. Probing evaluates the map on
a grid: every value of a categorical operand, and for a numerical one its listed
values (thinned to at most ``PROBES`` evenly spread in order) or ``PROBES``
points across its bounds. A numerical result's bounds are the least and greatest
probed result (exact for a map monotone in each operand between grid points, as
the sums, products and normalisations of language programs are); a categorical
result's values are the probed ones.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Sequence

import numpy as np

from compiler.errors import CompileError

#: Points probed along a numerical operand.
PROBES = 257
#: Most combinations of probes evaluated for one map.
MAX_PROBES = 400_000


def probe_points(values: Sequence[Any], bounds: tuple[float, float] | None, numerical: bool,
                 count: int = PROBES) -> list[Any]:
    """Where to probe one operand (see the module docstring)."""
    if values:
        if not numerical or len(values) <= count:
            return list(values)
        picks = np.unique(np.linspace(0, len(values) - 1, count).round().astype(int))
        return [values[k] for k in picks]
    if bounds is None:
        raise CompileError("an operand has neither listed values nor bounds")
    low, high = bounds
    zero = {0.0} if low <= 0.0 <= high else set()  # where a sign test would turn
    return sorted(set(np.linspace(low, high, count).tolist()) | zero)


def probe_map(fn: Callable, label: str, operands: Sequence[tuple[Sequence[Any], tuple[float, float] | None, bool]],
              never_reached: tuple) -> list[Any]:
    """``fn`` on the grid of probes of its operands, each given as (listed values,
    bounds, numerical): the results, failures skipped."""
    count = PROBES
    while True:
        grids = [probe_points(values, bounds, numerical, count) for values, bounds, numerical in operands]
        size = int(np.prod([max(len(g), 1) for g in grids]))
        if size <= MAX_PROBES or count <= 9:
            break
        count = (count - 1) // 2 + 1
    if size > MAX_PROBES:
        raise CompileError(f"{label}: its operands have too many combinations to probe ({size:,}); "
                           f"split the map")
    results = []
    for args in itertools.product(*grids):
        try:
            results.append(fn(*args))
        except never_reached:
            continue
    return results
