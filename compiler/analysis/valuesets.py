"""Value-set inference: the finite set of values every s-op can take, and its encoding.

A compiled model is exact only on values it was built for, so before any weight is
written we enumerate, for every s-op, every value it can hold on any input of length
1..max_len over the vocabulary. Maps and sequence maps are applied to their operands'
value sets (combinations on which a function fails are impossible inputs and are
skipped, as the interpreter would never reach them on a valid input).

Each s-op also gets an encoding. Categorical (one direction per value) is the
default, because a one-hot can be moved by attention and looked up by an MLP
exactly. Numerical (one direction holding the number) is chosen when the user asks
for it, or when an aggregate may average several numbers: the mean is not one of
the source values, so it cannot be one-hot of them.

    >>> from rasp import ir
    >>> sets = infer((ir.LENGTH,), vocab=("a", "b"), max_len=3)
    >>> sets[ir.LENGTH.id].values
    (1, 2, 3)
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from rasp import ir
from compiler.analysis.refusals import cannot_average, never_succeeds, source_text, user_label
from compiler.analysis.means import mean_values
from compiler.analysis.probes import probe_map
from compiler.analysis.values import distinct_sorted, is_number, value_key
from compiler.errors import CompileError
from raspc.errors import RaspcError

CATEGORICAL = ir.Encoding.CATEGORICAL.value
NUMERICAL = ir.Encoding.NUMERICAL.value

#: Above this many operand combinations, a sequence map is not enumerated.
MAX_COMBINATIONS = 1_000_000


@dataclass(frozen=True)
class ValueSet:
    """What one s-op can hold.

    ``values`` are sorted and distinct (type-exactly: ``1``, ``1.0`` and ``True`` are
    three values, since the interpreter prints them differently). ``known`` is False
    when the set was too large to list (only numerical aggregates); such an s-op can
    be read by attention but not by an MLP.
    """

    values: tuple[Any, ...]
    encoding: str
    known: bool = True
    #: For a set too large to list: the least and greatest value it may hold, where
    #: known (a mean's lie within its source's; a map with a tolerance's are probed).
    low: float | None = None
    high: float | None = None

    @property
    def bounds(self) -> tuple[float, float] | None:
        """The least and greatest value, listed or not; None when unknown or not
        all numbers."""
        if self.known:
            numbers = [float(v) for v in self.values if is_number(v)]
            return (min(numbers), max(numbers)) if numbers and len(numbers) == len(self.values) else None
        return None if self.low is None or self.high is None else (self.low, self.high)

    @property
    def is_numeric(self) -> bool:
        return all(is_number(v) for v in self.values)

    @property
    def size(self) -> int:
        return len(self.values)


# ------------------------------------------------------------ selectors

def conjuncts(predicate: ir.Predicate) -> list[ir.Predicate]:
    """The leaves of a tree of ``and``s."""
    return ir.split_predicate(predicate, ir.PredAnd)


def _injective(fn, domain: Iterable[tuple]) -> bool:
    seen: set[tuple] = set()
    for args in domain:
        try:
            key = value_key(fn(*args))
        except Exception:  # an impossible combination: no value, no collision
            continue
        if key in seen:
            return False
        seen.add(key)
    return True


def position_injective(sop: ir.SOp, sets: dict[int, ValueSet]) -> bool:
    """True when no two positions of one input can hold the same value.

    ``indices`` is; so is an injective function of an s-op that includes an
    injective one among its operands.
    """
    if isinstance(sop, ir.Indices):
        return True
    if isinstance(sop, ir.Map):
        values = sets[sop.inner.id].values
        return position_injective(sop.inner, sets) and _injective(sop.fn, ((v,) for v in values))
    if isinstance(sop, ir.SequenceMap):
        if not any(position_injective(s, sets) for s in sop.inputs):
            return False
        domains = [sets[s.id].values for s in sop.inputs]
        if product_size(domains) > MAX_COMBINATIONS:
            return False
        return _injective(sop.fn, itertools.product(*domains))
    return False


def selects_at_most_one(select: ir.Selector, sets: dict[int, ValueSet]) -> bool:
    """Whether every query selects at most one key, provably from the graph.

    A conjunct ``key == query`` whose key s-op is position-injective matches at most
    one key position for any query value.
    """
    if not isinstance(select, ir.Select):
        return False
    for leaf in conjuncts(select.predicate):
        if isinstance(leaf, ir.Compare) and leaf.op == "==" and \
                position_injective(select.keys[leaf.key_slot], sets):
            return True
    return False


def _width_source(sop: ir.SOp):
    """(selector, the s-op's value as a function of that selector's width) when the
    s-op is a selector width or a chain of maps over one, else None. The compiler's
    width scratch (``1/(w+1)``) says so through ``value_of_width``."""
    if isinstance(sop, ir.SelectorWidth):
        return sop.selector, (lambda w: w)
    value_of_width = getattr(sop, "value_of_width", None)
    if value_of_width is not None:
        return sop.selector, value_of_width
    if isinstance(sop, ir.Map):
        found = _width_source(sop.inner)
        if found is not None:
            selector, inner = found
            return selector, (lambda w: sop.fn(inner(w)))
    return None


def _copies_counted(select: ir.Selector, sets: dict[int, ValueSet]) -> tuple[ir.SOp, int] | None:
    """(T, c) when ``select`` is ``T == T and P < P`` (or ``>``, ``<=``, ``>=``) for
    a position-injective P: its width at a position counts the copies of the
    position's T value that come before it (or after it) in P's order, and exactly
    one position per value of T has the least count c (0 for a strict order, 1
    otherwise)."""
    if not isinstance(select, ir.Select):
        return None
    leaves = conjuncts(select.predicate)
    if len(leaves) != 2 or not all(isinstance(leaf, ir.Compare) for leaf in leaves):
        return None
    equal = [leaf for leaf in leaves if leaf.op == "==" and leaf.key_map is leaf.query_map]
    order = [leaf for leaf in leaves if leaf.op in ("<", ">", "<=", ">=") and leaf.plain]
    if len(equal) != 1 or len(order) != 1:
        return None
    same, ordered = equal[0], order[0]
    value = select.keys[same.key_slot]
    position = select.keys[ordered.key_slot]
    if select.queries[same.query_slot] is not value or select.queries[ordered.query_slot] is not position:
        return None
    if not position_injective(position, sets):
        return None
    return value, (0 if ordered.op in ("<", ">") else 1)


def _first_copies_bound(leaf: ir.Compare, select: ir.Select, sets: dict[int, ValueSet],
                        max_len: int) -> int | None:
    """How many keys the comparison ``leaf`` lets through when it holds only where
    the key is a function of a copy count (``_copies_counted``) at its least value:
    one key per value of the counted s-op."""
    found = _width_source(select.keys[leaf.key_slot])
    if found is None:
        return None
    counted = _copies_counted(found[0], sets)
    if counted is None:
        return None
    value, least = counted
    query = select.queries[leaf.query_slot]
    if query.id not in sets or value.id not in sets:
        return None
    width_value = found[1]
    n_keys, n_queries = len(select.keys), len(select.queries)
    for width in range(max_len + 1):
        if width == least:
            continue
        try:
            key_value = width_value(width)
        except Exception:
            continue
        keys = tuple(key_value if s == leaf.key_slot else None for s in range(n_keys))
        for query_value in sets[query.id].values:
            queries = tuple(query_value if s == leaf.query_slot else None for s in range(n_queries))
            try:
                if leaf(keys, queries):
                    return None
            except Exception:
                continue
    return sets[value.id].size


def keys_bound(select: ir.Selector, sets: dict[int, ValueSet], max_len: int) -> int:
    """The most keys one query of ``select`` can select, provably from the graph.

    At most max_len; one for a conjunct ``key == query`` over a position-injective
    key; and, for a conjunct that passes only first copies (``is_first = select(
    earlier_copies, 0, ==)`` with ``earlier_copies`` counting earlier equal tokens),
    the number of values of the counted s-op: no two first copies share a value. An
    ``or`` of selectors selects at most the sum of their bounds.
    """
    if not isinstance(select, ir.Select):
        return max_len

    def leaf_bound(leaf) -> int:
        if not isinstance(leaf, ir.Compare):
            return max_len
        if leaf.op == "==" and position_injective(select.keys[leaf.key_slot], sets):
            return 1
        first_copies = _first_copies_bound(leaf, select, sets, max_len)
        return max_len if first_copies is None else min(max_len, first_copies)

    def bound(predicate) -> int:
        if isinstance(predicate, ir.PredOr):
            branches = ir.split_predicate(predicate, ir.PredOr)
            shared = set(conjuncts(branches[0])).intersection(*(conjuncts(b) for b in branches[1:]))
            together = min(max_len, sum(bound(b) for b in branches))
            return min([together] + [leaf_bound(leaf) for leaf in shared])
        return min([max_len] + [leaf_bound(leaf) for leaf in conjuncts(predicate)])

    return bound(select.predicate)


# ------------------------------------------------------------- inference

def product_size(domains: list[tuple]) -> int:
    """How many combinations of one value from each domain (an empty one counts once)."""
    size = 1
    for domain in domains:
        size *= max(len(domain), 1)
    return size


#: A function failing on a value with one of these says the value never reaches it
#: at run time (the interpreter would fail there): the value is skipped.
NEVER_REACHED = (RaspcError, ArithmeticError, TypeError, ValueError, KeyError, IndexError)


def _apply_all(node: ir.RaspExpr, fn, domains: list[tuple]) -> tuple[Any, ...]:
    if product_size(domains) > MAX_COMBINATIONS:
        raise CompileError(
            f"'{source_text(node)}': its operands have {product_size(domains):,} value combinations, "
            f"too many to enumerate; declare a tolerance (@tolerance {user_label(node)} ERROR), "
            f"or reduce the vocabulary or max_len", node.location)
    results = []
    first_failure = None
    for args in itertools.product(*domains):
        try:
            results.append(fn(*args))
        except NEVER_REACHED as failure:
            first_failure = first_failure or failure
            continue
    if not results and all(domains):
        raise never_succeeds(node, first_failure)
    return distinct_sorted(results)


def index_function(sop: ir.SOp):
    """``sop`` as a function of the position alone (indices, constants and maps of
    them), or None."""
    if isinstance(sop, ir.Indices):
        return lambda i: i
    if isinstance(sop, ir.Constant):
        value = sop.value
        return lambda i: value
    if isinstance(sop, ir.Map):
        inner = index_function(sop.inner)
        if inner is not None:
            fn = sop.fn
            return lambda i: fn(inner(i))
    return None


def _whole_sequence_means(node: ir.Aggregate, max_len: int):
    """A mean over every position of a function of the position takes one value
    per length: far fewer than the means of arbitrary multisets."""
    selector = node.selector
    if not (isinstance(selector, ir.Select) and isinstance(selector.predicate, ir.PredTrue)):
        return None
    per_index = index_function(node.sop)
    if per_index is None:
        return None
    values = []
    try:
        for n in range(1, max_len + 1):
            column = [per_index(i) for i in range(n)]
            values.append(column[0] if n == 1 else sum(column) * 1.0 / n)
    except (ArithmeticError, TypeError, ValueError, KeyError, IndexError):
        return None
    return distinct_sorted(values)


def position_function(sop: ir.SOp):
    """``sop`` as a function of (length, index) alone, or None.

    Such s-ops are related at one position (an index is always below the length),
    so a map over several of them never sees most of the combinations of their
    value sets; enumerating positions instead gives its exact domain."""
    if isinstance(sop, ir.Indices):
        return lambda n, i: i
    if isinstance(sop, ir.Length):
        return lambda n, i: n
    if isinstance(sop, ir.Constant):
        value = sop.value
        return lambda n, i: value
    if hasattr(sop, "position_value"):  # the compiler's own nodes (a length count)
        return sop.position_value
    if isinstance(sop, ir.Map):
        inner = position_function(sop.inner)
        if inner is not None:
            fn = sop.fn
            return lambda n, i: fn(inner(n, i))
    if isinstance(sop, ir.SequenceMap):
        parts = [position_function(s) for s in sop.inputs]
        if all(p is not None for p in parts):
            fn = sop.fn
            return lambda n, i: fn(*(p(n, i) for p in parts))
    return None


#: The comparisons of two indices that bound a selector's width at query position i
#: of a length-n input (``key OP query`` over key positions j < n).
_WIDTH_AT_POSITION: dict[str, Callable[[int, int], int]] = {
    "<=": lambda n, i: i + 1, "<": lambda n, i: i, ">=": lambda n, i: n - i, ">": lambda n, i: n - i - 1,
    "==": lambda n, i: 1, "!=": lambda n, i: n - 1,
}


def _position_limits(select: ir.Selector) -> list[Callable[[int, int], int]]:
    """Bounds on the width of ``select`` at each position: every conjunct comparing
    ``indices`` with ``indices`` passes at most that many keys."""
    if not isinstance(select, ir.Select):
        return []
    limits = []
    for leaf in conjuncts(select.predicate):
        if isinstance(leaf, ir.Compare) and leaf.plain and isinstance(select.keys[leaf.key_slot], ir.Indices) \
                and isinstance(select.queries[leaf.query_slot], ir.Indices):
            limits.append(_WIDTH_AT_POSITION[leaf.op])
    return limits


@dataclass(frozen=True)
class WidthAtPosition:
    """A selector width's (or a map of one's) possible values at query position i
    of a length-n input: those of widths 0..``most(n, i)`` (``values_up_to``)."""

    most: Callable[[int, int], int]
    values_up_to: Callable[[int], tuple]


def width_at_position(sop: ir.SOp, sets: dict[int, ValueSet]) -> WidthAtPosition | None:
    """For an s-op that is a selector width (or a map of one): its possible values
    at each position. A width is at most n, and at most i + 1 under
    ``select(indices, indices, <=)`` (a prefix; likewise for the other comparisons
    of indices), so at a given position it takes fewer values than over the whole
    input. None for other s-ops."""
    found = _width_source(sop)
    if found is None or sop.id not in sets or not sets[sop.id].known:
        return None
    selector, value_of_width = found
    allowed = {value_key(v) for v in sets[sop.id].values}
    limits = _position_limits(selector)
    listed: dict[int, tuple] = {}

    def values_up_to(most: int) -> tuple:
        if most not in listed:
            out = []
            for width in range(most + 1):
                try:
                    value = value_of_width(width)
                except NEVER_REACHED:
                    continue
                if value_key(value) in allowed:
                    out.append(value)
            listed[most] = tuple(out)
        return listed[most]

    return WidthAtPosition(lambda n, i: min([n] + [limit(n, i) for limit in limits]), values_up_to)


def possible_arguments(node: ir.SequenceMap, max_len: int, sets: dict[int, ValueSet] | None = None
                       ) -> list[tuple] | None:
    """Every argument tuple a sequence map can receive (at some position of some
    length), when its inputs are functions of the position and at most one selector
    width (``width_at_position``, given ``sets``); else None."""
    fixed: list[tuple[int, Callable]] = []
    width: tuple[int, WidthAtPosition] | None = None
    for k, operand in enumerate(node.inputs):
        function = position_function(operand)
        if function is not None:
            fixed.append((k, function))
            continue
        varying = width_at_position(operand, sets) if sets is not None and width is None else None
        if varying is None:
            return None
        width = (k, varying)
    # Per tuple of fixed values, the widest bound any position gives it: the widths
    # up to a bound include those up to any smaller one.
    widest: dict[tuple, tuple[list, int]] = {}
    for n in range(1, max_len + 1):
        for i in range(n):
            try:
                args = [None] * len(node.inputs)
                for k, function in fixed:
                    args[k] = function(n, i)
                most = width[1].most(n, i) if width is not None else 0
            except NEVER_REACHED:
                continue
            key = tuple(value_key(args[k]) for k, _ in fixed)
            if key not in widest or most > widest[key][1]:
                widest[key] = (args, most)
    found: dict[tuple, tuple] = {}
    for args, most in widest.values():
        for value in (width[1].values_up_to(most) if width is not None else (None,)):
            if width is not None:
                args[width[0]] = value
            found.setdefault(tuple(value_key(a) for a in args), tuple(args))
    return list(found.values())


def _aggregate_set(node: ir.Aggregate, sets: dict[int, ValueSet], max_len: int) -> ValueSet:
    source = sets[node.sop.id]
    hint = node.encoding_hint.value if node.encoding_hint else None
    numeric = source.known and source.is_numeric and is_number(node.default)
    single = selects_at_most_one(node.selector, sets)
    whole = _whole_sequence_means(node, max_len) if numeric and not single else None
    if whole is not None and hint != CATEGORICAL:
        return ValueSet(whole, NUMERICAL)
    if hint == NUMERICAL and any(isinstance(v, str) for v in source.values):
        raise cannot_average(node, source.values)
    if not numeric or not source.known:
        if not source.known:
            return _unlisted(source.bounds, node.default)
        # Strings and bools are never averaged (the interpreter refuses), so one
        # value moves: the source's values or the default.
        return ValueSet(distinct_sorted(source.values + (node.default,)), hint or CATEGORICAL)
    if single or hint == CATEGORICAL:
        encoding = NUMERICAL if source.encoding == NUMERICAL else (hint or CATEGORICAL)
        return ValueSet(distinct_sorted(source.values + (node.default,)), encoding)
    values, known = mean_values(source.values, node.default, max_len)
    return ValueSet(values, NUMERICAL) if known else _unlisted(source.bounds, node.default)


def _unlisted(bounds: tuple[float, float] | None, default: Any) -> ValueSet:
    """The set of a mean too varied to list: its bounds are its source's, and the
    default's."""
    if bounds is None or not is_number(default):
        return ValueSet((), NUMERICAL, known=False)
    return ValueSet((), NUMERICAL, known=False, low=min(bounds[0], float(default)),
                    high=max(bounds[1], float(default)))


def probed_set(node: ir.Map | ir.SequenceMap, domains: list[ValueSet]) -> ValueSet:
    """The value set of a map with a tolerance (``compiler.analysis.probes``): one
    that gives numbers is numerical and unlisted, with the bounds of its probed
    results; one hinted categorical, or giving other values, its probed results."""
    operands = [(d.values, d.bounds, d.encoding == NUMERICAL) for d in domains]
    results = probe_map(node.fn, node.label, operands, NEVER_REACHED)
    numbers = [float(r) for r in results if is_number(r)]
    if node.encoding_hint == ir.Encoding.CATEGORICAL or not numbers or len(numbers) != len(results):
        return ValueSet(distinct_sorted(results), CATEGORICAL)
    return ValueSet((), NUMERICAL, known=False, low=min(numbers), high=max(numbers))


def _infer_node(node: ir.RaspExpr, sets: dict[int, ValueSet], vocab: tuple, max_len: int) -> ValueSet | None:
    hint = node.encoding_hint.value if node.encoding_hint else None
    encoding = hint or CATEGORICAL
    if hasattr(node, "infer_values"):  # the compiler's own nodes know their values
        return node.infer_values(max_len, sets)
    if isinstance(node, ir.Tokens):
        return ValueSet(distinct_sorted(vocab), encoding)
    if isinstance(node, ir.Indices):
        return ValueSet(tuple(range(max_len)), encoding)
    if isinstance(node, ir.Length):
        return ValueSet(tuple(range(1, max_len + 1)), encoding)
    if isinstance(node, ir.Constant):
        return ValueSet((node.value,), encoding)
    if isinstance(node, ir.SelectorWidth):
        return ValueSet(tuple(range(0, keys_bound(node.selector, sets, max_len) + 1)), encoding)
    if isinstance(node, (ir.Map, ir.SequenceMap)):
        operands = node.children
        domains = [sets[s.id] for s in operands]
        if node.tolerance is not None and (not all(d.known for d in domains)
                                           or product_size([d.values for d in domains]) > MAX_COMBINATIONS):
            return probed_set(node, domains)
        for operand in operands:
            if not sets[operand.id].known:
                raise CompileError(
                    f"'{source_text(node)}' reads {user_label(operand)}, whose values cannot be listed "
                    f"(an average over too many combinations); declare a tolerance "
                    f"(@tolerance {user_label(node)} ERROR), mark it categorical or lower max_len",
                    node.location)
        possible = possible_arguments(node, max_len, sets) if isinstance(node, ir.SequenceMap) else None
        if possible is not None:
            values = _apply_all(node, lambda args: node.fn(*args), [tuple(possible)])
        else:
            values = _apply_all(node, node.fn, [sets[s.id].values for s in operands])
        return ValueSet(values, encoding)
    if isinstance(node, ir.Aggregate):
        return _aggregate_set(node, sets, max_len)
    return None  # selectors have no values


def infer(roots, vocab, max_len: int, known: dict[int, ValueSet] | None = None) -> dict[int, ValueSet]:
    """Every s-op's ValueSet, by node id, for the graph under ``roots``.

    ``known`` carries sets across calls for one vocabulary and max_len within one
    lowering, where nodes never change once built: a node's set is then fixed by
    its id, and lowering, which infers the graph after every pass, only infers the
    nodes a pass made. Sets found there are reused; new ones are added to it.

    Selectors are not in the result. Raises CompileError when a set cannot be
    enumerated.
    """
    if isinstance(roots, ir.RaspExpr):
        roots = (roots,)
    vocab = tuple(vocab)
    sets: dict[int, ValueSet] = {}
    for node in ir.ancestors(tuple(roots)):
        found = known.get(node.id) if known is not None else None
        if found is None:
            found = _infer_node(node, sets, vocab, max_len)
        if found is not None:
            sets[node.id] = found
    if known is not None:
        known.update(sets)
    return sets
