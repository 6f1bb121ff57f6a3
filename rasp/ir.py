"""The staged program: s-ops and selectors as a graph of primitive operations.

Staging (``rasp.stage``) turns source into these nodes; the interpreter
(``rasp.interpreter``) evaluates them on an input; value-set inference and the
compiler read them. They can also be built directly from Python, which is how the
compiler's tests describe programs without going through source text::

    >>> from rasp import ir
    >>> flip = ir.Select(keys=(ir.INDICES,), queries=(ir.LENGTH - ir.INDICES - 1,),
    ...                  predicate=ir.Compare("==", 0, 0))
    >>> reverse = ir.Aggregate(flip, ir.TOKENS).named("reverse")

Nodes compare by identity (two equal-looking maps are two operations); each has a
unique ``id`` in creation order, which is also a topological order.

Values inside s-ops are Python atoms: ``str``, ``int``, ``float`` or ``bool``, as in
the original RASP.
"""
from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Iterator, Union

if TYPE_CHECKING:
    import networkx as nx

Value = Union[str, int, float, bool]

_next_id = itertools.count()


class Encoding(enum.Enum):
    """How an s-op lives in the residual stream."""

    CATEGORICAL = "categorical"
    NUMERICAL = "numerical"


# ------------------------------------------------------------- predicates

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda key, query: key == query,
    "!=": lambda key, query: key != query,
    "<": lambda key, query: key < query,
    ">": lambda key, query: key > query,
    "<=": lambda key, query: key <= query,
    ">=": lambda key, query: key >= query,
}


@dataclass(frozen=True)
class Compare:
    """``keys[key_slot] OP queries[query_slot]``: the atom of every selector.

    ``key_map``/``query_map``, when set, apply to that side's value before the
    comparison: the compiler sets them when a selector reads a map's input in place
    of the map (``compiler.passes.maps_into_selects``), and only for a map that is
    one-to-one on the values it meets, so ``==`` over a key that differs at every
    position still matches one key at most. ``key_text``/``query_text`` show them
    (``"{0} + 1"``). A program as written has none (``plain``)."""

    op: str
    key_slot: int
    query_slot: int
    key_map: Callable[[Any], Any] | None = None
    query_map: Callable[[Any], Any] | None = None
    key_text: str = "{0}"
    query_text: str = "{0}"

    def __post_init__(self) -> None:
        if self.op not in COMPARISONS:
            raise ValueError(f"unknown comparison {self.op!r}")

    @property
    def plain(self) -> bool:
        """The comparison reads both values as they are."""
        return self.key_map is None and self.query_map is None

    def moved(self, key_slot: int, query_slot: int) -> "Compare":
        """The same comparison over other slots."""
        return replace(self, key_slot=key_slot, query_slot=query_slot)

    def __call__(self, keys: tuple, queries: tuple) -> bool:
        key, query = keys[self.key_slot], queries[self.query_slot]
        if self.key_map is not None:
            key = self.key_map(key)
        if self.query_map is not None:
            query = self.query_map(query)
        return bool(COMPARISONS[self.op](key, query))

    def describe(self, key_names: tuple[str, ...], query_names: tuple[str, ...]) -> str:
        key = self.key_text.format(key_names[self.key_slot])
        query = self.query_text.format(query_names[self.query_slot])
        return f"{key} {self.op} {query}"


@dataclass(frozen=True)
class PredAnd:
    left: "Predicate"
    right: "Predicate"

    def __call__(self, keys: tuple, queries: tuple) -> bool:
        return self.left(keys, queries) and self.right(keys, queries)

    def describe(self, key_names, query_names) -> str:
        return f"({self.left.describe(key_names, query_names)} and {self.right.describe(key_names, query_names)})"


@dataclass(frozen=True)
class PredOr:
    left: "Predicate"
    right: "Predicate"

    def __call__(self, keys: tuple, queries: tuple) -> bool:
        return self.left(keys, queries) or self.right(keys, queries)

    def describe(self, key_names, query_names) -> str:
        return f"({self.left.describe(key_names, query_names)} or {self.right.describe(key_names, query_names)})"


@dataclass(frozen=True)
class PredNot:
    inner: "Predicate"

    def __call__(self, keys: tuple, queries: tuple) -> bool:
        return not self.inner(keys, queries)

    def describe(self, key_names, query_names) -> str:
        return f"not {self.inner.describe(key_names, query_names)}"


@dataclass(frozen=True)
class PredTrue:
    """Selects everything: the prelude's ``full_s``."""

    def __call__(self, keys: tuple, queries: tuple) -> bool:
        return True

    def describe(self, key_names, query_names) -> str:
        return "True"


def split_predicate(predicate: "Predicate", kind: type) -> list["Predicate"]:
    """The parts that ``kind`` (PredAnd or PredOr) joins at the top of ``predicate``,
    left to right; the predicate itself when it is not of that kind."""
    if isinstance(predicate, kind):
        return split_predicate(predicate.left, kind) + split_predicate(predicate.right, kind)
    return [predicate]


def comparisons(predicate: "Predicate") -> list["Compare"]:
    """Every comparison in ``predicate``, left to right, under any and/or/not."""
    if isinstance(predicate, Compare):
        return [predicate]
    if isinstance(predicate, (PredAnd, PredOr)):
        return comparisons(predicate.left) + comparisons(predicate.right)
    if isinstance(predicate, PredNot):
        return comparisons(predicate.inner)
    return []


def map_comparisons(predicate: "Predicate", change: Callable[["Compare"], "Predicate"]) -> "Predicate":
    """``predicate`` with every comparison replaced by ``change(comparison)``, its
    and/or/not structure kept."""
    if isinstance(predicate, Compare):
        return change(predicate)
    if isinstance(predicate, (PredAnd, PredOr)):
        return type(predicate)(map_comparisons(predicate.left, change), map_comparisons(predicate.right, change))
    if isinstance(predicate, PredNot):
        return PredNot(map_comparisons(predicate.inner, change))
    return predicate


def slots_read(predicate: "Predicate") -> tuple[set[int], set[int]]:
    """The key slots and the query slots that ``predicate`` compares."""
    found = comparisons(predicate)
    return {c.key_slot for c in found}, {c.query_slot for c in found}


def join_predicates(parts: list["Predicate"], kind: type) -> "Predicate":
    """``parts`` joined by ``kind`` (PredAnd or PredOr), left to right."""
    result = parts[0]
    for part in parts[1:]:
        result = kind(result, part)
    return result


Predicate = Union[Compare, PredAnd, PredOr, PredNot, PredTrue]


# ------------------------------------------------------------------ nodes

@dataclass(frozen=True)
class Tolerance:
    """``@tolerance name error[, resolution];``: the compiled map may be off by
    ``error``, and by more only for inputs within ``resolution / 2`` of a point
    where the map jumps (a sign test, a threshold)."""

    error: float
    resolution: float


@dataclass(eq=False)
class RaspExpr:
    """A node of the program graph. ``name`` is the label a user gave it, if any."""

    name: str | None = field(default=None, kw_only=True)
    encoding_hint: Encoding | None = field(default=None, kw_only=True)
    # Where the source wrote it (a raspc.errors.SourceLocation; staging sets it), so
    # that the compiler's errors can point at the expression.
    location: Any = field(default=None, kw_only=True, repr=False)
    #: ``@tolerance``: how far the compiled map may be from exact (None: exact).
    tolerance: "Tolerance | None" = field(default=None, kw_only=True)
    # What a compiler pass folded into this node (labels of s-ops): ``inlined``, the
    # s-ops it computes from their own operands instead of reading them;
    # ``function_of``, the s-ops of which it is, position by position, a function
    # alone. An interchange intervention on an inlined s-op must reach this node too.
    inlined: frozenset = field(default=frozenset(), kw_only=True, repr=False, compare=False)
    function_of: frozenset = field(default=frozenset(), kw_only=True, repr=False, compare=False)
    id: int = field(default_factory=lambda: next(_next_id), init=False)

    @property
    def children(self) -> tuple["RaspExpr", ...]:
        return ()

    @property
    def label(self) -> str:
        """The name to show: the user's name, or the operation and id."""
        return self.name if self.name else f"{type(self).__name__.lower()}_{self.id}"

    def named(self, name: str) -> "RaspExpr":
        self.name = name
        return self

    def hinted(self, encoding: Encoding) -> "RaspExpr":
        self.encoding_hint = encoding
        return self

    def replacing(self, old: "RaspExpr") -> "RaspExpr":
        """Take over ``old``'s name, encoding hint and tolerance: a rewrite's result
        stands where ``old`` stood, under the name the user gave it."""
        self.name = old.name
        if self.location is None:
            self.location = old.location
        if old.encoding_hint is not None:
            self.encoding_hint = old.encoding_hint
        if old.tolerance is not None:
            self.tolerance = old.tolerance
        self.inlined = self.inlined | old.inlined
        self.function_of = self.function_of | old.function_of
        return self

    def __hash__(self) -> int:
        return self.id

    def __eq__(self, other: object) -> bool:
        return self is other


class SOp(RaspExpr):
    """A sequence operator: input sequence -> sequence of the same length.

    Python operators on s-ops build maps, so that the compiler's tests read like RASP.
    """

    def _binary(self, other: Any, fn: Callable[[Any, Any], Any], symbol: str, swap: bool = False) -> "SOp":
        if isinstance(other, SOp):
            left, right = (other, self) if swap else (self, other)
            return SequenceMap(lambda a, b: fn(a, b), (left, right), description=f"{{0}} {symbol} {{1}}")
        if swap:
            return Map(lambda a: fn(other, a), self, description=f"{other!r} {symbol} {{0}}")
        return Map(lambda a: fn(a, other), self, description=f"{{0}} {symbol} {other!r}")

    def __add__(self, other): return self._binary(other, lambda a, b: a + b, "+")
    def __radd__(self, other): return self._binary(other, lambda a, b: a + b, "+", swap=True)
    def __sub__(self, other): return self._binary(other, lambda a, b: a - b, "-")
    def __rsub__(self, other): return self._binary(other, lambda a, b: a - b, "-", swap=True)
    def __mul__(self, other): return self._binary(other, lambda a, b: a * b, "*")
    def __rmul__(self, other): return self._binary(other, lambda a, b: a * b, "*", swap=True)

    # Identity semantics stay for == (nodes are dict keys); use Map for comparisons.
    __hash__ = RaspExpr.__hash__
    __eq__ = RaspExpr.__eq__


class Selector(RaspExpr):
    """A selector: input sequence -> n x n boolean matrix, ``[query][key]``."""


@dataclass(eq=False)
class Tokens(SOp):
    """The input tokens as given (the original's ``tokens_asis``)."""


@dataclass(eq=False)
class Indices(SOp):
    """0, 1, ..., n-1."""


@dataclass(eq=False)
class Length(SOp):
    """n at every position: a built-in with an exact dedicated circuit."""


@dataclass(eq=False)
class Constant(SOp):
    """The same atom at every position."""

    value: Value = 0


@dataclass(eq=False)
class Map(SOp):
    """An elementwise function of one s-op.

    ``description`` is a format string over ``{0}``, the input's label (``"{0} + 1"``):
    the lens uses it to label the MLP neurons that implement this map.
    """

    fn: Callable[[Any], Value] = None  # type: ignore[assignment]
    inner: SOp = None  # type: ignore[assignment]
    description: str = "f({0})"

    @property
    def children(self):
        return (self.inner,)


@dataclass(eq=False)
class SequenceMap(SOp):
    """An elementwise function of two or more s-ops (the original's zipmap)."""

    fn: Callable[..., Value] = None  # type: ignore[assignment]
    inputs: tuple[SOp, ...] = ()
    description: str = "f({0}, {1})"

    @property
    def children(self):
        return tuple(self.inputs)


@dataclass(eq=False)
class Select(Selector):
    """Query i selects key j when ``predicate(keys at j, queries at i)`` holds.

    ``keys`` and ``queries`` are tuples of s-ops, so that ``and``/``or``/``not`` of
    selectors stay one selector (one attention head), as in the original.
    """

    keys: tuple[SOp, ...] = ()
    queries: tuple[SOp, ...] = ()
    predicate: Predicate = field(default_factory=PredTrue)

    @property
    def children(self):
        return tuple(self.keys) + tuple(self.queries)

    def describe(self) -> str:
        return self.predicate.describe(
            tuple(k.label for k in self.keys), tuple(q.label for q in self.queries))


@dataclass(eq=False)
class Aggregate(SOp):
    """Row by row: nothing selected -> ``default``; one -> that value; several -> mean."""

    selector: Selector = None  # type: ignore[assignment]
    sop: SOp = None  # type: ignore[assignment]
    default: Value = 0

    @property
    def children(self):
        return (self.selector, self.sop)


@dataclass(eq=False)
class SelectorWidth(SOp):
    """How many keys each query selects: a built-in with an exact dedicated circuit."""

    selector: Selector = None  # type: ignore[assignment]

    @property
    def children(self):
        return (self.selector,)


# Shared leaves: every program reads the same input nodes.
TOKENS = Tokens(name="tokens")
INDICES = Indices(name="indices")
LENGTH = Length(name="length")


# ---------------------------------------------------------------- program

def ancestors(roots: "RaspExpr | tuple[RaspExpr, ...] | list[RaspExpr]") -> Iterator[RaspExpr]:
    """Every node the roots depend on, each once, in creation (= topological) order."""
    if isinstance(roots, RaspExpr):
        roots = (roots,)
    seen: dict[int, RaspExpr] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node.id in seen:
            continue
        seen[node.id] = node
        stack.extend(node.children)
    return iter(sorted(seen.values(), key=lambda n: n.id))


def to_graph(roots: "RaspExpr | tuple[RaspExpr, ...] | list[RaspExpr]") -> nx.DiGraph:
    """The data-flow graph: an edge from each operand to the node that reads it.

    Each graph node is the node's ``id``, with the node itself under the ``expr`` key.
    networkx is imported here, on first use: the interpreter (``raspc eval``) never
    needs it, and importing it costs a tenth of a second.
    """
    import networkx as nx

    graph = nx.DiGraph()
    for node in ancestors(roots):
        graph.add_node(node.id, expr=node)
        for child in node.children:
            graph.add_edge(child.id, node.id)
    return graph


@dataclass(frozen=True)
class Example:
    """An example statement such as ``reverse("abc");``: run ``target`` on ``input``."""

    text: str
    target: RaspExpr
    input: tuple[Value, ...]
    location: Any = None  # rasp.errors.SourceLocation


@dataclass(frozen=True)
class TokenLiteral:
    """A literal compared with the tokens (``tokens == "z"``): outside the vocabulary
    the comparison is a constant, which is worth a warning. ``view`` is the tokens
    s-op it was compared with (``tokens_str`` converts each token first)."""

    value: Value
    view: "SOp"
    location: Any = None  # raspc.errors.SourceLocation

    def reachable(self, vocab: tuple) -> bool:
        """Whether some token of ``vocab``, seen through ``view``, equals the literal."""
        for token in vocab:
            try:
                seen = self.view.fn(token) if isinstance(self.view, Map) else token
            except (TypeError, ValueError, ArithmeticError):
                continue
            if type(seen) is type(self.value) and seen == self.value:
                return True
        return False


@dataclass
class Program:
    """A staged file: what it names, what it asks to run, and what it declares.

    ``names`` is the final environment's s-ops and selectors by name; ``examples``
    the example statements in order. The declarations (``vocab``, ``max_len``,
    ``output``, ``tokenizer``) are raspc's extensions; each may be ``None`` when the
    file omits it. With a tokenizer, ``vocab`` is every token it can write.
    """

    names: dict[str, RaspExpr]
    examples: list[Example] = field(default_factory=list)
    vocab: tuple[Value, ...] | None = None
    max_len: int | None = None
    output: str | None = None
    source_file: str = "<program>"
    token_literals: list[TokenLiteral] = field(default_factory=list)
    tokenizer: Any = None  # raspc.text.Tokenizer: how raw text becomes tokens

    def unreachable_literals(self, vocab: tuple) -> list[TokenLiteral]:
        """The literals compared with the tokens that no token of ``vocab`` equals."""
        return [literal for literal in self.token_literals if not literal.reachable(tuple(vocab))]

    def output_expr(self, name: str | None = None) -> RaspExpr:
        """The s-op named ``name`` (or the declared output)."""
        from rasp.errors import RaspNameError

        wanted = name or self.output
        if wanted is None:
            raise RaspNameError("no output s-op: declare one with '@output NAME;' or pass --output")
        if wanted not in self.names:
            raise RaspNameError(f"output {wanted!r} is not an s-op defined in {self.source_file}")
        return self.names[wanted]

    def graph(self, name: str | None = None) -> nx.DiGraph:
        return to_graph(self.output_expr(name))
