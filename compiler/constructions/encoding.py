"""Values in the residual: their encodings, the noise they may carry there, and
the points of a space's finite value set that an exact MLP is built on.

A categorical value is a one-hot over its space's values; a numerical one is the
number itself on one direction. The constructions read their inputs through these
encodings, so the noise bounds below are what every MLP must tolerate: each is
stated with the reason it holds for the blocks that write such values.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from compiler.constructions.blocks import Space, Value
from compiler.errors import CompileError
from rasp.errors import RaspEvaluationError, RaspTypeError
from runtime.model import CATEGORICAL


# Failures of a map's function on a value, Python's or the language's own (an index
# that is not an integer), mean "this value never reaches the map at run time" (the
# interpreter would fail there): value sets may hold more than the program can
# reach, and such points are free.
DONT_CARE = (ArithmeticError, TypeError, ValueError, KeyError, IndexError, AttributeError,
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


def is_number(value: Any) -> bool:
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
    if not is_number(value):
        raise CompileError(f"{label}: {space.name} is numerical but gets the non-number {value!r}")
    return np.array([float(value)])


def numeric_values(space: Space, label: str) -> list[float]:
    """A numerical space's finite value set as sorted floats."""
    if not space.values:
        raise CompileError(f"{label}: {space.name} has no finite value set, so no exact MLP can read it")
    if not all(is_number(v) for v in space.values):
        raise CompileError(f"{label}: {space.name} is numerical but holds non-numbers {space.values}")
    return sorted({float(v) for v in space.values})


def try_apply(fn: Callable, args: tuple) -> tuple[bool, Any]:
    """(True, ``fn(*args)``), or (False, None) where ``fn`` fails with one of
    DONT_CARE: a point the construction may treat as free."""
    try:
        return True, fn(*args)
    except DONT_CARE:
        return False, None


def show(value: Any) -> str:
    """A value as a unit's label shows it: strings quoted, others as printed."""
    return repr(value) if isinstance(value, str) else f"{value}"


def domain_of(space: Space, label: str) -> list[tuple[Any, float]]:
    """(value, coordinate) pairs: a categorical value's coordinate is its index; a
    numerical one's is itself (one representative per distinct number)."""
    if space.encoding == CATEGORICAL:
        return [(v, float(i)) for i, v in enumerate(space.values)]
    numeric_values(space, label)  # checks the set is finite and numeric
    firsts: dict[float, Any] = {}
    for v in space.values:
        firsts.setdefault(float(v), v)
    return [(firsts[c], c) for c in sorted(firsts)]
