"""What every pass test checks besides the rewrite itself: the graph means the same
after the pass as before, on every input up to a small length.

The reference interpreter evaluates ``rasp.ir`` nodes; lowering adds one node it
has no reason to know, the width scratch, whose meaning is its definition:
``1 / (w + 1)`` with w the width of its selector; and joint s-ops hold tuples of
their slots' values, which the language has no type for. ``Evaluation`` below
adds those two rules (width decodings are maps and joint predicates are
callables, which the interpreter evaluates as they are).
"""
from __future__ import annotations

import itertools
from typing import Any, Sequence

from compiler.passes.graph import Graph
from compiler.passes.nodes import WidthScratch
from rasp import ir
from rasp.errors import RaspEvaluationError
from rasp import interpreter


class Evaluation(interpreter.Evaluation):
    """The reference interpreter, plus width scratches."""

    def _compute(self, node: ir.RaspExpr) -> Any:
        if isinstance(node, WidthScratch):
            return [1.0 / (sum(row) + 1) for row in self._values[node.selector.id]]
        if isinstance(node, ir.SequenceMap):
            rows = zip(*(self._values[s.id] for s in node.inputs))
            try:
                values = [node.fn(*row) for row in rows]
            except Exception:  # the interpreter reports it, naming the map
                values = []
            if values and all(isinstance(v, tuple) for v in values):
                return values  # a joint s-op: read by selectors only, never an output
        return super()._compute(node)


def exact(values: Sequence[Any]) -> list[tuple[str, Any]]:
    """Values with their types: ``1``, ``1.0`` and ``True`` print differently, so a
    pass must not turn one into another."""
    return [(type(v).__name__, v) for v in values]


def inputs(vocab: tuple, up_to: int):
    for n in range(1, up_to + 1):
        yield from itertools.product(vocab, repeat=n)


def mismatches(before: tuple[ir.SOp, ...], after: tuple[ir.SOp, ...], vocab: tuple, up_to: int) -> list:
    """Inputs (up to length ``up_to``) on which the two graphs' outputs differ,
    among those the graph before the pass evaluates without error. Returns
    (input, expected, got) triples; an empty list means the pass kept the meaning."""
    found = []
    checked = 0
    for tokens in inputs(vocab, up_to):
        try:
            expected = [exact(Evaluation(tokens)(o)) for o in before]
        except RaspEvaluationError:
            continue
        checked += 1
        try:
            got = [exact(Evaluation(tokens)(o)) for o in after]
        except RaspEvaluationError as error:
            got = str(error)
        if got != expected:
            found.append((tokens, expected, got))
    assert checked, "no input evaluates: the check would pass vacuously"
    return found


def run(pass_fn, outputs, vocab: tuple, max_len: int, embedded=frozenset()) -> Graph:
    """``pass_fn`` applied to a fresh graph of ``outputs``."""
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    return pass_fn(Graph(outputs, tuple(vocab), max_len, frozenset(embedded)))


def nodes_of(outputs, kind: type) -> list:
    """Every node of ``kind`` under ``outputs``, in creation order."""
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    return [n for n in ir.ancestors(outputs) if isinstance(n, kind)]
