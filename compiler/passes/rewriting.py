"""Rebuilding a graph around the nodes a pass replaces.

Nodes are never mutated once built: inference caches value sets by node id, and a
staged program may be compiled again with other options. So a pass does not edit
a node; it returns a replacement, and every node downstream of a replacement is
rebuilt to read it (``rewrite``). A node whose children are all unchanged is kept
as it is, so a pass that changes nothing returns the very same graph.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from compiler.passes.nodes import WidthScratch
from rasp import ir

#: ``visit(node_with_new_children, original)``: a replacement node, or None to keep it.
Visit = Callable[[ir.RaspExpr, ir.RaspExpr], "ir.RaspExpr | None"]


def rebuild(node: ir.RaspExpr, children: tuple[ir.RaspExpr, ...]) -> ir.RaspExpr:
    """A copy of ``node`` reading ``children`` (same order as ``node.children``);
    ``node`` itself when they are its children already."""
    if tuple(c.id for c in children) == tuple(c.id for c in node.children):
        return node
    if isinstance(node, ir.Map):
        return dataclasses.replace(node, inner=children[0])
    if isinstance(node, ir.SequenceMap):
        return dataclasses.replace(node, inputs=tuple(children))
    if isinstance(node, ir.Select):
        n_keys = len(node.keys)
        return dataclasses.replace(node, keys=tuple(children[:n_keys]), queries=tuple(children[n_keys:]))
    if isinstance(node, ir.Aggregate):
        return dataclasses.replace(node, selector=children[0], sop=children[1])
    if isinstance(node, (ir.SelectorWidth, WidthScratch)):
        return dataclasses.replace(node, selector=children[0])
    return node


def rewrite(outputs: tuple[ir.SOp, ...], visit: Visit) -> tuple[ir.SOp, ...]:
    """Rebuild the graph bottom-up: ``visit(node_with_new_children, original)`` may
    return a replacement (or None to keep it)."""
    done: dict[int, ir.RaspExpr] = {}
    for node in ir.ancestors(outputs):
        current = rebuild(node, tuple(done[c.id] for c in node.children))
        replacement = visit(current, node)
        done[node.id] = replacement if replacement is not None else current
    return tuple(done[o.id] for o in outputs)
