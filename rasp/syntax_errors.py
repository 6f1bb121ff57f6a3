"""Syntax errors in words: what the parser found, what it would have accepted, and
where, from a Lark error and the source (``rasp.parser`` hands both over)."""
from __future__ import annotations

import re

from lark import Lark, Token
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from rasp.errors import RaspSyntaxError
from raspc.errors import SourceLocation

_EXPRESSION_START = {
    "NAME", "INT", "FLOAT", "STRING", "LPAR", "LSQB", "LBRACE", "NOT", "MINUS", "PLUS",
    "ROUND_OPEN", "INDICATOR_OPEN", "SELECT_OPEN", "AGGREGATE_OPEN", "RANGE_OPEN", "ZIP_OPEN",
    "LEN_OPEN",
}
_STATEMENT_START = {
    "DEF", "FOR", "RETURN", "LOAD", "DRAW", "SET", "SHOW", "EXAMPLES", "EXIT", "QUIT", "EXIT_CALL",
    "FULL_SEQ_DISPLAY", "AT_VOCAB", "AT_MAX_LEN", "AT_OUTPUT", "AT_CATEGORICAL",
    "AT_NUMERICAL", "AT_TABLE", "AT_TOKENIZER", "AT_TOLERANCE",
}
_OPERATORS = {
    "EQ", "LE", "GE", "LT", "GT", "PLUS", "MINUS", "STAR", "SLASH", "PERCENT", "CARET", "AND",
    "OR", "IF", "IN",
}
_SELECT_OPS = {"EQ", "NE", "LT", "GT", "LE", "GE"}
# Specific tokens worth naming when they are expected, in the order they are listed.
_NAMED_EXPECTATIONS = [
    ("SEMICOLON", "';'"), ("_RPAR", "')'"), ("_RSQB", "']'"), ("RBRACE", "'}'"),
    ("_COMMA", "','"), ("_COLON", "':'"), ("_EQUAL", "'='"), ("LPAR", "'('"),
    ("LBRACE", "'{'"), ("IN", "'in'"), ("_ELSE", "'else'"), ("FOR", "'for'"),
    ("_EXAMPLE", "'example'"), ("EXAMPLES", "'examples'"),
]
_OPENERS = {"LPAR": ")", "LSQB": "]", "LBRACE": "}"}
_CLOSERS = {"_RPAR": ")", "_RSQB": "]", "RBRACE": "}"}
_DECLARATIONS = "@vocab, @max_len, @output, @categorical, @numerical, @table, @tokenizer, @tolerance"


def describe_unexpected(error: UnexpectedInput, source: str, file: str, lines: list[str],
                        lark: Lark) -> RaspSyntaxError:
    """Turn a Lark error into one short sentence at the right place."""
    if isinstance(error, UnexpectedCharacters):
        return _bad_character(error, source, file, lines)
    if isinstance(error, UnexpectedToken):
        return _bad_token(error, source, file, lines, lark)
    # UnexpectedEOF and any other kind: the input stopped too early.
    tokens = _tokens_before(source, len(source), lark)
    place = _after(tokens[-1], file, lines) if tokens else SourceLocation(file, 1, 1, lines[0])
    return RaspSyntaxError("unexpected end of file", place)


def _bad_character(error: UnexpectedCharacters, source: str, file: str, lines: list[str]) -> RaspSyntaxError:
    place = SourceLocation(file, error.line, error.column, lines[error.line - 1])
    char = source[error.pos_in_stream] if error.pos_in_stream < len(source) else ""
    if char == '"':
        return RaspSyntaxError("unterminated string: a string must end with '\"' on the same line", place)
    if char == "@":
        word = re.match(r"@\w*", source[error.pos_in_stream:]).group()
        return RaspSyntaxError(f"unknown declaration '{word}'; expected one of {_DECLARATIONS}", place)
    if char == "." and _next_to_digit(source, error.pos_in_stream):
        return RaspSyntaxError(
            "unexpected '.' in a number: a decimal number needs digits on both sides, as in 0.5", place
        )
    shown = char if char.isprintable() and not char.isspace() else repr(char)
    return RaspSyntaxError(f"unexpected character '{shown}'", place)


def _next_to_digit(source: str, pos: int) -> bool:
    before = source[pos - 1] if pos > 0 else ""
    after = source[pos + 1] if pos + 1 < len(source) else ""
    return before.isdigit() or after.isdigit()


def _bad_token(error: UnexpectedToken, source: str, file: str, lines: list[str], lark: Lark) -> RaspSyntaxError:
    token = error.token
    at_end = token.type == "$END"
    position = len(source) if at_end else token.start_pos
    tokens = _tokens_before(source, position, lark)
    previous = tokens[-1] if tokens else None
    expected = _accepted_at(source, position, lark) or set(error.accepts or error.expected)
    expected.discard("$END")
    if at_end:
        place = _after(previous, file, lines) if previous else SourceLocation(file, 1, 1, lines[0])
        found = "end of file"
    else:
        place = SourceLocation(file, token.line, token.column, lines[token.line - 1])
        found = _describe_token(token)

    if token.type == "NE":
        return RaspSyntaxError("'!=' is only allowed as the comparison of select(...); "
                               "elsewhere write not (a == b)", place)
    unclosed = _unclosed_bracket(tokens)
    if token.type in _CLOSERS and (unclosed is None or _OPENERS.get(unclosed.type, ")") != _CLOSERS[token.type]):
        return RaspSyntaxError(f"unmatched '{_CLOSERS[token.type]}'", place)
    if "SEMICOLON" in expected and previous is not None and (
        at_end or token.type == "RBRACE" or token.line > previous.end_line
    ):
        return RaspSyntaxError(f"missing ';' after {_describe_token(previous)}", _after(previous, file, lines))

    message = f"unexpected {found}; expected {_describe_expected(expected)}"
    if unclosed is not None:
        closer = _OPENERS.get(unclosed.type, ")")
        if _closer_name(closer) in expected:
            message += f" (to close the '{unclosed.value.strip()}' at line {unclosed.line}, column {unclosed.column})"
    return RaspSyntaxError(message, place)


def _closer_name(closer: str) -> str:
    return {")": "_RPAR", "]": "_RSQB", "}": "RBRACE"}[closer]


def _describe_expected(expected: set[str]) -> str:
    """Name the acceptable tokens as a person would: 'a statement', 'an expression', "';'"."""
    if expected and expected <= _SELECT_OPS:
        return "a comparison (==, !=, <, >, <=, >=)"
    phrases: list[str] = []
    skip: set[str] = set()
    operator_context = len(expected & _OPERATORS) > 2
    if operator_context:
        skip |= {"LPAR", "LSQB", "IN"}  # call, index and 'in' read as operators here
    if expected & _STATEMENT_START:
        phrases.append("a statement")
        skip |= _STATEMENT_START | _EXPRESSION_START | {"SOP_SUBSET", "SELECTOR_SUBSET"}
    elif {"NAME", "INT"} <= expected:
        phrases.append("an expression")
        skip |= _EXPRESSION_START
    elif "NAME" in expected:
        phrases.append("a name")
    elif "STRING" in expected:
        phrases.append("a string")
    for name, text in _NAMED_EXPECTATIONS:
        if name in expected and name not in skip:
            phrases.append(text)
    if expected & {"ON", "OFF"}:
        phrases.append("'on' or 'off'")
    if expected & {"SOP_SUBSET", "SELECTOR_SUBSET"} and "a statement" not in phrases:
        phrases.append("'s-op' or 'selector'")
    if operator_context:
        phrases.append("an operator")
    if not phrases:
        return "something else"
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _describe_token(token: Token) -> str:
    if token.type == "NAME":
        return f"name '{token.value}'"
    if token.type in ("INT", "FLOAT"):
        return f"number {token.value}"
    if token.type == "STRING":
        return f"string {token.value}"
    value = " ".join(token.value.split())
    return f"'{value}'"


def _after(token: Token, file: str, lines: list[str]) -> SourceLocation:
    """The place just after a token (its last character + 1)."""
    return SourceLocation(file, token.end_line, token.end_column, lines[token.end_line - 1])


def _accepted_at(source: str, position: int, lark: Lark) -> set[str]:
    """The terminals the parser would take at ``position`` (error path only).

    LALR may reduce on a token it then rejects, which narrows ``UnexpectedToken``'s
    expected set to the enclosing rule's (e.g. only ';' where an operator would also
    do). Replaying the parse up to the bad token and asking there gives the full set.
    """
    interactive = lark.parse_interactive(source)
    try:
        for token in interactive.iter_parse():
            if token.start_pos >= position:
                break
    except (LarkError, RaspSyntaxError):
        pass
    try:
        return set(interactive.accepts())
    except (LarkError, RaspSyntaxError):
        return set()


def _tokens_before(source: str, position: int, lark: Lark) -> list[Token]:
    """The significant tokens that end at or before ``position`` (error path only)."""
    found: list[Token] = []
    try:
        for token in lark.lex(source, dont_ignore=True):
            if token.start_pos >= position:
                break
            if token.type not in ("WS", "COMMENT"):
                found.append(token)
    except LarkError:
        pass
    return found


def _unclosed_bracket(tokens: list[Token]) -> Token | None:
    """The innermost bracket still open after ``tokens``, if any."""
    stack: list[Token] = []
    for token in tokens:
        if token.type in _OPENERS or token.type.endswith("_OPEN"):
            stack.append(token)
        elif token.type in _CLOSERS and stack:
            stack.pop()
    return stack[-1] if stack else None
