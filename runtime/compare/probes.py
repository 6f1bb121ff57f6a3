"""Linear probes: is a program's variable linearly readable from a residual stream?

A probe maps the residual at one position (one row of d_model numbers) to the
value of one s-op at that position: ridge regression onto the one-hot of the
value, read by argmax, for a categorical s-op; onto the number itself for a
numerical one. Probes are fitted on one part of the inputs and scored on the
rest: held-out accuracy (categorical) or R^2 (numerical).

The directions a probe reads (the span of its weight columns) are its subspace;
``runtime.compare.interventions`` patches that subspace.

    >>> rows = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    >>> probe = fit_probe("x", "embed", "categorical", rows[:3], ["a", "b", "c"])
    >>> probe.predict(rows[3:])
    ['a', 'b', 'c']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import scipy.linalg

from runtime.model import CATEGORICAL

#: Ridge penalty, relative to the mean feature variance: small enough that an
#: exactly readable variable is read exactly, large enough to keep the solution
#: in the span of the data (no weight on directions the data never uses).
RIDGE = 1e-6


def value_key(value: Any) -> tuple:
    """A value as a dictionary key that keeps True and 1 apart."""
    return (type(value).__name__, value)


@dataclass(frozen=True)
class Probe:
    """A fitted probe for s-op ``name`` at residual point ``point``."""

    name: str
    point: str
    encoding: str
    mean: np.ndarray            # (d,) feature mean
    weights: np.ndarray         # (d, k)
    bias: np.ndarray            # (k,)
    classes: tuple[Any, ...]    # categorical: the value of each column

    def raw(self, rows: np.ndarray) -> np.ndarray:
        return (np.asarray(rows, np.float64) - self.mean) @ self.weights + self.bias

    def predict(self, rows: np.ndarray) -> list[Any]:
        out = self.raw(rows)
        if self.encoding == CATEGORICAL:
            return [self.classes[int(k)] for k in np.argmax(out, axis=1)]
        return [float(v) for v in out[:, 0]]

    def confidence(self, rows: np.ndarray) -> list[float | None]:
        """Categorical: the top score minus the runner-up, per row."""
        if self.encoding != CATEGORICAL:
            return [None] * len(rows)
        out = np.sort(self.raw(rows), axis=1)
        gap = out[:, -1] - (out[:, -2] if out.shape[1] > 1 else 0.0)
        return [float(g) for g in gap]

    def score(self, rows: np.ndarray, values: Sequence[Any]) -> float:
        """Held-out accuracy (categorical) or R^2 (numerical)."""
        if len(values) == 0:
            return float("nan")
        predicted = self.predict(rows)
        if self.encoding == CATEGORICAL:
            return float(np.mean([value_key(p) == value_key(v) for p, v in zip(predicted, values)]))
        truth = np.asarray(values, np.float64)
        residual = np.sum((truth - np.asarray(predicted)) ** 2)
        spread = np.sum((truth - truth.mean()) ** 2)
        return 1.0 - residual / spread if spread > 0 else float(residual < 1e-8)

    def basis(self) -> np.ndarray:
        """An orthonormal basis (d, r) of the directions the probe reads."""
        u, s, _ = np.linalg.svd(self.weights, full_matrices=False)
        keep = s > 1e-6 * max(float(s.max(initial=0.0)), 1e-30)
        return u[:, keep]


@dataclass(frozen=True)
class RidgeSystem:
    """The part of a ridge regression that depends on the rows alone: their mean,
    the centred rows and the factorised (regularised) Gram matrix. Every probe
    fitted at one residual point shares it (a compiled sentiment model has 146
    s-ops over a residual of 1,025: one factorisation per point, not 146)."""

    mean: np.ndarray
    centred: np.ndarray
    factor: tuple


def ridge_system(rows: np.ndarray) -> RidgeSystem:
    features = np.asarray(rows, np.float64)
    mean = features.mean(axis=0)
    centred = features - mean
    gram = centred.T @ centred
    penalty = RIDGE * max(float(np.trace(gram)) / max(gram.shape[0], 1), 1e-12)
    return RidgeSystem(mean, centred, scipy.linalg.lu_factor(gram + penalty * np.eye(gram.shape[0])))


def fit_probe(name: str, point: str, encoding: str, rows: np.ndarray | None, values: Sequence[Any],
              system: RidgeSystem | None = None) -> Probe:
    """Ridge regression of ``values`` (one per row) on ``rows`` (n, d), or on the
    rows a ``system`` was made from."""
    system = system if system is not None else ridge_system(rows)
    mean, centred = system.mean, system.centred
    if encoding == CATEGORICAL:
        keys = sorted({value_key(v) for v in values}, key=repr)
        index = {key: k for k, key in enumerate(keys)}
        targets = np.zeros((len(values), len(keys)))
        targets[np.arange(len(values)), [index[value_key(v)] for v in values]] = 1.0
        classes = tuple(key[1] for key in keys)
    else:
        targets = np.asarray(values, np.float64)[:, None]
        classes = ()
    bias = targets.mean(axis=0)
    weights = scipy.linalg.lu_solve(system.factor, centred.T @ (targets - bias))
    return Probe(name, point, encoding, mean, weights, bias, classes)


def position_rows(residual: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The residual rows of every real position (BOS and padding left out), input
    by input: (sum of lengths, d)."""
    real = ids >= 0
    real[:, 0] = False
    return np.asarray(residual)[real]


def flat_values(values: Sequence[Sequence[Any]]) -> list[Any]:
    return [v for per_input in values for v in per_input]
