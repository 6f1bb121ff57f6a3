"""The trainable shape and its starts: a compiled model laid into the trained shape
still computes the program (checked against the interpreter), and random starts
have the shapes a model file requires."""
from __future__ import annotations

import numpy as np
from jax.tree_util import tree_leaves

from rasp.interpreter import evaluate
from runtime.engine.batching import PAD, encode
from runtime.engine.dense import trace
from runtime.engine.forward import Runner
from runtime.io import deserialize, params_equal, serialize
from runtime.train.data import sample_inputs
from runtime.train.loss import compiled_patterns
from runtime.train.shape import (Shape, compiled_params, noisy, overridden, random_params, shape_of,
                                 trained_config, trained_model)
from tests.runtime.train.helpers import compiled


def test_shape_of_sort_widens_every_layer_to_the_widest():
    model, _ = compiled("sort")
    shape = shape_of(model)
    widths = [layer["w_q"].shape[2] for layer in model.params["layers"]]
    mlps = [layer["w_in"].shape[1] for layer in model.params["layers"]]
    assert shape.heads == tuple(layer["w_q"].shape[0] for layer in model.params["layers"])
    assert shape.d_head == max(widths) and shape.d_mlp == max(mlps) and shape.d_model == model.config.d_model


def test_overrides():
    shape = Shape(heads=(3, 1), d_model=20, d_head=4, d_mlp=8)
    assert overridden(shape, layers=1).heads == (3,)
    assert overridden(shape, layers=3).heads == (3, 1, 3)
    assert overridden(shape, heads=2).heads == (2, 2)
    assert overridden(shape, d_model=7, d_mlp=9) == Shape((3, 1), 7, 4, 9)


def test_compiled_weights_in_the_trained_shape_still_compute_the_program():
    for name in ("sort", "double_hist"):
        model, output = compiled(name)
        shape = shape_of(model)
        config = trained_config(model.config, shape)
        twin = trained_model(compiled_params(model, shape, config.attn_scale), config, {}, {})
        inputs = sample_inputs(config.vocab[1:], config.max_len, (200,), seed=1)[0]
        assert Runner(twin).run(inputs) == [evaluate(output, tokens) for tokens in inputs]


def test_random_start_is_a_valid_model_file_and_seeded():
    model, _ = compiled("reverse")
    shape = shape_of(model)
    config = trained_config(model.config, shape)
    assert config.kind == "trained" and np.isclose(config.attn_scale, 1 / np.sqrt(shape.d_head))
    start = trained_model(random_params(shape, config, seed=5), config, {"seed": 5}, {})
    again = deserialize(serialize(start))
    assert params_equal(again.params, start.params) and again.config == config
    assert params_equal(random_params(shape, config, 5), start.params)
    assert not params_equal(random_params(shape, config, 6), start.params)


def test_noise_has_the_asked_size():
    model, _ = compiled("hist")
    shape = shape_of(model)
    params = compiled_params(model, shape, 1.0)
    moved = noisy(params, 0.1, seed=0)
    diff = np.concatenate([np.ravel(a - b) for a, b in zip(tree_leaves(moved), tree_leaves(params))])
    assert abs(diff.std() - 0.1) < 0.01



def test_the_attention_targets_of_a_narrow_token_table_are_the_compiled_patterns():
    # dyck2's token lookups fold into the embedding, so its table is narrower than the
    # residual; the attention loss reads the compiled patterns from those raw weights.
    model, _ = compiled("dyck2", 6)
    assert model.params["token_embed"].shape[1] < model.config.d_model
    inputs = ["({)}", "(){}{}", "(", "{{}}"]
    ids = np.full((len(inputs), model.config.max_len + 1), PAD, np.int32)
    for row, tokens in enumerate(inputs):
        encoded = encode(model.config, tokens)
        ids[row, :len(encoded)] = encoded
    targets = compiled_patterns(model.params, ids, float(model.config.attn_scale), chunk=4)
    reference = trace(model.params, ids, model.config).patterns
    assert len(targets) == len(reference)
    for got, want in zip(targets, reference):
        np.testing.assert_allclose(got, want, atol=1e-6)
