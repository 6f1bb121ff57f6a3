"""The batch-minor pass (``runtime.engine.packed_minor``) against the dense pass
(``runtime.engine.dense``): on small models made by hand (every weight nonzero, or
a head and an MLP that write nothing), over both ways it embeds tokens and both
ways it multiplies, in one slice and in several; on bundled programs compiled at
max_len 4 and 15 (16 positions, the most it takes on its own); and its small
steps on arrays worked by hand."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from compiler import compile_program
from rasp.stage import load_program
from runtime.engine.batching import PAD
from runtime.engine.dense import forward
from runtime.engine.packed import pack
from runtime.engine.packed_minor import (BATCH_MINOR_POSITIONS, MINOR_SLICE, ONE_HOT_TOKENS, SUMMED_DIMS, _mixed,
                                         _product, _scores, batch_minor_in_slices, run_batch_minor,
                                         suits_batch_minor)
from tests.support.hand_models import identity_model, random_model


def _random_ids(config, rows: int, seed: int) -> np.ndarray:
    """Token ids, BOS first and PAD after a random length, as a Runner pads them."""
    rng = np.random.default_rng(seed)
    ids = np.full((rows, config.max_len + 1), PAD, np.int32)
    for row in range(rows):
        length = int(rng.integers(1, config.max_len + 1))
        ids[row, 0] = 0
        ids[row, 1:length + 1] = rng.integers(1, len(config.vocab), size=length)
    return ids


#: How far apart the passes may be, relative to the largest number in the residual:
#: float32 sums in another order. A random model's attention amplifies those
#: differences (its softmax is not saturated, as a compiled model's is, and its
#: values reach hundreds), hence a wider bound there.
COMPILED, RANDOM = 1e-5, 1e-4


def _same_as_dense(model, ids: np.ndarray, tolerance: float = RANDOM) -> None:
    """The batch-minor residual and logits against the dense pass's residual (and
    that times the unembedding, in float64), on the positions in use."""
    packed = pack(model.params, batch_minor=True)
    assert packed.index.batch_minor
    scale = float(model.config.attn_scale)
    dense = np.asarray(forward(model.params, ids, model.config), np.float64)
    residual = np.asarray(batch_minor_in_slices(packed.arrays, jnp.asarray(ids), packed.index, scale))
    logits = np.asarray(batch_minor_in_slices(packed.arrays, jnp.asarray(ids), packed.index, scale, logits=True))
    real = ids >= 0
    assert residual.shape == dense.shape
    size = max(1.0, float(np.abs(dense[real]).max()))
    assert np.abs(residual[real] - dense[real]).max() <= tolerance * size
    expected = dense @ np.asarray(model.params["unembed"], np.float64)
    assert logits.shape == expected.shape
    assert np.abs(logits[real] - expected[real]).max() <= tolerance * max(size, float(np.abs(expected[real]).max()))


# ------------------------------------------------------------------ models made by hand

@pytest.mark.parametrize("d", [3, 8], ids=["few-inputs", "products"])
def test_a_random_model_runs_as_the_dense_pass(d):
    """Every weight nonzero: with d_model 3 every projection reads at most
    FEW_INPUTS rows (scaled additions), with 8 it is one product; two layers, the
    second with a head but no MLP unit."""
    model = random_model(seed=d, heads=(2, 1), hidden=(3, 0), d=d, max_len=5)
    _same_as_dense(model, _random_ids(model.config, 20, seed=d))


def test_a_layer_without_heads_or_units_adds_nothing():
    model = random_model(seed=4, heads=(0, 2), hidden=(0, 3), max_len=4)
    _same_as_dense(model, _random_ids(model.config, 12, seed=4))


def test_the_identity_model_reads_each_token_back():
    """Its head writes nothing and its MLP has no units: the residual is the
    embedding, [1, one-hot of the token], and the logits the one-hot."""
    model = identity_model(max_len=4)
    ids = np.array([[0, 1, 3, 2, PAD], [0, 2, PAD, PAD, PAD]], np.int32)
    _same_as_dense(model, ids, COMPILED)
    packed = pack(model.params, batch_minor=True)
    logits = np.asarray(batch_minor_in_slices(packed.arrays, jnp.asarray(ids), packed.index, 1.0, logits=True))
    assert logits[0, 1:4].tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]


def test_a_vocabulary_past_one_hot_tokens_is_gathered():
    """ONE_HOT_TOKENS tokens and fewer are embedded by a product with the ids' one-hot;
    more, by a gather: both as the dense pass."""
    vocab = tuple(f"t{k}" for k in range(ONE_HOT_TOKENS + 6))
    model = random_model(seed=7, heads=(1,), hidden=(2,), vocab=vocab, max_len=3)
    _same_as_dense(model, _random_ids(model.config, 16, seed=7))


def test_a_batch_of_several_slices_equals_the_dense_pass():
    """Two whole slices of MINOR_SLICE sequences and a partial one."""
    model = random_model(seed=9, heads=(2, 1), hidden=(3, 2), max_len=4)
    _same_as_dense(model, _random_ids(model.config, 2 * MINOR_SLICE + 19, seed=9))


def test_one_slice_runs_with_the_batch_last():
    """``run_batch_minor`` itself gives (d_model, positions, batch)."""
    model = random_model(seed=10, heads=(1,), hidden=(2,), max_len=3)
    packed = pack(model.params, batch_minor=True)
    ids = _random_ids(model.config, 5, seed=10)
    out = np.asarray(run_batch_minor(packed.arrays, jnp.asarray(ids), packed.index, float(model.config.attn_scale)))
    assert out.shape == (model.config.d_model, model.config.max_len + 1, 5)
    dense = np.asarray(forward(model.params, ids, model.config))
    real = ids >= 0
    size = max(1.0, float(np.abs(dense[real]).max()))
    assert np.abs(out.transpose(2, 1, 0)[real] - dense[real]).max() <= RANDOM * size


# ------------------------------------------------------------------ compiled programs

@pytest.mark.parametrize("max_len", [4, 15])
@pytest.mark.parametrize("name", ["reverse", "hist", "sort", "most_freq", "frac_prevs", "dyck2"])
def test_a_compiled_program_runs_as_the_dense_pass(name, max_len):
    model = compile_program(load_program(f"programs/{name}.rasp"), max_len=max_len)
    assert max_len + 1 <= BATCH_MINOR_POSITIONS
    _same_as_dense(model, _random_ids(model.config, 150, seed=max_len + len(name)), COMPILED)


# ------------------------------------------------------------------ steps worked by hand

def test_which_models_run_batch_minor():
    assert suits_batch_minor(BATCH_MINOR_POSITIONS, [1, SUMMED_DIMS])
    assert suits_batch_minor(11, [])
    assert not suits_batch_minor(BATCH_MINOR_POSITIONS + 1, [1])
    assert not suits_batch_minor(11, [4, SUMMED_DIMS + 1])


@pytest.mark.parametrize("rows", [2, 6], ids=["scaled-additions", "product"])
def test_product_applies_a_block_to_features_by_position_and_batch(rows):
    """out[o, n, b] = sum_r block[r, o] * features[r, n, b], by a plain loop."""
    rng = np.random.default_rng(rows)
    block = rng.integers(-3, 4, size=(rows, 3)).astype(np.float32)
    features = rng.integers(-3, 4, size=(rows, 2, 4)).astype(np.float32)
    want = np.zeros((3, 2, 4))
    for r in range(rows):
        for o in range(3):
            want[o] += block[r, o] * features[r]
    assert np.asarray(_product(jnp.asarray(block), jnp.asarray(features))).tolist() == want.tolist()


def test_scores_sum_the_products_of_each_dimension():
    """Two dimensions, two query and three key positions, one sequence:
    q = [[1, 2], [0, 1]] (dims x queries), k = [[1, 0, 2], [3, 1, 0]] (dims x keys):
    score[i, j] = q[0, i] k[0, j] + q[1, i] k[1, j]."""
    q = jnp.asarray([[1.0, 2.0], [0.0, 1.0]])[..., None]
    k = jnp.asarray([[1.0, 0.0, 2.0], [3.0, 1.0, 0.0]])[..., None]
    assert np.asarray(_scores(q, k))[..., 0].tolist() == [[1, 0, 2], [5, 1, 4]]


def test_mixing_weighs_each_key_s_values_by_the_pattern():
    """pattern (queries x keys) [[0.5, 0.5], [1, 0]] over values (one dim x keys)
    [4, 8]: [6, 4]."""
    pattern = jnp.asarray([[0.5, 0.5], [1.0, 0.0]])[..., None]
    values = jnp.asarray([[4.0, 8.0]])[..., None]
    assert np.asarray(_mixed(pattern, values))[..., 0].tolist() == [[6.0, 4.0]]
