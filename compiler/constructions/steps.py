"""One numerical input x and one categorical input c: steps along x whose
thresholds are shifted per value of c.

* ``shifted_threshold_units``: a result that depends on ``p(x) + q(c)``, p
  monotone (``2 w - i`` over a width scratch and indices): each change of the
  result is a ramp pair along x whose threshold is shifted per value of c by a
  bias on c's one-hot (a few units per distinct result);
* ``step_track_units``: any result (a comparison ``2 w - i - 1 < 0``): along x
  each value of c steps through its results, and the n-th step by the same jump,
  at every value of c, is one such shifted ramp pair (a comparison costs a pair
  per band of gap sizes, not units per value of c).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from compiler.constructions.additive import additive_parts
from compiler.constructions.blocks import Margin, Space
from compiler.constructions.encoding import domain_of, encode, point_noise, try_apply
from compiler.constructions.units import Unit, constant_unit, describe_out, membership
from runtime.model import CATEGORICAL, NUMERICAL


def _shifted_steps(xi: int, categories: int, gaps: dict[int, tuple[float, float]], delta: np.ndarray,
                   axis: tuple[float, float, float], label: str) -> tuple[list[Unit], float]:
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
    units: list[Unit] = []
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
            units.append(Unit(tuple(weights), 0.0, (-out if falling else out) * delta,
                              f"{label} ({part}{', falling' if falling else ''})"))
        if falling:  # [y > t] = 1 - [y < t] for the group's categories
            chosen = np.zeros(categories)
            chosen[members] = 1.0
            weights = [None, None]
            weights[xi], weights[ci] = np.zeros(1), chosen
            units.append(Unit(tuple(weights), 0.0, delta.copy(), f"{label} (base)"))
    return units, stretch


def _by_category(units: list[Unit], xi: int, category: Space, label: str) -> list[Unit]:
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
        merged.append(Unit(tuple(weights), 0.0, sums[members[0]],
                           f"{label}: {membership(category.name, category, members)}"))
    return kept + merged


def shifted_threshold_units(fn, inputs: Sequence[Space], output: Space, label: str
                             ) -> tuple[list[Unit], Margin] | None:
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
    found = additive_parts(fn, inputs, label)
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
            ok, result = try_apply(fn, tuple(args))
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
    units: list[Unit] = []
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
            units.append(Unit(tuple(weights), 0.0, delta.copy(), f"{label}: p + q > {level:.6g} (always)"))
        steps, steep = _shifted_steps(xi, len(categories), gaps, delta, (low, high, sign),
                                      f"{label}: p + q > {level:.6g}")
        units += steps
        stretch = max(stretch, steep)
    units = _by_category(units, xi, inputs[ci], label)
    if np.any(constant):
        units.insert(0, constant_unit(inputs, constant, f"{output.name} base"))
    rounding = 2.0 ** -23 * 4 * max(stretch, 1.0) * max((float(np.abs(d).max()) for _, d in changes), default=1.0)
    return units, Margin(rounding, f"{len(changes)} level crossings of p({inputs[xi].name}) + "
                                   f"q({inputs[ci].name}), each a ramp pair shifted per value "
                                   f"({len(units)} units); flat within a quarter of the smallest gap "
                                   f"{smallest:.3g} (input noise {noise:.2g}); float32 rounding of "
                                   f"pre-activations up to {stretch:.3g} adds at most {rounding:.2g}")


def step_track_units(fn, inputs: Sequence[Space], output: Space, label: str
                      ) -> tuple[list[Unit], Margin] | None:
    """One numerical input x and one categorical input c, with any ``fn`` (a test
    of a decoded width against the position, ``2w - i - 1 < 0``): along x, for each
    value of c, the result is a sequence of steps. The k-th step by the same jump of
    the output, at every value of c, is one track: a ramp pair along x shifted per
    value of c (``_shifted_steps``), so a comparison costs a pair or two however
    many positions there are. Each distinct result at the smallest x is a unit
    reading c alone. Combinations ``fn`` cannot take (a width above the position)
    are free: a step may sit anywhere between the points around it.

    Margin as ``shifted_threshold_units``: flat within a quarter of the smallest
    gap a step sits in, plus the float32 rounding of the largest pre-activation."""
    kinds = [s.encoding for s in inputs]
    if sorted(kinds) != [CATEGORICAL, NUMERICAL]:
        return None
    xi = kinds.index(NUMERICAL)
    ci = 1 - xi
    points = domain_of(inputs[xi], label)
    xs = [x for _, x in points]
    categories = [v for v, _ in domain_of(inputs[ci], label)]
    starts: dict[int, np.ndarray] = {}
    tracks: dict[tuple[bytes, int], tuple[np.ndarray, dict[int, tuple[float, float]]]] = {}
    smallest = math.inf
    for k, category in enumerate(categories):
        previous: tuple[float, np.ndarray] | None = None
        repeats: dict[bytes, int] = {}
        for value, x in points:
            args = [None, None]
            args[xi], args[ci] = value, category
            ok, result = try_apply(fn, tuple(args))
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
    units: list[Unit] = [constant_unit(inputs, common, f"{output.name} base")] if np.any(common) else []
    for members in by_start.values():
        if np.array_equal(starts[members[0]], common):
            continue
        chosen = np.zeros(len(categories))
        chosen[members] = 1.0
        weights = [None, None]
        weights[xi], weights[ci] = np.zeros(1), chosen
        units.append(Unit(tuple(weights), 0.0, starts[members[0]] - common,
                          f"{label}: start at {describe_out(output, starts[members[0]])}"))
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
