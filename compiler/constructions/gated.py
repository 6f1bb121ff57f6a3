"""Numerical and categorical inputs, with no structure to exploit: per value of
the categorical inputs, the function of the numerical ones, switched off for the
other values."""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

from compiler.constructions.axis import function_on_axis
from compiler.constructions.blocks import Margin, Space
from compiler.constructions.encoding import domain_of, show
from compiler.constructions.units import Unit
from runtime.model import CATEGORICAL, NUMERICAL


def gated_units(fn, inputs: Sequence[Space], output: Space, label: str) -> tuple[list[Unit], Margin]:
    """For each combination of the categorical inputs' values, the function of the
    numerical inputs alone, its units switched off (by a large negative weight on
    the combination's one-hot entries) unless that combination is present."""
    numeric = [i for i, s in enumerate(inputs) if s.encoding == NUMERICAL]
    categorical = [i for i, s in enumerate(inputs) if s.encoding == CATEGORICAL]
    numeric_spaces = [inputs[i] for i in numeric]
    numeric_domains = [domain_of(s, label) for s in numeric_spaces]
    units: list[Unit] = []
    worst, reasons = 0.0, set()
    for combo in itertools.product(*(range(inputs[i].width) for i in categorical)):
        fixed = {i: inputs[i].values[k] for i, k in zip(categorical, combo)}

        def partial(*numbers, fixed=fixed):
            args, it = [], iter(numbers)
            for i in range(len(inputs)):
                args.append(fixed[i] if i in fixed else next(it))
            return fn(*args)

        sub_units, margin = function_on_axis(partial, numeric_spaces, output, label)
        worst = max(worst, margin.value)
        reasons.add(margin.reason.split(":")[0])
        condition = " and ".join(f"{inputs[i].name} == {show(fixed[i])}" for i in categorical)
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
            units.append(Unit(tuple(weights), unit.bias, unit.out, f"when {condition}: {unit.label}"))
    return units, Margin(worst, f"per value of the categorical inputs, {'; '.join(sorted(reasons))}; "
                                f"other values switch the units off")
