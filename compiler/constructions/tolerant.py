"""Maps built to a declared tolerance (``@tolerance name error;``).

A map of a number that takes too many values to list (a sum of valences over a
sentence) has no exact MLP of a useful size; with a tolerance it is built along
the bounds of its numerical operand instead, per combination of its categorical
operands, and switched off for the other combinations (as ``gated`` does):

* a function affine in its numerical operands (``mean * n`` for each n) is
  exact: one ReLU per operand, opened below the operand's least value;
* a function of one number is interpolated between knots placed adaptively on
  its bounds: a segment is split until the straight line between its ends is
  within half the tolerance of the function at every probe inside it. A jump
  (a sign test, a threshold) is located by bisection and bridged by one ramp
  ``resolution`` wide: inputs within half of that of the jump are the only ones
  off by more than the tolerance.

tracr's numerical MLP discretises the input, one hidden pair per input value it
may meet; here the knots follow the function's curvature, so a smooth function
costs about ``span * sqrt(curvature / (8 * tolerance))`` units whatever the
number of values, and a straight one a single unit.

The margin states the worst error found at the probes of the segments kept
(outside the jump windows), plus a float32 estimate.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from compiler.constructions.blocks import MLPBlock, Margin, Space
from compiler.constructions.encoding import encode, show, try_apply
from compiler.constructions.units import Unit, mlp_block
from compiler.errors import CompileError
from runtime.model import CATEGORICAL, NUMERICAL

#: Probes per segment when checking a straight line against the function.
SEGMENT_PROBES = 17
#: Points of the first scan for jumps.
SCAN_POINTS = 1025
#: Deepest splitting of one piece.
MAX_DEPTH = 40


@dataclass(frozen=True)
class PiecewiseLinear:
    """A function of one number as straight segments between ``knots``, with the
    function's value (an encoded vector) at each; ``jumps``: the centres of the
    windows bridging a jump; ``error``: the largest deviation found outside them."""

    knots: tuple[float, ...]
    targets: tuple[np.ndarray, ...]
    jumps: tuple[float, ...]
    error: float


def fit_piecewise(g: Callable[[float], np.ndarray], low: float, high: float, tolerance: float,
                  resolution: float) -> PiecewiseLinear:
    """Knots on [low, high] within ``tolerance`` of ``g`` (see the module docstring)."""
    if not high > low:
        return PiecewiseLinear((low,), (g(low),), (), 0.0)
    jumps = _jumps(g, low, high, tolerance, resolution)
    pieces, edge = [], low
    for centre in jumps:
        pieces.append((edge, centre - resolution / 2))
        edge = centre + resolution / 2
    pieces.append((edge, high))
    pieces = [part for a, b in pieces for part in _split_at_kinks(g, a, b, tolerance)]
    knots: list[float] = []
    error = 0.0
    for a, b in pieces:
        found, worst = _refine(g, a, b, g(a), g(b), tolerance, resolution, 0)
        knots += found + [b]
        error = max(error, worst)
    knots = sorted(set(knots))
    return PiecewiseLinear(tuple(knots), tuple(g(x) for x in knots), tuple(jumps), error)


def _norm(v: np.ndarray) -> float:
    return float(np.max(np.abs(v))) if v.size else 0.0


def _jumps(g, low: float, high: float, tolerance: float, resolution: float) -> list[float]:
    """Where ``g`` jumps: a step between two scan points that differs by more than
    the tolerance from the steps beside it (a straight or gently curved function
    steps alike), located by bisection to far below ``resolution`` and kept when
    the function still changes by more than the tolerance there."""
    xs = np.linspace(low, high, SCAN_POINTS)
    ys = [g(float(x)) for x in xs]
    steps = [b - a for a, b in zip(ys, ys[1:])]
    found: list[float] = []
    for k, step in enumerate(steps):
        beside = [steps[j] for j in (k - 1, k + 1) if 0 <= j < len(steps)]
        if not beside or _norm(step - sum(beside) / len(beside)) <= tolerance:
            continue
        a, b = float(xs[k]), float(xs[k + 1])
        ya, yb = ys[k], ys[k + 1]
        for _ in range(200):
            mid = (a + b) / 2
            if b - a <= resolution * 1e-6 or mid in (a, b):
                break
            ym = g(mid)
            if _norm(ym - ya) <= _norm(ym - yb):
                a, ya = mid, ym
            else:
                b, yb = mid, ym
        centre = (a + b) / 2
        if _norm(yb - ya) > tolerance and centre - resolution / 2 > low and centre + resolution / 2 < high \
                and (not found or centre - found[-1] > resolution):
            found.append(centre)
    return found


def _split_at_kinks(g, a: float, b: float, tolerance: float) -> list[tuple[float, float]]:
    """[a, b] cut where ``g`` changes slope abruptly (a clip, a max): where the
    lines through the two scan points on either side of a scan point meet, when
    the point lies off both by more than the tolerance. A function straight on
    either side of its kink gets a knot exactly on it."""
    if not b > a:
        return [(a, b)]
    xs = np.linspace(a, b, SCAN_POINTS)
    ys = [g(float(x)) for x in xs]
    cuts = []
    for k in range(2, len(xs) - 2):
        bend = _norm(ys[k - 1] - 2 * ys[k] + ys[k + 1])
        if bend <= tolerance:
            continue
        left = (ys[k - 1] - ys[k - 2]) / (xs[k - 1] - xs[k - 2])
        right = (ys[k + 2] - ys[k + 1]) / (xs[k + 2] - xs[k + 1])
        coordinate = int(np.argmax(np.abs(left - right)))
        if abs(left[coordinate] - right[coordinate]) < 1e-12:
            continue
        # left line through (x[k-1], y[k-1]), right line through (x[k+1], y[k+1])
        x = (ys[k + 1][coordinate] - ys[k - 1][coordinate] + left[coordinate] * xs[k - 1]
             - right[coordinate] * xs[k + 1]) / (left[coordinate] - right[coordinate])
        if xs[k - 1] < x < xs[k + 1] and (not cuts or x > cuts[-1] + 1e-9 * (b - a)):
            cuts.append(float(x))
    edges = [a] + cuts + [b]
    return list(zip(edges, edges[1:]))


def _refine(g, a: float, b: float, ya: np.ndarray, yb: np.ndarray, tolerance: float, resolution: float,
            depth: int) -> tuple[list[float], float]:
    """Knots from ``a`` (included) up to ``b`` (excluded), and the largest deviation
    found at the probes of the segments kept: the segment itself when the line
    between its ends is within half the tolerance at every probe."""
    xs = np.linspace(a, b, SEGMENT_PROBES)[1:-1]
    ys = [g(float(x)) for x in xs]
    worst = max((_norm(y - (ya + (yb - ya) * (x - a) / (b - a))) for x, y in zip(xs, ys)), default=0.0)
    if worst <= tolerance / 2 or depth >= MAX_DEPTH or b - a <= resolution:
        return [a], worst
    mid = (a + b) / 2
    ym = ys[len(ys) // 2] if len(xs) % 2 == 1 else g(mid)
    left, worst_left = _refine(g, a, mid, ya, ym, tolerance, resolution, depth + 1)
    right, worst_right = _refine(g, mid, b, ym, yb, tolerance, resolution, depth + 1)
    return left + right, max(worst_left, worst_right)


def _ramps(pwl: PiecewiseLinear) -> tuple[np.ndarray, list[tuple[float, float, np.ndarray]]]:
    """The interpolation as a constant plus ramps, anchored at the middle knot:
    ``relu(x - k)`` to its right and ``relu(k - x)`` to its left, each
    (direction, knot, coefficient), so that no ramp reaches further than the
    segment of the domain on its side."""
    knots, targets = pwl.knots, pwl.targets
    if len(knots) == 1:
        return targets[0], []
    slopes = [(targets[j + 1] - targets[j]) / (knots[j + 1] - knots[j]) for j in range(len(knots) - 1)]
    c = len(knots) // 2 if len(knots) > 2 else 0
    ramps = []
    previous = np.zeros_like(targets[0])
    for j in range(c, len(knots) - 1):
        ramps.append((1.0, knots[j], slopes[j] - previous))
        previous = slopes[j]
    following = np.zeros_like(targets[0])
    for j in range(c, 0, -1):
        ramps.append((-1.0, knots[j], following - slopes[j - 1]))
        following = slopes[j - 1]
    span = knots[-1] - knots[0]
    scale = max(1.0, max(_norm(t) for t in targets))
    return targets[c], [r for r in ramps if _norm(r[2]) * span > 1e-12 * scale]


def _affine(g, numeric_bounds: list[tuple[float, float]], tolerance: float):
    """(value at the low corner, slope per operand) when ``g`` is affine in its
    numerical operands on a grid of probes within a hundredth of the tolerance,
    else None."""
    lows = [lo for lo, _ in numeric_bounds]
    origin = g(*lows)
    slopes = []
    for k, (lo, hi) in enumerate(numeric_bounds):
        point = list(lows)
        point[k] = hi
        slopes.append((g(*point) - origin) / (hi - lo) if hi > lo else np.zeros_like(origin))
    grids = [np.linspace(lo, hi, 5) for lo, hi in numeric_bounds]
    for point in itertools.product(*grids):
        predicted = origin + sum(s * (x - lo) for s, x, lo in zip(slopes, point, lows))
        if _norm(g(*point) - predicted) > tolerance / 100:
            return None
    return origin, slopes


def tolerant_units(fn, inputs: Sequence[Space], bounds: Sequence[tuple[float, float] | None], output: Space,
                   label: str, tolerance: float, resolution: float) -> tuple[list[Unit], Margin]:
    """The units of ``fn`` to within ``tolerance`` (module docstring); ``bounds``
    gives each numerical input's least and greatest value."""
    numeric = [i for i, s in enumerate(inputs) if s.encoding == NUMERICAL]
    categorical = [i for i, s in enumerate(inputs) if s.encoding == CATEGORICAL]
    if not numeric:
        raise CompileError(f"{label}: a tolerance applies to a map of numbers")
    numeric_bounds = []
    for i in numeric:
        if bounds[i] is None:
            raise CompileError(f"{label}: the bounds of {inputs[i].name} are unknown, so no map can read it")
        numeric_bounds.append(tuple(float(b) for b in bounds[i]))
    units: list[Unit] = []
    worst, jumps, affine_only = 0.0, [], True
    for combo in itertools.product(*(range(inputs[i].width) for i in categorical)):
        fixed = {i: inputs[i].values[k] for i, k in zip(categorical, combo)}

        def g(*numbers, fixed=fixed):
            args, it = [], iter(numbers)
            for i in range(len(inputs)):
                args.append(fixed[i] if i in fixed else next(it))
            ok, result = try_apply(fn, tuple(args))
            return encode(output, result, label) if ok else np.zeros(output.width)

        condition = " and ".join(f"{inputs[i].name} == {show(fixed[i])}" for i in categorical)
        found = _affine(g, numeric_bounds, tolerance)
        if found is not None:
            pieces = _affine_units(found, numeric, numeric_bounds, len(inputs), inputs, output)
        elif len(numeric) == 1:
            lo, hi = numeric_bounds[0]
            pwl = fit_piecewise(lambda x: g(x), lo, hi, tolerance, resolution)
            worst, affine_only = max(worst, pwl.error), False
            jumps += list(pwl.jumps)
            pieces = _piecewise_units(pwl, numeric[0], inputs, output)
        else:
            raise CompileError(f"{label}: with a tolerance, a map reads one number, or is affine in several "
                               f"(this one reads {', '.join(inputs[i].name for i in numeric)})")
        units += _gated(pieces, fixed, inputs, numeric_bounds, numeric, condition)
    span = max(max(abs(lo), abs(hi)) for lo, hi in numeric_bounds)
    rounding = 2.0 ** -22 * max(1.0, span) * max((float(np.abs(u.out).max()) for u in units), default=1.0)
    where = "; exact where affine" if not affine_only else "; affine in its numbers: exact"
    jumps_text = (f", except within {resolution / 2:g} of the jumps at "
                  f"{', '.join(f'{j:.6g}' for j in sorted(set(jumps))[:6])}") if jumps else ""
    reason = (f"tolerance {tolerance:g} on {', '.join(inputs[i].name for i in numeric)} in "
              f"{', '.join(f'[{lo:.6g}, {hi:.6g}]' for lo, hi in numeric_bounds)} ({len(units)} units): "
              f"worst error {worst:.3g}{jumps_text}{where}; float32 rounding adds at most {rounding:.2g}")
    return units, Margin(worst + rounding, reason, (("fit", worst), ("float32 rounding", rounding)))


def _affine_units(found, numeric: list[int], numeric_bounds, n_inputs: int, inputs, output) -> list[Unit]:
    """``origin + sum_k slope_k * (x_k - low_k)``: per operand ``relu(x)`` and
    ``relu(-x)`` where its bounds hold 0 (float32 then rounds relative to x, not to
    the far bound), else one ramp opened a little outside the bound nearer 0."""
    origin, slopes = found
    units = []
    shift = origin.copy()
    for k, (i, (lo, hi)) in enumerate(zip(numeric, numeric_bounds)):
        if not np.any(slopes[k]):
            continue
        margin = max(1.0, abs(lo), abs(hi)) * 1e-3  # input noise stays on the line
        if lo <= 0.0 <= hi:
            sides = [(1.0, 0.0), (-1.0, 0.0)]
        elif lo > 0.0:
            sides = [(1.0, lo - margin)]
        else:
            sides = [(-1.0, hi + margin)]
        for sign, opening in sides:
            weights = [np.zeros(s.width) for s in inputs]
            weights[i] = np.array([sign])
            # sign * relu(sign * (x - opening)) is x - opening on this side
            units.append(Unit(tuple(weights), -sign * opening, sign * slopes[k],
                              f"{inputs[i].name} {'>' if sign > 0 else '<'} {opening:.6g}"))
        shift = shift - slopes[k] * (lo - sides[0][1]) if len(sides) == 1 else shift - slopes[k] * lo
    if np.any(shift):
        units.append(Unit(tuple(np.zeros(s.width) for s in inputs), 1.0, shift, f"{output.name} base"))
    return units


def _piecewise_units(pwl: PiecewiseLinear, i: int, inputs, output) -> list[Unit]:
    constant, ramps = _ramps(pwl)
    units = []
    if np.any(constant):
        units.append(Unit(tuple(np.zeros(s.width) for s in inputs), 1.0, constant.copy(), f"{output.name} base"))
    for direction, knot, change in ramps:
        weights = [np.zeros(s.width) for s in inputs]
        weights[i] = np.array([direction])
        relation = ">" if direction > 0 else "<"
        units.append(Unit(tuple(weights), -direction * knot, change.copy(),
                          f"{inputs[i].name} {relation} {knot:.6g} slope change"))
    return units


def _gated(pieces: list[Unit], fixed: dict, inputs, numeric_bounds, numeric: list[int], condition: str
           ) -> list[Unit]:
    """Each unit switched off unless the categorical inputs hold ``fixed``: it reads
    each such input's entry for its value with weight G and has G less bias, so
    that a missing value takes G off, where G exceeds what the unit reaches over
    the bounds. Only the chosen entries are read (not a penalty on every other
    one), so the noise a one-hot carries moves a unit that is on by G times the
    noise of one entry."""
    if not fixed:
        return pieces
    gated = []
    for unit in pieces:
        corners = itertools.product(*numeric_bounds)
        most = max(unit.bias + sum(float(unit.weights[i][0]) * x for i, x in zip(numeric, corner))
                   for corner in corners)
        gate = max(most, 0.0) * 1.01 + 1.0
        weights = list(unit.weights)
        for i, value in fixed.items():
            w = np.zeros(inputs[i].width)
            w[inputs[i].index_of(value)] = gate
            weights[i] = w
        gated.append(Unit(tuple(weights), unit.bias - gate * len(fixed), unit.out, f"when {condition}: {unit.label}"))
    return gated


def tolerant_mlp(fn, inputs: Sequence[Space], bounds, output: Space, label: str, tolerance: float,
                 resolution: float) -> tuple[MLPBlock, Margin]:
    """``tolerant_units`` as a block (its BOS gate sized by the bounds)."""
    units, margin = tolerant_units(fn, inputs, bounds, output, label, tolerance, resolution)
    magnitudes = [max(abs(b[0]), abs(b[1])) if b is not None else 1.0 for b in bounds]
    return mlp_block(units, inputs, output, label, magnitudes), margin
