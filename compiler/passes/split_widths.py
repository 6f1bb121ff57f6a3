"""Selector widths and lengths as a head writing ``1/(w+1)`` and a map decoding it.

The head alone is the attention step; the decoding is an ordinary map
(``WidthDecode``), so a map that reads the width (``length - indices - 1``, a joint
key) runs in the same MLP as the decoding instead of one layer later. This always
runs: the constructions build a width only in these two parts.

Under the ``fuse_maps`` switch, and before selectors are joined, the width of an
``or`` of selectors that can never both hold (a lexicographic order: ``a < a'``
or ``a == a'`` and ``b < b'``) is the sum of their widths: two heads that each
decompose, and one MLP adding the decoded widths, instead of a head over joint key
and query s-ops (whose one-hots have a direction per combination of values).
"""
from __future__ import annotations

from compiler.analysis.valuesets import ValueSet, conjuncts, keys_bound
from compiler.constructions.attention import decomposes
from compiler.passes.graph import Graph
from compiler.passes.nodes import WidthScratch, width_decode
from compiler.passes.rewriting import rewrite
from rasp import ir


def split_widths(graph: Graph) -> Graph:
    """Every ``selector_width`` and ``length`` left as one scratch and its decoding."""
    return graph.rewritten(_split(graph.outputs, None, 0))


def split_disjoint_widths(graph: Graph) -> Graph:
    """As ``split_widths``, with the width of an ``or`` of disjoint parts that each
    decompose written as the sum of the parts' widths."""
    return graph.rewritten(_split(graph.outputs, graph.sets, graph.max_len))


def _split(outputs: tuple[ir.SOp, ...], sets: dict[int, ValueSet] | None, max_len: int) -> tuple[ir.SOp, ...]:
    def visit(node, original):
        if isinstance(node, ir.SelectorWidth):
            parts = disjoint_parts(original.selector, sets) if sets is not None else None
            if parts is not None and len(parts) > 1:
                selects = [ir.Select(keys=node.selector.keys, queries=node.selector.queries, predicate=p)
                           for p in parts]
                most = keys_bound(original.selector, sets, max_len)
                return _width_sum(selects, most).replacing(node)
            scratch = WidthScratch(selector=node.selector)
        elif isinstance(node, ir.Length):
            scratch = WidthScratch(selector=ir.Select(predicate=ir.PredTrue()), counts_length=True)
        else:
            return None
        scratch.name = f"{node.label}_scratch"
        scratch.location = node.location
        return width_decode(scratch).replacing(node)

    return rewrite(outputs, visit)


def _width_sum(parts: list[ir.Select], most: int) -> ir.SOp:
    """The sum of the parts' widths, each decoded from its own scratch (``fuse_maps``
    inlines the decodings where the scratches can be read together exactly). The
    parts are disjoint, so the sum is at most ``most``, the bound on their union."""
    decodes = []
    for k, part in enumerate(parts):
        scratch = WidthScratch(selector=part)
        scratch.name = f"width_part{k}_{part.id}"
        decode = width_decode(scratch)
        decode.name = f"width_part{k}_{part.id}_count"
        decode.encoding_hint = ir.Encoding.NUMERICAL
        decodes.append(decode)

    def total(*counts):
        count = sum(counts)
        if count > most:  # disjoint parts never select more than their union can
            raise ValueError("more keys than the selector can select")
        return count

    text = " + ".join(f"{{{k}}}" for k in range(len(parts)))
    return ir.SequenceMap(fn=total, inputs=tuple(decodes), description=text)


def disjoint_parts(select: ir.Selector, sets: dict[int, ValueSet], limit: int = 3) -> list | None:
    """The selector's predicate as an ``or`` of pairwise disjoint predicates that
    each decompose, or None."""
    if not isinstance(select, ir.Select):
        return None
    predicate = select.predicate
    if decomposes(predicate):
        return [predicate]
    if not isinstance(predicate, ir.PredOr) or not _never_both(predicate.left, predicate.right, select, sets):
        return None
    left = disjoint_parts(ir.Select(keys=select.keys, queries=select.queries, predicate=predicate.left), sets)
    right = disjoint_parts(ir.Select(keys=select.keys, queries=select.queries, predicate=predicate.right), sets)
    if left is None or right is None or len(left) + len(right) > limit:
        return None
    return left + right


def _pair_parts(predicate) -> dict[tuple[int, int], list] | None:
    """A conjunction's parts by the (key slot, query slot) pair each reads."""
    found: dict[tuple[int, int], list] = {}
    for part in conjuncts(predicate):
        inner = part.inner if isinstance(part, ir.PredNot) else part
        if not isinstance(inner, ir.Compare):
            return None
        found.setdefault((inner.key_slot, inner.query_slot), []).append(part)
    return found


def _never_both(left, right, select: ir.Select, sets: dict[int, ValueSet]) -> bool:
    """Sufficient test that two conjunctions exclude each other: on some slot pair
    their parts together hold for no pair of values."""
    a, b = _pair_parts(left), _pair_parts(right)
    if a is None or b is None:
        return False
    for pair in set(a) & set(b):
        key_slot, query_slot = pair
        parts = a[pair] + b[pair]
        keys = sets[select.keys[key_slot].id].values
        queries = sets[select.queries[query_slot].id].values
        n_keys, n_queries = len(select.keys), len(select.queries)
        satisfiable = False
        for k in keys:
            key = tuple(k if s == key_slot else None for s in range(n_keys))
            for q in queries:
                query = tuple(q if s == query_slot else None for s in range(n_queries))
                try:
                    if all(part(key, query) for part in parts):
                        satisfiable = True
                        break
                except TypeError:
                    continue
            if satisfiable:
                break
        if not satisfiable:
            return True
    return False
