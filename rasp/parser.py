"""Parse RASP source text into the AST of ``rasp.ast``.

The grammar (``grammar.lark``) is the original RASP language plus raspc's ``@``
declarations. It is LALR(1); the parser is built once per process and builds the AST
directly as it reduces each rule (no intermediate parse tree), so a file of a few
hundred lines parses in milliseconds. Binary operators arrive as one flat chain and
are grouped here by ``BINARY_PRECEDENCE`` (the language's table). On the way the
builder checks the rules a context-free grammar leaves open: one final ``return`` per
``def``, REPL commands and declarations only at the top level.

Every failure is a ``RaspSyntaxError`` that names the place and says, in words, what
was found and what would have been accepted: no Lark exception leaves ``parse``.

>>> module = parse("x = 1 + 2 * 3;")
>>> module.statements[0].values[0].op
'+'
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedInput, VisitError

from rasp import ast
from rasp.errors import RaspSyntaxError
from rasp.syntax_errors import describe_unexpected
from raspc.cache import cache_file
from raspc.errors import SourceLocation

GRAMMAR_PATH = Path(__file__).with_name("grammar.lark")

__all__ = ["parse", "GRAMMAR_PATH", "BINARY_PRECEDENCE"]


def parse(source: str, file: str = "<input>") -> ast.Module:
    """Parse a whole RASP file into an ``ast.Module``.

    Raises ``RaspSyntaxError`` (with a location carrying the source line) when the text
    is not a RASP program.
    """
    lines = _source_lines(source)
    parser = _lark()
    with _LOCK:
        _BUILDER.start_file(file, source, lines)
        try:
            statements = parser.parse(source)
        except UnexpectedInput as error:
            raise describe_unexpected(error, source, file, lines, parser) from None
        except VisitError as error:  # only if Lark ever wraps a builder error
            if isinstance(error.orig_exc, RaspSyntaxError):
                raise error.orig_exc from None
            raise RaspSyntaxError(f"cannot parse: {error.orig_exc}", _first_place(file, lines)) from None
        except LarkError as error:  # anything else Lark may raise: still a clean error
            raise RaspSyntaxError(f"cannot parse: {error}", _first_place(file, lines)) from None
    return ast.Module(file=file, statements=statements, source=source)


@lru_cache(maxsize=1)
def _lark() -> Lark:
    """The LALR parser, built on first use and shared afterwards.

    It builds no parse tree: ``_BUILDER``'s methods run as each rule is reduced, which
    is several times faster than building a tree with positions and transforming it.
    Building the LALR tables takes over a second, so Lark keeps them in raspc's cache
    folder (``raspc.cache``); the file records a hash of the grammar, the options and
    Lark's version, and Lark rebuilds the tables when any of them changed.
    """
    return Lark(
        GRAMMAR_PATH.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        maybe_placeholders=True,
        transformer=_BUILDER,
        cache=cache_file("rasp_parser.lark") or False,
    )


def _source_lines(source: str) -> list[str]:
    """Lines as Lark counts them (split on newline only), without line endings."""
    return [line.rstrip("\r") for line in source.split("\n")]


def _first_place(file: str, lines: list[str]) -> SourceLocation:
    return SourceLocation(file, 1, 1, lines[0])


# ------------------------------------------------------------------ rules -> AST


@dataclass(frozen=True)
class _Return:
    """A ``return`` statement while its enclosing ``def`` is being built."""

    loc: SourceLocation
    values: tuple


@dataclass(frozen=True)
class _Block:
    """The statements between ``{`` and ``}``, and where the ``}`` is."""

    statements: tuple
    close: SourceLocation


@dataclass(frozen=True)
class _Names:
    """A comma-separated list of names and where the first one is."""

    names: tuple[str, ...]
    loc: SourceLocation


_TOP_LEVEL_ONLY = (
    ast.ReplCommand, ast.VocabDecl, ast.MaxLenDecl, ast.OutputDecl, ast.EncodingDecl, ast.TableDecl,
    ast.TokenizerDecl, ast.ToleranceDecl,
)
_TOP_LEVEL_WORDS = {
    ast.VocabDecl: "@vocab", ast.MaxLenDecl: "@max_len", ast.OutputDecl: "@output",
    ast.EncodingDecl: "an encoding declaration", ast.TableDecl: "@table",
    ast.TokenizerDecl: "@tokenizer", ast.ToleranceDecl: "@tolerance",
}
_WORD = re.compile(r"[A-Za-z_]+")
# A line's text before its comment: strings hold no '"' or newline, so this is exact.
_CODE_BEFORE_COMMENT = re.compile(r'(?:[^"#\n]|"[^"\n]*")*')


@v_args(inline=True)
class _AstBuilder(Transformer):
    """Builds ``rasp.ast`` nodes as the parser reduces each rule.

    Lark calls the method named after the rule (or its ``-> alias``) with the rule's
    children: AST nodes already built, and the tokens the grammar keeps (those whose
    names do not start with ``_``). A node's location is that of its first token.
    One instance serves every parse; ``start_file`` points it at the file at hand.
    """

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.start_file("<input>", "", [""])

    def start_file(self, file: str, source: str, lines: list[str]) -> None:
        self.file = file
        self.source = source
        self.lines = lines
        offsets = [0]
        for line in source.split("\n"):
            offsets.append(offsets[-1] + len(line) + 1)
        self.line_offsets = offsets

    def _tok(self, token: Token) -> SourceLocation:
        return SourceLocation(self.file, token.line, token.column, self.lines[token.line - 1])

    def _text_between(self, start: SourceLocation, end: int) -> str:
        """Source from ``start`` up to offset ``end``, without trailing blanks or comments."""
        begin = self.line_offsets[start.line - 1] + start.column - 1
        text_lines = self.source[begin:end].split("\n")
        while text_lines:
            code = _CODE_BEFORE_COMMENT.match(text_lines[-1]).group().rstrip()
            if code:
                text_lines[-1] = code
                break
            text_lines.pop()
        return "\n".join(text_lines)

    # ------------------------------------------------------------ literals, names

    def name(self, token):
        return ast.Name(self._tok(token), str(token))

    def int_lit(self, token):
        try:
            return ast.Num(self._tok(token), int(token))
        except ValueError:  # Python refuses to convert integers of thousands of digits
            raise RaspSyntaxError(f"number too long ({len(token)} digits)", self._tok(token)) from None

    def float_lit(self, token):
        return ast.Num(self._tok(token), float(token))

    def string_lit(self, token):
        return ast.Str(self._tok(token), str(token)[1:-1])

    def paren(self, lpar, inner):
        """No node for parentheses; the inner expression starts at the '('."""
        return replace(inner, loc=self._tok(lpar))

    def list_lit(self, lsqb, items):
        return ast.ListLit(self._tok(lsqb), items or ())

    def list_comp(self, lsqb, element, _for, targets, _in, iterable):
        return ast.ListComp(self._tok(lsqb), element, targets.names, iterable)

    def dict_lit(self, lbrace, *pairs_and_close):
        pairs = tuple(pair for pair in pairs_and_close[:-1] if pair is not None)
        return ast.DictLit(self._tok(lbrace), pairs)

    def pair(self, key, value):
        return (key, value)

    def dict_comp(self, lbrace, key, value, _for, targets, _in, iterable, _rbrace):
        return ast.DictComp(self._tok(lbrace), key, value, targets.names, iterable)

    def expr_list(self, *exprs):
        return exprs

    def id_list(self, *names):
        return _Names(tuple(str(name) for name in names), self._tok(names[0]))

    # ------------------------------------------------------------ operators

    def unary(self, op, operand):
        return ast.Unary(self._tok(op), str(op), operand)

    def unary_call(self, opener, operand):
        return ast.Unary(self._tok(opener), _WORD.match(opener).group(), operand)

    def expr(self, *chain):
        """An operand, then (operator, operand) pairs: ordered by ``BINARY_PRECEDENCE``.

        The chain is ``operand op operand ...``, where ``op`` is a token, or the token
        ``if`` followed by the condition (``a if c else b`` reads as ``a <if c> b``).
        Every level is left-associative, so an operator first reduces every pending
        operator of the same or a tighter level (shunting-yard).
        """
        operands = [chain[0]]
        pending: list[tuple[int, str, object]] = []  # (level, operator, condition or None)
        position = 1
        while position < len(chain):
            token = chain[position]
            condition = None
            if token.type == "IF":
                condition = chain[position + 1]
                position += 1
            level = BINARY_PRECEDENCE[str(token)]
            while pending and pending[-1][0] >= level:
                _apply(operands, pending.pop())
            pending.append((level, str(token), condition))
            operands.append(chain[position + 1])
            position += 2
        while pending:
            _apply(operands, pending.pop())
        return operands[0]

    def index(self, target, _lsqb, index):
        return ast.Index(target.loc, target, index)

    def call(self, func, _lpar, args):
        return ast.Call(func.loc, func, args or ())

    def select(self, opener, keys, queries, op):
        return ast.Select(self._tok(opener), keys, queries, op)

    def select_op(self, token):
        return str(token)

    def aggregate(self, opener, selector, sop, default):
        return ast.Aggregate(self._tok(opener), selector, sop, default)

    def builtin(self, opener, args):
        args = args if isinstance(args, tuple) else (args,)
        return ast.Builtin(self._tok(opener), _WORD.match(opener).group(), args)

    # ------------------------------------------------------------ statements

    def expr_stmt(self, expr, semicolon):
        return ast.ExprStatement(expr.loc, expr, self._text_between(expr.loc, semicolon.start_pos))

    def assign(self, targets, values, _semicolon):
        return ast.Assign(targets.loc, targets.names, values)

    def return_stmt(self, keyword, values, _semicolon):
        return _Return(self._tok(keyword), values)

    def block(self, _lbrace, *statements_and_close):
        return _Block(statements_and_close[:-1], self._tok(statements_and_close[-1]))

    def funcdef(self, keyword, name, _lpar, params, block):
        body = block.statements
        misplaced = [statement for statement in body[:-1] if isinstance(statement, _Return)]
        if misplaced:
            raise RaspSyntaxError(f"'return' must be the last statement of function '{name}'", misplaced[0].loc)
        if not body or not isinstance(body[-1], _Return):
            raise RaspSyntaxError(
                f"function '{name}' has no return statement: its body must end with 'return ...;'",
                block.close,
            )
        inner = body[:-1]
        _check_block(inner, f"function '{name}'")
        params = params.names if params is not None else ()
        return ast.Def(self._tok(keyword), str(name), params, inner, body[-1].values)

    def for_loop(self, keyword, targets, _in, iterable, block):
        _check_block(block.statements, "a for loop")
        return ast.For(self._tok(keyword), targets.names, iterable, block.statements)

    def load(self, keyword, name, _semicolon):
        return ast.Load(self._tok(keyword), str(name)[1:-1])

    def draw(self, keyword, _lpar, sop, example, _semicolon):
        return ast.Draw(self._tok(keyword), sop, example)

    def start(self, *statements):
        for statement in statements:
            if isinstance(statement, _Return):
                raise RaspSyntaxError("'return' outside a function", statement.loc)
        return statements

    # ------------------------------------------------------------ REPL commands

    def subset(self, token):
        return token

    def switch(self, token):
        return token

    def repl_set(self, keyword, subset, example, _semicolon):
        return ast.ReplCommand(self._tok(keyword), "set", str(subset or ""), example)

    def repl_show(self, keyword, subset, _semicolon):
        return ast.ReplCommand(self._tok(keyword), "show", str(subset or ""), None)

    def repl_examples(self, subset, keyword, switch, _semicolon):
        place = self._tok(subset if subset is not None else keyword)
        return ast.ReplCommand(place, "examples", str(subset or ""), str(switch))

    def repl_seq_display(self, keyword, switch, _semicolon):
        return ast.ReplCommand(self._tok(keyword), "full_seq_display", "", str(switch))

    def repl_exit(self, keyword, _semicolon):
        return ast.ReplCommand(self._tok(keyword), "exit", "", None)

    # ------------------------------------------------------------ declarations

    def vocab_decl(self, keyword, values, _semicolon):
        return ast.VocabDecl(self._tok(keyword), values)

    def brace_set(self, lbrace, *items_and_close):
        return ast.ListLit(self._tok(lbrace), items_and_close[:-1])

    def max_len_decl(self, keyword, value, _semicolon):
        return ast.MaxLenDecl(self._tok(keyword), value)

    def output_decl(self, keyword, name, _semicolon):
        return ast.OutputDecl(self._tok(keyword), str(name))

    def encoding_decl(self, keyword, name, _semicolon):
        return ast.EncodingDecl(self._tok(keyword), str(keyword)[1:], str(name))

    def table_decl(self, keyword, name, path, _semicolon):
        return ast.TableDecl(self._tok(keyword), str(name), str(path)[1:-1])

    def tokenizer_decl(self, keyword, options, _semicolon):
        return ast.TokenizerDecl(self._tok(keyword), options)

    def tolerance_decl(self, keyword, name, value, resolution, _semicolon):
        return ast.ToleranceDecl(self._tok(keyword), str(name), value, resolution)


# Binary operators, loosest first; `if` stands for `a if c else b`. Prefix operators,
# indexing and calls bind tighter than all of these (the grammar sees to that).
BINARY_PRECEDENCE = {
    "in": 1,
    "if": 2,
    "and": 3, "or": 3,
    "==": 4, "<=": 4, ">=": 4, ">": 4, "<": 4,
    "+": 5, "-": 5,
    "%": 6,
    "*": 7, "/": 7,
    "^": 8,
}


def _apply(operands: list, operator: tuple[int, str, object]) -> None:
    """Replace the last two operands by the node that joins them."""
    _, op, condition = operator
    right = operands.pop()
    left = operands.pop()
    if op == "in":
        operands.append(ast.In(left.loc, left, right))
    elif op == "if":
        operands.append(ast.Ternary(left.loc, left, condition, right))
    else:
        operands.append(ast.Binary(left.loc, op, left, right))


def _check_block(statements, where: str) -> None:
    """Only a function's last statement may be ``return``; REPL commands and
    declarations belong to the top level."""
    for statement in statements:
        if isinstance(statement, _Return):
            raise RaspSyntaxError("'return' is not allowed in a for loop; it can only end a function", statement.loc)
        if isinstance(statement, _TOP_LEVEL_ONLY):
            raise RaspSyntaxError(
                f"{_describe_top_level(statement)} is only allowed at the top level, not inside {where}",
                statement.loc,
            )


def _describe_top_level(statement) -> str:
    if isinstance(statement, ast.ReplCommand):
        return f"the REPL command '{statement.command.replace('_', ' ')}'"
    return _TOP_LEVEL_WORDS[type(statement)]


_BUILDER = _AstBuilder()
_LOCK = threading.RLock()
