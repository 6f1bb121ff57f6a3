"""The forward pass over the nonzero blocks of a model's matrices only.

A compiled model's matrices are mostly zeros: a head reads the few residual
directions of its selector's s-ops and writes the few of its output, an MLP unit
reads one or two s-ops. ``pack`` keeps, per head, the rows of ``w_q``/``w_k``/``w_v``
that are not all zero, the head dimensions that both sides of a product use, and
the columns of ``w_o`` it writes; per MLP, the units that write something, the rows
they read and the columns they write. The pass (``_residual_stream``, which
``packed_forward`` and ``packed_logits`` run a slice at a time) gathers those
residual directions, multiplies the small blocks and adds the results back in
place. A side
of a head's scores that reads only what the position embedding writes (``indices``)
is the same for every sequence, so it is computed once per call (``ScoreGroup``):
``select(indices, indices, <)`` costs one table for the whole batch; likewise an
MLP's units take the part of their input that reads ``indices`` (``2w - i - 1``)
from the position embedding once per call. Where a head's weights only pick
directions of a one-hot in order (an equality), they are a slice times a vector,
not a product; an MLP whose units each write a few nearby columns multiplies in
column tiles, or, where its weights lie on a few diagonals, sums along them
(``runtime.engine.mlp_tiles``). The residual is kept as column segments cut
at the boundaries of what the layers write (``runtime.engine.segments``), so a write
touches only its own columns. A model of short sequences runs with the batch as
the minor axis (``runtime.engine.packed_minor``), on the same index and blocks. It computes
the same function as the dense pass, ``runtime.engine.dense`` (the dropped terms are
exact zeros; only the order of float32 additions may differ), in a fraction of the
arithmetic. A trained model, dense, packs to its full matrices (and
``runtime.engine.forward.chosen_pass`` runs it by the dense pass).

``packed_logits`` reads the output logits out of each slice of a batch, from the
directions the unembedding reads, so the whole residual is never written out.

    >>> packed = pack(model.params)                                  # doctest: +SKIP
    >>> residual = packed_forward(packed, token_ids, attn_scale=1.0) # doctest: +SKIP
    >>> logits = packed_logits(packed.arrays, token_ids, index=packed.index, attn_scale=1.0)  # doctest: +SKIP
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from runtime.engine.batching import MASKED, in_slices
from runtime.engine.mlp_tiles import plan_tiles, tile_blocks, tiled_output, without_diagonals
from runtime.engine.packed_index import (POSITIONS, RESIDUAL, TOKENS, HeadIndex, Indices, LayerIndex, PackedIndex,
                                         ScoreGroup, as_index)
from runtime.engine.packed_minor import batch_minor_in_slices, suits_batch_minor
from runtime.engine.segments import Segments, boundaries
from runtime.model import full_token_embed


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
    quarter (and two): a range is read as a slice (see ``as_index``), and the rows or
    columns added carry zero weights, so they add exact zeros."""
    if len(found) and found[-1] - found[0] + 1 <= len(found) + len(found) // 4 + 2:
        return np.arange(found[0], found[-1] + 1)
    return found


def _indices(found: np.ndarray) -> Indices:
    return tuple(int(i) for i in found)


#: Below TABLES_FROM_POSITIONS positions, token tables pay off from this many
#: dimensions: a table lookup costs more than a product of one or two dimensions
#: per sequence there (length, reverse at max_len 10: 0.86x-0.92x with tables).
TOKEN_TABLE_DIMS = 3

#: From this many positions on, a token table pays for any number of dimensions:
#: the batched products of a few dimensions run far below the lookup's rate
#: (tables for one or two dimensions at max_len 20: reverse 1.18x, dyck1 1.21x,
#: most_freq 1.30x, palindrome 1.26x; at 40 and 64: 1.06x-1.10x).
TABLES_FROM_POSITIONS = 16


def _table_dims(tokens: int, positions: int) -> int | None:
    """The fewest score dimensions worth a token table, or None where the
    (vocabulary, vocabulary) table would cost more than the products it replaces
    for a slice of sequences."""
    if tokens ** 2 > PACKED_SLICE * positions ** 2:
        return None
    return 1 if positions >= TABLES_FROM_POSITIONS else TOKEN_TABLE_DIMS


def _reads(w: np.ndarray, fixed: dict[str, np.ndarray]) -> np.ndarray:
    """Per column of ``w`` (a side's weights, directions x dims), what it reads:
    POSITIONS or TOKENS when its nonzero rows all hold that embedding alone."""
    reads = np.full(w.shape[1], RESIDUAL, dtype=object)
    for source in (TOKENS, POSITIONS):  # a direction neither writes holds zeros: either will do
        reads[~np.any(w[~fixed[source]] != 0, axis=0)] = source
    return reads


def _sides(w_q: np.ndarray, w_k: np.ndarray, fixed: dict[str, np.ndarray], table_dims: int | None
           ) -> tuple[np.ndarray, np.ndarray]:
    """What each score dimension's query and key read. A side reading tokens is
    worth a table only when both do, in ``table_dims`` dimensions or more (None:
    never, see ``_table_dims``); it reads the residual otherwise."""
    query_reads, key_reads = _reads(w_q, fixed), _reads(w_k, fixed)
    both = (query_reads == TOKENS) & (key_reads == TOKENS)
    if table_dims is None or both.sum() < table_dims:
        both[:] = False
    query_reads[(query_reads == TOKENS) & ~both] = RESIDUAL
    key_reads[(key_reads == TOKENS) & ~both] = RESIDUAL
    return query_reads, key_reads


def _selected(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``w`` (directions x dims) that a product reads, and the block to
    multiply them by. Where every dim reads one direction of a contiguous range, in
    order (an equality of one-hots: dim j reads value j), the block is the vector of
    those weights, an elementwise scale of a slice in place of a product."""
    nonzero = w != 0
    if np.all(nonzero.sum(axis=0) == 1):
        rows = np.argmax(nonzero, axis=0)
        if len(rows) > 1 and np.all(np.diff(rows) == 1):
            return rows, w[rows, np.arange(w.shape[1])]
    rows = _spanned(_used(np.any(nonzero, axis=1)))
    return rows, w[rows]


def _folded(query_block: np.ndarray, key_block: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A score group's two projections, ``(x_q W_q)(x_k W_k)^T``, as one,
    ``(x_q W_q W_k^T) x_k^T``, where that does not widen the scores' product: when
    one side reads no more rows than the group has dimensions (most_freq's
    comparison of priorities: two (13 x 13) projections become one), or is a
    scaled slice (a diagonal: dyck2's depth equality, one elementwise scale of
    (slice, positions, 129) fewer). The side read as it is has no block (None)."""
    if key_block.ndim == 1:
        return query_block * (key_block if query_block.ndim == 1 else key_block[None, :]), None
    if query_block.ndim == 1:
        return None, key_block * query_block[None, :]
    dims = query_block.shape[1]
    if key_block.shape[0] > dims and query_block.shape[0] > dims:
        return query_block, key_block
    table = (query_block.astype(np.float64) @ key_block.T.astype(np.float64)).astype(np.float32)
    return (table, None) if key_block.shape[0] <= dims else (None, table.T)


def _project(x, block):
    """``x`` (its last axis the rows ``_selected`` chose) times the block; None
    reads ``x`` as it is."""
    if block is None:
        return x
    return x * block if block.ndim == 1 else x @ block


def _pack_head(w_q: np.ndarray, w_k: np.ndarray, w_v: np.ndarray, w_o: np.ndarray, fixed: dict[str, np.ndarray],
               table_dims: int | None):
    """The head's kept blocks and their index, or None when it writes nothing.
    ``fixed[POSITIONS]`` (``fixed[TOKENS]``): which residual directions hold what the
    position (token) embedding wrote and nothing else, at this layer; ``table_dims``:
    the fewest score dimensions worth a table by token ids (``_table_dims``)."""
    scored = np.any(w_q != 0, axis=0) & np.any(w_k != 0, axis=0)
    moved = _used(np.any(w_v != 0, axis=0) & np.any(w_o != 0, axis=1))
    if len(moved) == 0:
        return None
    query_reads, key_reads = _sides(w_q, w_k, fixed, table_dims)
    groups, score_blocks = [], []
    for query_source, key_source in itertools.product((RESIDUAL, POSITIONS, TOKENS), repeat=2):
        dims = _used(scored & (query_reads == query_source) & (key_reads == key_source))
        if len(dims) == 0:
            continue
        query_rows, query_block = _selected(w_q[:, dims])
        key_rows, key_block = _selected(w_k[:, dims])
        query_block, key_block = _folded(query_block, key_block)
        groups.append(ScoreGroup(query_source, key_source, _indices(query_rows), _indices(key_rows)))
        score_blocks.append({"w_q": query_block, "w_k": key_block})
    value_rows, value_block = _selected(w_v[:, moved])
    out_cols, out_block = _selected(w_o[moved].T)
    blocks = {"scores": score_blocks, "w_v": value_block, "w_o": out_block if out_block.ndim == 1 else out_block.T}
    return blocks, HeadIndex(tuple(groups), _indices(value_rows), _indices(out_cols))


def _embedding_directions(params) -> dict[str, np.ndarray]:
    """Per embedding, the directions only it writes (or neither): at the first layer
    they hold that embedding alone (a padded position reads the BOS token's row)."""
    token, position = (np.any(np.asarray(params[name]) != 0, axis=0) for name in ("token_embed", "pos_embed"))
    return {POSITIONS: ~token, TOKENS: ~position}


def _pack_mlp(w_in: np.ndarray, b_in: np.ndarray, w_out: np.ndarray, b_out: np.ndarray, positional: np.ndarray,
              slice_rows: int):
    """The MLP's kept blocks: the rows it reads apart from the positional ones
    (``positional``: the directions that hold the position embedding alone), whose
    part of the units' input is computed once per call; a range widened over rows
    of the other kind gets zero weights there. The units are in the order of their
    output tiles (``runtime.engine.mlp_tiles``), planned for ``slice_rows`` residual rows
    a call."""
    units = _used(np.any(w_out != 0, axis=1))
    cols = _spanned(_used(np.any(w_out[units] != 0, axis=0) | (b_out != 0)))
    output = w_out[np.ix_(units, cols)]
    plan = plan_tiles(output != 0, slice_rows)
    # A plan may name one more unit, a zero one (``runtime.engine.mlp_tiles``): a column of
    # zeros appended to the weights, which gives relu(0) = 0 and writes nothing.
    w_in, b_in = np.pad(w_in, ((0, 0), (0, 1))), np.pad(b_in, (0, 1))
    units, output = np.append(units, w_in.shape[1] - 1), np.pad(output, ((0, 1), (0, 0)))
    units, output = units[list(plan.order)], output[list(plan.order)]
    read = np.any(w_in[:, units] != 0, axis=1)
    blocks = {"b_in": b_in[units]}
    found = {}
    for name, kind in (("w_in", read & ~positional), ("w_in_positions", read & positional)):
        rows = _spanned(_used(kind))
        block = w_in[np.ix_(rows, units)] * kind[rows, None]
        blocks[name] = block
        found[name] = _indices(rows)
    tiles, overlay = tile_blocks(output, plan)
    blocks.update({"w_out": tiles, "w_overlay": overlay, "b_out": b_out[cols]})
    return blocks, found["w_in"], found["w_in_positions"], _indices(cols), plan


def _overwritten(fixed: dict[str, np.ndarray], written: list[int]) -> dict[str, np.ndarray]:
    """``fixed`` once a layer has written the directions ``written``."""
    kept = {}
    for source, directions in fixed.items():
        kept[source] = directions.copy()
        kept[source][written] = False
    return kept


def pack(params, batch_minor: bool | None = None) -> Packed:
    """Keep the nonzero blocks of ``params`` (a model's parameter pytree), for the
    batch-minor pass or the batch-major one as ``batch_minor`` says (None: as
    ``suits_batch_minor`` chooses)."""
    params = full_token_embed(params)
    arrays: dict[str, Any] = {"token_embed": params["token_embed"], "pos_embed": params["pos_embed"],
                              "layers": []}
    layers = []
    fixed = _embedding_directions(params)
    tokens, positions = np.shape(params["token_embed"])[0], np.shape(params["pos_embed"])[0]
    table_dims = _table_dims(tokens, positions)
    for layer in params["layers"]:
        w_q, w_k, w_v, w_o = (np.asarray(layer[name]) for name in ("w_q", "w_k", "w_v", "w_o"))
        heads, head_blocks = [], []
        for h in range(w_q.shape[0]):
            found = _pack_head(w_q[h], w_k[h], w_v[h], w_o[h], fixed, table_dims)
            if found is not None:
                head_blocks.append(found[0])
                heads.append(found[1])
        # What the heads write holds more than an embedding from the MLP on; what
        # the MLP writes, from the next layer on.
        fixed = _overwritten(fixed, [c for head in heads for c in head.out_cols])
        mlp, rows, position_rows, cols, plan = _pack_mlp(
            *(np.asarray(layer[name]) for name in ("w_in", "b_in", "w_out", "b_out")), fixed[POSITIONS],
            PACKED_SLICE * positions)
        arrays["layers"].append({"heads": head_blocks, "mlp": mlp})
        layers.append(LayerIndex(tuple(heads), rows, position_rows, cols, plan))
        fixed = _overwritten(fixed, list(cols))
    total = sum(int(np.size(a)) for a in jax.tree_util.tree_leaves(params["layers"]))
    kept = sum(int(np.size(a)) for a in jax.tree_util.tree_leaves(arrays["layers"]))
    readout_rows, arrays["unembed"] = _selected(np.asarray(params["unembed"]))
    written = [cols for layer in layers for cols in [head.out_cols for head in layer.heads] + [layer.mlp_cols]]
    segments = boundaries(np.shape(params["token_embed"])[1], written)
    score_dims = [_score_dims(blocks["w_q"], len(group.query_rows))
                  for layer_arrays, layer in zip(arrays["layers"], layers)
                  for head_arrays, head in zip(layer_arrays["heads"], layer.heads)
                  for blocks, group in zip(head_arrays["scores"], head.scores)]
    if batch_minor is None:
        batch_minor = suits_batch_minor(positions, score_dims)
    if batch_minor:
        layers = [_multiplied_tiles(layer, layer_arrays["mlp"])
                  for layer, layer_arrays in zip(layers[:-1], arrays["layers"])] + layers[-1:]
    arrays = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), arrays)
    index = PackedIndex(tuple(layers), segments, batch_minor, _indices(readout_rows), _embedded(params, segments))
    return Packed(arrays, index, kept, total)


def _embedded(params, segments: tuple[int, ...]) -> int:
    """The first segment boundary past every direction an embedding writes."""
    written = np.flatnonzero(np.any(np.asarray(params["token_embed"]) != 0, axis=0)
                             | np.any(np.asarray(params["pos_embed"]) != 0, axis=0))
    last = int(written[-1]) + 1 if len(written) else 1
    return min(bound for bound in segments if bound >= last)


def _multiplied_tiles(layer: LayerIndex, mlp: dict[str, Any]) -> LayerIndex:
    """``layer`` with its MLP's tiles multiplied, none summed along diagonals (in
    place in ``mlp``): for the batch-minor pass, but for its last layer. There a
    diagonal sum is fused into whatever reads the MLP's output, and computed again
    by each later head that reads it (most_freq at max_len 10: 0.85x-0.87x, sort
    0.91x); the last MLP's output only the unembedding reads, and there the sum
    gained (count at 10: 1.17x-1.29x, hist at 5: 1.14x)."""
    plan, mlp["w_out"] = without_diagonals(layer.mlp_tiles, mlp["w_out"])
    return replace(layer, mlp_tiles=plan)


def _score_dims(query_block, query_rows: int) -> int:
    """How many dimensions a score group's product has: the query block's columns,
    or the rows it reads where the block scales them or is folded away."""
    return query_rows if query_block is None or np.ndim(query_block) == 1 else np.shape(query_block)[1]


def _columns(x, indices: Indices):
    """Columns of the residual (``Segments``) or of an embedding table."""
    return x.read(indices) if isinstance(x, Segments) else x[..., as_index(indices)]


_SCORES = {(RESIDUAL, RESIDUAL): "bqe,bke->bqk", (RESIDUAL, POSITIONS): "bqe,ke->bqk",
           (POSITIONS, RESIDUAL): "qe,bke->bqk", (POSITIONS, POSITIONS): "qe,ke->qk"}


def _group_scores(query_reads: str, key_reads: str, q, k, ids):
    """One group's scores from its sides' features: (batch, n, e) per sequence, a
    table by position (n, e), or, on both sides, a table by token id (vocabulary,
    e): then the scores are one (vocabulary, vocabulary) table looked up by the
    ids (a padded position reads BOS's row: its scores are masked or dropped)."""
    if query_reads == TOKENS and key_reads == TOKENS:
        return _token_scores(q @ k.T, ids)
    return jnp.einsum(_SCORES[(query_reads, key_reads)], q, k)


#: Up to this many token ids, a score table is looked up by one sum of products
#: with the keys' indicators (``_token_scores``); beyond, by a gather.
SELECTED_TOKENS = 8


def _token_scores(table, ids):
    """``table[ids[b, q], ids[b, k]]``: (batch, n, n). XLA's gather by two indices
    costs about 3 ns a score on this CPU; for a few token ids, the query's row of
    the table (a gather of whole rows) times the key's indicator of each id, summed,
    is one fused elementwise pass (1.4x at 11 positions, 2.7x at 21, 5x at 41,
    alone). Exact: each score is one table entry plus zeros."""
    if table.shape[0] > SELECTED_TOKENS:
        return table[ids[:, :, None], ids[:, None, :]]
    rows = table[ids]
    scores = rows[:, :, None, 0] * (ids[:, None, :] == 0)
    for token in range(1, table.shape[0]):
        scores = scores + rows[:, :, None, token] * (ids[:, None, :] == token)
    return scores


def _head(x, mask, blocks, where: HeadIndex, attn_scale: float, embedded: dict):
    """One head; ``embedded``: what a side of a score group reads when it reads an
    embedding alone (the position embedding of the rows in use, the token
    embedding), and the token ids."""
    scores = jnp.zeros((x.shape[0], x.shape[1], x.shape[1]), x.dtype)
    sources = {RESIDUAL: x, POSITIONS: embedded[POSITIONS], TOKENS: embedded[TOKENS]}
    for group, block in zip(where.scores, blocks["scores"]):
        q = _project(_columns(sources[group.query_reads], group.query_rows), block["w_q"])
        k = _project(_columns(sources[group.key_reads], group.key_rows), block["w_k"])
        scores = scores + _group_scores(group.query_reads, group.key_reads, q, k, embedded["ids"])
    v = _project(_columns(x, where.value_rows), blocks["w_v"])
    pattern = jax.nn.softmax(jnp.where(mask[:, None, :], scores * attn_scale, MASKED), axis=-1)
    return _project(jnp.einsum("bqk,bke->bqe", pattern, v), blocks["w_o"])


def _residual_stream(arrays, token_ids, index: PackedIndex, attn_scale: float) -> Segments:
    """The residual after the last layer of a slice of token ids (slice, positions)."""
    mask = token_ids >= 0
    ids = jnp.maximum(token_ids, 0)
    positions = arrays["pos_embed"][jnp.arange(token_ids.shape[1])]
    embedded = {POSITIONS: positions, TOKENS: arrays["token_embed"], "ids": ids}
    width = index.embedded
    x = Segments.cut(arrays["token_embed"][:, :width][ids] + positions[None, :, :width], index.segments)
    for layer, where in zip(arrays["layers"], index.layers):
        # Every head reads the residual before any of them writes to it.
        written = [(head.out_cols, _head(x, mask, blocks, head, attn_scale, embedded))
                   for blocks, head in zip(layer["heads"], where.heads)]
        for cols, out in written:
            x = x.add(cols, out)
        mlp = layer["mlp"]
        bias = mlp["b_in"]
        if where.mlp_position_rows:
            bias = bias + _columns(positions, where.mlp_position_rows) @ mlp["w_in_positions"]
        out = tiled_output(_columns(x, where.mlp_rows), mlp["w_in"], bias, mlp["w_out"], mlp["w_overlay"],
                           where.mlp_tiles)
        x = x.add(where.mlp_cols, out + mlp["b_out"])
    return x


def _run_packed(arrays, token_ids, index: PackedIndex, attn_scale: float):
    return _residual_stream(arrays, token_ids, index, attn_scale).whole()


def _run_packed_logits(arrays, token_ids, index: PackedIndex, attn_scale: float):
    """The output logits of a slice, from the residual directions the unembedding
    reads (the output s-op's; a compiled model's unembedding picks them in order,
    a scaled slice): (slice, positions, n_outputs)."""
    x = _residual_stream(arrays, token_ids, index, attn_scale)
    return _project(x.read(index.readout_rows), arrays["unembed"])


#: The packed pass's slice (see ``runtime.engine.batching.in_slices``): its scores, a few
#: (slice, positions, positions) arrays per layer, stay in cache at 64 sequences; at
#: 256 the pass was measured 10-30% slower at max_len 64.
PACKED_SLICE = 64


@partial(jax.jit, static_argnames=("index", "attn_scale"))
def _packed_in_slices(arrays, token_ids, index: PackedIndex, attn_scale: float):
    """The residual of a batch: large batches a slice at a time (``in_slices``); short
    sequences with the batch as the minor axis (``runtime.engine.packed_minor``)."""
    if index.batch_minor:
        return batch_minor_in_slices(arrays, token_ids, index, attn_scale)
    return in_slices(lambda part: _run_packed(arrays, part, index, attn_scale), token_ids, PACKED_SLICE)


@partial(jax.jit, static_argnames=("index", "attn_scale"))
def packed_logits(arrays, token_ids, index: PackedIndex, attn_scale: float):
    """The output logits of a batch of token ids (batch, positions, n_outputs),
    computed slice by slice: a slice gives only its logits, not its whole residual
    (at max_len 40, writing reverse's residual out of the slices and zeroing the
    buffer for it was about a third of the pass)."""
    if index.batch_minor:
        return batch_minor_in_slices(arrays, token_ids, index, attn_scale, logits=True)
    return in_slices(lambda part: _run_packed_logits(arrays, part, index, attn_scale), token_ids, PACKED_SLICE)


def packed_residual(arrays, token_ids, index: PackedIndex, attn_scale: float):
    """The residual after the last layer of a batch (batch, positions, d_model), from
    the packed arrays (``Packed.arrays``) and their index."""
    return _packed_in_slices(arrays, jnp.asarray(token_ids, jnp.int32), index=index, attn_scale=attn_scale)


def packed_forward(packed: Packed, token_ids, attn_scale: float) -> jnp.ndarray:
    """The residual after the last layer, as the dense pass's ``forward`` gives it:
    (batch, positions, d_model), or (positions, d_model) for one input."""
    ids = jnp.asarray(token_ids, jnp.int32)
    single = ids.ndim == 1
    out = packed_residual(packed.arrays, ids[None] if single else ids, packed.index, float(attn_scale))
    return out[0] if single else out
