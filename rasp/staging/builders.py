"""The s-op and selector nodes staging makes, the names the original shows for them,
and the count of work and nodes that keeps staging bounded.

``SopBuilder`` is the part of a staging that built-in functions see: they build
through ``derived`` (see ``rasp.builtins.selector_width``).
"""
from __future__ import annotations

from typing import Any

from rasp import ir
from rasp.builtins import describe_value, is_atom, literal, type_name
from rasp.errors import RaspEvaluationError, RaspTypeError
from rasp.staging.limits import StageLimits
from raspc.errors import SourceLocation

# The built-in s-ops that are the tokens themselves, or each token converted.
TOKEN_VIEWS = ("tokens", "tokens_asis", "tokens_str", "tokens_int", "tokens_float", "tokens_bool")

# The original shortens any name longer than this to a generic one.
NAME_MAX_LEN = 30


def shorten(name: str, value: Any) -> str:
    if len(name) <= NAME_MAX_LEN:
        return name
    return "sel" if isinstance(value, ir.Selector) else "s-op"


def shift_predicate(predicate: ir.Predicate, keys: int, queries: int) -> ir.Predicate:
    """The same predicate over slots moved right by ``keys``/``queries``."""
    return ir.map_comparisons(predicate, lambda leaf: leaf.moved(leaf.key_slot + keys,
                                                                  leaf.query_slot + queries))


class SopBuilder:
    """Builds the nodes of one staging, names them, and counts the work done.

    Nodes made from construction on belong to this staging; older ones (the built-ins
    and the prelude's) are shared and never renamed.
    """

    def __init__(self, limits: StageLimits, display_names: dict[int, str] | None = None):
        self.limits = limits
        self.display_names: dict[int, str] = dict(display_names or {})
        self.first_id = ir.Constant(value=0).id
        self.work = 0
        # The statement or expression being staged: where an error found outside the
        # stager's own checks (a RecursionError, a MemoryError) is reported.
        self.location: SourceLocation | None = None
        self.token_literals: list[ir.TokenLiteral] = []

    # ------------------------------------------------------------ counting

    def charge(self, units: int, location) -> None:
        """Count work (see ``limits.MAX_WORK``); refuse to go past the bound."""
        self.work += units
        if self.work > self.limits.max_work:
            raise RaspEvaluationError(
                f"staging needs more than {self.limits.max_work} steps of work (the limit): is a loop or a "
                "comprehension unrolled too far, or a list too long?", location)

    # ------------------------------------------------------------ naming

    def owned(self, node: ir.RaspExpr) -> bool:
        """Whether this staging created the node (shared built-ins are never renamed)."""
        return node.id >= self.first_id

    def name_of(self, value: Any) -> str:
        if isinstance(value, ir.RaspExpr):
            if value.name:
                return value.name
            return self.display_names.get(value.id, "sel" if isinstance(value, ir.Selector) else "s-op")
        if isinstance(value, (list, dict)):
            return describe_value(value, 40)  # bounded: a list may be huge, or share its parts
        return str(value)

    def derived(self, node: ir.RaspExpr, name: str) -> ir.RaspExpr:
        """Register a node made by staging, with the name the original would show."""
        self.display_names[node.id] = shorten(name, node)
        if node.location is None:
            node.location = self.location
        self.charge(self.limits.node_work, self.location)
        if node.id - self.first_id > self.limits.max_nodes:
            raise RaspEvaluationError(
                f"the program builds more than {self.limits.max_nodes} operations; is a loop unrolled too far?")
        return node

    def assign_name(self, value: Any, name: str) -> None:
        if isinstance(value, ir.RaspExpr) and self.owned(value):
            value.name = shorten(name, value)

    def note_token_literal(self, left: Any, right: Any, location) -> None:
        """Remember an atom compared with the tokens (either side), for the vocabulary
        check that compiling makes (``ir.Program.unreachable_literals``)."""
        for view, value in ((left, right), (right, left)):
            if (isinstance(view, ir.SOp) and not self.owned(view) and view.name in TOKEN_VIEWS
                    and is_atom(value) and not isinstance(value, ir.RaspExpr)):
                self.token_literals.append(ir.TokenLiteral(value, view, location))

    # ------------------------------------------------------------ s-ops

    def constant(self, value: Any) -> ir.Constant:
        return self.derived(ir.Constant(value=value), str(value))

    def to_sop(self, value: Any, location, what: str) -> ir.SOp:
        if isinstance(value, ir.SOp):
            return value
        if is_atom(value):
            return self.constant(value)
        raise RaspTypeError(f"{what} expects an s-op or an atom, got a {type_name(value)}: "
                            f"{describe_value(value, 40)}", location)

    def map1(self, inner: ir.SOp, fn, description: str, name: str) -> ir.Map:
        return self.derived(ir.Map(fn=fn, inner=inner, description=description), name)

    def mapn(self, inputs: tuple[ir.SOp, ...], fn, description: str, name: str) -> ir.SequenceMap:
        return self.derived(ir.SequenceMap(fn=fn, inputs=inputs, description=description), name)

    def elementwise(self, fn, operands: list[Any], description: str, name: str, location) -> ir.SOp:
        """``fn`` applied position by position; atoms among ``operands`` broadcast."""
        sops = [v for v in operands if isinstance(v, ir.SOp)]
        for value in operands:
            if not isinstance(value, ir.SOp) and not is_atom(value):
                raise RaspTypeError(
                    f"cannot combine an s-op with a {type_name(value)}: {describe_value(value, 40)}", location)
        if len(sops) == 1:
            slot = next(i for i, v in enumerate(operands) if isinstance(v, ir.SOp))
            fixed = list(operands)

            def one(x, _fixed=fixed, _slot=slot):
                args = list(_fixed)
                args[_slot] = x
                return fn(*args)

            described = description.format(*[("{0}" if i == slot else literal(v)) for i, v in enumerate(operands)])
            return self.map1(sops[0], one, described, name)
        sop_operands = tuple(self.to_sop(v, location, "an elementwise operation") for v in operands)
        described = description.format(*[f"{{{i}}}" for i in range(len(operands))])
        return self.mapn(sop_operands, fn, described, name)

    def aggregate(self, selector: Any, sop: Any, default: Any, location) -> ir.Aggregate:
        if not isinstance(selector, ir.Selector):
            raise RaspTypeError(f"aggregate expects a selector first, got a {type_name(selector)}", location)
        values = self.to_sop(sop, location, "aggregate")
        if default is None:
            default = 0
        if not is_atom(default):
            raise RaspTypeError(f"aggregate's default must be an atom, got a {type_name(default)}", location)
        return self.derived(ir.Aggregate(selector=selector, sop=values, default=default), "s-op")

    # ------------------------------------------------------------ selectors

    def select(self, keys: Any, queries: Any, op: str, location) -> ir.Select:
        """``select(keys, queries, OP)``: query ``i`` selects key ``j`` when
        ``keys[j] OP queries[i]`` (the original's order); an atom in either slot is a
        constant s-op."""
        self.note_token_literal(keys, queries, location)
        key = self.to_sop(keys, location, "select")
        query = self.to_sop(queries, location, "select")
        return self.derived(ir.Select(keys=(key,), queries=(query,), predicate=ir.Compare(op, 0, 0)),
                            "plain select")

    def combine(self, left: ir.Select, right: ir.Select, op: str) -> ir.Select:
        shifted = shift_predicate(right.predicate, len(left.keys), len(left.queries))
        joined = ir.PredAnd(left.predicate, shifted) if op == "and" else ir.PredOr(left.predicate, shifted)
        return self.derived(ir.Select(keys=left.keys + right.keys, queries=left.queries + right.queries,
                                      predicate=joined), "plain select")

    def negate(self, selector: ir.Select) -> ir.Select:
        return self.derived(ir.Select(keys=selector.keys, queries=selector.queries,
                                      predicate=ir.PredNot(selector.predicate)), "plain select")

    def full_selector(self) -> ir.Select:
        return self.derived(ir.Select(keys=(), queries=(), predicate=ir.PredTrue()), "full average")
