"""Export for TransformerLens: classic names and shapes, the query scale, padding
that changes no output (the export read back runs through raspc's own hooked pass)."""
from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from runtime.engine.batching import encode
from runtime.engine.hooks import run_with_cache
from runtime.errors import ModelFileError
from runtime.export import (from_transformer_lens, read_transformer_lens, to_transformer_lens,
                            write_transformer_lens)
from tests.runtime.lens.bundled import NAMES, bundled, dense_model, random_inputs
from tests.support.hand_models import random_model


def _classic_shapes(config: dict) -> dict[str, tuple]:
    """TransformerLens's classic state-dict shapes, written out from its config."""
    d, h, e, m = config["d_model"], config["n_heads"], config["d_head"], config["d_mlp"]
    shapes = {"embed.W_E": (config["d_vocab"], d), "pos_embed.W_pos": (config["n_ctx"], d),
              "unembed.W_U": (d, config["d_vocab_out"]), "unembed.b_U": (config["d_vocab_out"],)}
    for l in range(config["n_layers"]):
        shapes.update({f"blocks.{l}.attn.W_Q": (h, d, e), f"blocks.{l}.attn.W_K": (h, d, e),
                       f"blocks.{l}.attn.W_V": (h, d, e), f"blocks.{l}.attn.W_O": (h, e, d),
                       f"blocks.{l}.attn.b_Q": (h, e), f"blocks.{l}.attn.b_K": (h, e),
                       f"blocks.{l}.attn.b_V": (h, e), f"blocks.{l}.attn.b_O": (d,),
                       f"blocks.{l}.mlp.W_in": (d, m), f"blocks.{l}.mlp.b_in": (m,),
                       f"blocks.{l}.mlp.W_out": (m, d), f"blocks.{l}.mlp.b_out": (d,)})
    return shapes


@pytest.mark.parametrize("name", NAMES)
def test_the_padded_export_computes_the_same_logits(name):
    case = bundled(name)
    model = case.model
    export = to_transformer_lens(model)
    assert {k: v.shape for k, v in export.tensors.items()} == _classic_shapes(export.config)
    back = from_transformer_lens(export.tensors, export.config, export.raspc)
    for tokens in [case.example] + random_inputs(model, 2, seed=5):
        ids = encode(model.config, tokens)
        original = run_with_cache(model.params, ids, model.config)
        exported = run_with_cache(back.params, ids, back.config)
        np.testing.assert_allclose(exported.logits, original.logits, rtol=1e-5, atol=1e-5)
        for point in original.points():
            np.testing.assert_allclose(exported.residual(point), original.residual(point), rtol=1e-5, atol=1e-5)


def test_layers_of_unequal_widths_are_padded_with_zeros():
    model = random_model(seed=2, heads=(2, 0), hidden=(3, 0), d=6, d_head=2)
    export = to_transformer_lens(model)
    config = export.config
    assert (config["n_heads"], config["d_head"], config["d_mlp"]) == (2, 2, 3)
    assert not export.tensors["blocks.1.attn.W_Q"].any() and not export.tensors["blocks.1.mlp.W_in"].any()
    assert export.raspc["heads_per_layer"] == [2, 0] and export.raspc["d_mlp_per_layer"] == [3, 0]
    # W_Q carries raspc's attn_scale times TransformerLens's sqrt(d_head)
    scale = model.config.attn_scale * math.sqrt(2)
    np.testing.assert_allclose(export.tensors["blocks.0.attn.W_Q"], model.params["layers"][0]["w_q"] * scale,
                               rtol=1e-6)
    back = from_transformer_lens(export.tensors, config, export.raspc)
    assert back.config.attn_scale == pytest.approx(1 / math.sqrt(2))
    ids = encode(model.config, ("x", 2.5))
    np.testing.assert_allclose(run_with_cache(back.params, ids, back.config).logits,
                               run_with_cache(model.params, ids, model.config).logits, rtol=1e-5, atol=1e-4)


def test_narrow_heads_and_mlps_are_padded_to_the_widest():
    model = dense_model(seed=4, heads=(1, 3), hidden=(2, 7), d_head=3)
    narrowed = dict(model.params)
    first = dict(narrowed["layers"][0])
    for key in ("w_q", "w_k", "w_v"):
        first[key] = first[key][:, :, :1]
    first["w_o"] = first["w_o"][:, :1, :]
    narrowed["layers"] = [first, narrowed["layers"][1]]
    model = replace(model, params=narrowed)
    export = to_transformer_lens(model)
    assert export.raspc["d_head_per_layer"] == [1, 3] and export.config["d_head"] == 3
    back = from_transformer_lens(export.tensors, export.config, export.raspc)
    for tokens in random_inputs(model, 3, seed=9):
        ids = encode(model.config, tokens)
        np.testing.assert_allclose(run_with_cache(back.params, ids, back.config).logits,
                                   run_with_cache(model.params, ids, model.config).logits, rtol=1e-5, atol=1e-5)


def test_the_folder_holds_weights_config_and_description(tmp_path):
    model = bundled("reverse").model
    write_transformer_lens(model, str(tmp_path / "out"))
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert config["act_fn"] == "relu" and config["normalization_type"] is None
    assert config["attention_dir"] == "bidirectional" and config["n_ctx"] == model.config.max_len + 1
    assert config["d_vocab"] == len(model.config.vocab) and config["d_vocab_out"] == 5
    described = json.loads((tmp_path / "out" / "raspc.json").read_text())
    assert described["bos_token_id"] == 0 and described["config"]["vocab"][0] == "<BOS>"
    back = read_transformer_lens(str(tmp_path / "out"))
    assert back.layout == model.layout and back.head_labels == model.head_labels
    ids = encode(model.config, "abca")
    np.testing.assert_allclose(run_with_cache(back.params, ids, back.config).logits,
                               run_with_cache(model.params, ids, model.config).logits, atol=1e-5)


def test_biases_raspc_cannot_hold_are_refused(tmp_path):
    export = to_transformer_lens(bundled("reverse").model)
    tensors = dict(export.tensors)
    tensors["blocks.0.attn.b_Q"] = tensors["blocks.0.attn.b_Q"] + 1
    with pytest.raises(ModelFileError, match="b_Q is not zero"):
        from_transformer_lens(tensors, export.config, export.raspc)
    with pytest.raises(ModelFileError, match="cannot read"):
        read_transformer_lens(str(tmp_path / "missing"))
