"""Reading a model's answer out of its output logits, and comparing it with the reference.

Every place that turns logits into RASP values (``raspc run``, ``raspc verify``, the
benchmark, the fuzzer, the tests) goes through ``decode``, and every place that
checks a model's answer against the interpreter's goes through ``same_output``, so
that all of them agree on what counts as a match.

    >>> import numpy as np
    >>> from runtime.model import CATEGORICAL, ModelConfig
    >>> config = ModelConfig(vocab=("BOS", "a"), max_len=2, d_model=2, d_head=1, n_layers=0,
    ...                      output="out", output_encoding=CATEGORICAL, output_values=(False, True))
    >>> decode(config, np.array([[0.0, 2.0], [3.0, 1.0]])).values
    [True, False]
    >>> same_output([True, 2], [True, 2.00001])
    True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from runtime.model import CATEGORICAL, ModelConfig, Subspace

#: How far a numerical reading may be from the interpreter's number and still match.
TOLERANCE = 1e-4


@dataclass(frozen=True)
class Decoded:
    """The output s-op at each real position of one input.

    ``values``: categorical outputs as the value whose logit is largest, numerical
    ones as the raw reading (a float). ``margins``: for a categorical output, the top
    logit minus the runner-up at each position (how firmly the model decided); None
    for a numerical output."""

    values: list[Any]
    margins: np.ndarray | None

    def rounded(self, integral: bool) -> list[Any]:
        """The values as a person reads them: a numerical output whose every possible
        value is an int shown as ints."""
        if self.margins is not None or not integral:
            return self.values
        return [int(round(v)) for v in self.values]


def decode(config: ModelConfig, logits: np.ndarray) -> Decoded:
    """The output read from output logits (positions, n_outputs) of one input."""
    logits = np.asarray(logits, np.float64)
    if config.output_encoding == CATEGORICAL:
        values = config.output_values
        ordered = np.sort(logits, axis=-1)
        runner_up = ordered[:, -2] if logits.shape[-1] > 1 else 0.0
        return Decoded([values[int(k)] for k in np.argmax(logits, axis=-1)], ordered[:, -1] - runner_up)
    return Decoded([float(v) for v in logits[:, 0]], None)


def decode_batch(config: ModelConfig, logits: np.ndarray, lengths: Sequence[int]) -> list[list[Any]]:
    """Per input, the output values from a batch of logits (batch, positions, n_outputs)
    whose position 0 is BOS; ``lengths`` are the inputs' token counts."""
    logits = np.asarray(logits, np.float64)
    return [decode(config, logits[row, 1:n + 1]).values for row, n in enumerate(lengths)]


def same_value(expected: Any, got: Any, tolerance: float = TOLERANCE) -> bool:
    """One position: categorical values exactly (a bool is not a number, and an int is
    not a string), numbers within ``tolerance``. A raw numerical reading (a float) may
    stand for a boolean s-op that the model encodes as 0/1."""
    numbers = (int, float)
    if isinstance(got, numbers) and isinstance(expected, numbers) and not isinstance(got, bool) \
            and (not isinstance(expected, bool) or isinstance(got, float)):
        return abs(float(got) - float(expected)) <= tolerance
    return type(got) is type(expected) and got == expected


def same_output(expected: Sequence[Any], got: Sequence[Any], tolerance: float = TOLERANCE) -> bool:
    """The interpreter's output (``expected``) against a model's (``got``), position by
    position; nested lists (several inputs) compare element by element."""
    if len(got) != len(expected):
        return False
    for e, g in zip(expected, got):
        if isinstance(e, list):
            if not isinstance(g, list) or not same_output(e, g, tolerance):
                return False
        elif not same_value(e, g, tolerance):
            return False
    return True


def decode_subspace(subspace: Subspace, rows: np.ndarray) -> tuple[tuple, tuple]:
    """The values a subspace holds in ``rows`` (positions, d_model), with confidences
    (the top score less the runner-up's; a grid's values scored through its code)."""
    block = np.asarray(rows, np.float64)[:, subspace.start:subspace.stop]
    if subspace.encoding != CATEGORICAL:
        values = tuple(float(v) for v in block[:, 0]) if block.shape[1] else ()
        return values, tuple(None for _ in values)
    if block.shape[1] == 0:
        return (), ()
    labels = subspace.values or tuple(range(block.shape[1]))
    if subspace.grid_rows:
        block = block @ subspace.code().T
    top = np.argmax(block, axis=1)
    ordered = np.sort(block, axis=1)
    runner_up = ordered[:, -2] if block.shape[1] > 1 else np.zeros(len(block))
    confidence = ordered[:, -1] - runner_up
    return tuple(labels[int(k)] for k in top), tuple(float(c) for c in confidence)
