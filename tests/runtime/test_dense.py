"""The dense pass (``runtime.engine.dense``): a large batch runs in slices and shards
whose results equal running each input alone; a trace holds every point."""
import numpy as np

from compiler import compile_expr, compile_program
from rasp.stage import load_file
from tests.support import compile_cases as cases
from runtime.engine.batching import PAD, encode, in_shards
from runtime.engine.dense import DENSE_SLICE, forward, trace


def _reverse_model():
    program = load_file("programs/reverse.rasp").program
    return program, compile_program(program, max_len=6)


def _random_ids(model, rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ids = np.full((rows, model.config.max_len + 1), PAD, np.int32)
    for row in range(rows):
        n = int(rng.integers(1, model.config.max_len + 1))
        tokens = [model.config.vocab[1 + int(k)] for k in rng.integers(0, len(model.config.vocab) - 1, n)]
        ids[row, :n + 1] = encode(model.config, tokens)
    return ids


def test_sliced_batch_equals_one_at_a_time():
    _, model = _reverse_model()
    batch = DENSE_SLICE * 2 + 37  # two whole slices and a partial one
    ids = _random_ids(model, batch, seed=7)
    together = np.asarray(forward(model.params, ids, model.config))
    for row in (0, DENSE_SLICE - 1, DENSE_SLICE, batch - 1):
        alone = np.asarray(forward(model.params, ids[row], model.config))
        np.testing.assert_allclose(together[row], alone, atol=1e-5)


def test_sharded_batch_equals_the_batch_in_one_call():
    """Three shards side by side give the rows of one call, in order."""
    _, model = _reverse_model()
    ids = _random_ids(model, 3 * 64, seed=11)
    run = lambda part: forward(model.params, part, model.config)  # noqa: E731
    parts = in_shards(run, ids, 3)
    assert [part.shape[0] for part in parts] == [64, 64, 64]
    np.testing.assert_allclose(np.concatenate([np.asarray(p) for p in parts]), np.asarray(run(ids)), atol=1e-5)


def test_trace_has_every_point():
    model = compile_expr(cases.reverse(), ("a", "b", "c"), 6)
    ids = encode(model.config, ("a", "b", "c"))
    seen = trace(model.params, ids, model.config)
    layers = model.config.n_layers
    assert seen.points == ("embed",) + tuple(p for l in range(layers) for p in (f"L{l}.attn", f"L{l}.mlp"))
    assert len(seen.residuals) == 2 * layers + 1 and seen.residuals[0].shape == (1, 4, model.config.d_model)
    for layer, pattern in enumerate(seen.patterns):
        heads = model.params["layers"][layer]["w_q"].shape[0]
        assert pattern.shape == (1, heads, 4, 4)
        assert np.allclose(pattern.sum(-1), 1.0, atol=1e-5)
    for layer, hidden in enumerate(seen.mlp_hidden):
        assert hidden.shape == (1, 4, model.params["layers"][layer]["w_in"].shape[1])
        assert (hidden >= 0).all()
    final = forward(model.params, ids, model.config)
    assert np.allclose(seen.residuals[-1][0], final, atol=1e-5)
    assert np.array_equal(seen.residual(seen.points[-1]), seen.residuals[-1])
