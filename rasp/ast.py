"""The abstract syntax tree of a RASP source file.

The parser (``rasp.parser``) builds these nodes from the Lark parse tree; staging
(``rasp.stage``) walks them. Every node carries ``loc``, the place its text starts,
so that any error found later can point at it. ``text`` on an expression statement
is its source text, kept because ``raspc eval --json`` reports it as ``expr``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from raspc.errors import SourceLocation


@dataclass(frozen=True)
class Node:
    loc: SourceLocation = field(compare=False, repr=False)


# ---------------------------------------------------------------- expressions

@dataclass(frozen=True)
class Num(Node):
    value: Union[int, float]


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple["Expr", ...]


@dataclass(frozen=True)
class DictLit(Node):
    pairs: tuple[tuple["Expr", "Expr"], ...]


@dataclass(frozen=True)
class ListComp(Node):
    """``[elt for a, b in iterable]``"""

    elt: "Expr"
    targets: tuple[str, ...]
    iterable: "Expr"


@dataclass(frozen=True)
class DictComp(Node):
    """``{key: value for a, b in iterable}``"""

    key: "Expr"
    value: "Expr"
    targets: tuple[str, ...]
    iterable: "Expr"


@dataclass(frozen=True)
class Unary(Node):
    """``op`` is one of ``not``, ``-``, ``+``, ``round``, ``indicator``."""

    op: str
    operand: "Expr"


@dataclass(frozen=True)
class Binary(Node):
    """``op`` is one of ``^ * / % + - == <= >= > < and or``."""

    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Ternary(Node):
    """``then if cond else otherwise``"""

    then: "Expr"
    cond: "Expr"
    otherwise: "Expr"


@dataclass(frozen=True)
class In(Node):
    """``item in container``"""

    item: "Expr"
    container: "Expr"


@dataclass(frozen=True)
class Index(Node):
    """``target[index]``"""

    target: "Expr"
    index: "Expr"


@dataclass(frozen=True)
class Call(Node):
    """``func(args...)``: a user function, or an s-op/selector applied to an input."""

    func: "Expr"
    args: tuple["Expr", ...]


@dataclass(frozen=True)
class Select(Node):
    """``select(keys, queries, op)``, ``op`` one of ``== < > <= >= !=``."""

    keys: "Expr"
    queries: "Expr"
    op: str


@dataclass(frozen=True)
class Aggregate(Node):
    """``aggregate(selector, sop[, default])``"""

    selector: "Expr"
    sop: "Expr"
    default: "Expr | None"


@dataclass(frozen=True)
class Builtin(Node):
    """``range(...)``, ``zip(...)``, ``len(...)``: the meta-level built-ins."""

    name: str
    args: tuple["Expr", ...]


Expr = Union[
    Num, Str, Name, ListLit, DictLit, ListComp, DictComp, Unary, Binary, Ternary, In,
    Index, Call, Select, Aggregate, Builtin,
]


# ---------------------------------------------------------------- statements

@dataclass(frozen=True)
class ExprStatement(Node):
    expr: Expr
    text: str


@dataclass(frozen=True)
class Assign(Node):
    """``a, b = x, y;``"""

    targets: tuple[str, ...]
    values: tuple[Expr, ...]


@dataclass(frozen=True)
class Def(Node):
    """``def name(params) { body; return values; }``"""

    name: str
    params: tuple[str, ...]
    body: tuple["Statement", ...]
    returns: tuple[Expr, ...]


@dataclass(frozen=True)
class For(Node):
    """``for a, b in iterable { body }``: unrolled at compile time."""

    targets: tuple[str, ...]
    iterable: Expr
    body: tuple["Statement", ...]


@dataclass(frozen=True)
class Load(Node):
    """``load "name";`` includes ``name.rasp``."""

    name: str


@dataclass(frozen=True)
class Draw(Node):
    """``draw(sop[, input]);``: accepted and ignored by the compiler."""

    sop: Expr
    input: Expr | None


@dataclass(frozen=True)
class ReplCommand(Node):
    """``set example ...``, ``show example``, ``examples on``, ``exit``, ...

    ``command`` is the keyword (``set``, ``show``, ``examples``, ``full_seq_display``,
    ``exit``); ``subset`` is ``s-op``, ``selector`` or empty; ``argument`` holds the
    example expression of ``set`` or ``on``/``off``.
    """

    command: str
    subset: str
    argument: "Expr | str | None"


# ------------------------------------------------------- raspc's extensions

@dataclass(frozen=True)
class VocabDecl(Node):
    """``vocab {"a", "b"};`` or ``vocab "abc";``: the compiled model's input vocabulary."""

    values: Expr


@dataclass(frozen=True)
class MaxLenDecl(Node):
    """``max_len 10;``"""

    value: Expr


@dataclass(frozen=True)
class OutputDecl(Node):
    """``output reverse;``: the s-op the compiled model reads out."""

    name: str


@dataclass(frozen=True)
class EncodingDecl(Node):
    """``categorical frac;`` / ``numerical frac;``: an encoding hint for one s-op."""

    encoding: str
    name: str


@dataclass(frozen=True)
class TableDecl(Node):
    """``table lexicon = "lexicon.tsv";``: a TSV file loaded at compile time as a dict."""

    name: str
    path: str


@dataclass(frozen=True)
class TokenizerDecl(Node):
    """``@tokenizer {"lower": True};``: how raw text becomes tokens (``raspc.text``)."""

    options: Expr


@dataclass(frozen=True)
class ToleranceDecl(Node):
    """``@tolerance compound 0.0001[, 0.001];``: the largest error the compiled map
    may make (and the width of the window bridging a jump; None: the error)."""

    name: str
    value: Expr
    resolution: Expr | None = None


Statement = Union[
    ExprStatement, Assign, Def, For, Load, Draw, ReplCommand,
    VocabDecl, MaxLenDecl, OutputDecl, EncodingDecl, TableDecl, TokenizerDecl, ToleranceDecl,
]


@dataclass(frozen=True)
class Module:
    """A parsed file: its statements in order, and the file's name and text."""

    file: str
    statements: tuple[Statement, ...]
    source: str = field(repr=False, default="")
