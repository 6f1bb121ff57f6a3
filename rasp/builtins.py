"""The meta level's values and the base environment that every program starts from.

Staging (``rasp.stage``) evaluates RASP's meta level: atoms, lists, dicts, functions
and s-op/selector nodes are its values, kept in ``Env`` scopes. This module holds those
value types, the names the original interpreter reserves, the elementwise functions
that staged maps apply (written once here so that every map of a kind behaves the
same), and ``base_env``: ``tokens`` and its variants, ``indices``, ``length``,
``full_s`` and ``selector_width``, the built-ins the prelude is written on.

    >>> env = base_env()
    >>> env.lookup("tokens", None).name
    'tokens_str'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from rasp import ast, ir
from rasp.errors import RaspNameError, RaspTypeError
from raspc.errors import SourceLocation

# Names that the original interpreter never lets a program assign.
BASE_RESERVED = frozenset({
    "tokens_asis", "tokens_str", "tokens_int", "tokens_bool", "tokens_float", "indices",
    "True", "False", "out", "range", "zip", "len", "get",
})
# The prelude's names: also reserved once it is loaded (``tokens`` stays assignable).
PRELUDE_NAMES = (
    "full_s", "length", "selector_width", "has_focus", "count", "contains", "max", "min",
    "average", "load_from_location", "shift", "mark_last_instance", "mark_first_instance",
    "select_from_last", "select_from_first", "sort", "select_next_identical",
)
RESERVED = BASE_RESERVED | frozenset(PRELUDE_NAMES)


# ------------------------------------------------------------------ values

@dataclass
class Function:
    """A ``def``: parameters, body and the scope it closes over (looked up late)."""

    name: str
    params: tuple[str, ...]
    body: tuple[ast.Statement, ...]
    returns: tuple[ast.Expr, ...]
    closure: "Env"
    creator: str

    def __str__(self) -> str:
        return f"{self.creator} function: {self.name}({', '.join(self.params)})"


@dataclass
class BuiltinFunction:
    """A function of the prelude written in Python (``selector_width``)."""

    name: str
    params: tuple[str, ...]
    impl: Callable[..., Any]
    creator: str = "RASP_support/rasplib"

    def __str__(self) -> str:
        return f"{self.creator} function: {self.name}({', '.join(self.params)})"


@dataclass(frozen=True)
class Applied:
    """An s-op or selector applied to an input: the runtime call ``f("abc")``."""

    target: ir.RaspExpr
    input: tuple


def is_atom(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool))


def type_name(value: Any) -> str:
    if isinstance(value, ir.SOp):
        return "s-op"
    if isinstance(value, ir.Selector):
        return "selector"
    if isinstance(value, (Function, BuiltinFunction)):
        return "function"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, Applied):
        return "evaluated sequence"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return type(value).__name__


def describe_value(value: Any, cap: int | None = None) -> str:
    """A value as the original writes it in names and messages (strings quoted).

    With a ``cap``, a list or dict whose text would be longer is written ``(list)`` or
    ``(dict)``; the text is built only up to the cap, so a huge or deeply nested value
    (or one that shares its parts exponentially often) costs no more than the cap.
    """
    if isinstance(value, ir.RaspExpr):
        return value.name or value.label
    if isinstance(value, (list, dict)):
        pieces: list[str] = []
        try:
            _write_value(value, pieces, [cap if cap is not None else -1])
        except _TooLong:
            return "(list)" if isinstance(value, list) else "(dict)"
        return "".join(pieces)
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


class _TooLong(Exception):
    """The text of a value has outgrown the cap it is written under."""


def _write_value(value: Any, pieces: list[str], left: list[int]) -> None:
    """Append ``value``'s text to ``pieces``; ``left[0]`` characters may still be
    written (negative: no cap)."""
    def emit(text: str) -> None:
        if left[0] >= 0:
            left[0] -= len(text)
            if left[0] < 0:
                raise _TooLong()
        pieces.append(text)

    if isinstance(value, list):
        emit("[")
        for position, item in enumerate(value):
            if position:
                emit(", ")
            _write_value(item, pieces, left)
        emit("]")
    elif isinstance(value, dict):
        emit("{")
        for position, (key, item) in enumerate(value.items()):
            if position:
                emit(", ")
            _write_value(key, pieces, left)
            emit(": ")
            _write_value(item, pieces, left)
        emit("}")
    else:
        emit(describe_value(value))


# -------------------------------------------------------------- environment

class Env:
    """One scope. ``stealing`` is the loading file's scope, which receives every
    public name a loaded file defines (the original's ``load`` semantics)."""

    def __init__(self, parent: "Env | None" = None, name: str = "console",
                 stealing: "Env | None" = None, reserved: frozenset = frozenset()):
        self.vars: dict[str, Any] = {}
        self.parent = parent
        self.name = name
        self.stealing = stealing
        self.reserved = reserved

    def nested(self) -> "Env":
        """A function's or a comprehension's scope. As in the original, only the base
        names are reserved there: a parameter may be called ``length`` or ``count``."""
        return Env(self, name=self.name + "'", reserved=BASE_RESERVED)

    def lookup(self, name: str, location: SourceLocation | None) -> Any:
        env: Env | None = self
        while env is not None:
            if name in env.vars:
                return env.vars[name]
            env = env.parent
        raise RaspNameError(f"undefined name {name!r}", location)

    def set(self, name: str, value: Any, location: SourceLocation | None) -> None:
        if name in self.reserved:
            raise RaspNameError(f"cannot assign to the reserved name {name!r}", location)
        self.vars[name] = value
        if self.stealing is not None and not name.startswith("_") and name != "out":
            self.stealing.set(name, value, location)


# ----------------------------------------------------------- element functions

def literal(value: Any) -> str:
    """A value written inside a map's description, braces escaped for ``str.format``."""
    return repr(value).replace("{", "{{").replace("}", "}}")


def indicator(value):
    return 1 if value else 0


def logical_not(value):
    return bool(value) == False  # noqa: E712 - the original's exact rule


def logical_and(left, right):
    return bool(left) + bool(right) == 2


def logical_or(left, right):
    return bool(left) + bool(right) >= 1


def choose(cond, then, otherwise):
    return then if cond else otherwise


_NUMBER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def table_atom(text: str):
    text = text.strip()
    if _NUMBER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return text


def selector_width(stager, selector: Any) -> ir.SelectorWidth:
    if not isinstance(selector, ir.Selector):
        raise RaspTypeError(f"selector_width expects a selector, got a {type_name(selector)}")
    return stager.derived(ir.SelectorWidth(selector=selector), "s-op")


def base_env() -> Env:
    """tokens, indices, length, full_s, selector_width and friends: the built-ins."""
    env = Env(name="base")
    converters = {"tokens_str": str, "tokens_int": int, "tokens_float": float, "tokens_bool": bool}
    env.vars["tokens_asis"] = ir.TOKENS
    for name, convert in converters.items():
        env.vars[name] = ir.Map(fn=convert, inner=ir.TOKENS, description=f"{convert.__name__}({{0}})", name=name)
    env.vars["tokens"] = env.vars["tokens_str"]
    env.vars["indices"] = ir.INDICES
    env.vars["length"] = ir.LENGTH
    env.vars["True"] = True
    env.vars["False"] = False
    env.vars["full_s"] = ir.Select(keys=(), queries=(), predicate=ir.PredTrue(), name="full_s")
    env.vars["selector_width"] = BuiltinFunction("selector_width", ("sel",), selector_width)
    return env
