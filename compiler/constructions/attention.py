"""Attention heads for ``aggregate``: exact selection at every length up to max_len.

Scores are penalties. A selected key scores exactly 0; every false literal of the
selector costs ``-T``; the BOS key scores ``-beta`` (0 < beta < T) for every real
query. So with ``k >= 1`` keys selected, each gets weight ``(1 - leak) / k``
exactly (equal scores), and with none selected, BOS takes nearly all the weight and
writes the default. The penalty form matters in float32: a selected key's score
is a sum of exact zeros (its one-hot entry meets a zero of the table), not a
difference of large numbers, so the weights of a mean are equal to the last bit.

Leak bounds (n <= max_len real positions):

* something selected: weight off the selected keys <= e^-beta + n e^-T;
* nothing selected:   weight off BOS               <= n e^-(T - beta).

``beta = ln(2 / eta)`` and ``T = beta + ln(2 max_len / eta)`` make both at most
``eta``; ``eta`` is 1e-9, smaller still for numerical means over a wide value range
(the error of a mean is at most ``leak * range``).

Position 0 (BOS): s-op spaces are zero there (MLP blocks gate themselves off at
BOS). The BOS query attends to the BOS key (a penalty ``-2 beta`` on every real key,
read through the first key space's one-hot), so the head writes exactly the
default's encoding at BOS; ``bos_cleanup`` gives the one-unit MLP block that
removes it, which keeps the zero-at-BOS convention for later heads that use this
output as a key or value.

``Margin.value`` is the worst-case deviation of the output from its exact encoding
(categorical: of any coordinate from the one-hot, argmax exact below 0.5;
numerical: of the value), in exact arithmetic, for exact inputs.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from compiler.constructions.blocks import (BOS, ONE, FactoredQKTerm, HeadBlock, Margin, MLPBlock, OVTerm,
                                          QKTerm, Space, Value)
from compiler.constructions.encoding import encode
from rasp import ir
from compiler.errors import CompileError
from runtime.model import CATEGORICAL

# The attention leak every head is built for (see the module docstring).
LEAK = 1e-9


# ------------------------------------------------------------ predicates

def _slot_pairs(predicate: ir.Predicate) -> set[tuple[int, int]]:
    """The (key slot, query slot) pairs a predicate reads."""
    if isinstance(predicate, ir.Compare):
        return {(predicate.key_slot, predicate.query_slot)}
    if isinstance(predicate, (ir.PredAnd, ir.PredOr)):
        return _slot_pairs(predicate.left) | _slot_pairs(predicate.right)
    if isinstance(predicate, ir.PredNot):
        return _slot_pairs(predicate.inner)
    return set()


def _conjuncts(predicate: ir.Predicate) -> list[ir.Predicate] | None:
    """The predicate as a conjunction of parts that each read at most one
    (key slot, query slot) pair, or None when it is not one."""
    if not isinstance(predicate, (ir.Compare, ir.PredAnd, ir.PredOr, ir.PredNot, ir.PredTrue)):
        return None  # a predicate of another kind is only read as a whole table
    if isinstance(predicate, ir.PredAnd):
        left, right = _conjuncts(predicate.left), _conjuncts(predicate.right)
        return None if left is None or right is None else left + right
    if isinstance(predicate, ir.PredNot):
        inner = predicate.inner
        if isinstance(inner, ir.PredNot):
            return _conjuncts(inner.inner)
        if isinstance(inner, ir.PredOr):  # not (a or b) = not a and not b
            return _conjuncts(ir.PredAnd(ir.PredNot(inner.left), ir.PredNot(inner.right)))
    if len(_slot_pairs(predicate)) <= 1:
        return [predicate]
    return None


def decomposes(predicate: ir.Predicate) -> bool:
    """True when one head computes ``predicate`` over per-slot categorical spaces:
    a conjunction (after pushing ``not`` through ``or``) whose parts each read one
    key slot and one query slot. That covers PredTrue, a Compare, its negation,
    and ``and`` trees of them; an ``or`` is fine when both sides read the same pair
    of slots. Selected keys are those with no false part."""
    return _conjuncts(predicate) is not None


def _slot_values(value: Any) -> tuple:
    """A joint space's value is the tuple of its slots' values; a plain space's
    value is a single slot."""
    return value if isinstance(value, tuple) else (value,)


def _pair_table(parts: Sequence[ir.Predicate], key_slot: int, query_slot: int, keys: Space,
                queries: Space, n_keys: int, n_queries: int) -> np.ndarray:
    """``table[u, v]`` = every part holds for query value u, key value v."""
    table = np.ones((queries.width, keys.width), dtype=bool)
    for u, q in enumerate(queries.values):
        query = tuple(q if s == query_slot else None for s in range(n_queries))
        for v, k in enumerate(keys.values):
            key = tuple(k if s == key_slot else None for s in range(n_keys))
            table[u, v] = all(bool(part(key, query)) for part in parts)
    return table


def _truth_tables(select: ir.Select, keys: Sequence[Space], queries: Sequence[Space]
                  ) -> tuple[list[tuple[int, int, np.ndarray]], bool]:
    """The selector as tables over (query space, key space) pairs that must all
    hold, and whether it selects nothing at all (a constant-false part)."""
    for space in tuple(keys) + tuple(queries):
        if space.encoding != CATEGORICAL:
            raise CompileError(f"select {select.label}: {space.name} must be categorical to be compared "
                               f"in attention (convert it with a map first)")
    parts = _conjuncts(select.predicate)
    per_slot = len(keys) == len(select.keys) and len(queries) == len(select.queries)
    if parts is not None and per_slot:
        by_pair: dict[tuple[int, int], list[ir.Predicate]] = {}
        never = False
        for part in parts:
            pairs = _slot_pairs(part)
            if not pairs:
                never = never or not bool(part((), ()))
                continue
            by_pair.setdefault(next(iter(pairs)), []).append(part)
        tables = [(q, k, _pair_table(ps, k, q, keys[k], queries[q], len(keys), len(queries)))
                  for (k, q), ps in sorted(by_pair.items())]
        return tables, never
    if len(keys) == 1 and len(queries) == 1:
        table = np.array([[bool(select.predicate(_slot_values(k), _slot_values(q))) for k in keys[0].values]
                          for q in queries[0].values], dtype=bool).reshape(queries[0].width, keys[0].width)
        return [(0, 0, table)], False
    raise CompileError(f"select {select.label}: its predicate does not decompose over its slots; it needs "
                       f"one joint key space and one joint query space")


def temperatures(max_len: int, leak: float = LEAK) -> tuple[float, float]:
    """(beta, T): BOS's penalty and one false literal's penalty for a given leak."""
    beta = math.log(2.0 / leak)
    return beta, beta + math.log(2.0 * max(max_len, 1) / leak)


def equality_classes(table: np.ndarray) -> tuple[list[int | None], list[int | None], int] | None:
    """``(class of each query value, class of each key value, number of classes)``
    when ``table`` says "same class": the true entries of each row (and column) are
    all of one class and no others, as for ``==`` through any maps. A value that
    matches nothing has class None. None when the table is not of that kind."""
    row_sets: dict[tuple[int, ...], int] = {}
    row_class: list[int | None] = []
    for row in table:
        true = tuple(int(v) for v in np.flatnonzero(row))
        if not true:
            row_class.append(None)
            continue
        row_class.append(row_sets.setdefault(true, len(row_sets)))
    col_class: list[int | None] = [None] * table.shape[1]
    for true, found in row_sets.items():
        for v in true:
            if col_class[v] is not None:
                return None  # two different rows share a key value: not disjoint classes
            col_class[v] = found
    return row_class, col_class, len(row_sets)


def digit_code(symbols: int) -> tuple[int, int]:
    """``(base, digits)`` with ``base ** digits >= symbols`` and the fewest
    ``base * digits`` directions (one digit in base ``symbols``: the one-hot itself,
    when no split is narrower)."""
    best = (symbols, 1)
    for digits in range(2, max(2, symbols.bit_length()) + 1):
        base = max(2, math.ceil(symbols ** (1.0 / digits) - 1e-9))
        while base ** digits < symbols:
            base += 1
        if base * digits < best[0] * best[1]:
            best = (base, digits)
    return best


def narrow_equality(table: np.ndarray, query: Space, key: Space, penalty: float) -> FactoredQKTerm | None:
    """An equality table over wide spaces as a few digits: ``-penalty`` for each
    digit of the class codes that differs, 0 when all agree. None where that is not
    at most half as wide as the narrower space.

    Each class gets a code in base b with D digits; values matching nothing get
    codes no class has (one for queries, one for keys). The query side reads the
    one-hot of each digit (``left``: 0 or 1), the key side ``-penalty`` on every
    other value of that digit (``right``), so a selected key scores a sum of exact
    zeros, as in the table it replaces, and any other key at most ``-penalty``.
    The head is then ``b * D`` directions wide instead of one per value: an index
    equality at max_len 64 takes 12 (four digits in base 3) instead of 65. The key
    side reads up to every value's entry, so rounding noise in a one-hot moves a
    score by that many entries' noise: used for heads whose output is categorical,
    where only the argmax must survive."""
    found = equality_classes(table)
    if found is None:
        return None
    row_class, col_class, classes = found
    base, digits = digit_code(classes + 2)
    if 2 * base * digits > min(query.width, key.width):
        return None
    query_codes = [classes if c is None else c for c in row_class]
    key_codes = [classes + 1 if c is None else c for c in col_class]
    left = np.zeros((query.width, base * digits))
    right = np.full((key.width, base * digits), -penalty)
    for place in range(digits):
        for u, code in enumerate(query_codes):
            left[u, place * base + (code // base ** place) % base] = 1.0
        for v, code in enumerate(key_codes):
            right[v, place * base + (code // base ** place) % base] = 0.0
    return FactoredQKTerm(query, key, left, right)


def selection_terms(select: ir.Select, keys: Sequence[Space], queries: Sequence[Space],
                    penalty: float, narrow: bool = False) -> list[QKTerm | FactoredQKTerm]:
    """Score terms giving 0 to selected keys and at most ``-penalty`` to the others
    (a pair's table costs ``-penalty`` where any of its parts is false).

    With ``narrow``, a wide equality table becomes a few digits (``narrow_equality``).

    A table is written by its false entries, each ``-penalty``; or, where the true
    entries are a small fraction (at most a fifth: an equality), by those, each
    ``+penalty``, on top of ``-penalty`` for every pair of real positions
    (``real_pair_terms``). The score then reads as
    few one-hot entries as possible, so that rounding noise in the one-hots an MLP
    wrote moves it by the noise of one or two entries, not by the sum over the
    whole value set: an equality over 192 values reads the entry that matches."""
    tables, never = _truth_tables(select, keys, queries)
    terms = []
    lifted = 0
    for q, k, table in tables:
        if table.all():
            continue
        digits = narrow_equality(table, queries[q], keys[k], penalty) if narrow else None
        if digits is not None:
            terms.append(digits)
        elif 4 * np.count_nonzero(table) <= np.count_nonzero(~table):
            terms.append(QKTerm(queries[q], keys[k], np.where(table, penalty, 0.0)))
            lifted += 1
        else:
            terms.append(QKTerm(queries[q], keys[k], np.where(table, 0.0, -penalty)))
    if lifted:
        terms.extend(real_pair_terms(-penalty * lifted))
    if never:  # nothing is ever selected: lift BOS above every real key
        terms.append(QKTerm(ONE, BOS, np.array([[penalty]])))
    return terms


def real_pair_terms(score: float) -> list[QKTerm]:
    """``score`` for every pair of real positions (query and key both past BOS), 0
    for any pair with BOS: ``score * (one - bos)_query * (one - bos)_key``, each
    product exact, so that the entries it offsets cancel to exactly 0."""
    return [QKTerm(ONE, ONE, np.array([[score]])), QKTerm(ONE, BOS, np.array([[-score]])),
            QKTerm(BOS, ONE, np.array([[-score]])), QKTerm(BOS, BOS, np.array([[score]]))]


def bos_query_terms(keys: Sequence[Space], preference: float) -> list[QKTerm]:
    """Terms that move the BOS query's attention towards (``preference`` > 0) or
    away from (< 0) the BOS key, by that much, leaving real queries untouched.

    With key spaces, every real key is penalised through the first key space's
    one-hot (BOS has none): this keeps the bos direction's column of the score
    matrix to a single row, so the factorisation stays a plain selection."""
    if keys and preference > 0:
        return [QKTerm(BOS, keys[0], np.full((1, keys[0].width), -preference))]
    return [QKTerm(BOS, BOS, np.array([[preference]]))]


# --------------------------------------------------------------- values

def _value_terms(select: ir.Select, source: Space, output: Space, default: Value) -> tuple[list[OVTerm], float]:
    """What each key writes, and the range of the values a mean may mix."""
    label = f"aggregate over {select.label}"
    if output.encoding == CATEGORICAL:
        if source.encoding != CATEGORICAL:
            raise CompileError(f"{label}: a categorical result needs a categorical source, not {source.name}")
        move = np.stack([encode(output, v, label) for v in source.values]) if source.width else \
            np.zeros((0, output.width))
        return [OVTerm(source, move), OVTerm(BOS, encode(output, default, label)[None, :])], 1.0
    if source.encoding == CATEGORICAL:
        numbers = []
        for v in source.values:
            if not isinstance(v, (int, float, bool)):
                raise CompileError(f"{label}: cannot average {source.name}, whose value {v!r} is not a number")
            numbers.append(float(v))
        read = OVTerm(source, np.array(numbers).reshape(-1, 1))
    else:
        numbers = [float(v) for v in source.values] or [0.0]
        read = OVTerm(source, np.ones((1, 1)))
    fallback = encode(output, default, label)
    mixed = numbers + [float(fallback[0])]
    return [read, OVTerm(BOS, fallback[None, :])], max(mixed) - min(mixed)


def aggregate_head(select: ir.Select, keys: tuple[Space, ...], queries: tuple[Space, ...], source: Space,
                   output: Space, default, max_len: int, narrow: bool = True) -> tuple[HeadBlock, Margin]:
    """One head computing ``aggregate(select, source, default)`` into ``output``.

    Categorical output: the one selected value moves (its one-hot, relabelled into
    the output's values); several selected keys with one value give that value.
    Numerical output: the mean of the selected values (a categorical source is read
    by its numeric labels). Nothing selected: the default, through BOS.

    Margin: the leak ``eps <= max(e^-beta + n e^-T, n e^-(T-beta))`` (see the module
    docstring) bounds a categorical output's deviation from its one-hot; a mean's
    error is at most ``eps * range`` where range spans the source values and the
    default. Holds for inputs whose off-entries (one-hot zeros) are exactly zero;
    noise there of size nu moves each score by at most T * nu per table (per key
    value for a table written as digits, which only a categorical output gets, with
    ``narrow``).
    """
    values, spread = _value_terms(select, source, output, default)
    leak = LEAK if output.encoding == CATEGORICAL else min(LEAK, 1e-6 / max(spread, 1.0))
    beta, penalty = temperatures(max_len, leak)
    qk = selection_terms(select, keys, queries, penalty, narrow=narrow and output.encoding == CATEGORICAL)
    qk.append(QKTerm(ONE, BOS, np.array([[-beta]])))
    qk.extend(bos_query_terms(keys, 2.0 * beta))
    n = max(max_len, 1)
    eps = max(math.exp(-beta) + n * math.exp(-penalty), n * math.exp(-(penalty - beta)))
    if output.encoding == CATEGORICAL:
        margin = Margin(eps, f"leak <= {eps:.2g} at length {n} (beta={beta:.1f}, T={penalty:.1f}); "
                             f"argmax exact while below 0.5")
    else:
        margin = Margin(eps * spread, f"mean off by <= leak {eps:.2g} x range {spread:.3g} at length {n} "
                                      f"(beta={beta:.1f}, T={penalty:.1f})")
    head = HeadBlock(qk=tuple(qk), ov=tuple(values), output=output, label=select.describe(),
                     reads=source.name, writes=output.name)
    return head, margin


def bos_cleanup(output: Space, default: Value) -> MLPBlock | None:
    """A one-unit MLP block (for the same layer as the aggregate head) that
    subtracts the default the head writes at BOS, so that ``output`` is zero there
    like every other s-op space. None when the default encodes to zero."""
    fallback = encode(output, default, f"default of {output.name}")
    if not np.any(fallback):
        return None
    return MLPBlock(inputs=(BOS,), w_in=(np.ones((1, 1)),), b_in=np.zeros(1), w_out=-fallback[None, :],
                    b_out=np.zeros(output.width), output=output,
                    neuron_labels=(f"clear {output.name} at BOS",), label=f"clear {output.name} at BOS")
