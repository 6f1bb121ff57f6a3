"""Random well-typed RASP programs, written as source text from a seed.

A compiler earns trust the way Csmith taught C compilers to earn it: run many random
programs through it and compare every answer with a reference. ``generate`` writes a
random program as RASP source text (the original syntax plus raspc's ``@vocab``,
``@max_len`` and ``@output`` declarations) from a seed and a ``FuzzConfig``, the ranges
it draws sizes from.

Programs are well typed by construction: every expression is drawn together with what
its values can be (``fuzz.abstract``), and dropped when some combination of values
could fail or mix types. An aggregate that may select several positions only ever
averages numbers; one over a selector that selects at most one position (keys that
differ at every position, compared with ``==``) may move any value, with a default
of the same type.

    >>> program = generate(7)
    >>> program.source.startswith("@vocab")
    True
"""
from __future__ import annotations

import itertools
import random
import re
import string
from dataclasses import dataclass
from typing import Any, Callable

from fuzz.abstract import (MAX_COMBINATIONS, MAX_VALUES, Abstract, Rejected, SelectorInfo, apply_abstract, is_number,
                           kind_of, means)


@dataclass(frozen=True)
class FuzzConfig:
    """The ranges programs are drawn from.

    Tokens are the first ``letters`` lowercase letters or the integers below
    ``numbers``; ``max_values`` and ``max_combinations`` bound the value sets the
    generator lists (``fuzz.abstract``); a dict table has at most ``max_table_keys``
    keys."""

    min_len: int = 3
    max_len: int = 8
    min_vocab: int = 2
    max_vocab: int = 4
    min_statements: int = 2
    max_statements: int = 7
    max_depth: int = 3
    letters: int = 5
    numbers: int = 6
    max_values: int = MAX_VALUES
    max_combinations: int = MAX_COMBINATIONS
    max_table_keys: int = 10


#: Small programs over small inputs: what CI runs thousands of.
SMALL = FuzzConfig(min_len=3, max_len=5, min_vocab=2, max_vocab=3, min_statements=2, max_statements=6,
                   max_depth=2)
#: The whole range of short inputs over few tokens: checked on every input when
#: there are few.
FULL = FuzzConfig()
#: The lengths and vocabularies the bundled programs are compiled for (max_len 10,
#: up to 11 tokens), up to the last length the batch-minor packed pass serves.
MEDIUM = FuzzConfig(min_len=9, max_len=15, min_vocab=4, max_vocab=12, letters=16, numbers=16, max_values=80,
                    max_combinations=1600, max_table_keys=16)
#: Long inputs over large vocabularies: max_len up to 64, up to 20 tokens (the
#: batch-major packed pass).
LARGE = FuzzConfig(min_len=16, max_len=64, min_vocab=5, max_vocab=20, letters=26, numbers=24, max_values=130,
                   max_combinations=4000, max_table_keys=24)
#: Every configuration by name, as reports show them.
CONFIGS = {"small": SMALL, "full": FULL, "medium": MEDIUM, "large": LARGE}


@dataclass(frozen=True)
class GeneratedProgram:
    """One random program: its source, and the declarations written into it."""

    seed: int
    source: str
    vocab: tuple
    max_len: int
    output: str


# ------------------------------------------------------------------ the generator

_ARITHMETIC = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
_COMPARE = {"==": lambda a, b: a == b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
            "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}
_SELECT_OPS = ("==", "<", ">", "<=", ">=", "!=")
#: String tokens and constants are drawn from these letters (constants from the
#: first five, tokens from ``FuzzConfig.letters``).
_LETTERS = string.ascii_lowercase
_CONSTANT_LETTERS = _LETTERS[:5]


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return repr(value)
    return str(value) if value >= 0 else f"(-{-value})"


class _Generator:
    """Draws one program, statement by statement, keeping an abstract environment."""

    def __init__(self, seed: int, config: FuzzConfig):
        self.rng = random.Random(seed)
        self.seed = seed
        self.config = config
        self.max_len = self.rng.randint(config.min_len, config.max_len)
        size = self.rng.randint(config.min_vocab, config.max_vocab)
        if self.rng.random() < 0.5:
            self.vocab = tuple(sorted(self.rng.sample(_LETTERS[:config.letters], size)))
        else:
            self.vocab = tuple(sorted(self.rng.sample(range(0, config.numbers), size)))
        self.env: dict[str, Abstract] = {}
        self.lines: list[str] = []
        self.counter = itertools.count()

    def apply(self, fn: Callable[..., Any], operands: list[Abstract]) -> Abstract:
        return apply_abstract(fn, operands, self.config.max_combinations, self.config.max_values)

    # ---------------------------------------------------------------- leaves

    def builtins(self) -> dict[str, Abstract]:
        return {
            "tokens": Abstract("str" if isinstance(self.vocab[0], str) else "int", frozenset(self.vocab)),
            "indices": Abstract("int", frozenset(range(self.max_len)), injective=True),
            "length": Abstract("int", frozenset(range(1, self.max_len + 1))),
        }

    def fresh(self, stem: str = "v") -> str:
        return f"{stem}{next(self.counter)}"

    def leaf(self, env: dict[str, Abstract], want: str | None = None) -> tuple[str, Abstract]:
        names = [n for n, a in env.items() if want is None or a.kind == want or
                 (want == "num" and is_number(a))]
        if not names:
            raise Rejected()
        # Recent names are likelier, so programs grow deep rather than wide.
        weights = [1 + k for k in range(len(names))]
        name = self.rng.choices(names, weights)[0]
        return name, env[name]

    def atom_like(self, a: Abstract) -> Any:
        """A constant of ``a``'s kind, often one of its own values."""
        if a.values and self.rng.random() < 0.7:
            return self.rng.choice(sorted(a.values, key=repr))
        if a.kind == "str":
            return self.rng.choice(_CONSTANT_LETTERS)
        if a.kind == "bool":
            return self.rng.random() < 0.5
        return self.rng.randint(0, 4)

    # ---------------------------------------------------------------- s-op expressions

    def sop(self, env: dict[str, Abstract], depth: int, want: str | None = None) -> tuple[str, Abstract]:
        """A random s-op expression of kind ``want`` (any when None; ``num``: int or float)."""
        for _ in range(30):
            try:
                return self._sop(env, depth, want)
            except Rejected:
                continue
        return self.leaf(env, want)

    def _sop(self, env, depth, want):
        if depth <= 0 or self.rng.random() < 0.25:
            return self.leaf(env, want)
        choice = self.rng.choices(
            ["arith_atom", "arith_sop", "compare", "logic", "not", "indicator", "round", "div_mod",
             "list_table", "dict_table", "ternary", "ternary3", "aggregate_one", "aggregate_mean",
             "width", "concat", "first_copy", "width_of_first_copies"],
            [6, 4, 5, 3, 2, 3, 1, 2, 2, 3, 3, 1, 4, 3, 3, 1, 1, 1])[0]
        text, a = getattr(self, "_" + choice)(env, depth - 1)
        if want is not None and not (a.kind == want or (want == "num" and is_number(a))):
            raise Rejected()
        return text, a

    def _arith_atom(self, env, depth):
        text, a = self.sop(env, depth, "num")
        op = self.rng.choice(list(_ARITHMETIC))
        c = self.rng.randint(0, 3)
        fn = _ARITHMETIC[op]
        if self.rng.random() < 0.5:
            result = self.apply(lambda x: fn(x, c), [a])
            injective = a.injective and (op in "+-" or c != 0)
            return f"({text} {op} {c})", Abstract(result.kind, result.values, injective)
        result = self.apply(lambda x: fn(c, x), [a])
        return f"({c} {op} {text})", Abstract(result.kind, result.values, a.injective and op in "+-")

    def _arith_sop(self, env, depth):
        left, a = self.sop(env, depth, "num")
        right, b = self.sop(env, depth, "num")
        op = self.rng.choice(list(_ARITHMETIC))
        return f"({left} {op} {right})", self.apply(_ARITHMETIC[op], [a, b])

    def _concat(self, env, depth):
        left, a = self.sop(env, depth, "str")
        right, b = self.sop(env, depth, "str")
        return f"({left} + {right})", self.apply(lambda x, y: x + y, [a, b])

    def _div_mod(self, env, depth):
        text, a = self.sop(env, depth, "num")
        c = self.rng.randint(1, 3)
        if self.rng.random() < 0.5:
            return f"({text} / {c})", self.apply(lambda x: x / c, [a])
        return f"({text} % {c})", self.apply(lambda x: x % c, [a])

    def _compare(self, env, depth):
        left, a = self.sop(env, depth)
        op = self.rng.choice(list(_COMPARE))
        fn = _COMPARE[op]
        if self.rng.random() < 0.5:
            c = self.atom_like(a)
            return f"({left} {op} {_literal(c)})", self.apply(lambda x: fn(x, c), [a])
        want = "num" if is_number(a) else a.kind
        right, b = self.sop(env, depth, want)
        return f"({left} {op} {right})", self.apply(fn, [a, b])

    def _logic(self, env, depth):
        left, a = self.sop(env, depth, "bool")
        right, b = self.sop(env, depth, "bool")
        if self.rng.random() < 0.5:
            return f"({left} and {right})", self.apply(lambda x, y: x and y, [a, b])
        return f"({left} or {right})", self.apply(lambda x, y: x or y, [a, b])

    def _not(self, env, depth):
        text, a = self.sop(env, depth, "bool")
        return f"(not {text})", self.apply(lambda x: not x, [a])

    def _indicator(self, env, depth):
        text, a = self.sop(env, depth, "bool")
        return f"indicator({text})", self.apply(lambda x: 1 if x else 0, [a])

    def _round(self, env, depth):
        text, a = self.sop(env, depth, "num")
        return f"round({text})", self.apply(round, [a])  # Python's round, like RASP's, takes halves to even

    def _table_values(self, n: int) -> list:
        kind = self.rng.choice(["int", "str", "bool"])
        if kind == "int":
            return [self.rng.randint(0, 5) for _ in range(n)]
        if kind == "str":
            return [self.rng.choice(_CONSTANT_LETTERS) for _ in range(n)]
        return [self.rng.random() < 0.5 for _ in range(n)]

    def _list_table(self, env, depth):
        text, a = self.sop(env, depth, "int")
        if a.values is None or min(a.values) < 0 or max(a.values) > 12:
            raise Rejected()
        table = self._table_values(max(a.values) + 1)
        shown = ", ".join(_literal(v) for v in table)
        return f"[{shown}][{text}]", self.apply(lambda x: table[x], [a])

    def _dict_table(self, env, depth):
        text, a = self.sop(env, depth)
        if a.values is None or len(a.values) > self.config.max_table_keys or a.kind == "float":
            raise Rejected()
        keys = sorted(a.values, key=repr)
        values = self._table_values(len(keys))
        table = dict(zip(keys, values))
        shown = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in table.items())
        return f"{{{shown}}}[{text}]", self.apply(lambda x: table[x], [a])

    def _ternary(self, env, depth):
        cond, c = self.sop(env, depth, "bool")
        then, a = self.sop(env, depth)
        other = self.atom_like(a)
        if self.rng.random() < 0.5:
            return f"({then} if {cond} else {_literal(other)})", self.apply(lambda t, k: t if k else other, [a, c])
        return f"({_literal(other)} if {cond} else {then})", self.apply(lambda t, k: other if k else t, [a, c])

    def _ternary3(self, env, depth):
        cond, c = self.sop(env, depth, "bool")
        then, a = self.sop(env, depth)
        other, b = self.sop(env, depth, "num" if is_number(a) else a.kind)
        return f"({then} if {cond} else {other})", self.apply(lambda t, k, o: t if k else o, [a, c, b])

    def _width(self, env, depth):
        selector = self.selector(env, depth)
        return f"selector_width({selector.text})", Abstract("int", frozenset(range(self.max_len + 1)))

    def _first_copy(self, env, depth):
        """True at the first copy of each value of an s-op (the last, with ``>``):
        its count of earlier equal values is the least it can be. A width over such
        positions is bounded by the s-op's number of values, which the compiler
        infers; this puts that inference under the differential test."""
        text, _ = self.sop(env, depth)
        op, least = self.rng.choice([("<", 0), (">", 0), ("<=", 1), (">=", 1)])
        count = f"selector_width(select({text}, {text}, ==) and select(indices, indices, {op}))"
        return f"({count} == {least})", Abstract("bool", frozenset({False, True}))

    def _width_of_first_copies(self, env, depth):
        flag, _ = self._first_copy(env, depth)
        other = self.selector(env, depth)
        return (f"selector_width(select({flag}, True, ==) and {other.text})",
                Abstract("int", frozenset(range(self.max_len + 1))))

    def _aggregate_one(self, env, depth):
        selector = self.selector(env, depth, at_most_one=True)
        text, a = self.sop(env, depth)
        if a.values is None:
            raise Rejected()
        default = self.atom_like(a)
        values = set(a.values) | {default}
        return (f"aggregate({selector.text}, {text}, {_literal(default)})",
                Abstract(kind_of(values), frozenset(values)))

    def _aggregate_mean(self, env, depth):
        selector = self.selector(env, depth)
        text, a = self.sop(env, depth, "num")
        if a.values is None:
            raise Rejected()
        default = self.rng.choice([0, 0, 1])
        # The mean of up to max_len values: listed exactly when there are few.
        found = means(sorted(a.values), self.max_len) if len(a.values) <= 4 else None
        listed = frozenset(found | {default}) if found is not None else None
        if default == 0 and self.rng.random() < 0.5:
            return f"aggregate({selector.text}, {text})", Abstract("float", listed)
        return f"aggregate({selector.text}, {text}, {default})", Abstract("float", listed)

    # ---------------------------------------------------------------- selectors

    def selector(self, env, depth, at_most_one: bool = False) -> SelectorInfo:
        for _ in range(30):
            try:
                found = self._selector(env, depth, at_most_one)
            except Rejected:
                continue
            if found.at_most_one or not at_most_one:
                return found
        return SelectorInfo("select(indices, indices, ==)", True)

    def _selector(self, env, depth, at_most_one) -> SelectorInfo:
        shape = self.rng.choices(["select", "and", "or", "not"], [6, 2, 1, 1])[0]
        if shape == "select" or depth <= 0:
            return self._select(env, depth, at_most_one)
        if shape == "and":
            left = self._select(env, depth, at_most_one)
            right = self._select(env, depth, False)
            if self.rng.random() < 0.5:
                left, right = right, left
            return SelectorInfo(f"({left.text} and {right.text})", left.at_most_one or right.at_most_one)
        if shape == "or":
            left = self._select(env, depth, False)
            right = self._select(env, depth, False)
            return SelectorInfo(f"({left.text} or {right.text})", False)
        inner = self._select(env, depth, False)
        return SelectorInfo(f"(not {inner.text})", False)

    def _select(self, env, depth, at_most_one) -> SelectorInfo:
        if at_most_one:
            injective = {n: a for n, a in env.items() if a.injective}
            keys, k = self.leaf(injective) if self.rng.random() < 0.5 else self.sop(injective, 1)
            if not k.injective:
                raise Rejected()
            queries, _ = self.sop(env, depth, "num")
            return SelectorInfo(f"select({keys}, {queries}, ==)", True)
        keys, k = self.sop(env, depth)
        want = "num" if is_number(k) else k.kind
        op = self.rng.choice(_SELECT_OPS)
        if self.rng.random() < 0.25:
            c = self.atom_like(k)
            if k.values is not None:
                self.apply(lambda x: _COMPARE.get(op, lambda a, b: a != b)(x, c), [k])
            return SelectorInfo(f"select({keys}, {_literal(c)}, {op})", op == "==" and k.injective)
        queries, q = self.sop(env, depth, want)
        if k.values is not None and q.values is not None:
            self.apply(lambda x, y: _COMPARE.get(op, lambda a, b: a != b)(x, y), [k, q])
        return SelectorInfo(f"select({keys}, {queries}, {op})", op == "==" and k.injective)

    # ---------------------------------------------------------------- statements

    def statement(self, depth: int) -> None:
        kind = self.rng.choices(["assign", "function", "loop", "pair"], [8, 2, 2, 1])[0]
        try:
            getattr(self, "_stmt_" + kind)(depth)
        except Rejected:
            self._stmt_assign(depth)

    def _visible(self) -> dict[str, Abstract]:
        return {**self.builtins(), **self.env}

    def _stmt_assign(self, depth):
        text, a = self.sop(self._visible(), depth)
        name = self.fresh()
        self.lines.append(f"{name} = {text};")
        self.env[name] = a

    def _stmt_pair(self, depth):
        first, a = self.sop(self._visible(), depth)
        second, b = self.sop(self._visible(), depth)
        x, y = self.fresh(), self.fresh()
        self.lines.append(f"{x}, {y} = {first}, {second};")
        self.env[x], self.env[y] = a, b

    def _stmt_function(self, depth):
        """``def f(p, q) { t = ...; return e1, e2; }`` then ``a, b = f(x, y);``."""
        visible = self._visible()
        arity = self.rng.randint(1, 2)
        args = [self.leaf(visible) for _ in range(arity)]
        params = [f"p{k}" for k in range(arity)]
        local = {p: a for p, (_, a) in zip(params, args)}
        local.update(self.builtins())
        body_text, body = self.sop(local, depth)
        local["t"] = body
        results = [self.sop(local, depth) for _ in range(self.rng.randint(1, 3))]
        name = self.fresh("f")
        returns = ", ".join(text for text, _ in results)
        self.lines.append(f"def {name}({', '.join(params)}) {{ t = {body_text}; return {returns}; }}")
        targets = [self.fresh() for _ in results]
        self.lines.append(f"{', '.join(targets)} = {name}({', '.join(n for n, _ in args)});")
        for target, (_, a) in zip(targets, results):
            self.env[target] = a

    def _stmt_loop(self, depth):
        """``acc = ...; for c in [..] { acc = (acc OP g(c)); }``, unrolled by staging."""
        visible = self._visible()
        source, a = self.leaf(visible)
        if a.values is None:
            raise Rejected()
        items = sorted(self.rng.sample(sorted(a.values, key=repr), min(len(a.values), self.rng.randint(1, 3))),
                       key=repr)
        acc = self.fresh("acc")
        if self.rng.random() < 0.5:
            # Count matches: an int accumulator.
            start = Abstract("int", frozenset({0}))
            value = start
            for c in items:
                step = self.apply(lambda x: 1 if x == c else 0, [a])
                value = self.apply(lambda s, t: s + t, [value, step])
            shown = ", ".join(_literal(c) for c in items)
            self.lines.append(f"{acc} = 0 * indices;")
            self.lines.append(f"for c in [{shown}] {{ {acc} = ({acc} + indicator({source} == c)); }}")
        else:
            # Replace matches by a constant: the accumulator keeps the source's kind.
            replacement = self.atom_like(a)
            value = a
            for c in items:
                value = self.apply(lambda s, x: replacement if x == c else s, [value, a])
            shown = ", ".join(_literal(c) for c in items)
            self.lines.append(f"{acc} = {source};")
            self.lines.append(f"for c in [{shown}] {{ {acc} = ({_literal(replacement)} if ({source} == c) "
                              f"else {acc}); }}")
        self.env[acc] = value

    # ---------------------------------------------------------------- the program

    def program(self) -> GeneratedProgram:
        if isinstance(self.vocab[0], int):
            self.lines.append("tokens = tokens_int;")
        count = self.rng.randint(self.config.min_statements, self.config.max_statements)
        for _ in range(count):
            self.statement(self.rng.randint(1, self.config.max_depth))
        candidates = [n for n, a in self.env.items() if a.values is not None]
        if candidates:
            output = max(reversed(candidates), key=self._weight)
        else:
            output = self.fresh()
            self.lines.append(f"{output} = indices;")
        vocab = "{" + ", ".join(_literal(v) for v in self.vocab) + "}"
        header = f"@vocab {vocab}; @max_len {self.max_len}; @output {output};"
        return GeneratedProgram(self.seed, "\n".join([header, *self.lines]) + "\n",
                                self.vocab, self.max_len, output)

    def _weight(self, name: str) -> int:
        """How much of the program the s-op ``name`` reads: attention counts most, so
        that the output is the most interesting s-op to compile."""
        seen, frontier, weight = set(), [name], 0
        while frontier:
            current = frontier.pop()
            if current in seen:
                continue
            seen.add(current)
            for line in self.lines:
                targets = line.split("=")[0]
                if re.search(rf"\b{current}\b", targets) and not line.startswith("def"):
                    weight += 1 + 3 * (line.count("aggregate(") + line.count("selector_width("))
                    called = re.findall(r"\b(f\d+)\(", line)
                    for function in called:
                        weight += sum(3 * (l.count("aggregate(") + l.count("select")) for l in self.lines
                                      if l.startswith(f"def {function}("))
                    frontier += re.findall(r"\b(?:v|acc)\d+\b", line.split("=", 1)[1])
        return weight



def generate(seed: int, config: FuzzConfig = FULL) -> GeneratedProgram:
    """A random well-typed program, the same for the same seed and config."""
    return _Generator(seed, config).program()

