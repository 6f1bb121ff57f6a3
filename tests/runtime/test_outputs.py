"""Decoding output logits and comparing outputs (``runtime.outputs``): cases worked by hand."""
from __future__ import annotations

import numpy as np

from runtime.model import CATEGORICAL, NUMERICAL, ModelConfig
from runtime.outputs import decode, decode_batch, same_output, same_value


def _config(encoding: str, values: tuple = ()) -> ModelConfig:
    return ModelConfig(vocab=("<BOS>", "a", "b"), max_len=3, d_model=2, d_head=1, n_layers=0, output="out",
                       output_encoding=encoding, output_values=values)


def test_same_value_rules():
    assert same_value("a", "a") and not same_value("a", "b")
    assert same_value(2, 2.00005) and not same_value(2, 2.001)
    assert same_value(True, 1.0) and not same_value(True, 1) and not same_value(1, True)
    assert same_output([[True, False]], [[True, False]]) and not same_output([1, 2], [1])


def test_a_categorical_output_is_the_argmax_and_its_margin():
    """Rows [1, 3, 2.5] and [4, 0, 1]: values 'y' (margin 3 - 2.5) and 'x' (4 - 1)."""
    decoded = decode(_config(CATEGORICAL, ("x", "y", "z")), np.array([[1.0, 3.0, 2.5], [4.0, 0.0, 1.0]]))
    assert decoded.values == ["y", "x"]
    assert decoded.margins.tolist() == [0.5, 3.0]
    assert decoded.rounded(integral=True) == ["y", "x"]  # categorical values are never rounded


def test_a_numerical_output_is_the_raw_reading():
    decoded = decode(_config(NUMERICAL), np.array([[1.99999], [0.5]]))
    assert decoded.values == [1.99999, 0.5] and decoded.margins is None
    assert decoded.rounded(integral=True) == [2, 0] and decoded.rounded(integral=False) == [1.99999, 0.5]


def test_decode_batch_drops_bos_and_padding():
    """Two inputs of lengths 2 and 1 in a (2, 4, 2) batch: rows 1..n of each."""
    logits = np.zeros((2, 4, 2))
    logits[0, 1:3] = [[0, 1], [1, 0]]
    logits[1, 1] = [0, 1]
    logits[:, 0] = [5, 0]  # BOS: would read "F" if it were kept
    assert decode_batch(_config(CATEGORICAL, ("F", "T")), logits, [2, 1]) == [["T", "F"], ["T"]]


def test_same_output_compares_nested_lists_position_by_position():
    assert same_output([[1, 2], ["a"]], [[1.00001, 2], ["a"]])
    assert not same_output([[1, 2], ["a"]], [[1, 2], "a"])
    assert not same_output([1, 2], [1, 3]) and not same_output(["1"], [1])
