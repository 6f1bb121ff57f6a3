"""Compiled bundled programs at max_len 40 and 64 against the reference interpreter.

At these lengths a selector-width scratch ``1/(w+1)`` has values ``1/(n(n+1))``
apart, too close for any MLP to read two of them as a grid in float32: the
compiler must decode each width first (sort, most_freq) or read them through a
projection (dyck2 compares two widths). A few seeded random inputs per program,
including the longest length, so that each test stays within seconds."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.support.compile_cases import same
from compiler import compile_program
from rasp.interpreter import evaluate
from rasp.stage import load_file
from runtime.engine.forward import Runner

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"


def _inputs(vocab, max_len, count, seed):
    """Random inputs at three lengths (each length is one batch shape to run)."""
    rng = random.Random(seed)
    lengths = [(max_len, max_len - 1, rng.randint(1, max_len - 2))[k % 3] for k in range(count)]
    return [tuple(rng.choice(vocab) for _ in range(n)) for n in lengths]


@pytest.mark.slow
@pytest.mark.parametrize("max_len", [40, 64])
@pytest.mark.parametrize("name", ["sort", "most_freq", "dyck2"])
def test_program_exact_at_long_max_len(name, max_len):
    program = load_file(str(PROGRAMS / f"{name}.rasp")).program
    model = compile_program(program, max_len=max_len)
    expr = program.output_expr()
    inputs = _inputs(list(program.vocab), max_len, 16, seed=max_len)
    if name == "dyck2":  # also nested and balanced ones, where the counts matter most
        half = max_len // 2
        inputs += [tuple("(" * half + ")" * half), tuple("({" * (half // 2 - 1) + "})" * (half // 2 - 1) + "((")]
    got = Runner(model).run(inputs)
    bad = [(x, g) for x, g in zip(inputs, got) if not same(g, evaluate(expr, x))]
    assert not bad, f"{len(bad)} of {len(inputs)} differ, e.g. {bad[0]}"


def test_depth_does_not_grow_with_max_len():
    # The attention steps on the longest path fix the depth: dyck1 has two.
    program = load_file(str(PROGRAMS / "dyck1.rasp")).program
    depths = {max_len: compile_program(program, max_len=max_len).config.n_layers for max_len in (10, 40, 64)}
    assert set(depths.values()) == {2}, depths
