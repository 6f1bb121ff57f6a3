"""Values as value-set inference compares and orders them: type-exactly (``1``,
``1.0`` and ``True`` are three values, since the interpreter prints them
differently), numbers before strings."""
from __future__ import annotations

from typing import Any, Iterable


def is_number(value: Any) -> bool:
    """An int or float that is not a bool: what the interpreter agrees to average."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def value_key(value: Any) -> tuple:
    """A type-exact identity for a value (``1`` and ``True`` differ)."""
    return (type(value).__name__, value)


def _order_key(value: Any) -> tuple:
    if is_number(value):
        return (1, float(value), type(value).__name__)
    if isinstance(value, bool):
        return (0, int(value), "")
    if isinstance(value, tuple):
        return (3, tuple(_order_key(v) for v in value), "")
    return (2, str(value), "")


def distinct_sorted(values: Iterable[Any]) -> tuple[Any, ...]:
    """Distinct values (type-exactly), in a stable order that mixed types allow."""
    unique: dict[tuple, Any] = {}
    for value in values:
        unique.setdefault(value_key(value), value)
    return tuple(sorted(unique.values(), key=_order_key))
