"""simplify_selects: selectors that need joint s-ops get smaller ones. Expected
selectors worked out by hand from the three equivalences the pass uses."""
from __future__ import annotations

from compiler.passes.simplify_selects import simplify_select, simplify_selects
from rasp import ir
from tests.compiler.passes.equivalence import mismatches, run

VOCAB = ("a", "b", "c")
MAX_LEN = 5


def test_comparison_with_a_constant_becomes_a_boolean_key_map():
    # "indices == 0 or tokens == tokens": an or across slots (joint s-ops needed);
    # the constant comparison is a test of the key alone.
    select = ir.Select(keys=(ir.INDICES, ir.TOKENS), queries=(ir.Constant(value=0), ir.TOKENS),
                       predicate=ir.PredOr(ir.Compare("==", 0, 0), ir.Compare("==", 1, 1)))
    width = ir.SelectorWidth(select).named("w")
    after = run(simplify_selects, width, VOCAB, MAX_LEN).outputs
    (new_width,) = after
    simpler = new_width.selector
    # Slots: tokens and the test on the key side, tokens and True on the query side.
    test = simpler.keys[1]
    assert simpler.keys[0] is ir.TOKENS and isinstance(test, ir.Map) and test.inner is ir.INDICES
    assert test.fn(0) is True and test.fn(3) is False and test.name == "indices_test"
    assert simpler.queries[0] is ir.TOKENS and simpler.queries[1].value is True
    assert simpler.predicate == ir.PredOr(ir.Compare("==", 1, 1), ir.Compare("==", 0, 0))
    assert new_width.name == "w"
    assert mismatches((width,), after, VOCAB, MAX_LEN) == []


def test_one_sided_part_becomes_one_map():
    # "tokens == 'a' or tokens == 'b'" (query side constants) tests the key
    # alone: one boolean map of tokens in place of two comparisons, compared with
    # True. (That comparison with a constant is then itself a key test, a map of
    # the map, which fusing inlines.)
    select = ir.Select(keys=(ir.TOKENS, ir.INDICES), queries=(ir.Constant(value="a"), ir.Constant(value="b")),
                       predicate=ir.PredOr(ir.Compare("==", 0, 0), ir.Compare("==", 0, 1)))
    simpler = simplify_select(select)
    (test,) = simpler.keys
    assert isinstance(test, ir.Map) and isinstance(test.inner, ir.Map) and test.inner.inner is ir.TOKENS
    assert [test.fn(test.inner.fn(t)) for t in VOCAB] == [True, True, False]
    assert simpler.queries[0].value is True and simpler.predicate == ir.Compare("==", 0, 0)
    width = ir.SelectorWidth(select)
    after = run(simplify_selects, width, VOCAB, MAX_LEN).outputs
    assert mismatches((width,), after, VOCAB, MAX_LEN) == []


def test_pinned_equality_compares_with_the_constant():
    # "indices == 0 and indices == query indices": the key is pinned to 0, so the
    # equality is "query indices == 0", which no longer reads the key's indices.
    # Joined with "tokens < tokens" by an or, so that it needs joint s-ops.
    pinned = ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("==", 0, 1))
    select = ir.Select(keys=(ir.INDICES, ir.TOKENS), queries=(ir.Constant(value=0), ir.INDICES, ir.TOKENS),
                       predicate=ir.PredOr(pinned, ir.Compare("<", 1, 2)))
    width = ir.SelectorWidth(select)
    simpler = simplify_select(select)
    tests = [s for s in simpler.keys + simpler.queries if isinstance(s, ir.Map)]
    # Both sides of the pinned part became tests: "indices == 0" on the key,
    # "0 == query indices" on the query.
    assert sorted((t.inner.name, t.fn(0), t.fn(2)) for t in tests) == [("indices", True, False)] * 2
    after = run(simplify_selects, width, VOCAB, MAX_LEN).outputs
    assert mismatches((width,), after, VOCAB, MAX_LEN) == []


def test_selectors_that_decompose_are_left_alone():
    # An and of comparisons, each of one key slot and one query slot: one head
    # computes it as it is.
    select = ir.Select(keys=(ir.INDICES, ir.TOKENS), queries=(ir.Constant(value=0), ir.TOKENS),
                       predicate=ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("==", 1, 1)))
    width = ir.SelectorWidth(select)
    assert run(simplify_selects, width, VOCAB, MAX_LEN).outputs == (width,)
