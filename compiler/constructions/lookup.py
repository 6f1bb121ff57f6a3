"""Lookup tables: MLPs for functions of categorical inputs only.

One hidden unit per *distinct output* (a lookup groups the input values that share
an output), or, for several inputs, one unit per input combination outside the
most common output class. Each unit reads its one-hot entries with a threshold
halfway (``relu(2 * sum - (2k - 1))``), so that noise on the inputs' zero entries
(below 1/(2k) in all) gives exact zeros, not small values; noise delta on the hot
entries shows as at most 2 k delta on the output's hot entry, which later
attention ignores (its penalty tables are zero where a hot entry meets a selected
key).
"""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

from compiler.constructions.blocks import Margin, Space
from compiler.constructions.encoding import encode, show, try_apply
from compiler.constructions.units import Unit, constant_unit, describe_out, membership


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


def lookup_units(inputs: Sequence[Space], table: dict[tuple, np.ndarray], output: Space,
                 names: Sequence[str]) -> list[Unit]:
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
    units: list[Unit] = []
    if base != zero:
        units.append(constant_unit(inputs, vectors[base].copy(), f"otherwise -> {output.name} = "
                                   f"{describe_out(output, vectors[base])}"))
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
                    conditions.append(membership(name, space, members))
            condition = " and ".join(conditions) or "always"
            units.append(Unit(tuple(weights), -(2.0 * k - 1.0), vectors[key] - vectors[base],
                              f"{condition} -> {output.name} = {describe_out(output, vectors[key])}"))
    return units


def grouped_lookup_units(space: Space, outputs: dict[int, np.ndarray], output: Space) -> list[Unit]:
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
        shown = ", ".join(show(space.values[i]) for i in indices)
        condition = (f"{space.name} == {shown}" if len(indices) == 1 else f"{space.name} in {{{shown}}}")
        units.append(Unit((w,), -1.0, vector.copy(),
                          f"{condition} -> {output.name} = {describe_out(output, vector)}"))
    return units


def combination_units(fn, inputs: Sequence[Space], output: Space, label: str) -> tuple[list[Unit], Margin]:
    """All inputs categorical: one unit per combination outside the largest class."""
    table = {}
    for combo in itertools.product(*(range(s.width) for s in inputs)):
        ok, result = try_apply(fn, tuple(s.values[i] for s, i in zip(inputs, combo)))
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
    units = lookup_units(inputs, filled, output, [s.name for s in inputs])
    k = len(inputs)
    return units, Margin(0.0, f"lookup over {len(filled)} combinations ({len(units)} units): exact zeros "
                              f"while the read entries are off by less than {1 / (2 * k):.3g} in all")
