"""The NumPy pass computes what the dense JAX pass computes: the same logits and
attention patterns on every bundled program, on inputs of every length with
padding, and the same answers through ``Runner`` on either side of SMALL_BATCH."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_file
from runtime.engine.dense import trace
from runtime.engine.encoding import PAD, encode
from runtime.engine.forward import SMALL_BATCH, Runner
from runtime.engine.small import small_pass
from runtime.outputs import same_output

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = sorted(path.stem for path in (ROOT / "programs").glob("*.rasp"))


def _program(name: str):
    program = load_file(str(ROOT / "programs" / f"{name}.rasp")).program
    return program, compile_program(program, max_len=6)


def _padded_batch(model, count: int, seed: int) -> tuple[list[tuple], np.ndarray]:
    rng = random.Random(seed)
    vocab = list(model.config.vocab[1:])
    inputs = [tuple(rng.choice(vocab) for _ in range(rng.randint(1, model.config.max_len))) for _ in range(count)]
    ids = np.full((count, model.config.max_len + 1), PAD, np.int32)
    for row, tokens in enumerate(inputs):
        encoded = encode(model.config, tokens)
        ids[row, :len(encoded)] = encoded
    return inputs, ids


@pytest.mark.parametrize("name", PROGRAMS)
def test_the_numpy_pass_is_the_dense_pass(name):
    _, model = _program(name)
    _, ids = _padded_batch(model, 12, seed=len(name))
    numpy_side = small_pass(model.params, ids, float(model.config.attn_scale))
    jax_side = trace(model.params, ids, model.config)
    real = ids >= 0
    last = jax_side.residuals[-1] @ np.asarray(model.params["unembed"], np.float64)
    np.testing.assert_allclose(numpy_side.logits[real], last[real], rtol=1e-4, atol=1e-3)
    for mine, theirs in zip(numpy_side.patterns, jax_side.patterns):
        np.testing.assert_allclose(mine, theirs, atol=1e-4)


@pytest.mark.parametrize("name", ["sort", "hist", "dyck1"])
def test_runner_answers_alike_below_and_above_the_small_batch(name):
    program, model = _program(name)
    inputs, _ = _padded_batch(model, 3 * SMALL_BATCH, seed=7)
    runner = Runner(model)
    one_at_a_time = [runner.run([tokens])[0] for tokens in inputs]   # the NumPy pass
    all_at_once = runner.run(inputs)                                  # a JAX pass
    output = program.output_expr()
    for tokens, small, large in zip(inputs, one_at_a_time, all_at_once):
        expected = evaluate(output, tokens)
        assert same_output(expected, small) and same_output(expected, large)


def test_runner_reads_kept_s_ops_alike_on_both_sides_of_the_threshold_with_or_without_the_output():
    program = load_file(str(ROOT / "programs" / "sort.rasp")).program
    names = ["smaller", "first_copy"]
    model = compile_program(program, max_len=6, keep=tuple(names))
    rng = random.Random(3)
    inputs = [tuple(rng.choice(model.config.vocab[1:]) for _ in range(rng.randint(1, 6)))
              for _ in range(SMALL_BATCH + 3)]
    runner = Runner(model)
    output = program.output_expr(model.config.output)
    for batch in (inputs[:2], inputs):
        outputs, readings = runner.run_and_read(batch, names)         # one pass
        for tokens, read, out, read_too in zip(batch, runner.read(batch, names), outputs, readings):
            assert same_output(evaluate(output, tokens), out), tokens
            for name in names:
                expected = evaluate(program.names[name], tokens)
                assert same_output(expected, read[name]) and same_output(expected, read_too[name]), (name, tokens)
