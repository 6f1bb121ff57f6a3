"""The forward pass over the nonzero blocks of a model's matrices only.

A compiled model's matrices are mostly zeros: a head reads the few residual
directions of its selector's s-ops and writes the few of its output, an MLP unit
reads one or two s-ops. ``pack`` keeps, per head, the rows of ``w_q``/``w_k``/``w_v``
that are not all zero, the head dimensions that both sides of a product use, and
the columns of ``w_o`` it writes; per MLP, the units that write something, the rows
they read and the columns they write. ``packed_forward`` gathers those residual
directions, multiplies the small blocks and adds the results back in place. A side
of a head's scores that reads only what the position embedding writes (``indices``)
is the same for every sequence, so it is computed once per call (``ScoreGroup``):
``select(indices, indices, <)`` costs one table for the whole batch; likewise an
MLP's units take the part of their input that reads ``indices`` (``2w - i - 1``)
from the position embedding once per call. It computes
the same function as ``runtime.forward.forward`` (the dropped terms are exact zeros;
only the order of float32 additions may differ), in a fraction of the arithmetic.
A trained model, dense, packs to its full matrices.

    >>> packed = pack(model.params)                                  # doctest: +SKIP
    >>> residual = packed_forward(packed, token_ids, attn_scale=1.0) # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from runtime.forward import MASKED, in_slices

Indices = tuple[int, ...]


@dataclass(frozen=True)
class ScoreGroup:
    """Score dimensions of one head, by which sides read only what the position
    embedding writes (``indices``): such a side is the same for every sequence, so
    it is computed once per call from the position embedding. ``select(indices,
    indices, <)`` is then one (positions, positions) table for the whole batch, and
    ``select(flipped, indices, ==)`` multiplies every query by one table of keys."""

    query_by_position: bool
    key_by_position: bool
    query_rows: Indices
    key_rows: Indices


@dataclass(frozen=True)
class HeadIndex:
    """Which residual directions one head reads (scores by group, values) and writes."""

    scores: tuple[ScoreGroup, ...]
    value_rows: Indices
    out_cols: Indices


@dataclass(frozen=True)
class LayerIndex:
    """The layer's heads, and the residual directions its MLP reads (those that hold
    what the position embedding wrote apart: their part of every unit's input is
    the same for every sequence) and writes."""

    heads: tuple[HeadIndex, ...]
    mlp_rows: Indices
    mlp_position_rows: Indices
    mlp_cols: Indices


@dataclass(frozen=True)
class PackedIndex:
    """The static structure of a packed model: hashable, so jit specialises on it."""

    layers: tuple[LayerIndex, ...]


@dataclass(frozen=True)
class Packed:
    """``arrays``: a pytree of the kept blocks, float32; ``index``: where they sit;
    ``kept`` and ``total``: weights of the layers kept and in all (a dense model
    keeps nearly everything, and is better run unpacked)."""

    arrays: dict[str, Any]
    index: PackedIndex
    kept: int
    total: int

    @property
    def worthwhile(self) -> bool:
        """Packing skips at least half of the layers' arithmetic."""
        return self.kept <= self.total // 2


def _used(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)


def _spanned(found: np.ndarray) -> np.ndarray:
    """``found`` widened to the whole range it spans, when that adds at most a
    quarter (and two): a range is read as a slice (see ``_where``), and the rows or
    columns added carry zero weights, so they add exact zeros."""
    if len(found) and found[-1] - found[0] + 1 <= len(found) + len(found) // 4 + 2:
        return np.arange(found[0], found[-1] + 1)
    return found


def _indices(found: np.ndarray) -> Indices:
    return tuple(int(i) for i in found)


def _pack_head(w_q: np.ndarray, w_k: np.ndarray, w_v: np.ndarray, w_o: np.ndarray, positional: np.ndarray):
    """The head's kept blocks and their index, or None when it writes nothing.
    ``positional``: which residual directions hold what the position embedding wrote
    and nothing else, at this layer."""
    scored = np.any(w_q != 0, axis=0) & np.any(w_k != 0, axis=0)
    moved = _used(np.any(w_v != 0, axis=0) & np.any(w_o != 0, axis=1))
    if len(moved) == 0:
        return None
    query_positional = ~np.any(w_q[~positional] != 0, axis=0)
    key_positional = ~np.any(w_k[~positional] != 0, axis=0)
    groups, score_blocks = [], []
    for by_query, by_key in ((False, False), (False, True), (True, False), (True, True)):
        dims = _used(scored & (query_positional == by_query) & (key_positional == by_key))
        if len(dims) == 0:
            continue
        query_rows = _spanned(_used(np.any(w_q[:, dims] != 0, axis=1)))
        key_rows = _spanned(_used(np.any(w_k[:, dims] != 0, axis=1)))
        groups.append(ScoreGroup(by_query, by_key, _indices(query_rows), _indices(key_rows)))
        score_blocks.append({"w_q": w_q[np.ix_(query_rows, dims)], "w_k": w_k[np.ix_(key_rows, dims)]})
    value_rows = _spanned(_used(np.any(w_v[:, moved] != 0, axis=1)))
    out_cols = _spanned(_used(np.any(w_o[moved] != 0, axis=0)))
    blocks = {"scores": score_blocks, "w_v": w_v[np.ix_(value_rows, moved)], "w_o": w_o[np.ix_(moved, out_cols)]}
    return blocks, HeadIndex(tuple(groups), _indices(value_rows), _indices(out_cols))


def _positional_directions(params) -> np.ndarray:
    """The directions the token embedding never writes: at the first layer they
    hold the position embedding alone (a padded position reads the BOS token's
    row, which writes nothing there either)."""
    return ~np.any(np.asarray(params["token_embed"]) != 0, axis=0)


def _pack_mlp(w_in: np.ndarray, b_in: np.ndarray, w_out: np.ndarray, b_out: np.ndarray, positional: np.ndarray):
    """The MLP's kept blocks: the rows it reads apart from the positional ones
    (``positional``, as in ``_pack_head``), whose part of the units' input is
    computed once per call; a range widened over rows of the other kind gets
    zero weights there."""
    units = _used(np.any(w_out != 0, axis=1))
    read = np.any(w_in[:, units] != 0, axis=1)
    blocks = {"b_in": b_in[units]}
    found = {}
    for name, kind in (("w_in", read & ~positional), ("w_in_positions", read & positional)):
        rows = _spanned(_used(kind))
        block = w_in[np.ix_(rows, units)] * kind[rows, None]
        blocks[name] = block
        found[name] = _indices(rows)
    cols = _spanned(_used(np.any(w_out[units] != 0, axis=0) | (b_out != 0)))
    blocks.update({"w_out": w_out[np.ix_(units, cols)], "b_out": b_out[cols]})
    return blocks, found["w_in"], found["w_in_positions"], _indices(cols)


def pack(params) -> Packed:
    """Keep the nonzero blocks of ``params`` (a model's parameter pytree)."""
    arrays: dict[str, Any] = {"token_embed": params["token_embed"], "pos_embed": params["pos_embed"],
                              "layers": []}
    layers = []
    positional = _positional_directions(params)
    for layer in params["layers"]:
        w_q, w_k, w_v, w_o = (np.asarray(layer[name]) for name in ("w_q", "w_k", "w_v", "w_o"))
        heads, head_blocks = [], []
        for h in range(w_q.shape[0]):
            found = _pack_head(w_q[h], w_k[h], w_v[h], w_o[h], positional)
            if found is not None:
                head_blocks.append(found[0])
                heads.append(found[1])
        # What the heads write holds more than positions from the MLP on; what the
        # MLP writes, from the next layer on.
        positional = positional.copy()
        positional[[c for head in heads for c in head.out_cols]] = False
        mlp, rows, position_rows, cols = _pack_mlp(
            *(np.asarray(layer[name]) for name in ("w_in", "b_in", "w_out", "b_out")), positional)
        arrays["layers"].append({"heads": head_blocks, "mlp": mlp})
        layers.append(LayerIndex(tuple(heads), rows, position_rows, cols))
        positional[list(cols)] = False
    total = sum(int(np.size(a)) for a in jax.tree_util.tree_leaves(params["layers"]))
    kept = sum(int(np.size(a)) for a in jax.tree_util.tree_leaves(arrays["layers"]))
    arrays = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), arrays)
    return Packed(arrays, PackedIndex(tuple(layers)), kept, total)


def _where(indices: Indices) -> slice | np.ndarray:
    """Residual directions as a slice where they are contiguous (an s-op's space
    usually is): XLA reads and updates a slice in place, but copies for a gather."""
    if indices and indices[-1] - indices[0] + 1 == len(indices):
        return slice(indices[0], indices[-1] + 1)
    return np.asarray(indices, np.int32)


def _columns(x, indices: Indices):
    return x[..., _where(indices)]


_SCORES = {(False, False): "bqe,bke->bqk", (False, True): "bqe,ke->bqk", (True, False): "qe,bke->bqk",
           (True, True): "qe,ke->qk"}


def _head(x, mask, blocks, where: HeadIndex, attn_scale: float, positions):
    """One head; ``positions``: the position embedding of the rows in use (what a
    side of a score group reads when it reads positions only)."""
    scores = jnp.zeros((x.shape[0], x.shape[1], x.shape[1]), x.dtype)
    for group, block in zip(where.scores, blocks["scores"]):
        q = _columns(positions if group.query_by_position else x, group.query_rows) @ block["w_q"]
        k = _columns(positions if group.key_by_position else x, group.key_rows) @ block["w_k"]
        scores = scores + jnp.einsum(_SCORES[(group.query_by_position, group.key_by_position)], q, k)
    v = _columns(x, where.value_rows) @ blocks["w_v"]
    pattern = jax.nn.softmax(jnp.where(mask[:, None, :], scores * attn_scale, MASKED), axis=-1)
    return jnp.einsum("bqk,bke->bqe", pattern, v) @ blocks["w_o"]


def _run_packed(arrays, token_ids, index: PackedIndex, attn_scale: float):
    mask = token_ids >= 0
    positions = arrays["pos_embed"][jnp.arange(token_ids.shape[1])]
    x = arrays["token_embed"][jnp.maximum(token_ids, 0)] + positions[None]
    for layer, where in zip(arrays["layers"], index.layers):
        # Every head reads the residual before any of them writes to it.
        written = [(_where(head.out_cols), _head(x, mask, blocks, head, attn_scale, positions))
                   for blocks, head in zip(layer["heads"], where.heads)]
        for cols, out in written:
            x = x.at[..., cols].add(out)
        mlp = layer["mlp"]
        bias = mlp["b_in"]
        if where.mlp_position_rows:
            bias = bias + _columns(positions, where.mlp_position_rows) @ mlp["w_in_positions"]
        hidden = jax.nn.relu(_columns(x, where.mlp_rows) @ mlp["w_in"] + bias)
        x = x.at[..., _where(where.mlp_cols)].add(hidden @ mlp["w_out"] + mlp["b_out"])
    return x


#: The packed pass's slice (see ``runtime.forward.in_slices``): its scores, a few
#: (slice, positions, positions) arrays per layer, stay in cache at 64 sequences; at
#: 256 the pass was measured 10-30% slower at max_len 64.
PACKED_SLICE = 64


@partial(jax.jit, static_argnames=("index", "attn_scale"))
def _packed_in_slices(arrays, token_ids, index: PackedIndex, attn_scale: float):
    """As ``runtime.forward``: large batches a slice at a time (``in_slices``)."""
    return in_slices(lambda part: _run_packed(arrays, part, index, attn_scale), token_ids, PACKED_SLICE)


@partial(jax.jit, static_argnames=("index", "attn_scale"))
def packed_logits(arrays, token_ids, unembed, index: PackedIndex, attn_scale: float):
    """The output logits of a batch of token ids (batch, positions, n_outputs)."""
    x = _packed_in_slices(arrays, token_ids, index=index, attn_scale=attn_scale)
    return jnp.einsum("btd,dn->btn", x, unembed, precision=jax.lax.Precision.HIGHEST)


def packed_forward(packed: Packed, token_ids, attn_scale: float) -> jnp.ndarray:
    """The residual after the last layer, as ``runtime.forward.forward`` gives it:
    (batch, positions, d_model), or (positions, d_model) for one input."""
    ids = jnp.asarray(token_ids, jnp.int32)
    single = ids.ndim == 1
    out = _packed_in_slices(packed.arrays, ids[None] if single else ids, index=packed.index,
                            attn_scale=float(attn_scale))
    return out[0] if single else out
