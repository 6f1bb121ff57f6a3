"""``split_lexicographic``: compare the pairs a map orders like, not the map.

Programs sort by a key built to order like a pair (``hist * 1000 - indices``:
more frequent first, then earlier first). A comparison ``p < p'`` of such a map
needs one-hots of ``p``, a direction per pair of operand values and a full-rank
table. The same comparison of the pairs, ``a < a' or (a == a' and b < b')``, has
two disjoint parts, so a width splits into two heads whose tables read ``a`` and
``b`` alone (``split_disjoint_widths``), their widths adding.
"""
from __future__ import annotations

from compiler.analysis.valuesets import ValueSet, conjuncts
from compiler.passes.graph import Graph
from compiler.passes.rewriting import rewrite
from rasp import ir

_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


def lexicographic_order(node: ir.SOp, sets: dict[int, ValueSet]) -> tuple[ir.SOp, ir.SOp, int, int] | None:
    """``(a, b, da, db)`` when ``node`` is a two-operand map whose values order
    like the pairs ``(da * a, db * b)`` lexicographically, strictly (``hist * 1000 -
    indices``: more frequent first, then earlier first), checked on every pair of
    operand values; else None."""
    if not isinstance(node, ir.SequenceMap) or len(node.inputs) != 2:
        return None
    a, b = node.inputs
    if a is b or any(isinstance(s, ir.Constant) for s in (a, b)):
        return None
    first, second = sets[a.id].values, sets[b.id].values
    if not (sets[a.id].is_numeric and sets[b.id].is_numeric) or len(first) * len(second) > 200_000:
        return None
    try:
        table = {(x, y): node.fn(x, y) for x in first for y in second}
    except Exception:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in table.values()):
        return None
    for da, db in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        order = sorted(table, key=lambda pair: (da * pair[0], db * pair[1]))
        values = [table[pair] for pair in order]
        if all(u < v for u, v in zip(values, values[1:])):
            return a, b, da, db
    return None


def split_lexicographic(graph: Graph) -> Graph:
    """A comparison ``p OP p`` (OP one of < > <= >=) of a map ``p`` that orders
    like the pairs of its two operands becomes the comparison of the pairs:
    ``a OP a' or (a == a' and b OP' b')``, with ``and``-ed parts of the selector
    distributed into both sides."""
    sets = graph.sets

    def visit(node, original):
        if not isinstance(node, ir.Select) or not isinstance(node.predicate, (ir.Compare, ir.PredAnd)):
            return None
        leaves = conjuncts(node.predicate)
        if not all(isinstance(leaf, ir.Compare) for leaf in leaves):
            return None
        for position, leaf in enumerate(leaves):
            key, query = node.keys[leaf.key_slot], node.queries[leaf.query_slot]
            if leaf.op not in _FLIP or key is not query or not leaf.plain:
                continue
            found = lexicographic_order(original.keys[leaf.key_slot], sets)
            if found is None:
                continue
            a, b, da, db = found
            inner = key.children  # the rebuilt operands of the map
            keys = node.keys + tuple(inner)
            queries = node.queries + tuple(inner)
            ka, kb, qa, qb = len(node.keys), len(node.keys) + 1, len(node.queries), len(node.queries) + 1
            strict = leaf.op.rstrip("=")
            op_a = strict if da > 0 else _FLIP[strict]
            op_b = leaf.op if db > 0 else _FLIP[leaf.op]
            rest = [other for k, other in enumerate(leaves) if k != position]
            first = [ir.Compare(op_a, ka, qa)]
            second = [ir.Compare("==", ka, qa), ir.Compare(op_b, kb, qb)]
            predicate = ir.PredOr(ir.join_predicates(rest + first, ir.PredAnd),
                                  ir.join_predicates(rest + second, ir.PredAnd))
            keys, queries, predicate = _used_slots(keys, queries, predicate)
            return ir.Select(keys=keys, queries=queries, predicate=predicate).replacing(node)
        return None

    return graph.rewritten(rewrite(graph.outputs, visit))


def _used_slots(keys: tuple, queries: tuple, predicate) -> tuple[tuple, tuple, ir.Predicate]:
    """Drop the key and query slots the predicate no longer reads, renumbering."""
    read_keys, read_queries = ir.slots_read(predicate)
    used_keys, used_queries = sorted(read_keys), sorted(read_queries)
    key_map = {old: new for new, old in enumerate(used_keys)}
    query_map = {old: new for new, old in enumerate(used_queries)}

    def renumber(leaf):
        return leaf.moved(key_map[leaf.key_slot], query_map[leaf.query_slot])

    return (tuple(keys[k] for k in used_keys), tuple(queries[q] for q in used_queries),
            ir.map_comparisons(predicate, renumber))
