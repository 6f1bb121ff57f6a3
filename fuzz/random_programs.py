"""Random well-typed RASP programs, and a shrinker for the ones that fail.

A compiler earns trust the way Csmith taught C compilers to earn it: run many random
programs through it and compare every answer with a reference. ``generate`` writes a
random program as RASP source text (the original syntax plus raspc's ``@vocab``,
``@max_len`` and ``@output`` declarations) from a seed; ``shrink`` takes a program
that shows some failure and deletes statements and simplifies sub-expressions for as
long as the failure persists.

Programs are well typed by construction. Every expression is built together with an
over-approximation of the values it can take (``Abstract``): the generator applies
each operation to every combination of its operands' possible values, and drops a
candidate expression when one combination raises (a division by zero, a missing
table key, a string added to a number) or mixes types in one sequence. An aggregate
that may select several positions only ever averages numbers; one over a selector
that selects at most one position (keys that differ at every position, compared
with ``==``) may move any value, with a default of the same type.

    >>> program = generate(7)
    >>> program.source.startswith("@vocab")
    True
"""
from __future__ import annotations

import itertools
import math
import random
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

__all__ = ["FuzzConfig", "GeneratedProgram", "generate", "shrink", "mutate_source", "random_source",
           "SMALL", "FULL"]

#: Above this many value combinations an expression's values are not enumerated.
MAX_COMBINATIONS = 400
#: An s-op whose value set grows past this is not used where values must be listed.
MAX_VALUES = 40


@dataclass(frozen=True)
class FuzzConfig:
    """The ranges programs are drawn from."""

    min_len: int = 3
    max_len: int = 8
    min_vocab: int = 2
    max_vocab: int = 4
    min_statements: int = 2
    max_statements: int = 7
    max_depth: int = 3


#: Small programs over small inputs: what CI runs thousands of.
SMALL = FuzzConfig(min_len=3, max_len=5, min_vocab=2, max_vocab=3, min_statements=2, max_statements=6,
                   max_depth=2)
#: The whole range the generator covers.
FULL = FuzzConfig()


@dataclass(frozen=True)
class GeneratedProgram:
    """One random program: its source, and the declarations written into it."""

    seed: int
    source: str
    vocab: tuple
    max_len: int
    output: str


# ------------------------------------------------------------------ abstract values

@dataclass(frozen=True)
class Abstract:
    """What the generator knows about an s-op: a type and its possible values.

    ``kind`` is ``int``, ``float``, ``bool`` or ``str``; ``values`` over-approximates
    the values at any position (``None``: too many, or averages, not enumerated).
    ``injective`` marks s-ops that differ at every position of one input (indices
    and shifts of them): compared with ``==`` as keys, they select at most one key.
    """

    kind: str
    values: frozenset | None
    injective: bool = False


@dataclass(frozen=True)
class SelectorInfo:
    """A selector expression and whether each query selects at most one key."""

    text: str
    at_most_one: bool


class _Rejected(Exception):
    """The candidate expression could fail or mix types: draw another."""


def _kind_of(values: Iterable[Any]) -> str:
    kinds = set()
    for value in values:
        if isinstance(value, bool):
            kinds.add("bool")
        elif isinstance(value, int):
            kinds.add("int")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _Rejected()
            kinds.add("float")
        elif isinstance(value, str):
            kinds.add("str")
        else:
            raise _Rejected()
    if kinds <= {"int"}:
        return "int"
    if kinds <= {"int", "float"}:
        return "float"
    if len(kinds) == 1:
        return kinds.pop()
    raise _Rejected()


def _apply(fn: Callable[..., Any], operands: list[Abstract]) -> Abstract:
    """The abstract value of ``fn`` applied position by position to ``operands``."""
    if any(o.values is None for o in operands):
        raise _Rejected()
    size = math.prod(len(o.values) for o in operands)
    if size > MAX_COMBINATIONS:
        raise _Rejected()
    results = set()
    every = []  # a set keeps one of 0 and 0.0; the kind must see both (0.0 cannot index a list)
    for combination in itertools.product(*(sorted(o.values, key=repr) for o in operands)):
        try:
            value = fn(*combination)
        except Exception:  # noqa: BLE001 - any failure means the program could fail
            raise _Rejected() from None
        if isinstance(value, float) and abs(value) > 1e6 or isinstance(value, int) and abs(value) > 10 ** 6:
            raise _Rejected()
        if isinstance(value, str) and len(value) > 6:
            raise _Rejected()
        results.add(value)
        every.append(value)
    kind = _kind_of(every)
    return Abstract(kind, frozenset(results) if len(results) <= MAX_VALUES else None)


def _is_number(a: Abstract) -> bool:
    return a.kind in ("int", "float")


# ------------------------------------------------------------------ the generator

_ARITHMETIC = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
_COMPARE = {"==": lambda a, b: a == b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
            "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}
_SELECT_OPS = ("==", "<", ">", "<=", ">=", "!=")
_CHARS = "abcdefgh"


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
            self.vocab = tuple(sorted(self.rng.sample(_CHARS[:5], size)))
        else:
            self.vocab = tuple(sorted(self.rng.sample(range(0, 6), size)))
        self.env: dict[str, Abstract] = {}
        self.lines: list[str] = []
        self.counter = itertools.count()

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
                 (want == "num" and _is_number(a))]
        if not names:
            raise _Rejected()
        # Recent names are likelier, so programs grow deep rather than wide.
        weights = [1 + k for k in range(len(names))]
        name = self.rng.choices(names, weights)[0]
        return name, env[name]

    def atom_like(self, a: Abstract) -> Any:
        """A constant of ``a``'s kind, often one of its own values."""
        if a.values and self.rng.random() < 0.7:
            return self.rng.choice(sorted(a.values, key=repr))
        if a.kind == "str":
            return self.rng.choice(_CHARS[:5])
        if a.kind == "bool":
            return self.rng.random() < 0.5
        return self.rng.randint(0, 4)

    # ---------------------------------------------------------------- s-op expressions

    def sop(self, env: dict[str, Abstract], depth: int, want: str | None = None) -> tuple[str, Abstract]:
        """A random s-op expression of kind ``want`` (any when None; ``num``: int or float)."""
        for _ in range(30):
            try:
                return self._sop(env, depth, want)
            except _Rejected:
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
        if want is not None and not (a.kind == want or (want == "num" and _is_number(a))):
            raise _Rejected()
        return text, a

    def _arith_atom(self, env, depth):
        text, a = self.sop(env, depth, "num")
        op = self.rng.choice(list(_ARITHMETIC))
        c = self.rng.randint(0, 3)
        fn = _ARITHMETIC[op]
        if self.rng.random() < 0.5:
            result = _apply(lambda x: fn(x, c), [a])
            injective = a.injective and (op in "+-" or c != 0)
            return f"({text} {op} {c})", Abstract(result.kind, result.values, injective)
        result = _apply(lambda x: fn(c, x), [a])
        return f"({c} {op} {text})", Abstract(result.kind, result.values, a.injective and op in "+-")

    def _arith_sop(self, env, depth):
        left, a = self.sop(env, depth, "num")
        right, b = self.sop(env, depth, "num")
        op = self.rng.choice(list(_ARITHMETIC))
        return f"({left} {op} {right})", _apply(_ARITHMETIC[op], [a, b])

    def _concat(self, env, depth):
        left, a = self.sop(env, depth, "str")
        right, b = self.sop(env, depth, "str")
        return f"({left} + {right})", _apply(lambda x, y: x + y, [a, b])

    def _div_mod(self, env, depth):
        text, a = self.sop(env, depth, "num")
        c = self.rng.randint(1, 3)
        if self.rng.random() < 0.5:
            return f"({text} / {c})", _apply(lambda x: x / c, [a])
        return f"({text} % {c})", _apply(lambda x: x % c, [a])

    def _compare(self, env, depth):
        left, a = self.sop(env, depth)
        op = self.rng.choice(list(_COMPARE))
        fn = _COMPARE[op]
        if self.rng.random() < 0.5:
            c = self.atom_like(a)
            return f"({left} {op} {_literal(c)})", _apply(lambda x: fn(x, c), [a])
        want = "num" if _is_number(a) else a.kind
        right, b = self.sop(env, depth, want)
        return f"({left} {op} {right})", _apply(fn, [a, b])

    def _logic(self, env, depth):
        left, a = self.sop(env, depth, "bool")
        right, b = self.sop(env, depth, "bool")
        if self.rng.random() < 0.5:
            return f"({left} and {right})", _apply(lambda x, y: x and y, [a, b])
        return f"({left} or {right})", _apply(lambda x, y: x or y, [a, b])

    def _not(self, env, depth):
        text, a = self.sop(env, depth, "bool")
        return f"(not {text})", _apply(lambda x: not x, [a])

    def _indicator(self, env, depth):
        text, a = self.sop(env, depth, "bool")
        return f"indicator({text})", _apply(lambda x: 1 if x else 0, [a])

    def _round(self, env, depth):
        text, a = self.sop(env, depth, "num")
        return f"round({text})", _apply(round, [a])  # Python's round, like RASP's, takes halves to even

    def _table_values(self, n: int) -> list:
        kind = self.rng.choice(["int", "str", "bool"])
        if kind == "int":
            return [self.rng.randint(0, 5) for _ in range(n)]
        if kind == "str":
            return [self.rng.choice(_CHARS[:5]) for _ in range(n)]
        return [self.rng.random() < 0.5 for _ in range(n)]

    def _list_table(self, env, depth):
        text, a = self.sop(env, depth, "int")
        if a.values is None or min(a.values) < 0 or max(a.values) > 12:
            raise _Rejected()
        table = self._table_values(max(a.values) + 1)
        shown = ", ".join(_literal(v) for v in table)
        return f"[{shown}][{text}]", _apply(lambda x: table[x], [a])

    def _dict_table(self, env, depth):
        text, a = self.sop(env, depth)
        if a.values is None or len(a.values) > 10 or a.kind == "float":
            raise _Rejected()
        keys = sorted(a.values, key=repr)
        values = self._table_values(len(keys))
        table = dict(zip(keys, values))
        shown = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in table.items())
        return f"{{{shown}}}[{text}]", _apply(lambda x: table[x], [a])

    def _ternary(self, env, depth):
        cond, c = self.sop(env, depth, "bool")
        then, a = self.sop(env, depth)
        other = self.atom_like(a)
        if self.rng.random() < 0.5:
            return f"({then} if {cond} else {_literal(other)})", _apply(lambda t, k: t if k else other, [a, c])
        return f"({_literal(other)} if {cond} else {then})", _apply(lambda t, k: other if k else t, [a, c])

    def _ternary3(self, env, depth):
        cond, c = self.sop(env, depth, "bool")
        then, a = self.sop(env, depth)
        other, b = self.sop(env, depth, "num" if _is_number(a) else a.kind)
        return f"({then} if {cond} else {other})", _apply(lambda t, k, o: t if k else o, [a, c, b])

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
            raise _Rejected()
        default = self.atom_like(a)
        values = set(a.values) | {default}
        return (f"aggregate({selector.text}, {text}, {_literal(default)})",
                Abstract(_kind_of(values), frozenset(values)))

    def _aggregate_mean(self, env, depth):
        selector = self.selector(env, depth)
        text, a = self.sop(env, depth, "num")
        if a.values is None:
            raise _Rejected()
        default = self.rng.choice([0, 0, 1])
        # The mean of up to max_len values: listed exactly when there are few.
        means = frozenset(_means(sorted(a.values), self.max_len) | {default}) if len(a.values) <= 4 else None
        if default == 0 and self.rng.random() < 0.5:
            return f"aggregate({selector.text}, {text})", Abstract("float", means)
        return f"aggregate({selector.text}, {text}, {default})", Abstract("float", means)

    # ---------------------------------------------------------------- selectors

    def selector(self, env, depth, at_most_one: bool = False) -> SelectorInfo:
        for _ in range(30):
            try:
                found = self._selector(env, depth, at_most_one)
            except _Rejected:
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
                raise _Rejected()
            queries, _ = self.sop(env, depth, "num")
            return SelectorInfo(f"select({keys}, {queries}, ==)", True)
        keys, k = self.sop(env, depth)
        want = "num" if _is_number(k) else k.kind
        op = self.rng.choice(_SELECT_OPS)
        if self.rng.random() < 0.25:
            c = self.atom_like(k)
            if k.values is not None:
                _apply(lambda x: _COMPARE.get(op, lambda a, b: a != b)(x, c), [k])
            return SelectorInfo(f"select({keys}, {_literal(c)}, {op})", op == "==" and k.injective)
        queries, q = self.sop(env, depth, want)
        if k.values is not None and q.values is not None:
            _apply(lambda x, y: _COMPARE.get(op, lambda a, b: a != b)(x, y), [k, q])
        return SelectorInfo(f"select({keys}, {queries}, {op})", op == "==" and k.injective)

    # ---------------------------------------------------------------- statements

    def statement(self, depth: int) -> None:
        kind = self.rng.choices(["assign", "function", "loop", "pair"], [8, 2, 2, 1])[0]
        try:
            getattr(self, "_stmt_" + kind)(depth)
        except _Rejected:
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
            raise _Rejected()
        items = sorted(self.rng.sample(sorted(a.values, key=repr), min(len(a.values), self.rng.randint(1, 3))),
                       key=repr)
        acc = self.fresh("acc")
        if self.rng.random() < 0.5:
            # Count matches: an int accumulator.
            start = Abstract("int", frozenset({0}))
            value = start
            for c in items:
                step = _apply(lambda x: 1 if x == c else 0, [a])
                value = _apply(lambda s, t: s + t, [value, step])
            shown = ", ".join(_literal(c) for c in items)
            self.lines.append(f"{acc} = 0 * indices;")
            self.lines.append(f"for c in [{shown}] {{ {acc} = ({acc} + indicator({source} == c)); }}")
        else:
            # Replace matches by a constant: the accumulator keeps the source's kind.
            replacement = self.atom_like(a)
            value = a
            for c in items:
                value = _apply(lambda s, x: replacement if x == c else s, [value, a])
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


def _means(values: list, max_len: int) -> set:
    """Every mean of 1..max_len values drawn (with repetition) from ``values``."""
    found = set()
    for size in range(1, max_len + 1):
        for combination in itertools.combinations_with_replacement(values, size):
            found.add(sum(combination) / size)
    return found


def generate(seed: int, config: FuzzConfig = FULL) -> GeneratedProgram:
    """A random well-typed program, the same for the same seed and config."""
    return _Generator(seed, config).program()


# ------------------------------------------------------------------ the shrinker

_HEADER = re.compile(r"^@")


def _statements(source: str) -> list[str]:
    return [line for line in source.split("\n") if line.strip()]


def _groups(line: str) -> list[tuple[int, int]]:
    """Spans (start, stop) of every balanced (), [] or {} group of a line, outermost first."""
    spans, stack = [], []
    in_string = False
    for position, char in enumerate(line):
        if char == '"':
            in_string = not in_string
        if in_string:
            continue
        if char in "([{":
            stack.append(position)
        elif char in ")]}" and stack:
            spans.append((stack.pop(), position + 1))
    return sorted(spans, key=lambda s: (s[0], -s[1]))


def _top_level_parts(inner: str) -> list[str]:
    """The operands of an expression, split at its top-level operators and commas."""
    parts, depth, current = [], 0, ""
    tokens = re.split(r"(\"[^\"]*\"|[()\[\]{}]|\s+(?:and|or|if|else|[-+*/%<>=]=?|==)\s+|,)", inner)
    for token in tokens:
        if token is None or token == "":
            continue
        if token.startswith('"'):
            current += token
            continue
        if token in "([{":
            depth += 1
        elif token in ")]}":
            depth -= 1
        if depth == 0 and (token == "," or token.strip() in (
                "and", "or", "if", "else", "+", "-", "*", "/", "%", "<", ">", "<=", ">=", "==")):
            parts.append(current)
            current = ""
            continue
        current += token
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _split_pair(line: str) -> list[str] | None:
    """``a, b = x, y;`` as ``["a = x;", "b = y;"]`` (None for any other line)."""
    match = re.fullmatch(r"(\w+(?:, \w+)+) = (.+);", line.strip())
    if not match or line.startswith("def") or line.startswith("for"):
        return None
    targets = match.group(1).split(", ")
    values, depth, current = [], 0, ""
    for char in match.group(2):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    values.append(current.strip())
    if len(values) != len(targets):
        return None
    return [f"{t} = {v};" for t, v in zip(targets, values)]


_SIMPLE = ("indices", "tokens", "length", "0", "1", "True")


def shrink(source: str, still_fails: Callable[[str], bool], max_attempts: int = 3000) -> str:
    """The smallest program this finds for which ``still_fails`` holds.

    Repeats, until nothing changes: delete a statement; replace a parenthesised or
    bracketed group by one of its operands or by a simple s-op; lower ``@max_len``;
    drop a vocabulary item. ``still_fails`` should return False (not raise) for
    programs that no longer show the failure, including ones that stop staging.
    """
    attempts = 0

    def check(candidate: str) -> bool:
        nonlocal attempts
        attempts += 1
        try:
            return bool(still_fails(candidate))
        except Exception:  # noqa: BLE001 - a candidate that breaks is not a smaller failure
            return False

    current = source
    seen = {source}
    changed = True
    while changed and attempts < max_attempts:
        changed = False
        for candidate in _candidates(current):
            if attempts >= max_attempts:
                break
            if candidate in seen or _size(candidate) > _size(current):
                continue
            seen.add(candidate)
            if check(candidate):
                current = candidate
                changed = True
                break
    return current


def _size(source: str) -> tuple[int, int]:
    """What shrinking minimises: the text without spaces, then the declared input space."""
    return len(re.sub(r"\s", "", source)), _header_size(source)


def _header_size(source: str) -> int:
    match = re.search(r"@max_len (\d+);", source)
    vocab = re.search(r"@vocab \{([^}]*)\};", source)
    return (int(match.group(1)) if match else 0) + (vocab.group(1).count(",") if vocab else 0)


def _candidates(source: str) -> Iterable[str]:
    lines = _statements(source)
    # Delete one statement (never the declarations).
    for k in range(len(lines) - 1, -1, -1):
        if not _HEADER.match(lines[k]):
            yield "\n".join(lines[:k] + lines[k + 1:]) + "\n"
    # Split ``a, b = x, y;`` into two statements; inline ``a = b;`` aliases.
    for k, line in enumerate(lines):
        split = _split_pair(line)
        if split:
            yield "\n".join(lines[:k] + split + lines[k + 1:]) + "\n"
        alias = re.fullmatch(r"(\w+) = (\w+);", line.strip())
        if alias and alias.group(1) != "tokens":
            old, new = alias.groups()
            rest = [re.sub(rf"\b{old}\b", new, other) for other in lines[k + 1:]]
            head = [re.sub(rf"@output {old};", f"@output {new};", other) for other in lines[:k]]
            yield "\n".join(head + rest) + "\n"
    # Simpler declarations.
    header = lines[0] if lines and _HEADER.match(lines[0]) else None
    if header:
        match = re.search(r"@max_len (\d+);", header)
        if match and int(match.group(1)) > 1:
            for smaller in range(1, int(match.group(1))):
                yield "\n".join([header.replace(match.group(0), f"@max_len {smaller};"), *lines[1:]]) + "\n"
        vocab = re.search(r"@vocab \{([^}]*)\};", header)
        if vocab:
            items = [v.strip() for v in vocab.group(1).split(",")]
            if len(items) > 1:
                for k in range(len(items)):
                    rest = items[:k] + items[k + 1:]
                    yield "\n".join([header.replace(vocab.group(0), "@vocab {" + ", ".join(rest) + "};"),
                                     *lines[1:]]) + "\n"
    # Simplify sub-expressions, one group at a time.
    for k, line in enumerate(lines):
        if _HEADER.match(line):
            continue
        for start, stop in _groups(line):
            inner = line[start + 1:stop - 1]
            while line[start] == "(" and start > 0 and (line[start - 1].isalnum() or line[start - 1] == "_"):
                start -= 1  # a call: replace the whole call, name included
            group = line[start:stop]
            replacements = [p for p in _top_level_parts(inner) if p != group]
            replacements += [s for s in _SIMPLE if s != group]
            for replacement in replacements:
                if len(replacement) >= len(group):
                    continue
                new_line = line[:start] + replacement + line[stop:]
                yield "\n".join(lines[:k] + [new_line] + lines[k + 1:]) + "\n"


# ------------------------------------------------------------------ front-end inputs

_TOKEN = re.compile(r'"[^"\n]*"|[A-Za-z_@][A-Za-z_0-9]*|[0-9]+(?:\.[0-9]+)?|[=!<>]=|\S')
_FRAGMENTS = ("select(", "aggregate(", "def ", "for ", " in ", "return ", "{", "}", "(", ")", "[", "]",
              ";", ",", "==", "!=", "not ", " and ", " or ", " if ", " else ", "@vocab ", "@max_len ",
              "@output ", "load ", "tokens", "indices", "length", "selector_width(", "\"", "#", "\n",
              "1.5", "-", "^", "%", "/", "round(", "indicator(", "range(", "zip(", "len(", "x", "=")


def mutate_source(source: str, rng: random.Random) -> str:
    """``source`` damaged in one to three random ways: flipped bytes, deleted,
    inserted or duplicated tokens, random unicode, deep nesting, huge literals,
    long lines."""
    text = source
    for _ in range(rng.randint(1, 3)):
        tokens = _TOKEN.findall(text) or [" "]
        spans = [m.span() for m in _TOKEN.finditer(text)] or [(0, 0)]
        kind = rng.randrange(10)
        if kind == 0 and text:  # flip bits of one byte
            data = bytearray(text.encode("utf-8"))
            position = rng.randrange(len(data))
            data[position] ^= 1 << rng.randrange(8)
            text = data.decode("utf-8", errors="replace")
        elif kind == 1:  # delete a token
            start, stop = rng.choice(spans)
            text = text[:start] + text[stop:]
        elif kind == 2:  # insert a token from elsewhere, or a fragment of the language
            start, _ = rng.choice(spans)
            piece = rng.choice(tokens) if rng.random() < 0.5 else rng.choice(_FRAGMENTS)
            text = text[:start] + piece + " " + text[start:]
        elif kind == 3:  # duplicate a run of tokens
            a, b = sorted(rng.sample(range(len(spans)), 2)) if len(spans) > 1 else (0, 0)
            chunk = text[spans[a][0]:spans[b][1]]
            text = text[:spans[b][1]] + " " + chunk + text[spans[b][1]:]
        elif kind == 4:  # random unicode
            start, _ = rng.choice(spans)
            piece = "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(128, 0x2FFF),
                                             rng.randrange(0x1F300, 0x1FAFF), 0, 0xFEFF, 0x202E]))
                            for _ in range(rng.randint(1, 5)))
            text = text[:start] + piece + text[start:]
        elif kind == 5:  # deep nesting
            depth = rng.choice([50, 200, 1000, 5000])
            opener, closer = rng.choice([("(", ")"), ("[", "]"), ("not ", ""), ("-", ""),
                                         ("{1: ", "}"), ("f(", ")")])
            text += f"\ndeep = {opener * depth}1{closer * depth};\n"
        elif kind == 6:  # a huge literal
            digits = "9" * rng.choice([20, 400, 5000])
            text += rng.choice([f"\nbig = indices + {digits};\n", f"\nbig = {digits}.5 * 2;\n",
                                f"\nbig = [{', '.join(['1'] * 3000)}];\n", f'\nbig = "{"a" * 20000}";\n',
                                f"\nbig = range({digits});\n", f"\nbig = [0] * {digits};\n",
                                f'\nbig = "ab" * {digits};\n', f"\nbig = 2 ^ {digits};\n",
                                f"\nbig = (0 - 8) ^ 0.{digits};\n", f"\nbig = len(range(0 - {digits}, {digits}));\n",
                                "\nbig = [[j for j in range(300)] for i in range(300)];\n",
                                "\ndef big(a) { return big(a + 1); }\nhuge = big(indices);\n",
                                "\nbig = [1];\nfor i in range(60) { big = [big, big]; }\nhuge = big + indices;\n"])
        elif kind == 7:  # a very long line
            text += "\nlong = " + " + ".join(["indices"] * rng.choice([100, 2000])) + ";\n"
        elif kind == 8:  # swap two tokens
            if len(spans) > 1:
                (a0, a1), (b0, b1) = sorted(rng.sample(spans, 2))
                text = text[:a0] + text[b0:b1] + text[a1:b0] + text[a0:a1] + text[b1:]
        else:  # cut the text short
            text = text[:rng.randrange(len(text) + 1)]
    return text


def random_source(rng: random.Random) -> str:
    """Text assembled from the language's fragments and random characters."""
    pieces = []
    for _ in range(rng.randint(1, 40)):
        if rng.random() < 0.8:
            pieces.append(rng.choice(_FRAGMENTS))
        else:
            pieces.append(chr(rng.randrange(1, 0x3000)))
    return "".join(pieces)
