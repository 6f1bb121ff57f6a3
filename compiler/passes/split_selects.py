"""Selectors one head cannot compute slot by slot read joint s-ops.

A head scores a key against a query with a sum of per-slot tables, so it computes
a predicate only when that predicate decomposes slot by slot (a conjunction of
comparisons, each of one key slot and one query slot). Any other predicate (an
``or`` across slots) is made to read one joint key s-op and one joint query s-op,
the tuples of its slots' values, over which any predicate is a single table.
This always runs: the attention construction needs it.
"""
from __future__ import annotations

from compiler.constructions.attention import decomposes
from compiler.passes.graph import Graph
from compiler.passes.nodes import JointPredicate
from compiler.passes.rewriting import rewrite
from rasp import ir


def joint_sop(sops: tuple[ir.SOp, ...]) -> ir.SOp:
    """The tuple of ``sops``' values at each position, one direction per tuple."""
    names = ", ".join(s.label for s in sops)
    node = ir.SequenceMap(fn=lambda *xs: tuple(xs), inputs=sops,
                          description="(" + ", ".join("{%d}" % k for k in range(len(sops))) + ")")
    node.name = f"({names})"
    node.encoding_hint = ir.Encoding.CATEGORICAL
    return node


def split_selects(graph: Graph) -> Graph:
    """Give every selector that one head cannot compute slot by slot a single joint
    key s-op and a single joint query s-op. Keys and queries that are the same
    s-ops (a sort's ``(keys, indices)``) share one joint s-op."""
    made: dict[tuple[int, ...], ir.SOp] = {}

    def joint(sops: tuple[ir.SOp, ...]) -> ir.SOp:
        ids = tuple(s.id for s in sops)
        if ids not in made:
            made[ids] = joint_sop(sops)
        return made[ids]

    def visit(node, original):
        if not isinstance(node, ir.Select) or decomposes(node.predicate):
            return None
        join_keys, join_queries = len(node.keys) > 1, len(node.queries) > 1
        if not (join_keys or join_queries):
            return None
        keys = (joint(node.keys),) if join_keys else node.keys
        queries = (joint(node.queries),) if join_queries else node.queries
        predicate = JointPredicate(node.predicate, join_keys, join_queries, node)
        return ir.Select(keys=keys, queries=queries, predicate=predicate).replacing(node)

    return graph.rewritten(rewrite(graph.outputs, visit))
