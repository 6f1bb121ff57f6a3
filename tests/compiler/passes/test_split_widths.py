"""split_widths: a width is a scratch ``1/(w+1)`` and a map decoding it; with
split_disjoint_widths, a width of disjoint parts is the sum of their widths."""
from __future__ import annotations

from compiler.analysis.valuesets import infer
from compiler.constructions.attention import decomposes
from compiler.passes.nodes import WidthDecode, WidthScratch
from compiler.passes.split_widths import disjoint_parts, split_disjoint_widths, split_widths
from rasp import ir
from tests.compiler.passes.equivalence import mismatches, nodes_of, run

VOCAB = ("a", "b", "c")
MAX_LEN = 5


def same_token():
    return ir.Select(keys=(ir.TOKENS,), queries=(ir.TOKENS,), predicate=ir.Compare("==", 0, 0))


def lexicographic():
    """Key (token, index) before query: token < token', or equal tokens and index < index'."""
    return ir.Select(keys=(ir.TOKENS, ir.INDICES), queries=(ir.TOKENS, ir.INDICES),
                     predicate=ir.PredOr(ir.Compare("<", 0, 0),
                                         ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("<", 1, 1))))


def test_width_is_a_scratch_and_its_decoding():
    select = same_token()
    hist = ir.SelectorWidth(select).named("hist")
    after = run(split_widths, hist, VOCAB, MAX_LEN).outputs
    (decode,) = after
    assert isinstance(decode, WidthDecode) and decode.name == "hist"
    scratch = decode.inner
    assert isinstance(scratch, WidthScratch) and scratch.selector is select and scratch.name == "hist_scratch"
    # w = 2 is written as 1/3 and read back as 2.
    assert scratch.value_of_width(2) == 1 / 3 and decode.fn(1 / 3) == 2
    assert mismatches((hist,), after, VOCAB, MAX_LEN) == []


def test_length_is_a_count_of_every_key():
    after = run(split_widths, ir.LENGTH, VOCAB, MAX_LEN).outputs
    (decode,) = after
    scratch = decode.inner
    assert isinstance(scratch, WidthScratch) and scratch.counts_length
    assert scratch.selector.predicate == ir.PredTrue() and scratch.position_value(4, 1) == 1 / 5
    assert mismatches((ir.LENGTH,), after, VOCAB, MAX_LEN) == []


def test_disjoint_parts_of_a_lexicographic_order():
    select = lexicographic()
    sets = infer((ir.SelectorWidth(select),), VOCAB, MAX_LEN)
    # token < token' and token == token' never both hold: two parts, each of
    # which one head computes.
    parts = disjoint_parts(select, sets)
    assert parts == [ir.Compare("<", 0, 0), ir.PredAnd(ir.Compare("==", 0, 0), ir.Compare("<", 1, 1))]
    assert all(decomposes(p) for p in parts)
    # token == token' or index < index' can both hold: no split.
    overlapping = ir.Select(keys=select.keys, queries=select.queries,
                            predicate=ir.PredOr(ir.Compare("==", 0, 0), ir.Compare("<", 1, 1)))
    assert disjoint_parts(overlapping, sets) is None


def test_width_of_disjoint_parts_is_a_sum():
    place = ir.SelectorWidth(lexicographic()).named("place")
    after = run(split_disjoint_widths, place, VOCAB, MAX_LEN).outputs
    (total,) = after
    assert isinstance(total, ir.SequenceMap) and total.name == "place"
    counts = total.inputs
    assert len(counts) == 2 and all(isinstance(c, WidthDecode) for c in counts)
    assert all(c.encoding_hint == ir.Encoding.NUMERICAL for c in counts)
    assert [c.inner.selector.predicate for c in counts] == disjoint_parts(
        lexicographic(), infer((place,), VOCAB, MAX_LEN))
    assert total.fn(1, 2) == 3
    assert mismatches((place,), after, VOCAB, MAX_LEN) == []
    # Without value sets (split_widths), the same width is one scratch over the
    # joint selector.
    plain = run(split_widths, place, VOCAB, MAX_LEN).outputs
    assert len(nodes_of(plain, WidthScratch)) == 1
