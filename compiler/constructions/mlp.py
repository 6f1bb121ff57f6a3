"""ReLU MLPs for elementwise RASP operations (``Map`` and ``SequenceMap``).

Every block here is exact on the finite value sets it is given, and sized to the
function rather than to its domain:

* categorical inputs: one hidden unit per *distinct output* (a lookup groups the
  input values that share an output), or, for several inputs, one unit per input
  combination outside the most common output class. Each unit reads its one-hot
  entries with a threshold halfway (``relu(2 * sum - (2k - 1))``), so that noise on
  the inputs' zero entries (below 1/(2k) in all) gives exact zeros, not small
  values; noise delta on the hot entries shows as at most 2 k delta on the
  output's hot entry, which later attention ignores (its penalty tables are zero
  where a hot entry meets a selected key).
* numerical inputs: the finite, sorted value set is the domain. A function is
  either interpolated through its points (one ReLU per change of slope, exact at
  every point) or written as a staircase (two ReLUs per place where the output
  changes, flat within a quarter gap of every point, so input noise up to that
  size changes nothing). The cheaper form that still tolerates the input noise
  (NUMERIC_NOISE_*, CATEGORICAL_NOISE) is used.
* several inputs, some numerical: the cheapest of
  - a sum of one-input parts, when the function is one (numerical output);
  - one projection on which equal results coincide, when the result is a sum of
    parts that are affine in the numerical inputs (a one-hot of ``n - i - 1``
    costs about twice its number of results, not n times i units);
  - a mixed-radix projection on which every combination is a distinct point;
  - one numerical input x and one categorical c with a result that depends on
    ``p(x) + q(c)``, p monotone (``2 w - i`` over a width scratch and indices):
    each change of the result is a ramp pair along x whose threshold is shifted
    per value of c by a bias on c's one-hot (a few units per distinct result);
  - one numerical input x and one categorical c with any result (a comparison
    ``2 w - i - 1 < 0``): along x each value of c steps through its results, and
    the n-th step by the same jump, at every value of c, is one such shifted
    ramp pair (a comparison costs a pair per band of gap sizes, not units per
    value of c);
  - all inputs numerical and the result a function of one +-1 projection of
    them (``a - b`` for an equality of two widths): a staircase there, with steps
    only between runs of different results;
  - per value of the categorical inputs, the function of the numerical ones,
    switched off for the other values.
  Rounding bounds within a factor of 4 of the best option's count as one order;
  among those, the fewest units win.
  Two inputs as dense as selector-width scratches (values 1/(w+1)) cannot share
  a mixed-radix projection in float32: that is a CompileError saying to decode
  them first (the lowering does so before it gets here).
* a one-hot written from a number uses the flat staircase wherever it is robust,
  not the interpolation: attention reads one-hots through penalty tables of size
  T, and an off-entry that moves with the input's noise moves a score by T times
  that noise (enough to bias a mean in its fourth digit); flat steps keep the
  off-entries at the float32 rounding of their pair.

A float32 note: a unit's pre-activation is rounded relative to its size, so a
staircase on points z with gap g is good to about 2^-22 |z| / g of a step. Each
margin states that estimate; interpolation ramps open towards the side where they
stay small for the same reason.
The position-0 (BOS) convention: each block also reads the ``bos`` direction with
a negative weight on every hidden unit large enough to switch every unit off there,
and has no output bias, so that what a block writes at BOS is exactly zero. Readers
(attention keys and values) rely on s-op spaces being zero at BOS.

``Margin.value`` of an MLP bounds its output error for inputs within the noise its
reason states: the exact-arithmetic error (0 for lookups and staircases, slope
times noise for interpolation) plus the float32 rounding estimate.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from compiler.constructions.blocks import BOS, MLPBlock, Margin, Space, Value
from compiler.errors import CompileError
from rasp.errors import RaspEvaluationError, RaspTypeError
from runtime.model import CATEGORICAL, NUMERICAL

# Failures of a map's function on a value, Python's or the language's own (an index
# that is not an integer), mean "this value never reaches the map at run time" (the
# interpreter would fail there): value sets may hold more than the program can
# reach, and such points are free.
_DONT_CARE = (ArithmeticError, TypeError, ValueError, KeyError, IndexError, AttributeError,
              RaspTypeError, RaspEvaluationError)

# Noise a numerical input may carry at value x: NUMERIC_NOISE_RELATIVE * |x| plus
# NUMERIC_NOISE_ABSOLUTE * (the largest magnitude in its set). Means are exact up
# to the attention leak (at most 1e-9 of their range, 1e-6 in all) and float32
# rounding (a few 1e-8 relative); a selector-width scratch is a softmax weight,
# correct to a few ulps. These bounds leave room for a chain of operations.
NUMERIC_NOISE_RELATIVE = 1e-6
NUMERIC_NOISE_ABSOLUTE = 1e-8

# Noise a categorical input may carry on each zero entry of its one-hot: heads
# leak below 1e-9, lookups write exact zeros, and decoders of numbers (selector
# width, numerical-to-categorical maps) round to about 1e-5 in float32.
CATEGORICAL_NOISE = 2e-5

# Largest error, in exact arithmetic under that noise, that an interpolation may
# show before the flat staircase is used instead: relative to the output's
# magnitude (at least 1) for numbers, absolute for one-hot coordinates.
INTERPOLATION_TOLERANCE = 1e-5

# Smallest gap between the points of a numerical domain, relative to their largest
# magnitude, that float32 arithmetic (24-bit significand) still resolves.
MIN_RELATIVE_GAP = 2.0 ** -18


def point_noise(values: Sequence[float]) -> list[float]:
    """The deviation a numerical input may carry at each of its values."""
    scale = max((abs(v) for v in values), default=1.0)
    return [NUMERIC_NOISE_RELATIVE * abs(v) + NUMERIC_NOISE_ABSOLUTE * scale for v in values]


# ------------------------------------------------------------------ units

@dataclass(frozen=True)
class _Unit:
    """One hidden unit: ``relu(sum_i x_i . weights[i] + bias)`` times ``out``."""

    weights: tuple[np.ndarray, ...]
    bias: float
    out: np.ndarray
    label: str


def _constant_unit(inputs: Sequence[Space], out: np.ndarray, label: str) -> _Unit:
    """A unit that is 1 at every real position (0 at BOS, through the gate)."""
    return _Unit(tuple(np.zeros(s.width) for s in inputs), 1.0, out, label)


def _gate(units: Sequence[_Unit], inputs: Sequence[Space]) -> np.ndarray:
    """Per unit, a BOS weight that switches the unit off at position 0 whatever
    valid encoding (zero, a one-hot, a value of its set) the inputs hold there."""
    magnitudes = [max((abs(float(v)) for v in space.values), default=1.0) * 1.01
                  if space.encoding == NUMERICAL else 0.0 for space in inputs]
    gates = np.zeros(len(units))
    for h, unit in enumerate(units):
        most = unit.bias
        for space, w, magnitude in zip(inputs, unit.weights, magnitudes):
            if space.encoding == CATEGORICAL:
                most += max(0.0, float(np.max(w)) if w.size else 0.0)
            else:
                most += float(np.abs(w).max()) * magnitude
        gates[h] = -(max(most, 0.0) + 1.0)
    return gates


def _block(units: Sequence[_Unit], inputs: Sequence[Space], output: Space, label: str) -> MLPBlock:
    """Stack the units into an MLPBlock that also reads BOS (the gate)."""
    if not units:  # the constant-zero function: one idle unit keeps shapes valid
        units = [_Unit(tuple(np.zeros(s.width) for s in inputs), 0.0, np.zeros(output.width),
                       f"{output.name} = 0 (idle)")]
    w_in = tuple(np.stack([u.weights[i] for u in units], axis=1).astype(np.float64)
                 for i in range(len(inputs)))
    gate = _gate(units, inputs)[None, :]
    return MLPBlock(
        inputs=tuple(inputs) + (BOS,),
        w_in=w_in + (gate,),
        b_in=np.array([u.bias for u in units], dtype=np.float64),
        w_out=np.stack([u.out for u in units], axis=0).astype(np.float64),
        b_out=np.zeros(output.width),
        output=output,
        neuron_labels=tuple(u.label for u in units),
        label=label,
    )


# --------------------------------------------------------------- encoding

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, bool)) and not (isinstance(value, float) and math.isnan(value))


def encode(space: Space, value: Value, label: str) -> np.ndarray:
    """The residual vector of ``value`` in ``space``; CompileError if it has none."""
    if space.encoding == CATEGORICAL:
        try:
            vector = np.zeros(space.width)
            vector[space.index_of(value)] = 1.0
            return vector
        except KeyError:
            shown = ", ".join(repr(v) for v in space.values)
            raise CompileError(f"{label}: value {value!r} is not among the values of "
                               f"{space.name} ({shown})") from None
    if not _is_number(value):
        raise CompileError(f"{label}: {space.name} is numerical but gets the non-number {value!r}")
    return np.array([float(value)])


def numeric_values(space: Space, label: str) -> list[float]:
    """A numerical space's finite value set as sorted floats."""
    if not space.values:
        raise CompileError(f"{label}: {space.name} has no finite value set, so no exact MLP can read it")
    if not all(_is_number(v) for v in space.values):
        raise CompileError(f"{label}: {space.name} is numerical but holds non-numbers {space.values}")
    return sorted({float(v) for v in space.values})


def _apply(fn: Callable, args: tuple) -> tuple[bool, Any]:
    try:
        return True, fn(*args)
    except _DONT_CARE:
        return False, None


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else f"{value}"


# ------------------------------------------------- categorical lookups

def _value_classes(inputs: Sequence[Space], table: dict[tuple, np.ndarray]) -> list[list[list[int]]]:
    """Per input, its value indices grouped where the function cannot tell them
    apart: swapping one for another never changes the output, whatever the other
    inputs hold. (Merging within each input separately is sound: two swaps in two
    inputs are two steps that each keep the output.)"""
    widths = [space.width for space in inputs]
    found = []
    for i in range(len(inputs)):
        others = [range(w) for j, w in enumerate(widths) if j != i]
        signatures: dict[bytes, list[int]] = {}
        for value in range(widths[i]):
            signature = b"".join(table[rest[:i] + (value,) + rest[i:]].tobytes()
                                 for rest in itertools.product(*others))
            signatures.setdefault(signature, []).append(value)
        found.append(list(signatures.values()))
    return found


def _lookup_units(inputs: Sequence[Space], table: dict[tuple, np.ndarray], output: Space,
                  names: Sequence[str]) -> list[_Unit]:
    """Units for a function of categorical inputs given by ``table`` (every
    combination of input value indices -> output vector). The values of each input
    that the function cannot tell apart are read together (the sum of their
    one-hot entries); then one unit per combination of such groups outside the
    largest class of equal outputs, and that class from a constant unit minus the
    others (exact: every unit is exactly 0 or 1). ``x == "x" and y == "x" ? a : b``
    over two 11-valued inputs needs 2 x 2 groups, not 121 combinations."""
    k = len(inputs)
    groups = _value_classes(inputs, table)
    reduced = {combo: table[tuple(group[0] for group in (groups[i][c] for i, c in enumerate(combo)))]
               for combo in itertools.product(*(range(len(g)) for g in groups))}
    classes: dict[bytes, list[tuple]] = {}
    for combo, vector in reduced.items():
        classes.setdefault(vector.tobytes(), []).append(combo)
    vectors = {key: reduced[combos[0]] for key, combos in classes.items()}
    zero = np.zeros(output.width).tobytes()
    # The class served by the constant unit: the largest, unless a zero class
    # (which needs no unit at all) is at least as large.
    largest = max(classes, key=lambda key: (len(classes[key]), key == zero))
    base = zero if (zero in classes and len(classes[zero]) + 1 >= len(classes[largest])) else largest
    units: list[_Unit] = []
    if base != zero:
        units.append(_constant_unit(inputs, vectors[base].copy(), f"otherwise -> {output.name} = "
                                    f"{_describe_out(output, vectors[base])}"))
    for key, combos in classes.items():
        if key == base:
            continue
        for combo in combos:
            weights = []
            conditions = []
            for i, (name, space) in enumerate(zip(names, inputs)):
                members = groups[i][combo[i]]
                w = np.zeros(space.width)
                w[members] = 2.0
                weights.append(w)
                if len(members) < space.width:
                    conditions.append(_membership(name, space, members))
            condition = " and ".join(conditions) or "always"
            units.append(_Unit(tuple(weights), -(2.0 * k - 1.0), vectors[key] - vectors[base],
                               f"{condition} -> {output.name} = {_describe_out(output, vectors[key])}"))
    return units


def _membership(name: str, space: Space, members: list[int]) -> str:
    """``x == 'a'`` or ``x in {'a', 'b'}``: a unit's condition on one input."""
    shown = [_show(space.values[i]) for i in members]
    return f"{name} == {shown[0]}" if len(shown) == 1 else f"{name} in {{{', '.join(shown)}}}"


def _describe_out(output: Space, vector: np.ndarray) -> str:
    if output.encoding == NUMERICAL:
        return f"{float(vector[0]):g}"
    hot = np.flatnonzero(vector > 0.5)
    return _show(output.values[hot[0]]) if hot.size == 1 else "?"


def _grouped_lookup_units(space: Space, outputs: dict[int, np.ndarray], output: Space) -> list[_Unit]:
    """One categorical input: one unit per distinct nonzero output, reading the sum
    of the one-hot entries of every input value with that output."""
    classes: dict[bytes, list[int]] = {}
    for index, vector in outputs.items():
        classes.setdefault(vector.tobytes(), []).append(index)
    units = []
    for key, indices in classes.items():
        vector = outputs[indices[0]]
        if not np.any(vector):
            continue
        w = np.zeros(space.width)
        w[indices] = 2.0
        shown = ", ".join(_show(space.values[i]) for i in indices)
        condition = (f"{space.name} == {shown}" if len(indices) == 1 else f"{space.name} in {{{shown}}}")
        units.append(_Unit((w,), -1.0, vector.copy(),
                           f"{condition} -> {output.name} = {_describe_out(output, vector)}"))
    return units


# ------------------------------------------------ one-dimensional domains

@dataclass(frozen=True)
class _Axis:
    """A projection ``z = sum_i x_i . coefficients[i]`` of the inputs onto a line."""

    inputs: tuple[Space, ...]
    coefficients: tuple[np.ndarray, ...]
    name: str


def _ramp(axis: _Axis, slope: float, knot: float, out: np.ndarray, label: str) -> _Unit:
    """``relu(slope * (z - knot))`` (a negative slope ramps the other way)."""
    return _Unit(tuple(c * slope for c in axis.coefficients), -slope * knot, out, label)


def _staircase_units(axis: _Axis, points: list[float], targets: list[np.ndarray],
                     output: Space) -> list[_Unit]:
    """Flat steps between consecutive points where the output changes.

    Each step rises over the middle half of its gap, so the function is exactly
    constant within a quarter gap of every point. The pair of ReLUs of a step is
    placed on the side of the domain where it is active over the shorter stretch,
    which keeps the float32 cancellation between the two ReLUs small.
    """
    units: list[_Unit] = []
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
        units.insert(0, _constant_unit(axis.inputs, constant, f"{output.name} base "
                                       f"{_describe_out(output, constant) if output.encoding == CATEGORICAL else ''}"
                                       .rstrip()))
    return units


def _interpolation_units(axis: _Axis, points: list[float], targets: list[np.ndarray],
                         output: Space) -> list[_Unit]:
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
    units: list[_Unit] = []
    if np.any(constant):
        units.append(_constant_unit(axis.inputs, constant.copy(), f"{output.name} base"))
    for knot, change in ramps:
        sign = 1.0 if direction == "rise" else -1.0
        relation = ">" if direction == "rise" else "<"
        units.append(_ramp(axis, sign, knot, change.copy(), f"{axis.name} {relation} {knot:.6g} slope change"))
    return units


def _numeric_units(axis: _Axis, points: list[float], targets: list[np.ndarray | None], output: Space,
                   noise: Sequence[float], label: str, form: str = "auto") -> tuple[list[_Unit], Margin]:
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
    stairs = _staircase_units(axis, points, targets, output) if form != "interpolation" or single else []
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


def _domain(space: Space, label: str) -> list[tuple[Any, float]]:
    """(value, coordinate) pairs: a categorical value's coordinate is its index; a
    numerical one's is itself (one representative per distinct number)."""
    if space.encoding == CATEGORICAL:
        return [(v, float(i)) for i, v in enumerate(space.values)]
    numeric_values(space, label)  # checks the set is finite and numeric
    firsts: dict[float, Any] = {}
    for v in space.values:
        firsts.setdefault(float(v), v)
    return [(firsts[c], c) for c in sorted(firsts)]


def _axis_for(inputs: Sequence[Space], names: Sequence[str], label: str
              ) -> tuple[_Axis, list[tuple[tuple, float, float]]]:
    """A projection of the inputs on which every combination of their values is a
    distinct point (a mixed radix: the finest input first), and for each
    combination (its values, its point, the noise the point inherits from numerical
    inputs). A list, not a dict by values: ``-1`` and ``-1.0`` are two values of a
    categorical space (two directions) that a dict would take for one."""
    domains = [_domain(space, label) for space in inputs]
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
    return _Axis(tuple(inputs), coefficients, name), points


def _relative_gap(domain: list[tuple[Any, float]]) -> float:
    codes = sorted(c for _, c in domain)
    if len(codes) < 2:
        return math.inf
    gap = min(b - a for a, b in zip(codes, codes[1:]))
    return gap / max(1e-300, codes[-1] - codes[0])


def _function_on_axis(fn, inputs: Sequence[Space], output: Space, label: str, form: str = "auto"
                      ) -> tuple[list[_Unit], Margin]:
    """``fn`` of the inputs, built along one projection of them."""
    axis, points = _axis_for(inputs, [s.name for s in inputs], label)
    by_point: dict[float, tuple[np.ndarray | None, float]] = {}
    for combo, z, e in points:
        ok, result = _apply(fn, combo)
        by_point[z] = (encode(output, result, label) if ok else None, e)
    ordered = sorted(by_point)
    return _numeric_units(axis, ordered, [by_point[z][0] for z in ordered], output,
                          [by_point[z][1] for z in ordered], label, form)


def function_on_points(input: Space, points: Sequence[float], targets: Sequence[Value], output: Space,
                       noise: Sequence[float], label: str, form: str = "auto") -> tuple[MLPBlock, Margin]:
    """An MLP from a numerical ``input`` known to lie within ``noise[i]`` of one of
    ``points`` (sorted) to ``targets[i]`` encoded in ``output``: a staircase or an
    interpolation (``form``: "auto", "staircase" or "interpolation")."""
    source = Space(input.name, NUMERICAL, tuple(points))
    axis = _Axis((source,), (np.ones(1),), input.name)
    vectors = [encode(output, t, label) for t in targets]
    units, margin = _numeric_units(axis, list(points), vectors, output, list(noise), label, form)
    return _block(units, (source,), output, label), margin


# ---------------------------------------------------------- mixed inputs

_ADDITIVE_CACHE: dict[tuple, Any] = {}


def _additive_parts(fn, inputs: Sequence[Space], label: str):
    """Cached per (function, input spaces): several constructions ask the same
    question of one map, and the check enumerates every combination."""
    key = (id(fn), tuple(inputs))
    if key not in _ADDITIVE_CACHE or _ADDITIVE_CACHE[key][0] is not fn:
        if len(_ADDITIVE_CACHE) > 64:
            _ADDITIVE_CACHE.clear()
        _ADDITIVE_CACHE[key] = (fn, _additive_parts_uncached(fn, inputs, label))
    return _ADDITIVE_CACHE[key][1]


def _additive_parts_uncached(fn, inputs: Sequence[Space], label: str):
    """``fn = origin + sum_i part_i(x_i)`` on every combination (checked
    exhaustively; free combinations are skipped): (origin, parts, domains), or None."""
    domains = [_domain(s, label) for s in inputs]
    base = tuple(d[0][0] for d in domains)
    ok, origin = _apply(fn, base)
    if not ok and len(inputs) == 2:
        return _additive_pair_on_possible(fn, domains)
    if not ok or not _is_number(origin):
        return None
    parts: list[dict[Any, float]] = []
    for i, domain in enumerate(domains):
        part = {}
        for value, _ in domain:
            ok, result = _apply(fn, base[:i] + (value,) + base[i + 1:])
            if not ok or not _is_number(result):
                return None
            part[value] = float(result) - float(origin)
        parts.append(part)
    for combo in itertools.product(*domains):
        args = tuple(v for v, _ in combo)
        ok, result = _apply(fn, args)
        if not ok:
            continue
        if not _is_number(result):
            return None
        predicted = float(origin) + sum(p[v] for p, v in zip(parts, args))
        if abs(predicted - float(result)) > 1e-9 * max(1.0, abs(float(result))):
            return None
    return float(origin), parts, domains


def _additive_pair_on_possible(fn, domains: list[list[tuple[Any, float]]]):
    """``fn(a, b) = part_a(a) + part_b(b)`` where only some pairs can occur (the
    others free: a width at a position is at most the position plus one): the
    parts follow from the possible pairs, walking from pair to pair that shares a
    value, then every possible pair is checked. (0, parts, domains), or None."""
    results: dict[tuple[int, int], float] = {}
    for (ia, (a, _)), (ib, (b, _)) in itertools.product(enumerate(domains[0]), enumerate(domains[1])):
        ok, result = _apply(fn, (a, b))
        if not ok:
            continue
        if not _is_number(result):
            return None
        results[(ia, ib)] = float(result)
    if not results:
        return None
    partners: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for ia, ib in results:
        partners.setdefault((0, ia), []).append((1, ib))
        partners.setdefault((1, ib), []).append((0, ia))
    found: dict[tuple[int, int], float] = {}
    for start in partners:
        if start in found:
            continue
        found[start] = 0.0
        waiting = [start]
        while waiting:
            side, k = waiting.pop()
            for other in partners[(side, k)]:
                if other not in found:
                    pair = (k, other[1]) if side == 0 else (other[1], k)
                    found[other] = results[pair] - found[(side, k)]
                    waiting.append(other)
    for (ia, ib), result in results.items():
        if abs(found[(0, ia)] + found[(1, ib)] - result) > 1e-9 * max(1.0, abs(result)):
            return None
    parts = [{value: found.get((side, k), 0.0) for k, (value, _) in enumerate(domain)}
             for side, domain in enumerate(domains)]
    return 0.0, parts, domains


def _collapsed_units(fn, inputs: Sequence[Space], output: Space, label: str
                     ) -> tuple[list[_Unit], Margin] | None:
    """A categorical output of a numeric-valued ``fn = origin + sum_i part_i(x_i)``
    whose numerical parts are affine: the projection ``z = sum_i part_i`` is linear
    in the residual (categorical parts are free weights on the one-hot), and every
    combination with the same result lands on the same point, so the function is
    built on the few distinct results only (``n - i - 1`` over (length, indices):
    about 2 max_len points instead of max_len^2 combinations)."""
    found = _additive_parts(fn, inputs, label)
    if found is None:
        return None
    origin, parts, domains = found
    coefficients = []
    noise = 0.0
    for space, part, domain in zip(inputs, parts, domains):
        if space.encoding == CATEGORICAL:
            weights = np.array([part[v] for v, _ in domain])
            coefficients.append(weights)
            noise += CATEGORICAL_NOISE * float(np.abs(weights - weights.min()).sum())
        else:
            xs = [c for _, c in domain]
            if len(xs) > 1:
                slope = (part[domain[-1][0]] - part[domain[0][0]]) / (xs[-1] - xs[0])
            else:
                slope = 0.0
            if any(abs(part[v] - slope * (c - xs[0])) > 1e-9 * max(1.0, abs(part[v])) for v, c in domain):
                return None
            coefficients.append(np.array([slope]))
            noise += abs(slope) * max(point_noise(xs))
    # The residual reads z = sum_i part_i + offset: a numerical part is
    # slope * (x - x_first), and the weights see slope * x.
    offset = sum(c[0] * domain[0][1] for c, space, domain in zip(coefficients, inputs, domains)
                 if space.encoding == NUMERICAL)
    values: dict[float, np.ndarray] = {}
    for combo in itertools.product(*domains):
        args = tuple(v for v, _ in combo)
        ok, result = _apply(fn, args)
        if not ok:
            continue
        z = round(sum(p[v] for p, v in zip(parts, args)) + offset, 9)
        vector = encode(output, result, label)
        if z in values and not np.array_equal(values[z], vector):
            return None
        values[z] = vector
    if not values:
        return None
    axis = _Axis(tuple(inputs), tuple(coefficients), f"({' + '.join(s.name for s in inputs)}) part sum")
    points = sorted(values)
    units, margin = _numeric_units(axis, points, [values[z] for z in points], output, [noise] * len(points),
                                   label)
    return units, Margin(margin.value, f"one projection collapsing equal results; {margin.reason}")


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
    results = [_apply(fn, combo) for combo in combos]
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


def _projected_units(fn, inputs: Sequence[Space], output: Space, label: str
                     ) -> tuple[list[_Unit], Margin] | None:
    """All inputs numerical and ``fn`` a function of one projection of them
    (``find_projection``): a staircase on that line with a step only between
    neighbouring runs of different results (flat across each run, however close
    its points lie)."""
    domains = [_domain(s, label) for s in inputs]
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
    axis = _Axis(tuple(inputs), tuple(np.array([c]) for c in coefficients), f"({name})")
    units = _staircase_units(axis, points, targets, output)
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


def _shifted_steps(xi: int, categories: int, gaps: dict[int, tuple[float, float]], delta: np.ndarray,
                   axis: tuple[float, float, float], label: str) -> tuple[list[_Unit], float]:
    """Units adding ``delta`` once y (``sign * x``, running from ``low`` to ``high``)
    passes a threshold that depends on the category: for category k, anywhere in
    the gap ``gaps[k]`` between two points of y (categories absent from ``gaps``
    never step). Categories whose gaps are of similar size (within a factor of 4)
    share a ramp pair, shifted per category through the one-hot, whose slope rises
    over half the smallest of those gaps: a steep pair only where the gaps are
    narrow, so that float32 rounds small pre-activations elsewhere. Also gives the
    largest pre-activation a pair reaches (its float32 rounding)."""
    low, high, sign = axis
    ci = 1 - xi
    groups: dict[int, list[int]] = {}
    for k, (below, above) in gaps.items():
        groups.setdefault(math.floor(math.log(above - below, 4)), []).append(k)
    units: list[_Unit] = []
    stretch = 0.0
    for members in groups.values():
        slope = 2.0 / min(gaps[k][1] - gaps[k][0] for k in members)
        centres = {k: sum(gaps[k]) / 2 for k in members}
        falling = max(c - low for c in centres.values()) < max(high - c for c in centres.values())
        # Off everywhere for the categories outside the group.
        biases = np.full(categories, slope * low - 1.0 if falling else -slope * high - 1.0)
        for k, centre in centres.items():
            if falling:  # relu(s (t - y) + 1/2): [y < centre]
                biases[k] = slope * centre + 0.5
                stretch = max(stretch, slope * (centre - low) + 0.5)
            else:  # relu(s (y - t) + 1/2): [y > centre]
                biases[k] = -slope * centre + 0.5
                stretch = max(stretch, slope * (high - centre) + 0.5)
        direction = -sign if falling else sign
        for offset, out, part in ((0.0, 1.0, "rise"), (-1.0, -1.0, "cap")):
            weights = [None, None]
            weights[xi] = np.array([slope * direction])
            weights[ci] = biases + offset
            units.append(_Unit(tuple(weights), 0.0, (-out if falling else out) * delta,
                               f"{label} ({part}{', falling' if falling else ''})"))
        if falling:  # [y > t] = 1 - [y < t] for the group's categories
            chosen = np.zeros(categories)
            chosen[members] = 1.0
            weights = [None, None]
            weights[xi], weights[ci] = np.zeros(1), chosen
            units.append(_Unit(tuple(weights), 0.0, delta.copy(), f"{label} (base)"))
    return units, stretch


def _by_category(units: list[_Unit], xi: int, category: Space, label: str) -> list[_Unit]:
    """``units`` with those that read the category alone (0/1 weights on its
    one-hot, none on x, no bias: each adds its vector for some categories) replaced
    by one unit per distinct sum they give a category: the "always" and "base"
    parts of many shifted steps are one function of the category."""
    ci = 1 - xi
    alone, kept = [], []
    for u in units:
        reads_category_alone = (u.bias == 0 and not np.any(u.weights[xi])
                                and np.all((u.weights[ci] == 0) | (u.weights[ci] == 1)))
        (alone if reads_category_alone else kept).append(u)
    if len(alone) < 2:
        return units
    sums = [sum((u.out for u in alone if u.weights[ci][k] == 1), np.zeros_like(alone[0].out))
            for k in range(category.width)]
    classes: dict[bytes, list[int]] = {}
    for k, vector in enumerate(sums):
        if np.any(vector):
            classes.setdefault(vector.tobytes(), []).append(k)
    if len(classes) >= len(alone):
        return units
    merged = []
    for members in classes.values():
        weights = [None, None]
        weights[xi], weights[ci] = np.zeros(1), np.zeros(category.width)
        weights[ci][members] = 1.0
        merged.append(_Unit(tuple(weights), 0.0, sums[members[0]],
                            f"{label}: {_membership(category.name, category, members)}"))
    return kept + merged


def _shifted_threshold_units(fn, inputs: Sequence[Space], output: Space, label: str
                             ) -> tuple[list[_Unit], Margin] | None:
    """One numerical input x and one categorical input c, with a numeric-valued
    ``fn = g(p(x) + q(c))`` where p is strictly monotone (a decoded width, ``2w - i``):
    the result changes only where ``u = p(x) + q(c)`` crosses a level L, and
    ``u > L`` is ``x`` beyond a threshold that depends on c alone. So each change of
    the result is a pair of ramps along x, shifted per value of c through the
    one-hot (a bias per value); values of c whose thresholds sit in gaps of very
    different sizes get separate pairs (a few per change), so that each pair is
    only as steep as its own gaps need: a few units per distinct result, whatever
    the sizes of the two domains.

    Margin: every ramp pair rises over half of the smallest gap around any of its
    thresholds, centred in the gap, so input noise below a quarter of that gap
    changes nothing; float32 rounds a pre-activation of size up to ``s * reach``
    (s the pair's slope, reach how far it stays active), which the reason states."""
    kinds = [s.encoding for s in inputs]
    if sorted(kinds) != [CATEGORICAL, NUMERICAL]:
        return None
    found = _additive_parts(fn, inputs, label)
    if found is None:
        return None
    _, parts, domains = found
    xi = kinds.index(NUMERICAL)
    ci = 1 - xi
    xs = [c for _, c in domains[xi]]
    px = [parts[xi][v] for v, _ in domains[xi]]
    if len(xs) < 2:
        return None
    rising = all(b > a for a, b in zip(px, px[1:]))
    if not rising and not all(b < a for a, b in zip(px, px[1:])):
        return None
    sign = 1.0 if rising else -1.0
    ys = [sign * x for x in xs]  # ascending along which p increases
    if not rising:
        ys, px = ys[::-1], px[::-1]
    categories = [v for v, _ in domains[ci]]
    levels: dict[float, np.ndarray] = {}
    for c in categories:
        for x_value, _ in domains[xi]:
            args = [None, None]
            args[xi], args[ci] = x_value, c
            ok, result = _apply(fn, tuple(args))
            if not ok:
                continue
            u = round(parts[xi][x_value] + parts[ci][c], 9)
            vector = encode(output, result, label)
            if u in levels and not np.array_equal(levels[u], vector):
                return None
            levels[u] = vector
    if not levels:
        return None
    us = sorted(levels)
    changes = [((a + b) / 2, levels[b] - levels[a]) for a, b in zip(us, us[1:])
               if not np.array_equal(levels[a], levels[b])]
    noise = max(point_noise(xs))
    # For each change and category: the gap of y (index j: between ys[j], ys[j+1])
    # where p + q crosses the level, or -1 (always above) / len (never).
    crossings = []
    smallest = math.inf
    for level, delta in changes:
        row = []
        for c in categories:
            q = parts[ci][c]
            j = sum(1 for p in px if p + q < level) - 1
            if 0 <= j < len(ys) - 1:
                smallest = min(smallest, ys[j + 1] - ys[j])
            row.append(j)
        crossings.append((level, delta, row))
    if noise >= smallest / 4:
        return None
    low, high = ys[0], ys[-1]
    units: list[_Unit] = []
    constant = levels[us[0]].copy()
    stretch = 0.0
    for level, delta, row in crossings:
        always = np.zeros(len(categories))
        gaps: dict[int, tuple[float, float]] = {}
        for k, j in enumerate(row):
            if j < 0:  # u > L for every x: a unit reading the category alone
                always[k] = 1.0
            elif j < len(ys) - 1:
                gaps[k] = (ys[j], ys[j + 1])
        if np.any(always):
            weights = [None, None]
            weights[xi], weights[ci] = np.zeros(1), always
            units.append(_Unit(tuple(weights), 0.0, delta.copy(), f"{label}: p + q > {level:.6g} (always)"))
        steps, steep = _shifted_steps(xi, len(categories), gaps, delta, (low, high, sign),
                                      f"{label}: p + q > {level:.6g}")
        units += steps
        stretch = max(stretch, steep)
    units = _by_category(units, xi, inputs[ci], label)
    if np.any(constant):
        units.insert(0, _constant_unit(inputs, constant, f"{output.name} base"))
    rounding = 2.0 ** -23 * 4 * max(stretch, 1.0) * max((float(np.abs(d).max()) for _, d in changes), default=1.0)
    return units, Margin(rounding, f"{len(changes)} level crossings of p({inputs[xi].name}) + "
                                   f"q({inputs[ci].name}), each a ramp pair shifted per value "
                                   f"({len(units)} units); flat within a quarter of the smallest gap "
                                   f"{smallest:.3g} (input noise {noise:.2g}); float32 rounding of "
                                   f"pre-activations up to {stretch:.3g} adds at most {rounding:.2g}")


def _step_track_units(fn, inputs: Sequence[Space], output: Space, label: str
                      ) -> tuple[list[_Unit], Margin] | None:
    """One numerical input x and one categorical input c, with any ``fn`` (a test
    of a decoded width against the position, ``2w - i - 1 < 0``): along x, for each
    value of c, the result is a sequence of steps. The k-th step by the same jump of
    the output, at every value of c, is one track: a ramp pair along x shifted per
    value of c (``_shifted_steps``), so a comparison costs a pair or two however
    many positions there are. Each distinct result at the smallest x is a unit
    reading c alone. Combinations ``fn`` cannot take (a width above the position)
    are free: a step may sit anywhere between the points around it.

    Margin as ``_shifted_threshold_units``: flat within a quarter of the smallest
    gap a step sits in, plus the float32 rounding of the largest pre-activation."""
    kinds = [s.encoding for s in inputs]
    if sorted(kinds) != [CATEGORICAL, NUMERICAL]:
        return None
    xi = kinds.index(NUMERICAL)
    ci = 1 - xi
    points = _domain(inputs[xi], label)
    xs = [x for _, x in points]
    categories = [v for v, _ in _domain(inputs[ci], label)]
    starts: dict[int, np.ndarray] = {}
    tracks: dict[tuple[bytes, int], tuple[np.ndarray, dict[int, tuple[float, float]]]] = {}
    smallest = math.inf
    for k, category in enumerate(categories):
        previous: tuple[float, np.ndarray] | None = None
        repeats: dict[bytes, int] = {}
        for value, x in points:
            args = [None, None]
            args[xi], args[ci] = value, category
            ok, result = _apply(fn, tuple(args))
            if not ok:
                continue
            vector = encode(output, result, label)
            if previous is None:
                starts[k] = vector
            elif not np.array_equal(vector, previous[1]):
                delta = vector - previous[1]
                nth = repeats.get(delta.tobytes(), 0)
                repeats[delta.tobytes()] = nth + 1
                tracks.setdefault((delta.tobytes(), nth), (delta, {}))[1][k] = (previous[0], x)
                smallest = min(smallest, x - previous[0])
            previous = (x, vector)
    noise = max(point_noise(xs)) if xs else 0.0
    if not tracks or noise >= smallest / 4:
        return None
    by_start: dict[bytes, list[int]] = {}
    for k, vector in starts.items():
        by_start.setdefault(vector.tobytes(), []).append(k)
    common = starts[max(by_start.values(), key=len)[0]]
    units: list[_Unit] = [_constant_unit(inputs, common, f"{output.name} base")] if np.any(common) else []
    for members in by_start.values():
        if np.array_equal(starts[members[0]], common):
            continue
        chosen = np.zeros(len(categories))
        chosen[members] = 1.0
        weights = [None, None]
        weights[xi], weights[ci] = np.zeros(1), chosen
        units.append(_Unit(tuple(weights), 0.0, starts[members[0]] - common,
                           f"{label}: start at {_describe_out(output, starts[members[0]])}"))
    stretch = 0.0
    for number, (delta, gaps) in enumerate(tracks.values()):
        steps, steep = _shifted_steps(xi, len(categories), gaps, delta, (xs[0], xs[-1], 1.0),
                                      f"{label}: step {number + 1} of {len(tracks)} along {inputs[xi].name}")
        units += steps
        stretch = max(stretch, steep)
    units = _by_category(units, xi, inputs[ci], label)
    jump = max(float(np.abs(delta).max()) for delta, _ in tracks.values())
    rounding = 2.0 ** -23 * 4 * max(stretch, 1.0) * jump
    return units, Margin(rounding, f"{len(tracks)} steps along {inputs[xi].name}, each a ramp pair shifted "
                                   f"per value of {inputs[ci].name} ({len(units)} units); flat within a "
                                   f"quarter of the smallest gap {smallest:.3g} (input noise {noise:.2g}); "
                                   f"float32 rounding of pre-activations up to {stretch:.3g} adds at most "
                                   f"{rounding:.2g}")


def _gated_units(fn, inputs: Sequence[Space], output: Space, label: str) -> tuple[list[_Unit], Margin]:
    """For each combination of the categorical inputs' values, the function of the
    numerical inputs alone, its units switched off (by a large negative weight on
    the combination's one-hot entries) unless that combination is present."""
    numeric = [i for i, s in enumerate(inputs) if s.encoding == NUMERICAL]
    categorical = [i for i, s in enumerate(inputs) if s.encoding == CATEGORICAL]
    numeric_spaces = [inputs[i] for i in numeric]
    numeric_domains = [_domain(s, label) for s in numeric_spaces]
    units: list[_Unit] = []
    worst, reasons = 0.0, set()
    for combo in itertools.product(*(range(inputs[i].width) for i in categorical)):
        fixed = {i: inputs[i].values[k] for i, k in zip(categorical, combo)}

        def partial(*numbers, fixed=fixed):
            args, it = [], iter(numbers)
            for i in range(len(inputs)):
                args.append(fixed[i] if i in fixed else next(it))
            return fn(*args)

        sub_units, margin = _function_on_axis(partial, numeric_spaces, output, label)
        worst = max(worst, margin.value)
        reasons.add(margin.reason.split(":")[0])
        condition = " and ".join(f"{inputs[i].name} == {_show(fixed[i])}" for i in categorical)
        for unit in sub_units:
            # Off when any categorical input holds another value: a penalty on the
            # other values' entries, so that the chosen combination adds exact zeros.
            most = max(unit.bias + sum(float(w[0]) * c for w, (_, c) in zip(unit.weights, values))
                       for values in itertools.product(*numeric_domains))
            gate = max(most, 0.0) * 1.01 + 1.0
            weights, it = [], iter(unit.weights)
            for i, space in enumerate(inputs):
                if i in fixed:
                    w = np.full(space.width, -gate)
                    w[space.index_of(fixed[i])] = 0.0
                    weights.append(w)
                else:
                    weights.append(next(it))
            units.append(_Unit(tuple(weights), unit.bias, unit.out, f"when {condition}: {unit.label}"))
    return units, Margin(worst, f"per value of the categorical inputs, {'; '.join(sorted(reasons))}; "
                                f"other values switch the units off")


def _separable_units(fn, inputs: Sequence[Space], output: Space, label: str
                     ) -> tuple[list[_Unit], Margin] | None:
    """Units for ``fn = c + g_1(x_1) + ... + g_k(x_k)`` when that decomposition holds
    on every combination (checked exhaustively), else None."""
    found = _additive_parts(fn, inputs, label)
    if found is None:
        return None
    origin, parts, domains = found
    units: list[_Unit] = []
    constant = float(origin)
    worst = 0.0
    for i, space in enumerate(inputs):
        if space.encoding == CATEGORICAL:
            # Shift by the most common value (into the constant): it needs no unit.
            values = list(parts[i].values())
            common = max(set(values), key=values.count)
            constant += common
            shifted = {k: np.array([parts[i][v] - common]) for k, v in enumerate(space.values)}
            sub_units = _grouped_lookup_units(space, shifted, output)
        else:
            # Measure the part from whichever end lets it need no constant unit.
            part = parts[i]
            firsts = [part[v] for v, _ in domains[i]]
            best = None
            for end in (firsts[0], firsts[-1]):
                built = _function_on_axis(lambda v, part=part, end=end: part[v] - end, (space,), output, label)
                if best is None or (len(built[0]), built[1].value) < (len(best[1][0]), best[1][1].value):
                    best = (end, built)
            end, (sub_units, margin) = best
            constant += end
            worst = max(worst, margin.value)
        for unit in sub_units:
            weights = tuple(unit.weights[0] if j == i else np.zeros(s.width) for j, s in enumerate(inputs))
            units.append(_Unit(weights, unit.bias, unit.out, f"{unit.label} (term of {output.name})"))
    if constant != 0.0:
        units.insert(0, _constant_unit(inputs, np.array([constant]), f"{output.name} base {constant:g}"))
    return units, Margin(worst, f"sum of {len(inputs)} one-input parts ({len(units)} units), each exact on "
                                f"its values")


# ---------------------------------------------------------------- public

def map_mlp(fn: Callable[[Any], Value], input: Space, output: Space, label: str) -> tuple[MLPBlock, Margin]:
    """An MLP computing ``fn`` elementwise from ``input`` into ``output``.

    Categorical input: one unit per distinct nonzero output vector (the input
    values sharing it are summed), ``relu(2 * sum - 1)``: zero entries stay exactly
    zero while the input's zero entries sum to less than 1/2. Numerical input: the
    sorted value set is the domain; see the module docstring for staircase vs
    interpolation. A conversion between encodings is ``map_mlp`` with the identity.

    Raises CompileError naming ``label`` when the input has no finite value set or
    ``fn`` gives a value that ``output`` cannot hold.
    """
    if input.encoding == CATEGORICAL:
        outputs = {}
        for index, value in enumerate(input.values):
            ok, result = _apply(fn, (value,))
            if ok:
                outputs[index] = encode(output, result, label)
        units = _grouped_lookup_units(input, outputs, output)
        margin = Margin(0.0, f"lookup on {input.name} ({input.width} values, {len(units)} units): "
                             f"exact zeros while the input's zero entries sum below 1/2; "
                             f"the hot entry moves by at most twice the input's")
        return _block(units, (input,), output, label), margin
    units, margin = _function_on_axis(fn, (input,), output, label)
    return _block(units, (input,), output, label), margin


def sequence_map_mlp(fn: Callable[..., Value], inputs: tuple[Space, ...], output: Space,
                     label: str) -> tuple[MLPBlock, Margin]:
    """An MLP computing ``fn(x_1, ..., x_k)`` elementwise.

    A numerical output that is a sum of functions of each input (checked on every
    combination) becomes one part per input. Otherwise, all inputs categorical:
    one unit per combination of input values outside the largest class of equal
    outputs, each ``relu(2 * (x_1[a] + ... + x_k[z]) - (2k - 1))`` (exactly 0 while
    the read entries are off by less than 1/(2k) in all). With a numerical input,
    the cheaper of: a mixed-radix projection placing every combination on one
    line (a staircase or interpolation there), steps along the one numerical
    input shared by every value of the categorical one (``_step_track_units``),
    or, per value of the categorical inputs, the function of the numerical ones,
    switched off for other values.
    """
    inputs = tuple(inputs)
    if len(inputs) == 1:
        return map_mlp(fn, inputs[0], output, label)
    options: list[tuple[list[_Unit], Margin]] = []
    if output.encoding == NUMERICAL:
        separable = _separable_units(fn, inputs, output, label)
        if separable is not None:
            options.append(separable)
    else:
        for build in (_collapsed_units, _shifted_threshold_units):
            try:
                found = build(fn, inputs, output, label)
            except CompileError:
                found = None
            if found is not None:
                options.append(found)
    # Steps shared across categories compete with a function per category; an
    # additive structure's levels align the same steps at least as well.
    stepped = None if options or output.encoding == NUMERICAL else _step_track_units(fn, inputs, output, label)
    if all(s.encoding == NUMERICAL for s in inputs):
        try:
            projected = _projected_units(fn, inputs, output, label)
        except CompileError:
            projected = None
        if projected is not None:
            options.append(projected)
    if options:
        pass  # an additive structure is never beaten by tables of combinations
    elif all(s.encoding == CATEGORICAL for s in inputs):
        options.append(_combination_units(fn, inputs, output, label))
    else:
        failures = []
        if stepped is not None:
            options.append(stepped)
        for build in (_function_on_axis, _gated_units):
            if build is _gated_units and all(s.encoding == NUMERICAL for s in inputs):
                continue
            try:
                options.append(build(fn, inputs, output, label))
            except CompileError as failure:
                failures.append(failure)
        if not options:
            raise failures[0]
    scale = 1.0 if output.encoding == CATEGORICAL else max(1.0, max(
        (float(np.abs(u.out).max()) for o in options for u in o[0]), default=1.0))
    # Rounding bounds within a factor of 4 of the best are of one order; then the
    # fewest units.
    best = min(option[1].value for option in options)
    accurate = [o for o in options if o[1].value <= max(INTERPOLATION_TOLERANCE * scale, 4 * best)]
    units, margin = min(accurate, key=lambda option: len(option[0]))
    return _block(units, inputs, output, label), margin


def _combination_units(fn, inputs: Sequence[Space], output: Space, label: str) -> tuple[list[_Unit], Margin]:
    """All inputs categorical: one unit per combination outside the largest class."""
    table = {}
    for combo in itertools.product(*(range(s.width) for s in inputs)):
        ok, result = _apply(fn, tuple(s.values[i] for s, i in zip(inputs, combo)))
        table[combo] = encode(output, result, label) if ok else None
    filled = {c: v for c, v in table.items() if v is not None}
    free = [c for c, v in table.items() if v is None]
    if free and filled:  # free combinations join the largest class at no cost
        counts: dict[bytes, int] = {}
        for v in filled.values():
            counts[v.tobytes()] = counts.get(v.tobytes(), 0) + 1
        common = max(counts, key=counts.get)
        vector = next(v for v in filled.values() if v.tobytes() == common)
        for c in free:
            filled[c] = vector
    units = _lookup_units(inputs, filled, output, [s.name for s in inputs])
    k = len(inputs)
    return units, Margin(0.0, f"lookup over {len(filled)} combinations ({len(units)} units): exact zeros "
                              f"while the read entries are off by less than {1 / (2 * k):.3g} in all")
