"""maps_into_selects: a selector reads a one-to-one map through its input."""
from __future__ import annotations

from compiler.passes.maps_into_selects import maps_into_selects
from rasp import ir
from tests.compiler.passes.equivalence import mismatches, run

VOCAB = ("a", "b", "c")
MAX_LEN = 5


def next_token(query: ir.SOp) -> ir.Aggregate:
    """The token at the key whose index equals ``query``."""
    select = ir.Select(keys=(ir.INDICES,), queries=(query,), predicate=ir.Compare("==", 0, 0))
    return ir.Aggregate(select, ir.TOKENS, default="a").named("next")


def test_one_to_one_map_is_read_through_its_input():
    following = ir.Map(fn=lambda i: i + 1, inner=ir.INDICES, description="{0} + 1").named("following")
    moved = next_token(following)
    after = run(maps_into_selects, moved, VOCAB, MAX_LEN).outputs
    select = after[0].selector
    # The query slot holds indices, and the comparison applies + 1 to it.
    assert select.keys == (ir.INDICES,) and select.queries == (ir.INDICES,)
    leaf = select.predicate
    assert leaf.op == "==" and leaf.key_map is None and leaf.query_map(3) == 4
    assert leaf.query_text == "{0} + 1"
    assert mismatches((moved,), after, VOCAB, MAX_LEN) == []


def test_map_with_other_readers_is_kept():
    following = ir.Map(fn=lambda i: i + 1, inner=ir.INDICES)
    moved = next_token(following)
    both = ir.SequenceMap(fn=lambda t, f: f"{t}{f}", inputs=(moved, following))
    # The map's value is read by a map as well: its one-hot is written anyway.
    assert run(maps_into_selects, both, VOCAB, MAX_LEN).outputs == (both,)


def test_map_that_merges_values_is_kept():
    # i // 2 sends 0 and 1 to 0: read through, the head's table would have a row
    # per index where the map's one-hot has one per half. Only maps that are
    # one-to-one are read through.
    half = ir.Map(fn=lambda i: i // 2, inner=ir.INDICES)
    moved = next_token(half)
    assert run(maps_into_selects, moved, VOCAB, MAX_LEN).outputs == (moved,)
