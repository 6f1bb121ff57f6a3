"""What training minimises, and how it scores a model.

The model is the runtime's own dense pass (``runtime.engine.dense.run_dense``)
followed by the unembedding. The output loss is the cross-entropy of the output
value at every real position for a categorical output, the squared error for a
numerical one. The attention loss (the RASP paper's extra loss) is the squared
difference between each trained head's pattern and the compiled head's pattern
in the same layer and place, summed over keys and averaged over real queries and
heads; it only applies where the data carries the compiled patterns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from runtime.engine.dense import run_dense, unembed_logits


class Batch(NamedTuple):
    """Token ids (batch, positions), targets, the mask of positions that count,
    and per compiled layer the compiled heads' patterns (batch, heads, query, key),
    or an empty tuple when there is no attention loss."""

    ids: jnp.ndarray
    targets: jnp.ndarray
    mask: jnp.ndarray
    patterns: tuple = ()


@dataclass(frozen=True)
class Objective:
    """How to score outputs: ``categorical`` or numerical, with ``tolerance``
    the largest error that still counts as right for a numerical output;
    ``attention_weight`` scales the attention loss (0: none)."""

    attn_scale: float
    categorical: bool
    attention_weight: float = 0.0
    tolerance: float = 0.5


def run_model(params, ids, attn_scale: float, keep_patterns: bool = False):
    """Output logits (batch, positions, n_outputs), and the layers' attention
    patterns when asked."""
    if keep_patterns:
        x, _, patterns, _ = run_dense(params, ids, attn_scale, keep=True)
    else:
        x, patterns = run_dense(params, ids, attn_scale), []
    return unembed_logits(params, x), patterns


def output_loss(logits, targets, mask, categorical: bool):
    weights = mask.astype(logits.dtype)
    if categorical:
        per_position = optax.softmax_cross_entropy_with_integer_labels(logits, targets)
    else:
        per_position = jnp.square(logits[..., 0] - targets)
    return jnp.sum(per_position * weights) / jnp.maximum(jnp.sum(weights), 1.0)


def attention_loss(patterns, compiled, mask):
    """Squared pattern error against the compiled heads that the trained layers
    have a counterpart for (layer l, head h with h below both head counts)."""
    queries = mask.astype(jnp.float32)
    total, heads = 0.0, 0
    for trained, target in zip(patterns, compiled):
        shared = min(trained.shape[1], target.shape[1])
        if shared == 0:
            continue
        error = jnp.sum(jnp.square(trained[:, :shared] - target[:, :shared]), axis=-1)  # (b, h, q)
        total = total + jnp.sum(error * queries[:, None, :]) / jnp.maximum(jnp.sum(queries), 1.0)
        heads += shared
    return total / max(heads, 1)


def total_loss(params, batch: Batch, objective: Objective):
    """The loss to minimise, and its parts (output loss, attention loss)."""
    wants_patterns = objective.attention_weight > 0 and bool(batch.patterns)
    logits, patterns = run_model(params, batch.ids, objective.attn_scale, keep_patterns=wants_patterns)
    out = output_loss(logits, batch.targets, batch.mask, objective.categorical)
    attn = attention_loss(patterns, batch.patterns, batch.mask) if wants_patterns else jnp.zeros(())
    return out + objective.attention_weight * attn, (out, attn)


def correct(params, ids, targets, mask, objective: Objective):
    """Per sequence, whether every real position is right, the number of right
    positions, and (numerical outputs; 0 for categorical) the sum of the absolute
    errors over its real positions. A row with no real position (padding) is
    neither right nor wrong."""
    logits, _ = run_model(params, ids, objective.attn_scale)
    if objective.categorical:
        right = jnp.argmax(logits, axis=-1) == targets
        error = jnp.zeros(ids.shape[0])
    else:
        miss = jnp.abs(logits[..., 0] - targets)
        right = miss <= objective.tolerance
        error = jnp.sum(jnp.where(mask, miss, 0.0), axis=1)
    right = right & mask
    real = jnp.any(mask, axis=1)
    whole = real & jnp.all(right | ~mask, axis=1)
    return whole, jnp.sum(right, axis=1), error


correct_jit = jax.jit(correct, static_argnames=("objective",))



def compiled_patterns(params, ids: np.ndarray, attn_scale: float, chunk: int = 512) -> tuple[np.ndarray, ...]:
    """The compiled model's attention patterns on every row of ``ids``: per layer,
    (rows, heads, positions, positions) float32, the targets of the attention loss."""
    run = jax.jit(lambda p, part: run_model(p, part, attn_scale, keep_patterns=True)[1])
    per_layer: list[list[np.ndarray]] = [[] for _ in params["layers"]]
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        padded = np.full((chunk,) + part.shape[1:], -1, np.int32)
        padded[:len(part)] = part
        for layer, pattern in enumerate(run(params, padded)):
            per_layer[layer].append(np.asarray(pattern, np.float32)[:len(part)])
    return tuple(np.concatenate(parts) for parts in per_layer if parts)
