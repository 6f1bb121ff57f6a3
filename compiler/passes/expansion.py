"""An elementwise subgraph seen as one function of the s-ops at its edge.

A chain of maps (``length - indices - 1``) is, position by position, one function
of the chain's original operands (its frontier). ``fold_embeddings`` writes such a
function of tokens or indices alone into the embedding table; ``fuse_maps``
builds one MLP for it instead of an MLP per map. Both need the same three
things, which live here: the function and its frontier (``Expansion``), the
merging of a map's operands' expansions into the map's own (``merge``), and an
``ir`` node computing an expansion (``as_node``).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Callable

from compiler.analysis.valuesets import ValueSet, position_function, product_size, value_key
from rasp import ir

ELEMENTWISE = (ir.Map, ir.SequenceMap)


@dataclass(frozen=True)
class Expansion:
    """An elementwise subgraph seen as one function of its frontier s-ops."""

    frontier: tuple[ir.SOp, ...]
    fn: Callable[..., Any]
    text: str  # a format string over {i}, the frontier's labels
    #: Labels of the s-ops computed inside the function (not read from the frontier).
    inside: frozenset[str] = frozenset()
    #: Labels of the s-ops the function is a function of alone; None for a constant.
    through: frozenset[str] | None = None


def _identity(value: Any) -> Any:
    return value


def leaf(sop: ir.SOp) -> Expansion:
    """An s-op read as it is: the identity of itself."""
    return Expansion((sop,), _identity, "{0}", through=frozenset({sop.label}) | sop.function_of)


def constant(sop: ir.Constant) -> Expansion:
    """A constant: a function of nothing."""
    value = sop.value
    return Expansion((), lambda: value, repr(value))


def unexpanded(sop: ir.SOp) -> Expansion:
    """An operand that is not expanded further: a constant, or a leaf."""
    return constant(sop) if isinstance(sop, ir.Constant) else leaf(sop)


def domain_size(value_sets: list[ValueSet]) -> int:
    """How many combinations of values the s-ops with these sets take together."""
    return product_size([value_set.values for value_set in value_sets])


def merge(node: ir.Map | ir.SequenceMap, parts: list[Expansion]) -> Expansion:
    """The expansion of ``node`` when its operands expand to ``parts``."""
    frontier: list[ir.SOp] = []
    for part in parts:
        for sop in part.frontier:
            if all(sop is not f for f in frontier):
                frontier.append(sop)
    position = {sop.id: k for k, sop in enumerate(frontier)}
    picks = [tuple(position[s.id] for s in part.frontier) for part in parts]
    getters = [_getter(part, pick) for part, pick in zip(parts, picks)]
    outer = node.fn

    if len(getters) == 1:
        only = getters[0]

        def fused(*args):
            return outer(only(args))
    else:
        def fused(*args):
            return outer(*[get(args) for get in getters])

    texts = []
    for part, pick in zip(parts, picks):
        try:
            inner = part.text.format(*("{%d}" % k for k in pick))
        except (IndexError, KeyError, ValueError):
            inner = "f(" + ", ".join("{%d}" % k for k in pick) + ")"
        texts.append(inner if part.text == "{0}" or part.frontier == () else f"({inner})")
    try:
        text = node.description.format(*texts)
    except (IndexError, KeyError, ValueError):
        text = f"{node.label}(" + ", ".join(texts) + ")"
    return Expansion(tuple(frontier), fused, text, *_provenance(node, parts))


def _provenance(node: ir.Map | ir.SequenceMap, parts: list[Expansion]) -> tuple[frozenset[str], frozenset[str] | None]:
    """What the expansion of ``node`` computes inside (each operand expanded rather
    than read, and what its own expansion or an earlier pass put inside it) and the
    s-ops it is a function of alone (those every operand is a function of)."""
    inside: set[str] = set()
    through: frozenset[str] | None = None
    for child, part in zip(node.children, parts):
        if isinstance(child, ir.Constant):
            continue
        read = len(part.frontier) == 1 and part.frontier[0] is child and part.fn is _identity
        if not read:
            inside |= part.inside | child.inlined | {child.label}
        own = frozenset({child.label}) | child.function_of | (part.through or frozenset())
        through = own if through is None else through & own
    return frozenset(inside), through


def _getter(part: Expansion, pick: tuple[int, ...]) -> Callable[[tuple], Any]:
    """How the fused function reads one operand from its arguments: a leaf is an
    argument itself; any other part is called on its arguments and remembers its
    results, since a value-set enumeration calls the fused function on every
    combination and each part sees the same few arguments again and again."""
    if part.fn is _identity:
        return itemgetter(pick[0])
    fn, seen = part.fn, {}
    if len(pick) == 1:
        return _one_argument_getter(fn, pick[0], seen)

    def get(args: tuple) -> Any:
        own = [args[k] for k in pick]
        key = tuple((type(a), a) for a in own)  # 1, 1.0 and True are different values
        try:
            return seen[key]
        except KeyError:
            seen[key] = result = fn(*own)
            return result
        except TypeError:  # an unhashable argument: computed each time
            return fn(*own)

    return get


def _one_argument_getter(fn: Callable, at: int, seen: dict) -> Callable[[tuple], Any]:
    """``_getter``'s ``get`` for a part of one operand, the common case (a lookup of
    ``tokens`` in a large vocabulary), without building a tuple per call."""
    def get(args: tuple) -> Any:
        value = args[at]
        key = (type(value), value)
        try:
            return seen[key]
        except KeyError:
            seen[key] = result = fn(value)
            return result
        except TypeError:
            return fn(value)

    return get


def as_node(original: ir.SOp, expansion: Expansion) -> ir.SOp:
    """An ir node computing ``expansion``, named like ``original``."""
    if not expansion.frontier:
        return ir.Constant(value=expansion.fn()).replacing(original)
    if len(expansion.frontier) == 1:
        node = ir.Map(fn=expansion.fn, inner=expansion.frontier[0], description=expansion.text)
    else:
        node = ir.SequenceMap(fn=expansion.fn, inputs=expansion.frontier, description=expansion.text)
    node = node.replacing(original)
    node.inlined = node.inlined | expansion.inside
    node.function_of = node.function_of | (expansion.through or frozenset())
    return node


def drop_position_operands(expansion: Expansion, sets: list[ValueSet], max_len: int) -> Expansion:
    """The expansion without its operands that are functions of the position alone
    (indices, ``indices + 1``) when, at every position they can hold together, the
    result does not depend on them: ``round((indices + 1) * (w / (indices + 1)))``
    is ``w``. Checked on every reachable combination; the result is a table of the
    remaining operands, so the MLP reads fewer of them."""
    frontier = expansion.frontier
    functions = [position_function(s) for s in frontier]
    fixed = [k for k, f in enumerate(functions) if f is not None]
    free = [k for k, f in enumerate(functions) if f is None]
    if not fixed or not free or domain_size([sets[k] for k in free]) > 20_000:
        return expansion
    positions: dict[tuple, tuple] = {}
    for n in range(1, max_len + 1):
        for i in range(n):
            try:
                values = tuple(functions[k](n, i) for k in fixed)
            except Exception:
                continue
            positions.setdefault(tuple(value_key(v) for v in values), values)
    if len(positions) * domain_size([sets[k] for k in free]) > 200_000:
        return expansion
    table: dict[tuple, Any] = {}
    for combo in itertools.product(*(sets[k].values for k in free)):
        found = None
        for values in positions.values():
            args = [None] * len(frontier)
            for k, v in zip(free, combo):
                args[k] = v
            for k, v in zip(fixed, values):
                args[k] = v
            try:
                result = expansion.fn(*args)
            except Exception:
                continue
            if found is None:
                found = (result,)
            elif value_key(found[0]) != value_key(result):
                return expansion
        if found is not None:
            table[tuple(value_key(v) for v in combo)] = found[0]

    def looked_up(*args):
        return table[tuple(value_key(v) for v in args)]  # KeyError: an impossible combination

    kept = tuple(frontier[k] for k in free)
    text = expansion.text
    try:
        text = text.format(*("{%d}" % free.index(k) if k in free else "_" for k in range(len(frontier))))
    except (IndexError, KeyError, ValueError):
        text = "f(" + ", ".join("{%d}" % k for k in range(len(kept))) + ")"
    return Expansion(kept, looked_up, text, expansion.inside, expansion.through)
