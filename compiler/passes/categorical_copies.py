"""Numerical s-ops that selectors read get a categorical copy.

A head compares keys with queries through tables over one-hot values, so every
key and query must be categorical. A numerical s-op (a mean, a compacted number)
that a selector reads is copied by a numerical -> categorical map (one MLP),
and the selector reads the copy. This always runs: the attention construction
needs it. It runs before embeddings are folded and maps fused, so that those
passes treat the copies like any other map.
"""
from __future__ import annotations

import dataclasses

from compiler.analysis.valuesets import NUMERICAL, ValueSet
from compiler.passes.graph import Graph
from compiler.passes.rewriting import rewrite
from rasp import ir


def categorical_readers(roots, sets: dict[int, ValueSet]) -> set[int]:
    """Ids of numerical s-ops that some reader needs one-hot: select keys and queries."""
    if isinstance(roots, ir.RaspExpr):
        roots = (roots,)
    needed: set[int] = set()
    for node in ir.ancestors(tuple(roots)):
        if isinstance(node, ir.Select):
            for sop in tuple(node.keys) + tuple(node.queries):
                if sets[sop.id].encoding == NUMERICAL:
                    needed.add(sop.id)
    return needed


def categorical_copies(graph: Graph) -> Graph:
    """Selectors read one-hot keys and queries: give each numerical operand a
    categorical copy (a numerical -> categorical map MLP), one per operand however
    many selectors read it."""
    needed = categorical_readers(graph.outputs, graph.sets)
    copies: dict[int, ir.SOp] = {}

    def copy_of(sop: ir.SOp) -> ir.SOp:
        if sop.id not in copies:
            node = ir.Map(fn=lambda x: x, inner=sop, description="{0}")
            node.name = f"{sop.label}_onehot"
            node.encoding_hint = ir.Encoding.CATEGORICAL
            copies[sop.id] = node
        return copies[sop.id]

    def visit(node, original):
        if not isinstance(node, ir.Select) or not any(s.id in needed for s in original.children):
            return None
        n_keys = len(node.keys)
        flags = [s.id in needed for s in original.children]
        children = tuple(copy_of(c) if flag else c for c, flag in zip(node.children, flags))
        return dataclasses.replace(node, keys=children[:n_keys], queries=children[n_keys:]).replacing(node)

    return graph.rewritten(rewrite(graph.outputs, visit))
