"""The engine as a user runs it (``runtime.engine.forward``): ``Runner`` picks the
packed pass for a compiled model and the dense one for a trained model; padding
and batching cannot change results; outputs decode as the interpreter's."""
from __future__ import annotations

import jax
import numpy as np
import pytest

from compiler import compile_expr, compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_file
from runtime.engine.batching import encode
from runtime.engine.dense import forward
from runtime.engine.forward import DENSE, PACKED, Runner, chosen_pass, dense_pass
from tests.support import compile_cases as cases
from tests.support.hand_models import identity_model, random_model

ABC = ("a", "b", "c")


@pytest.fixture(scope="module")
def reverse_model():
    return compile_expr(cases.reverse(), ABC, 6)


def test_forward_and_decode_match_interpreter(reverse_model):
    runner = Runner(reverse_model)
    for tokens in [("a",), ("a", "b", "c"), ("c", "c", "a", "b", "a", "b")]:
        residual = forward(reverse_model.params, encode(reverse_model.config, tokens), reverse_model.config)
        assert residual.shape == (len(tokens) + 1, reverse_model.config.d_model)
        assert runner.decode(residual, len(tokens)) == evaluate(cases.reverse(), tokens)


def test_padding_and_batching_do_not_change_results(reverse_model):
    runner = Runner(reverse_model)
    inputs = cases.random_inputs(ABC, 6, 40, seed=3)
    together = runner.run(inputs)
    alone = [runner.run([tokens])[0] for tokens in inputs[:8]]
    assert together[:8] == alone
    # the padded logits equal an unpadded forward pass
    for tokens, logits in zip(inputs[:5], runner.logits(inputs[:5])):
        residual = np.asarray(forward(reverse_model.params, encode(reverse_model.config, tokens),
                                      reverse_model.config))
        expected = residual[1:] @ reverse_model.params["unembed"]
        assert np.allclose(logits, expected, atol=1e-4)


def test_runner_on_a_large_batch_matches_the_interpreter():
    program = load_file("programs/reverse.rasp").program
    model = compile_program(program, max_len=6)
    rng = np.random.default_rng(3)
    vocab = list(program.vocab)
    inputs = [tuple(vocab[int(k)] for k in rng.integers(0, len(vocab), int(rng.integers(1, 7))))
              for _ in range(700)]
    expr = program.output_expr(None)
    got = Runner(model, max_batch=1024).run(inputs)
    assert got == [list(evaluate(expr, tokens)) for tokens in inputs]


def test_numerical_outputs_decode_as_numbers():
    model = compile_expr(cases.frac_prevs(), ABC, 5)
    out = Runner(model).run([("a", "b", "a", "a")])[0]
    assert np.allclose(out, [1.0, 0.5, 2 / 3, 0.75], atol=1e-4)


def test_layout_labels_and_stats(reverse_model):
    names = reverse_model.layout.names()
    assert names[:4] == ["one", "bos", "tokens", "indices"] and "reverse" in names
    assert reverse_model.config.output == "reverse"
    assert reverse_model.stats["compile_seconds"] > 0
    assert len(reverse_model.head_labels) == reverse_model.n_heads
    assert [len(labels) for labels in reverse_model.neuron_labels] == \
        [layer["w_in"].shape[1] for layer in reverse_model.params["layers"]]


def test_a_compiled_model_runs_packed_and_a_dense_one_dense(reverse_model):
    """The compiled reverse model is mostly zeros: packed, over its kept blocks only
    (fewer weights than the whole pytree). Random weights have no zeros to skip."""
    packed = chosen_pass(reverse_model)
    assert packed.name == PACKED
    whole = sum(np.size(w) for w in jax.tree_util.tree_leaves(reverse_model.params["layers"]))
    kept = sum(np.size(w) for w in jax.tree_util.tree_leaves(packed.params["layers"]))
    assert kept < whole
    assert set(packed.params) == {"token_embed", "pos_embed", "layers", "unembed"}
    assert chosen_pass(random_model(seed=1)).name == DENSE


@pytest.mark.parametrize("make", [lambda: random_model(seed=4, heads=(2, 1), hidden=(3, 2)), identity_model],
                         ids=["random", "identity"])
def test_the_dense_pass_gives_the_residual_times_the_unembedding(make):
    """Logits by ``dense_pass`` against ``forward`` (the residual) times the
    unembedding, in float64: the same numbers, for a batch with padding."""
    model = make()
    chosen = dense_pass(model)
    inputs = [tuple(model.config.vocab[1:3]), tuple(model.config.vocab[1:2])]
    ids = np.full((2, model.config.max_len + 1), -1, np.int32)
    for row, tokens in enumerate(inputs):
        ids[row, :len(tokens) + 1] = encode(model.config, tokens)
    logits = np.asarray(chosen.logits(chosen.params, ids))
    residual = np.asarray(forward(model.params, ids, model.config), np.float64)
    expected = residual @ np.asarray(model.params["unembed"], np.float64)
    real = ids >= 0
    np.testing.assert_allclose(logits[real], expected[real], rtol=1e-5, atol=1e-4)


def test_runner_on_a_trained_style_model_decodes_the_dense_logits():
    """A random model runs by the dense pass: ``run`` gives the argmax of its logits."""
    model = random_model(seed=5, heads=(2, 1), hidden=(3, 2))
    runner = Runner(model)
    assert runner.chosen.name == DENSE
    inputs = [("x",), ("x", 1, 2.5), (True, True)]
    outputs = runner.run(inputs)
    for tokens, logits, output in zip(inputs, runner.logits(inputs), outputs):
        residual = np.asarray(forward(model.params, encode(model.config, tokens), model.config), np.float64)
        expected = residual[1:] @ np.asarray(model.params["unembed"], np.float64)
        np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-4)
        assert output == [model.config.output_values[k] for k in np.argmax(expected, axis=-1)]
