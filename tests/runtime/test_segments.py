"""The packed pass's residual as column segments: reads and writes against the
same operations on one numpy array."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from runtime.engine.segments import Segments, boundaries, runs


def test_runs_are_the_maximal_ranges_of_consecutive_columns():
    assert list(runs((2, 3, 4, 7, 9, 10))) == [(2, 5), (7, 8), (9, 11)]
    assert list(runs((5,))) == [(5, 6)]
    assert list(runs(())) == []


def test_every_write_covers_whole_segments():
    # runs (2, 5), (3, 5), (8, 9) and (10, 12)
    assert boundaries(12, [(2, 3, 4), (3, 4), (8, 10, 11)]) == (0, 2, 3, 5, 8, 9, 10, 12)


@pytest.mark.parametrize("axis", [-1, 0])
def test_reads_and_writes_match_one_array(axis):
    """Columns on the last axis, or on the first (the batch-minor layout): the
    expected array is kept with its columns last and moved to ``axis`` to compare."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 12)).astype(np.float32)
    writes = [(2, 3, 4), (3, 4), (8, 10, 11), (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)]
    residual = Segments.cut(np.moveaxis(x, -1, axis), boundaries(12, writes), axis)
    expected = x.copy()
    for columns in writes:
        out = rng.normal(size=(3, 4, len(columns))).astype(np.float32)
        residual = residual.add(columns, np.moveaxis(out, -1, axis))
        expected[..., list(columns)] += out
    assert residual.shape == np.moveaxis(expected, -1, axis).shape
    assert np.array_equal(np.asarray(residual.whole()), np.moveaxis(expected, -1, axis))
    for columns in [(0,), (1, 2, 3, 4, 5), (11, 0, 4), (6, 7, 9, 10)]:
        got = np.asarray(residual.read(columns))
        assert np.array_equal(got, np.moveaxis(expected[..., list(columns)], -1, axis))
    assert np.asarray(residual.read(())).shape == np.moveaxis(np.zeros((3, 4, 0)), -1, axis).shape


@pytest.mark.parametrize("axis", [-1, 0])
def test_a_write_inside_a_segment_updates_only_its_columns(axis):
    """A write that the boundaries did not foresee still adds to the right columns."""
    x = np.arange(2 * 10, dtype=np.float32).reshape(2, 10)
    cut = Segments.cut(jnp.asarray(np.moveaxis(x, -1, axis)), (0, 4, 10), axis)
    residual = cut.add((3, 4, 5), np.moveaxis(np.ones((2, 3), np.float32), -1, axis))
    expected = x.copy()
    expected[:, 3:6] += 1
    assert np.array_equal(np.asarray(residual.whole()), np.moveaxis(expected, -1, axis))


@pytest.mark.parametrize("axis", [-1, 0])
def test_columns_past_a_narrower_array_are_zeros_until_written(axis):
    """Cut from the first 5 of 12 columns (as the embeddings write only the first
    directions), the rest reads as zeros; writes to them, whole segments or part
    of one, in one run or several, land as on one array of zeros."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4, 12)).astype(np.float32)
    x[..., 5:] = 0
    residual = Segments.cut(jnp.asarray(np.moveaxis(x[..., :5], -1, axis)), (0, 2, 5, 8, 12), axis)
    assert residual.parts[2] is None and residual.parts[3] is None
    assert residual.shape == np.moveaxis(x, -1, axis).shape
    assert np.array_equal(np.asarray(residual.read((4, 5, 9))), np.moveaxis(x[..., [4, 5, 9]], -1, axis))
    expected = x.copy()
    for columns in [(9, 11), (5, 6, 7), (6,), (1, 8)]:
        out = rng.normal(size=(3, 4, len(columns))).astype(np.float32)
        residual = residual.add(columns, jnp.asarray(np.moveaxis(out, -1, axis)))
        expected[..., list(columns)] += out
    assert np.array_equal(np.asarray(residual.whole()), np.moveaxis(expected, -1, axis))
    assert np.array_equal(np.asarray(residual.read((11, 0, 8))), np.moveaxis(expected[..., [11, 0, 8]], -1, axis))
