"""The parser against hand-written expectations.

Expected trees are written by hand as fully parenthesised strings; ``render`` below
turns a parsed AST into the same notation, independently of the parser's code, so
every precedence level and quirk of the original RASP grammar is pinned down by text a
person can check. The original interpreter's example programs (tests/data/original,
MIT licence) must all parse.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from rasp import ast
from rasp.parser import parse

ORIGINAL = Path(__file__).resolve().parents[1] / "data" / "original"


# ------------------------------------------------------------------ rendering


def render(node) -> str:
    """A fully parenthesised rendering of an AST node (one notation for every form)."""
    match node:
        case ast.Num(value=value):
            return repr(value)
        case ast.Str(value=value):
            return f'"{value}"'
        case ast.Name(id=name):
            return name
        case ast.ListLit(items=items):
            return "[" + ", ".join(render(item) for item in items) + "]"
        case ast.DictLit(pairs=pairs):
            return "{" + ", ".join(f"{render(k)}: {render(v)}" for k, v in pairs) + "}"
        case ast.ListComp(elt=elt, targets=targets, iterable=iterable):
            return f"[{render(elt)} for {', '.join(targets)} in {render(iterable)}]"
        case ast.DictComp(key=key, value=value, targets=targets, iterable=iterable):
            return f"{{{render(key)}: {render(value)} for {', '.join(targets)} in {render(iterable)}}}"
        case ast.Unary(op=op, operand=operand):
            return f"({op} {render(operand)})"
        case ast.Binary(op=op, left=left, right=right):
            return f"({render(left)} {op} {render(right)})"
        case ast.Ternary(then=then, cond=cond, otherwise=otherwise):
            return f"({render(then)} if {render(cond)} else {render(otherwise)})"
        case ast.In(item=item, container=container):
            return f"({render(item)} in {render(container)})"
        case ast.Index(target=target, index=index):
            return f"{render(target)}[{render(index)}]"
        case ast.Call(func=func, args=args):
            return f"{render(func)}(" + ", ".join(render(arg) for arg in args) + ")"
        case ast.Select(keys=keys, queries=queries, op=op):
            return f"select({render(keys)}, {render(queries)}, {op})"
        case ast.Aggregate(selector=selector, sop=sop, default=default):
            tail = "" if default is None else f", {render(default)}"
            return f"aggregate({render(selector)}, {render(sop)}{tail})"
        case ast.Builtin(name=name, args=args):
            return f"{name}(" + ", ".join(render(arg) for arg in args) + ")"
    raise AssertionError(f"not an expression: {node!r}")


def render_statement(node) -> str:
    match node:
        case ast.ExprStatement(expr=expr):
            return render(expr) + ";"
        case ast.Assign(targets=targets, values=values):
            return ", ".join(targets) + " = " + ", ".join(render(v) for v in values) + ";"
        case ast.Def(name=name, params=params, body=body, returns=returns):
            inner = " ".join(render_statement(s) for s in body)
            inner = inner + " " if inner else ""
            returned = ", ".join(render(v) for v in returns)
            return f"def {name}({', '.join(params)}) {{ {inner}return {returned}; }}"
        case ast.For(targets=targets, iterable=iterable, body=body):
            inner = " ".join(render_statement(s) for s in body)
            return f"for {', '.join(targets)} in {render(iterable)} {{ {inner} }}"
        case ast.Load(name=name):
            return f'load "{name}";'
        case ast.Draw(sop=sop, input=example):
            tail = "" if example is None else f", {render(example)}"
            return f"draw({render(sop)}{tail});"
        case ast.ReplCommand(command=command, subset=subset, argument=argument):
            shown = render(argument) if isinstance(argument, ast.Node) else repr(argument)
            return f"repl({command}, {subset!r}, {shown})"
        case ast.VocabDecl(values=values):
            return f"@vocab {render(values)};"
        case ast.MaxLenDecl(value=value):
            return f"@max_len {render(value)};"
        case ast.OutputDecl(name=name):
            return f"@output {name};"
        case ast.EncodingDecl(encoding=encoding, name=name):
            return f"@{encoding} {name};"
        case ast.TableDecl(name=name, path=path):
            return f'@table {name} = "{path}";'
    raise AssertionError(f"not a statement: {node!r}")


def expr_of(source: str) -> str:
    """Parse ``source;`` as one expression statement and render its expression."""
    module = parse(source + ";")
    assert len(module.statements) == 1
    statement = module.statements[0]
    assert isinstance(statement, ast.ExprStatement)
    return render(statement.expr)


def statements_of(source: str) -> list[str]:
    return [render_statement(s) for s in parse(source).statements]


# ------------------------------------------------------------------ precedence

PRECEDENCE = [
    # ^ is left-associative
    ("2^3^2", "((2 ^ 3) ^ 2)"),
    ("a^b^c^d", "(((a ^ b) ^ c) ^ d)"),
    # * and / left to right, tighter than %
    ("a * b / c", "((a * b) / c)"),
    ("a / b * c", "((a / b) * c)"),
    ("7 % 3 * 2", "(7 % (3 * 2))"),
    ("7 * 3 % 2", "((7 * 3) % 2)"),
    ("a % b % c", "((a % b) % c)"),
    ("8 / 2 % 3", "((8 / 2) % 3)"),
    # % is tighter than + and -
    ("a + b % c", "(a + (b % c))"),
    ("a % b - c", "((a % b) - c)"),
    ("a - b - c", "((a - b) - c)"),
    ("a - b + c", "((a - b) + c)"),
    ("a + b * c", "(a + (b * c))"),
    ("a * b + c * d", "((a * b) + (c * d))"),
    ("a ^ b * c", "((a ^ b) * c)"),
    ("a * b ^ c", "(a * (b ^ c))"),
    # comparisons: looser than arithmetic, left to right among themselves
    ("a + 1 == b * 2", "((a + 1) == (b * 2))"),
    ("a < b < c", "((a < b) < c)"),
    ("a <= b", "(a <= b)"),
    ("a >= b", "(a >= b)"),
    ("a > b == c", "((a > b) == c)"),
    ("length - indices - 1", "((length - indices) - 1)"),
    # and / or: one level, left to right
    ("A or B and C", "((A or B) and C)"),
    ("A and B or C", "((A and B) or C)"),
    ("a == 1 and b < 2", "((a == 1) and (b < 2))"),
    ("a and b and c", "((a and b) and c)"),
    # prefix operators bind tighter than every binary operator
    ("not i == 1", "((not i) == 1)"),
    ("not a and b", "((not a) and b)"),
    ("-2^2", "((- 2) ^ 2)"),
    ("-a * b", "((- a) * b)"),
    ("- - a", "(- (- a))"),
    ("not not a", "(not (not a))"),
    ("+a", "(+ a)"),
    ("a - -b", "(a - (- b))"),
    ("a--b", "(a - (- b))"),
    ("2 ^ -3 ^ 2", "((2 ^ (- 3)) ^ 2)"),
    ("not tokens in [x, y]", "((not tokens) in [x, y])"),
    ("-x[0]", "(- x[0])"),
    ("-f(x)", "(- f(x))"),
    ("not f(x)[1]", "(not f(x)[1])"),
    # round / indicator: closed forms
    ("round(a + b) * 2", "((round (a + b)) * 2)"),
    ("-round(x)", "(- (round x))"),
    ("round(x)^2", "((round x) ^ 2)"),
    ("indicator(a == b) + 1", "((indicator (a == b)) + 1)"),
    ("round(x)[0]", "(round x)[0]"),
    ("round (x)", "(round x)"),
    ("indicator (x)", "(indicator x)"),
    # ternary: left-associative, looser than and/or, tighter than in
    ("a if b else c if d else e", "((a if b else c) if d else e)"),
    ("a if b else c", "(a if b else c)"),
    ("a if b if c else d else e", "(a if (b if c else d) else e)"),
    ("x and y if c else z or w", "((x and y) if c else (z or w))"),
    ("a + 1 if b == 2 else c * 3", "((a + 1) if (b == 2) else (c * 3))"),
    ("a if b in c else d", "(a if (b in c) else d)"),
    ('"F" if p > 0 else ("T" if q == 0 else "P")', '("F" if (p > 0) else ("T" if (q == 0) else "P"))'),
    # in: loosest of all, left-assoc
    ("x in y", "(x in y)"),
    ("a + b in c", "((a + b) in c)"),
    ("a in b if c else d", "(a in (b if c else d))"),
    ("a if b else c in d", "((a if b else c) in d)"),
    ("a in b in c", "((a in b) in c)"),
    ("a and b in c", "((a and b) in c)"),
    ("m + t in pairs", "((m + t) in pairs)"),
    # postfix: indexing and calls, left to right
    ("f(x)(y)", "f(x)(y)"),
    ("a[0][1]", "a[0][1]"),
    ("f(x)[0]", "f(x)[0]"),
    ("d[k](x)", "d[k](x)"),
    ("f()", "f()"),
    ("a[i + 1]", "a[(i + 1)]"),
    ("a[-1]", "a[(- 1)]"),
    ("reverse(\"abc\")", 'reverse("abc")'),
    ("(a + b)(x)", "(a + b)(x)"),
    ("[1, 2][0]", "[1, 2][0]"),
    ('{"a": 1}[tokens]', '{"a": 1}[tokens]'),
    ("a[b][c](d)(e)[f]", "a[b][c](d)(e)[f]"),
    # parentheses override everything
    ("(2^3)^2", "((2 ^ 3) ^ 2)"),
    ("2^(3^2)", "(2 ^ (3 ^ 2))"),
    ("(7 % 3) * 2", "((7 % 3) * 2)"),
    ("not (i == 1)", "(not (i == 1))"),
    ("(-2)^2", "((- 2) ^ 2)"),
    ("-(2^2)", "(- (2 ^ 2))"),
    ("A or (B and C)", "(A or (B and C))"),
    ("a if b else (c if d else e)", "(a if b else (c if d else e))"),
    ("((a))", "a"),
]


@pytest.mark.parametrize("source, expected", PRECEDENCE, ids=[case[0] for case in PRECEDENCE])
def test_precedence(source, expected):
    assert expr_of(source) == expected


# DESIGN.md's table of binary levels, tightest first, written out independently of the
# parser: every ordered pair of operators is checked against it below.
LEVELS_TIGHTEST_FIRST = [["^"], ["*", "/"], ["%"], ["+", "-"], ["==", "<=", ">=", ">", "<"], ["and", "or"]]
RANK = {op: rank for rank, ops in enumerate(LEVELS_TIGHTEST_FIRST) for op in ops}
RANK["in"] = len(LEVELS_TIGHTEST_FIRST) + 1  # looser than the ternary, which sits in between
OPERATOR_PAIRS = [(first, second) for first in RANK for second in RANK]


@pytest.mark.parametrize("first, second", OPERATOR_PAIRS, ids=[f"{a} then {b}" for a, b in OPERATOR_PAIRS])
def test_every_pair_of_binary_operators(first, second):
    """`a first b second c` groups left when `first` binds at least as tightly (all levels
    are left-associative), and right otherwise."""
    if RANK[first] <= RANK[second]:
        expected = f"((a {first} b) {second} c)"
    else:
        expected = f"(a {first} (b {second} c))"
    assert expr_of(f"a {first} b {second} c") == expected


@pytest.mark.parametrize("op", list(RANK), ids=list(RANK))
def test_ternary_against_every_binary_operator(op):
    """The ternary sits between and/or and `in`."""
    if op == "in":
        assert expr_of(f"a {op} b if c else d") == "(a in (b if c else d))"
        assert expr_of(f"a if c else b {op} d") == "((a if c else b) in d)"
    else:
        assert expr_of(f"a {op} b if c else d") == f"((a {op} b) if c else d)"
        assert expr_of(f"a if c else b {op} d") == f"(a if c else (b {op} d))"
    assert expr_of(f"a if c {op} e else b") == f"(a if (c {op} e) else b)"


@pytest.mark.parametrize("op", [op for op in RANK if op != "in"] + ["in"])
def test_prefix_binds_tighter_than_every_binary_operator(op):
    assert expr_of(f"not a {op} b") == f"((not a) {op} b)"
    assert expr_of(f"-a {op} b") == f"((- a) {op} b)"
    assert expr_of(f"a {op} -b") == f"(a {op} (- b))"


# ------------------------------------------------------------------ literals and primaries

LITERALS = [
    ("0", "0"),
    ("42", "42"),
    ("007", "7"),
    ("3.25", "3.25"),
    ("10.0", "10.0"),
    ('"abc"', '"abc"'),
    ('""', '""'),
    ('"a b # not a comment"', '"a b # not a comment"'),
    ('"§"', '"§"'),
    ("True", "True"),
    ("False", "False"),
    ("_private", "_private"),
    ("tokens_int2", "tokens_int2"),
    ("[]", "[]"),
    ("[1]", "[1]"),
    ('[1, "a", x]', '[1, "a", x]'),
    ("[[1, 2], [3]]", "[[1, 2], [3]]"),
    ("{}", "{}"),
    ('{"a": 1, "b": 2}', '{"a": 1, "b": 2}'),
    ("{1: {2: 3}}", "{1: {2: 3}}"),
    ("[x * 2 for x in L]", "[(x * 2) for x in L]"),
    ("[p[0] for p in pairs]", "[p[0] for p in pairs]"),
    ("[a + b for a, b in zip(x, y)]", "[(a + b) for a, b in zip(x, y)]"),
    ("[x in y for x in L]", "[(x in y) for x in L]"),
    ("{k: v for k, v in items}", "{k: v for k, v in items}"),
    ("{e: f(e) for e in L + M}", "{e: f(e) for e in (L + M)}"),
    ("{n: a[n] if c else b[n] for n in a}", "{n: (a[n] if c else b[n]) for n in a}"),
    ("select(indices, indices, ==)", "select(indices, indices, ==)"),
    ("select(a, b, <)", "select(a, b, <)"),
    ("select(a, b, >)", "select(a, b, >)"),
    ("select(a, b, <=)", "select(a, b, <=)"),
    ("select(a, b, >=)", "select(a, b, >=)"),
    ("select(a, b, !=)", "select(a, b, !=)"),
    ("select (a, b, ==)", "select(a, b, ==)"),
    ("select(indices + 1, length - indices, ==)", "select((indices + 1), (length - indices), ==)"),
    ("select(a,b,==) and select(c,d,<)", "(select(a, b, ==) and select(c, d, <))"),
    ("aggregate(s, tokens)", "aggregate(s, tokens)"),
    ("aggregate(s, tokens, 0)", "aggregate(s, tokens, 0)"),
    ('aggregate (s, t, "-")', 'aggregate(s, t, "-")'),
    ("range(4)", "range(4)"),
    ("range(1, n + 1)", "range(1, (n + 1))"),
    ("range (4)", "range(4)"),
    ("zip(a, b, c)", "zip(a, b, c)"),
    ("zip (a, b)", "zip(a, b)"),
    ("len(L)", "len(L)"),
    ("len (L)", "len(L)"),
    ("len(L) + 1", "(len(L) + 1)"),
    ("range", "range"),
    ("select", "select"),
    ("round", "round"),
]


@pytest.mark.parametrize("source, expected", LITERALS, ids=[case[0] for case in LITERALS])
def test_literals_and_primaries(source, expected):
    assert expr_of(source) == expected


def test_number_types():
    [int_stmt, float_stmt] = parse("12; 1.5;").statements
    assert int_stmt.expr.value == 12 and type(int_stmt.expr.value) is int
    assert float_stmt.expr.value == 1.5 and type(float_stmt.expr.value) is float


def test_unary_and_builtin_node_kinds():
    """round/indicator are Unary; range/zip/len are Builtin; len has one argument."""
    rnd, ind, rng, ln = (s.expr for s in parse("round(x); indicator(y); range(1, 3); len(L);").statements)
    assert (type(rnd), rnd.op, rnd.operand) == (ast.Unary, "round", ast.Name(None, "x"))
    assert (type(ind), ind.op) == (ast.Unary, "indicator")
    assert (type(rng), rng.name, len(rng.args)) == (ast.Builtin, "range", 2)
    assert (type(ln), ln.name, ln.args) == (ast.Builtin, "len", (ast.Name(None, "L"),))


def test_aggregate_without_default_has_none():
    [statement] = parse("aggregate(s, v);").statements
    assert statement.expr.default is None


KEYWORD_LIKE_NAMES = [
    # words that are keywords only where a statement starts, or that merely begin with one
    "x = set;", "x = show;", "x = example;", "x = examples;", "x = on;", "x = off;",
    "x = load;", "x = draw;", "x = exit;", "x = quit;", "x = selector;",
    "orb = order + inx + iffy + notable + android + elsewhere + format + definite + returns;",
    "on = 1;", "off = 2;", "example = 3;", "range = 3;", "len = 2;", "zip = 1;",
    "selector_width = 1;", "full_s = 1;", "s_op = 1;", "exit_code = 1;",
]


@pytest.mark.parametrize("source", KEYWORD_LIKE_NAMES)
def test_keyword_like_words_are_names(source):
    [statement] = parse(source).statements
    assert isinstance(statement, ast.Assign)


def test_orb_is_one_name_not_or():
    assert statements_of("x = a or b; y = orb;") == ["x = (a or b);", "y = orb;"]


# ------------------------------------------------------------------ statements

STATEMENTS = [
    ("x = 1;", ["x = 1;"]),
    ("a, b = 3, 5;", ["a, b = 3, 5;"]),
    ("a,b=3,5;", ["a, b = 3, 5;"]),
    ("v1, v2 = prepare();", ["v1, v2 = prepare();"]),
    ("tokens = tokens_int;", ["tokens = tokens_int;"]),
    ("x;", ["x;"]),
    ('reverse("abc");', ['reverse("abc");']),
    ("f([3, 1, 2]);", ["f([3, 1, 2]);"]),
    ("{};", ["{};"]),
    ("def f() { return 1; }", ["def f() { return 1; }"]),
    ("def f(a, b) { c = a + b; return c, a; }", ["def f(a, b) { c = (a + b); return c, a; }"]),
    (
        "def outer(x) { def inner(y) { return y * 2; } z = inner(x); return z; }",
        ["def outer(x) { def inner(y) { return (y * 2); } z = inner(x); return z; }"],
    ),
    (
        "def f(t) { r = 0; for d in D { r = D[d] if t == d else r; } return r; }",
        ["def f(t) { r = 0; for d in D { r = (D[d] if (t == d) else r); } return r; }"],
    ),
    ("def f(){return 1;}", ["def f() { return 1; }"]),
    ("for i in range(4) { c = c + i; }", ["for i in range(4) { c = (c + i); }"]),
    ("for k, v in zip(a, b) { x = k; y = v; }", ["for k, v in zip(a, b) { x = k; y = v; }"]),
    ("for x in L { }", ["for x in L {  }"]),
    ("for x in L { def g() { return x; } }", ["for x in L { def g() { return x; } }"]),
    ("for x in a in b { y = x; }", ["for x in (a in b) { y = x; }"]),
    ('load "rasplib";', ['load "rasplib";']),
    ('load "tests/rasps/loadB";', ['load "tests/rasps/loadB";']),
    ("draw(reverse);", ["draw(reverse);"]),
    ('draw(reverse, "abc");', ['draw(reverse, "abc");']),
    ("draw(a + b, [1, 2]);", ["draw((a + b), [1, 2]);"]),
    ("", []),
    ("   \n\n  ", []),
    ("x = 1; y = 2; z = x + y;", ["x = 1;", "y = 2;", "z = (x + y);"]),
]


@pytest.mark.parametrize("source, expected", STATEMENTS, ids=[case[0] or "<empty>" for case in STATEMENTS])
def test_statements(source, expected):
    assert statements_of(source) == expected


def test_def_fields():
    [definition] = parse("def f(a, b) { c = a; return c, b; }").statements
    assert definition.name == "f"
    assert definition.params == ("a", "b")
    assert definition.body == (ast.Assign(None, ("c",), (ast.Name(None, "a"),)),)
    assert definition.returns == (ast.Name(None, "c"), ast.Name(None, "b"))


def test_for_fields():
    [loop] = parse("for a, b in L { x = a; }").statements
    assert loop.targets == ("a", "b")
    assert loop.iterable == ast.Name(None, "L")
    assert loop.body == (ast.Assign(None, ("x",), (ast.Name(None, "a"),)),)


# ------------------------------------------------------------------ REPL commands

REPL = [
    ('set example "abc"', "repl(set, '', \"abc\")"),
    ('set s-op example "abc"', "repl(set, 's-op', \"abc\")"),
    ("set selector example [1, 2]", "repl(set, 'selector', [1, 2])"),
    ("set example example2", "repl(set, '', example2)"),
    ('set example "a" + "b"', "repl(set, '', (\"a\" + \"b\"))"),
    ('set example "abc";', "repl(set, '', \"abc\")"),
    ("show example", "repl(show, '', None)"),
    ("show s-op example", "repl(show, 's-op', None)"),
    ("show selector example", "repl(show, 'selector', None)"),
    ("examples on", "repl(examples, '', 'on')"),
    ("examples off", "repl(examples, '', 'off')"),
    ("s-op examples off", "repl(examples, 's-op', 'off')"),
    ("selector examples on", "repl(examples, 'selector', 'on')"),
    ("full seq display on", "repl(full_seq_display, '', 'on')"),
    ("full seq display off", "repl(full_seq_display, '', 'off')"),
    ("full  seq\tdisplay on", "repl(full_seq_display, '', 'on')"),
    ("exit", "repl(exit, '', None)"),
    ("exit()", "repl(exit, '', None)"),
    ("quit", "repl(exit, '', None)"),
    ("quit()", "repl(exit, '', None)"),
    ("exit;", "repl(exit, '', None)"),
]


@pytest.mark.parametrize("source, expected", REPL, ids=[case[0] for case in REPL])
def test_repl_commands(source, expected):
    assert statements_of(source) == [expected]


def test_repl_commands_need_no_semicolon_between_statements():
    source = 'set example [4,7,10]\ntokens=tokens_int;\nexamples off\nfull seq display on \nexit()\ntokens;\n'
    assert statements_of(source) == [
        "repl(set, '', [4, 7, 10])",
        "tokens = tokens_int;",
        "repl(examples, '', 'off')",
        "repl(full_seq_display, '', 'on')",
        "repl(exit, '', None)",
        "tokens;",
    ]


def test_set_example_argument_is_an_expression_node():
    [command] = parse('set example "hello there"').statements
    assert command == ast.ReplCommand(None, "set", "", ast.Str(None, "hello there"))


# ------------------------------------------------------------------ raspc's extensions

EXTENSIONS = [
    ('@vocab "abc";', ast.VocabDecl(None, ast.Str(None, "abc"))),
    ("@vocab [1, 2, 3];", ast.VocabDecl(None, ast.ListLit(None, (ast.Num(None, 1), ast.Num(None, 2), ast.Num(None, 3))))),
    ('@vocab {"a", "b"};', ast.VocabDecl(None, ast.ListLit(None, (ast.Str(None, "a"), ast.Str(None, "b"))))),
    ('@vocab {"a"};', ast.VocabDecl(None, ast.ListLit(None, (ast.Str(None, "a"),)))),
    ("@vocab range(10);", ast.VocabDecl(None, ast.Builtin(None, "range", (ast.Num(None, 10),)))),
    ("@vocab letters;", ast.VocabDecl(None, ast.Name(None, "letters"))),
    ("@max_len 10;", ast.MaxLenDecl(None, ast.Num(None, 10))),
    ("@max_len n + 1;", ast.MaxLenDecl(None, ast.Binary(None, "+", ast.Name(None, "n"), ast.Num(None, 1)))),
    ("@output reverse;", ast.OutputDecl(None, "reverse")),
    ("@categorical frac;", ast.EncodingDecl(None, "categorical", "frac")),
    ("@numerical frac;", ast.EncodingDecl(None, "numerical", "frac")),
    ('@table lexicon = "lexicon.tsv";', ast.TableDecl(None, "lexicon", "lexicon.tsv")),
    ('@table lex="data/words.tsv";', ast.TableDecl(None, "lex", "data/words.tsv")),
]


@pytest.mark.parametrize("source, expected", EXTENSIONS, ids=[case[0] for case in EXTENSIONS])
def test_extensions(source, expected):
    assert parse(source).statements == (expected,)


def test_vocab_dict_stays_a_dict():
    [decl] = parse('@vocab {"a": 1};').statements
    assert decl.values == ast.DictLit(None, ((ast.Str(None, "a"), ast.Num(None, 1)),))


# ------------------------------------------------------------------ comments

COMMENTED = [
    ("# only a comment", []),
    ("# only a comment\n", []),
    ("x = 1; # trailing", ["x = 1;"]),
    ("x = 1;# no space", ["x = 1;"]),
    ("x = # inside\n 1;", ["x = 1;"]),
    ("x = a +  # half\n  b # more\n ; # after", ["x = (a + b);"]),
    ("def f(a) { # opens\n  # alone\n  return a; # last\n} # closed", ["def f(a) { return a; }"]),
    ("def f(a) # before brace\n{ return a; }", ["def f(a) { return a; }"]),
    ("for x in L { # c\n y = x; # d\n}", ["for x in L { y = x; }"]),
    ('d = {"a": 1, # one\n "b": 2}; # two', ['d = {"a": 1, "b": 2};']),
    ("x = [1, # one\n 2];", ["x = [1, 2];"]),
    ("set example \"abc\" # pick an example\nx;", ["repl(set, '', \"abc\")", "x;"]),
    ("examples off # quiet\n", ["repl(examples, '', 'off')"]),
    ('x = "#"; # "not a string"', ['x = "#";']),
    ("x = 1;\n#### banner ####\ny = 2;", ["x = 1;", "y = 2;"]),
    ("x = 1; # no newline at the end", ["x = 1;"]),
]


@pytest.mark.parametrize("source, expected", COMMENTED, ids=[case[0] for case in COMMENTED])
def test_comments_everywhere(source, expected):
    assert statements_of(source) == expected


# ------------------------------------------------------------------ locations and text


def test_locations_point_at_the_first_token():
    source = "x = 1;\n  y = a + b;\n\ndef f(t) {\n\treturn t;\n}\n"
    module = parse(source, "prog.rasp")
    first, second, definition = module.statements
    assert (first.loc.file, first.loc.line, first.loc.column) == ("prog.rasp", 1, 1)
    assert (second.loc.line, second.loc.column, second.loc.source_line) == (2, 3, "  y = a + b;")
    binary = second.values[0]
    assert (binary.loc.line, binary.loc.column) == (2, 7)
    assert (binary.right.loc.line, binary.right.loc.column) == (2, 11)
    assert (definition.loc.line, definition.loc.column) == (4, 1)
    returned = definition.returns[0]
    assert (returned.loc.line, returned.loc.column, returned.loc.source_line) == (5, 9, "\treturn t;")


def test_location_of_nested_expression_nodes():
    [statement] = parse("out = f(select(k, q, ==), -x);").statements
    call = statement.values[0]
    select, negation = call.args
    assert call.loc.column == 7
    assert select.loc.column == 9
    assert select.queries.loc.column == 19
    assert negation.loc.column == 27
    assert negation.operand.loc.column == 28


def test_parenthesised_expression_starts_at_the_parenthesis():
    [statement] = parse("y = (a + b) * c;").statements
    product = statement.values[0]
    assert product.loc.column == 5
    assert product.left.loc.column == 5


def test_locations_of_other_statements():
    source = 'load "lib";\nfor x in L { }\nset example "a"\n  s-op examples on\n@vocab "ab";\n'
    load, loop, set_command, toggle, vocab = parse(source).statements
    assert [(s.loc.line, s.loc.column) for s in (load, loop, set_command, toggle, vocab)] == [
        (1, 1), (2, 1), (3, 1), (4, 3), (5, 1),
    ]


def test_module_keeps_file_and_source():
    source = "x = 1;\n"
    module = parse(source, "a.rasp")
    assert (module.file, module.source) == ("a.rasp", source)
    assert parse("x;").file == "<input>"


TEXTS = [
    ('reverse("abc");', 'reverse("abc")'),
    ("  a+b ;", "a+b"),
    ("(a + b);", "(a + b)"),
    ("(a) + (b);", "(a) + (b)"),
    ("a +\n  b;", "a +\n  b"),
    ("a + b # trailing comment\n;", "a + b"),
    ('f("#") # c\n\n ;', 'f("#")'),
    ("x # c1\n + y # c2\n;", "x # c1\n + y"),
    ("tokens==tokens\n;", "tokens==tokens"),
]


@pytest.mark.parametrize("source, text", TEXTS, ids=[case[0] for case in TEXTS])
def test_expression_statement_text_is_the_exact_source(source, text):
    [statement] = parse(source).statements
    assert statement.text == text


def test_crlf_line_endings():
    module = parse("x = 1;\r\ny = x;\r\n")
    assert statements_of("x = 1;\r\ny = x;\r\n") == ["x = 1;", "y = x;"]
    assert module.statements[1].loc.line == 2
    assert module.statements[1].loc.source_line == "y = x;"


def test_nodes_compare_by_value_not_location():
    assert parse("x = a + 1;").statements == parse("x =   a+1 ;").statements


# ------------------------------------------------------------------ the original's programs

ORIGINAL_FILES = sorted(p.name for p in ORIGINAL.glob("*.rasp") if p.name != "some_errors.rasp")


@pytest.mark.parametrize("name", ORIGINAL_FILES)
def test_original_programs_parse(name):
    module = parse((ORIGINAL / name).read_text(encoding="utf-8"), name)
    assert module.statements


def test_rasplib_defines_the_library():
    module = parse((ORIGINAL / "rasplib.rasp").read_text(encoding="utf-8"))
    defined = [s.name for s in module.statements if isinstance(s, ast.Def)]
    assert defined == [
        "selector_width", "has_focus", "count", "contains", "max", "min", "average",
        "load_from_location", "shift", "mark_last_instance", "mark_first_instance",
        "select_from_last", "select_from_first", "sort", "select_next_identical",
    ]
    assigned = [s.targets for s in module.statements if isinstance(s, ast.Assign)]
    assert assigned == [("tokens",), ("full_s",)]


def test_long_addition_structure():
    module = parse((ORIGINAL / "long_addition.rasp").read_text(encoding="utf-8"))
    prepare = module.statements[0]
    assert isinstance(prepare, ast.Def) and prepare.name == "prepare_numbers"
    nested = prepare.body[0]
    assert isinstance(nested, ast.Def) and nested.name == "dig2num"
    assert isinstance(nested.body[2], ast.For) and nested.body[2].targets == ("d",)
    assert render_statement(nested.body[2].body[0]) == "res = (ddig2num[d] if (t == d) else res);"
    assert render_statement(module.statements[1]) == "val1, val2 = prepare_numbers();"
    assert render_statement(module.statements[-1]) == (
        "longsum = (overflowing_sums if (overflowing_sums < 10) else (overflowing_sums - 10));"
    )


def test_rover_repl_commands_and_quirks():
    module = parse((ORIGINAL / "rover.rasp").read_text(encoding="utf-8"))
    commands = [s for s in module.statements if isinstance(s, ast.ReplCommand)]
    assert [render_statement(c) for c in commands] == [
        "repl(set, '', example2)", "repl(full_seq_display, '', 'on')",
    ]
    by_target = {s.targets: s for s in module.statements if isinstance(s, ast.Assign)}
    assert render(by_target[("num_clauses",)].values[0]) == "clause_index[(- 1)]"
    # `in` is the loosest operator, so it takes the whole and-chain as its left side
    assert render(by_target[("is_inference_receiver",)].values[0]) == (
        "(((inference_clause and (relative_clause_pos in [0, 2, 4, 6])) and (not tokens))"
        " in [set_variable, element_variable])"
    )


def test_paper_examples_quirks():
    module = parse((ORIGINAL / "paper_examples.rasp").read_text(encoding="utf-8"))
    dyckk = next(s for s in module.statements if isinstance(s, ast.Def) and s.name == "dyckk_ptf")
    by_target = {s.targets: s for s in dyckk.body if isinstance(s, ast.Assign)}
    assert render(by_target[("opener_matches",)].values[0]) == "((matched_opener + tokens_str) in paren_pairs)"
    assert render(by_target[("openers",)].values[0]) == "[p[0] for p in paren_pairs]"
    assert render(dyckk.returns[0]) == '("F" if had_problem else ("T" if (depth == 0) else "P"))'


def test_parsing_twice_gives_equal_trees():
    source = (ORIGINAL / "paper_examples.rasp").read_text(encoding="utf-8")
    assert parse(source).statements == parse(source).statements
