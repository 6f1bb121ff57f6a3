"""The node types the passes introduce, which the back end builds directly.

Staged programs hold only ``rasp.ir`` nodes. Lowering adds three kinds that the
interpreter has no reason to know, because they describe how the model computes a
value rather than what the value is:

* ``WidthScratch``: what a selector-width head writes (``1 / (w + 1)``), a
  numerical s-op with a finite value set, so that any map can read it;
* ``WidthDecode``: the map from that scratch back to the integer ``w``, an
  ordinary map that ``fuse_maps`` can inline into its readers;
* ``JointPredicate``: the predicate of a selector rewritten to read one joint key
  s-op and one joint query s-op (tuples of the original slots).

They live apart from the passes so that the scheduler, the layout and the
assembly can recognise them without importing any pass.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from compiler.analysis.valuesets import CATEGORICAL, NUMERICAL, ValueSet, keys_bound, product_size
from rasp import ir


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


def selects_itself(select: ir.Selector, sets: dict[int, ValueSet]) -> bool:
    """True when every query selects at least its own position: keys and queries
    are the same s-ops and the predicate holds whenever they are equal
    (``tokens == tokens``, ``<=``), checked on every value combination. Such a
    width is never 0, which narrows its scratch's values."""
    if not isinstance(select, ir.Select) or isinstance(select.predicate, JointPredicate):
        return False
    if tuple(k.id for k in select.keys) != tuple(q.id for q in select.queries):
        return False
    domains = [sets[k.id].values for k in select.keys]
    if product_size(domains) > 100_000:
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


def decode_width(scratch: float) -> int:
    """w from a scratch value ``1 / (w + 1)``."""
    return int(round(1.0 / scratch)) - 1


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
            most = decode_width(min(sets[self.inner.id].values))
        hint = self.encoding_hint.value if self.encoding_hint else CATEGORICAL
        return ValueSet(tuple(range(least, max(least, most) + 1)), hint)


def width_decode(scratch: WidthScratch) -> WidthDecode:
    """A fresh map decoding ``scratch`` (each caller names it and may hint it)."""
    return WidthDecode(fn=decode_width, inner=scratch, description="1 / {0} - 1")
