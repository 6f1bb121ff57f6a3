"""``compare`` on cases with known answers: a compiled model against itself, against
a copy with its heads permuted, and against a random model."""
from __future__ import annotations

import argparse
import copy
import json
from functools import lru_cache

import numpy as np
import pytest
from scipy.stats import ortho_group

from cli.comparing import gather_evidence
from cli.task import load_task
from runtime.compare.comparison import compare, output_tolerance, random_twin
from runtime.compare.render import render_html
from runtime.model import full_token_embed
from runtime.train.shape import overridden, random_params, shape_of, trained_config, trained_model
from tests.runtime.train.helpers import ROOT


@lru_cache(maxsize=None)
def task(name: str, max_len: int = 6):
    args = argparse.Namespace(file=str(ROOT / "programs" / f"{name}.rasp"), search_path=[], vocab=None,
                              max_len=max_len, output=None, max_params=50_000_000, no_opt=[])
    return load_task(args)


@lru_cache(maxsize=None)
def evidence(name: str):
    found = task(name)
    return gather_evidence(found, found.model, 240, 60, seed=0)


def test_a_compiled_model_against_itself_is_perfect():
    found = task("sort")
    result = compare(found.model, found.model, evidence("sort"))
    assert result.behaviour.a_accuracy == result.behaviour.b_accuracy == result.behaviour.agreement == 1.0
    for match in result.heads:
        assert match.matched == (match.layer, match.head) and match.argmax_agreement == 1.0
        assert match.divergence == pytest.approx(0.0, abs=1e-9)
    names = {v.name for v in result.variables}
    assert {"tokens", "smaller", "not_larger", "first_copy", "sorted_tokens"} <= names
    for variable in result.variables:
        assert variable.probe[variable.writer] == pytest.approx(1.0)
        if variable.pairs:
            assert variable.b_iia == 1.0 and variable.a_iia == 1.0
    assert sum(v.pairs > 0 for v in result.variables) >= 4
    # Unpatched, B gives each base's own output: the counterfactual exactly where the
    # interpreter says the intervention leaves the base's output as it is.
    truth = dict(zip(evidence("sort").inputs, evidence("sort").truth))
    for change in evidence("sort").interchanges:
        if change.expected:
            unchanged = np.mean([list(want) == list(truth[base]) for base, want in zip(change.bases, change.expected)])
            variable = next(v for v in result.variables if v.name == change.name)
            assert variable.b_unpatched == pytest.approx(unchanged), change.name
    assert all(value == pytest.approx(1.0) for value in result.layer_cka().values())


def test_numerical_variables_against_themselves():
    found = task("dyck1")
    result = compare(found.model, found.model, evidence("dyck1"))
    numerical = [v for v in result.variables if v.encoding == "numerical"]
    assert numerical
    for variable in numerical:
        assert variable.probe[variable.writer] == pytest.approx(1.0, abs=1e-6)
        assert variable.b_iia == variable.a_iia == 1.0


def test_heads_permuted_within_a_layer_are_matched_back():
    found = task("sort")
    twin = copy.deepcopy(found.model)
    permutation = [2, 0, 1]
    layer = twin.params["layers"][0]
    for name in ("w_q", "w_k", "w_v", "w_o"):
        layer[name] = np.asarray(layer[name])[permutation]
    result = compare(found.model, twin, evidence("sort"))
    assert result.behaviour.agreement == 1.0
    for match in result.heads:
        expected = permutation.index(match.head) if match.layer == 0 else match.head
        assert match.matched == (match.layer, expected)
        assert match.argmax_agreement == 1.0


def rotated(model, seed: int):
    """The same model in a randomly rotated residual basis: it computes the same
    function, but no variable lies along the coordinate axes any more."""
    rotation = ortho_group.rvs(model.config.d_model, random_state=seed)
    twin = copy.deepcopy(model)
    params = twin.params
    params["token_embed"] = full_token_embed(params)["token_embed"] @ rotation  # a narrow table widened first
    params["pos_embed"] = params["pos_embed"] @ rotation
    params["unembed"] = rotation.T @ params["unembed"]
    for layer in params["layers"]:
        for name in ("w_q", "w_k", "w_v"):
            layer[name] = np.einsum("de,hef->hdf", rotation.T, layer[name])
        layer["w_o"] = layer["w_o"] @ rotation
        layer["w_in"] = rotation.T @ layer["w_in"]
        layer["w_out"] = layer["w_out"] @ rotation
        layer["b_out"] = layer["b_out"] @ rotation
    return twin


def test_a_rotated_copy_is_read_and_patched_through_its_probes():
    found = task("sort")
    result = compare(found.model, rotated(found.model, seed=0), evidence("sort"))
    assert result.behaviour.agreement == 1.0
    patched = [v for v in result.variables if v.pairs]
    assert len(patched) >= 4
    for variable in result.variables:
        assert variable.probe[variable.writer] == pytest.approx(1.0)
    for variable in patched:
        assert variable.b_iia == 1.0
    assert all(value == pytest.approx(1.0) for value in result.layer_cka().values())


def test_a_random_model_scores_near_chance_and_near_its_control():
    found = task("sort")
    result = compare(found.model, random_twin(found.model, seed=11), evidence("sort"))
    assert result.behaviour.b_accuracy < 0.1
    gaps = [abs(v.probe[p] - v.control[p]) for v in result.variables for p in v.probe]
    assert np.mean(gaps) < 0.1
    assert all(match.argmax_agreement < 0.9 for match in result.heads)


def test_a_model_without_layers_is_compared_without_heads_to_match():
    found = task("hist")
    shape = overridden(shape_of(found.model), layers=0)
    config = trained_config(found.model.config, shape)
    flat = trained_model(random_params(shape, config, 0), config, {}, {})
    result = compare(found.model, flat, evidence("hist"))
    record = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert [h["matched"] for h in record["heads"]] == [None] and record["heads"][0]["closest"] is None
    assert result.b_points == ("embed",)
    assert "<svg" in render_html(result, "A", "B")


def test_a_declared_output_tolerance_is_the_one_answers_are_compared_within():
    found = task("frac_prevs")
    truth = [[0.0, 0.5, 1 / 3]]       # the smallest gap, 1/6, would allow 1/12
    assert output_tolerance(found.model, truth) == pytest.approx(1 / 12)
    declared = copy.copy(found.model)
    declared.stats = {**found.model.stats, "output_tolerance": 0.001}
    assert output_tolerance(declared, truth) == 0.001
    declared.stats["output_tolerance"] = 1e-9
    assert output_tolerance(declared, truth) == 1e-4   # never below the runtime's own
