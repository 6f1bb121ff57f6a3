"""A large batch runs in slices; its results must equal running each input alone."""
import numpy as np

from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_file
from runtime.engine import forward as fwd
from runtime.engine.forward import PAD, Runner, encode, forward


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


def test_shard_counts_divide_the_batch_into_parts_of_64_or_more():
    """Worked by hand: one part per core, each at least 64 rows, dividing the batch."""
    assert fwd.shard_count(1024, cores=2) == 2
    assert fwd.shard_count(1024, cores=3) == 2  # 1024 = 3 x 341.3: two parts of 512
    assert fwd.shard_count(192, cores=4) == 3  # at most 192 // 64 parts, and 3 divides 192
    assert fwd.shard_count(100, cores=8) == 1  # two parts would be under 64 rows
    assert fwd.shard_count(4096, cores=1) == 1


def test_sharded_batch_equals_the_batch_in_one_call():
    """Three shards side by side give the rows of one call, in order."""
    _, model = _reverse_model()
    rng = np.random.default_rng(11)
    ids = np.full((3 * 64, model.config.max_len + 1), PAD, np.int32)
    for row in range(ids.shape[0]):
        n = int(rng.integers(1, model.config.max_len + 1))
        tokens = [model.config.vocab[1 + int(k)] for k in rng.integers(0, len(model.config.vocab) - 1, n)]
        ids[row, :n + 1] = encode(model.config, tokens)
    run = lambda part: forward(model.params, part, model.config)  # noqa: E731
    parts = fwd.in_shards(run, ids, 3)
    assert [part.shape[0] for part in parts] == [64, 64, 64]
    np.testing.assert_allclose(np.concatenate([np.asarray(p) for p in parts]), np.asarray(run(ids)), atol=1e-5)
