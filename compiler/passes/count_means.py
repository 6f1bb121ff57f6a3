"""``count_means``: means of 0/1 s-ops rewritten as selector widths.

Programs written for the original interpreter count with means: the mean of a
0/1 s-op over a selector is (how many selected keys hold 1) / (how many keys are
selected). Compiled literally, such a mean is a numerical s-op whose value set is
every fraction p/m with m <= max_len (about max_len^2 / 3 values), and every map
that reads it (``round((indices+1) * mean)``) needs an MLP over that whole grid.
Both counts are selector widths, whose value sets are just 0..max_len and which
the width construction computes exactly; so where one of the two counts is known
without attention, the mean becomes an ordinary map of one width.

Two forms are recognised, each by checking the identity on every position of
every length, not by the shape of the source text:

* The denominator is a function of the query's index alone (the selector reads
  only indices, length and constants: ``select(indices, indices, <=)`` selects
  i+1 keys): the mean is ``w / m(i)``, w the width of ``selector and source == 1``.
  (Where the count depends on the length as well, the direct mean is kept: a
  second width would cost a layer.)
* The source is 1 at position 0 and 0 elsewhere, and the selector is ``S or P``
  with P a key-side test that holds at position 0 alone: exactly one selected key
  holds 1, so the mean is ``1 / (1 + w)``, w the width of ``S and not P`` (the
  original paper's way of counting with a beginning-of-sequence token).

A map that only asks whether the mean is positive (``aggregate(s, x) > 0``:
"does any selected key hold 1") reads the width of ``s and x == 1`` instead,
whatever the denominator.

Each result reproduces the interpreter's arithmetic (one selected value passes
unchanged; several give ``sum * 1.0 / count``), so values agree type-exactly.
"""
from __future__ import annotations

from typing import Any

from compiler.analysis.valuesets import CATEGORICAL, ValueSet, is_number, position_function, value_key
from compiler.passes.graph import Graph
from compiler.passes.rewriting import rewrite
from rasp import ir

Table = dict[tuple[int, int], Any]


def _shown(value: Any) -> str:
    """A value as it appears in a map's description (a format string)."""
    return repr(value).replace("{", "{{").replace("}", "}}")


def _and_each(predicate: ir.Predicate, extra: ir.Predicate) -> ir.Predicate:
    """``predicate and extra`` with the ``and`` pushed into every disjunct, so that
    an ``or`` of disjoint parts stays an ``or`` at the top (widths then add)."""
    parts = ir.split_predicate(predicate, ir.PredOr)
    return ir.join_predicates([ir.PredAnd(part, extra) for part in parts], ir.PredOr)


def _position_table(sop: ir.SOp, max_len: int) -> Table | None:
    """``sop``'s value at every (length, index), or None when it is not a function
    of the position alone or fails somewhere."""
    fn = position_function(sop)
    if fn is None:
        return None
    try:
        return {(n, i): fn(n, i) for n in range(1, max_len + 1) for i in range(n)}
    except Exception:
        return None


def _widths_by_position(select: ir.Select, max_len: int) -> Table | None:
    """How many keys the selector selects at every (length, query index), when
    all its operands are functions of the position alone."""
    keys = [_position_table(s, max_len) for s in select.keys]
    queries = [_position_table(s, max_len) for s in select.queries]
    if any(t is None for t in keys + queries):
        return None
    widths: Table = {}
    try:
        for n in range(1, max_len + 1):
            for i in range(n):
                query = tuple(t[(n, i)] for t in queries)
                widths[(n, i)] = sum(bool(select.predicate(tuple(t[(n, j)] for t in keys), query))
                                     for j in range(n))
    except Exception:
        return None
    return widths


def _interpreter_mean(ones: int, count: int, one: Any, zero: Any, default: Any) -> Any:
    """The interpreter's aggregate of ``ones`` copies of ``one`` and the rest
    ``zero`` among ``count`` selected values."""
    if ones > count or ones < 0:
        raise ValueError("more selected ones than selected keys")
    if count == 0:
        return default
    values = [one] * ones + [zero] * (count - ones)
    if count == 1:
        return values[0]
    return sum(values) * 1.0 / count


def _zero_one(values: tuple) -> tuple[Any, Any] | None:
    """(the value equal to 0, the value equal to 1) when ``values`` are numbers
    among 0 and 1 (either may be missing: None)."""
    if not values or not all(is_number(v) for v in values) or len(values) > 2:
        return None
    zero = next((v for v in values if v == 0), None)
    one = next((v for v in values if v == 1), None)
    if sum(v is not None for v in (zero, one)) != len(values):
        return None
    return zero, one


def _counted_mean(node: ir.Aggregate, source_set: ValueSet, max_len: int) -> ir.SOp | None:
    """The mean over a selector of position functions, as ``w / m(i)``."""
    select = node.selector
    found = _zero_one(source_set.values)
    if found is None or not is_number(node.default):
        return None
    zero, one = found
    if one is None or _position_table(node.sop, max_len) is not None:
        return None  # a mean of a position function over one is itself one: nothing to count
    widths = _widths_by_position(select, max_len)
    if widths is None:
        return None
    by_index = {}
    for (n, i), m in widths.items():
        by_index.setdefault(i, set()).add(m)
    if any(len(ms) > 1 for ms in by_index.values()):
        return None  # the count depends on the length too: a second width, a layer more
    per_index = {i: ms.pop() for i, ms in by_index.items()}
    source = node.sop
    keys = tuple(select.keys) + (source,)
    queries = tuple(select.queries) + (ir.Constant(value=one),)
    counted = ir.Select(keys=keys, queries=queries,
                        predicate=ir.PredAnd(select.predicate, ir.Compare("==", len(keys) - 1, len(queries) - 1)))
    counted.location = node.location
    width = ir.SelectorWidth(selector=counted, location=node.location)
    width.name = f"{node.label}_ones"
    default, zero = node.default, (zero if zero is not None else one - 1)

    def mean(w, i):
        return _interpreter_mean(w, per_index[i], one, zero, default)
    return ir.SequenceMap(fn=mean, inputs=(width, ir.INDICES), description="{0} / width({1})")


def _only_first_position(predicate: ir.Predicate, select: ir.Select, max_len: int) -> bool:
    """True when ``predicate`` reads only key slots that are position functions and
    query slots that are constants, and holds at key position 0 alone."""
    key_slots, query_slots = ir.slots_read(predicate)
    if not all(isinstance(select.queries[q], ir.Constant) for q in query_slots):
        return False
    tables = {k: _position_table(select.keys[k], max_len) for k in key_slots}
    if any(t is None for t in tables.values()):
        return False
    query = tuple(q.value if isinstance(q, ir.Constant) else None for q in select.queries)
    try:
        for n in range(1, max_len + 1):
            for j in range(n):
                key = tuple(tables[k][(n, j)] if k in tables else None for k in range(len(select.keys)))
                if bool(predicate(key, query)) != (j == 0):
                    return False
    except Exception:
        return False
    return True


def _first_position_mean(node: ir.Aggregate, max_len: int) -> ir.SOp | None:
    """``aggregate(S or P, x)`` with x 1 at position 0 and 0 elsewhere and P true
    at key position 0 alone: ``1 / (1 + width(S and not P))``."""
    select = node.selector
    table = _position_table(node.sop, max_len)
    if table is None or not all(is_number(v) for v in table.values()):
        return None
    one = table[(1, 0)]
    if one != 1 or any((v != 1) if i == 0 else (v != 0) for (n, i), v in table.items()):
        return None
    zeros = [v for (n, i), v in table.items() if i > 0]
    zero = zeros[0] if zeros else 0
    if any(value_key(v) != value_key(zero) for v in zeros) or any(
            value_key(v) != value_key(one) for (n, i), v in table.items() if i == 0):
        return None
    parts = ir.split_predicate(select.predicate, ir.PredOr)
    for k, part in enumerate(parts):
        if len(parts) < 2 or not _only_first_position(part, select, max_len):
            continue
        rest = ir.join_predicates(parts[:k] + parts[k + 1:], ir.PredOr)
        others = ir.Select(keys=select.keys, queries=select.queries,
                           predicate=_and_each(rest, ir.PredNot(part)))
        width = ir.SelectorWidth(selector=others)
        width.name = f"{node.label}_others"

        def mean(w):
            return _interpreter_mean(1, w + 1, one, zero, 0)
        return ir.Map(fn=mean, inner=width, description="1 / (1 + {0})")
    return None


def _sign_only(node: ir.Map, aggregate: ir.Aggregate, source_set: ValueSet, max_len: int) -> ir.SOp | None:
    """``f(mean)`` where f takes one value whenever some selected key holds 1 and
    another whenever none does (``mean > 0``): ``f`` of whether the width of
    ``selector and source == 1`` is positive."""
    found = _zero_one(source_set.values)
    if found is None or not isinstance(aggregate.selector, ir.Select) or not is_number(aggregate.default):
        return None
    zero, one = found
    if one is None:
        return None
    zero = zero if zero is not None else one - 1
    try:
        positive = {value_key(node.fn(_interpreter_mean(w, m, one, zero, aggregate.default)))
                    for m in range(1, max_len + 1) for w in range(1, m + 1)}
        none = {value_key(node.fn(_interpreter_mean(0, m, one, zero, aggregate.default)))
                for m in range(0, max_len + 1)}
        if len(positive) != 1 or len(none) != 1:
            return None
        when_some = node.fn(_interpreter_mean(1, 1, one, zero, aggregate.default))
        when_none = node.fn(_interpreter_mean(0, 0, one, zero, aggregate.default))
    except Exception:
        return None
    select = aggregate.selector
    keys = tuple(select.keys) + (aggregate.sop,)
    queries = tuple(select.queries) + (ir.Constant(value=one),)
    counted = ir.Select(keys=keys, queries=queries,
                        predicate=ir.PredAnd(select.predicate, ir.Compare("==", len(keys) - 1, len(queries) - 1)))
    counted.location = aggregate.location
    width = ir.SelectorWidth(selector=counted, location=aggregate.location)
    width.name = f"{aggregate.label}_ones"
    # The mean is computed again here, by the width, not read: an intervention on it reaches this map only if
    # this map is patched too (it is a function of the mean alone).
    return ir.Map(fn=lambda w: when_some if w > 0 else when_none, inner=width,
                  description="{0} > 0 ? " + _shown(when_some) + " : " + _shown(when_none),
                  inlined=frozenset({aggregate.label}) | aggregate.inlined,
                  function_of=frozenset({aggregate.label}) | aggregate.function_of)


def sign_tests_as_widths(graph: Graph) -> Graph:
    """A map of a mean of a 0/1 s-op that only asks whether any selected key holds 1
    (``aggregate(same, indicator(x)) > 0``) reads a selector width instead: two
    values where the mean had one per fraction."""
    sets, max_len = graph.sets, graph.max_len

    def visit(node, original):
        if not isinstance(node, ir.Map) or not isinstance(node.inner, ir.Aggregate) \
                or not isinstance(original.inner, ir.Aggregate):
            return None
        inner = original.inner
        if inner.encoding_hint is not None or sets[inner.id].encoding == CATEGORICAL:
            return None
        replacement = _sign_only(node, node.inner, sets[inner.sop.id], max_len)
        if replacement is None:
            return None
        return replacement.replacing(node)

    return graph.rewritten(rewrite(graph.outputs, visit))


def means_as_widths(graph: Graph) -> Graph:
    """Every mean of a 0/1 s-op that one of the two forms above covers, as a map
    of a selector width."""
    sets, max_len = graph.sets, graph.max_len

    def visit(node, original):
        if (not isinstance(node, ir.Aggregate) or not isinstance(node.selector, ir.Select)
                or node.encoding_hint is not None or sets[original.id].encoding == CATEGORICAL):
            return None
        replacement = (_first_position_mean(node, max_len)
                       or _counted_mean(node, sets[original.sop.id], max_len))
        if replacement is None:
            return None
        replacement.name = node.name
        replacement.encoding_hint = ir.Encoding.NUMERICAL  # a mean stays one number, as before
        return replacement

    return graph.rewritten(rewrite(graph.outputs, visit))
