"""The packed pass's residual as column segments: reads and writes against the
same operations on one numpy array."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from runtime.segments import Segments, boundaries, runs


def test_runs_are_the_maximal_ranges_of_consecutive_columns():
    assert list(runs((2, 3, 4, 7, 9, 10))) == [(2, 5), (7, 8), (9, 11)]
    assert list(runs((5,))) == [(5, 6)]
    assert list(runs(())) == []


def test_every_write_covers_whole_segments():
    # runs (2, 5), (3, 5), (8, 9) and (10, 12)
    assert boundaries(12, [(2, 3, 4), (3, 4), (8, 10, 11)]) == (0, 2, 3, 5, 8, 9, 10, 12)


def test_reads_and_writes_match_one_array():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 12)).astype(np.float32)
    writes = [(2, 3, 4), (3, 4), (8, 10, 11), (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)]
    residual = Segments.cut(x, boundaries(12, writes))
    expected = x.copy()
    for columns in writes:
        out = rng.normal(size=(3, 4, len(columns))).astype(np.float32)
        residual = residual.add(columns, out)
        expected[..., list(columns)] += out
    assert residual.shape == expected.shape
    assert np.array_equal(np.asarray(residual.whole()), expected)
    for columns in [(0,), (1, 2, 3, 4, 5), (11, 0, 4), (6, 7, 9, 10)]:
        assert np.array_equal(np.asarray(residual.read(columns)), expected[..., list(columns)])
    assert np.asarray(residual.read(())).shape == (3, 4, 0)


def test_a_write_inside_a_segment_updates_only_its_columns():
    """A write that the boundaries did not foresee still adds to the right columns."""
    x = np.arange(2 * 10, dtype=np.float32).reshape(2, 10)
    residual = Segments.cut(jnp.asarray(x), (0, 4, 10)).add((3, 4, 5), np.ones((2, 3), np.float32))
    expected = x.copy()
    expected[:, 3:6] += 1
    assert np.array_equal(np.asarray(residual.whole()), expected)
