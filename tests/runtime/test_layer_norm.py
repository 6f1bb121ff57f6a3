"""Models with layer norm (what ``raspc train --layer-norm`` makes): the norm worked by
hand, the NumPy and JAX passes agreeing, the file format, and the lens (the logit
lens and the attribution fold the final norm in)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from runtime.engine.dense import dense_logits, to_jax
from runtime.engine.encoding import PAD, encode
from runtime.engine.forward import Runner, chosen_pass, DENSE
from runtime.engine.small import small_pass
from runtime.errors import ModelFileError
from runtime.export import to_transformer_lens
from runtime.io import deserialize, flatten_params, serialize
from runtime.lens.study import study
from runtime.model import layer_norm
from runtime.train.shape import with_layer_norm
from tests.runtime.lens.bundled import dense_model, random_inputs


def ln_model(seed: int = 0):
    """A random model of a trained model's scale with layer norms whose weights and
    biases are not the identity."""
    model = dense_model(seed=seed)
    rng = np.random.default_rng(seed + 100)
    params = with_layer_norm(model.params)
    for holder in [params] + params["layers"]:
        for name in [k for k in holder if k.startswith("ln_")]:
            size = holder[name].shape
            holder[name] = (1 + 0.3 * rng.standard_normal(size) if name.endswith("_w")
                            else 0.1 * rng.standard_normal(size)).astype(np.float32)
    return replace(model, params=params, config=replace(model.config, layer_norm=True))


def _ids(model, inputs):
    ids = np.full((len(inputs), model.config.max_len + 1), PAD, np.int32)
    for row, tokens in enumerate(inputs):
        encoded = encode(model.config, tokens)
        ids[row, :len(encoded)] = encoded
    return ids


def test_layer_norm_by_hand():
    # [1, 2, 3]: mean 2, variance 2/3, so (x - 2) / sqrt(2/3 + 1e-5), then * w + b.
    got = layer_norm(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 1.0]), np.array([0.0, 0.0, 0.5]))
    step = 1 / np.sqrt(2 / 3 + 1e-5)
    np.testing.assert_allclose(got, [-step, 0.0, step + 0.5], rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_numpy_and_jax_passes_agree_with_layer_norm(seed):
    model = ln_model(seed)
    ids = _ids(model, random_inputs(model, 6, seed=seed))
    mine = small_pass(model.params, ids, float(model.config.attn_scale)).logits
    theirs = np.asarray(dense_logits(to_jax(model.params), ids, float(model.config.attn_scale)))
    real = ids >= 0
    np.testing.assert_allclose(mine[real], theirs[real], atol=1e-4)
    plain = small_pass(dense_model(seed=seed).params, ids, float(model.config.attn_scale)).logits
    assert not np.allclose(mine[real], plain[real], atol=1e-3)  # the norms do change the answer
    assert chosen_pass(model).name == DENSE


def test_a_model_file_keeps_its_layer_norms_and_refuses_one_missing():
    model = ln_model(3)
    back = deserialize(serialize(model), "ln.safetensors")
    assert back.config.layer_norm
    for name, array in flatten_params(model.params).items():
        np.testing.assert_array_equal(flatten_params(back.params)[name], array)
    inputs = random_inputs(model, 5, seed=3)
    assert Runner(back).run(inputs) == Runner(model).run(inputs)
    without = dense_model(3)  # the same tensors but no norms, under a config that says it has them
    with pytest.raises(ModelFileError, match="ln_"):
        deserialize(serialize(replace(without, config=replace(without.config, layer_norm=True))), "ln.safetensors")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_lens_folds_the_final_norm_in(seed):
    model = ln_model(seed)
    for tokens in random_inputs(model, 4, seed=seed):
        ids = _ids(model, [tokens])
        logits = np.asarray(dense_logits(to_jax(model.params), ids, float(model.config.attn_scale)))[0, 1:len(tokens) + 1]
        reading = study(model, tokens)
        columns = np.argmax(logits, axis=-1)
        expected = logits[np.arange(len(tokens)), columns]
        # The terms sum to the final residual; the norm's bias adds the same to every one.
        bias = np.asarray(model.params["ln_final_b"], np.float64) @ np.asarray(model.params["unembed"])[:, columns]
        np.testing.assert_allclose(reading.attribution.total() + bias, expected, atol=1e-4)
        np.testing.assert_allclose(reading.logit_lens.logits[-1], logits, atol=1e-4)
        assert reading.logit_lens.top[-1] == tuple(Runner(model).run([tokens])[0])


def test_the_transformer_lens_export_refuses_a_model_with_layer_norm():
    with pytest.raises(ModelFileError, match="layer norm"):
        to_transformer_lens(ln_model(0))
