"""fuse_maps: chains of maps become one MLP, within a budget of operand
combinations, and widths are read together only where that is exact."""
from __future__ import annotations

from compiler.analysis.valuesets import CATEGORICAL, NUMERICAL, ValueSet
from compiler.passes.fuse_maps import fuse_maps, fused_cost, positions_reached
from compiler.passes.nodes import WidthDecode, WidthScratch, width_decode
from rasp import ir
from tests.compiler.passes.equivalence import mismatches, run

VOCAB = ("a", "b", "c")
MAX_LEN = 5


def width(keys=ir.TOKENS, op="==", name="w") -> WidthDecode:
    """A selector width as split_widths leaves it: a scratch and its decoding."""
    select = ir.Select(keys=(keys,), queries=(keys,), predicate=ir.Compare(op, 0, 0))
    scratch = WidthScratch(selector=select)
    scratch.name = f"{name}_scratch"
    return width_decode(scratch).named(name)


def test_chain_over_a_width_is_one_map_of_the_scratch():
    hist = width()
    chain = ir.Map(fn=lambda x: x + 1, inner=ir.Map(fn=lambda x: x * 3, inner=hist)).named("chain")
    after = run(fuse_maps, chain, VOCAB, MAX_LEN).outputs
    (fused,) = after
    # Decoding and both maps in one: scratch 1/3 (w = 2) -> 2 * 3 + 1.
    assert isinstance(fused, ir.Map) and fused.inner is hist.inner and fused.name == "chain"
    assert fused.fn(1 / 3) == 7
    assert mismatches((chain,), after, VOCAB, MAX_LEN) == []


def test_embedded_operands_are_not_inlined():
    shifted = ir.Map(fn=lambda t: t * 2, inner=ir.TOKENS)
    reader = ir.SequenceMap(fn=lambda s, w: f"{s}{w}", inputs=(shifted, width()))
    graph = run(fuse_maps, reader, VOCAB, MAX_LEN, embedded={shifted.id})
    (fused,) = graph.outputs
    # The decoding is inlined; the embedded map stays an operand (it costs nothing).
    assert fused.inputs[0] is shifted and isinstance(fused.inputs[1], WidthScratch)
    assert mismatches((reader,), graph.outputs, VOCAB, MAX_LEN) == []


def test_sum_of_widths_is_one_numerical_direction():
    opened, closed = width(name="opened"), width(ir.INDICES, "<", "closed")
    depth = ir.SequenceMap(fn=lambda a, b: a - b, inputs=(opened, closed)).named("depth")
    after = run(fuse_maps, depth, VOCAB, MAX_LEN).outputs
    (fused,) = after
    assert fused.inputs == (opened.inner, closed.inner)
    assert fused.encoding_hint == ir.Encoding.NUMERICAL
    # Scratches 1/4 (w = 3) and 1/2 (w = 1): 3 - 1.
    assert fused.fn(1 / 4, 1 / 2) == 2
    assert mismatches((depth,), after, VOCAB, MAX_LEN) == []


def test_widths_mixed_with_other_operands_are_decoded_first():
    # A map of two widths and tokens cannot read the scratches together exactly:
    # each width is decoded into one numerical direction, and the map reads those.
    first, second = width(name="first"), width(ir.INDICES, "<", "second")
    mixed = ir.SequenceMap(fn=lambda a, b, t: a * b if t == "a" else a, inputs=(first, second, ir.TOKENS))
    after = run(fuse_maps, mixed, VOCAB, MAX_LEN).outputs
    (fused,) = after
    one, two, token = fused.inputs
    assert token is ir.TOKENS
    for twin, decode in ((one, first), (two, second)):
        assert isinstance(twin, WidthDecode) and twin is not decode and twin.inner is decode.inner
        assert twin.encoding_hint == ir.Encoding.NUMERICAL and twin.name == f"{decode.name}_number"
    assert mismatches((mixed,), after, VOCAB, MAX_LEN) == []


def test_cost_of_a_fused_map():
    three = ValueSet(("a", "b", "c"), CATEGORICAL)
    ten = ValueSet(tuple(range(10)), NUMERICAL)
    # One numerical operand is read along its axis: it counts 4, not 10.
    assert fused_cost([three, ten]) == 12
    # Two numerical operands: every combination.
    assert fused_cost([three, ten, ten]) == 300
    # Index and length take 6 pairs together up to length 3 ((1,0), (2,0), (2,1), ...),
    # not 3 * 3.
    assert positions_reached([lambda n, i: i, lambda n, i: n], 3) == 6
    assert positions_reached([lambda n, i: i % 2], 5) == 2
