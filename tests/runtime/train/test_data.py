"""Sampling, splitting and encoding training data; expected values worked by hand."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from raspc.errors import InputError
from runtime.model import CATEGORICAL, NUMERICAL, ModelConfig
from runtime.train.data import (encode_split, feasible_sizes, inputs_dataset, sample_inputs, split_inputs, split_pairs,
                                value_index)
from runtime.train.loop import batch_rows, drawing_weights, length_balance


def config(values=(0, 1, 2), encoding=CATEGORICAL) -> ModelConfig:
    return ModelConfig(("<BOS>", "a", "b"), 3, 4, 2, 1, "out", encoding, values if encoding == CATEGORICAL else ())


def test_sets_have_their_sizes_and_share_no_input():
    train, validation, test = sample_inputs("abcd", 10, (2000, 300, 500), seed=3)
    assert (len(train), len(validation), len(test)) == (2000, 300, 500)
    assert len(set(train)) == 2000 and len(set(validation)) == 300 and len(set(test)) == 500
    assert not set(train) & set(validation) and not set(train) & set(test) and not set(validation) & set(test)
    assert all(set(tokens) <= set("abcd") and 1 <= len(tokens) <= 10 for tokens in train + validation + test)


def test_lengths_are_spread_over_every_length():
    train, validation, test = sample_inputs("abcd", 10, (2000, 300, 500), seed=3)
    for members in (train, validation, test):
        counts = Counter(len(t) for t in members)
        assert set(counts) >= set(range(3, 11))
        # Lengths 5..10 hold far more distinct inputs than needed: each gets about an even share.
        long = [counts[n] for n in range(5, 11)]
        assert max(long) - min(long) <= 0.1 * max(long)


def test_short_lengths_are_exhausted_not_repeated():
    train, validation, test = sample_inputs("ab", 3, (10, 2, 2), seed=0)
    every = train + validation + test
    assert sorted(every, key=lambda t: (len(t), t)) == [
        ("a",), ("b",), ("a", "a"), ("a", "b"), ("b", "a"), ("b", "b"),
        ("a", "a", "a"), ("a", "a", "b"), ("a", "b", "a"), ("a", "b", "b"),
        ("b", "a", "a"), ("b", "a", "b"), ("b", "b", "a"), ("b", "b", "b")]


def test_sizes_shrink_to_the_inputs_there_are():
    assert feasible_sizes((20000, 1000, 2000), 4, 10) == (20000, 1000, 2000)
    # Two tokens, lengths 1..10: 2 + 4 + ... + 1024 = 2046 inputs.
    assert feasible_sizes((20000, 1000, 2000), 2, 10) == (2046 - 204 - 409, 204, 409)


def test_too_many_inputs_are_refused():
    with pytest.raises(InputError, match="only 14"):
        sample_inputs("ab", 3, (10, 3, 2), seed=0)


def test_the_seed_fixes_the_sample():
    assert sample_inputs("abc", 6, (50, 10), seed=1) == sample_inputs("abc", 6, (50, 10), seed=1)
    assert sample_inputs("abc", 6, (50, 10), seed=1) != sample_inputs("abc", 6, (50, 10), seed=2)


def test_corpus_pairs_are_deduplicated_and_held_out_first():
    pairs = [(("a",), [1]), (("b",), [1]), (("a",), [1])] + [((c, d), [1, 1]) for c in "ab" for d in "ab"]
    train, validation, test = split_pairs(pairs, (100, 1, 2), seed=0)
    assert len(validation) == 1 and len(test) == 2 and len(train) == 3
    inputs = [p[0] for p in train + validation + test]
    assert len(set(inputs)) == 6


def test_given_inputs_are_deduplicated_held_out_first_and_seeded():
    inputs = [("a",), ("b",), ("a",)] + [(c, d) for c in "ab" for d in "ab"] + [("b", "b")]
    train, validation, test = split_inputs(inputs, (100, 1, 2), seed=0)
    assert len(validation) == 1 and len(test) == 2 and len(train) == 3
    assert sorted(train + validation + test) == sorted({("a",), ("b",), ("a", "a"), ("a", "b"), ("b", "a"),
                                                        ("b", "b")})
    assert split_inputs(inputs, (100, 1, 2), seed=0) == [train, validation, test]
    assert split_inputs(inputs, (2, 1, 2), seed=0)[0] == train[:2]


def test_given_inputs_are_labelled_like_sampled_ones():
    """The held-out sets by the reference labeller, the training set by its own."""
    inputs = [(c,) for c in "ab"] + [(c, d) for c in "ab" for d in "ab"]
    reference = lambda rows: [[2] * len(row) for row in rows]  # noqa: E731
    fast = lambda rows: [[1] * len(row) for row in rows]  # noqa: E731
    data = inputs_dataset(config(), inputs, reference, (4, 1, 1), seed=0, label_train=fast)
    assert data.sizes() == {"train": 4, "validation": 1, "test": 1}
    assert set(data.train.targets[data.train.mask].tolist()) == {value_index(config(), 1)}
    for split in (data.validation, data.test):
        assert set(split.targets[split.mask].tolist()) == {value_index(config(), 2)}


def test_encoding_by_hand():
    split = encode_split(config(), [("a", "b"), ("b",)], [[2, 0], [1]])
    np.testing.assert_array_equal(split.ids, [[0, 1, 2, -1], [0, 2, -1, -1]])
    np.testing.assert_array_equal(split.targets, [[0, 2, 0, 0], [0, 1, 0, 0]])
    np.testing.assert_array_equal(split.mask, [[False, True, True, False], [False, True, False, False]])
    numerical = encode_split(config(encoding=NUMERICAL), [("a",)], [[0.25]])
    assert numerical.targets.dtype == np.float32 and numerical.targets[0, 1] == 0.25


def test_a_bool_is_not_an_int():
    bools = config(values=(False, True))
    assert value_index(bools, True) == 1
    with pytest.raises(InputError, match="not one the model can give"):
        value_index(bools, 1)
    with pytest.raises(InputError, match="not one per token"):
        encode_split(config(), [("a", "b")], [[1]])


def test_batches_draw_every_length_equally_often():
    inputs = [("a",)] * 1 + [("a", "b")] * 9 + [("a", "b", "c")] * 90
    split = encode_split(ModelConfig(("<BOS>", "a", "b", "c"), 3, 4, 2, 1, "out", CATEGORICAL, ("a", "b", "c")),
                         inputs, [list(t) for t in inputs])
    rows = np.concatenate([batch_rows(0, step, length_balance(split), 300) for step in range(20)])
    counts = Counter(len(inputs[int(r)]) for r in rows)
    for length in (1, 2, 3):
        assert abs(counts[length] / len(rows) - 1 / 3) < 0.03
    assert (batch_rows(4, 7, length_balance(split), 50) == batch_rows(4, 7, length_balance(split), 50)).all()


def test_a_corpus_of_sentences_draws_every_sentence_equally_often():
    """Its lengths are the corpus's own: each of the 29 training sentences (31
    less two held out) is drawn about 1 time in 29, whatever its length."""
    cfg = ModelConfig(("<BOS>", "a", "b", "c"), 3, 4, 2, 1, "out", CATEGORICAL, ("a", "b", "c"))
    inputs = [("a",)] + [("a", t) for t in "abc"] + [(x, y, z) for x in "abc" for y in "abc" for z in "abc"]
    data = inputs_dataset(cfg, inputs, lambda rows: [list(t) for t in rows], (100, 1, 1), seed=0)
    assert not data.balance_lengths and len(data.train) == 29
    rows = np.concatenate([batch_rows(0, step, drawing_weights(data), 300) for step in range(20)])
    drawn = Counter(int(r) for r in rows)
    assert len(drawn) == 29 and all(abs(count / len(rows) - 1 / 29) < 0.01 for count in drawn.values())
