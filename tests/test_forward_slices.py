"""A large batch runs in slices; its results must equal running each input alone."""
import numpy as np

from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_file
from runtime import forward as fwd
from runtime.forward import PAD, Runner, encode, forward


def _reverse_model():
    program = load_file("programs/reverse.rasp").program
    return program, compile_program(program, max_len=6)


def test_sliced_batch_equals_one_at_a_time():
    _, model = _reverse_model()
    rng = np.random.default_rng(7)
    batch = fwd.FORWARD_SLICE * 2 + 37  # two whole slices and a partial one
    ids = np.full((batch, model.config.max_len + 1), PAD, np.int32)
    for row in range(batch):
        n = int(rng.integers(1, model.config.max_len + 1))
        tokens = [model.config.vocab[1 + int(k)] for k in rng.integers(0, len(model.config.vocab) - 1, n)]
        ids[row, :n + 1] = encode(model.config, tokens)
    together = np.asarray(forward(model.params, ids, model.config))
    for row in (0, fwd.FORWARD_SLICE - 1, fwd.FORWARD_SLICE, batch - 1):
        alone = np.asarray(forward(model.params, ids[row], model.config))
        np.testing.assert_allclose(together[row], alone, atol=1e-5)


def test_runner_on_a_large_batch_matches_the_interpreter():
    program, model = _reverse_model()
    rng = np.random.default_rng(3)
    vocab = list(program.vocab)
    inputs = [tuple(vocab[int(k)] for k in rng.integers(0, len(vocab), int(rng.integers(1, 7))))
              for _ in range(700)]
    expr = program.output_expr(None)
    got = Runner(model, max_batch=1024).run(inputs)
    assert got == [list(evaluate(expr, tokens)) for tokens in inputs]
