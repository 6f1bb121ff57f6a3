"""Graph passes that turn a staged program into one the constructions can build cheaply.

Each pass is a pure function from output s-ops to new output s-ops (nodes are never
mutated; a changed node is rebuilt, and so is everything downstream of it). Passes
that only save space or depth can be switched off by name, which is how the tests
show that each one preserves the program's meaning:

* ``fold_embeddings``: a function of ``tokens`` alone (or ``indices`` alone) is
  written straight into the embedding table: no MLP, no layer.
* ``fuse_maps``: a chain of elementwise maps becomes one MLP over the chain's
  original operands, when that does not widen the MLP much (operands that are
  functions of the position count once together, and are dropped where the
  result does not depend on them at any reachable position). Two MLPs in a row would
  cost two layers. Under the same switch, the width of an ``or`` of two selectors
  that never both hold (a lexicographic order) becomes the sum of two widths: two
  heads that decompose and one MLP, instead of a head over joint s-ops.
* ``dead_code``: only what the output needs is compiled (switched off, every named
  s-op of the program is kept).
* ``compact_numerical``: a categorical s-op of numbers that is only ever averaged
  is stored as one numerical direction.
* ``split_lexicographic``: a select comparing a map that orders like the pairs
  of its two operands (``hist * 1000 - indices``) compares the pairs instead: two
  disjoint parts whose widths add, rather than one-hots of every pair.
* ``count_means`` (``compiler.passes.means``): a mean of a 0/1 s-op becomes a map of a
  selector width where the identity can be checked on every position (a prefix
  count, the paper's beginning-of-sequence count, a test of "any selected one").
* ``simplify_selects`` (``compiler.passes.selects``): a selector that needs joint s-ops
  gets smaller ones: one-sided tests become boolean maps, pinned equalities
  become constant tests, repeated slots merge.
* ``maps_into_selects`` (``compiler.passes.selects``): a one-to-one map that only
  selectors read is read through its input (``select(depth, depth + 1, ==)``
  compares ``depth`` with ``depth + 1`` in the head's table): the map's one-hot is
  never written, so neither its MLP units nor its residual directions exist.
* ``constant_tests`` (``compiler.passes.selects``): a categorical s-op that selectors
  only compare with constants (``select(earlier_copies, 0, ==)``) is read through
  a boolean map per test: two directions, not a one-hot of every value.
* ``narrow_equalities`` (``compiler.constructions.attention.narrow_equality``): a head whose
  output is categorical scores a wide equality by a few digits of class codes
  (12 directions for 65 indices), not one direction per value.
* ``share_heads``, ``reuse_residual``, ``narrow_equalities``: applied later (in
  assembly and layout); their names are listed here so one switch list covers all.

Three rewrites always run, because the constructions need them: a selector whose
predicate one head cannot compute from separate key/query tables (``or`` across
slots) is rewritten to read one joint key s-op and one joint query s-op (tuples),
over which any predicate is a single table; a numerical s-op read by a selector
gets a categorical copy; and ``selector_width``/``length`` become a head writing
``1/(w+1)`` plus an ordinary map decoding it, so that maps reading a width fuse
with its decoding (``length - indices - 1`` costs no extra layer).

One limit on that fusion is a matter of exactness, not size: two scratches lie
on a grid whose points are as close as ``1/(n(n+1))^2`` apart in every mixed
projection, which no float32 MLP separates beyond a short max_len. A map may read
several scratches only through a difference (``w1 == w2`` is ``a1 - a2 == 0``);
otherwise each width is first decoded to an exact integer in one numerical
direction (one MLP), and the map reads the integers (``smaller + equal_before``
is then one projection of them).
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any, Callable

from compiler.passes.means import means_as_widths, sign_tests_as_widths
from compiler.passes.selects import constant_tests, maps_into_selects, simplify_selects
from rasp import ir
from compiler.analysis.valuesets import (CATEGORICAL, NUMERICAL, ValueSet, categorical_readers, conjuncts, infer, keys_bound,
                            value_key)

PASSES = ("fuse_maps", "fold_embeddings", "share_heads", "dead_code", "reuse_residual",
          "compact_numerical", "split_lexicographic", "count_means", "simplify_selects", "maps_into_selects",
          "constant_tests", "narrow_equalities")

#: A fused MLP may read this many operand combinations, or as many as its parts did.
FUSE_LIMIT = 512
#: What one numerical operand of a fused map counts for in those combinations: a
#: function along its axis costs a pair of units per change, and maps of a width
#: or a mean change at a few places.
NUMERICAL_AXIS_COST = 4


@dataclass(frozen=True, eq=False)
class JointPredicate:
    """A predicate over joint s-ops: slot 0 of each side holds a tuple of the
    original slots' values (or the single original value when that side was not
    joined), and ``inner`` is the original predicate over them. ``original`` is the
    select as written, which the attention construction evaluates over the joint
    spaces' tuple values."""

    inner: Any
    joint_keys: bool
    joint_queries: bool
    original: Any = None

    def __call__(self, keys: tuple, queries: tuple) -> bool:
        key_slots = keys[0] if self.joint_keys else keys
        query_slots = queries[0] if self.joint_queries else queries
        return bool(self.inner(key_slots, query_slots))

    def describe(self, key_names, query_names) -> str:
        if self.original is not None:
            return self.original.describe()
        keys = tuple(f"key[{i}]" for i in range(16)) if self.joint_keys else key_names
        queries = tuple(f"query[{i}]" for i in range(16)) if self.joint_queries else query_names
        return self.inner.describe(keys, queries)


@dataclass(frozen=True)
class Lowered:
    """The program as the scheduler sees it.

    ``outputs[0]`` is the output s-op; ``embedded`` holds the ids of s-ops written
    by the embeddings (tokens, indices, constants, folded maps); ``sets`` every
    s-op's value set and encoding.
    """

    outputs: tuple[ir.SOp, ...]
    sets: dict[int, ValueSet]
    embedded: frozenset[int]
    vocab: tuple
    max_len: int


# --------------------------------------------------------------- rebuilding

def rebuild(node: ir.RaspExpr, children: tuple[ir.RaspExpr, ...]) -> ir.RaspExpr:
    """A copy of ``node`` reading ``children`` (same order as ``node.children``)."""
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


def rewrite(outputs: tuple[ir.SOp, ...],
            visit: Callable[[ir.RaspExpr, ir.RaspExpr], ir.RaspExpr | None]) -> tuple[ir.SOp, ...]:
    """Rebuild the graph bottom-up: ``visit(node_with_new_children, original)`` may
    return a replacement (or None to keep it)."""
    done: dict[int, ir.RaspExpr] = {}
    for node in ir.ancestors(outputs):
        current = rebuild(node, tuple(done[c.id] for c in node.children))
        replacement = visit(current, node)
        done[node.id] = replacement if replacement is not None else current
    return tuple(done[o.id] for o in outputs)


# ------------------------------------------------------ elementwise expansion

ELEMENTWISE = (ir.Map, ir.SequenceMap)


@dataclass(frozen=True)
class Expansion:
    """An elementwise subgraph seen as one function of its frontier s-ops."""

    frontier: tuple[ir.SOp, ...]
    fn: Callable[..., Any]
    text: str  # a format string over {i}, the frontier's labels


def _leaf(sop: ir.SOp) -> Expansion:
    return Expansion((sop,), lambda x: x, "{0}")


def _constant(sop: ir.Constant) -> Expansion:
    value = sop.value
    return Expansion((), lambda: value, repr(value))


def _merge(node: ir.Map | ir.SequenceMap, parts: list[Expansion]) -> Expansion:
    """The expansion of ``node`` when its operands expand to ``parts``."""
    frontier: list[ir.SOp] = []
    for part in parts:
        for sop in part.frontier:
            if all(sop is not f for f in frontier):
                frontier.append(sop)
    position = {sop.id: k for k, sop in enumerate(frontier)}
    picks = [tuple(position[s.id] for s in part.frontier) for part in parts]
    part_fns = [part.fn for part in parts]
    outer = node.fn

    def fused(*args):
        return outer(*(fn(*(args[k] for k in pick)) for fn, pick in zip(part_fns, picks)))

    texts = []
    for part, pick in zip(parts, picks):
        try:
            inner = part.text.format(*("{%d}" % k for k in pick))
        except (IndexError, KeyError, ValueError):
            inner = "f(" + ", ".join("{%d}" % k for k in pick) + ")"
        texts.append(inner if part.text == "{0}" or part.frontier == () else f"({inner})")
    try:
        text = node.description.format(*texts)
    except (IndexError, KeyError, ValueError):
        text = f"{node.label}(" + ", ".join(texts) + ")"
    return Expansion(tuple(frontier), fused, text)


def _as_node(original: ir.SOp, expansion: Expansion) -> ir.SOp:
    """An ir node computing ``expansion``, named like ``original``."""
    if not expansion.frontier:
        return ir.Constant(value=expansion.fn()).replacing(original)
    if len(expansion.frontier) == 1:
        node = ir.Map(fn=expansion.fn, inner=expansion.frontier[0], description=expansion.text)
    else:
        node = ir.SequenceMap(fn=expansion.fn, inputs=expansion.frontier, description=expansion.text)
    return node.replacing(original)


def _domain(value_sets: list[ValueSet]) -> int:
    size = 1
    for value_set in value_sets:
        size *= max(value_set.size, 1)
    return size


# ------------------------------------------------------------------ passes

def _is_identity(fn, values) -> bool:
    try:
        return all(value_key(fn(v)) == value_key(v) for v in values)
    except Exception:
        return False


def fold_embeddings(outputs: tuple[ir.SOp, ...], sets: dict[int, ValueSet],
                    embedded: set[int]) -> tuple[tuple[ir.SOp, ...], set[int]]:
    """Replace every elementwise function of tokens alone (or indices alone) by one
    map of that leaf, marked as written by the embedding."""
    full: dict[int, Expansion] = {}
    new_embedded = set(embedded)
    keep = {o.id for o in outputs}

    def visit(node, original):
        if isinstance(node, ir.Constant):
            full[node.id] = _constant(node)
            new_embedded.add(node.id)
            return None
        if not isinstance(node, ELEMENTWISE):
            full[node.id] = _leaf(node)
            return None
        expansion = _merge(node, [full[c.id] for c in node.children])
        full[node.id] = expansion
        leaves = expansion.frontier
        if all(isinstance(s, ir.Tokens) for s in leaves) or all(isinstance(s, ir.Indices) for s in leaves):
            if len(leaves) == 1 and _is_identity(expansion.fn, sets[leaves[0].id].values) \
                    and node.encoding_hint in (None, ir.Encoding.CATEGORICAL) \
                    and original.id not in keep:
                return leaves[0]  # tokens = tokens_str and the like: no new directions
            if isinstance(node, ir.Map) and node.inner in leaves:
                new_embedded.add(node.id)
                return None
            folded = _as_node(node, expansion)
            full[folded.id] = expansion
            new_embedded.add(folded.id)
            return folded
        return None

    return rewrite(outputs, visit), new_embedded


def drop_position_operands(expansion: Expansion, sets: list[ValueSet], max_len: int) -> Expansion:
    """The expansion without its operands that are functions of the position alone
    (indices, ``indices + 1``) when, at every position they can hold together, the
    result does not depend on them: ``round((indices + 1) * (w / (indices + 1)))``
    is ``w``. Checked on every reachable combination; the result is a table of the
    remaining operands, so the MLP reads fewer of them."""
    from compiler.analysis.valuesets import position_function

    frontier = expansion.frontier
    functions = [position_function(s) for s in frontier]
    fixed = [k for k, f in enumerate(functions) if f is not None]
    free = [k for k, f in enumerate(functions) if f is None]
    if not fixed or not free or _domain([sets[k] for k in free]) > 20_000:
        return expansion
    positions: dict[tuple, tuple] = {}
    for n in range(1, max_len + 1):
        for i in range(n):
            try:
                values = tuple(functions[k](n, i) for k in fixed)
            except Exception:
                continue
            positions.setdefault(tuple(value_key(v) for v in values), values)
    if len(positions) * _domain([sets[k] for k in free]) > 200_000:
        return expansion
    table: dict[tuple, Any] = {}
    for combo in itertools.product(*(sets[k].values for k in free)):
        found = None
        for values in positions.values():
            args = [None] * len(frontier)
            for k, v in zip(free, combo):
                args[k] = v
            for k, v in zip(fixed, values):
                args[k] = v
            try:
                result = expansion.fn(*args)
            except Exception:
                continue
            if found is None:
                found = (result,)
            elif value_key(found[0]) != value_key(result):
                return expansion
        if found is not None:
            table[tuple(value_key(v) for v in combo)] = found[0]

    def looked_up(*args):
        return table[tuple(value_key(v) for v in args)]  # KeyError: an impossible combination

    kept = tuple(frontier[k] for k in free)
    text = expansion.text
    try:
        text = text.format(*("{%d}" % free.index(k) if k in free else "_" for k in range(len(frontier))))
    except (IndexError, KeyError, ValueError):
        text = "f(" + ", ".join("{%d}" % k for k in range(len(kept))) + ")"
    return Expansion(kept, looked_up, text)


def fuse_maps(outputs: tuple[ir.SOp, ...], sets: dict[int, ValueSet],
              embedded: set[int], max_len: int = 0) -> tuple[ir.SOp, ...]:
    """Inline elementwise operands into their readers, operand by operand, while the
    fused MLP's domain stays within max(FUSE_LIMIT, the reader's own domain)."""
    expansions: dict[int, Expansion] = {}
    origin: dict[int, int] = {}

    def size(frontier) -> int:
        """What a fused MLP over ``frontier`` costs, in operand combinations. One
        numerical operand among categorical ones is read along its axis, where only
        the places the result changes cost units (a pair each): it counts as
        NUMERICAL_AXIS_COST, not as its number of values."""
        found = [sets_by_origin(s) for s in frontier]
        together = positions_together(frontier)
        if together is not None:  # operands fixed by the position count jointly
            found = [v for s, v in zip(frontier, found) if s.id not in together[0]]
            found.append(ValueSet(tuple(range(together[1])), CATEGORICAL))
        numerical = [v for v in found if v.encoding == NUMERICAL]
        if len(numerical) == 1:
            rest = _domain([v for v in found if v.encoding != NUMERICAL])
            return rest * min(NUMERICAL_AXIS_COST, max(numerical[0].size, 1))
        return _domain(found)

    joint_positions: dict[tuple[int, ...], tuple[set[int], int] | None] = {}

    def positions_together(frontier) -> tuple[set[int], int] | None:
        """(ids of the operands that are functions of the position, how many
        distinct tuples of values they take together), when there are two or more."""
        from compiler.analysis.valuesets import position_function

        fixed = [(s.id, position_function(s)) for s in frontier]
        fixed = [(i, f) for i, f in fixed if f is not None]
        key = tuple(i for i, _ in fixed)
        if len(fixed) < 2 or not max_len:
            return None
        if key not in joint_positions:
            seen = set()
            for n in range(1, max_len + 1):
                for i in range(n):
                    try:
                        seen.add(tuple(value_key(f(n, i)) for _, f in fixed))
                    except Exception:
                        continue
            joint_positions[key] = (set(key), len(seen))
        return joint_positions[key]

    def sets_by_origin(sop):
        return sets[origin.get(sop.id, sop.id)]

    def own(node) -> Expansion:
        return expansions.get(node.id) or (_constant(node) if isinstance(node, ir.Constant) else _leaf(node))

    twins: dict[int, WidthDecode] = {}
    compared = {s.id for node in ir.ancestors(outputs) if isinstance(node, ir.Select)
                for s in tuple(node.keys) + tuple(node.queries)}

    def adds_widths(expansion: Expansion) -> bool:
        """The map is a sum of one function per scratch with numbers as results
        (``opened - closed``): one MLP decodes every width into a single numerical
        direction, with no grid of scratch pairs, when nothing compares the result
        (a select would need its one-hot)."""
        if not all(isinstance(s, WidthScratch) for s in expansion.frontier):
            return False
        domains = [sets_by_origin(s).values for s in expansion.frontier]
        if _domain([sets_by_origin(s) for s in expansion.frontier]) > 100_000:
            return False
        base = tuple(d[0] for d in domains)
        try:
            origin_value = expansion.fn(*base)
            parts = [{v: expansion.fn(*(base[:k] + (v,) + base[k + 1:])) - origin_value for v in domain}
                     for k, domain in enumerate(domains)]
            for combo in itertools.product(*domains):
                value = expansion.fn(*combo)
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    return False
                if abs(origin_value + sum(p[v] for p, v in zip(parts, combo)) - value) > 1e-9:
                    return False
        except Exception:
            return False
        return True

    def scratches_read(expansion: Expansion) -> str:
        """How a map may read two or more width scratches (``1/(w+1)``, values as
        close as ``1/(n(n+1))``) directly: "difference" through a +-1 projection
        with a negative sign (an equality of widths is ``a - b == 0``, separated at
        every max_len), "line" through any other well-separated projection (a sum
        of two short widths), or "decode" when each width must first be decoded
        to an exact integer, so that no MLP has to resolve a grid of scratch pairs
        in float32. A map of fewer than two scratches reads them as it likes."""
        from compiler.constructions.projection import find_projection

        scratches = [s for s in expansion.frontier if isinstance(s, WidthScratch)]
        if len(scratches) < 2:
            return "difference"
        if len(expansion.frontier) != len(scratches):
            return "decode"
        domains = [[float(v) for v in sets_by_origin(s).values] for s in expansion.frontier]
        if find_projection(expansion.fn, domains, differences_only=True) is not None:
            return "difference"
        return "line" if find_projection(expansion.fn, domains) is not None else "decode"

    def numeric_twin(decode: WidthDecode) -> WidthDecode:
        """The width as one numerical direction holding the integer, for a map that
        combines it with another width."""
        scratch = decode.inner
        if scratch.id not in twins:
            twin = WidthDecode(fn=_decode_width, inner=scratch, description="1 / {0} - 1")
            twin.name = f"{decode.label}_number"
            twin.encoding_hint = ir.Encoding.NUMERICAL
            twins[scratch.id] = twin
            origin[twin.id] = origin.get(decode.id, decode.id)
        return twins[scratch.id]

    def fuse(node, decode_first: bool) -> list[Expansion]:
        parts = [_leaf(c) if not isinstance(c, ir.Constant) else _constant(c) for c in node.children]
        budget = max(FUSE_LIMIT, size([c for c in node.children if not isinstance(c, ir.Constant)]))
        for k, child in enumerate(node.children):
            if decode_first and isinstance(child, WidthDecode):
                parts[k] = _leaf(numeric_twin(child))
                continue
            if decode_first and any(isinstance(s, WidthScratch) for s in own(child).frontier):
                continue
            if isinstance(child, ELEMENTWISE) and origin.get(child.id, child.id) not in embedded:
                trial = parts[:k] + [own(child)] + parts[k + 1:]
                frontier = narrowed(_merge(node, trial)).frontier
                # A chain that reads no more than the operand's own MLP already
                # reads costs no more: fusing it saves a layer however large that is.
                if size(frontier) <= budget or {s.id for s in frontier} <= {s.id for s in own(child).frontier}:
                    parts = trial
        return parts

    def narrowed(expansion: Expansion) -> Expansion:
        if not max_len:
            return expansion
        return drop_position_operands(expansion, [sets_by_origin(s) for s in expansion.frontier], max_len)

    def visit(node, original):
        origin[node.id] = original.id
        if not isinstance(node, ELEMENTWISE) or original.id in embedded:
            return None
        parts = fuse(node, decode_first=False)
        expansion = narrowed(_merge(node, parts))
        as_number = False
        reading = scratches_read(expansion)
        if reading != "difference":
            if original.id not in compared and original.encoding_hint is None and adds_widths(expansion):
                as_number = True  # each width decoded into one shared direction
            elif reading == "decode":
                parts = fuse(node, decode_first=True)
                expansion = narrowed(_merge(node, parts))
        if as_number:
            fused = _as_node(node, expansion)
            fused.encoding_hint = ir.Encoding.NUMERICAL
            expansions[fused.id] = expansion
            origin[fused.id] = original.id
            return fused
        if [s.id for s in expansion.frontier] == [c.id for c in node.children]:
            expansions[node.id] = expansion
            return None
        fused = _as_node(node, expansion)
        expansions[fused.id] = expansion
        origin[fused.id] = original.id
        return fused

    return rewrite(outputs, visit)


def split_selects(outputs: tuple[ir.SOp, ...]) -> tuple[ir.SOp, ...]:
    """Give every selector that one head cannot compute slot by slot a single joint
    key s-op and a single joint query s-op."""
    from compiler.constructions.attention import decomposes

    made: dict[tuple[int, ...], ir.SOp] = {}

    def joint(sops: tuple[ir.SOp, ...], side: str, select: ir.Select) -> ir.SOp:
        """One joint s-op per tuple of operands: keys and queries that are the same
        s-ops (a sort's ``(keys, indices)``) share it."""
        ids = tuple(s.id for s in sops)
        if ids not in made:
            made[ids] = _joint_node(sops)
        return made[ids]

    def _joint_node(sops: tuple[ir.SOp, ...]) -> ir.SOp:
        names = ", ".join(s.label for s in sops)
        node = ir.SequenceMap(fn=lambda *xs: tuple(xs), inputs=sops,
                              description="(" + ", ".join("{%d}" % k for k in range(len(sops))) + ")")
        node.name = f"({names})"
        node.encoding_hint = ir.Encoding.CATEGORICAL
        return node

    def visit(node, original):
        if not isinstance(node, ir.Select) or decomposes(node.predicate):
            return None
        join_keys, join_queries = len(node.keys) > 1, len(node.queries) > 1
        if not (join_keys or join_queries):
            return None
        keys = (joint(node.keys, "keys", node),) if join_keys else node.keys
        queries = (joint(node.queries, "queries", node),) if join_queries else node.queries
        predicate = JointPredicate(node.predicate, join_keys, join_queries, node)
        return ir.Select(keys=keys, queries=queries, predicate=predicate).replacing(node)

    return rewrite(outputs, visit)


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


def split_lexicographic(outputs: tuple[ir.SOp, ...], sets: dict[int, ValueSet]) -> tuple[ir.SOp, ...]:
    """A comparison ``p OP p`` (OP one of < > <= >=) of a map ``p`` that orders
    like the pairs of its two operands becomes the comparison of the pairs:
    ``a OP a' or (a == a' and b OP' b')``, with ``and``-ed parts of the selector
    distributed into both sides. One-hots of ``p`` would need a direction per pair
    and a full-rank table; the two sides are disjoint, so a width splits into two
    heads whose tables read ``a`` and ``b`` alone."""
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

    return rewrite(outputs, visit)


def _used_slots(keys: tuple, queries: tuple, predicate) -> tuple[tuple, tuple, ir.Predicate]:
    """Drop the key and query slots the predicate no longer reads, renumbering."""
    read_keys, read_queries = ir.slots_read(predicate)
    used_keys, used_queries = sorted(read_keys), sorted(read_queries)
    key_map = {old: new for new, old in enumerate(used_keys)}
    query_map = {old: new for new, old in enumerate(used_queries)}

    def renumber(leaf):
        return leaf.moved(key_map[leaf.key_slot], query_map[leaf.query_slot])

    return (tuple(keys[k] for k in used_keys), tuple(queries[q] for q in used_queries), ir.map_comparisons(predicate, renumber))


def selects_itself(select: ir.Selector, sets: dict[int, ValueSet]) -> bool:
    """True when every query selects at least its own position: keys and queries
    are the same s-ops and the predicate holds whenever they are equal
    (``tokens == tokens``, ``<=``), checked on every value combination."""
    if not isinstance(select, ir.Select) or isinstance(select.predicate, JointPredicate):
        return False
    if tuple(k.id for k in select.keys) != tuple(q.id for q in select.queries):
        return False
    domains = [sets[k.id].values for k in select.keys]
    if _domain([sets[k.id] for k in select.keys]) > 100_000:
        return False
    try:
        return all(select.predicate(combo, combo) for combo in itertools.product(*domains))
    except Exception:
        return False


@dataclass(eq=False)
class WidthScratch(ir.SOp):
    """``1 / (w + 1)``, where w is how many keys ``selector`` selects: what a
    selector-width head writes (BOS scores like a selected key). Numerical, with the
    finite value set below, so that any map can read it directly."""

    selector: ir.Selector = None  # type: ignore[assignment]
    counts_length: bool = False

    @property
    def children(self):
        return (self.selector,)

    @property
    def position_value(self):
        """For a length count: ``1 / (n + 1)`` as a function of (length, index)."""
        return (lambda n, i: 1.0 / (n + 1)) if self.counts_length else None

    @staticmethod
    def value_of_width(width: int) -> float:
        return 1.0 / (width + 1)

    def infer_values(self, max_len: int, sets: dict[int, ValueSet] | None = None) -> ValueSet:
        least = 1 if self.counts_length or (sets is not None and selects_itself(self.selector, sets)) else 0
        most = max_len if sets is None else keys_bound(self.selector, sets, max_len)
        widths = range(least, max(least, most) + 1)
        return ValueSet(tuple(sorted(1.0 / (w + 1) for w in widths)), NUMERICAL)


@dataclass(eq=False)
class WidthDecode(ir.Map):
    """w from ``1 / (w + 1)``: built by the dedicated width decoder when it stands
    alone, inlined into its readers' MLPs by ``fuse_maps`` otherwise.

    Its values run from 0 (1 for a length) to the scratch's largest width, even
    where the scratch is known to skip 0: the decoder is cheapest over a full range."""

    def infer_values(self, max_len: int, sets: dict[int, ValueSet] | None = None) -> ValueSet:
        least = 1 if self.inner.counts_length else 0
        most = max_len
        if sets is not None and self.inner.id in sets and sets[self.inner.id].values:
            most = _decode_width(min(sets[self.inner.id].values))
        hint = self.encoding_hint.value if self.encoding_hint else CATEGORICAL
        return ValueSet(tuple(range(least, max(least, most) + 1)), hint)


def _decode_width(scratch: float) -> int:
    return int(round(1.0 / scratch)) - 1


def split_widths(outputs: tuple[ir.SOp, ...], sets: dict[int, ValueSet] | None = None,
                 max_len: int = 0) -> tuple[ir.SOp, ...]:
    """``selector_width`` and ``length`` as a head writing ``1/(w+1)`` and a map that
    decodes it. The head alone is the attention step; the decoding is an ordinary
    map, so a map that reads the width (``length - indices - 1``, a joint key) runs
    in the same MLP as the decoding instead of one layer later.

    With ``sets`` given, the width of an ``or`` of two selectors that can never
    both hold (a lexicographic order: ``a < a'`` or ``a == a'`` and ``b < b'``) is
    the sum of their widths: two heads that each decompose, and one MLP adding
    the decoded widths, instead of a head over joint key and query s-ops (whose
    one-hots have a direction per combination of values).
    """
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
        decode = WidthDecode(fn=_decode_width, inner=scratch, description="1 / {0} - 1")
        return decode.replacing(node)

    return rewrite(outputs, visit)


def _width_sum(parts: list[ir.Select], most: int) -> ir.SOp:
    """The sum of the parts' widths, each decoded from its own scratch (``fuse_maps``
    inlines the decodings where the scratches can be read together exactly). The
    parts are disjoint, so the sum is at most ``most``, the bound on their union."""
    decodes = []
    for k, part in enumerate(parts):
        scratch = WidthScratch(selector=part)
        scratch.name = f"width_part{k}_{part.id}"
        decode = WidthDecode(fn=_decode_width, inner=scratch, description="1 / {0} - 1")
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
    from compiler.constructions.attention import decomposes

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


def compact_numerical(outputs: tuple[ir.SOp, ...], sets: dict[int, ValueSet],
                      embedded: set[int]) -> tuple[tuple[ir.SOp, ...], set[int]]:
    """A categorical s-op of numbers that is only ever averaged (the source of
    numerical aggregates) lives in one numerical direction instead of one per
    value: the mean reads it linearly either way."""
    from compiler.backend.schedule import operands

    readers: dict[int, list[ir.RaspExpr]] = {}
    for node in ir.ancestors(outputs):
        if isinstance(node, ir.SOp):
            for operand in operands(node):
                readers.setdefault(operand.id, []).append(node)
    keep = {o.id for o in outputs}
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

    return rewrite(outputs, visit), new_embedded


def categorical_copies(outputs: tuple[ir.SOp, ...], sets: dict[int, ValueSet]) -> tuple[ir.SOp, ...]:
    """Selectors read one-hot keys and queries: give each numerical operand a
    categorical copy (a numerical -> categorical map MLP)."""
    needed = categorical_readers(outputs, sets)
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

    return rewrite(outputs, visit)


# ---------------------------------------------------------------- pipeline

def lower(outputs: tuple[ir.SOp, ...], vocab, max_len: int,
          disabled: tuple[str, ...] = ()) -> Lowered:
    """Run every enabled pass, then infer the final graph's value sets."""
    unknown = [name for name in disabled if name not in PASSES]
    if unknown:
        from compiler.errors import CompileError
        raise CompileError(f"unknown compiler pass {unknown[0]!r}; passes are {', '.join(PASSES)}")
    vocab = tuple(vocab)
    outputs = tuple(outputs)
    if "count_means" not in disabled:
        outputs = sign_tests_as_widths(outputs, infer(outputs, vocab, max_len), max_len, rewrite)
        outputs = means_as_widths(outputs, infer(outputs, vocab, max_len), max_len, rewrite)
    if "simplify_selects" not in disabled:
        outputs = simplify_selects(outputs, rewrite)
    if "split_lexicographic" not in disabled:
        outputs = split_lexicographic(outputs, infer(outputs, vocab, max_len))
    if "fuse_maps" not in disabled:
        outputs = split_widths(outputs, infer(outputs, vocab, max_len), max_len)
    outputs = split_selects(outputs)
    outputs = split_widths(outputs)
    # Copies first, so that folding and fusing treat them like any other map.
    outputs = categorical_copies(outputs, infer(outputs, vocab, max_len))
    if "maps_into_selects" not in disabled:
        outputs = maps_into_selects(outputs, infer(outputs, vocab, max_len), rewrite)
    if "constant_tests" not in disabled:
        outputs = constant_tests(outputs, infer(outputs, vocab, max_len), rewrite)
    embedded: set[int] = set()
    if "fold_embeddings" not in disabled:
        sets = infer(outputs, vocab, max_len)
        outputs, embedded = fold_embeddings(outputs, sets, embedded)
    if "fuse_maps" not in disabled:
        sets = infer(outputs, vocab, max_len)
        outputs = fuse_maps(outputs, sets, embedded, max_len)
    if "compact_numerical" not in disabled:
        sets = infer(outputs, vocab, max_len)
        outputs, embedded = compact_numerical(outputs, sets, embedded)
    sets = infer(outputs, vocab, max_len)
    live = {node.id for node in ir.ancestors(outputs)}
    embedded = {i for i in embedded if i in live}
    for node in ir.ancestors(outputs):
        if isinstance(node, (ir.Constant, ir.Tokens, ir.Indices)):
            embedded.add(node.id)
    return Lowered(outputs, sets, frozenset(embedded), vocab, max_len)
