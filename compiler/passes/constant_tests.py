"""``constant_tests``: an s-op that selectors only compare with constants is read
through one boolean map per test.

``select(earlier_copies, 0, ==)`` reads ``earlier_copies`` only to ask whether it
is 0: two directions would do where its one-hot has max_len + 1, and its MLP
writes a boolean with a step or two in place of a one-hot decoder.
"""
from __future__ import annotations

from compiler.analysis.operands import child_readers
from compiler.analysis.valuesets import CATEGORICAL, value_key
from compiler.passes.graph import Graph
from compiler.passes.rewriting import rewrite
from compiler.passes.select_slots import Slots, compares_only, constants_to_maps, tidied
from rasp import ir


def _constant_tests(sop_id: int, select: ir.Select) -> set[tuple] | None:
    """The tests of the s-op against constants through which ``select`` reads it
    (side, comparison, constant), or None when it reads it any other way."""
    if not compares_only(select):
        return None
    key_slots = {k for k, sop in enumerate(select.keys) if sop.id == sop_id}
    query_slots = {q for q, sop in enumerate(select.queries) if sop.id == sop_id}
    found: set[tuple] = set()
    other_ways: list[ir.Compare] = []

    def note(leaf: ir.Compare) -> ir.Compare:
        for side, mine, theirs in (("key", leaf.key_slot in key_slots, select.queries[leaf.query_slot]),
                                   ("query", leaf.query_slot in query_slots, select.keys[leaf.key_slot])):
            if not mine:
                continue
            if leaf.plain and isinstance(theirs, ir.Constant):
                found.add((side, leaf.op, value_key(theirs.value)))
            else:
                other_ways.append(leaf)
        return leaf

    ir.map_comparisons(select.predicate, note)
    return None if other_ways else found


def _of_tokens_alone(node: ir.RaspExpr) -> bool:
    """``tokens``, or elementwise maps of it alone (the embedding writes those)."""
    if isinstance(node, ir.Tokens):
        return True
    return isinstance(node, (ir.Map, ir.SequenceMap)) and all(
        isinstance(c, ir.Constant) or _of_tokens_alone(c) for c in node.children)


def constant_tests(graph: Graph) -> Graph:
    """A categorical s-op that selectors only compare with constants is read
    through one boolean map per distinct test, when those are fewer directions
    than its values: ``select(earlier_copies, 0, ==)`` reads ``earlier_copies ==
    0``, two directions in place of max_len + 1, which its MLP writes with a step
    or two in place of a one-hot decoder. The s-op itself is left with no reader
    (a function of the tokens alone: with its other readers, which fold into the
    embedding)."""
    sets, outputs = graph.sets, graph.outputs
    readers = child_readers(outputs)
    kept = {o.id for o in outputs}
    tested: set[int] = set()
    for node in ir.ancestors(outputs):
        found = sets.get(node.id)
        if (not isinstance(node, ir.SOp) or isinstance(node, ir.Constant) or node.id in kept or found is None
                or found.encoding != CATEGORICAL or node.id not in readers):
            continue
        tests = [_constant_tests(node.id, r) if isinstance(r, ir.Select) else None for r in readers[node.id]]
        if any(t is None for t in tests):
            # A function of the tokens alone is left to its other readers (maps of
            # it fold into the embedding), its selects reading a boolean instead.
            selects = [t for r, t in zip(readers[node.id], tests) if isinstance(r, ir.Select)]
            if not (selects and all(t is not None for t in selects) and _of_tokens_alone(node)):
                continue
            tests = selects
        if 0 < 2 * len(set().union(*tests)) < len(found.values):
            tested.add(node.id)
    if not tested:
        return graph
    made: dict[tuple, ir.SOp] = {}

    def visit(node, original):
        if not isinstance(node, ir.Select):
            return None
        chosen = {sop.id for sop, old in zip(node.keys + node.queries, original.keys + original.queries)
                  if old.id in tested}
        if not chosen:
            return None
        slots = Slots(node)
        keys, queries, predicate = tidied(constants_to_maps(node.predicate, slots, made, chosen), slots)
        return ir.Select(keys=keys, queries=queries, predicate=predicate).replacing(node)

    return graph.rewritten(rewrite(outputs, visit))
