"""An MLP's output product in column tiles, where each unit writes a few nearby columns.

A compiled MLP that writes a one-hot by steps (``depth = 2w - i - 1`` at max_len
64: 994 units writing 129 columns) has an output matrix that is nearly all zeros:
a step unit writes the two columns on either side of its step. Multiplied
densely, its hidden activations (slice rows x units) are read once per column of
the product, which made that one product half of dyck2's forward pass at 64.

``plan_tiles`` orders the units by the columns they write and cuts the columns
into equal tiles; a tile reads only the run of units that write into it, and
computes their hidden activations itself (so the activations of one tile stay in
cache). The few units that write far apart (a unit that reads the category alone
and writes every value of it) are one more product, over the columns they span,
added on top. ``tiled_output`` computes the same sum as the dense product, over
the nonzero blocks only: only the order of float32 additions differs.

Where the units, so ordered, put every output weight on a few diagonals (a
selector width's one-hot: column c from the units either side of its step), the
MLP is one tile summed along them (``diagonal_sum``): a few slices of the
activations, scaled and added in one fused pass, in place of a product whose
terms are nearly all zeros.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import jax
import jax.numpy as jnp
import numpy as np

#: A product narrower than this many columns runs at about the speed of one this
#: wide (measured on XLA's CPU dot: a (4160, 75) x (75, 9) product ran at a seventh
#: of a wide one's rate), so a tile's cost is counted at this width at least.
NARROWEST_EFFICIENT = 32

#: Tiling pays where a slice's hidden activations outgrow the cache (dyck2 at
#: max_len 20: 1,344 rows x 262 units, 1.4 MB, 1.15x-1.22x tiled); below, each tile
#: is only two more products and an activation (sort and majority at 20, 0.25 to
#: 0.35 MB: within noise or slower).
CACHED_ACTIVATION_BYTES = 1 << 20

#: Tiling must cut the product's estimated cost by this factor at least.
REQUIRED_GAIN = 1.25

TILE_COUNTS = (2, 4, 8, 16, 32)

#: Units that read this many directions or fewer (a width's scratch and bos: two)
#: take their input as that many scaled additions, which XLA fuses with the bias
#: and the ReLU into one pass over the activations; a product of inner size two is
#: written out and read back by a separate ReLU (dyck2 at max_len 64: 1.28x,
#: most_freq at 10: 1.2x, in an interleaved A/B).
FEW_INPUTS = 4


#: An MLP whose output weights lie on this many diagonals or fewer (unit minus
#: column, the units ordered by the columns they write) is summed along them, not
#: multiplied. A selector width's one-hot lies on three (sort's on four): in an
#: interleaved A/B of the batch-major pass at batch 1,024, hist@64 1.72x,
#: reverse@40 1.62x, count@40 1.35x, hist@20 1.28x, sort@64 1.12x, most_freq@64
#: 1.06x. The batch-minor pass sums only in its last layer (see
#: ``runtime.engine.packed._multiplied_tiles``).
MAX_DIAGONALS = 4


@dataclass(frozen=True)
class Tile:
    """Hidden units ``units[0]:units[1]`` (in the planned order) writing the MLP's
    output columns ``cols[0]:cols[1]``; an empty unit range writes zeros.
    ``diagonals``: when set, the offsets (unit - column) of the only diagonals its
    weights are on, and its weights are kept one row per diagonal."""

    units: tuple[int, int]
    cols: tuple[int, int]
    diagonals: tuple[int, ...] | None = None


@dataclass(frozen=True)
class TilePlan:
    """``order``: the units' order (indices into the MLP's kept units); ``tiles``
    cover the output columns in order, without overlap; ``overlay``, when there are
    wide units, adds their product over the columns they span."""

    order: tuple[int, ...]
    tiles: tuple[Tile, ...]
    overlay: Tile | None


def dense_plan(units: int, cols: int) -> TilePlan:
    """One tile: every unit, every column (the plain product)."""
    return TilePlan(tuple(range(units)), (Tile((0, units), (0, cols)),), None)


def _cost(tile: Tile) -> int:
    width = tile.cols[1] - tile.cols[0]
    return (tile.units[1] - tile.units[0]) * max(width, NARROWEST_EFFICIENT)


def _column_span(written: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, the first and the last column it writes."""
    cols = written.shape[1]
    return np.argmax(written, axis=1), cols - 1 - np.argmax(written[:, ::-1], axis=1)


def _plan_with(written: np.ndarray, count: int) -> TilePlan:
    """The plan for ``count`` tiles of equal width over ``written`` (units x
    columns, True where a unit writes a column; every unit writes one)."""
    units, cols = written.shape
    first, last = _column_span(written)
    width = -(-cols // count)
    wide = last // width - first // width > 1  # writes past the neighbouring tile
    narrow = np.flatnonzero(~wide)
    narrow = narrow[np.lexsort((last[narrow], first[narrow]))]
    spread = np.flatnonzero(wide)
    tiles = []
    for start in range(0, cols, width):
        stop = min(start + width, cols)
        writing = np.flatnonzero(written[narrow, start:stop].any(axis=1))
        span = (int(writing[0]), int(writing[-1]) + 1) if len(writing) else (0, 0)
        tiles.append(Tile(span, (start, stop)))
    overlay = None
    if len(spread):
        spanned = np.flatnonzero(written[spread].any(axis=0))
        overlay = Tile((len(narrow), units), (int(spanned[0]), int(spanned[-1]) + 1))
    order = tuple(int(u) for u in np.concatenate([narrow, spread]))
    return TilePlan(order, tuple(tiles), overlay)


def _best_tiling(written: np.ndarray, rows: int) -> TilePlan:
    """The plan of column tiles the cost model above prefers (see ``plan_tiles``)."""
    units, cols = written.shape
    best = dense_plan(units, cols)
    if units == 0 or rows * units * 4 <= CACHED_ACTIVATION_BYTES:
        return best
    dense_cost = units * max(cols, NARROWEST_EFFICIENT)
    best_cost = dense_cost / REQUIRED_GAIN
    for count in TILE_COUNTS:
        if count > cols:
            break
        plan = _plan_with(written, count)
        cost = sum(_cost(tile) for tile in plan.tiles) + (_cost(plan.overlay) if plan.overlay else 0)
        if cost < best_cost:
            best, best_cost = plan, cost
    return best


def _diagonal_plan(written: np.ndarray) -> TilePlan | None:
    """One tile summed along its diagonals, when the units, ordered by the columns
    they write, put every weight on at most MAX_DIAGONALS diagonals (unit - column)
    and need at most MAX_DIAGONALS zero units around them so that each diagonal
    reads a whole run of units: the order names the zero unit as ``units`` (one
    past the last; ``runtime.engine.packed`` gives it zero weights)."""
    units, cols = written.shape
    if units == 0:
        return None
    first, last = _column_span(written)
    order = np.lexsort((last, first))
    rows, columns = np.nonzero(written[order])
    offsets = np.unique(rows - columns)
    before, after = max(0, -int(offsets[0])), max(0, cols + int(offsets[-1]) - units)
    if len(offsets) > MAX_DIAGONALS or before + after > MAX_DIAGONALS:
        return None
    padded = (units,) * before + tuple(int(u) for u in order) + (units,) * after
    tile = Tile((0, len(padded)), (0, cols), tuple(int(offset) + before for offset in offsets))
    return TilePlan(padded, (tile,), None)


def plan_tiles(written: np.ndarray, rows: int) -> TilePlan:
    """The cheapest plan (``written``: units x columns, True where a unit's output
    weight is nonzero; ``rows``: how many residual rows one call multiplies): one
    tile summed along its diagonals where the weights allow it (a diagonal sum
    never writes out the activations, so it needs no tiles); else, by the cost
    model above, tiles only where the dense activations outgrow the cache and
    tiles cut the product's cost by REQUIRED_GAIN or more."""
    return _diagonal_plan(written) or _best_tiling(written, rows)


def tile_blocks(w_out: np.ndarray, plan: TilePlan) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The output weights of each tile, and of the overlay (a list of at most one),
    from ``w_out`` (units in the planned order x columns)."""
    def block(tile: Tile) -> np.ndarray:
        weights = w_out[tile.units[0]:tile.units[1], tile.cols[0]:tile.cols[1]]
        if tile.diagonals is None:
            return weights
        columns = np.arange(weights.shape[1])
        return np.stack([weights[columns + offset, columns] for offset in tile.diagonals])

    return [block(tile) for tile in plan.tiles], [] if plan.overlay is None else [block(plan.overlay)]


def without_diagonals(plan: TilePlan, tile_weights: list[np.ndarray]) -> tuple[TilePlan, list[np.ndarray]]:
    """``plan`` and its tiles' weights with every tile multiplied as a product (the
    batch-minor pass multiplies its small tiles faster than it sums diagonals)."""
    blocks = []
    for tile, weights in zip(plan.tiles, tile_weights):
        if tile.diagonals is None:
            blocks.append(weights)
            continue
        block = np.zeros((tile.units[1] - tile.units[0], weights.shape[1]), weights.dtype)
        columns = np.arange(weights.shape[1])
        for offset, along in zip(tile.diagonals, weights):
            block[columns + offset, columns] = along
        blocks.append(block)
    tiles = tuple(replace(tile, diagonals=None) for tile in plan.tiles)
    return replace(plan, tiles=tiles), blocks


def diagonal_sum(hidden, along, offsets: tuple[int, ...], axis: int = -1):
    """``hidden @ w`` for a ``w`` (units x columns) whose nonzero weights lie on the
    diagonals ``offsets`` (unit - column; every diagonal a whole run of units), kept
    as ``along`` (one row of weights per diagonal, by column): column c is
    ``sum_k hidden[..., c + offsets[k]] * along[k, c]``, the units along ``axis``
    (-1, or 0 in the batch-minor layout), slices and multiply-adds that XLA fuses
    with the activations into one pass. The same terms as the product, without
    its zeros."""
    cols = along.shape[1]

    def term(offset, weights):
        if axis == 0:
            return hidden[offset:offset + cols] * weights.reshape((-1,) + (1,) * (hidden.ndim - 1))
        return hidden[..., offset:offset + cols] * weights

    total = term(offsets[0], along[0])
    for offset, weights in zip(offsets[1:], along[1:]):
        total = total + term(offset, weights)
    return total


def _hidden(inputs, w_in, bias):
    """``relu(inputs @ w_in + bias)``; from FEW_INPUTS directions or fewer, as
    scaled additions in one elementwise pass."""
    if inputs.shape[-1] > FEW_INPUTS:
        return jax.nn.relu(inputs @ w_in + bias)
    total = bias
    for row in range(inputs.shape[-1]):
        total = total + inputs[..., row:row + 1] * w_in[row]
    return jax.nn.relu(total)


def tiled_output(inputs, w_in, bias, tile_weights, overlay_weights, plan: TilePlan):
    """``relu(inputs @ w_in + bias) @ w_out`` by the plan: (..., columns)."""
    def hidden(tile: Tile):
        start, stop = tile.units
        return _hidden(inputs, w_in[:, start:stop], bias[..., start:stop])

    def product(tile: Tile, weights):
        if tile.diagonals is not None:
            return diagonal_sum(hidden(tile), weights, tile.diagonals)
        return hidden(tile) @ weights

    parts = [product(tile, weights) for tile, weights in zip(plan.tiles, tile_weights)]
    out = parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=-1)
    if plan.overlay is not None:
        start, stop = plan.overlay.cols
        out = out.at[..., start:stop].add(hidden(plan.overlay) @ overlay_weights[0])
    return out
