"""Staging: run the meta level of a RASP file and keep the s-op graph it builds.

A RASP program is two programs in one. Atoms, lists, dicts, functions, loops and
comprehensions are ordinary values computed once, while the file is read; s-ops and
selectors are *descriptions* of computations over an input that is not known yet.
Staging evaluates the first kind and records the second as ``rasp.ir`` nodes, exactly
as the original interpreter builds its "unfinished" sequences. What is left is a
``Program``: the named s-ops and selectors, the example statements, and raspc's
declarations::

    >>> from rasp.parser import parse
    >>> program = stage(parse('flip = indices + 1;\\nflip("abc");'))
    >>> program.examples[0].input
    ('a', 'b', 'c')

Meanings follow the original interpreter (tech-srl/RASP) rule for rule, because
programs written for it must give the same results here: see ``Stager`` for the
details that matter (argument order of ``select``, how atoms broadcast, how ``and``
and ``or`` treat s-ops and selectors, how names are given).

Every user mistake is a ``RaspcError`` that names its place.
"""
from __future__ import annotations

import math
import operator
import os
import sys
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from rasp import ast, ir
from rasp.builtins import (BASE_RESERVED, RESERVED, Applied, BuiltinFunction, Env,
                           Function, base_env, choose, describe_value, indicator, is_atom, literal,
                           logical_and, logical_not, logical_or, table_atom, type_name)
from rasp.errors import RaspEvaluationError, RaspNameError, RaspTypeError
from rasp.text_declarations import TextDeclarations
from raspc.errors import RaspcError, SourceLocation


PRELUDE_PATH = Path(__file__).with_name("prelude.rasp")

# The original shortens any name longer than this to a generic one.
NAME_MAX_LEN = 30
# Staging runs whatever a file says, so it runs under fixed bounds: a file that would
# need more ends in a RaspcError that names the bound, never in a hang, a crash or an
# exhausted memory.
MAX_CALL_DEPTH = 150
#: Units of work: one per statement, expression and comprehension item, and one per
#: element of every list, string or dict built, copied, searched or compared.
MAX_WORK = 500_000
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
DEFAULT_EXAMPLE = "hello"


@dataclass(frozen=True)
class Display:
    """What the REPL would print for one top-level expression statement.

    ``kind`` is ``example`` (an application to an input: ``input`` is that input),
    ``sop``/``selector`` (a bare s-op or selector, shown on the running example,
    ``input``; ``None`` when examples are switched off), ``value`` (an atom, list, dict
    or function) or ``show`` (``show example``: ``value`` is the pair of running
    examples).
    """

    kind: str
    text: str
    name: str
    value: Any
    input: tuple | None
    location: SourceLocation | None
    example: Any = None  # the running example as written (a string or a list)
    in_json: bool = True  # assignments and loads print in the REPL's text only
    verbose: bool = False  # `full seq display on`: the REPL prints sequences as a table


@dataclass
class StagedFile:
    """A staged program plus, in order, what each top-level statement displays."""

    program: ir.Program
    displays: list[Display]
    display_names: dict[int, str]

    def name_of(self, node: ir.RaspExpr) -> str:
        return node.name or self.display_names.get(node.id) or node.label


class _Recorder:
    """Stands between a loaded file and its loader: passes names on, keeps a list."""

    def __init__(self, target: Env):
        self.target = target
        self.shared: list[tuple[str, Any]] = []

    def set(self, name: str, value: Any, location) -> None:
        self.target.set(name, value, location)
        self.shared.append((name, value))


# ------------------------------------------------------------------ staging

class _Exit(Exception):
    """``exit``/``quit``: stop reading the current file."""


def _shorten(name: str, value: Any) -> str:
    if len(name) <= NAME_MAX_LEN:
        return name
    return "sel" if isinstance(value, ir.Selector) else "s-op"


_BINARY_FUNCTIONS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "^": pow, "%": operator.mod, "==": operator.eq, "<=": operator.le, ">=": operator.ge,
    "<": operator.lt, ">": operator.gt,
}
_OP_NAMES = {"^": "pow"}


def _shift_predicate(predicate: ir.Predicate, keys: int, queries: int) -> ir.Predicate:
    """The same predicate over slots moved right by ``keys``/``queries``."""
    return ir.map_comparisons(predicate, lambda leaf: leaf.moved(leaf.key_slot + keys,
                                                                  leaf.query_slot + queries))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _guard_size(op: str, left: Any, right: Any, location) -> int:
    """Refuse meta-level arithmetic whose result would be too large, before computing it.

    Returns the number of elements the result will hold when it is a list or string
    (0 otherwise), for the work count.
    """
    if op == "^" and _is_int(left) and _is_int(right) and abs(left) > 1 and right > 0:
        # the result has at least ``right`` bits: test that first, as ``right`` may be
        # too large to become a float
        if right > MAX_INT_BITS or right * math.log2(abs(left)) > MAX_INT_BITS:
            raise RaspEvaluationError(f"{describe_value(left, 40)} ^ {right} has more than {MAX_INT_BITS} bits "
                                      f"(the limit for integers while staging)", location)
    if op == "*":
        if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise RaspEvaluationError(f"the product has more than {MAX_INT_BITS} bits "
                                      f"(the limit for integers while staging)", location)
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, list)) and isinstance(count, int):
                size = max(count, 0) * len(seq)
                if size > MAX_LIST:
                    kind = "list" if isinstance(seq, list) else "string"
                    raise RaspEvaluationError(f"repetition would make a {kind} of {size} elements, more than "
                                              f"{MAX_LIST} (the limit while staging)", location)
                return size
    if op == "+" and isinstance(left, (str, list)) and type(left) is type(right):
        size = len(left) + len(right)
        if size > MAX_LIST:
            kind = "list" if isinstance(left, list) else "string"
            raise RaspEvaluationError(f"concatenation would make a {kind} of {size} elements, more than "
                                      f"{MAX_LIST} (the limit while staging)", location)
        return size
    return 0


def _check_result(op: str, result: Any, location) -> Any:
    """Refuse what meta-level arithmetic must not leave behind: huge integers (they
    cannot even be printed) and complex numbers (``(0 - 8) ^ 0.5``)."""
    if _is_int(result) and result.bit_length() > MAX_INT_BITS:
        raise RaspEvaluationError(f"the result of {op} has more than {MAX_INT_BITS} bits "
                                  f"(the limit for integers while staging)", location)
    if isinstance(result, complex):
        raise RaspEvaluationError(f"the result of {op} is not a real number", location)
    return result


def _container_size(value: Any, limit: int, depth: int = 0) -> int:
    """Elements in a list or dict, counting those of lists inside it each time they
    appear (as a comparison visits them), but counting no further than ``limit``."""
    if not isinstance(value, (list, dict)):
        return 1
    if depth > MAX_NESTING:
        raise RaspEvaluationError(f"lists nested more than {MAX_NESTING} deep cannot be compared")
    items = list(value.items()) if isinstance(value, dict) else value
    total = len(items)
    for item in items:
        if total > limit:
            break
        if isinstance(item, tuple):  # a dict's (key, value)
            total += _container_size(item[1], limit - total, depth + 1)
        elif isinstance(item, (list, dict)):
            total += _container_size(item, limit - total, depth + 1)
    return total


def _range_size(values: range) -> int:
    """``len(values)``, which Python cannot give beyond 2**63 elements."""
    try:
        return len(values)
    except OverflowError:
        return max(0, (values.stop - values.start + values.step - (1 if values.step > 0 else -1)) // values.step)


def _index_element(table: Any, index: Any) -> Any:
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


class Stager:
    """Evaluates one file's statements (and the files it loads) into a ``StagedFile``.

    The rules that decide results, as the original interpreter has them:

    * ``select(keys, queries, OP)``: query ``i`` selects key ``j`` when
      ``keys[j] OP queries[i]``; an atom in either slot is a constant s-op.
    * Arithmetic and comparisons with one s-op operand build a ``Map`` (the atom is
      broadcast), with two a ``SequenceMap``; between atoms they are plain Python.
    * ``and``/``or``/``not``: on s-ops, elementwise by truthiness with bool results;
      on two selectors, one combined selector; on atoms, Python's own (``3 and 4`` is 4).
    * A ternary whose condition is an s-op is elementwise (both branches are staged);
      with an atom condition only the chosen branch is evaluated.
    * Assigning an s-op or selector names it after the variable.
    """

    def __init__(self, search_path: tuple[str, ...] = (), base: Env | None = None,
                 display_names: dict[int, str] | None = None):
        self.search_path = tuple(search_path)
        self.base = base
        self.display_names: dict[int, str] = dict(display_names or {})
        # Nodes made from here on belong to this staging; older ones are shared built-ins.
        self.first_id = ir.Constant(value=0).id
        self.examples: list[ir.Example] = []
        self.displays: list[Display] = []
        self.vocab: tuple | None = None
        self.max_len: int | None = None
        self.output: tuple[str, SourceLocation] | None = None
        self.hints: list[ast.EncodingDecl] = []
        self.text = TextDeclarations()  # @tokenizer and @tolerance
        self.loading: list[str] = []
        self.call_depth = 0
        self.work = 0
        # The statement or expression being staged: where an error found outside the
        # stager's own checks (a RecursionError, a MemoryError) is reported.
        self.location: SourceLocation | None = None
        self.sequence_example: Any = DEFAULT_EXAMPLE
        self.selector_example: Any = DEFAULT_EXAMPLE
        self.show_sequence_examples = True
        self.show_selector_examples = True
        self.verbose = False

    # ------------------------------------------------------------ naming

    def _owned(self, node: ir.RaspExpr) -> bool:
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
        self.display_names[node.id] = _shorten(name, node)
        self._charge(NODE_WORK, self.location)
        if node.id - self.first_id > MAX_NODES:
            raise RaspEvaluationError(
                f"the program builds more than {MAX_NODES} operations; is a loop unrolled too far?")
        return node

    def _assign_name(self, value: Any, name: str) -> None:
        if isinstance(value, ir.RaspExpr) and self._owned(value):
            value.name = _shorten(name, value)

    # ------------------------------------------------------------ s-op builders

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

    def select(self, keys: Any, queries: Any, op: str, location) -> ir.Select:
        key = self.to_sop(keys, location, "select")
        query = self.to_sop(queries, location, "select")
        return self.derived(ir.Select(keys=(key,), queries=(query,), predicate=ir.Compare(op, 0, 0)),
                          "plain select")

    def combine(self, left: ir.Select, right: ir.Select, op: str) -> ir.Select:
        shifted = _shift_predicate(right.predicate, len(left.keys), len(left.queries))
        joined = ir.PredAnd(left.predicate, shifted) if op == "and" else ir.PredOr(left.predicate, shifted)
        return self.derived(ir.Select(keys=left.keys + right.keys, queries=left.queries + right.queries,
                                    predicate=joined), "plain select")

    def negate(self, selector: ir.Select) -> ir.Select:
        return self.derived(ir.Select(keys=selector.keys, queries=selector.queries,
                                    predicate=ir.PredNot(selector.predicate)), "plain select")

    def aggregate(self, selector: Any, sop: Any, default: Any, location) -> ir.Aggregate:
        if not isinstance(selector, ir.Selector):
            raise RaspTypeError(f"aggregate expects a selector first, got a {type_name(selector)}", location)
        values = self.to_sop(sop, location, "aggregate")
        if default is None:
            default = 0
        if not is_atom(default):
            raise RaspTypeError(f"aggregate's default must be an atom, got a {type_name(default)}", location)
        return self.derived(ir.Aggregate(selector=selector, sop=values, default=default), "s-op")

    # ------------------------------------------------------------ statements

    def run_module(self, module: ast.Module, env: Env, top: bool) -> None:
        try:
            for statement in module.statements:
                self.statement(statement, env, top, module.file)
        except _Exit:
            pass

    def statement(self, node: ast.Statement, env: Env, top: bool, file: str) -> None:
        outer, self.location = self.location, node.loc
        try:
            self._statement(node, env, top, file)
        except RaspcError as error:
            raise error.with_location(node.loc)
        self.location = outer  # kept at the failing place when an exception leaves

    def _statement(self, node: ast.Statement, env: Env, top: bool, file: str) -> None:
        self._charge(1, node.loc)
        if isinstance(node, ast.ExprStatement):
            value = self.expr(node.expr, env)
            if top:
                self._display(node, value)
        elif isinstance(node, ast.Assign):
            for name, value in self.assign(node, env):
                if top:
                    self._show_named(name, value, node.loc, with_example=True)
        elif isinstance(node, ast.Def):
            function = Function(node.name, tuple(node.params), tuple(node.body), tuple(node.returns),
                                env, env.name)
            env.set(node.name, function, node.loc)
            if top:
                self._show_named(node.name, function, node.loc, with_example=False)
        elif isinstance(node, ast.For):
            self.for_loop(node, env, file)
        elif isinstance(node, ast.Load):
            shared = self.load(node, env, file)
            if top:
                last = {name: position for position, (name, _) in enumerate(shared)}
                for position, (name, value) in enumerate(shared):
                    if last[name] == position:
                        self._show_named(name, value, node.loc, with_example=False)
        elif isinstance(node, ast.Draw):
            pass  # drawing is the original REPL's business, not the compiler's
        elif isinstance(node, ast.ReplCommand):
            self.repl_command(node, env, top)
        elif isinstance(node, ast.VocabDecl):
            values = self.expr(node.values, env)
            if isinstance(values, (str, list)):
                self._charge(len(values), node.loc)
            self.vocab = self._vocab(values, node.loc)
        elif isinstance(node, ast.MaxLenDecl):
            value = self.expr(node.value, env)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise RaspTypeError(f"@max_len needs a positive integer, got {describe_value(value, 40)}", node.loc)
            if value > MAX_LIST:
                raise RaspEvaluationError(f"@max_len {value} is more than {MAX_LIST} (the limit for sequence "
                                          "lengths)", node.loc)
            self.max_len = value
        elif isinstance(node, ast.OutputDecl):
            self.output = (node.name, node.loc)
        elif isinstance(node, ast.EncodingDecl):
            self.hints.append(node)
        elif isinstance(node, ast.TableDecl):
            env.set(node.name, self._table(node, file), node.loc)
        elif isinstance(node, (ast.TokenizerDecl, ast.ToleranceDecl)):
            self.text.declare(node, env, self.expr)
        else:  # pragma: no cover - the parser builds nothing else
            raise RaspTypeError(f"unknown statement {type(node).__name__}", node.loc)

    def _charge(self, units: int, location) -> None:
        """Count work (see ``MAX_WORK``); refuse to go past the bound."""
        self.work += units
        if self.work > MAX_WORK:
            raise RaspEvaluationError(
                f"staging needs more than {MAX_WORK} steps of work (the limit): is a loop or a "
                "comprehension unrolled too far, or a list too long?", location)

    def assign(self, node: ast.Assign, env: Env) -> list[tuple[str, Any]]:
        values = [self.expr(v, env) for v in node.values]
        value: Any = values[0] if len(values) == 1 else values
        if len(node.targets) == 1:
            pairs = [(node.targets[0], value)]
        else:
            if not isinstance(value, list):
                raise RaspTypeError(f"expected {len(node.targets)} values, but got one "
                                    f"{type_name(value)}", node.loc)
            if len(value) != len(node.targets):
                raise RaspTypeError(f"expected {len(node.targets)} values, but got {len(value)}", node.loc)
            pairs = list(zip(node.targets, value))
        for name, item in pairs:
            env.set(name, item, node.loc)
            self._assign_name(item, name)
        return pairs

    def _bind_targets(self, env: Env, targets: tuple[str, ...], item: Any, location) -> None:
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

    def _iterable(self, value: Any, what: str, location) -> list:
        if isinstance(value, list):
            return list(value)
        if isinstance(value, dict):
            self._charge(len(value), location)
            return list(value.keys())
        raise RaspTypeError(f"{what} needs a list or a dict to loop over, got a {type_name(value)}", location)

    def for_loop(self, node: ast.For, env: Env, file: str) -> None:
        items = self._iterable(self.expr(node.iterable, env), "a for loop", node.iterable.loc)
        for item in items:
            self._bind_targets(env, tuple(node.targets), item, node.loc)
            for statement in node.body:
                self.statement(statement, env, False, file)

    def repl_command(self, node: ast.ReplCommand, env: Env, top: bool) -> None:
        subset = node.subset or "both"
        if node.command == "exit":
            raise _Exit()
        if node.command == "set":
            example = self.expr(node.argument, env)
            if not isinstance(example, (str, list)):
                raise RaspTypeError(f"an example must be a string or a list, got a {type_name(example)}",
                                    node.loc)
            if subset in ("both", "s-op"):
                self.sequence_example = example
            if subset in ("both", "selector"):
                self.selector_example = example
        elif node.command == "examples":
            on = node.argument == "on"
            if subset in ("both", "s-op"):
                self.show_sequence_examples = on
            if subset in ("both", "selector"):
                self.show_selector_examples = on
        elif node.command == "show" and top:
            self.displays.append(Display("show", "", subset, (self.sequence_example, self.selector_example),
                                         None, node.loc))
        elif node.command == "full_seq_display":
            self.verbose = node.argument == "on"

    def load(self, node: ast.Load, env: Env, file: str) -> list[tuple[str, Any]]:
        """Run a loaded file in its own scope; its public names land in ``env`` too.

        Returns the (name, value) pairs it shared, in order, for the REPL's listing.
        """
        path = self._find(node.name + ".rasp", file, node.loc, "load")
        if path in self.loading:
            raise RaspNameError(f"load cycle: {node.name!r} is already being loaded "
                                f"({' -> '.join(Path(p).name for p in self.loading)})", node.loc)
        from rasp.parser import parse

        try:
            source = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as failure:
            raise RaspNameError(f"cannot read {path}: {failure}", node.loc) from None
        module = parse(source, path)
        receiver = _Recorder(env)
        file_env = Env(self.base, name=node.name, stealing=receiver, reserved=RESERVED)
        self.loading.append(path)
        try:
            self.run_module(module, file_env, top=False)
        finally:
            self.loading.pop()
        return receiver.shared

    def _find(self, name: str, file: str, location, what: str) -> str:
        folders = []
        if file and not file.startswith("<"):
            folders.append(str(Path(file).resolve().parent))
        folders.extend(self.search_path)
        folders.append(os.getcwd())
        for folder in folders:
            candidate = Path(folder) / name
            if candidate.is_file():
                return str(candidate.resolve())
        raise RaspNameError(f"{what}: could not find {name!r} (looked in {', '.join(folders)})", location)

    def _table(self, node: ast.TableDecl, file: str) -> dict:
        path = self._find(node.path, file, node.loc, "@table")
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as failure:
            raise RaspNameError(f"cannot read table {path}: {failure}", node.loc) from None
        table: dict = {}
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            columns = line.rstrip("\r\n").split("\t")
            if len(columns) < 2:
                raise RaspTypeError(f"{path}:{number}: a table line needs a key and a value "
                                    "separated by a tab", node.loc)
            table[table_atom(columns[0])] = table_atom(columns[1])
        return table

    def _vocab(self, value: Any, location) -> tuple:
        if isinstance(value, str):
            items = tuple(value)
        elif isinstance(value, list) and all(is_atom(v) for v in value):
            items = tuple(value)
        else:
            raise RaspTypeError(f"@vocab needs a string or a list of atoms, got {describe_value(value, 40)}",
                                location)
        if not items:
            raise RaspTypeError("@vocab is empty", location)
        return tuple(dict.fromkeys(items))

    def _add(self, display: Display) -> None:
        self.displays.append(replace(display, verbose=self.verbose) if self.verbose else display)

    def _show_named(self, name: str, value: Any, location, with_example: bool) -> None:
        kind = "sop" if isinstance(value, ir.SOp) else "selector" if isinstance(value, ir.Selector) else "value"
        shown = None
        example = self.sequence_example if kind == "sop" else self.selector_example
        if with_example and kind != "value":
            on = self.show_sequence_examples if kind == "sop" else self.show_selector_examples
            shown = _as_input(example) if on else None
        self._add(Display(kind, name, name, value, shown, location, example, in_json=False))

    def _display(self, node: ast.ExprStatement, value: Any) -> None:
        text = node.text.strip().rstrip(";").strip()
        name = node.expr.id if isinstance(node.expr, ast.Name) else "out"
        if isinstance(value, Applied) and not isinstance(node.expr, ast.Call):
            # a name holding a finished sequence (`x = f("ab"); x;`): shown as a value
            self._add(Display("value", text, name, value, None, node.loc, in_json=False))
        elif isinstance(value, Applied):
            self.examples.append(ir.Example(text, value.target, value.input, node.loc))
            self._add(Display("example", text, self.name_of(value.target), value.target,
                                         value.input, node.loc))
        elif isinstance(value, ir.SOp):
            shown = _as_input(self.sequence_example) if self.show_sequence_examples else None
            self._add(Display("sop", text, name, value, shown, node.loc, self.sequence_example))
        elif isinstance(value, ir.Selector):
            shown = _as_input(self.selector_example) if self.show_selector_examples else None
            self._add(Display("selector", text, name, value, shown, node.loc,
                                         self.selector_example))
        else:
            self._add(Display("value", text, name, value, None, node.loc))

    # ------------------------------------------------------------ expressions

    def expr(self, node: ast.Expr, env: Env) -> Any:
        outer, self.location = self.location, node.loc
        self._charge(1, node.loc)
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
            if len(node.items) > MAX_LIST:
                raise RaspEvaluationError(f"a list of {len(node.items)} elements is longer than {MAX_LIST} "
                                          "(the limit for lists while staging)", loc)
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
            items = self._iterable(self.expr(node.iterable, env), "a list comprehension", node.iterable.loc)
            out = []
            if len(items) > MAX_LIST:
                raise RaspEvaluationError(f"a list comprehension of {len(items)} elements is longer than "
                                          f"{MAX_LIST} (the limit for lists while staging)", loc)
            for item in items:
                self._charge(1, loc)
                inner = env.nested()
                self._bind_targets(inner, tuple(node.targets), item, loc)
                out.append(self.expr(node.elt, inner))
            return out
        if isinstance(node, ast.DictComp):
            items = self._iterable(self.expr(node.iterable, env), "a dict comprehension", node.iterable.loc)
            result = {}
            for item in items:
                self._charge(1, loc)
                inner = env.nested()
                self._bind_targets(inner, tuple(node.targets), item, loc)
                key = self.expr(node.key, inner)
                if not is_atom(key):
                    raise RaspTypeError(f"dictionary keys must be atoms, got a {type_name(key)}", node.key.loc)
                result[key] = self.expr(node.value, inner)
            return result
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

    def _no_applied(self, value: Any, location) -> Any:
        if isinstance(value, Applied):
            raise RaspTypeError("an s-op applied to an input is a finished sequence; "
                                "it cannot be used in further expressions", location)
        return value

    def unary(self, node: ast.Unary, env: Env) -> Any:
        value = self._no_applied(self.expr(node.operand, env), node.loc)
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
            return _check_result(op, function(value), node.loc)
        except (TypeError, ValueError, OverflowError) as failure:
            raise RaspTypeError(f"cannot apply {op} to {describe_value(value, 40)}: {failure}", node.loc) from None

    def binary(self, node: ast.Binary, env: Env) -> Any:
        left = self._no_applied(self.expr(node.left, env), node.left.loc)
        right = self._no_applied(self.expr(node.right, env), node.right.loc)
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
            return self.elementwise(function, [left, right], f"{{0}} {op} {{1}}", name, node.loc)
        for value in (left, right):
            if isinstance(value, (Function, BuiltinFunction)):
                raise RaspTypeError(f"cannot apply {op} to a function", node.loc)
        self._charge(_guard_size(op, left, right, node.loc), node.loc)
        if op in ("==", "<=", ">=", "<", ">") and isinstance(left, (list, dict)) and isinstance(right, (list, dict)):
            budget = MAX_WORK - self.work + 1
            self._charge(min(_container_size(left, budget), _container_size(right, budget)), node.loc)
        try:
            return _check_result(op, function(left, right), node.loc)
        except ZeroDivisionError:
            raise RaspEvaluationError(f"division by zero in {describe_value(left, 40)} {op} "
                                      f"{describe_value(right, 40)}", node.loc) from None
        except (TypeError, ValueError, OverflowError) as failure:
            raise RaspTypeError(f"cannot apply {op} to {type_name(left)} {describe_value(left, 40)} and "
                                f"{type_name(right)} {describe_value(right, 40)} ({failure})", node.loc) from None

    def ternary(self, node: ast.Ternary, env: Env) -> Any:
        cond = self._no_applied(self.expr(node.cond, env), node.cond.loc)
        if isinstance(cond, ir.Selector):
            raise RaspTypeError("a ternary's condition cannot be a selector", node.cond.loc)
        if isinstance(cond, ir.SOp):
            then = self._no_applied(self.expr(node.then, env), node.then.loc)
            otherwise = self._no_applied(self.expr(node.otherwise, env), node.otherwise.loc)
            operands = [self.to_sop(v, node.loc, "an s-op ternary") for v in (cond, then, otherwise)]
            name = f"{self.name_of(operands[1])} if {self.name_of(operands[0])} else {self.name_of(operands[2])}"
            return self.mapn(tuple(operands), choose, "{1} if {0} else {2}", name)
        if isinstance(cond, (Function, BuiltinFunction)):
            raise RaspTypeError("a ternary's condition cannot be a function", node.cond.loc)
        return self.expr(node.then, env) if cond else self.expr(node.otherwise, env)

    def contains(self, node: ast.In, env: Env) -> Any:
        item = self._no_applied(self.expr(node.item, env), node.item.loc)
        container = self._no_applied(self.expr(node.container, env), node.container.loc)
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
                self._charge(len(container), node.loc)
                return any(not isinstance(v, ir.RaspExpr) and v == item for v in container)
            if isinstance(container, ir.SOp):
                hits = self.map1(container, lambda value, _a=item: int(value == _a),
                                 f"int({{0}} == {literal(item)})", "s-op")
                full = self.full_selector()
                share = self.aggregate(full, hits, None, node.loc)
                return self.map1(share, lambda value: value > 0, "{0} > 0", "( s-op > 0 )")
            raise RaspTypeError(f"'atom in X' expects X to be a list or an s-op, got a "
                                f"{type_name(container)}", node.loc)
        raise RaspTypeError(f"'A in X' expects A to be an s-op or an atom, got a {type_name(item)}", node.loc)

    def full_selector(self) -> ir.Select:
        return self.derived(ir.Select(keys=(), queries=(), predicate=ir.PredTrue()), "full average")

    def index(self, node: ast.Index, env: Env) -> Any:
        target = self._no_applied(self.expr(node.target, env), node.target.loc)
        index = self._no_applied(self.expr(node.index, env), node.index.loc)
        try:
            if isinstance(target, (list, str, dict)):
                if isinstance(index, ir.SOp):
                    return self._table_lookup(target, index, node)
                return _index_element(target, index)
            if isinstance(target, ir.SOp):
                return self._sop_at(target, index, node.loc)
        except RaspcError as error:
            raise error.with_location(node.loc)
        raise RaspTypeError(f"can only index into a list, dict, string or s-op, got a {type_name(target)}",
                            node.loc)

    def _table_lookup(self, table: Any, index: ir.SOp, node: ast.Index) -> ir.Map:
        self._charge(len(table), node.loc)
        frozen = dict(table) if isinstance(table, dict) else (list(table) if isinstance(table, list) else table)
        if isinstance(frozen, list) and not all(is_atom(v) for v in frozen):
            raise RaspTypeError("a list indexed by an s-op must hold atoms", node.loc)
        if isinstance(frozen, dict) and not all(is_atom(v) for v in frozen.values()):
            raise RaspTypeError("a dict indexed by an s-op must map to atoms", node.loc)
        label = node.target.id if isinstance(node.target, ast.Name) else "table"
        return self.map1(index, lambda value, _t=frozen: _index_element(_t, value),
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
        self.display_names[result.id] = _shorten(f"{self.name_of(sop)}[{index}]", result)
        return result

    def builtin(self, node: ast.Builtin, env: Env) -> Any:
        args = [self._no_applied(self.expr(a, env), a.loc) for a in node.args]
        if node.name == "range":
            if len(args) not in (1, 2, 3):
                raise RaspTypeError(f"range takes 1, 2 or 3 integers, got {len(args)}", node.loc)
            if not all(isinstance(a, int) for a in args):
                raise RaspTypeError(f"range expects integers, got {describe_value(args, 60)}", node.loc)
            try:
                values = range(*args)
            except ValueError as failure:
                raise RaspTypeError(f"range: {failure}", node.loc) from None
            size = _range_size(values)
            if size > MAX_LIST:
                raise RaspEvaluationError(f"range of {size} elements is longer than {MAX_LIST} "
                                          f"(the limit for lists while staging)", node.loc)
            self._charge(size, node.loc)
            return list(values)
        if node.name == "zip":
            if not args:
                raise RaspTypeError("zip needs at least one list", node.loc)
            for position, value in enumerate(args, start=1):
                if not isinstance(value, list):
                    raise RaspTypeError(f"zip: argument {position} is a {type_name(value)}, not a list", node.loc)
            if len({len(a) for a in args}) > 1:
                raise RaspTypeError(f"zip: lists of different lengths {[len(a) for a in args]}", node.loc)
            self._charge(sum(len(a) for a in args), node.loc)
            return [list(row) for row in zip(*args)]
        if node.name == "len":
            if len(args) != 1:
                raise RaspTypeError(f"len takes one list, got {len(args)} arguments", node.loc)
            if not isinstance(args[0], list):
                raise RaspTypeError(f"len expects a list, got a {type_name(args[0])}", node.loc)
            return len(args[0])
        raise RaspNameError(f"unknown built-in {node.name!r}", node.loc)  # pragma: no cover

    def call(self, node: ast.Call, env: Env) -> Any:
        function = self._no_applied(self.expr(node.func, env), node.func.loc)
        if isinstance(function, (ir.SOp, ir.Selector)):
            if len(node.args) != 1:
                raise RaspTypeError(f"an s-op or selector is applied to exactly one input, got "
                                    f"{len(node.args)}", node.loc)
            given = self._no_applied(self.expr(node.args[0], env), node.args[0].loc)
            if isinstance(given, (str, list)):
                self._charge(len(given), node.loc)
            return Applied(function, _application_input(given, node.args[0].loc))
        if not isinstance(function, (Function, BuiltinFunction)):
            raise RaspTypeError(f"cannot call a {type_name(function)} ({describe_value(function, 40)}): "
                                "only functions, s-ops and selectors can be called", node.loc)
        args = [self._no_applied(self.expr(a, env), a.loc) for a in node.args]
        if len(args) != len(function.params):
            raise RaspTypeError(f"wrong number of arguments for {function.name}: expected "
                                f"{len(function.params)}, got {len(args)}", node.loc)
        result = self.apply_function(function, args, node.loc)
        if isinstance(result, ir.RaspExpr):
            shown = " , ".join(describe_value(a, 20) for a in args)
            self.display_names[result.id] = _shorten(f"{function.name}({shown})", result)
        return result

    def apply_function(self, function: Function | BuiltinFunction, args: list, location) -> Any:
        if isinstance(function, BuiltinFunction):
            try:
                return function.impl(self, *args)
            except RaspcError as error:
                raise error.with_location(location)
        if self.call_depth >= MAX_CALL_DEPTH:
            raise RaspEvaluationError(f"function calls nest deeper than {MAX_CALL_DEPTH} "
                                      f"(does {function.name} call itself without end?)", location)
        scope = function.closure.nested()
        for name, value in zip(function.params, args):
            scope.set(name, value, location)
        self.call_depth += 1
        try:
            for statement in function.body:
                self.statement(statement, scope, False, "")
            results = [self.expr(r, scope) for r in function.returns]
        except _Exit:
            raise RaspTypeError("exit inside a function", location) from None
        finally:
            self.call_depth -= 1
        return results[0] if len(results) == 1 else results

    # ------------------------------------------------------------ finishing

    def finish(self, env: Env, source_file: str) -> StagedFile:
        for hint in self.hints:
            value = env.lookup(hint.name, hint.loc)
            if not isinstance(value, ir.SOp):
                raise RaspTypeError(f"@{hint.encoding} applies to s-ops; {hint.name!r} is a {type_name(value)}",
                                    hint.loc)
            if not self._owned(value):
                raise RaspTypeError(f"@{hint.encoding} cannot change the built-in s-op {hint.name!r}", hint.loc)
            value.encoding_hint = ir.Encoding(hint.encoding)
        names: dict[str, ir.RaspExpr] = {}
        scope: Env | None = env
        chain = []
        while scope is not None:
            chain.append(scope)
            scope = scope.parent
        for scope in reversed(chain):
            for name, value in scope.vars.items():
                if name != "out" and isinstance(value, ir.RaspExpr):
                    names[name] = value
        output = None
        if self.output is not None:
            name, location = self.output
            if not isinstance(names.get(name), ir.SOp):
                raise RaspNameError(f"@output {name!r} is not an s-op defined in this file", location)
            output = name
        program = ir.Program(names=names, examples=list(self.examples), vocab=self.vocab,
                             max_len=self.max_len, output=output, source_file=source_file)
        program = self.text.finish(program, env)
        return StagedFile(program, list(self.displays), self.display_names)


def _as_input(example: Any) -> tuple:
    return tuple(example)


def _application_input(value: Any, location) -> tuple:
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


# ------------------------------------------------------------------ the prelude


@lru_cache(maxsize=1)
def _prelude() -> tuple[Env, dict[int, str]]:
    """The staged prelude, once per process: its nodes are shared and never renamed."""
    from rasp.parser import parse

    base = base_env()
    module = parse(PRELUDE_PATH.read_text(encoding="utf-8"), str(PRELUDE_PATH))
    stager = Stager(base=base)
    prelude_env = Env(base, name="RASP_support/rasplib", reserved=BASE_RESERVED)
    stager.run_module(module, prelude_env, top=False)
    base.vars.update({k: v for k, v in prelude_env.vars.items() if k != "out"})
    for value in base.vars.values():
        if isinstance(value, Function):
            value.closure = base
    return base, stager.display_names


# ------------------------------------------------------------------ entry points

def stage_file(module: ast.Module, search_path: tuple[str, ...] = ()) -> StagedFile:
    """Stage a parsed file and keep what each top-level statement displays."""
    base, prelude_names = _prelude()
    stager = Stager(search_path=search_path, base=base, display_names=prelude_names)
    env = Env(base, name="console", reserved=RESERVED)
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous_limit, 8000))
    try:
        stager.run_module(module, env, top=True)
    except RecursionError:
        raise RaspEvaluationError(
            "the program nests too deeply to stage (a function that calls itself without end?)",
            stager.location or SourceLocation(module.file, 1, 1)) from None
    except MemoryError:
        raise RaspEvaluationError("staging ran out of memory (a list or a loop too large?)",
                                  stager.location or SourceLocation(module.file, 1, 1)) from None
    finally:
        sys.setrecursionlimit(previous_limit)
    return stager.finish(env, module.file)


def stage(module: ast.Module, search_path: tuple[str, ...] = ()) -> ir.Program:
    """Stage a parsed file (the prelude first) into a ``Program``."""
    return stage_file(module, search_path).program


def load_file(path: str, search_path: tuple[str, ...] = ()) -> StagedFile:
    """Read, parse and stage a file; ``load`` looks beside it first, then ``search_path``."""
    from rasp.parser import parse

    try:
        source = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RaspNameError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as failure:
        raise RaspNameError(f"cannot read {path}: {failure}") from None
    return stage_file(parse(source, path), search_path)


def load_program(path: str) -> ir.Program:
    """Parse and stage the file at ``path`` (see ``stage``)."""
    return load_file(path).program
