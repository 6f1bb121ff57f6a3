"""The model format (``runtime.model``): layout lookups, JSON round trips of the
layout, head labels and configuration (with their defaults), and the figures a
model reports, counted by hand from the hand-made models' shapes."""
from __future__ import annotations

import json

import pytest

import numpy as np

from runtime.model import (BOS, CATEGORICAL, NUMERICAL, HeadLabel, Layout, ModelConfig, Subspace, grid_code,
                           grid_rows_for, grid_width, same_token)
from runtime.outputs import decode_subspace
from tests.support.hand_models import identity_model, random_model

LAYOUT = Layout(7, (Subspace("one", 0, 1, NUMERICAL, (1,)),
                    Subspace("tokens", 1, 4, CATEGORICAL, ("a", "b", "c")),
                    Subspace("count", 4, 5, NUMERICAL, (0, 1, 2), "L0.attn"),
                    # written after count's last reader: the same direction again
                    Subspace("flag", 4, 5, NUMERICAL, (False, True), "L1.mlp"),
                    Subspace("out", 5, 7, CATEGORICAL, (1, True), "L1.attn")))


def test_a_subspace_has_the_width_of_its_range():
    assert [s.width for s in LAYOUT.subspaces] == [1, 3, 1, 1, 2]


def test_layout_lookup_by_name():
    assert LAYOUT["tokens"].start == 1 and LAYOUT["tokens"].stop == 4
    assert LAYOUT["flag"].writer == "L1.mlp" and LAYOUT["count"].writer == "L0.attn"
    assert LAYOUT["one"].writer == "embed"  # the default writer
    assert "out" in LAYOUT and "reverse" not in LAYOUT
    assert LAYOUT.names() == ["one", "tokens", "count", "flag", "out"]
    with pytest.raises(KeyError):
        LAYOUT["reverse"]


def test_layout_round_trips_through_json_text():
    text = json.dumps(LAYOUT.to_json())
    back = Layout.from_json(json.loads(text))
    assert back == LAYOUT
    # booleans and ints among the values keep their types
    assert back["out"].values == (1, True) and type(back["out"].values[1]) is bool


def test_a_subspace_without_values_or_writer_reads_with_the_defaults():
    read = Subspace.from_json({"name": "x", "start": "2", "stop": 3, "encoding": NUMERICAL})
    assert read == Subspace("x", 2, 3, NUMERICAL, (), "embed")


def test_a_grid_of_five_values_worked_by_hand():
    """Five values on 3 rows of 2 columns (3 * 2 >= 5 > 2 * 2): value k sits at row
    k // 2 and column k % 2, directions row and 3 + column."""
    assert grid_rows_for(5) == 3 and grid_width(5, 3) == 5
    assert grid_code(5, 3).tolist() == [[1, 0, 0, 1, 0],
                                         [1, 0, 0, 0, 1],
                                         [0, 1, 0, 1, 0],
                                         [0, 1, 0, 0, 1],
                                         [0, 0, 1, 1, 0]]


@pytest.mark.parametrize("n", [2, 7, 256, 300, 2395])
def test_on_a_grid_the_value_held_scores_two_and_every_other_at_most_one(n):
    code = grid_code(n, grid_rows_for(n))
    scores = code @ code.T
    assert np.all(np.diag(scores) == 2)
    assert np.all(scores[~np.eye(n, dtype=bool)] <= 1)
    assert code.shape[1] == grid_width(n, grid_rows_for(n)) <= 2 * int(np.ceil(np.sqrt(n)))


def test_a_grid_subspace_round_trips_and_decodes():
    grid = Subspace("word", 1, 6, CATEGORICAL, ("p", "q", "r", "s", "t"), "L0.mlp", grid_rows=3)
    assert Subspace.from_json(json.loads(json.dumps(grid.to_json()))) == grid
    assert "grid_rows" not in LAYOUT["tokens"].to_json()  # a one-hot's JSON is as before
    rows = np.zeros((2, 6))
    rows[0, [1 + 2, 1 + 3 + 0]] = 1.0  # row 2, column 0: value 4, "t"
    rows[1, [1 + 0, 1 + 3 + 1]] = 1.0  # row 0, column 1: value 1, "q"
    values, confidences = decode_subspace(grid, rows)
    assert values == ("t", "q") and confidences == (1.0, 1.0)


def test_head_label_round_trip():
    label = HeadLabel(1, 0, "select(indices, indices, <)", "indices", "count")
    assert HeadLabel.from_json(json.loads(json.dumps(label.to_json()))) == label
    assert label.to_json() == {"layer": 1, "head": 0, "selector": "select(indices, indices, <)",
                               "reads": "indices", "writes": "count"}


def test_config_round_trip_and_defaults():
    config = ModelConfig(vocab=(BOS, "a", 2, False), max_len=5, d_model=7, d_head=3, n_layers=2, output="out",
                         output_encoding=CATEGORICAL, output_values=(1, True), attn_scale=0.5, kind="trained")
    assert ModelConfig.from_json(json.loads(json.dumps(config.to_json()))) == config
    minimal = {"vocab": [BOS, "a"], "max_len": "4", "d_model": 3, "d_head": 1, "n_layers": 1, "output": "y",
               "output_encoding": NUMERICAL}
    read = ModelConfig.from_json(minimal)
    assert (read.max_len, read.output_values, read.attn_scale, read.kind) == (4, (), 1.0, "compiled")


def test_identity_model_figures():
    """d_model 4 (one + three tokens), max_len 4, one head of width 1, no MLP unit:
    token_embed 4x4 = 16, pos_embed 5x4 = 20, w_q w_k w_v w_o 4 each = 16, b_out 4,
    unembed 4x3 = 12; 68 in all."""
    model = identity_model()
    assert (model.n_heads, model.d_mlp, model.n_params) == (1, 0, 68)
    assert model.token_id(BOS) == 0 and model.token_id("c") == 3


def test_random_model_figures():
    """d_model 6, d_head 2, 4 tokens, max_len 3; layer 0: 2 heads and 3 units, layer
    1: neither. token_embed 5x6 = 30, pos_embed 4x6 = 24; layer 0: w_q, w_k, w_v
    2x6x2 = 24 each, w_o 2x2x6 = 24, w_in 6x3 = 18, b_in 3, w_out 3x6 = 18, b_out
    6 (141); layer 1: b_out 6; unembed 6x4 = 24; 225 in all."""
    model = random_model()
    assert (model.n_heads, model.d_mlp, model.n_params) == (2, 3, 225)
    assert model.token_id(2.5) == 3 and model.token_id(True) == 4 and model.token_id(1) == 2
    with pytest.raises(ValueError):
        model.token_id(False)


def test_tokens_are_the_same_by_type_and_value():
    assert same_token("a", "a") and same_token(2, 2.0) and same_token(True, True)
    assert not same_token(True, 1) and not same_token(1, True) and not same_token(0, False)
    assert not same_token("1", 1) and not same_token("a", "b")


def test_a_model_without_layers_has_no_mlp_width():
    model = identity_model()
    model.params["layers"] = []
    assert (model.n_heads, model.d_mlp, model.n_params) == (0, 0, 16 + 20 + 12)
