"""``maps_into_selects``: a selector reads a one-to-one map through its input.

``select(depth, depth + 1, ==)`` needs the one-hot of ``depth + 1``: an MLP to
write it and residual directions to hold it, and a layer to wait for it. When
selectors are the map's only readers and the map is one-to-one on its
categorical input, the comparison can apply the map itself (``k == q + 1`` over
``depth``): the head's table has as many rows, since no value is lost.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from compiler.analysis.operands import child_readers
from compiler.analysis.valuesets import CATEGORICAL, ValueSet, value_key
from compiler.passes.graph import Graph
from compiler.passes.rewriting import rewrite
from compiler.passes.select_slots import compares_only
from rasp import ir


def _one_to_one(node: ir.Map, sets: dict[int, ValueSet]) -> bool:
    """The map gives a different value for each value its categorical input takes."""
    found = sets.get(node.inner.id)
    if found is None or found.encoding != CATEGORICAL or sets[node.id].encoding != CATEGORICAL:
        return False
    try:
        results = {value_key(node.fn(value)) for value in found.values}
    except Exception:
        return False
    return len(results) == len(found.values)


def _through(leaf: ir.Compare, key_slots: dict[int, ir.Map], query_slots: dict[int, ir.Map]) -> ir.Compare:
    """``leaf`` reading the inputs of the maps that stood in its slots."""
    key_map, key_text = leaf.key_map, leaf.key_text
    query_map, query_text = leaf.query_map, leaf.query_text
    if leaf.key_slot in key_slots:
        key_map, key_text = _composed(key_slots[leaf.key_slot], key_map, key_text)
    if leaf.query_slot in query_slots:
        query_map, query_text = _composed(query_slots[leaf.query_slot], query_map, query_text)
    return dataclasses.replace(leaf, key_map=key_map, query_map=query_map, key_text=key_text,
                               query_text=query_text)


def _composed(node: ir.Map, outer: Callable | None, outer_text: str) -> tuple[Callable, str]:
    """``outer`` after the map (``outer`` None: the map alone), and its text."""
    fn = node.fn
    text = outer_text.format(node.description)
    if outer is None:
        return fn, text
    return (lambda value: outer(fn(value))), text


def maps_into_selects(graph: Graph) -> Graph:
    """A selector reads a map's input in place of the map, when selectors are the
    map's only readers and the map is one-to-one on its categorical input:
    ``select(depth, depth + 1, ==)`` becomes a comparison ``k == q + 1`` over
    ``depth`` itself. The head's table has as many rows (no value is lost), and no
    MLP has to write the map's one-hot, nor any layer wait for it."""
    sets, outputs = graph.sets, graph.outputs
    readers = child_readers(outputs)
    kept = {o.id for o in outputs}
    foldable = {node.id for node in ir.ancestors(outputs)
                if type(node) is ir.Map and node.id not in kept and node.id in sets and node.inner.id in sets
                and all(isinstance(r, ir.Select) and compares_only(r) for r in readers.get(node.id, ()))
                and _one_to_one(node, sets)}
    if not foldable:
        return graph

    def visit(node, original):
        if not isinstance(node, ir.Select) or not compares_only(node):
            return None
        key_slots = {k: sop for k, (sop, old) in enumerate(zip(node.keys, original.keys)) if old.id in foldable}
        query_slots = {q: sop for q, (sop, old) in enumerate(zip(node.queries, original.queries))
                       if old.id in foldable}
        if not key_slots and not query_slots:
            return None
        keys = tuple(key_slots[k].inner if k in key_slots else sop for k, sop in enumerate(node.keys))
        queries = tuple(query_slots[q].inner if q in query_slots else sop for q, sop in enumerate(node.queries))
        predicate = ir.map_comparisons(node.predicate, lambda leaf: _through(leaf, key_slots, query_slots))
        return ir.Select(keys=keys, queries=queries, predicate=predicate).replacing(node)

    return graph.rewritten(rewrite(outputs, visit))
