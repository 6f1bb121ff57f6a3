"""The reference interpreter: evaluates the staged graph on one input, exactly as the
original RASP does.

This is the ground truth that every compiled model is checked against, so it
mirrors the original's rules rather than anything convenient for the compiler:

* every sequence holds values of one type (ints and floats may mix; a bool is not an
  int here unless the whole sequence mixes bools with numbers, as Python sees it);
* ``aggregate`` row by row: nothing selected gives the default, one selected value
  passes unchanged whatever its type, several give their arithmetic mean, which is
  an error unless the whole aggregated sequence is numeric.

    >>> from rasp import ir
    >>> from rasp.interpreter import evaluate
    >>> evaluate(ir.TOKENS, ("a", "b"))
    ['a', 'b']
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from rasp import ir
from rasp.errors import RaspEvaluationError

_LEGAL_TYPES = (str, bool, int, float)


def sequence_type(values: Sequence[Any]) -> str:
    """The original's type check on a whole sequence: its type name, or an error."""
    for legal in (str, bool, int, float):
        if all(isinstance(v, legal) for v in values):
            return {str: "string", bool: "bool", int: "int", float: "float"}[legal]
    if all(isinstance(v, (int, float)) for v in values):
        return "float"
    if all(isinstance(v, _LEGAL_TYPES) for v in values):
        raise RaspEvaluationError(f"sequence mixes values of different types: {list(values)}")
    raise RaspEvaluationError(
        f"sequence holds values of an illegal type (allowed: bool, float, int, string): {list(values)}")


def _checked(values: list[Any]) -> list[Any]:
    sequence_type(values)
    return values


def _mean(selected: list[Any], whole: list[Any]) -> Any:
    if len(selected) == 1:
        return selected[0]
    if sequence_type(whole) not in ("int", "float"):
        raise RaspEvaluationError(
            f"aggregate asked to average several values, but they are not numbers: {selected}")
    return sum(selected) * 1.0 / len(selected)


def _apply(node: ir.Map | ir.SequenceMap, *args: Any) -> Any:
    """Apply a map's function, turning a Python failure into an error that names it."""
    try:
        return node.fn(*args)
    except RaspEvaluationError:
        raise
    except (ArithmeticError, TypeError, ValueError, KeyError, IndexError) as failure:
        shown = ", ".join(repr(a) for a in args)
        raise RaspEvaluationError(f"{node.label} failed on ({shown}): {failure}") from None


class Evaluation:
    """One input's evaluation, memoised per node, so shared operands run once."""

    def __init__(self, tokens: Sequence[Any], replaced: Mapping[ir.RaspExpr, Sequence[Any]] | None = None):
        if len(tokens) == 0:
            raise RaspEvaluationError("RASP sequences must be non-empty")
        self.tokens = tuple(tokens)
        self.n = len(self.tokens)
        self._values: dict[int, Any] = {}
        for node, values in (replaced or {}).items():
            if len(values) != self.n:
                raise RaspEvaluationError(
                    f"{node.label} replaced by {len(values)} values on an input of {self.n} tokens")
            self._values[node.id] = list(values)

    def __call__(self, node: ir.RaspExpr) -> Any:
        # Evaluate in creation order so that recursion depth stays shallow.
        for dependency in ir.ancestors(node):
            if dependency.id not in self._values:
                self._values[dependency.id] = self._compute(dependency)
        return self._values[node.id]

    def _compute(self, node: ir.RaspExpr) -> Any:
        value = self._values
        n = self.n
        if isinstance(node, ir.Tokens):
            return _checked(list(self.tokens))
        if isinstance(node, ir.Indices):
            return list(range(n))
        if isinstance(node, ir.Length):
            return [n] * n
        if isinstance(node, ir.Constant):
            return [node.value] * n
        if isinstance(node, ir.Map):
            inner = value[node.inner.id]
            return _checked([_apply(node, x) for x in inner])
        if isinstance(node, ir.SequenceMap):
            columns = [value[s.id] for s in node.inputs]
            return _checked([_apply(node, *row) for row in zip(*columns)])
        if isinstance(node, ir.Select):
            keys = [value[s.id] for s in node.keys]
            queries = [value[s.id] for s in node.queries]
            return [
                [bool(node.predicate(tuple(k[j] for k in keys), tuple(q[i] for q in queries)))
                 for j in range(n)]
                for i in range(n)
            ]
        if isinstance(node, ir.Aggregate):
            matrix = value[node.selector.id]
            whole = value[node.sop.id]
            out = []
            for row in matrix:
                selected = [v for v, chosen in zip(whole, row) if chosen]
                out.append(_mean(selected, whole) if selected else node.default)
            return _checked(out)
        if isinstance(node, ir.SelectorWidth):
            return [sum(row) for row in value[node.selector.id]]
        raise TypeError(f"the interpreter does not know {type(node).__name__}")


def evaluate(node: ir.RaspExpr, tokens: Sequence[Any]) -> Any:
    """The value of an s-op (a list) or a selector (rows of booleans, ``[query][key]``)."""
    return Evaluation(tokens)(node)


def evaluate_replaced(node: ir.RaspExpr, tokens: Sequence[Any],
                      replaced: Mapping[ir.RaspExpr, Sequence[Any]]) -> Any:
    """The value of ``node`` on ``tokens`` when each s-op in ``replaced`` takes the
    values given instead of its own (one per position), and everything downstream
    is computed from those: the counterfactual of an interchange intervention.

        >>> from rasp import ir
        >>> doubled = ir.Map(lambda x: 2 * x, ir.INDICES)
        >>> evaluate_replaced(doubled, ("a", "b"), {ir.INDICES: [5, 7]})
        [10, 14]
    """
    return Evaluation(tokens, replaced)(node)
