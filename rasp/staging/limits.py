"""The bounds staging runs under, and the guards that keep meta-level arithmetic inside them.

Staging runs whatever a file says, so it runs under fixed bounds: a file that would
need more ends in a RaspcError that names the bound, never in a hang, a crash or an
exhausted memory. The guards check an operation *before* Python computes it where
the result could be too large to compute at all (``2 ^ 100000000``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rasp.builtins import describe_value
from rasp.errors import RaspEvaluationError

MAX_CALL_DEPTH = 150
#: Units of work: one per statement, expression and comprehension item, and one per
#: element of every list, string or dict built, copied, searched or compared.
MAX_WORK = 2_000_000
MAX_NODES = 200_000
#: Work charged per s-op or selector built (building one costs as much as a few
#: expressions).
NODE_WORK = 4
#: Elements of one list or dict, characters of one string.
MAX_LIST = 100_000
#: Integers computed while staging (they become s-op constants and table entries).
MAX_INT_BITS = 10_000
#: Lists inside lists, for comparisons (which Python does recursively).
MAX_NESTING = 200


@dataclass(frozen=True)
class StageLimits:
    """The bounds of one staging (the module's constants unless a caller sets them)."""

    max_call_depth: int = MAX_CALL_DEPTH
    max_work: int = MAX_WORK
    max_nodes: int = MAX_NODES
    node_work: int = NODE_WORK
    max_list: int = MAX_LIST
    max_int_bits: int = MAX_INT_BITS
    max_nesting: int = MAX_NESTING


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def guard_size(op: str, left: Any, right: Any, location, limits: StageLimits) -> int:
    """Refuse meta-level arithmetic whose result would be too large, before computing it.

    Returns the number of elements the result will hold when it is a list or string
    (0 otherwise), for the work count.
    """
    bits, longest = limits.max_int_bits, limits.max_list
    if op == "^" and is_int(left) and is_int(right) and abs(left) > 1 and right > 0:
        # the result has at least ``right`` bits: test that first, as ``right`` may be
        # too large to become a float
        if right > bits or right * math.log2(abs(left)) > bits:
            raise RaspEvaluationError(f"{describe_value(left, 40)} ^ {right} has more than {bits} bits "
                                      f"(the limit for integers while staging)", location)
    if op == "*":
        if is_int(left) and is_int(right) and left.bit_length() + right.bit_length() > bits + 1:
            raise RaspEvaluationError(f"the product has more than {bits} bits "
                                      f"(the limit for integers while staging)", location)
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, list)) and isinstance(count, int):
                size = max(count, 0) * len(seq)
                if size > longest:
                    kind = "list" if isinstance(seq, list) else "string"
                    raise RaspEvaluationError(f"repetition would make a {kind} of {size} elements, more than "
                                              f"{longest} (the limit while staging)", location)
                return size
    if op == "+" and isinstance(left, (str, list)) and type(left) is type(right):
        size = len(left) + len(right)
        if size > longest:
            kind = "list" if isinstance(left, list) else "string"
            raise RaspEvaluationError(f"concatenation would make a {kind} of {size} elements, more than "
                                      f"{longest} (the limit while staging)", location)
        return size
    return 0


def check_result(op: str, result: Any, location, limits: StageLimits) -> Any:
    """Refuse what meta-level arithmetic must not leave behind: huge integers (they
    cannot even be printed) and complex numbers (``(0 - 8) ^ 0.5``)."""
    if is_int(result) and result.bit_length() > limits.max_int_bits:
        raise RaspEvaluationError(f"the result of {op} has more than {limits.max_int_bits} bits "
                                  f"(the limit for integers while staging)", location)
    if isinstance(result, complex):
        raise RaspEvaluationError(f"the result of {op} is not a real number", location)
    return result


def container_size(value: Any, limit: int, max_nesting: int = MAX_NESTING, depth: int = 0) -> int:
    """Elements in a list or dict, counting those of lists inside it each time they
    appear (as a comparison visits them), but counting no further than ``limit``."""
    if not isinstance(value, (list, dict)):
        return 1
    if depth > max_nesting:
        raise RaspEvaluationError(f"lists nested more than {max_nesting} deep cannot be compared")
    items = list(value.items()) if isinstance(value, dict) else value
    total = len(items)
    for item in items:
        if total > limit:
            break
        if isinstance(item, tuple):  # a dict's (key, value)
            total += container_size(item[1], limit - total, max_nesting, depth + 1)
        elif isinstance(item, (list, dict)):
            total += container_size(item, limit - total, max_nesting, depth + 1)
    return total


def range_size(values: range) -> int:
    """``len(values)``, which Python cannot give beyond 2**63 elements."""
    try:
        return len(values)
    except OverflowError:
        return max(0, (values.stop - values.start + values.step - (1 if values.step > 0 else -1)) // values.step)
