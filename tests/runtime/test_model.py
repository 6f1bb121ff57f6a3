"""The model format (``runtime.model``): layout lookups, JSON round trips of the
layout, head labels and configuration (with their defaults), and the figures a
model reports, counted by hand from the hand-made models' shapes."""
from __future__ import annotations

import json

import pytest

from runtime.model import BOS, CATEGORICAL, NUMERICAL, HeadLabel, Layout, ModelConfig, Subspace, same_token
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
