"""Encoding, buckets, slices and shards (``runtime.engine.batching``): cases worked
by hand, and slices and shards against one call over the whole batch."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from raspc.errors import InputError
from runtime.engine.batching import (MIN_SHARD, PAD, bucket, encode, in_shards, in_slices, padded_slices,
                                     shard_count)
from runtime.model import CATEGORICAL, ModelConfig

ABC = ModelConfig(vocab=("<BOS>", "a", "b", "c"), max_len=6, d_model=4, d_head=1, n_layers=0, output="out",
                  output_encoding=CATEGORICAL, output_values=("a", "b", "c"))


def test_encode_puts_bos_first():
    assert encode(ABC, ("b", "a", "c")).tolist() == [0, 2, 1, 3]
    assert encode(ABC, "ba").tolist() == [0, 2, 1]


@pytest.mark.parametrize("tokens, message", [
    (("a", "z"), "token 'z' at position 1 is not in the vocabulary {a, b, c}"),
    ((), "empty"),
    (("a",) * 7, "more than max_len 6"),
])
def test_encode_rejects_bad_inputs(tokens, message):
    with pytest.raises(InputError) as raised:
        encode(ABC, tokens)
    assert message in raised.value.message


def test_encode_keeps_ints_bools_and_floats_apart():
    """1 and True are equal in Python but different tokens; 2 and 2.0 are one number."""
    config = ModelConfig(vocab=("<BOS>", True, 1, 2.0), max_len=4, d_model=4, d_head=1, n_layers=0,
                         output="out", output_encoding=CATEGORICAL)
    assert encode(config, (1, True, 2)).tolist() == [0, 2, 1, 3]
    with pytest.raises(InputError, match="token False at position 0"):
        encode(config, (False,))


def test_buckets_are_powers_of_two_between_floor_and_cap():
    """Worked by hand: 5 -> 8, 8 -> 8, 9 -> 16, capped at 12; floor 64 lifts 3 to 64."""
    assert [bucket(n, 100) for n in (0, 1, 2, 3, 5, 8, 9)] == [1, 1, 2, 4, 8, 8, 16]
    assert bucket(9, 12) == 12
    assert bucket(3, 512, floor=64) == 64 and bucket(65, 512, floor=64) == 128


def test_padded_slices_fill_the_last_slice_with_pad_rows():
    ids = jnp.arange(10, dtype=jnp.int32).reshape(5, 2)
    slices = np.asarray(padded_slices(ids, 2))
    assert slices.shape == (3, 2, 2)
    assert slices[2].tolist() == [[8, 9], [PAD, PAD]]
    assert slices[:2].reshape(4, 2).tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]


def test_in_slices_gives_the_rows_of_one_call():
    """Row sums, slice by slice (7 rows in slices of 3: two whole and one partial)."""
    ids = jnp.asarray(np.arange(21, dtype=np.int32).reshape(7, 3))
    calls = []

    def run(part):
        calls.append(part.shape)
        return part.sum(axis=1)

    assert np.asarray(in_slices(run, ids, 3)).tolist() == [3, 12, 21, 30, 39, 48, 57]
    assert calls == [(3, 3)]  # traced once by lax.map, for one slice
    assert np.asarray(in_slices(run, ids, 8)).tolist() == [3, 12, 21, 30, 39, 48, 57]


def test_shard_counts_divide_the_batch_into_parts_of_64_or_more():
    """Worked by hand: one part per core, each at least 64 rows, dividing the batch."""
    assert MIN_SHARD == 64
    assert shard_count(1024, cores=2) == 2
    assert shard_count(1024, cores=3) == 2  # 1024 = 3 x 341.3: two parts of 512
    assert shard_count(192, cores=4) == 3  # at most 192 // 64 parts, and 3 divides 192
    assert shard_count(100, cores=8) == 1  # two parts would be under 64 rows
    assert shard_count(4096, cores=1) == 1


def test_shards_are_contiguous_parts_in_batch_order():
    ids = np.arange(12, dtype=np.int32).reshape(6, 2)
    parts = in_shards(lambda part: jnp.asarray(part) * 10, ids, 3)
    assert [np.asarray(p).tolist() for p in parts] == [[[0, 10], [20, 30]], [[40, 50], [60, 70]],
                                                        [[80, 90], [100, 110]]]
    assert [np.asarray(p).tolist() for p in in_shards(lambda part: jnp.asarray(part) + 1, ids[:1], 1)] == [[[1, 2]]]
