"""Interchange interventions: does a model use a variable the way the program does?

For a pair of inputs of one length (base, source) and an s-op, the program's
counterfactual output is what the program gives on base when that s-op holds its
values on source (the caller computes it with the interpreter). In a model, the
residual directions thought to hold the s-op (a probe's subspace, or a compiled
model's own layout subspace) are replaced, at the residual point where they are
written and at every real position, by their contents in the source run; the rest
of the forward pass goes on from there. A compiled model may hold the s-op's value
in more than one place (a map of it alone folded into the embedding, read in its
place), so an intervention may patch several subspaces, each at its own point. The
interchange-intervention accuracy (IIA) is the share of pairs where the patched
model gives the counterfactual output.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from runtime.engine.dense import run_dense, to_jax, unembed_logits
from runtime.model import Model
from runtime.outputs import decode, same_output


def point_index(points: Sequence[str], point: str) -> int | None:
    """Where ``point`` is among a trace's points (None when the model has no such point)."""
    return list(points).index(point) if point in points else None


def residual_points(n_layers: int) -> tuple[str, ...]:
    points = ["embed"]
    for layer in range(n_layers):
        points += [f"L{layer}.attn", f"L{layer}.mlp"]
    return tuple(points)


@dataclass(frozen=True)
class Patch:
    """Directions to take from the source run: ``basis`` (d, r; orthonormal
    columns) of the residual after point ``point`` (an index into the trace's points)."""

    point: int
    basis: np.ndarray


@partial(jax.jit, static_argnames=("attn_scale",))
def patched_logits(params, base_ids, source_ids, bases, patched, attn_scale: float):
    """Logits of the base run with, at every residual point ``p`` where
    ``patched[p]``, the ``bases[p]`` directions (d, r; orthonormal columns, zero
    columns allowed) taken from the source run, at every real position. ``patched``
    is traced, so one compilation serves every s-op of a model with bases of that
    width; the patch is computed at the points it is made at alone (``lax.cond``),
    not at every point and thrown away."""
    _, source_residuals, _, _ = run_dense(params, source_ids, attn_scale, keep=True)
    real = (base_ids >= 0).at[:, 0].set(False)[..., None]

    def edit(index, residual):
        basis, source = bases[index], source_residuals[index]

        def patch(residual):
            coordinates = jnp.einsum("btd,dr->btr", source - residual, basis)
            return jnp.where(real, residual + jnp.einsum("btr,er->bte", coordinates, basis), residual)

        return jax.lax.cond(patched[index], patch, lambda unchanged: unchanged, residual)

    return unembed_logits(params, run_dense(params, base_ids, attn_scale, edit=edit))


#: Pairs run in batches of a multiple of this many rows, and of a multiple of
#: this many positions (cut to the longest pair: fewer compiled shapes, and a
#: tweet of 35 tokens is not run over a max_len of 64).
PAIR_ROWS = 16
PAIR_POSITIONS = 8


def _padded(ids: np.ndarray, rows: int) -> np.ndarray:
    out = np.full((rows, ids.shape[1]), -1, np.int32)
    out[:len(ids)] = ids
    return out


def basis_width(rank: int, d_model: int) -> int:
    """The width a basis of ``rank`` columns is padded to: the next power of two
    (at least 8, at most d_model), so that a few compilations serve every s-op and
    a rank-2 patch of a 1,025-wide residual costs 8 columns, not 1,025."""
    width = 8
    while width < rank:
        width *= 2
    return min(width, d_model)


def interchange_accuracy(model: Model, base_ids: np.ndarray, source_ids: np.ndarray, patches: Sequence[Patch],
                         expected: Sequence[Sequence[Any]], tolerance: float) -> float:
    """The share of pairs (rows of ``base_ids`` and ``source_ids``, one length per
    pair) whose output, patched at every one of ``patches``, is ``expected``. Two
    patches at one point join their bases (their directions must not overlap)."""
    if len(expected) == 0:
        return float("nan")
    d = model.config.d_model
    n_points = 1 + 2 * model.config.n_layers
    joined: dict[int, list[np.ndarray]] = {}
    for patch in patches:
        joined.setdefault(patch.point, []).append(patch.basis)
    ranks = {point: sum(b.shape[1] for b in found) for point, found in joined.items()}
    bases = np.zeros((n_points, d, basis_width(max(ranks.values(), default=1), d)), np.float32)
    patched = np.zeros(n_points, bool)
    for point, found in joined.items():
        bases[point, :, :ranks[point]] = np.concatenate(found, axis=1)
        patched[point] = True
    rows = -(-len(expected) // PAIR_ROWS) * PAIR_ROWS
    longest = int(max(np.sum(base_ids >= 0, axis=1).max(), np.sum(source_ids >= 0, axis=1).max()))
    width = min(base_ids.shape[1], -(-longest // PAIR_POSITIONS) * PAIR_POSITIONS)
    logits = np.asarray(patched_logits(to_jax(model.params), _padded(base_ids[:, :width], rows),
                                       _padded(source_ids[:, :width], rows), bases, patched,
                                       attn_scale=float(model.config.attn_scale)))
    hits = 0
    for row, want in enumerate(expected):
        got = decode(model.config, logits[row, 1:len(want) + 1]).values
        hits += same_output(list(want), got, tolerance)
    return hits / len(expected)


def subspace_basis(d_model: int, coordinates: Sequence[int]) -> np.ndarray:
    """The coordinate directions ``coordinates`` as a basis (d, len(coordinates))."""
    return np.eye(d_model)[:, list(coordinates)]
