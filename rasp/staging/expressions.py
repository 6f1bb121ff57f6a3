"""Expressions evaluated at the meta level: atoms, lists and dicts computed, s-ops and
selectors built.

The rules that decide results, as the original interpreter (tech-srl/RASP) has them:

* Arithmetic and comparisons with one s-op operand build a ``Map`` (the atom is
  broadcast), with two a ``SequenceMap``; between atoms they are plain Python.
* ``and``/``or``/``not``: on s-ops, elementwise by truthiness with bool results;
  on two selectors, one combined selector; on atoms, Python's own (``3 and 4`` is 4).
* A ternary whose condition is an s-op is elementwise (both branches are staged);
  with an atom condition only the chosen branch is evaluated.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

from rasp import ast, ir
from rasp.builtins import (Applied, BuiltinFunction, Env, Function, choose, describe_value, indicator, is_atom,
                           literal, logical_and, logical_not, logical_or, type_name)
from rasp.errors import RaspEvaluationError, RaspNameError, RaspTypeError
from rasp.staging.builders import SopBuilder, shorten
from rasp.staging.limits import check_result, container_size, guard_size, range_size
from raspc.errors import RaspcError

_BINARY_FUNCTIONS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "^": pow, "%": operator.mod, "==": operator.eq, "<=": operator.le, ">=": operator.ge,
    "<": operator.lt, ">": operator.gt,
}
_OP_NAMES = {"^": "pow"}


class ExitFile(Exception):
    """``exit``/``quit``: stop reading the current file (an error inside a function)."""


def index_element(table: Any, index: Any) -> Any:
    """``table[index]`` for an atom index, with the original's checks and messages."""
    if isinstance(table, dict):
        if not is_atom(index):
            raise RaspTypeError(f"index into dict has to be an atom, got: {describe_value(index, 40)}")
        if index not in table:
            raise RaspEvaluationError(f"index [ {describe_value(index, 40)} ] not in dict")
        return table[index]
    kind = "list" if isinstance(table, list) else "string"
    if not isinstance(index, int):
        raise RaspTypeError(f"index into {kind} has to be an integer, got: {describe_value(index, 40)}")
    if index >= len(table) or -index > len(table):
        raise RaspEvaluationError(f"index {index} out of range for {kind} of length {len(table)}")
    return table[index]


def application_input(value: Any, location) -> tuple:
    """The input of ``sop(value)``: a non-empty string or list of atoms, as a tuple."""
    if isinstance(value, str):
        tokens = tuple(value)
    elif isinstance(value, list):
        if not all(is_atom(v) for v in value):
            raise RaspTypeError("an input list must hold atoms (strings, numbers, booleans)", location)
        tokens = tuple(value)
    else:
        raise RaspTypeError(f"an s-op is applied to a string or a list, got a {type_name(value)}", location)
    if not tokens:
        raise RaspTypeError("RASP sequences must be non-empty", location)
    return tokens


class ExpressionEvaluator(SopBuilder):
    """Evaluates expressions in an environment. Calling a user function runs its body,
    so the statement walker that extends this class supplies ``statement``."""

    def __init__(self, limits, display_names: dict[int, str] | None = None):
        super().__init__(limits, display_names)
        self.call_depth = 0

    def statement(self, node: ast.Statement, env: Env, top: bool, file: str) -> None:
        raise NotImplementedError  # pragma: no cover - the walker (``statements.Stager``) defines it

    # ------------------------------------------------------------ dispatch

    def expr(self, node: ast.Expr, env: Env) -> Any:
        outer, self.location = self.location, node.loc
        self.charge(1, node.loc)
        try:
            value = self._expr(node, env)
        except RaspcError as error:
            raise error.with_location(node.loc)
        self.location = outer
        if not isinstance(value, Applied):
            env.vars["out"] = value  # the original keeps the last value under `out`
        return value

    def _expr(self, node: ast.Expr, env: Env) -> Any:
        loc = node.loc
        if isinstance(node, ast.Num):
            return node.value
        if isinstance(node, ast.Str):
            return node.value
        if isinstance(node, ast.Name):
            return env.lookup(node.id, loc)
        if isinstance(node, ast.ListLit):
            if len(node.items) > self.limits.max_list:
                raise RaspEvaluationError(f"a list of {len(node.items)} elements is longer than "
                                          f"{self.limits.max_list} (the limit for lists while staging)", loc)
            return [self.expr(item, env) for item in node.items]
        if isinstance(node, ast.DictLit):
            result = {}
            for key_node, value_node in node.pairs:
                key = self.expr(key_node, env)
                if not is_atom(key):
                    raise RaspTypeError(f"dictionary keys must be atoms, got a {type_name(key)}", key_node.loc)
                result[key] = self.expr(value_node, env)
            return result
        if isinstance(node, ast.ListComp):
            return self.list_comprehension(node, env)
        if isinstance(node, ast.DictComp):
            return self.dict_comprehension(node, env)
        if isinstance(node, ast.Unary):
            return self.unary(node, env)
        if isinstance(node, ast.Binary):
            return self.binary(node, env)
        if isinstance(node, ast.Ternary):
            return self.ternary(node, env)
        if isinstance(node, ast.In):
            return self.contains(node, env)
        if isinstance(node, ast.Index):
            return self.index(node, env)
        if isinstance(node, ast.Call):
            return self.call(node, env)
        if isinstance(node, ast.Select):
            keys = self.expr(node.keys, env)
            queries = self.expr(node.queries, env)
            return self.select(keys, queries, node.op, loc)
        if isinstance(node, ast.Aggregate):
            selector = self.expr(node.selector, env)
            sop = self.expr(node.sop, env)
            default = self.expr(node.default, env) if node.default is not None else None
            return self.aggregate(selector, sop, default, loc)
        if isinstance(node, ast.Builtin):
            return self.builtin(node, env)
        raise RaspTypeError(f"unknown expression {type(node).__name__}", loc)  # pragma: no cover

    def no_applied(self, value: Any, location) -> Any:
        if isinstance(value, Applied):
            raise RaspTypeError("an s-op applied to an input is a finished sequence; "
                                "it cannot be used in further expressions", location)
        return value

    # ------------------------------------------------------------ loops over values

    def iterable(self, value: Any, what: str, location) -> list:
        if isinstance(value, list):
            return list(value)
        if isinstance(value, dict):
            self.charge(len(value), location)
            return list(value.keys())
        raise RaspTypeError(f"{what} needs a list or a dict to loop over, got a {type_name(value)}", location)

    def bind_targets(self, env: Env, targets: tuple[str, ...], item: Any, location) -> None:
        if len(targets) == 1:
            env.set(targets[0], item, location)
            return
        if not isinstance(item, (list, str)):
            raise RaspTypeError(f"iterating with {len(targets)} names, but got the single value "
                                f"{describe_value(item, 40)}", location)
        if len(item) != len(targets):
            raise RaspTypeError(f"iterating with {len(targets)} names, but got {len(item)} values "
                                f"({describe_value(item, 40)})", location)
        for name, value in zip(targets, item):
            env.set(name, value, location)

    def list_comprehension(self, node: ast.ListComp, env: Env) -> list:
        items = self.iterable(self.expr(node.iterable, env), "a list comprehension", node.iterable.loc)
        out = []
        if len(items) > self.limits.max_list:
            raise RaspEvaluationError(f"a list comprehension of {len(items)} elements is longer than "
                                      f"{self.limits.max_list} (the limit for lists while staging)", node.loc)
        for item in items:
            self.charge(1, node.loc)
            inner = env.nested()
            self.bind_targets(inner, tuple(node.targets), item, node.loc)
            out.append(self.expr(node.elt, inner))
        return out

    def dict_comprehension(self, node: ast.DictComp, env: Env) -> dict:
        items = self.iterable(self.expr(node.iterable, env), "a dict comprehension", node.iterable.loc)
        result = {}
        for item in items:
            self.charge(1, node.loc)
            inner = env.nested()
            self.bind_targets(inner, tuple(node.targets), item, node.loc)
            key = self.expr(node.key, inner)
            if not is_atom(key):
                raise RaspTypeError(f"dictionary keys must be atoms, got a {type_name(key)}", node.key.loc)
            result[key] = self.expr(node.value, inner)
        return result

    # ------------------------------------------------------------ operators

    def unary(self, node: ast.Unary, env: Env) -> Any:
        value = self.no_applied(self.expr(node.operand, env), node.loc)
        op = node.op
        if op == "indicator":
            if not isinstance(value, ir.SOp):
                raise RaspTypeError(f"indicator expects an s-op, got a {type_name(value)}", node.loc)
            return self.map1(value, indicator, "indicator({0})", f"I({self.name_of(value)})")
        if op == "not":
            if isinstance(value, ir.SOp):
                return self.map1(value, logical_not, "not {0}", f"( not {self.name_of(value)} )")
            if isinstance(value, ir.Select):
                return self.negate(value)
            if isinstance(value, (Function, BuiltinFunction)):
                raise RaspTypeError("cannot apply not to a function", node.loc)
            return not value
        if isinstance(value, ir.Selector):
            raise RaspTypeError(f"cannot apply {op} to a selector", node.loc)
        function = {"-": operator.neg, "+": operator.pos, "round": round}[op]
        if isinstance(value, ir.SOp):
            description = "round({0})" if op == "round" else f"{op}{{0}}"
            return self.map1(value, function, description, f"( {op} {self.name_of(value)} )")
        try:
            return check_result(op, function(value), node.loc, self.limits)
        except (TypeError, ValueError, OverflowError) as failure:
            raise RaspTypeError(f"cannot apply {op} to {describe_value(value, 40)}: {failure}", node.loc) from None

    def binary(self, node: ast.Binary, env: Env) -> Any:
        left = self.no_applied(self.expr(node.left, env), node.left.loc)
        right = self.no_applied(self.expr(node.right, env), node.right.loc)
        op = node.op
        has_sop = isinstance(left, ir.SOp) or isinstance(right, ir.SOp)
        has_selector = isinstance(left, ir.Selector) or isinstance(right, ir.Selector)
        if op in ("and", "or"):
            mixed = RaspTypeError(f"cannot apply {op} between a selector and a non-selector", node.loc)
            if has_sop:
                if has_selector:
                    raise mixed
                fn = logical_and if op == "and" else logical_or
                name = f"( {self.name_of(left)} {op} {self.name_of(right)})"
                return self.elementwise(fn, [left, right], f"{{0}} {op} {{1}}", name, node.loc)
            if has_selector:
                if not (isinstance(left, ir.Select) and isinstance(right, ir.Select)):
                    raise mixed
                return self.combine(left, right, op)
            if isinstance(left, (Function, BuiltinFunction)) or isinstance(right, (Function, BuiltinFunction)):
                raise RaspTypeError(f"cannot apply {op} to a function", node.loc)
            return (left and right) if op == "and" else (left or right)
        if has_selector:
            raise RaspTypeError(f"cannot apply {op} to selectors", node.loc)
        function = _BINARY_FUNCTIONS[op]
        if has_sop:
            symbol = _OP_NAMES.get(op, op)
            name = f"( {self.name_of(left)} {symbol} {self.name_of(right)} )"
            if op in ("==", "!="):
                self.note_token_literal(left, right, node.loc)
            return self.elementwise(function, [left, right], f"{{0}} {op} {{1}}", name, node.loc)
        for value in (left, right):
            if isinstance(value, (Function, BuiltinFunction)):
                raise RaspTypeError(f"cannot apply {op} to a function", node.loc)
        self.charge(guard_size(op, left, right, node.loc, self.limits), node.loc)
        if op in ("==", "<=", ">=", "<", ">") and isinstance(left, (list, dict)) and isinstance(right, (list, dict)):
            budget = self.limits.max_work - self.work + 1
            nesting = self.limits.max_nesting
            self.charge(min(container_size(left, budget, nesting), container_size(right, budget, nesting)),
                        node.loc)
        try:
            return check_result(op, function(left, right), node.loc, self.limits)
        except ZeroDivisionError:
            raise RaspEvaluationError(f"division by zero in {describe_value(left, 40)} {op} "
                                      f"{describe_value(right, 40)}", node.loc) from None
        except (TypeError, ValueError, OverflowError) as failure:
            raise RaspTypeError(f"cannot apply {op} to {type_name(left)} {describe_value(left, 40)} and "
                                f"{type_name(right)} {describe_value(right, 40)} ({failure})", node.loc) from None

    def ternary(self, node: ast.Ternary, env: Env) -> Any:
        cond = self.no_applied(self.expr(node.cond, env), node.cond.loc)
        if isinstance(cond, ir.Selector):
            raise RaspTypeError("a ternary's condition cannot be a selector", node.cond.loc)
        if isinstance(cond, ir.SOp):
            then = self.no_applied(self.expr(node.then, env), node.then.loc)
            otherwise = self.no_applied(self.expr(node.otherwise, env), node.otherwise.loc)
            operands = [self.to_sop(v, node.loc, "an s-op ternary") for v in (cond, then, otherwise)]
            name = f"{self.name_of(operands[1])} if {self.name_of(operands[0])} else {self.name_of(operands[2])}"
            return self.mapn(tuple(operands), choose, "{1} if {0} else {2}", name)
        if isinstance(cond, (Function, BuiltinFunction)):
            raise RaspTypeError("a ternary's condition cannot be a function", node.cond.loc)
        return self.expr(node.then, env) if cond else self.expr(node.otherwise, env)

    def contains(self, node: ast.In, env: Env) -> Any:
        item = self.no_applied(self.expr(node.item, env), node.item.loc)
        container = self.no_applied(self.expr(node.container, env), node.container.loc)
        if isinstance(item, ir.SOp):
            if not isinstance(container, list) or not all(is_atom(v) for v in container):
                raise RaspTypeError(f"'s-op in X' expects X to be a list of atoms, got "
                                    f"{describe_value(container, 40)}", node.loc)
            members = tuple(container)
            label = node.container.id if isinstance(node.container, ast.Name) else str(container)
            return self.map1(item, lambda value, _m=members: value in _m,
                             "{0} in " + literal(list(members)), f"{self.name_of(item)} in {label}")
        if is_atom(item):
            if isinstance(container, list):
                self.charge(len(container), node.loc)
                return any(not isinstance(v, ir.RaspExpr) and v == item for v in container)
            if isinstance(container, dict):
                return item in container
            if isinstance(container, str):
                if not isinstance(item, str):
                    raise RaspTypeError(f"'atom in string' expects a string before 'in', got "
                                        f"{describe_value(item, 40)}", node.loc)
                return item in container
            if isinstance(container, ir.SOp):
                hits = self.map1(container, lambda value, _a=item: int(value == _a),
                                 f"int({{0}} == {literal(item)})", "s-op")
                full = self.full_selector()
                share = self.aggregate(full, hits, None, node.loc)
                return self.map1(share, lambda value: value > 0, "{0} > 0", "( s-op > 0 )")
            raise RaspTypeError(f"'atom in X' expects X to be a list, a dict, a string or an s-op, got a "
                                f"{type_name(container)}", node.loc)
        raise RaspTypeError(f"'A in X' expects A to be an s-op or an atom, got a {type_name(item)}", node.loc)

    # ------------------------------------------------------------ indexing

    def index(self, node: ast.Index, env: Env) -> Any:
        target = self.no_applied(self.expr(node.target, env), node.target.loc)
        index = self.no_applied(self.expr(node.index, env), node.index.loc)
        try:
            if isinstance(target, (list, str, dict)):
                if isinstance(index, ir.SOp):
                    return self._table_lookup(target, index, node)
                return index_element(target, index)
            if isinstance(target, ir.SOp):
                return self._sop_at(target, index, node.loc)
        except RaspcError as error:
            raise error.with_location(node.loc)
        raise RaspTypeError(f"can only index into a list, dict, string or s-op, got a {type_name(target)}",
                            node.loc)

    def _table_lookup(self, table: Any, index: ir.SOp, node: ast.Index) -> ir.Map:
        self.charge(len(table), node.loc)
        frozen = dict(table) if isinstance(table, dict) else (list(table) if isinstance(table, list) else table)
        if isinstance(frozen, list) and not all(is_atom(v) for v in frozen):
            raise RaspTypeError("a list indexed by an s-op must hold atoms", node.loc)
        if isinstance(frozen, dict) and not all(is_atom(v) for v in frozen.values()):
            raise RaspTypeError("a dict indexed by an s-op must map to atoms", node.loc)
        label = node.target.id if isinstance(node.target, ast.Name) else "table"
        return self.map1(index, lambda value, _t=frozen: index_element(_t, value),
                         f"{label}[{{0}}]", f"{label}[{self.name_of(index)}]")

    def _sop_at(self, sop: ir.SOp, index: Any, location) -> ir.Aggregate:
        if not isinstance(index, int):
            raise RaspTypeError(f"index into an s-op has to be an integer, got: {describe_value(index, 40)}", location)
        if index >= 0:
            where = self.constant(index)
        else:
            where = self.map1(ir.LENGTH, lambda n, _i=index: n + _i, f"{{0}} - {-index}", f"length{index}")
        selector = self.derived(ir.Select(keys=(ir.INDICES,), queries=(where,), predicate=ir.Compare("==", 0, 0)),
                                f"load from {index}")
        result = self.aggregate(selector, sop, None, location)
        self.display_names[result.id] = shorten(f"{self.name_of(sop)}[{index}]", result)
        return result

    # ------------------------------------------------------------ built-ins and calls

    def builtin(self, node: ast.Builtin, env: Env) -> Any:
        args = [self.no_applied(self.expr(a, env), a.loc) for a in node.args]
        if node.name == "range":
            if len(args) not in (1, 2, 3):
                raise RaspTypeError(f"range takes 1, 2 or 3 integers, got {len(args)}", node.loc)
            if not all(isinstance(a, int) for a in args):
                raise RaspTypeError(f"range expects integers, got {describe_value(args, 60)}", node.loc)
            try:
                values = range(*args)
            except ValueError as failure:
                raise RaspTypeError(f"range: {failure}", node.loc) from None
            size = range_size(values)
            if size > self.limits.max_list:
                raise RaspEvaluationError(f"range of {size} elements is longer than {self.limits.max_list} "
                                          f"(the limit for lists while staging)", node.loc)
            self.charge(size, node.loc)
            return list(values)
        if node.name == "zip":
            if not args:
                raise RaspTypeError("zip needs at least one list", node.loc)
            for position, value in enumerate(args, start=1):
                if not isinstance(value, list):
                    raise RaspTypeError(f"zip: argument {position} is a {type_name(value)}, not a list", node.loc)
            if len({len(a) for a in args}) > 1:
                raise RaspTypeError(f"zip: lists of different lengths {[len(a) for a in args]}", node.loc)
            self.charge(sum(len(a) for a in args), node.loc)
            return [list(row) for row in zip(*args)]
        if node.name == "len":
            if len(args) != 1:
                raise RaspTypeError(f"len takes one list, got {len(args)} arguments", node.loc)
            if not isinstance(args[0], list):
                raise RaspTypeError(f"len expects a list, got a {type_name(args[0])}", node.loc)
            return len(args[0])
        raise RaspNameError(f"unknown built-in {node.name!r}", node.loc)  # pragma: no cover

    def call(self, node: ast.Call, env: Env) -> Any:
        function = self.no_applied(self.expr(node.func, env), node.func.loc)
        if isinstance(function, (ir.SOp, ir.Selector)):
            if len(node.args) != 1:
                raise RaspTypeError(f"an s-op or selector is applied to exactly one input, got "
                                    f"{len(node.args)}", node.loc)
            given = self.no_applied(self.expr(node.args[0], env), node.args[0].loc)
            if isinstance(given, (str, list)):
                self.charge(len(given), node.loc)
            return Applied(function, application_input(given, node.args[0].loc))
        if not isinstance(function, (Function, BuiltinFunction)):
            raise RaspTypeError(f"cannot call a {type_name(function)} ({describe_value(function, 40)}): "
                                "only functions, s-ops and selectors can be called", node.loc)
        args = [self.no_applied(self.expr(a, env), a.loc) for a in node.args]
        if len(args) != len(function.params):
            raise RaspTypeError(f"wrong number of arguments for {function.name}: expected "
                                f"{len(function.params)}, got {len(args)}", node.loc)
        result = self.apply_function(function, args, node.loc)
        if isinstance(result, ir.RaspExpr):
            shown = " , ".join(describe_value(a, 20) for a in args)
            self.display_names[result.id] = shorten(f"{function.name}({shown})", result)
        return result

    def apply_function(self, function: Function | BuiltinFunction, args: list, location) -> Any:
        if isinstance(function, BuiltinFunction):
            try:
                return function.impl(self, *args)
            except RaspcError as error:
                raise error.with_location(location)
        if self.call_depth >= self.limits.max_call_depth:
            raise RaspEvaluationError(f"function calls nest deeper than {self.limits.max_call_depth} "
                                      f"(does {function.name} call itself without end?)", location)
        scope = function.closure.nested()
        for name, value in zip(function.params, args):
            scope.set(name, value, location)
        self.call_depth += 1
        try:
            for statement in function.body:
                self.statement(statement, scope, False, "")
            results = [self.expr(r, scope) for r in function.returns]
        except ExitFile:
            raise RaspTypeError("exit inside a function", location) from None
        finally:
            self.call_depth -= 1
        return results[0] if len(results) == 1 else results
