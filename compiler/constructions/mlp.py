"""ReLU MLPs for elementwise RASP operations (``Map`` and ``SequenceMap``): the
entry points, which choose among the constructions.

Every block is exact on the finite value sets it is given, and sized to the
function rather than to its domain:

* categorical inputs: a lookup table (``lookup``), one hidden unit per distinct
  output, or for several inputs one per combination outside the most common
  output class;
* numerical inputs: a staircase or an interpolation along the sorted value set
  (``axis``);
* several inputs, some numerical: the cheapest of
  - a sum of one-input parts, when the function is one (numerical output;
    ``additive.separable_units``);
  - one projection on which equal results coincide, when the result is a sum of
    parts that are affine in the numerical inputs (``additive.collapsed_units``);
  - a mixed-radix projection on which every combination is a distinct point
    (``axis.function_on_axis``);
  - one numerical input x and one categorical c: ramp pairs along x shifted per
    value of c (``steps``);
  - all inputs numerical and the result a function of one +-1 projection of
    them (``projection``);
  - per value of the categorical inputs, the function of the numerical ones,
    switched off for the other values (``gated``).
  Rounding bounds within a factor of 4 of the best option's count as one order;
  among those, the fewest units win.
  Two inputs as dense as selector-width scratches (values 1/(w+1)) cannot share
  a mixed-radix projection in float32: that is a CompileError saying to decode
  them first (the lowering does so before it gets here).

``Margin.value`` of an MLP bounds its output error for inputs within the noise its
reason states (``encoding``): the exact-arithmetic error (0 for lookups and
staircases, slope times noise for interpolation) plus the float32 rounding
estimate.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from compiler.constructions.additive import collapsed_units, separable_units
from compiler.constructions.axis import function_on_axis
from compiler.constructions.blocks import MLPBlock, Margin, Space, Value
from compiler.constructions.encoding import INTERPOLATION_TOLERANCE, encode, try_apply
from compiler.constructions.gated import gated_units
from compiler.constructions.lookup import combination_units, grouped_lookup_units
from compiler.constructions.projection import projected_units
from compiler.constructions.steps import shifted_threshold_units, step_track_units
from compiler.constructions.units import Unit, mlp_block
from compiler.errors import CompileError
from runtime.model import CATEGORICAL, NUMERICAL


def map_mlp(fn: Callable[[Any], Value], input: Space, output: Space, label: str) -> tuple[MLPBlock, Margin]:
    """An MLP computing ``fn`` elementwise from ``input`` into ``output``.

    Categorical input: one unit per distinct nonzero output vector (the input
    values sharing it are summed), ``relu(2 * sum - 1)``: zero entries stay exactly
    zero while the input's zero entries sum to less than 1/2. Numerical input: the
    sorted value set is the domain; see ``axis`` for staircase vs interpolation. A conversion between encodings is ``map_mlp`` with the identity.

    Raises CompileError naming ``label`` when the input has no finite value set or
    ``fn`` gives a value that ``output`` cannot hold.
    """
    if input.encoding == CATEGORICAL:
        outputs = {}
        for index, value in enumerate(input.values):
            ok, result = try_apply(fn, (value,))
            if ok:
                outputs[index] = encode(output, result, label)
        units = grouped_lookup_units(input, outputs, output)
        margin = Margin(0.0, f"lookup on {input.name} ({input.width} values, {len(units)} units): "
                             f"exact zeros while the input's zero entries sum below 1/2; "
                             f"the hot entry moves by at most twice the input's")
        return mlp_block(units, (input,), output, label), margin
    units, margin = function_on_axis(fn, (input,), output, label)
    return mlp_block(units, (input,), output, label), margin


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
    input shared by every value of the categorical one (``step_track_units``),
    or, per value of the categorical inputs, the function of the numerical ones,
    switched off for other values.
    """
    inputs = tuple(inputs)
    if len(inputs) == 1:
        return map_mlp(fn, inputs[0], output, label)
    options: list[tuple[list[Unit], Margin]] = []
    if output.encoding == NUMERICAL:
        separable = separable_units(fn, inputs, output, label)
        if separable is not None:
            options.append(separable)
    else:
        for build in (collapsed_units, shifted_threshold_units):
            try:
                found = build(fn, inputs, output, label)
            except CompileError:
                found = None
            if found is not None:
                options.append(found)
    # Steps shared across categories compete with a function per category; an
    # additive structure's levels align the same steps at least as well.
    stepped = None if options or output.encoding == NUMERICAL else step_track_units(fn, inputs, output, label)
    if all(s.encoding == NUMERICAL for s in inputs):
        try:
            projected = projected_units(fn, inputs, output, label)
        except CompileError:
            projected = None
        if projected is not None:
            options.append(projected)
    if options:
        pass  # an additive structure is never beaten by tables of combinations
    elif all(s.encoding == CATEGORICAL for s in inputs):
        options.append(combination_units(fn, inputs, output, label))
    else:
        failures = []
        if stepped is not None:
            options.append(stepped)
        for build in (function_on_axis, gated_units):
            if build is gated_units and all(s.encoding == NUMERICAL for s in inputs):
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
    return mlp_block(units, inputs, output, label), margin
