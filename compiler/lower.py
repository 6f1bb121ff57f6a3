"""Graph passes that turn a staged program into one the constructions can build cheaply.

Each pass is a pure function from output s-ops to new output s-ops (nodes are never
mutated; a changed node is rebuilt, and so is everything downstream of it). Passes
that only save space or depth can be switched off by name, which is how the tests
show that each one preserves the program's meaning:

* ``fold_embeddings``: a function of ``tokens`` alone (or ``indices`` alone) is
  written straight into the embedding table: no MLP, no layer.
* ``fuse_maps``: a chain of elementwise maps becomes one MLP over the chain's
  original operands, when that does not widen the MLP much. Two MLPs in a row would
  cost two layers. Under the same switch, the width of an ``or`` of two selectors
  that never both hold (a lexicographic order) becomes the sum of two widths: two
  heads that decompose and one MLP, instead of a head over joint s-ops.
* ``dead_code``: only what the output needs is compiled (switched off, every named
  s-op of the program is kept).
* ``compact_numerical``: a categorical s-op of numbers that is only ever averaged
  is stored as one numerical direction.
* ``share_heads``, ``reuse_residual``: applied later (in assembly and layout);
  their names are listed here so one switch list covers all.

Three rewrites always run, because the constructions need them: a selector whose
predicate one head cannot compute from separate key/query tables (``or`` across
slots) is rewritten to read one joint key s-op and one joint query s-op (tuples),
over which any predicate is a single table; a numerical s-op read by a selector
gets a categorical copy; and ``selector_width``/``length`` become a head writing
``1/(w+1)`` plus an ordinary map decoding it, so that maps reading a width fuse
with its decoding (``length - indices - 1`` costs no extra layer).
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any, Callable

from rasp import ir
from rasp.valuesets import (CATEGORICAL, NUMERICAL, ValueSet, categorical_readers, conjuncts, infer,
                            value_key)

PASSES = ("fuse_maps", "fold_embeddings", "share_heads", "dead_code", "reuse_residual",
          "compact_numerical")

#: A fused MLP may read this many operand combinations, or as many as its parts did.
FUSE_LIMIT = 512


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


def _with_identity(new: ir.RaspExpr, old: ir.RaspExpr) -> ir.RaspExpr:
    new.name = old.name
    if old.encoding_hint is not None:
        new.encoding_hint = old.encoding_hint
    return new


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
        return _with_identity(ir.Constant(value=expansion.fn()), original)
    if len(expansion.frontier) == 1:
        node = ir.Map(fn=expansion.fn, inner=expansion.frontier[0], description=expansion.text)
    else:
        node = ir.SequenceMap(fn=expansion.fn, inputs=expansion.frontier, description=expansion.text)
    return _with_identity(node, original)


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


def fuse_maps(outputs: tuple[ir.SOp, ...], sets: dict[int, ValueSet],
              embedded: set[int]) -> tuple[ir.SOp, ...]:
    """Inline elementwise operands into their readers, operand by operand, while the
    fused MLP's domain stays within max(FUSE_LIMIT, the reader's own domain)."""
    expansions: dict[int, Expansion] = {}
    origin: dict[int, int] = {}

    def size(frontier) -> int:
        return _domain([sets_by_origin(s) for s in frontier])

    def sets_by_origin(sop):
        return sets[origin.get(sop.id, sop.id)]

    def own(node) -> Expansion:
        return expansions.get(node.id) or (_constant(node) if isinstance(node, ir.Constant) else _leaf(node))

    def visit(node, original):
        origin[node.id] = original.id
        if not isinstance(node, ELEMENTWISE) or original.id in embedded:
            return None
        parts = [_leaf(c) if not isinstance(c, ir.Constant) else _constant(c) for c in node.children]
        budget = max(FUSE_LIMIT, size([c for c in node.children if not isinstance(c, ir.Constant)]))
        for k, child in enumerate(node.children):
            if isinstance(child, ELEMENTWISE) and origin.get(child.id, child.id) not in embedded:
                trial = parts[:k] + [own(child)] + parts[k + 1:]
                if size(_merge(node, trial).frontier) <= budget:
                    parts = trial
        expansion = _merge(node, parts)
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
    from compiler.attention import decomposes

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
        return _with_identity(ir.Select(keys=keys, queries=queries, predicate=predicate), node)

    return rewrite(outputs, visit)


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

    def infer_values(self, max_len: int, sets: dict[int, ValueSet] | None = None) -> ValueSet:
        least = 1 if self.counts_length or (sets is not None and selects_itself(self.selector, sets)) else 0
        widths = range(least, max_len + 1)
        return ValueSet(tuple(sorted(1.0 / (w + 1) for w in widths)), NUMERICAL)


@dataclass(eq=False)
class WidthDecode(ir.Map):
    """w from ``1 / (w + 1)``: built by the dedicated width decoder when it stands
    alone, inlined into its readers' MLPs by ``fuse_maps`` otherwise.

    Its values are every width 0..max_len (1..max_len for a length), even where
    the scratch is known to skip 0: the decoder is cheapest over the full range."""

    def infer_values(self, max_len: int, sets: dict[int, ValueSet] | None = None) -> ValueSet:
        least = 1 if self.inner.counts_length else 0
        hint = self.encoding_hint.value if self.encoding_hint else CATEGORICAL
        return ValueSet(tuple(range(least, max_len + 1)), hint)


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
                return _with_identity(_width_sum(selects, max_len), node)
            scratch = WidthScratch(selector=node.selector)
        elif isinstance(node, ir.Length):
            scratch = WidthScratch(selector=ir.Select(predicate=ir.PredTrue()), counts_length=True)
        else:
            return None
        scratch.name = f"{node.label}_scratch"
        decode = WidthDecode(fn=_decode_width, inner=scratch, description="1 / {0} - 1")
        return _with_identity(decode, node)

    return rewrite(outputs, visit)


def _width_sum(parts: list[ir.Select], max_len: int) -> ir.SOp:
    scratches = []
    for k, part in enumerate(parts):
        scratch = WidthScratch(selector=part)
        scratch.name = f"width_part{k}_{part.id}"
        scratches.append(scratch)

    def total(*fractions):
        count = sum(_decode_width(f) for f in fractions)
        if count > max_len:  # disjoint selections never select more than n keys
            raise ValueError("more keys than positions")
        return count

    text = " + ".join(f"(1 / {{{k}}} - 1)" for k in range(len(parts)))
    return ir.SequenceMap(fn=total, inputs=tuple(scratches), description=text)


def disjoint_parts(select: ir.Selector, sets: dict[int, ValueSet], limit: int = 3) -> list | None:
    """The selector's predicate as an ``or`` of pairwise disjoint predicates that
    each decompose, or None."""
    from compiler.attention import decomposes

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
    from compiler.schedule import operands

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
            and all(s is not node for s in operands(r) if s is not r.sop) for r in found)

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
        return _with_identity(dataclasses.replace(node, keys=children[:n_keys], queries=children[n_keys:]), node)

    return rewrite(outputs, visit)


# ---------------------------------------------------------------- pipeline

def lower(outputs: tuple[ir.SOp, ...], vocab, max_len: int,
          disabled: tuple[str, ...] = ()) -> Lowered:
    """Run every enabled pass, then infer the final graph's value sets."""
    unknown = [name for name in disabled if name not in PASSES]
    if unknown:
        from rasp.errors import CompileError
        raise CompileError(f"unknown compiler pass {unknown[0]!r}; passes are {', '.join(PASSES)}")
    vocab = tuple(vocab)
    outputs = tuple(outputs)
    if "fuse_maps" not in disabled:
        outputs = split_widths(outputs, infer(outputs, vocab, max_len), max_len)
    outputs = split_selects(outputs)
    outputs = split_widths(outputs)
    # Copies first, so that folding and fusing treat them like any other map.
    outputs = categorical_copies(outputs, infer(outputs, vocab, max_len))
    embedded: set[int] = set()
    if "fold_embeddings" not in disabled:
        sets = infer(outputs, vocab, max_len)
        outputs, embedded = fold_embeddings(outputs, sets, embedded)
    if "fuse_maps" not in disabled:
        sets = infer(outputs, vocab, max_len)
        outputs = fuse_maps(outputs, sets, embedded)
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
