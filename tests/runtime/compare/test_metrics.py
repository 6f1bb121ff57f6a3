"""The comparison's measures on cases with known answers: divergences checked
against scipy, ties, head matching under a permutation, probes, CKA."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import ortho_group

from runtime.compare.attention import argmax_agreement, js_divergence, match_heads
from runtime.compare.probes import RIDGE, fit_probe, ridge_system
from runtime.compare.similarity import linear_cka


def rows(count: int, width: int, seed: int) -> np.ndarray:
    weights = np.random.default_rng(seed).random((count, width)) ** 3
    return weights / weights.sum(axis=1, keepdims=True)


def test_js_divergence_matches_scipy():
    p, q = rows(20, 6, 0), rows(20, 6, 1)
    expected = jensenshannon(p, q, base=2, axis=1) ** 2
    np.testing.assert_allclose(js_divergence(p, q), expected, atol=1e-9)
    assert np.allclose(js_divergence(p, p), 0.0)
    assert js_divergence(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))[0] == pytest.approx(1.0)


def test_a_tie_in_the_reference_is_a_hit_for_any_tied_key():
    reference = np.array([[0.0, 0.5, 0.5, 0.0], [0.0, 0.5, 0.5, 0.0], [0.1, 0.1, 0.8, 0.0]])
    other = np.array([[0.0, 0.9, 0.1, 0.0], [0.1, 0.2, 0.7, 0.0], [0.0, 0.9, 0.1, 0.0]])
    assert argmax_agreement(reference, other).tolist() == [True, True, False]


def test_permuted_heads_are_matched_back():
    rng = np.random.default_rng(3)
    # Two layers: three distinct heads, then one. Patterns over 5 inputs, 6 positions.
    layers = []
    for heads in (3, 1):
        weights = rng.random((5, heads, 6, 6)) ** 8
        layers.append(weights / weights.sum(axis=-1, keepdims=True))
    permutation = [2, 0, 1]
    moved = (layers[0][:, permutation], layers[1])
    mask = np.ones((5, 6), bool)
    mask[:, 0] = False
    matches = match_heads(layers, moved, mask)
    for match in matches[:3]:
        assert match.matched == (0, permutation.index(match.head))
        assert match.closest == match.matched and match.divergence == pytest.approx(0.0, abs=1e-9)
        assert match.argmax_agreement == 1.0
    assert matches[3].matched == (1, 0)


def test_a_head_without_a_counterpart_layer_gets_only_its_closest():
    pattern = np.full((2, 1, 3, 3), 1 / 3)
    mask = np.ones((2, 3), bool)
    matches = match_heads([pattern, pattern], [pattern], mask)
    assert matches[1].matched is None and matches[1].closest == (0, 0)


def test_probes_read_exactly_what_is_linearly_there():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 4, 400)
    rotation = ortho_group.rvs(7, random_state=1)
    features = np.concatenate([np.eye(4)[values], rng.normal(size=(400, 3))], axis=1) @ rotation
    probe = fit_probe("x", "p", "categorical", features[:300], list(values[:300]))
    assert probe.score(features[300:], list(values[300:])) == 1.0
    assert probe.basis().shape == (7, 3)  # four one-hot columns less the mean
    numbers = features @ rng.normal(size=7)
    linear = fit_probe("y", "p", "numerical", features[:300], list(numbers[:300]))
    assert linear.score(features[300:], list(numbers[300:])) == pytest.approx(1.0, abs=1e-6)
    noise = fit_probe("z", "p", "categorical", rng.normal(size=(300, 7)), list(values[:300]))
    assert noise.score(rng.normal(size=(100, 7)), list(values[300:])) < 0.45


def test_a_bool_probe_keeps_true_apart_from_one():
    features = np.eye(2)[[0, 1, 0, 1]]
    probe = fit_probe("b", "p", "categorical", features, [False, True, False, True])
    assert probe.predict(features) == [False, True, False, True]
    assert probe.score(features, [0, 1, 0, 1]) == 0.0


def test_cka_known_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 6))
    assert linear_cka(x, x) == pytest.approx(1.0)
    assert linear_cka(x, 2.5 * x @ ortho_group.rvs(6, random_state=2)) == pytest.approx(1.0)
    assert linear_cka(x, rng.normal(size=(500, 6))) < 0.1


def test_probes_sharing_a_ridge_system_are_the_ridge_solution():
    """One factorisation per residual point serves every s-op's probe there."""
    rng = np.random.default_rng(5)
    rows = rng.normal(size=(200, 6))
    numbers = rows @ np.arange(1.0, 7.0) + 0.1 * rng.normal(size=200)
    labels = list(np.where(rows[:, 0] > 0, "up", "down"))
    system = ridge_system(rows)
    centred = rows - rows.mean(axis=0)
    gram = centred.T @ centred
    regularised = gram + RIDGE * np.trace(gram) / 6 * np.eye(6)
    shared = fit_probe("n", "p", "numerical", None, list(numbers), system)
    expected = np.linalg.solve(regularised, centred.T @ (numbers - numbers.mean()))
    np.testing.assert_allclose(shared.weights[:, 0], expected, rtol=1e-9)
    alone = fit_probe("c", "p", "categorical", rows, labels)
    np.testing.assert_allclose(fit_probe("c", "p", "categorical", None, labels, system).weights, alone.weights)
