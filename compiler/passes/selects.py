"""Smaller joint spaces for selectors that one head cannot compute slot by slot.

Such a selector reads one joint key s-op and one joint query s-op (tuples of its
slots' values), whose one-hots have a direction per combination of values. Two
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

import dataclasses
from typing import Callable

from rasp import ir
from compiler.analysis.valuesets import CATEGORICAL, ValueSet, value_key


def _shown(value) -> str:
    """A constant as it appears in a map's description (a format string)."""
    return repr(value).replace("{", "{{").replace("}", "}}")


class _Slots:
    """The key and query slots of a selector being rewritten (appending only)."""

    def __init__(self, select: ir.Select):
        self.keys = list(select.keys)
        self.queries = list(select.queries)

    def add_key(self, sop: ir.SOp) -> int:
        self.keys.append(sop)
        return len(self.keys) - 1

    def add_query(self, sop: ir.SOp) -> int:
        self.queries.append(sop)
        return len(self.queries) - 1


def _substitute_pinned(predicate: ir.Predicate, slots: _Slots) -> ir.Predicate:
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


def _one_sided(predicate: ir.Predicate, slots: _Slots) -> ir.Predicate:
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


def _side_test(predicate: ir.Predicate, slots: _Slots, side: str, tested: list[int],
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
         tuple(_shown(constants.get(k)) for k in range(n_other)))
        if side == "key" else
        (tuple(_shown(constants.get(k)) for k in range(n_other)),
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


def _constants_to_maps(predicate: ir.Predicate, slots: _Slots, made: dict[tuple, ir.SOp] | None = None,
                       only: set[int] | None = None) -> ir.Predicate:
    """A comparison of an s-op with a constant becomes a boolean map of the s-op
    compared with ``True``: of every s-op, or of those whose ids are in ``only``.
    ``made`` holds the maps already built (one node per test, across selectors)."""
    made = {} if made is None else made

    def side_map(sop: ir.SOp, test, text: str, key: tuple) -> ir.SOp:
        if key not in made:
            node = ir.Map(fn=test, inner=sop, description=text)
            node.name = f"{sop.label}_test"
            made[key] = node
        return made[key]

    def change(leaf: ir.Compare) -> ir.Predicate:
        key, query = slots.keys[leaf.key_slot], slots.queries[leaf.query_slot]
        if not leaf.plain or (only is not None and not ({key.id, query.id} & only)):
            return leaf
        compare = ir.COMPARISONS[leaf.op]
        if isinstance(query, ir.Constant) and not isinstance(key, ir.Constant):
            c = query.value
            test = side_map(key, lambda k, c=c: bool(compare(k, c)), f"{{0}} {leaf.op} {_shown(c)}",
                            ("key", key.id, leaf.op, value_key(c)))
            return ir.Compare("==", slots.add_key(test), slots.add_query(ir.Constant(value=True)))
        if isinstance(key, ir.Constant) and not isinstance(query, ir.Constant):
            c = key.value
            test = side_map(query, lambda q, c=c: bool(compare(c, q)), f"{_shown(c)} {leaf.op} {{0}}",
                            ("query", query.id, leaf.op, value_key(c)))
            return ir.Compare("==", slots.add_key(ir.Constant(value=True)), slots.add_query(test))
        return leaf

    return ir.map_comparisons(predicate, change)


def _merged(sops: list[ir.SOp]) -> tuple[list[ir.SOp], dict[int, int]]:
    """Distinct slots (one per s-op, one per constant value) and where each old one went."""
    kept: list[ir.SOp] = []
    seen: dict[tuple, int] = {}
    where: dict[int, int] = {}
    for old, sop in enumerate(sops):
        identity = ("constant", value_key(sop.value)) if isinstance(sop, ir.Constant) else ("sop", sop.id)
        if identity not in seen:
            seen[identity] = len(kept)
            kept.append(sop)
        where[old] = seen[identity]
    return kept, where


def _used(predicate: ir.Predicate, keys: list, queries: list) -> tuple[tuple, tuple, ir.Predicate]:
    key_slots: set[int] = set()
    query_slots: set[int] = set()

    def note(leaf: ir.Compare) -> ir.Predicate:
        key_slots.add(leaf.key_slot)
        query_slots.add(leaf.query_slot)
        return leaf

    ir.map_comparisons(predicate, note)
    key_list, query_list = sorted(key_slots), sorted(query_slots)
    key_map = {old: new for new, old in enumerate(key_list)}
    query_map = {old: new for new, old in enumerate(query_list)}
    renumbered = ir.map_comparisons(predicate, lambda leaf: leaf.moved(key_map[leaf.key_slot],
                                                                  query_map[leaf.query_slot]))
    return tuple(keys[k] for k in key_list), tuple(queries[q] for q in query_list), renumbered


def _tidied(predicate: ir.Predicate, slots: _Slots) -> tuple[tuple, tuple, ir.Predicate]:
    """The slots the predicate reads, each s-op (or constant value) once, and the
    predicate renumbered to them."""
    keys, key_where = _merged(slots.keys)
    queries, query_where = _merged(slots.queries)
    predicate = ir.map_comparisons(predicate, lambda leaf: leaf.moved(key_where[leaf.key_slot],
                                                                 query_where[leaf.query_slot]))
    return _used(predicate, keys, queries)


def simplify_select(select: ir.Select) -> ir.Select | None:
    """The selector with pinned equalities substituted, constant comparisons moved
    into side maps and repeated slots merged; None when nothing changed."""
    slots = _Slots(select)
    predicate = _substitute_pinned(select.predicate, slots)
    predicate = _one_sided(predicate, slots)
    predicate = _constants_to_maps(predicate, slots)
    new_keys, new_queries, predicate = _tidied(predicate, slots)
    if (predicate == select.predicate and tuple(k.id for k in new_keys) == tuple(k.id for k in select.keys)
            and tuple(q.id for q in new_queries) == tuple(q.id for q in select.queries)):
        return None
    return ir.Select(keys=new_keys, queries=new_queries, predicate=predicate)


def simplify_selects(outputs: tuple[ir.SOp, ...], rewrite: Callable) -> tuple[ir.SOp, ...]:
    """``simplify_select`` on every selector that would need joint s-ops (one that
    decomposes slot by slot is cheap as it is)."""
    from compiler.constructions.attention import decomposes

    def visit(node, original):
        if not isinstance(node, ir.Select) or decomposes(node.predicate):
            return None
        simpler = simplify_select(node)
        if simpler is None:
            return None
        return simpler.replacing(node)

    return rewrite(outputs, visit)


# ------------------------------------------------- maps read through their inputs

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


def maps_into_selects(outputs: tuple[ir.SOp, ...], sets: dict[int, ValueSet],
                      rewrite: Callable) -> tuple[ir.SOp, ...]:
    """A selector reads a map's input in place of the map, when selectors are the
    map's only readers and the map is one-to-one on its categorical input:
    ``select(depth, depth + 1, ==)`` becomes a comparison ``k == q + 1`` over
    ``depth`` itself. The head's table has as many rows (no value is lost), and no
    MLP has to write the map's one-hot, nor any layer wait for it."""
    readers: dict[int, list[ir.RaspExpr]] = {}
    for node in ir.ancestors(outputs):
        for child in node.children:
            readers.setdefault(child.id, []).append(node)
    kept = {o.id for o in outputs}
    foldable = {node.id for node in ir.ancestors(outputs)
                if type(node) is ir.Map and node.id not in kept and node.id in sets and node.inner.id in sets
                and all(isinstance(r, ir.Select) and _compares_only(r) for r in readers.get(node.id, ()))
                and _one_to_one(node, sets)}
    if not foldable:
        return outputs

    def visit(node, original):
        if not isinstance(node, ir.Select) or not _compares_only(node):
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

    return rewrite(outputs, visit)


def _compares_only(select: ir.Select) -> bool:
    """The predicate is built of comparisons (and/or/not), so its slots can be read
    through maps."""
    def plain_tree(predicate) -> bool:
        if isinstance(predicate, (ir.Compare, ir.PredTrue)):
            return True
        if isinstance(predicate, (ir.PredAnd, ir.PredOr)):
            return plain_tree(predicate.left) and plain_tree(predicate.right)
        if isinstance(predicate, ir.PredNot):
            return plain_tree(predicate.inner)
        return False
    return plain_tree(select.predicate)


# ------------------------------------------------- s-ops only tested against constants

def _constant_tests(sop_id: int, select: ir.Select) -> set[tuple] | None:
    """The tests of the s-op against constants through which ``select`` reads it
    (side, comparison, constant), or None when it reads it any other way."""
    if not _compares_only(select):
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


def constant_tests(outputs: tuple[ir.SOp, ...], sets: dict[int, ValueSet],
                   rewrite: Callable) -> tuple[ir.SOp, ...]:
    """A categorical s-op that selectors only compare with constants is read
    through one boolean map per distinct test, when those are fewer directions
    than its values: ``select(earlier_copies, 0, ==)`` reads ``earlier_copies ==
    0``, two directions in place of max_len + 1, which its MLP writes with a step
    or two in place of a one-hot decoder. The s-op itself is left with no reader."""
    readers: dict[int, list[ir.RaspExpr]] = {}
    for node in ir.ancestors(outputs):
        for child in node.children:
            readers.setdefault(child.id, []).append(node)
    kept = {o.id for o in outputs}
    tested: set[int] = set()
    for node in ir.ancestors(outputs):
        found = sets.get(node.id)
        if (not isinstance(node, ir.SOp) or isinstance(node, ir.Constant) or node.id in kept or found is None
                or found.encoding != CATEGORICAL or node.id not in readers):
            continue
        tests = [_constant_tests(node.id, r) if isinstance(r, ir.Select) else None for r in readers[node.id]]
        if any(t is None for t in tests):
            continue
        if 0 < 2 * len(set().union(*tests)) < len(found.values):
            tested.add(node.id)
    if not tested:
        return outputs
    made: dict[tuple, ir.SOp] = {}

    def visit(node, original):
        if not isinstance(node, ir.Select):
            return None
        chosen = {sop.id for sop, old in zip(node.keys + node.queries, original.keys + original.queries)
                  if old.id in tested}
        if not chosen:
            return None
        slots = _Slots(node)
        keys, queries, predicate = _tidied(_constants_to_maps(node.predicate, slots, made, chosen), slots)
        return ir.Select(keys=keys, queries=queries, predicate=predicate).replacing(node)

    return rewrite(outputs, visit)
