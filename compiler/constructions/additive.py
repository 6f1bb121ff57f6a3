"""Functions of several inputs that are sums of one-input parts.

``additive_parts`` finds ``fn = origin + sum_i part_i(x_i)`` (checked on every
combination the inputs can take). Two constructions use it:

* ``separable_units``: a numerical result built as one part per input (a lookup
  for a categorical input, a function along its axis for a numerical one);
* ``collapsed_units``: a categorical result whose numerical parts are affine, so
  that the sum of the parts is one projection of the residual on which equal
  results coincide (a one-hot of ``n - i - 1`` costs about twice its number of
  results, not n times i units).
"""
from __future__ import annotations

import itertools
from typing import Any, Sequence

import numpy as np

from compiler.constructions.axis import Axis, function_on_axis, numeric_units
from compiler.constructions.blocks import Margin, Space
from compiler.constructions.encoding import CATEGORICAL_NOISE, domain_of, encode, is_number, point_noise, try_apply
from compiler.constructions.lookup import grouped_lookup_units
from compiler.constructions.units import Unit, constant_unit
from runtime.model import CATEGORICAL, NUMERICAL


_ADDITIVE_CACHE: dict[tuple, Any] = {}


def additive_parts(fn, inputs: Sequence[Space], label: str):
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
    domains = [domain_of(s, label) for s in inputs]
    base = tuple(d[0][0] for d in domains)
    ok, origin = try_apply(fn, base)
    if not ok and len(inputs) == 2:
        return _additive_pair_on_possible(fn, domains)
    if not ok or not is_number(origin):
        return None
    parts: list[dict[Any, float]] = []
    for i, domain in enumerate(domains):
        part = {}
        for value, _ in domain:
            ok, result = try_apply(fn, base[:i] + (value,) + base[i + 1:])
            if not ok or not is_number(result):
                return None
            part[value] = float(result) - float(origin)
        parts.append(part)
    for combo in itertools.product(*domains):
        args = tuple(v for v, _ in combo)
        ok, result = try_apply(fn, args)
        if not ok:
            continue
        if not is_number(result):
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
        ok, result = try_apply(fn, (a, b))
        if not ok:
            continue
        if not is_number(result):
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


def collapsed_units(fn, inputs: Sequence[Space], output: Space, label: str
                     ) -> tuple[list[Unit], Margin] | None:
    """A categorical output of a numeric-valued ``fn = origin + sum_i part_i(x_i)``
    whose numerical parts are affine: the projection ``z = sum_i part_i`` is linear
    in the residual (categorical parts are free weights on the one-hot), and every
    combination with the same result lands on the same point, so the function is
    built on the few distinct results only (``n - i - 1`` over (length, indices):
    about 2 max_len points instead of max_len^2 combinations)."""
    found = additive_parts(fn, inputs, label)
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
        ok, result = try_apply(fn, args)
        if not ok:
            continue
        z = round(sum(p[v] for p, v in zip(parts, args)) + offset, 9)
        vector = encode(output, result, label)
        if z in values and not np.array_equal(values[z], vector):
            return None
        values[z] = vector
    if not values:
        return None
    axis = Axis(tuple(inputs), tuple(coefficients), f"({' + '.join(s.name for s in inputs)}) part sum")
    points = sorted(values)
    units, margin = numeric_units(axis, points, [values[z] for z in points], output, [noise] * len(points),
                                  label)
    return units, Margin(margin.value, f"one projection collapsing equal results; {margin.reason}")


def separable_units(fn, inputs: Sequence[Space], output: Space, label: str
                     ) -> tuple[list[Unit], Margin] | None:
    """Units for ``fn = c + g_1(x_1) + ... + g_k(x_k)`` when that decomposition holds
    on every combination (checked exhaustively), else None."""
    found = additive_parts(fn, inputs, label)
    if found is None:
        return None
    origin, parts, domains = found
    units: list[Unit] = []
    constant = float(origin)
    worst = 0.0
    for i, space in enumerate(inputs):
        if space.encoding == CATEGORICAL:
            # Shift by the most common value (into the constant): it needs no unit.
            values = list(parts[i].values())
            common = max(set(values), key=values.count)
            constant += common
            shifted = {k: np.array([parts[i][v] - common]) for k, v in enumerate(space.values)}
            sub_units = grouped_lookup_units(space, shifted, output)
        else:
            # Measure the part from whichever end lets it need no constant unit.
            part = parts[i]
            firsts = [part[v] for v, _ in domains[i]]
            best = None
            for end in (firsts[0], firsts[-1]):
                built = function_on_axis(lambda v, part=part, end=end: part[v] - end, (space,), output, label)
                if best is None or (len(built[0]), built[1].value) < (len(best[1][0]), best[1][1].value):
                    best = (end, built)
            end, (sub_units, margin) = best
            constant += end
            worst = max(worst, margin.value)
        for unit in sub_units:
            weights = tuple(unit.weights[0] if j == i else np.zeros(s.width) for j, s in enumerate(inputs))
            units.append(Unit(weights, unit.bias, unit.out, f"{unit.label} (term of {output.name})"))
    if constant != 0.0:
        units.insert(0, constant_unit(inputs, np.array([constant]), f"{output.name} base {constant:g}"))
    return units, Margin(worst, f"sum of {len(inputs)} one-input parts ({len(units)} units), each exact on "
                                f"its values")
