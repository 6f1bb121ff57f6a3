"""Numerical inputs read through one projection of them.

When every input is numerical and the result is a function of one projection
``z = sum_i c_i x_i`` (``a - b`` for an equality of two widths, ``x + c y`` for a
sum of two short grids), the MLP is a staircase on that line with steps only
between runs of different results. Two inputs as dense as selector-width
scratches (values 1/(w+1)) cannot share a mixed-radix projection in float32; this
is the line they can share, and ``find_projection`` also tells the lowering
whether to decode such inputs first.
"""
from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import numpy as np

from compiler.constructions.axis import Axis, staircase_units
from compiler.constructions.blocks import Margin, Space
from compiler.constructions.encoding import domain_of, encode, point_noise, try_apply
from compiler.constructions.units import Unit


# Smallest gap between distinct points of a projection, relative to the largest
# magnitude on it, that a projection of raw numerical inputs must keep: far above
# float32's resolution (2^-24), so that a softmax weight's few ulps never matter.
PROJECTION_RELATIVE_GAP = 2.0 ** -14


def _signed_directions(count: int) -> list[tuple[float, ...]]:
    """Candidate projections of ``count`` numerical inputs: every +-1 combination
    with the first coefficient +1 (``x - y`` for an equality, ``x + y`` for a sum)."""
    return [(1.0,) + signs for signs in itertools.product((1.0, -1.0), repeat=count - 1)]


#: Slopes tried for ``x + c y`` when no +-1 projection of two inputs works: log-spaced
#: over six decades, each sign, so that two small dense grids (two bounded widths)
#: still find a line on which their sums fall apart.
SLOPES = tuple(sign * 10.0 ** (k / 40.0) for k in range(-120, 121) for sign in (1.0, -1.0))
#: Most combinations of two inputs for which the slopes are searched.
SLOPE_SEARCH_LIMIT = 20_000


def find_projection(fn, domains: Sequence[Sequence[Any]], limit: int = 200_000, differences_only: bool = False
                    ) -> tuple[tuple[float, ...], dict[float, Any]] | None:
    """A projection ``z = sum_i c_i x_i`` of numerical inputs through which ``fn``
    factors: every combination with the same z gives the same result (combinations
    where ``fn`` fails are free). Returns (coefficients, result by z), or None.
    Used where the inputs are too dense for a mixed radix in float32: two
    selector-width scratches compared for equality differ by ``a - b``, which is
    exactly 0 when the widths agree and at least the smallest gap of the scratch
    values otherwise. The distinct points must keep PROJECTION_RELATIVE_GAP.

    The +-1 combinations come first. For two inputs, a slope ``c`` from SLOPES is
    searched next (the one keeping the widest relative gap): the sum of two widths
    each bounded by a small number (``x + c y`` over two short scratch grids)
    separates on some line, a sum over two long ones does not.
    ``differences_only`` tries only +-1 projections with a negative coefficient."""
    if len(domains) < 2 or len(domains) > 4:
        return None
    size = 1
    for domain in domains:
        size *= max(len(domain), 1)
    if size > limit:
        return None
    combos = list(itertools.product(*domains))
    results = [try_apply(fn, combo) for combo in combos]
    for coefficients in _signed_directions(len(domains)):
        if differences_only and min(coefficients) > 0:
            continue
        found = _projection_on(coefficients, combos, results)
        if found is not None:
            return coefficients, found[1]
    if differences_only or len(domains) != 2 or size > SLOPE_SEARCH_LIMIT:
        return None
    slope = _widest_slope(combos, results)
    if slope is None:
        return None
    found = _projection_on((1.0, slope), combos, results)
    return None if found is None else ((1.0, slope), found[1])


def _widest_slope(combos: list[tuple], results: list[tuple[bool, Any]]) -> float | None:
    """The slope c in SLOPES whose line ``x + c y`` keeps every change of result
    widest apart (relative to the largest |z|), or None when none keeps
    PROJECTION_RELATIVE_GAP. Vectorised: every slope over every pair at once."""
    codes: dict[tuple, int] = {}
    kept = [(combo, codes.setdefault((type(r).__name__, r), len(codes))) for combo, (ok, r) in zip(combos, results) if ok]
    if not kept:
        return None
    x = np.array([float(c[0]) for c, _ in kept])
    y = np.array([float(c[1]) for c, _ in kept])
    code = np.array([k for _, k in kept])
    relative = np.concatenate([_relative_gaps(x, y, code, np.array(SLOPES[start:start + 32]))
                               for start in range(0, len(SLOPES), 32)])
    best = int(np.argmax(relative))
    return SLOPES[best] if relative[best] >= PROJECTION_RELATIVE_GAP else None


def _relative_gaps(x: np.ndarray, y: np.ndarray, code: np.ndarray, slopes: np.ndarray) -> np.ndarray:
    """Per slope: the smallest gap between points of different result on ``x + c y``
    over the largest |z|, or -1 where two points with different results meet."""
    z = np.round(x[None, :] + slopes[:, None] * y[None, :], 12)
    order = np.argsort(z, axis=1, kind="stable")
    step = np.diff(np.take_along_axis(z, order, axis=1), axis=1)
    differs = np.diff(code[order], axis=1) != 0
    # Points with equal z lie side by side once sorted, so a clash shows as a
    # change of result across a step of zero.
    clash = np.any(differs & (step == 0), axis=1)
    gaps = np.where(differs, step, np.inf).min(axis=1)
    relative = gaps / np.maximum(np.abs(z).max(axis=1), 1e-300)
    relative[clash] = -1.0
    return relative


def _projection_on(coefficients: tuple[float, ...], combos: list[tuple], results: list[tuple[bool, Any]]
                   ) -> tuple[float, dict[float, Any]] | None:
    """(relative gap, result by z) when ``fn`` factors through ``z = sum c_i x_i``
    with every change of result at least PROJECTION_RELATIVE_GAP apart, else None."""
    by_z: dict[float, Any] = {}
    for combo, (ok, result) in zip(combos, results):
        if not ok:
            continue
        z = round(sum(c * float(x) for c, x in zip(coefficients, combo)), 12)
        key = (type(result).__name__, result)
        if z in by_z and by_z[z][0] != key:
            return None
        by_z[z] = (key, result)
    if not by_z:
        return None
    points = sorted(by_z)
    magnitude = max(abs(p) for p in points) or 1.0
    # Only where the result changes must the points be apart; inside a run of
    # equal results its two ends suffice (the function is flat between them).
    runs: list[list[float]] = []
    for z in points:
        if runs and by_z[runs[-1][0]][0] == by_z[z][0]:
            runs[-1].append(z)
        else:
            runs.append([z])
    changes = [b[0] - a[-1] for a, b in zip(runs, runs[1:])]
    relative = min(changes, default=math.inf) / magnitude
    if relative < PROJECTION_RELATIVE_GAP:
        return None
    return relative, {z: by_z[run[0]][1] for run in runs for z in {run[0], run[-1]}}


def projected_units(fn, inputs: Sequence[Space], output: Space, label: str
                     ) -> tuple[list[Unit], Margin] | None:
    """All inputs numerical and ``fn`` a function of one projection of them
    (``find_projection``): a staircase on that line with a step only between
    neighbouring runs of different results (flat across each run, however close
    its points lie)."""
    domains = [domain_of(s, label) for s in inputs]
    found = find_projection(fn, [[v for v, _ in d] for d in domains])
    if found is None:
        return None
    coefficients, by_z = found
    noise = sum(abs(c) * max(point_noise([x for _, x in d])) for c, d in zip(coefficients, domains))
    points = sorted(by_z)
    targets = [encode(output, by_z[z], label) for z in points]
    changes = [(b - a, a) for a, b, ta, tb in zip(points, points[1:], targets, targets[1:])
               if not np.array_equal(ta, tb)]
    gap = min((g for g, _ in changes), default=math.inf)
    if noise >= gap / 4:
        return None
    name = " ".join(_signed_term(c, s.name) for c, s in zip(coefficients, inputs))[2:]
    axis = Axis(tuple(inputs), tuple(np.array([c]) for c in coefficients), f"({name})")
    units = staircase_units(axis, points, targets, output)
    # Each step's two ramps rise by 1 over half its gap g, so at z their
    # pre-activations are about 2|z|/g and cancel; every step leaves a few ulps.
    jump = max((float(np.abs(b - a).max()) for a, b in zip(targets, targets[1:])), default=0.0)
    rounding = 2.0 ** -22 * sum(2 * (abs(z) + g) / g for g, z in changes) * max(jump, 1.0)
    return units, Margin(rounding, f"staircase on the projection {name} ({len(units)} units): flat within a "
                                   f"quarter of the smallest gap {gap:.3g} between different results, which "
                                   f"the input noise ({noise:.2g}) stays below; float32 rounding adds at "
                                   f"most {rounding:.2g}")


def _signed_term(coefficient: float, name: str) -> str:
    """``+ x``, ``- x`` or ``+ 0.25 x``: one term of a projection's label."""
    sign = "+ " if coefficient > 0 else "- "
    size = abs(coefficient)
    return sign + (name if size == 1.0 else f"{size:.3g} {name}")
