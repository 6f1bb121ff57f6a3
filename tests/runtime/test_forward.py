"""The JAX forward pass: encoding, padding that cannot change results, traces."""
from __future__ import annotations

import numpy as np
import pytest

from tests.support import compile_cases as cases
from compiler import compile_expr
from raspc.errors import InputError
from rasp.interpreter import evaluate
from runtime.engine.forward import Runner, encode, forward, trace

ABC = ("a", "b", "c")


@pytest.fixture(scope="module")
def reverse_model():
    return compile_expr(cases.reverse(), ABC, 6)


def test_encode_puts_bos_first(reverse_model):
    ids = encode(reverse_model.config, ("b", "a", "c"))
    assert ids.tolist() == [0, 2, 1, 3]
    assert encode(reverse_model.config, "ba").tolist() == [0, 2, 1]


@pytest.mark.parametrize("tokens, message", [
    (("a", "z"), "token 'z' at position 1 is not in the vocabulary {a, b, c}"),
    ((), "empty"),
    (("a",) * 7, "more than max_len 6"),
])
def test_encode_rejects_bad_inputs(reverse_model, tokens, message):
    with pytest.raises(InputError) as raised:
        encode(reverse_model.config, tokens)
    assert message in raised.value.message


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


def test_trace_has_every_point(reverse_model):
    ids = encode(reverse_model.config, ("a", "b", "c"))
    seen = trace(reverse_model.params, ids, reverse_model.config)
    layers = reverse_model.config.n_layers
    assert seen.points == ("embed",) + tuple(p for l in range(layers) for p in (f"L{l}.attn", f"L{l}.mlp"))
    assert len(seen.residuals) == 2 * layers + 1 and seen.residuals[0].shape == (1, 4, reverse_model.config.d_model)
    for layer, pattern in enumerate(seen.patterns):
        heads = reverse_model.params["layers"][layer]["w_q"].shape[0]
        assert pattern.shape == (1, heads, 4, 4)
        assert np.allclose(pattern.sum(-1), 1.0, atol=1e-5)
    for layer, hidden in enumerate(seen.mlp_hidden):
        assert hidden.shape == (1, 4, reverse_model.params["layers"][layer]["w_in"].shape[1])
        assert (hidden >= 0).all()
    final = forward(reverse_model.params, ids, reverse_model.config)
    assert np.allclose(seen.residuals[-1][0], final, atol=1e-5)


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
