"""selector_width and length: the head and its MLP against counting in Python,
for every width 0..max_len, in float32 at max_len 64 and 100."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.support.block_reference import Residual, apply_head, apply_mlp
from compiler.constructions import attention, counting, mlp
from compiler.constructions.blocks import Space
from rasp import ir
from runtime.model import CATEGORICAL, NUMERICAL

C = ir.Compare


def width_output(encoding: str, max_len: int) -> Space:
    values = tuple(range(max_len + 1))
    return Space("width", encoding, values if encoding == CATEGORICAL else values)


_BUILT: dict = {}


def run_width(select, keys, queries, output, max_len, key_columns, query_columns, n):
    scratch = Space("scratch", NUMERICAL, ())
    key = (id(select), keys, queries, output, max_len)
    if key not in _BUILT:  # one construction per configuration
        _BUILT[key] = (select, counting.selector_width_blocks(select, keys, queries, output, scratch, max_len))
    head, block, margin = _BUILT[key][1]
    residual = Residual([*keys, *queries, output, scratch])
    columns = {s.name: c for s, c in zip(keys, key_columns)}
    columns.update({s.name: c for s, c in zip(queries, query_columns)})
    x = residual.build(columns) if columns else residual.build({"width": [0] * n}) * _keep_only_one_bos(residual)
    x, _ = apply_head(residual, head, x)
    scratch_at_bos = float(residual.read(x, scratch)[0, 0])
    x, _ = apply_mlp(residual, block, x)
    return residual, x, head, block, margin, scratch_at_bos


def _keep_only_one_bos(residual: Residual) -> np.ndarray:
    """A mask that clears every direction but ``one`` and ``bos`` (for `length`,
    which reads no s-op)."""
    mask = np.zeros(residual.width, dtype=np.float32)
    mask[residual.slices["one"]] = 1
    mask[residual.slices["bos"]] = 1
    return mask


def python_width(predicate, key_columns, query_columns, n):
    return [sum(1 for j in range(n) if predicate(tuple(c[j] for c in key_columns), tuple(c[i] for c in query_columns)))
            for i in range(n)]


def check(residual, x, output, want):
    part = residual.read(x, output)
    assert np.abs(part[0]).max() < 1e-6, "nothing written at BOS"
    if output.encoding == CATEGORICAL:
        assert residual.decode(x, output) == want
        hot = np.zeros_like(part[1:])
        hot[np.arange(len(want)), [output.index_of(w) for w in want]] = 1
        return float(np.abs(part[1:] - hot).max())
    error = float(np.abs(part[1:, 0] - np.array(want)).max())
    assert error < 1e-4
    return error


@pytest.mark.parametrize("encoding", [CATEGORICAL, NUMERICAL])
@pytest.mark.parametrize("predicate", [C("==", 0, 0), C("<", 0, 0), C(">=", 0, 0), ir.PredNot(C("==", 0, 0)),
                                       ir.PredNot(ir.PredTrue())], ids=lambda p: p.describe(("k",), ("q",)))
def test_width_exhaustive_small(encoding, predicate):
    """Every token sequence up to length 5 over three tokens, max_len 5."""
    tokens = Space("tok", CATEGORICAL, (0, 1, 2))
    indices = Space("idx", CATEGORICAL, tuple(range(5)))
    output = width_output(encoding, 5)
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=predicate)
    for n in range(1, 6):
        for toks in itertools.product(range(3), repeat=n):
            queries = [i % 3 for i in range(n)]
            residual, x, *_ = run_width(select, (tokens,), (indices,), output, 5, [list(toks)], [queries], n)
            check(residual, x, output, python_width(predicate, [toks], [queries], n))


@pytest.mark.parametrize("max_len", [64, 100])
@pytest.mark.parametrize("encoding", [CATEGORICAL, NUMERICAL])
def test_length_every_n(max_len, encoding):
    """length: PredTrue, no keys or queries; n = 1..max_len."""
    output = width_output(encoding, max_len)
    select = ir.Select(predicate=ir.PredTrue())
    worst = 0.0
    for n in range(1, max_len + 1):
        residual, x, head, block, margin, scratch_at_bos = run_width(select, (), (), output, max_len, [], [], n)
        worst = max(worst, check(residual, x, output, [n] * n))
        assert abs(scratch_at_bos) < 1e-6
    assert block.hidden <= max_len + 1
    assert worst <= max(margin.value * 2, 1e-5)


@pytest.mark.parametrize("max_len", [64, 100])
@pytest.mark.parametrize("encoding", [CATEGORICAL, NUMERICAL])
def test_width_random_long(max_len, encoding):
    """Every width 0..max_len occurs: queries over a key range that covers them."""
    rng = np.random.default_rng(max_len)
    keys = Space("k", CATEGORICAL, tuple(range(max_len + 1)))
    queries = Space("q", CATEGORICAL, tuple(range(max_len + 1)))
    output = width_output(encoding, max_len)
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=C("<", 0, 0))
    seen: set[int] = set()
    for trial in range(10):
        n = max_len if trial < 6 else int(rng.integers(1, max_len + 1))
        key_column = [int(v) for v in rng.permutation(max_len)[:n]] if trial % 2 else \
            [int(v) for v in rng.integers(0, max_len + 1, size=n)]
        query_column = [int(v) for v in rng.integers(0, max_len + 1, size=n)]
        if trial == 0:  # widths 0..n-1 and n exactly, in one sequence
            key_column, query_column = list(range(n)), [max_len] + list(range(n - 1))
        want = python_width(select.predicate, [key_column], [query_column], n)
        seen.update(want)
        residual, x, *_ = run_width(select, (keys,), (queries,), output, max_len, [key_column], [query_column], n)
        check(residual, x, output, want)
    assert {0, max_len} <= seen


def test_sizes_and_margin():
    output = width_output(CATEGORICAL, 100)
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=C("==", 0, 0))
    k = Space("k", CATEGORICAL, tuple(range(10)))
    head, block, margin = counting.selector_width_blocks(select, (k,), (k,), output, Space("s", NUMERICAL, ()), 100)
    assert block.hidden == 101
    assert len(head.ov) == 1
    assert margin.value < 1e-4
    assert "101 units" in margin.reason


@pytest.mark.parametrize("max_len", [64, 100])
def test_maps_reading_the_real_scratch(max_len):
    """Maps fused onto the width scratch (as the compiler does for `length`), fed
    by the float32 head: the decode alone, and `length - indices - 1`."""
    scratch = Space("scratch", NUMERICAL, tuple(sorted(1.0 / (n + 1) for n in range(1, max_len + 1))))
    indices = Space("idx", CATEGORICAL, tuple(range(max_len)))
    head, _, _ = counting.selector_width_blocks(ir.Select(predicate=ir.PredTrue()), (), (),
                                                Space("unused", NUMERICAL, ()), scratch, max_len)
    length_cat = Space("length", CATEGORICAL, tuple(range(1, max_len + 1)))
    length_num = Space("length_n", NUMERICAL, ())
    opp = Space("opp", NUMERICAL, ())
    decode = lambda a: int(round(1 / a)) - 1  # noqa: E731
    blocks = [mlp.map_mlp(decode, scratch, length_cat, "length")[0],
              mlp.map_mlp(decode, scratch, length_num, "length")[0],
              mlp.sequence_map_mlp(lambda a, i: decode(a) - i - 1, (scratch, indices), opp, "opp")[0]]
    assert blocks[1].hidden <= max_len + 1 and blocks[2].hidden <= 2 * max_len + 1
    residual = Residual([indices, scratch, length_cat, length_num, opp])
    for n in range(1, max_len + 1):
        x = residual.build({"idx": list(range(n))})
        x, _ = apply_head(residual, head, x)
        for block in blocks:
            x, _ = apply_mlp(residual, block, x)
        check(residual, x, length_cat, [n] * n)
        check(residual, x, length_num, [n] * n)
        check(residual, x, opp, [n - 1 - i for i in range(n)])


@pytest.mark.parametrize("max_len", [64, 100])
def test_width_one_hot_as_key_of_a_mean(max_len):
    """The decoded one-hot (off-entries near 1e-5 in float32) keys a numerical mean
    in the next layer: the mean stays within 1e-4 of Python's."""
    tokens = Space("tok", CATEGORICAL, tuple(range(max_len)))
    width = width_output(CATEGORICAL, max_len)
    values = Space("val", NUMERICAL, tuple(float(v) for v in range(-50, 51)))
    queries = Space("q", CATEGORICAL, tuple(range(max_len + 1)))
    mean = Space("mean", NUMERICAL, ())
    smaller = ir.Select(keys=(ir.TOKENS,), queries=(ir.TOKENS,), predicate=C("<", 0, 0))
    head, block, _ = counting.selector_width_blocks(smaller, (tokens,), (tokens,), width,
                                                    Space("scratch", NUMERICAL, ()), max_len)
    below = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=C("<", 0, 0))
    mean_head, _ = attention.aggregate_head(below, (width,), (queries,), values, mean, 0.0, max_len)
    residual = Residual([tokens, width, Space("scratch", NUMERICAL, ()), values, mean, queries])
    rng = np.random.default_rng(7)
    for _ in range(8):
        toks = [int(v) for v in rng.integers(0, max_len, size=max_len)]
        vals = [float(v) for v in rng.integers(-50, 51, size=max_len)]
        qs = [int(v) for v in rng.integers(0, max_len + 1, size=max_len)]
        x = residual.build({"tok": toks, "val": vals, "q": qs})
        x, _ = apply_head(residual, head, x)
        x, _ = apply_mlp(residual, block, x)
        x, _ = apply_head(residual, mean_head, x)
        counts = [sum(1 for k in toks if k < t) for t in toks]
        want = []
        for q in qs:
            chosen = [v for v, c in zip(vals, counts) if c < q]
            want.append(sum(chosen) / len(chosen) if chosen else 0.0)
        assert np.abs(residual.read(x, mean)[1:, 0] - np.array(want)).max() < 1e-4
