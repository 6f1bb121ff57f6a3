"""A small numpy evaluator for single blocks, for the construction tests.

It lays spaces side by side in a residual (``one`` and ``bos`` first), writes the
encodings of given values at positions 1..n (BOS at position 0 holds only ``one``
and ``bos``), and applies a HeadBlock or MLPBlock exactly as the runtime does:
softmax attention over every position including BOS, non-causal; a ReLU MLP.
Arithmetic is float32 unless asked otherwise.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from compiler.constructions.blocks import BOS, ONE, HeadBlock, MLPBlock, Space
from runtime.model import CATEGORICAL


class Residual:
    """Named spaces laid side by side: ``slices[name]`` is each space's columns."""

    def __init__(self, spaces: Sequence[Space]):
        self.spaces: dict[str, Space] = {}
        for space in (ONE, BOS, *spaces):
            self.spaces.setdefault(space.name, space)
        self.slices: dict[str, slice] = {}
        start = 0
        for name, space in self.spaces.items():
            self.slices[name] = slice(start, start + space.width)
            start += space.width
        self.width = start

    def build(self, columns: dict[str, Sequence], dtype=np.float32) -> np.ndarray:
        """Rows 0..n: BOS, then one position per value of each column."""
        n = len(next(iter(columns.values()))) if columns else 0
        x = np.zeros((n + 1, self.width), dtype=np.float64)
        x[:, self.slices["one"]] = 1.0
        x[0, self.slices["bos"]] = 1.0
        for name, values in columns.items():
            space = self.spaces[name]
            cols = self.slices[name]
            for p, value in enumerate(values, start=1):
                if space.encoding == CATEGORICAL:
                    x[p, cols.start + space.index_of(value)] = 1.0
                else:
                    x[p, cols.start] = float(value)
        return x.astype(dtype)

    def read(self, x: np.ndarray, space: Space) -> np.ndarray:
        return x[:, self.slices[space.name]]

    def decode(self, x: np.ndarray, space: Space) -> list:
        """Values at positions 1..n: argmax for categorical, the number otherwise."""
        part = self.read(x, space)[1:]
        if space.encoding == CATEGORICAL:
            return [space.values[int(k)] for k in np.argmax(part, axis=1)]
        return [float(v) for v in part[:, 0]]


def apply_head(residual: Residual, head: HeadBlock, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(residual after the head, attention pattern (q, k)): scores are the sum of
    the QK terms, softmax over every position (BOS included), values the OV terms."""
    dtype = x.dtype
    scores = np.zeros((x.shape[0], x.shape[0]), dtype=dtype)
    for term in head.qk:
        queries = x[:, residual.slices[term.query.name]]
        keys = x[:, residual.slices[term.key.name]]
        scores += (queries @ term.matrix.astype(dtype)) @ keys.T
    scores = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=1, keepdims=True)
    values = np.zeros((x.shape[0], head.output.width), dtype=dtype)
    for term in head.ov:
        values += x[:, residual.slices[term.source.name]] @ term.matrix.astype(dtype)
    after = x.copy()
    after[:, residual.slices[head.output.name]] += weights @ values
    return after, weights


def apply_mlp(residual: Residual, block: MLPBlock, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(residual after the MLP, hidden activations): relu(sum of inputs @ w_in + b_in) @ w_out + b_out."""
    dtype = x.dtype
    columns = np.concatenate([np.arange(residual.slices[s.name].start, residual.slices[s.name].stop)
                              for s in block.inputs])
    w_in = np.concatenate(block.w_in, axis=0).astype(dtype)
    hidden = np.maximum(x[:, columns] @ w_in + block.b_in.astype(dtype), 0)
    after = x.copy()
    after[:, residual.slices[block.output.name]] += hidden @ block.w_out.astype(dtype) + block.b_out.astype(dtype)
    return after, hidden
