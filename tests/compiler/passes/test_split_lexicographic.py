"""split_lexicographic: a comparison of a map that orders like a pair becomes the
comparison of the pairs. Expected predicates worked out by hand."""
from __future__ import annotations

from compiler.analysis.valuesets import infer
from compiler.passes.split_lexicographic import lexicographic_order, split_lexicographic
from rasp import ir
from tests.compiler.passes.equivalence import mismatches, run

VOCAB = ("a", "b", "c")
MAX_LEN = 5


def hist():
    return ir.SelectorWidth(ir.Select(keys=(ir.TOKENS,), queries=(ir.TOKENS,),
                                      predicate=ir.Compare("==", 0, 0))).named("hist")


def test_map_ordering_like_a_pair_is_recognised():
    counts = hist()
    # More frequent first, then earlier first (indices stay below 100).
    key = ir.SequenceMap(fn=lambda h, i: h * 100 - i, inputs=(counts, ir.INDICES))
    sets = infer((key,), VOCAB, MAX_LEN)
    assert lexicographic_order(key, sets) == (counts, ir.INDICES, 1, -1)
    # h + i does not order like any pair: (1, 0) and (0, 1) tie.
    tie = ir.SequenceMap(fn=lambda h, i: h + i, inputs=(counts, ir.INDICES))
    assert lexicographic_order(tie, infer((tie,), VOCAB, MAX_LEN)) is None


def test_comparison_of_the_map_becomes_comparison_of_the_pairs():
    counts = hist()
    key = ir.SequenceMap(fn=lambda h, i: h * 100 - i, inputs=(counts, ir.INDICES)).named("order")
    smaller = ir.Select(keys=(key,), queries=(key,), predicate=ir.Compare("<", 0, 0))
    place = ir.SelectorWidth(smaller).named("place")
    after = run(split_lexicographic, place, VOCAB, MAX_LEN).outputs
    (new_place,) = after
    pairs = new_place.selector
    # key < query  <=>  h_k < h_q, or h_k == h_q and i_k > i_q (the index counts negatively).
    assert pairs.keys == (counts, ir.INDICES) and pairs.queries == (counts, ir.INDICES)
    assert pairs.predicate == ir.PredOr(ir.Compare("<", 0, 0),
                                        ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare(">", 1, 1)))
    assert mismatches((place,), after, VOCAB, MAX_LEN) == []


def test_other_conjuncts_go_into_both_sides():
    counts = hist()
    key = ir.SequenceMap(fn=lambda h, i: h * 100 + i, inputs=(counts, ir.INDICES))
    same_token_before = ir.Select(keys=(ir.TOKENS, key), queries=(ir.TOKENS, key),
                                  predicate=ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("<=", 1, 1)))
    width = ir.SelectorWidth(same_token_before)
    after = run(split_lexicographic, width, VOCAB, MAX_LEN).outputs
    pairs = after[0].selector
    assert pairs.keys == (ir.TOKENS, counts, ir.INDICES)
    same = ir.Compare("==", 0, 0)
    # <= on the map: strictly smaller count, or the same count and index <=.
    assert pairs.predicate == ir.PredOr(
        ir.PredAnd(same, ir.Compare("<", 1, 1)),
        ir.PredAnd(ir.PredAnd(same, ir.Compare("==", 1, 1)), ir.Compare("<=", 2, 2)))
    assert mismatches((width,), after, VOCAB, MAX_LEN) == []
