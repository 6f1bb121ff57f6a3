"""``simplify_selects``: smaller joint spaces for selectors one head cannot compute slot by slot.

Such a selector reads one joint key s-op and one joint query s-op (tuples of its
slots' values), whose one-hots have a direction per combination of values. Three
equivalences shrink those combinations without changing what is selected:

* A comparison with a constant is a test of one side alone: ``indices == 0`` on
  the key side becomes a boolean key map (two values, not max_len) compared with
  ``True``.
* A part of the predicate that tests one side alone (``rcp == 2 or rcp == 6``
  with constants on the query side) is one boolean map of that side: one slot.
* An equality with a slot already pinned to a constant in the same conjunction
  (``indices == 0 and indices == query indices``) is an equality with that
  constant (``query indices == 0``): the key side no longer needs ``indices``.

Slots holding the same s-op (or equal constants) are merged, so a tuple never
repeats a component.
"""
from __future__ import annotations

from compiler.constructions.attention import decomposes
from compiler.passes.graph import Graph
from compiler.passes.rewriting import rewrite
from compiler.passes.select_slots import Slots, constants_to_maps, shown, tidied
from rasp import ir


def _substitute_pinned(predicate: ir.Predicate, slots: Slots) -> ir.Predicate:
    """In every conjunction, ``k == q`` where k (or q) is pinned to a constant c
    by another conjunct becomes ``c == q`` (or ``k == c``)."""
    if isinstance(predicate, ir.PredOr):
        return ir.PredOr(_substitute_pinned(predicate.left, slots), _substitute_pinned(predicate.right, slots))
    if isinstance(predicate, ir.PredNot):
        return ir.PredNot(_substitute_pinned(predicate.inner, slots))
    if not isinstance(predicate, ir.PredAnd):
        return predicate
    parts = [_substitute_pinned(p, slots) if not isinstance(p, ir.Compare) else p
             for p in ir.split_predicate(predicate, ir.PredAnd)]
    pinned_keys: dict[int, ir.Constant] = {}
    pinned_queries: dict[int, ir.Constant] = {}
    for part in parts:
        if isinstance(part, ir.Compare) and part.op == "==" and part.plain:
            key, query = slots.keys[part.key_slot], slots.queries[part.query_slot]
            if isinstance(query, ir.Constant) and not isinstance(key, ir.Constant):
                pinned_keys.setdefault(key.id, query)
            elif isinstance(key, ir.Constant) and not isinstance(query, ir.Constant):
                pinned_queries.setdefault(query.id, key)
    changed = []
    for part in parts:
        if isinstance(part, ir.Compare) and part.op == "==" and part.plain:
            key, query = slots.keys[part.key_slot], slots.queries[part.query_slot]
            if not isinstance(key, ir.Constant) and not isinstance(query, ir.Constant):
                if key.id in pinned_keys:
                    constant = ir.Constant(value=pinned_keys[key.id].value)
                    part = ir.Compare("==", slots.add_key(constant), part.query_slot)
                elif query.id in pinned_queries:
                    constant = ir.Constant(value=pinned_queries[query.id].value)
                    part = ir.Compare("==", part.key_slot, slots.add_query(constant))
        changed.append(part)
    return ir.join_predicates(changed, ir.PredAnd)


def _one_sided(predicate: ir.Predicate, slots: Slots) -> ir.Predicate:
    """Every largest part of the predicate that tests one side alone (its other
    side reads only constants), other than a lone comparison (left to
    ``_constants_to_maps``), becomes one boolean map of that side's s-ops: ``rcp == 2 or rcp == 6`` on the key side is
    the key test ``rcp in {2, 6}``, one slot where there were two."""
    if isinstance(predicate, ir.Compare) or isinstance(predicate, ir.PredTrue):
        return predicate
    key_slots, query_slots = ir.slots_read(predicate)
    constant_queries = all(isinstance(slots.queries[q], ir.Constant) for q in query_slots)
    constant_keys = all(isinstance(slots.keys[k], ir.Constant) for k in key_slots)
    if constant_queries and not constant_keys:
        return _side_test(predicate, slots, "key", sorted(key_slots), sorted(query_slots))
    if constant_keys and not constant_queries:
        return _side_test(predicate, slots, "query", sorted(query_slots), sorted(key_slots))
    if isinstance(predicate, ir.PredAnd):
        return ir.PredAnd(_one_sided(predicate.left, slots), _one_sided(predicate.right, slots))
    if isinstance(predicate, ir.PredOr):
        return ir.PredOr(_one_sided(predicate.left, slots), _one_sided(predicate.right, slots))
    if isinstance(predicate, ir.PredNot):
        return ir.PredNot(_one_sided(predicate.inner, slots))
    return predicate


def _side_test(predicate: ir.Predicate, slots: Slots, side: str, tested: list[int],
               fixed: list[int]) -> ir.Predicate:
    """``predicate`` as a boolean map of the ``side`` s-ops in ``tested`` (the
    other side's slots in ``fixed`` hold constants), compared with ``True``."""
    own = slots.keys if side == "key" else slots.queries
    other = slots.queries if side == "key" else slots.keys
    n_own, n_other = len(own), len(other)
    constants = {k: other[k].value for k in fixed}
    operands = tuple(own[k] for k in tested)
    plain = [k for k in tested if not isinstance(own[k], ir.Constant)]
    inputs = tuple(own[k] for k in plain)

    def test(*values):
        mine = [None] * n_own
        for k, v in zip(plain, values):
            mine[k] = v
        for k in tested:
            if isinstance(own[k], ir.Constant):
                mine[k] = own[k].value
        theirs = tuple(constants.get(k) for k in range(n_other))
        if side == "key":
            return bool(predicate(tuple(mine), theirs))
        return bool(predicate(theirs, tuple(mine)))

    names = [s.label for s in operands]
    text = predicate.describe(*(
        (tuple(f"{{{plain.index(k)}}}" if k in plain else "c" for k in range(n_own)),
         tuple(shown(constants.get(k)) for k in range(n_other)))
        if side == "key" else
        (tuple(shown(constants.get(k)) for k in range(n_other)),
         tuple(f"{{{plain.index(k)}}}" if k in plain else "c" for k in range(n_own)))))
    if len(inputs) == 1:
        node: ir.SOp = ir.Map(fn=test, inner=inputs[0], description=text)
    else:
        node = ir.SequenceMap(fn=test, inputs=inputs, description=text)
    node.name = f"{'_'.join(names)}_test"
    true = ir.Constant(value=True)
    if side == "key":
        return ir.Compare("==", slots.add_key(node), slots.add_query(true))
    return ir.Compare("==", slots.add_key(true), slots.add_query(node))


def simplify_select(select: ir.Select) -> ir.Select | None:
    """The selector with pinned equalities substituted, constant comparisons moved
    into side maps and repeated slots merged; None when nothing changed."""
    slots = Slots(select)
    predicate = _substitute_pinned(select.predicate, slots)
    predicate = _one_sided(predicate, slots)
    predicate = constants_to_maps(predicate, slots)
    new_keys, new_queries, predicate = tidied(predicate, slots)
    if (predicate == select.predicate and tuple(k.id for k in new_keys) == tuple(k.id for k in select.keys)
            and tuple(q.id for q in new_queries) == tuple(q.id for q in select.queries)):
        return None
    return ir.Select(keys=new_keys, queries=new_queries, predicate=predicate)


def simplify_selects(graph: Graph) -> Graph:
    """``simplify_select`` on every selector that would need joint s-ops (one that
    decomposes slot by slot is cheap as it is)."""
    def visit(node, original):
        if not isinstance(node, ir.Select) or decomposes(node.predicate):
            return None
        simpler = simplify_select(node)
        if simpler is None:
            return None
        return simpler.replacing(node)

    return graph.rewritten(rewrite(graph.outputs, visit))
