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
"""
from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Tile:
    """Hidden units ``units[0]:units[1]`` (in the planned order) writing the MLP's
    output columns ``cols[0]:cols[1]``; an empty unit range writes zeros."""

    units: tuple[int, int]
    cols: tuple[int, int]


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


def _plan_with(written: np.ndarray, count: int) -> TilePlan:
    """The plan for ``count`` tiles of equal width over ``written`` (units x
    columns, True where a unit writes a column; every unit writes one)."""
    units, cols = written.shape
    first = np.argmax(written, axis=1)
    last = cols - 1 - np.argmax(written[:, ::-1], axis=1)
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


def plan_tiles(written: np.ndarray, rows: int) -> TilePlan:
    """The cheapest plan by the cost model above (``written``: units x columns,
    True where a unit's output weight is nonzero; ``rows``: how many residual rows
    one call multiplies): tiles only where the dense activations outgrow the
    cache and tiles cut the product's cost by REQUIRED_GAIN or more."""
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


def tile_blocks(w_out: np.ndarray, plan: TilePlan) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The output weights of each tile, and of the overlay (a list of at most one),
    from ``w_out`` (units in the planned order x columns)."""
    def block(tile: Tile) -> np.ndarray:
        return w_out[tile.units[0]:tile.units[1], tile.cols[0]:tile.cols[1]]

    return [block(tile) for tile in plan.tiles], [] if plan.overlay is None else [block(plan.overlay)]


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

    parts = [hidden(tile) @ weights for tile, weights in zip(plan.tiles, tile_weights)]
    out = parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=-1)
    if plan.overlay is not None:
        start, stop = plan.overlay.cols
        out = out.at[..., start:stop].add(hidden(plan.overlay) @ overlay_weights[0])
    return out
