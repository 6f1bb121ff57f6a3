"""``compact_numerical``: a categorical s-op of numbers that is only ever averaged
lives in one numerical direction.

An s-op is categorical by default (one direction per value), because a one-hot
can be looked up exactly by an MLP and compared by a head. An s-op that only
aggregates read, and read as the averaged value of a numerical mean, needs
neither: the mean reads it linearly either way, so one direction holding the
number does, and the residual is narrower by all its other values.
"""
from __future__ import annotations

import dataclasses

from compiler.analysis.operands import operand_readers, operands
from compiler.analysis.valuesets import CATEGORICAL, NUMERICAL
from compiler.passes.graph import Graph
from compiler.passes.rewriting import rewrite
from rasp import ir


def compact_numerical(graph: Graph) -> Graph:
    """A categorical s-op of numbers that is only ever averaged (the source of
    numerical aggregates) lives in one numerical direction instead of one per
    value: the mean reads it linearly either way."""
    sets, embedded = graph.sets, graph.embedded
    readers = operand_readers(graph.outputs)
    keep = {o.id for o in graph.outputs}
    new_embedded = set(embedded)

    def only_averaged(node: ir.SOp) -> bool:
        found = readers.get(node.id, [])
        return bool(found) and all(
            isinstance(r, ir.Aggregate) and r.sop is node and sets[r.id].encoding == NUMERICAL
            and sum(s is node for s in operands(r)) == 1 for r in found)

    def visit(node, original):
        value_set = sets.get(original.id)
        if (original.id in keep or original.encoding_hint is not None or value_set is None
                or value_set.encoding != CATEGORICAL or not value_set.is_numeric
                or isinstance(original, (ir.Tokens, ir.Indices)) or not only_averaged(original)):
            return None
        copy = dataclasses.replace(node) if node is original else node
        copy.encoding_hint = ir.Encoding.NUMERICAL
        if original.id in embedded:
            new_embedded.add(copy.id)
        return copy

    return graph.rewritten(rewrite(graph.outputs, visit), new_embedded)
