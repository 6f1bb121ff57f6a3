"""Aggregate heads against plain Python, exhaustively on small sets and on random
sequences up to length 100, in float32."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.support.block_reference import Residual, apply_head, apply_mlp
from compiler.constructions import attention
from compiler.constructions.blocks import Space
from rasp import ir
from compiler.errors import CompileError
from runtime.model import CATEGORICAL, NUMERICAL

K = Space("k", CATEGORICAL, (0, 1, 2, 3))
Q = Space("q", CATEGORICAL, (0, 1, 2, 3))
K2 = Space("k2", CATEGORICAL, ("a", "b"))
Q2 = Space("q2", CATEGORICAL, ("a", "b", "c"))
SRC_CAT = Space("src", CATEGORICAL, ("x", "y", "z"))
SRC_NUM = Space("src", NUMERICAL, (-2.0, 0.0, 0.5, 3.0, 7.0))
OUT_CAT = Space("out", CATEGORICAL, ("x", "y", "z", "none"))
OUT_NUM = Space("out", NUMERICAL, ())

C = ir.Compare


def python_aggregate(select: ir.Select, key_columns, query_columns, source, default):
    """What aggregate means, row by row, from the predicate alone."""
    n = len(source)
    out = []
    for i in range(n):
        chosen = [source[j] for j in range(n)
                  if select.predicate(tuple(col[j] for col in key_columns), tuple(col[i] for col in query_columns))]
        if not chosen:
            out.append(default)
        elif len(set(chosen)) == 1:  # one value (the mean of equal numbers is that number)
            out.append(chosen[0])
        else:
            out.append(sum(chosen) / len(chosen))
    return out


def run_head(select, keys, queries, source, output, default, max_len, key_columns, query_columns, source_column,
             dtype=np.float32):
    head, margin = attention.aggregate_head(select, keys, queries, source, output, default, max_len)
    residual = Residual([*keys, *queries, source, output])
    columns = {s.name: c for s, c in zip(keys, key_columns)}
    columns.update({s.name: c for s, c in zip(queries, query_columns)})
    columns[source.name] = source_column
    x = residual.build(columns, dtype)
    after, weights = apply_head(residual, head, x)
    return residual, head, margin, after, weights


def check(select, keys, queries, source, output, default, max_len, key_columns, query_columns, source_column):
    residual, head, margin, after, _ = run_head(select, keys, queries, source, output, default, max_len,
                                                key_columns, query_columns, source_column)
    want = python_aggregate(select, key_columns, query_columns, source_column, default)
    got = residual.decode(after, output)
    if output.encoding == CATEGORICAL:
        assert got == want
        part = residual.read(after, output)[1:]
        hot = np.array([output.index_of(w) for w in want])
        assert np.all(part[np.arange(len(want)), hot] > 1 - 1e-5)
    else:
        assert np.allclose(got, want, atol=1e-5, rtol=0), (got, want)
    return margin


PREDICATES = [
    C("==", 0, 0), C("!=", 0, 0), C("<", 0, 0), C("<=", 0, 0), C(">", 0, 0), C(">=", 0, 0),
    ir.PredNot(C("<", 0, 0)), ir.PredTrue(),
    ir.PredOr(C("==", 0, 0), C(">", 0, 0)),  # one pair of slots: still one table
    ir.PredNot(ir.PredOr(C("==", 0, 0), C("<", 0, 0))),
    ir.PredNot(ir.PredTrue()),
]


def test_decomposes():
    assert attention.decomposes(C("<", 0, 1))
    assert attention.decomposes(ir.PredTrue())
    assert attention.decomposes(ir.PredNot(C("==", 0, 0)))
    assert attention.decomposes(ir.PredAnd(C("==", 0, 0), ir.PredNot(C("<", 1, 1))))
    assert attention.decomposes(ir.PredOr(C("==", 0, 0), C("<", 0, 0)))
    assert not attention.decomposes(ir.PredOr(C("==", 0, 0), C("<", 1, 1)))
    assert not attention.decomposes(ir.PredNot(ir.PredAnd(C("==", 0, 0), C("<", 1, 1))))
    assert attention.decomposes(ir.PredNot(ir.PredOr(C("==", 0, 0), C("<", 1, 1))))


@pytest.mark.parametrize("predicate", PREDICATES, ids=lambda p: p.describe(("k",), ("q",)))
def test_categorical_move_exhaustive_length_3(predicate):
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=predicate)
    for keys in itertools.product(K.values, repeat=3):
        for queries in ((0, 1, 2), (3, 3, 0), (2, 0, 1)):
            # a categorical move is only defined where at most one key is selected,
            # or all selected keys agree: use a source equal to the key
            source = ["xyz"[min(k, 2)] for k in keys]
            rows = [{source[j] for j in range(3) if predicate((keys[j],), (queries[i],))} for i in range(3)]
            if any(len(row) > 1 for row in rows):
                continue  # averaging strings is not an aggregate
            check(select, (K,), (Q,), SRC_CAT, OUT_CAT, "none", 8, [keys], [queries], source)


@pytest.mark.parametrize("predicate", PREDICATES, ids=lambda p: p.describe(("k",), ("q",)))
def test_numerical_mean_exhaustive_length_4(predicate):
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=predicate)
    source = [7.0, -2.0, 0.5, 3.0]
    for keys in itertools.product(K.values, repeat=4):
        check(select, (K,), (Q,), SRC_NUM, OUT_NUM, 0.5, 8, [keys], [(0, 1, 2, 3)], source)


@pytest.mark.parametrize("max_len", [64, 100])
@pytest.mark.parametrize("predicate", [C("<", 0, 0), C("==", 0, 0), ir.PredNot(C(">=", 0, 0)), ir.PredTrue()],
                         ids=lambda p: p.describe(("k",), ("q",)))
def test_numerical_mean_random_long(max_len, predicate):
    """Means over up to 100 keys of a wide value range, in float32."""
    rng = np.random.default_rng(max_len)
    keys_space = Space("k", CATEGORICAL, tuple(range(max_len)))
    queries_space = Space("q", CATEGORICAL, tuple(range(max_len)))
    source_space = Space("src", NUMERICAL, tuple(float(v) for v in range(-50, 51)))
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=predicate)
    for trial in range(12):
        n = int(rng.integers(1, max_len + 1)) if trial else max_len
        keys = [int(v) for v in rng.integers(0, max_len, size=n)]
        queries = [int(v) for v in rng.integers(0, max_len, size=n)]
        source = [float(v) for v in rng.integers(-50, 51, size=n)]
        margin = check(select, (keys_space,), (queries_space,), source_space, OUT_NUM, -50.0, max_len,
                       [keys], [queries], source)
        assert margin.value < 1e-6


@pytest.mark.parametrize("max_len", [64, 100])
def test_categorical_move_reverse_long(max_len):
    """reverse: query i selects key n-1-i; every length up to max_len."""
    idx = Space("idx", CATEGORICAL, tuple(range(max_len)))
    opp = Space("opp", CATEGORICAL, tuple(range(max_len)))
    tokens = Space("tok", CATEGORICAL, ("a", "b", "c"))
    out = Space("out", CATEGORICAL, ("a", "b", "c", 0))
    select = ir.Select(keys=(ir.INDICES,), queries=(ir.INDICES,), predicate=C("==", 0, 0))
    rng = np.random.default_rng(1)
    for n in list(range(1, max_len + 1, 7)) + [max_len]:
        toks = [str(t) for t in rng.choice(["a", "b", "c"], size=n)]
        check(select, (idx,), (opp,), tokens, out, 0, max_len, [list(range(n))], [[n - 1 - i for i in range(n)]],
              toks)


def test_conjunction_of_three_literals():
    """keys (k, k2), queries (q, q2): k < q and k2 == q2 and not k == 0."""
    predicate = ir.PredAnd(ir.PredAnd(C("<", 0, 0), C("==", 1, 1)), ir.PredNot(C("==", 0, 0)))
    select = ir.Select(keys=(ir.TOKENS, ir.TOKENS), queries=(ir.INDICES, ir.INDICES), predicate=predicate)
    rng = np.random.default_rng(2)
    for _ in range(200):
        n = int(rng.integers(1, 12))
        k = [int(v) for v in rng.integers(0, 4, size=n)]
        k2 = [str(v) for v in rng.choice(["a", "b"], size=n)]
        q = [int(v) for v in rng.integers(0, 4, size=n)]
        q2 = [str(v) for v in rng.choice(["a", "b", "c"], size=n)]
        source = [float(v) for v in rng.choice([-2.0, 0.0, 0.5, 3.0, 7.0], size=n)]
        check(select, (K, K2), (Q, Q2), SRC_NUM, OUT_NUM, 0.0, 16, [k, k2], [q, q2], source)


def test_joint_spaces_take_any_predicate():
    """An `or` across slots, compiled over one joint key and one joint query space."""
    predicate = ir.PredOr(C("==", 0, 0), C("<", 1, 1))
    select = ir.Select(keys=(ir.TOKENS, ir.TOKENS), queries=(ir.INDICES, ir.INDICES), predicate=predicate)
    assert not attention.decomposes(predicate)
    joint_k = Space("jk", CATEGORICAL, tuple(itertools.product((0, 1, 2), (0, 1))))
    joint_q = Space("jq", CATEGORICAL, tuple(itertools.product((0, 1, 2), (0, 1))))
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 10))
        k = [(int(a), int(b)) for a, b in zip(rng.integers(0, 3, size=n), rng.integers(0, 2, size=n))]
        q = [(int(a), int(b)) for a, b in zip(rng.integers(0, 3, size=n), rng.integers(0, 2, size=n))]
        source = [float(v) for v in rng.choice([-2.0, 0.0, 0.5, 3.0, 7.0], size=n)]
        residual, head, _, after, _ = run_head(select, (joint_k,), (joint_q,), SRC_NUM, OUT_NUM, 3.0, 10,
                                               [k], [q], source)
        want = []
        for i in range(n):
            chosen = [source[j] for j in range(n) if predicate(k[j], q[i])]
            want.append(sum(chosen) / len(chosen) if chosen else 3.0)
        assert np.allclose(residual.decode(after, OUT_NUM), want, atol=1e-5)


def test_bos_position_and_cleanup():
    """BOS attends to itself and receives the default; the cleanup unit removes it."""
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=C("<", 0, 0))
    residual, head, _, after, weights = run_head(select, (K,), (Q,), SRC_CAT, OUT_CAT, "none", 20,
                                                 [[0, 1, 2, 3, 1]], [[0, 2, 1, 3, 0]], list("xyzxy"))
    assert weights[0, 0] >= 1 - 1e-7
    np.testing.assert_allclose(residual.read(after, OUT_CAT)[0], [0, 0, 0, 1], atol=1e-7)
    cleanup = attention.bos_cleanup(OUT_CAT, "none")
    residual = Residual([K, Q, SRC_CAT, OUT_CAT])
    cleaned, _ = apply_mlp(residual, cleanup, after)
    np.testing.assert_allclose(residual.read(cleaned, OUT_CAT)[0], 0, atol=1e-7)
    np.testing.assert_array_equal(cleaned[1:], after[1:])
    assert attention.bos_cleanup(OUT_NUM, 0) is None


def test_categorical_source_read_as_numbers():
    source = Space("src", CATEGORICAL, (0, 1, 2, True))
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=C("<=", 0, 0))
    check(select, (K,), (Q,), source, OUT_NUM, 0, 8, [[0, 1, 2, 3]], [[3, 1, 0, 2]], [2, 1, True, 0])


def test_errors_name_the_problem():
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=C("<", 0, 0))
    with pytest.raises(CompileError, match="not a number"):
        attention.aggregate_head(select, (K,), (Q,), SRC_CAT, OUT_NUM, 0, 8)
    with pytest.raises(CompileError, match="default|not among"):
        attention.aggregate_head(select, (K,), (Q,), SRC_CAT, OUT_CAT, "missing", 8)
    with pytest.raises(CompileError, match="categorical"):
        attention.aggregate_head(select, (K,), (Q,), SRC_NUM, OUT_CAT, "x", 8)


def test_sizes_and_margin():
    """Score terms: one table per slot pair plus two BOS terms; the leak is tiny."""
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=C("<", 0, 0))
    head, margin = attention.aggregate_head(select, (K,), (Q,), SRC_CAT, OUT_CAT, "none", 100)
    assert len(head.qk) == 3
    assert margin.value < 1e-8


def _score(terms, query: dict, key: dict) -> float:
    """Sum of ``x_q[query space] @ matrix @ x_k[key space]`` over the terms."""
    return float(sum(query[t.query.name] @ t.matrix @ key[t.key.name] for t in terms))


def test_equality_over_a_large_set_reads_only_the_matching_entry():
    # Equality over 150 values: each row of its table is true once, so the table is
    # written by that entry (+T) on top of -T for every pair of real positions.
    # Noise nu on every off-entry of a one-hot then moves a score by about T nu,
    # not by the sum over 150 entries; and BOS stays neutral (score 0 with any key).
    big_k = Space("big_k", CATEGORICAL, tuple(range(150)))
    big_q = Space("big_q", CATEGORICAL, tuple(range(150)))
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=C("==", 0, 0))
    penalty = 30.0
    terms = attention.selection_terms(select, (big_k,), (big_q,), penalty)
    rng = np.random.default_rng(0)
    nu = 1e-5

    def position(space, value, noisy, at_bos=False):
        hot = np.zeros(space.width) if at_bos else np.eye(space.width)[value]
        if noisy and not at_bos:
            hot = hot + np.where(hot == 0, rng.uniform(-nu, nu, space.width), 0.0)
        return {space.name: hot, "one": np.ones(1), "bos": np.array([1.0 if at_bos else 0.0])}

    for q_value, k_value in [(3, 3), (3, 4), (149, 149), (0, 77)]:
        want = 0.0 if q_value == k_value else -penalty
        exact = _score(terms, position(big_q, q_value, False), position(big_k, k_value, False))
        assert exact == want
        noisy = _score(terms, position(big_q, q_value, True), position(big_k, k_value, True))
        assert abs(noisy - want) <= 2 * penalty * nu + 1e-9
    bos = position(big_k, 0, False, at_bos=True)
    assert _score(terms, position(big_q, 5, False), bos) == 0.0
    assert _score(terms, position(big_q, 0, False, at_bos=True), position(big_k, 5, False)) == 0.0
    # an order comparison keeps its false entries (-T): the true ones are not few
    order = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=C("<", 0, 0))
    assert len(attention.selection_terms(order, (big_k,), (big_q,), penalty)) == 1


def test_digit_codes_are_the_narrowest_split():
    """Worked by hand: 67 codes fit four digits in base 3 (81), 12 directions;
    base 9 x 2 digits takes 18, base 5 x 3 takes 15, base 2 x 7 takes 14."""
    assert attention.digit_code(67) == (3, 4)
    base, digits = attention.digit_code(10)
    assert base ** digits >= 10 and base * digits == 8
    assert attention.digit_code(3) == (3, 1)  # no split is narrower than the one-hot


def test_a_wide_equality_is_scored_by_digits():
    """``k == q + 5`` over 60 query and 60 key values: keys 0-4 and queries 55-59
    match nothing. Every (query value, key value) pair, against the predicate:
    exactly 0 when it holds, at most -penalty when not, through a dozen directions."""
    values = Space("v", CATEGORICAL, tuple(range(60)))
    keys = Space("k", CATEGORICAL, tuple(range(60)))
    table = np.array([[k == q + 5 for k in range(60)] for q in range(60)])
    penalty = 30.0
    term = attention.narrow_equality(table, values, keys, penalty)
    assert term is not None and term.left.shape[1] <= 12
    scores = term.left @ term.right.T
    for q in range(60):
        for k in range(60):
            if k == q + 5:
                assert scores[q, k] == 0.0
            else:
                assert scores[q, k] <= -penalty
    order = np.array([[k < q for k in range(60)] for q in range(60)])
    assert attention.equality_classes(order) is None
    assert attention.narrow_equality(order, values, keys, penalty) is None
