"""Numerical MLPs along one axis: staircases and interpolations.

The finite, sorted value set of a numerical input (or of a projection of several
inputs onto one line, ``Axis``) is the domain. A function is either interpolated
through its points (one ReLU per change of slope, exact at every point) or
written as a staircase (two ReLUs per place where the output changes, flat within
a quarter gap of every point, so input noise up to that size changes nothing). The
cheaper form that still tolerates the input noise (``encoding.NUMERIC_NOISE_*``,
``encoding.CATEGORICAL_NOISE``) is used.

A one-hot written from a number uses the flat staircase wherever it is robust, not
the interpolation: attention reads one-hots through penalty tables of size T, and
an off-entry that moves with the input's noise moves a score by T times that noise
(enough to bias a mean in its fourth digit); flat steps keep the off-entries at the
float32 rounding of their pair.

A float32 note: a unit's pre-activation is rounded relative to its size, so a
staircase on points z with gap g is good to about 2^-22 |z| / g of a step. Each
margin states that estimate; interpolation ramps open towards the side where they
stay small for the same reason.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from compiler.constructions.blocks import MLPBlock, Margin, Space, Value
from compiler.constructions.encoding import (CATEGORICAL_NOISE, INTERPOLATION_TOLERANCE, MIN_RELATIVE_GAP,
                                             domain_of, encode, point_noise, try_apply)
from compiler.constructions.units import Unit, constant_unit, describe_out, mlp_block
from compiler.errors import CompileError
from runtime.model import CATEGORICAL, NUMERICAL


@dataclass(frozen=True)
class Axis:
    """A projection ``z = sum_i x_i . coefficients[i]`` of the inputs onto a line."""

    inputs: tuple[Space, ...]
    coefficients: tuple[np.ndarray, ...]
    name: str


def _ramp(axis: Axis, slope: float, knot: float, out: np.ndarray, label: str) -> Unit:
    """``relu(slope * (z - knot))`` (a negative slope ramps the other way)."""
    return Unit(tuple(c * slope for c in axis.coefficients), -slope * knot, out, label)


def staircase_units(axis: Axis, points: list[float], targets: list[np.ndarray],
                    output: Space) -> list[Unit]:
    """Flat steps between consecutive points where the output changes.

    Each step rises over the middle half of its gap, so the function is exactly
    constant within a quarter gap of every point. The pair of ReLUs of a step is
    placed on the side of the domain where it is active over the shorter stretch,
    which keeps the float32 cancellation between the two ReLUs small.
    """
    units: list[Unit] = []
    constant = targets[0].copy()
    low, high = points[0], points[-1]
    for b in range(len(points) - 1):
        delta = targets[b + 1] - targets[b]
        if not np.any(delta):
            continue
        gap = points[b + 1] - points[b]
        t_lo, t_hi = points[b] + gap / 4, points[b] + 3 * gap / 4
        slope = 1.0 / (t_hi - t_lo)
        where = f"{axis.name} > {(points[b] + points[b + 1]) / 2:.6g}"
        if high - t_lo <= t_hi - low:  # rising pair, active above the step
            units.append(_ramp(axis, slope, t_lo, delta.copy(), f"{where} step (rise)"))
            units.append(_ramp(axis, slope, t_hi, -delta, f"{where} step (cap)"))
        else:  # falling pair, active below the step: 1 - [z < t]
            units.append(_ramp(axis, -slope, t_hi, -delta, f"{where} step (fall)"))
            units.append(_ramp(axis, -slope, t_lo, delta.copy(), f"{where} step (floor)"))
            constant += delta
    if np.any(constant):
        units.insert(0, constant_unit(axis.inputs, constant, f"{output.name} base "
                                      f"{describe_out(output, constant) if output.encoding == CATEGORICAL else ''}"
                                      .rstrip()))
    return units


def _interpolation_units(axis: Axis, points: list[float], targets: list[np.ndarray],
                         output: Space) -> list[Unit]:
    """The piecewise-linear function through every point: one ReLU per point where
    the slope changes. Ramps open towards whichever end needs no constant (or, if
    both do, towards the end with fewer changes)."""
    slopes = [(targets[i + 1] - targets[i]) / (points[i + 1] - points[i]) for i in range(len(points) - 1)]
    scale = max(1.0, max(float(np.abs(t).max()) for t in targets))

    def rising() -> tuple[np.ndarray, list[tuple[float, np.ndarray]]]:
        ramps, previous = [], np.zeros_like(targets[0])
        for i, slope in enumerate(slopes):
            change = slope - previous
            if np.abs(change).max() * (points[-1] - points[0]) > 1e-12 * scale:
                ramps.append((points[i], change))
            previous = slope
        return targets[0], ramps

    def falling() -> tuple[np.ndarray, list[tuple[float, np.ndarray]]]:
        ramps, previous = [], np.zeros_like(targets[0])
        for i in range(len(slopes) - 1, -1, -1):
            change = previous - slopes[i]  # coefficient of relu(points[i+1] - z)
            if np.abs(change).max() * (points[-1] - points[0]) > 1e-12 * scale:
                ramps.append((points[i + 1], change))
            previous = slopes[i]
        return targets[-1], ramps

    options = []
    for direction, (constant, ramps) in (("rise", rising()), ("fall", falling())):
        # Float32 cancellation grows with the size a ramp reaches over the domain.
        reach = sum(float(np.abs(change).max()) * (points[-1] - knot if direction == "rise" else knot - points[0])
                    for knot, change in ramps)
        options.append((len(ramps) + (1 if np.any(constant) else 0), reach, direction, constant, ramps))
    # A unit more is cheaper than float32 cancellation beyond a millionth.
    tolerance = 2.0 ** 23 * 1e-6 * scale
    _, _, direction, constant, ramps = min(options, key=lambda o: (o[1] > tolerance, o[0], o[1]))
    units: list[Unit] = []
    if np.any(constant):
        units.append(constant_unit(axis.inputs, constant.copy(), f"{output.name} base"))
    for knot, change in ramps:
        sign = 1.0 if direction == "rise" else -1.0
        relation = ">" if direction == "rise" else "<"
        units.append(_ramp(axis, sign, knot, change.copy(), f"{axis.name} {relation} {knot:.6g} slope change"))
    return units


def numeric_units(axis: Axis, points: list[float], targets: list[np.ndarray | None], output: Space,
                  noise: Sequence[float], label: str, form: str = "auto") -> tuple[list[Unit], Margin]:
    """The cheapest exact form of a function on sorted ``points`` of one axis.

    ``noise[i]`` bounds how far the input may lie from ``points[i]``. ``form``
    forces "staircase" or "interpolation"; "auto" interpolates only where that
    noise moves the output by at most INTERPOLATION_TOLERANCE and it costs no more
    units than the staircase."""
    known = [(p, t, e) for p, t, e in zip(points, targets, noise) if t is not None]
    if not known:
        return [], Margin(0.0, f"no value of {axis.name} reaches this map; it writes nothing")
    points = [p for p, _, _ in known]
    targets = [t for _, t, _ in known]
    noise = [e for _, _, e in known]
    gaps = [b - a for a, b in zip(points, points[1:])]
    gap = min(gaps, default=math.inf)
    magnitude = max(abs(p) for p in points)
    if gap < MIN_RELATIVE_GAP * magnitude:
        raise CompileError(f"{label}: the values of {axis.name} are too close together to separate "
                           f"in float32 (gap {gap:.3g} at magnitude {magnitude:.3g}); decode the numerical "
                           f"inputs in an earlier MLP and combine the results")
    # One point is a constant, which only the staircase writes.
    single = len(points) < 2
    stairs = staircase_units(axis, points, targets, output) if form != "interpolation" or single else []
    # Float32 rounds a unit's pre-activation relative to its size: near a point z
    # whose gap is g, about |z| / g steps of the output; 2^-22 of the largest such
    # ratio (times the largest jump) estimates the error.
    jump = max(float(np.abs(b - a).max()) for a, b in zip(targets, targets[1:])) if len(targets) > 1 else 0.0
    rounding = 2.0 ** -22 * max(((abs(z) + g) / g for z, g in zip(points, gaps)), default=1.0) * max(jump, 1.0)
    # A staircase is flat within a quarter gap of each point.
    robust = all(noise[i] < min(gaps[max(i - 1, 0)], gaps[min(i, len(gaps) - 1)]) / 4
                 for i in range(len(points))) if gaps else True
    stair_margin = Margin(rounding, f"staircase on {len(points)} points of {axis.name} ({len(stairs)} units): "
                                    f"exact for input noise below {gap / 4:.3g} (a quarter of the smallest "
                                    f"gap {gap:.3g}); float32 rounding adds at most {rounding:.2g}")
    if form == "staircase" or single:
        return stairs, stair_margin
    interp = _interpolation_units(axis, points, targets, output)
    slopes = [float(np.abs((targets[i + 1] - targets[i]) / gaps[i]).max()) for i in range(len(gaps))]
    error = max(max(slopes[max(i - 1, 0)], slopes[min(i, len(slopes) - 1)]) * noise[i]
                for i in range(len(points)))
    scale = 1.0 if output.encoding == CATEGORICAL else max(1.0, max(float(np.abs(t).max()) for t in targets))
    interp_margin = Margin(error + rounding, f"interpolation through {len(points)} points of {axis.name} "
                                  f"({len(interp)} units): exact at every point; the input noise allowed "
                                  f"moves the output at most {error:.3g} (largest slope {max(slopes):.3g}); "
                                  f"float32 rounding adds at most {rounding:.2g}")
    if form == "interpolation":
        return interp, interp_margin
    fits = error <= INTERPOLATION_TOLERANCE * scale
    if fits and (not robust or (output.encoding != CATEGORICAL and len(interp) <= len(stairs))):
        return interp, interp_margin
    if not robust:
        raise CompileError(f"{label}: the values of {axis.name} are closer together than the noise they "
                           f"may carry (gap {gap:.3g}); no exact MLP reads them")
    return stairs, stair_margin


def _axis_for(inputs: Sequence[Space], names: Sequence[str], label: str
              ) -> tuple[Axis, list[tuple[tuple, float, float]]]:
    """A projection of the inputs on which every combination of their values is a
    distinct point (a mixed radix: the finest input first), and for each
    combination (its values, its point, the noise the point inherits from numerical
    inputs). A list, not a dict by values: ``-1`` and ``-1.0`` are two values of a
    categorical space (two directions) that a dict would take for one."""
    domains = [domain_of(space, label) for space in inputs]
    order = sorted(range(len(inputs)), key=lambda i: _relative_gap(domains[i]))
    scales = [0.0] * len(inputs)
    span_below, target_gap = 0.0, None
    for i in order:
        codes = sorted(c for _, c in domains[i])
        gap_i = min((b - a for a, b in zip(codes, codes[1:])), default=1.0)
        if target_gap is None:
            target_gap, scales[i] = gap_i, 1.0
        else:
            scales[i] = (span_below + target_gap) / gap_i
        span_below += scales[i] * (codes[-1] - codes[0])
    noises = []
    for space, domain in zip(inputs, domains):
        codes = [c for _, c in domain]
        if space.encoding == NUMERICAL:
            noises.append(dict(zip(codes, point_noise(codes))))
        else:  # every zero entry off by CATEGORICAL_NOISE, weighted by its code
            noises.append({c: CATEGORICAL_NOISE * sum(abs(other - c) for other in codes) for c in codes})
    coefficients = tuple(scales[i] * np.arange(space.width, dtype=np.float64) if space.encoding == CATEGORICAL
                         else np.array([scales[i]]) for i, space in enumerate(inputs))
    points: list[tuple[tuple, float, float]] = []
    for combo in itertools.product(*domains):
        z = sum(scales[i] * c for i, (_, c) in enumerate(combo))
        e = sum(scales[i] * noises[i][c] for i, (_, c) in enumerate(combo))
        points.append((tuple(v for v, _ in combo), z, e))
    name = names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"
    return Axis(tuple(inputs), coefficients, name), points


def _relative_gap(domain: list[tuple[Any, float]]) -> float:
    codes = sorted(c for _, c in domain)
    if len(codes) < 2:
        return math.inf
    gap = min(b - a for a, b in zip(codes, codes[1:]))
    return gap / max(1e-300, codes[-1] - codes[0])


def function_on_axis(fn, inputs: Sequence[Space], output: Space, label: str, form: str = "auto"
                      ) -> tuple[list[Unit], Margin]:
    """``fn`` of the inputs, built along one projection of them."""
    axis, points = _axis_for(inputs, [s.name for s in inputs], label)
    by_point: dict[float, tuple[np.ndarray | None, float]] = {}
    for combo, z, e in points:
        ok, result = try_apply(fn, combo)
        by_point[z] = (encode(output, result, label) if ok else None, e)
    ordered = sorted(by_point)
    return numeric_units(axis, ordered, [by_point[z][0] for z in ordered], output,
                         [by_point[z][1] for z in ordered], label, form)


def function_on_points(input: Space, points: Sequence[float], targets: Sequence[Value], output: Space,
                       noise: Sequence[float], label: str, form: str = "auto") -> tuple[MLPBlock, Margin]:
    """An MLP from a numerical ``input`` known to lie within ``noise[i]`` of one of
    ``points`` (sorted) to ``targets[i]`` encoded in ``output``: a staircase or an
    interpolation (``form``: "auto", "staircase" or "interpolation")."""
    source = Space(input.name, NUMERICAL, tuple(points))
    axis = Axis((source,), (np.ones(1),), input.name)
    vectors = [encode(output, t, label) for t in targets]
    units, margin = numeric_units(axis, list(points), vectors, output, list(noise), label, form)
    return mlp_block(units, (source,), output, label), margin
