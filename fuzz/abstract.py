"""What the generator knows about an s-op while it writes a program: a type and the
values it can take.

Every expression is built together with an over-approximation of the values it can
take (``Abstract``): ``apply_abstract`` applies an operation to every combination of
its operands' possible values, and rejects the candidate expression (``Rejected``)
when one combination raises (a division by zero, a missing table key, a string added
to a number) or mixes types in one sequence. Programs are well typed by construction
because of it.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

#: Above this many value combinations an expression's values are not enumerated.
MAX_COMBINATIONS = 400
#: An s-op whose value set grows past this is not used where values must be listed.
MAX_VALUES = 40
#: Means are listed only when there are at most this many multisets to average.
MAX_MEAN_MULTISETS = 1000


@dataclass(frozen=True)
class Abstract:
    """What the generator knows about an s-op: a type and its possible values.

    ``kind`` is ``int``, ``float``, ``bool`` or ``str``; ``values`` over-approximates
    the values at any position (``None``: too many, or averages, not enumerated).
    ``injective`` marks s-ops that differ at every position of one input (indices
    and shifts of them): compared with ``==`` as keys, they select at most one key.
    """

    kind: str
    values: frozenset | None
    injective: bool = False


@dataclass(frozen=True)
class SelectorInfo:
    """A selector expression and whether each query selects at most one key."""

    text: str
    at_most_one: bool


class Rejected(Exception):
    """The candidate expression could fail or mix types: draw another."""


def kind_of(values: Iterable[Any]) -> str:
    """The one kind of a collection of values (ints among floats make floats)."""
    kinds = set()
    for value in values:
        if isinstance(value, bool):
            kinds.add("bool")
        elif isinstance(value, int):
            kinds.add("int")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise Rejected()
            kinds.add("float")
        elif isinstance(value, str):
            kinds.add("str")
        else:
            raise Rejected()
    if kinds <= {"int"}:
        return "int"
    if kinds <= {"int", "float"}:
        return "float"
    if len(kinds) == 1:
        return kinds.pop()
    raise Rejected()


def apply_abstract(fn: Callable[..., Any], operands: list[Abstract], max_combinations: int = MAX_COMBINATIONS,
                   max_values: int = MAX_VALUES) -> Abstract:
    """The abstract value of ``fn`` applied position by position to ``operands``."""
    if any(o.values is None for o in operands):
        raise Rejected()
    size = math.prod(len(o.values) for o in operands)
    if size > max_combinations:
        raise Rejected()
    results = set()
    every = []  # a set keeps one of 0 and 0.0; the kind must see both (0.0 cannot index a list)
    for combination in itertools.product(*(sorted(o.values, key=repr) for o in operands)):
        try:
            value = fn(*combination)
        except Exception:  # noqa: BLE001 - any failure means the program could fail
            raise Rejected() from None
        if isinstance(value, float) and abs(value) > 1e6 or isinstance(value, int) and abs(value) > 10 ** 6:
            raise Rejected()
        if isinstance(value, str) and len(value) > 6:
            raise Rejected()
        results.add(value)
        every.append(value)
    kind = kind_of(every)
    return Abstract(kind, frozenset(results) if len(results) <= max_values else None)


def is_number(a: Abstract) -> bool:
    return a.kind in ("int", "float")


def means(values: list, max_len: int) -> set | None:
    """Every mean of 1..max_len values drawn (with repetition) from ``values``; None
    when there are more than MAX_MEAN_MULTISETS multisets to average (long inputs)."""
    if math.comb(max_len + len(values), len(values)) - 1 > MAX_MEAN_MULTISETS:
        return None
    found = set()
    for size in range(1, max_len + 1):
        for combination in itertools.combinations_with_replacement(values, size):
            found.add(sum(combination) / size)
    return found
