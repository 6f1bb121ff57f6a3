"""The key and query slots of selectors being rewritten, shared by the passes that
shrink what a selector reads (``simplify_selects``, ``maps_into_selects``,
``constant_tests``).

A rewrite appends slots (a boolean map of a side, a constant) and renumbers the
predicate's comparisons; at the end, slots holding the same s-op (or equal
constants) are merged and unread ones dropped (``tidied``), so a joint tuple never
repeats a component.
"""
from __future__ import annotations

from rasp import ir
from compiler.analysis.valuesets import value_key


def shown(value) -> str:
    """A constant as it appears in a map's description (a format string)."""
    return repr(value).replace("{", "{{").replace("}", "}}")


class Slots:
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


def constants_to_maps(predicate: ir.Predicate, slots: Slots, made: dict[tuple, ir.SOp] | None = None,
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
            test = side_map(key, lambda k, c=c: bool(compare(k, c)), f"{{0}} {leaf.op} {shown(c)}",
                            ("key", key.id, leaf.op, value_key(c)))
            return ir.Compare("==", slots.add_key(test), slots.add_query(ir.Constant(value=True)))
        if isinstance(key, ir.Constant) and not isinstance(query, ir.Constant):
            c = key.value
            test = side_map(query, lambda q, c=c: bool(compare(c, q)), f"{shown(c)} {leaf.op} {{0}}",
                            ("query", query.id, leaf.op, value_key(c)))
            return ir.Compare("==", slots.add_key(ir.Constant(value=True)), slots.add_query(test))
        return leaf

    return ir.map_comparisons(predicate, change)


def merged(sops: list[ir.SOp]) -> tuple[list[ir.SOp], dict[int, int]]:
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


def used_slots(keys, queries, predicate: ir.Predicate) -> tuple[tuple, tuple, ir.Predicate]:
    """Drop the key and query slots the predicate does not read, renumbering."""
    read_keys, read_queries = ir.slots_read(predicate)
    used_keys, used_queries = sorted(read_keys), sorted(read_queries)
    key_map = {old: new for new, old in enumerate(used_keys)}
    query_map = {old: new for new, old in enumerate(used_queries)}

    def renumber(leaf):
        return leaf.moved(key_map[leaf.key_slot], query_map[leaf.query_slot])

    return (tuple(keys[k] for k in used_keys), tuple(queries[q] for q in used_queries),
            ir.map_comparisons(predicate, renumber))


def tidied(predicate: ir.Predicate, slots: Slots) -> tuple[tuple, tuple, ir.Predicate]:
    """The slots the predicate reads, each s-op (or constant value) once, and the
    predicate renumbered to them."""
    keys, key_where = merged(slots.keys)
    queries, query_where = merged(slots.queries)
    predicate = ir.map_comparisons(predicate, lambda leaf: leaf.moved(key_where[leaf.key_slot],
                                                                 query_where[leaf.query_slot]))
    return used_slots(keys, queries, predicate)


def compares_only(select: ir.Select) -> bool:
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
