"""The packed pass with the batch as the minor axis, for short sequences.

At a few positions, every axis of the packed pass but the batch is short: a head's
scores are (batch, 11, 11) at max_len 10, its dimensions 1 to 5, an MLP 10 to 20
units. Laid out batch-major, each of those short axes is the one a CPU's vector
lanes run along, and the kernels run far below their rate (a (704, 11) x (11, 12)
product at about 5 GFLOP/s; a softmax's maximum over 11 keys at about 2 ns a
score). Here the residual is (d_model, positions, batch): the batch, 128 sequences
a slice, is the axis every elementwise step runs along, a projection is one
product of a (rows, positions x batch) matrix, and a head's scores and mixing are
sums over its few dimensions and keys, each one fused elementwise pass.

It runs the index and blocks ``runtime.engine.packed.pack`` keeps, and computes the same
function as ``runtime.engine.packed`` (only the order of float32 additions differs);
``runtime.engine.packed`` sends a batch here when the model suits it
(``suits_batch_minor``: short sequences, narrow score groups).
"""
from __future__ import annotations

from typing import Iterable

import jax
import jax.numpy as jnp

from runtime.engine.batching import MASKED, padded_slices
from runtime.engine.mlp_tiles import FEW_INPUTS, Tile, diagonal_sum
from runtime.engine.packed_index import POSITIONS, RESIDUAL, TOKENS, HeadIndex, Indices, PackedIndex, as_index
from runtime.engine.segments import Segments

#: Models of at most this many positions (BOS included) run batch-minor: at max_len
#: 10 (11 positions) an interleaved A/B against the batch-major pass read most of
#: the bundled programs 1.05x-1.65x faster at batch 1,024 (most_freq 1.5x, sort
#: 1.4x, hist 1.2x), and at max_len 5 1.4x-1.6x; at max_len 20 the sums over keys
#: cost more than the batched products they replace (0.6x-0.9x).
BATCH_MINOR_POSITIONS = 16

#: Nor does a model with a score group of more dimensions than this (a sum over
#: them, per pair of positions, unrolled): a comparison of token ids over a
#: vocabulary of 100 runs batch-major. dyck2 and sort_unique at max_len 10 compare
#: one-hots of 21 values, and run 1.5x faster batch-minor.
SUMMED_DIMS = 32

#: Sequences a slice: the minor axis, long enough to fill the vector lanes many
#: times over; the slice's residual and scores stay in cache.
MINOR_SLICE = 128


def suits_batch_minor(positions: int, score_dims: Iterable[int]) -> bool:
    """Whether a model of ``positions`` positions whose score groups have
    ``score_dims`` dimensions runs batch-minor."""
    return positions <= BATCH_MINOR_POSITIONS and all(dims <= SUMMED_DIMS for dims in score_dims)


def _product(block, features):
    """``block`` (rows, out) applied to ``features`` (rows, positions, batch):
    (out, positions, batch). From FEW_INPUTS rows or fewer, as scaled additions,
    which XLA fuses with what follows; otherwise one (out, rows) x (rows,
    positions x batch) product."""
    rows, out = block.shape
    if rows == 0:
        return jnp.zeros((out,) + features.shape[1:], features.dtype)
    if rows <= FEW_INPUTS:
        total = block[0][:, None, None] * features[0][None]
        for row in range(1, rows):
            total = total + block[row][:, None, None] * features[row][None]
        return total
    return (block.T @ features.reshape(rows, -1)).reshape((out,) + features.shape[1:])


def _project(features, block):
    """``features`` (rows, positions, batch or 1) times a kept block: a product, a
    scale per row (a 1-D block), or as they are (None)."""
    if block is None:
        return features
    if block.ndim == 1:
        return features * block[:, None, None]
    return _product(block, features)


def _scores(q, k):
    """(query positions, key positions, batch) from per-dimension features ``q``
    (dims, query positions, batch or 1) and ``k`` (dims, key positions, batch or
    1), summed over the dims (at most SUMMED_DIMS)."""
    total = q[0][:, None, :] * k[0][None, :, :]
    for dim in range(1, q.shape[0]):
        total = total + q[dim][:, None, :] * k[dim][None, :, :]
    return total


def _mixed(pattern, values):
    """``sum_k pattern[q, k, b] * values[e, k, b]``: (dims, query positions, batch),
    one elementwise pass over the keys. The pattern is computed once first: fused
    into the sum, XLA would compute the softmax again for every dimension."""
    pattern = jax.lax.optimization_barrier(pattern)
    total = pattern[None, :, 0] * values[:, 0][:, None]
    for key in range(1, pattern.shape[1]):
        total = total + pattern[None, :, key] * values[:, key][:, None]
    return total


def _side(x, positions, reads: str, rows: Indices, block):
    """One side of a score group: from the residual (tokens are read there too: the
    directions only the token embedding writes hold it), or from the position
    table (d_model, positions), the same for every sequence (a batch axis of 1)."""
    if reads == POSITIONS:
        return _project(positions[as_index(rows)][..., None], block)
    assert reads in (RESIDUAL, TOKENS)
    return _project(x.read(rows), block)


def _head(x, mask, positions, blocks, where: HeadIndex, attn_scale: float):
    """One head: its output (out_cols, positions, batch)."""
    scores = 0.0
    for group, block in zip(where.scores, blocks["scores"]):
        q = _side(x, positions, group.query_reads, group.query_rows, block["w_q"])
        k = _side(x, positions, group.key_reads, group.key_rows, block["w_k"])
        scores = scores + _scores(q, k)
    n, batch = mask.shape
    scores = jnp.broadcast_to(scores, (n, n, batch))
    pattern = jax.nn.softmax(jnp.where(mask[None], scores * attn_scale, MASKED), axis=1)
    values = _project(x.read(where.value_rows), blocks["w_v"])
    w_o = blocks["w_o"]
    mixed = _mixed(pattern, values)
    return mixed * w_o[:, None, None] if w_o.ndim == 1 else _product(w_o, mixed)


def _hidden(inputs, w_in, bias, tile: Tile):
    start, stop = tile.units
    return jax.nn.relu(_product(w_in[:, start:stop], inputs) + bias[start:stop])


def _tile_product(hidden, weights, tile: Tile):
    if tile.diagonals is not None:
        return diagonal_sum(hidden, weights, tile.diagonals, axis=0)
    return _product(weights, hidden)


def _mlp(x, positions, mlp, where):
    """The MLP's output (its columns, positions, batch), tile by tile as planned."""
    bias = mlp["b_in"][:, None, None]
    if where.mlp_position_rows:
        bias = bias + _product(mlp["w_in_positions"], positions[as_index(where.mlp_position_rows)][..., None])
    inputs = x.read(where.mlp_rows)
    plan = where.mlp_tiles
    parts = [_tile_product(_hidden(inputs, mlp["w_in"], bias, tile), weights, tile)
             for tile, weights in zip(plan.tiles, mlp["w_out"])]
    out = parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=0)
    if plan.overlay is not None:
        start, stop = plan.overlay.cols
        out = out.at[start:stop].add(_product(mlp["w_overlay"][0], _hidden(inputs, mlp["w_in"], bias, plan.overlay)))
    return out + mlp["b_out"][:, None, None]


#: Vocabularies (BOS included) of up to this many tokens are embedded by a product
#: with the ids' one-hot (see ``_token_embedding``).
ONE_HOT_TOKENS = 64


def _token_embedding(table, ids):
    """The token embedding (d_model, positions, batch) of ids (positions, batch).
    XLA gathers the table's rows as (positions x batch, d_model) and transposes
    them; the product of the table's transpose and the ids' one-hot comes out in
    this layout (1.1x-1.3x the whole pass at max_len 10), and is exact: one term
    per entry is not zero."""
    if table.shape[0] > ONE_HOT_TOKENS:
        return table.T[:, ids]
    one_hot = (ids[None] == jnp.arange(table.shape[0])[:, None, None]).astype(table.dtype)
    return _product(table, one_hot)


def run_batch_minor(arrays, token_ids, index: PackedIndex, attn_scale: float, logits: bool = False):
    """The residual after the last layer of a batch of token ids (batch,
    positions), as (d_model, positions, batch); or, with ``logits``, the output
    logits (n_outputs, positions, batch) read from it."""
    mask = (token_ids >= 0).T
    ids = jnp.maximum(token_ids, 0).T
    positions = arrays["pos_embed"][:token_ids.shape[1]].T
    # One segment: with the directions as the major axis, a write of a few of them is
    # a contiguous block, which XLA updates in place; cut at ``index.segments``, the
    # join at the end was a copy choosing a segment per element (1.1x-1.3x slower).
    # The embeddings write only the first ``index.embedded`` directions, the rest are
    # zeros; held as a segment of zeros, a head's output went to its reader unwritten,
    # and XLA computed the head's mixing again for every MLP unit (hist: 0.4x).
    width, d_model = index.embedded, positions.shape[0]
    embedded = _token_embedding(arrays["token_embed"][:, :width], ids) + positions[:width, :, None]
    embedded = jnp.pad(embedded, ((0, d_model - width), (0, 0), (0, 0)))
    x = Segments.cut(embedded, (0, d_model), axis=0)
    for layer, where in zip(arrays["layers"], index.layers):
        # Every head reads the residual before any of them writes to it.
        written = [(head.out_cols, _head(x, mask, positions, blocks, head, attn_scale))
                   for blocks, head in zip(layer["heads"], where.heads)]
        for cols, out in written:
            x = x.add(cols, out)
        if where.mlp_cols:
            x = x.add(where.mlp_cols, _mlp(x, positions, layer["mlp"], where))
    if logits:
        return _project(x.read(index.readout_rows), arrays["unembed"])
    return x.whole()


def batch_minor_in_slices(arrays, token_ids, index: PackedIndex, attn_scale: float, logits: bool = False):
    """``run_batch_minor`` over a batch, MINOR_SLICE sequences at a time
    (``runtime.engine.batching.padded_slices``), turned back to (batch, positions, d_model)
    (or (batch, positions, n_outputs) with ``logits``) once, at the end."""
    batch = token_ids.shape[0]
    if batch <= MINOR_SLICE:
        return run_batch_minor(arrays, token_ids, index, attn_scale, logits).transpose(2, 1, 0)
    out = jax.lax.map(lambda part: run_batch_minor(arrays, part, index, attn_scale, logits),
                      padded_slices(token_ids, MINOR_SLICE))
    return out.transpose(0, 3, 2, 1).reshape(-1, token_ids.shape[1], out.shape[1])[:batch]
