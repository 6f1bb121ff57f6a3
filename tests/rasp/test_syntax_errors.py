"""Syntax errors: the right place, a message in words, and never a Lark exception.

Each case gives the source, the line and column worked out by hand (1-based, a tab
counts as one column), and a part of the message that says what was found and what
was expected.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rasp.errors import RaspSyntaxError
from rasp.parser import parse

ORIGINAL = Path(__file__).resolve().parents[1] / "data" / "original"

ERRORS = [
    # missing ';'
    ("x = 1\ny = 2;", 1, 6, "missing ';' after number 1"),
    ("a = 1;\nb = a", 2, 6, "missing ';' after name 'a'"),
    ("def f() { return 1 }", 1, 19, "missing ';' after number 1"),
    ('x = f("a")\n', 1, 11, "missing ';' after ')'"),
    # unbalanced brackets
    ("x = (1 + 2;", 1, 11, "unexpected ';'; expected ')' or an operator (to close the '(' at line 1, column 5)"),
    ("x = 1;\ny = (2 +\n 3;\n", 3, 3, "(to close the '(' at line 2, column 5)"),
    ("x = [1, 2;", 1, 10, "expected ']', ',' or an operator (to close the '[' at line 1, column 5)"),
    ("def f() { return 1;", 1, 20, "unexpected end of file; expected a statement or '}' (to close the '{' at line 1, column 9)"),
    ("def f() {\n return 1;\n", 2, 11, "(to close the '{' at line 1, column 9)"),
    (")", 1, 1, "unmatched ')'"),
    ("x = f(a));", 1, 9, "unmatched ')'"),
    ("x = 1];", 1, 6, "unmatched ']'"),
    ("x = (1];", 1, 7, "unmatched ']'"),
    ("x = 1; }", 1, 8, "unmatched '}'"),
    ("f(a b);", 1, 5, "unexpected name 'b'; expected ')', ',' or an operator (to close the '(' at line 1, column 2)"),
    # strings and stray characters
    ('x = "abc;', 1, 5, "unterminated string"),
    ('x = "ab\ncd";', 1, 5, "unterminated string"),
    ('"abc', 1, 1, "unterminated string"),
    ("x = 1 $ 2;", 1, 7, "unexpected character '$'"),
    ("\tx = $;", 1, 6, "unexpected character '$'"),
    ("x = é;", 1, 5, "unexpected character 'é'"),
    ("x = 1 ! 2;", 1, 7, "unexpected character '!'"),
    ("x = 1.;", 1, 6, "a decimal number needs digits on both sides"),
    ("x = .5;", 1, 5, "a decimal number needs digits on both sides"),
    ("x = " + "9" * 5000 + ";", 1, 5, "number too long (5000 digits)"),
    ("x = a != b;", 1, 7, "'!=' is only allowed as the comparison of select(...)"),
    # expressions
    ("x = ;", 1, 5, "unexpected ';'; expected an expression"),
    ("x = 1 +", 1, 8, "unexpected end of file; expected an expression"),
    ("1 +* 2;", 1, 4, "unexpected '*'; expected an expression"),
    ("x = a ==;", 1, 9, "unexpected ';'; expected an expression"),
    ("x = 1 2;", 1, 7, "unexpected number 2; expected ';', ',' or an operator"),
    ("x = 3abc;", 1, 6, "unexpected name 'abc'; expected ';', ',' or an operator"),
    ('x = "a" "b";', 1, 9, 'unexpected string "b"; expected'),
    ("x = a orb;", 1, 7, "unexpected name 'orb'; expected ';', ',' or an operator"),
    ("x = a if b;", 1, 11, "unexpected ';'; expected 'else' or an operator"),
    ("x = {1: 2, 3};", 1, 13, "unexpected '}'; expected ':' or an operator"),
    ("[x for x y];", 1, 10, "unexpected name 'y'; expected ',' or 'in'"),
    ("x = [1 for];", 1, 11, "unexpected ']'; expected a name"),
    ("x = select(a, b, +);", 1, 18, "unexpected '+'; expected a comparison (==, !=, <, >, <=, >=)"),
    ("x = select(a, b);", 1, 16, "unexpected ')'; expected ',' or an operator"),
    ("x = f(,);", 1, 7, "unexpected ','; expected an expression or ')'"),
    # statements
    ("tokens;;", 1, 8, "unexpected ';'; expected a statement"),
    (";", 1, 1, "unexpected ';'; expected a statement"),
    ("if;", 1, 1, "unexpected 'if'; expected a statement"),
    ("in 4;", 1, 1, "unexpected 'in'; expected a statement"),
    ("for in;", 1, 5, "unexpected 'in'; expected a name"),
    ("a, = 1;", 1, 4, "unexpected '='; expected a name"),
    ("load x;", 1, 6, "unexpected name 'x'; expected a string"),
    ("def (x) { return 1; }", 1, 5, "unexpected '('; expected a name"),
    ("def f(1) { return 1; }", 1, 7, "unexpected number 1; expected a name or ')'"),
    ("def f() return 1;", 1, 9, "unexpected 'return'; expected '{'"),
    ("for x in L y = x;", 1, 12, "unexpected name 'y'; expected '{' or an operator"),
    ("def f() { return 1; };", 1, 22, "unexpected ';'; expected a statement"),
    # def / return rules
    ("def f() { x = 1; }", 1, 18, "function 'f' has no return statement"),
    ("def f() { }", 1, 11, "function 'f' has no return statement"),
    ("def f() { return 1; x = 2; }", 1, 11, "'return' must be the last statement of function 'f'"),
    ("def f() { return 1; return 2; }", 1, 11, "'return' must be the last statement of function 'f'"),
    ("def f() { def g() { x = 1; } return 1; }", 1, 28, "function 'g' has no return statement"),
    ("return 1;", 1, 1, "'return' outside a function"),
    ("x = 1;\n  return x;", 2, 3, "'return' outside a function"),
    ("for x in y { return 1; }", 1, 14, "'return' is not allowed in a for loop"),
    ("def f() { for x in L { return x; } return 1; }", 1, 24, "'return' is not allowed in a for loop"),
    # REPL commands and declarations
    ("set example", 1, 12, "unexpected end of file; expected an expression"),
    ("show s-op", 1, 10, "unexpected end of file; expected 'example'"),
    ("examples maybe", 1, 10, "unexpected name 'maybe'; expected 'on' or 'off'"),
    ("set s-op examples on", 1, 10, "unexpected 'examples'; expected 'example'"),
    ("for x in L { examples on }", 1, 14, "the REPL command 'examples' is only allowed at the top level, not inside a for loop"),
    ('def f() { set example "a" return 1; }', 1, 11, "the REPL command 'set' is only allowed at the top level"),
    ("@foo x;", 1, 1, "unknown declaration '@foo'; expected one of @vocab, @max_len"),
    ("x = 1;\n@vocabulary x;", 2, 1, "unknown declaration '@vocabulary'"),
    ("@vocab;", 1, 7, "unexpected ';'; expected an expression"),
    ('@vocab "ab"', 1, 12, 'missing \';\' after string "ab"'),
    ("@output 3;", 1, 9, "unexpected number 3; expected a name"),
    ('@table t "x";', 1, 10, "unexpected string \"x\"; expected '='"),
    ('def f() { @vocab "a"; return 1; }', 1, 11, "@vocab is only allowed at the top level, not inside function 'f'"),
    ("for x in L { @max_len 3; }", 1, 14, "@max_len is only allowed at the top level"),
]


@pytest.mark.parametrize("source, line, column, message", ERRORS, ids=[case[0][:40] for case in ERRORS])
def test_syntax_error(source, line, column, message):
    with pytest.raises(RaspSyntaxError) as caught:
        parse(source, "prog.rasp")
    error = caught.value
    assert message in error.message
    assert (error.location.file, error.location.line, error.location.column) == ("prog.rasp", line, column)
    assert error.location.source_line == source.split("\n")[line - 1]


def test_message_names_no_lark_terminals():
    for source, *_ in ERRORS:
        with pytest.raises(RaspSyntaxError) as caught:
            parse(source)
        message = caught.value.message
        for internal in ("_RPAR", "SEMICOLON", "NAME", "$END", "__ANON", "Token(", "LSQB"):
            assert internal not in message, (source, message)


def test_formatted_error_points_a_caret_at_the_column():
    with pytest.raises(RaspSyntaxError) as caught:
        parse("x = (1 + 2;", "prog.rasp")
    assert caught.value.format().splitlines() == [
        "prog.rasp:1:11: error: unexpected ';'; expected ')' or an operator (to close the '(' at line 1, column 5)",
        "    x = (1 + 2;",
        "              ^",
    ]


def test_the_originals_deliberate_errors():
    """The original's some_errors test input: its first syntax error is `==` used as a value
    (line 4 of the original, line 6 here after the two header lines)."""
    source = (ORIGINAL / "some_errors.rasp").read_text(encoding="utf-8")
    with pytest.raises(RaspSyntaxError) as caught:
        parse(source, "some_errors.rasp")
    location = caught.value.location
    assert (location.line, location.column) == (6, 30)
    assert caught.value.message == "unexpected '=='; expected an expression"


def test_a_later_good_parse_is_unaffected_by_an_error():
    with pytest.raises(RaspSyntaxError):
        parse("def f() { x = 1; }", "bad.rasp")
    module = parse("y = 2;", "good.rasp")
    assert module.statements[0].loc.file == "good.rasp"


# Random token soup: whatever it is, parse either succeeds or raises RaspSyntaxError
# with a place inside the source.
_PIECES = [
    "x", "f", "tokens", "1", "2.5", '"ab"', "(", ")", "[", "]", "{", "}", ",", ";", ":", "=",
    "+", "-", "*", "/", "%", "^", "==", "<", ">=", "!=", "not", "and", "or", "if", "else", "in",
    "for", "def", "return", "select(", "aggregate(", "range(", "len(", "round(", "load", "draw",
    "set", "example", "examples", "on", "s-op", "exit()", "@vocab", "@table", "@foo", "#c\n",
    "\n", " ", '"', ".", "$", "!",
]


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25))
def test_token_soup_never_escapes_as_another_exception(pieces):
    source = " ".join(pieces)
    try:
        parse(source)
    except RaspSyntaxError as error:
        lines = source.split("\n")
        assert 1 <= error.location.line <= len(lines)
        assert error.location.source_line == lines[error.location.line - 1]
        assert error.location.column >= 1
        assert error.message
