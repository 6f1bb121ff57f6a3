"""An MLP's output product in column tiles or summed along diagonals: the plan
covers every nonzero weight, and the result equals the dense product computed in
float64 by numpy."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.engine.mlp_tiles import (CACHED_ACTIVATION_BYTES, FEW_INPUTS, MAX_DIAGONALS, Tile, dense_plan, diagonal_sum,
                                plan_tiles, tile_blocks, tiled_output, without_diagonals)


#: Residual rows a call multiplies: a slice of 64 sequences of 65 positions.
ROWS = 64 * 65


def _staircase(units: int, cols: int) -> np.ndarray:
    """Unit u writes the two columns either side of step u // 2 (as the units of a
    one-hot by steps do): a band along the diagonal."""
    written = np.zeros((units, cols), bool)
    for unit in range(units):
        step = unit * (cols - 1) // units
        written[unit, step] = written[unit, step + 1] = True
    return written


def _covers(plan, written: np.ndarray) -> None:
    """Every nonzero of ``written`` (units in the plan's order) lies in a tile or the
    overlay, the tiles cover the columns in order without overlap, and every unit
    appears once in the order."""
    units, cols = written.shape
    assert sorted(plan.order) == list(range(units))
    assert [tile.cols for tile in plan.tiles] == sorted(tile.cols for tile in plan.tiles)
    assert plan.tiles[0].cols[0] == 0 and plan.tiles[-1].cols[1] == cols
    assert all(a.cols[1] == b.cols[0] for a, b in zip(plan.tiles, plan.tiles[1:]))
    ordered = written[list(plan.order)]
    covered = np.zeros_like(ordered)
    for tile in plan.tiles + ((plan.overlay,) if plan.overlay else ()):
        covered[tile.units[0]:tile.units[1], tile.cols[0]:tile.cols[1]] = True
    assert not np.any(ordered & ~covered)


def test_a_staircase_is_cut_into_tiles_along_its_band():
    written = _staircase(256, 128)
    plan = plan_tiles(written, ROWS)
    assert len(plan.tiles) > 1 and plan.overlay is None
    _covers(plan, written)
    # Each unit writes two neighbouring columns, so a tile of w columns reads about
    # 2w of the 256 units (and one more on each edge), not all of them.
    for tile in plan.tiles:
        width = tile.cols[1] - tile.cols[0]
        assert tile.units[1] - tile.units[0] <= 2 * width + 4


def test_units_that_write_far_apart_are_an_overlay():
    """A unit that writes the first and the last column cannot join a tile: it is in
    the overlay, over every column between the two."""
    written = _staircase(256, 128)
    written[[7, 100], 0] = True
    written[[7, 100], 127] = True
    plan = plan_tiles(written, ROWS)
    _covers(plan, written)
    assert plan.overlay is not None
    assert plan.overlay.cols == (0, 128)
    assert sorted(plan.order[plan.overlay.units[0]:plan.overlay.units[1]]) == [7, 100]


def test_a_small_or_dense_output_stays_one_product():
    assert plan_tiles(_staircase(16, 8), ROWS) == dense_plan(16, 8)
    assert plan_tiles(np.ones((300, 100), bool), ROWS) == dense_plan(300, 100)
    assert plan_tiles(np.zeros((0, 5), bool), ROWS) == dense_plan(0, 5)


def test_activations_that_fit_in_the_cache_stay_one_product():
    """The same staircase, over few enough rows that its activations stay in cache."""
    written = _staircase(256, 128)
    assert plan_tiles(written, CACHED_ACTIVATION_BYTES // (4 * 256)) == dense_plan(256, 128)
    assert len(plan_tiles(written, 2 * CACHED_ACTIVATION_BYTES // (4 * 256)).tiles) > 1


def _weights(written: np.ndarray, rows: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    units = written.shape[0]
    w_in = rng.normal(size=(rows, units)).astype(np.float32)
    b_in = rng.normal(size=units).astype(np.float32)
    w_out = np.where(written, rng.normal(size=written.shape), 0).astype(np.float32)
    return w_in, b_in, w_out


@pytest.mark.parametrize("bias_by_position", [False, True])
@pytest.mark.parametrize("rows", [2, 6], ids=["few inputs", "a product"])
def test_the_tiled_product_is_the_dense_one(bias_by_position, rows):
    rng = np.random.default_rng(3)
    written = _staircase(256, 128)
    written[[5, 60], 3] = written[[5, 60], 90] = True  # an overlay
    written[:, 40:44] = False  # a tile that no unit writes: zeros
    plan = plan_tiles(written, ROWS)
    assert len(plan.tiles) > 1 and plan.overlay is not None
    assert (rows <= FEW_INPUTS) == (rows == 2)  # both ways of computing the units' input
    w_in, b_in, w_out = _weights(written, rows=rows, rng=rng)
    inputs = rng.normal(size=(4, 9, rows)).astype(np.float32)
    bias = b_in + (rng.normal(size=(9, 256)).astype(np.float32) if bias_by_position else 0)
    expected = np.maximum(inputs.astype(np.float64) @ w_in + bias, 0) @ w_out

    order = list(plan.order)
    tiles, overlay = tile_blocks(w_out[order], plan)
    got = tiled_output(inputs, w_in[:, order], bias[..., order], tiles, overlay, plan)
    assert got.shape == expected.shape
    assert np.abs(np.asarray(got) - expected).max() <= 1e-4 * max(1.0, np.abs(expected).max())


def test_an_empty_tile_writes_zeros():
    plan = dense_plan(0, 3)
    tiles, overlay = tile_blocks(np.zeros((0, 3), np.float32), plan)
    got = tiled_output(np.ones((2, 4), np.float32), np.zeros((4, 0), np.float32), np.zeros(0, np.float32),
                       tiles, overlay, plan)
    assert np.array_equal(np.asarray(got), np.zeros((2, 3)))
    assert plan.tiles == (Tile((0, 0), (0, 3)),)


def _one_hot_by_steps(cols: int) -> np.ndarray:
    """As a selector width writes its one-hot: unit u < cols - 1 steps between
    columns u and u + 1 and writes both; the last unit writes the first column
    alone, far from its place in the units' order."""
    written = np.zeros((cols, cols), bool)
    for unit in range(cols - 1):
        written[unit, unit] = written[unit, unit + 1] = True
    written[cols - 1, 0] = True
    return written


def _with_zero_unit(w_in, b_in, w_out):
    """The weights with one more unit, of zeros, last (as ``runtime.engine.packed`` gives
    the zero unit a plan may name)."""
    return np.pad(w_in, ((0, 0), (0, 1))), np.pad(b_in, (0, 1)), np.pad(w_out, ((0, 1), (0, 0)))


def test_a_one_hot_by_steps_is_one_tile_along_its_diagonals():
    written = _one_hot_by_steps(40)
    plan = plan_tiles(written, ROWS)
    (tile,) = plan.tiles
    assert plan.overlay is None and tile.cols == (0, 40)
    assert tile.diagonals is not None and len(tile.diagonals) <= MAX_DIAGONALS
    # Every unit once, ordered by the columns it writes, and zero units (named 40)
    # where a diagonal would run past the units.
    assert sorted(u for u in plan.order if u != 40) == list(range(40))
    assert tile.units == (0, len(plan.order))
    ordered = np.vstack([written, np.zeros((1, 40), bool)])[list(plan.order)]
    units, columns = np.nonzero(ordered)
    assert set((units - columns).tolist()) <= set(tile.diagonals)
    for offset in tile.diagonals:
        assert 0 <= offset and offset + 40 <= len(plan.order)


def test_a_band_of_too_many_diagonals_is_multiplied():
    written = np.zeros((40, 40), bool)
    for offset in range(MAX_DIAGONALS + 1):
        written[np.arange(offset, 40), np.arange(0, 40 - offset)] = True
    assert all(tile.diagonals is None for tile in plan_tiles(written, ROWS).tiles)


@pytest.mark.parametrize("rows", [2, 6], ids=["few inputs", "a product"])
def test_the_diagonal_sum_is_the_dense_product(rows):
    rng = np.random.default_rng(4)
    written = _one_hot_by_steps(40)
    plan = plan_tiles(written, ROWS)
    w_in, b_in, w_out = _weights(written, rows=rows, rng=rng)
    inputs = rng.normal(size=(4, 9, rows)).astype(np.float32)
    expected = np.maximum(inputs.astype(np.float64) @ w_in + b_in, 0) @ w_out

    w_in, b_in, w_out = _with_zero_unit(w_in, b_in, w_out)
    order = list(plan.order)
    tiles, overlay = tile_blocks(w_out[order], plan)
    assert tiles[0].shape == (len(plan.tiles[0].diagonals), 40)
    got = tiled_output(inputs, w_in[:, order], b_in[order], tiles, overlay, plan)
    assert np.abs(np.asarray(got) - expected).max() <= 1e-4 * max(1.0, np.abs(expected).max())
    # The same tile multiplied (as the batch-minor pass takes it).
    multiplied, blocks = without_diagonals(plan, tiles)
    assert multiplied.tiles[0].diagonals is None and np.array_equal(blocks[0], w_out[order])
    got = tiled_output(inputs, w_in[:, order], b_in[order], blocks, overlay, multiplied)
    assert np.abs(np.asarray(got) - expected).max() <= 1e-4 * max(1.0, np.abs(expected).max())


def test_the_diagonal_sum_runs_along_either_axis():
    """The batch-minor layout has the units first: the same sum along axis 0."""
    rng = np.random.default_rng(5)
    written = _one_hot_by_steps(12)
    plan = plan_tiles(written, ROWS)
    _, _, w_out = _with_zero_unit(*_weights(written, rows=2, rng=rng))
    order = list(plan.order)
    (along,), _ = tile_blocks(w_out[order], plan)
    hidden = rng.normal(size=(7, 5, len(order))).astype(np.float32)
    expected = hidden.astype(np.float64) @ w_out[order]
    offsets = plan.tiles[0].diagonals
    last = np.asarray(diagonal_sum(hidden, along, offsets))
    first = np.asarray(diagonal_sum(np.moveaxis(hidden, -1, 0), along, offsets, axis=0))
    assert np.abs(last - expected).max() <= 1e-5 * max(1.0, np.abs(expected).max())
    assert np.array_equal(np.moveaxis(first, 0, -1), last)
