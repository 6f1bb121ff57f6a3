"""Hidden units, and the MLP block they stack into.

Every MLP construction describes its hidden layer as a list of ``Unit`` records
(what a unit reads, its bias, what it writes, the rule it implements); ``mlp_block``
turns them into the ``MLPBlock`` that assembly places.

The position-0 (BOS) convention: each block also reads the ``bos`` direction with
a negative weight on every hidden unit large enough to switch every unit off there,
and has no output bias, so that what a block writes at BOS is exactly zero. Readers
(attention keys and values) rely on s-op spaces being zero at BOS.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from compiler.constructions.blocks import BOS, MLPBlock, Space
from compiler.constructions.encoding import show
from runtime.model import CATEGORICAL, NUMERICAL


@dataclass(frozen=True)
class Unit:
    """One hidden unit: ``relu(sum_i x_i . weights[i] + bias)`` times ``out``."""

    weights: tuple[np.ndarray, ...]
    bias: float
    out: np.ndarray
    label: str


def constant_unit(inputs: Sequence[Space], out: np.ndarray, label: str) -> Unit:
    """A unit that is 1 at every real position (0 at BOS, through the gate)."""
    return Unit(tuple(np.zeros(s.width) for s in inputs), 1.0, out, label)


def _gate(units: Sequence[Unit], inputs: Sequence[Space], bounds: Sequence[float] | None = None) -> np.ndarray:
    """Per unit, a BOS weight that switches the unit off at position 0 whatever
    valid encoding (zero, a one-hot, a value of its set) the inputs hold there.
    ``bounds``: the largest magnitude of each input where its values are not
    listed."""
    magnitudes = [max((abs(float(v)) for v in space.values), default=1.0 if bounds is None else bounds[k]) * 1.01
                  if space.encoding == NUMERICAL else 0.0 for k, space in enumerate(inputs)]
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


def mlp_block(units: Sequence[Unit], inputs: Sequence[Space], output: Space, label: str,
              bounds: Sequence[float] | None = None) -> MLPBlock:
    """Stack the units into an MLPBlock that also reads BOS (the gate; ``bounds``
    as ``_gate`` takes them)."""
    if not units:  # the constant-zero function: one idle unit keeps shapes valid
        units = [Unit(tuple(np.zeros(s.width) for s in inputs), 0.0, np.zeros(output.width),
                      f"{output.name} = 0 (idle)")]
    w_in = tuple(np.stack([u.weights[i] for u in units], axis=1).astype(np.float64)
                 for i in range(len(inputs)))
    gate = _gate(units, inputs, bounds)[None, :]
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


def membership(name: str, space: Space, members: list[int]) -> str:
    """``x == 'a'`` or ``x in {'a', 'b'}``: a unit's condition on one input."""
    shown = [show(space.values[i]) for i in members]
    return f"{name} == {shown[0]}" if len(shown) == 1 else f"{name} in {{{', '.join(shown)}}}"


def describe_out(output: Space, vector: np.ndarray) -> str:
    if output.encoding == NUMERICAL:
        return f"{float(vector[0]):g}"
    hot = np.flatnonzero(vector > 0.5)
    return show(output.values[hot[0]]) if hot.size == 1 else "?"
