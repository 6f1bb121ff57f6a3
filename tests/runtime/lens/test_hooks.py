"""The cache and hooks: the dense pass's numbers under TransformerLens's names;
replacements are arguments; a batched patch equals one run per patch."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.engine import hooks
from runtime.engine.forward import Runner, dense_logits, encode, to_jax, trace
from runtime.engine.hooks import (Replace, block_hook, head_results, hook_names, run_patched, run_with_cache)
from tests.runtime.lens.bundled import NAMES, bundled, dense_model, random_inputs


@pytest.mark.parametrize("name", NAMES)
def test_cache_logits_equal_the_dense_pass_on_every_bundled_program(name):
    case = bundled(name)
    model = case.model
    ids = encode(model.config, case.example)
    cache = run_with_cache(model.params, ids, model.config)
    dense = np.asarray(dense_logits(to_jax(model.params), ids[None], float(model.config.attn_scale)))
    np.testing.assert_allclose(cache.logits, dense, rtol=0, atol=1e-5)
    assert cache.names() == hook_names(model.config.n_layers)


def test_activations_have_transformer_lens_shapes_and_match_the_trace():
    model = dense_model(seed=1)
    ids = np.asarray([0, 2, 1, 3, -1], np.int32)         # one padded position
    cache = run_with_cache(model.params, ids, model.config)
    traced = trace(model.params, ids, model.config)
    d = model.config.d_model
    assert cache["hook_embed"].shape == (1, 5, d) and cache["hook_pos_embed"].shape == (1, 5, d)
    for layer, heads in enumerate((2, 3)):
        d_mlp = (4, 5)[layer]
        assert cache[block_hook(layer, "attn.hook_q")].shape == (1, 5, heads, 3)
        assert cache[block_hook(layer, "attn.hook_z")].shape == (1, 5, heads, 3)
        assert cache[block_hook(layer, "attn.hook_attn_scores")].shape == (1, heads, 5, 5)
        assert cache[block_hook(layer, "mlp.hook_pre")].shape == (1, 5, d_mlp)
        np.testing.assert_allclose(cache[block_hook(layer, "attn.hook_pattern")], traced.patterns[layer], atol=1e-6)
        np.testing.assert_allclose(cache[block_hook(layer, "mlp.hook_post")], traced.mlp_hidden[layer],
                                   rtol=1e-5, atol=1e-5)
    for point, residual in zip(traced.points, traced.residuals):
        np.testing.assert_allclose(cache.residual(point), residual, rtol=1e-5, atol=1e-5)
    # the padded key gets no attention
    assert np.all(cache[block_hook(0, "attn.hook_pattern")][..., 4] < 1e-30)


def test_the_residual_is_the_sum_of_what_each_sublayer_writes():
    model = dense_model(seed=2)
    cache = run_with_cache(model.params, encode(model.config, ("x", 1, True)), model.config)
    x = cache["hook_embed"] + cache["hook_pos_embed"]
    for layer in range(2):
        np.testing.assert_allclose(cache[block_hook(layer, "hook_resid_pre")], x, atol=1e-6)
        heads = head_results(cache, model.params, layer).sum(axis=2)
        np.testing.assert_allclose(cache[block_hook(layer, "hook_attn_out")], heads, atol=1e-5)
        x = x + cache[block_hook(layer, "hook_attn_out")] + cache[block_hook(layer, "hook_mlp_out")]
        np.testing.assert_allclose(cache[block_hook(layer, "hook_resid_post")], x, atol=1e-5)
    np.testing.assert_allclose(cache.logits[0], x[0] @ model.params["unembed"], atol=1e-4)


def test_scores_and_pattern_by_hand():
    """Layer 0's scores are attn_scale * q.k and the pattern their softmax, in numpy."""
    model = dense_model(seed=3)
    cache = run_with_cache(model.params, encode(model.config, (1, "x")), model.config)
    q, k = cache[block_hook(0, "attn.hook_q")][0], cache[block_hook(0, "attn.hook_k")][0]
    scores = np.einsum("qhe,khe->hqk", q, k) * model.config.attn_scale
    np.testing.assert_allclose(cache[block_hook(0, "attn.hook_attn_scores")][0], scores, atol=1e-5)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    np.testing.assert_allclose(cache[block_hook(0, "attn.hook_pattern")][0],
                               weights / weights.sum(-1, keepdims=True), atol=1e-6)


def test_replacements_are_arguments_not_state():
    model = dense_model(seed=4)
    ids = encode(model.config, ("x", 2.5, 1))
    plain = run_with_cache(model.params, ids, model.config)
    zero = np.zeros_like(plain[block_hook(1, "hook_mlp_out")])
    ablated = run_with_cache(model.params, ids, model.config, {block_hook(1, "hook_mlp_out"): Replace(zero)})
    expected = (plain[block_hook(1, "hook_resid_mid")][0]) @ model.params["unembed"]
    np.testing.assert_allclose(ablated.logits[0], expected, atol=1e-4)
    # a function of the activation does the same; the next plain run is unchanged
    functional = run_with_cache(model.params, ids, model.config, {block_hook(1, "hook_mlp_out"): lambda a: a * 0})
    np.testing.assert_allclose(functional.logits, ablated.logits, atol=1e-6)
    np.testing.assert_allclose(run_with_cache(model.params, ids, model.config).logits, plain.logits, atol=0)


def test_a_masked_replacement_changes_only_where_the_mask_is_true():
    model = dense_model(seed=5)
    ids = encode(model.config, ("x", 1, True))
    other = run_with_cache(model.params, encode(model.config, (True, 1, "x")), model.config)
    mask = np.zeros((1, 4, 1), bool)
    mask[0, 2] = True
    patched = run_with_cache(model.params, ids, model.config,
                             {"hook_embed": Replace(other["hook_embed"], mask)})
    plain = run_with_cache(model.params, ids, model.config)
    embed = patched["hook_embed"]
    np.testing.assert_array_equal(embed[0, 2], other["hook_embed"][0, 2])
    np.testing.assert_array_equal(embed[0, [0, 1, 3]], plain["hook_embed"][0, [0, 1, 3]])


def test_unknown_hooks_are_refused():
    model = dense_model()
    with pytest.raises(KeyError, match="blocks.7"):
        run_with_cache(model.params, encode(model.config, ("x",)), model.config,
                       {"blocks.7.hook_resid_pre": Replace(0.0)})


def test_a_batched_patch_equals_one_run_per_patch():
    model = dense_model(seed=6)
    clean, corrupt = encode(model.config, ("x", 1, 2.5)), encode(model.config, (True, 1, "x"))
    source = run_with_cache(model.params, clean, model.config)
    hooks = ("hook_embed", block_hook(0, "attn.hook_z"), block_hook(1, "hook_mlp_out"))
    rng = np.random.default_rng(0)
    masks = {hook: rng.random((7,) + source[hook].shape) < 0.3 for hook in hooks}
    batched = run_patched(model.params, corrupt, model.config, {h: source[h] for h in hooks}, masks)
    assert batched.logits.shape == (7, 1, 4, len(model.config.output_values))
    for k in range(7):
        one = run_with_cache(model.params, corrupt, model.config,
                             {h: Replace(source[h], masks[h][k]) for h in hooks})
        np.testing.assert_allclose(batched.logits[k], one.logits, atol=1e-5)


def test_a_batch_of_inputs_equals_the_runner():
    model = dense_model(seed=7)
    inputs = random_inputs(model, 6, seed=1)
    ids = np.full((6, model.config.max_len + 1), -1, np.int32)
    for row, tokens in enumerate(inputs):
        ids[row, :len(tokens) + 1] = encode(model.config, tokens)
    cache = run_with_cache(model.params, ids, model.config)
    for row, (tokens, logits) in enumerate(zip(inputs, Runner(model).logits(inputs))):
        np.testing.assert_allclose(cache.logits[row, 1:len(tokens) + 1], logits, atol=1e-4)


def test_patches_beyond_one_pass_run_in_passes_of_one_shape(monkeypatch):
    """With room for 3 patches per pass, 7 patches run as 3 passes and give the
    same logits as one pass."""
    model = dense_model(seed=8)
    clean, corrupt = encode(model.config, ("x", 1)), encode(model.config, (1, "x"))
    source = run_with_cache(model.params, clean, model.config)
    masks = {"hook_embed": np.random.default_rng(1).random((7,) + source["hook_embed"].shape) < 0.5}
    whole = run_patched(model.params, corrupt, model.config, {"hook_embed": source["hook_embed"]}, masks)
    monkeypatch.setattr(hooks, "patches_per_pass", lambda params, positions: 3)
    passes = run_patched(model.params, corrupt, model.config, {"hook_embed": source["hook_embed"]}, masks)
    assert passes.logits.shape == whole.logits.shape == (7, 1, 3, 4)
    np.testing.assert_allclose(passes.logits, whole.logits, atol=1e-6)
