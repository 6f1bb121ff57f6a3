"""rebuild and rewrite: a replaced node is read by rebuilt readers; everything
else, and the graph passed in, stays as it was."""
from __future__ import annotations

from compiler.passes.nodes import WidthScratch
from compiler.passes.rewriting import rebuild, rewrite
from rasp import ir


def test_rebuild_keeps_a_node_whose_children_are_unchanged():
    plus = ir.INDICES + 1
    assert rebuild(plus, (ir.INDICES,)) is plus
    other = rebuild(plus, (ir.LENGTH,))
    assert other is not plus and other.inner is ir.LENGTH and other.fn is plus.fn and other.id > plus.id


def test_rebuild_knows_every_node_with_children():
    select = ir.Select(keys=(ir.TOKENS,), queries=(ir.INDICES,), predicate=ir.Compare("==", 0, 0))
    rebuilt = rebuild(select, (ir.INDICES, ir.TOKENS))
    assert rebuilt.keys == (ir.INDICES,) and rebuilt.queries == (ir.TOKENS,) and rebuilt.predicate == select.predicate
    moved = rebuild(ir.Aggregate(select, ir.TOKENS), (rebuilt, ir.INDICES))
    assert moved.selector is rebuilt and moved.sop is ir.INDICES
    scratch = rebuild(WidthScratch(selector=select, counts_length=False), (rebuilt,))
    assert scratch.selector is rebuilt
    pair = rebuild(ir.SequenceMap(fn=lambda a, b: a, inputs=(ir.TOKENS, ir.INDICES)), (ir.INDICES, ir.TOKENS))
    assert pair.inputs == (ir.INDICES, ir.TOKENS)


def test_rewrite_rebuilds_only_what_reads_a_replacement():
    doubled = ir.Map(fn=lambda i: 2 * i, inner=ir.INDICES)
    untouched = ir.Map(fn=lambda t: t + "!", inner=ir.TOKENS)
    both = ir.SequenceMap(fn=lambda d, u: f"{d}{u}", inputs=(doubled, untouched))
    tripled = ir.Map(fn=lambda i: 3 * i, inner=ir.INDICES)

    def visit(node, original):
        return tripled if original is doubled else None

    (after,) = rewrite((both,), visit)
    assert after is not both and after.inputs == (tripled, untouched)
    assert both.inputs == (doubled, untouched)  # the graph passed in is not changed
    assert rewrite((both,), lambda node, original: None) == (both,)
