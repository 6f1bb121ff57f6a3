"""Scoring a numerical output: the tolerance that counts a reading right, the
mean absolute error, and batches cut to the longest input; expected values
worked by hand or from the uncut arrays."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.model import NUMERICAL, ModelConfig
from runtime.outputs import TOLERANCE
from runtime.train.data import Dataset, encode_split
from runtime.train.fit import numerical_tolerance
from runtime.train.loop import score, used_width
from runtime.train.loss import Batch, Objective, total_loss
from runtime.train.shape import Shape, random_params

CONFIG = ModelConfig(("<BOS>", "a", "b"), 6, 8, 4, 2, "out", NUMERICAL, ())
SHAPE = Shape(heads=(1, 2), d_model=8, d_head=4, d_mlp=8)


def split(inputs, outputs):
    return encode_split(CONFIG, inputs, outputs)


def test_a_declared_tolerance_is_the_tolerance():
    data = Dataset(*(split([("a", "b")], [[0.25, 0.75]]),) * 3)
    assert numerical_tolerance(data, 0.001) == 0.001
    assert numerical_tolerance(data, 1e-9) == TOLERANCE     # never below the runtime's own
    assert numerical_tolerance(data) == 0.25                # half of 0.75 - 0.25


def test_mean_absolute_error_and_tolerance_of_a_model_that_reads_zero():
    params = random_params(SHAPE, CONFIG, seed=0)
    params["unembed"] = np.zeros_like(params["unembed"])    # every reading is exactly 0
    held = split([("a",), ("a", "b"), ("b", "b", "a")], [[0.0005], [1.0, -0.5], [0.0, 0.0, 2.0]])
    found = score(params, held, Objective(CONFIG.attn_scale, False, tolerance=0.001))
    # |0.0005| + |1| + |-0.5| + 0 + 0 + |2| over six positions
    assert found.mean_abs_error == pytest.approx(3.5005 / 6)
    # right: 0.0005 (within 0.001) and the two zeros; whole: only the first input
    assert found.token_accuracy == pytest.approx(3 / 6) and found.sequence_accuracy == pytest.approx(1 / 3)
    categorical = score(params, held, Objective(CONFIG.attn_scale, True))
    assert categorical.mean_abs_error is None


def test_a_batch_cut_to_its_longest_input_has_the_uncut_loss():
    held = split([("a",), ("a", "b", "b")], [[0.5], [1.0, -0.5, 0.25]])
    assert used_width(held) == 4 and held.ids.shape[1] == 7
    params = random_params(SHAPE, CONFIG, seed=1)
    objective = Objective(CONFIG.attn_scale, False)
    whole, _ = total_loss(params, Batch(held.ids, held.targets, held.mask), objective)
    cut, _ = total_loss(params, Batch(held.ids[:, :4], held.targets[:, :4], held.mask[:, :4]), objective)
    assert float(cut) == pytest.approx(float(whole), rel=1e-6)
