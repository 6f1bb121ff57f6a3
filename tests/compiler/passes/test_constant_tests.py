"""constant_tests: an s-op that selectors only compare with constants is read
through one boolean map per test."""
from __future__ import annotations

from compiler.passes.constant_tests import constant_tests
from rasp import ir
from tests.compiler.passes.equivalence import mismatches, run

VOCAB = ("a", "b", "c")
MAX_LEN = 5


def test_comparison_with_a_constant_reads_a_boolean():
    # doubled takes 5 values (0, 2, ..., 8); the selector asks only "== 0": one
    # test, two values.
    doubled = ir.Map(fn=lambda i: 2 * i, inner=ir.INDICES).named("doubled")
    at_zero = ir.Select(keys=(doubled,), queries=(ir.Constant(value=0),), predicate=ir.Compare("==", 0, 0))
    first = ir.Aggregate(at_zero, ir.TOKENS, default="a").named("first")
    after = run(constant_tests, first, VOCAB, MAX_LEN).outputs
    select = after[0].selector
    (test,) = select.keys
    (true,) = select.queries
    assert isinstance(test, ir.Map) and test.inner is doubled and test.name == "doubled_test"
    assert test.fn(0) is True and test.fn(2) is False and test.description == "{0} == 0"
    assert isinstance(true, ir.Constant) and true.value is True
    assert select.predicate == ir.Compare("==", 0, 0)
    assert mismatches((first,), after, VOCAB, MAX_LEN) == []


def test_s_op_compared_with_another_s_op_is_kept():
    doubled = ir.Map(fn=lambda i: 2 * i, inner=ir.INDICES)
    at_zero = ir.Select(keys=(doubled,), queries=(ir.Constant(value=0),), predicate=ir.Compare("==", 0, 0))
    same = ir.Select(keys=(doubled,), queries=(doubled,), predicate=ir.Compare("<", 0, 0))
    both = ir.SequenceMap(fn=lambda a, w: f"{a}{w}", inputs=(ir.Aggregate(at_zero, ir.TOKENS, default="a"),
                                                              ir.SelectorWidth(same)))
    assert run(constant_tests, both, VOCAB, MAX_LEN).outputs == (both,)


def test_as_many_tests_as_values_is_no_saving():
    # parity has two values; two tests of it (== 0, == 1) would be four directions.
    parity = ir.Map(fn=lambda i: i % 2, inner=ir.INDICES)
    even = ir.Select(keys=(parity,), queries=(ir.Constant(value=0),), predicate=ir.Compare("==", 0, 0))
    odd = ir.Select(keys=(parity,), queries=(ir.Constant(value=1),), predicate=ir.Compare("==", 0, 0))
    both = ir.SequenceMap(fn=lambda a, b: a + b, inputs=(ir.SelectorWidth(even), ir.SelectorWidth(odd)))
    assert run(constant_tests, both, VOCAB, MAX_LEN).outputs == (both,)
