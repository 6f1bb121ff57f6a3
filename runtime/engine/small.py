"""The dense pass in NumPy, for a few inputs: no JAX to import and nothing to
compile, so that ``raspc run`` on one input answers in the time it takes to stage
and compile the program (``Runner`` takes it for small batches).

It computes what ``runtime.engine.dense`` computes, in float64: embed (a narrow
compiled token table widened with zeros), then per layer attention (PAD keys
scored MASKED) and the ReLU MLP, each added to the residual (each reading it through
a layer norm where the model has one), then the unembedding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runtime.engine.encoding import MASKED
from runtime.model import layer_norm, unembedded


@dataclass(frozen=True)
class SmallPass:
    """One pass over a batch of token ids (batch, positions): the residual after the
    last layer, every layer's attention pattern (batch, heads, query, key), and the
    output logits (batch, positions, n_outputs)."""

    residual: np.ndarray
    patterns: tuple[np.ndarray, ...]
    logits: np.ndarray


def as_float64(params):
    """The parameter pytree in float64, converted once for many small passes (the pass
    reads float64 arrays as they are, anything else it converts on every call)."""
    if isinstance(params, dict):
        return {name: as_float64(value) for name, value in params.items()}
    if isinstance(params, list):
        return [as_float64(value) for value in params]
    return np.asarray(params, np.float64)


def _embedded(params, token_ids: np.ndarray) -> np.ndarray:
    table = np.asarray(params["token_embed"], np.float64)
    positions = np.asarray(params["pos_embed"], np.float64)
    rows = table[np.maximum(token_ids, 0)]
    if rows.shape[-1] < positions.shape[-1]:
        rows = np.pad(rows, [(0, 0), (0, 0), (0, positions.shape[-1] - rows.shape[-1])])
    return rows + positions[: token_ids.shape[1]][None]


def _attention(x: np.ndarray, layer, keys: np.ndarray, attn_scale: float) -> tuple[np.ndarray, np.ndarray]:
    q, k, v = (np.einsum("btd,hde->bhte", x, np.asarray(layer[w], np.float64)) for w in ("w_q", "w_k", "w_v"))
    scores = np.einsum("bhqe,bhke->bhqk", q, k) * attn_scale
    scores = np.where(keys[:, None, None, :], scores, MASKED)
    scores -= scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    pattern = weights / weights.sum(axis=-1, keepdims=True)
    mixed = np.einsum("bhqk,bhke->bhqe", pattern, v)
    return np.einsum("bhqe,hed->bqd", mixed, np.asarray(layer["w_o"], np.float64)), pattern


def _mlp(x: np.ndarray, layer) -> np.ndarray:
    hidden = np.maximum(x @ np.asarray(layer["w_in"], np.float64) + np.asarray(layer["b_in"], np.float64), 0.0)
    return hidden @ np.asarray(layer["w_out"], np.float64) + np.asarray(layer["b_out"], np.float64)


def small_pass(params, token_ids: np.ndarray, attn_scale: float) -> SmallPass:
    """The forward pass of ``token_ids`` (batch, positions; PAD where padded)."""
    token_ids = np.asarray(token_ids)
    keys = token_ids >= 0
    x = _embedded(params, token_ids)
    patterns = []
    for layer in params["layers"]:
        attended, pattern = _attention(_normed(x, layer, "ln_attn"), layer, keys, attn_scale)
        x = x + attended
        x = x + _mlp(_normed(x, layer, "ln_mlp"), layer)
        patterns.append(pattern)
    return SmallPass(x, tuple(patterns), unembedded(params, x))


def _normed(x: np.ndarray, layer, name: str) -> np.ndarray:
    return layer_norm(x, layer[f"{name}_w"], layer[f"{name}_b"]) if f"{name}_w" in layer else x
