"""The logit lens in full and direct attribution: on every bundled program the
terms sum to the logit and the lens's last row is the model's output; by hand on a
hand-built model; everything on a model without a layout."""
from __future__ import annotations

import numpy as np
import pytest

from runtime.engine.forward import Runner, dense_logits, encode, to_jax
from runtime.engine.hooks import run_with_cache
from runtime.lens.attribution import attribute
from runtime.lens.logit_lens import logit_lens_of, read_logit_lens
from runtime.lens.study import study
from runtime.model import CATEGORICAL
from runtime.outputs import same_output
from tests.runtime.lens.bundled import NAMES, bundled, dense_model, random_inputs
from tests.support.hand_models import identity_model


def _dense(model, tokens) -> np.ndarray:
    """The dense pass's output logits at positions 1..n (independent of the cache)."""
    ids = encode(model.config, tokens)[None]
    return np.asarray(dense_logits(to_jax(model.params), ids, float(model.config.attn_scale)))[0, 1:]


@pytest.mark.parametrize("name", NAMES)
def test_attribution_sums_to_the_logit_and_the_last_lens_row_is_the_output(name):
    case = bundled(name)
    model = case.model
    for tokens in [case.example] + random_inputs(model, 3, seed=len(name)):
        reading = study(model, tokens)
        logits = _dense(model, tokens)
        runner_output = Runner(model).run([tokens])[0]
        if model.config.output_encoding == CATEGORICAL:
            columns = np.argmax(logits, axis=-1)
            assert list(reading.attribution.answer) == runner_output
        else:
            columns = np.zeros(len(tokens), int)
        expected = logits[np.arange(len(tokens)), columns]
        np.testing.assert_allclose(reading.attribution.total(), expected, rtol=0, atol=1e-4)
        np.testing.assert_allclose(reading.attribution.logit, expected, rtol=0, atol=1e-4)
        grid = reading.logit_lens
        assert same_output(runner_output, list(grid.top[-1]))
        np.testing.assert_allclose(grid.logits[-1], logits, atol=1e-4)
        if grid.rank is not None:
            assert np.all(grid.rank[-1] == 1) and np.allclose(grid.kl[-1], 0.0, atol=1e-9)
        else:
            assert np.allclose(grid.error[-1], 0.0)


def test_logit_lens_by_hand():
    """The identity model's residual is [1, one-hot]; logits read the one-hot: 1 for
    the token, 0 for the other two. So at every point the answer ranks first with
    probability e / (e + 2) and the divergence from the final output is 0."""
    model = identity_model()
    cache = run_with_cache(model.params, encode(model.config, "cab"), model.config)
    grid = logit_lens_of(model, cache, tuple("cab"))
    assert grid.points == ("embed", "L0.attn", "L0.mlp")
    assert grid.top == (("c", "a", "b"),) * 3
    assert np.all(grid.rank == 1)
    np.testing.assert_allclose(grid.probability, np.e / (np.e + 2), atol=1e-12)
    np.testing.assert_allclose(grid.kl, 0.0, atol=1e-12)


def test_rank_probability_and_divergence_by_hand():
    """Two points, one position, three values. Final logits (0, 2, 0): the answer is
    value 1. Earlier logits (1, 1, 0): a tie, so the answer ranks 2 (ties count
    against it), probability e/(2e+1); KL(final || earlier) worked out below."""
    model = identity_model()                                    # the unembedding reads rows 1..3
    early = np.zeros((2, 4))
    early[1, 1:] = (1, 1, 0)
    final = np.zeros((2, 4))
    final[1, 1:] = (0, 2, 0)
    grid = read_logit_lens(model, [early, final], ["early", "final"], ("b",))
    assert grid.top[1] == ("b",) and list(grid.rank[:, 0]) == [2, 1]
    assert grid.probability[0, 0] == pytest.approx(np.e / (2 * np.e + 1))
    p = np.exp([0, 2, 0]) / np.exp([0, 2, 0]).sum()
    q = np.exp([1, 1, 0]) / np.exp([1, 1, 0]).sum()
    assert grid.kl[0, 0] == pytest.approx(float((p * np.log(p / q)).sum()))
    assert grid.undecided[0, 0] and not grid.undecided[1, 0]


def test_attribution_by_hand():
    """The identity model: only the token embedding writes the token's direction."""
    model = identity_model()
    cache = run_with_cache(model.params, encode(model.config, "bca"), model.config)
    attribution = attribute(model, cache, tuple("bca"))
    assert [c.name for c in attribution.components] == ["embed.tokens", "embed.positions", "L0.H0", "L0.mlp"]
    np.testing.assert_allclose(attribution.of("embed.tokens"), [1, 1, 1])
    for name in ("embed.positions", "L0.H0", "L0.mlp"):
        np.testing.assert_allclose(attribution.of(name), 0.0, atol=1e-7)
    assert attribution.answer == ("b", "c", "a")


def test_attribution_labels_heads_by_selector_and_mlps_by_what_they_write():
    model = bundled("sort").model
    attribution = study(model, "dcab").attribution
    labels = {c.name: c.label for c in attribution.components}
    assert labels["L1.H0"].endswith("-> sorted_tokens") and "indices" in labels["L1.H0"]
    assert labels["L0.mlp"] == "writes smaller, not_larger, first_copy"
    # the move head writes the whole answer: every position's logit comes from it
    np.testing.assert_allclose(attribution.of("L1.H0"), attribution.logit, atol=1e-4)
    mlp_units = [u for u in attribution.units if u.layer == 0]
    assert all(u.label in model.neuron_labels[0] for u in mlp_units)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_everything_but_the_variables_on_a_model_without_a_layout(seed):
    model = dense_model(seed=seed)
    for tokens in random_inputs(model, 4, seed=seed):
        reading = study(model, tokens)
        logits = _dense(model, tokens)
        expected = logits[np.arange(len(tokens)), np.argmax(logits, axis=-1)]
        np.testing.assert_allclose(reading.attribution.total(), expected, rtol=1e-5, atol=1e-4)
        assert reading.logit_lens.top[-1] == tuple(Runner(model).run([tokens])[0])
        assert len(reading.attribution.components) == 2 + 2 + 3 + 2
        assert all(not p.subspaces for p in reading.report.points)
        assert np.all(reading.logit_lens.kl >= 0) and np.all(reading.logit_lens.rank >= 1)
