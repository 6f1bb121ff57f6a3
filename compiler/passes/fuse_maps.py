"""``fuse_maps``: a chain of elementwise maps becomes one MLP.

Two MLPs in a row cost two layers; one MLP over the chain's original operands
costs one. So each map's operands that are themselves maps are inlined into it,
operand by operand, as long as the fused MLP does not read many more operand
combinations than its parts did (``FUSE_LIMIT``). Operands that are functions of
the position count once together, and are dropped where the result does not
depend on them at any reachable position.

One limit is a matter of exactness, not size. Two width scratches (``1/(w+1)``)
lie on a grid whose points are as close as ``1/(n(n+1))^2`` apart in every mixed
projection, which no float32 MLP separates beyond a short max_len. A map may read
several scratches only through a difference (``w1 == w2`` is ``a1 - a2 == 0``) or
another well-separated projection; otherwise each width is first decoded to an
exact integer in one numerical direction (one MLP), and the map reads the
integers (``smaller + equal_before`` is then one projection of them). A map that
only adds widths decodes them all into one numerical direction.
"""
from __future__ import annotations

import itertools

from compiler.analysis.valuesets import CATEGORICAL, NUMERICAL, ValueSet, position_function, value_key
from compiler.constructions.projection import find_projection
from compiler.passes.expansion import (ELEMENTWISE, Expansion, as_node, domain_size, drop_position_operands, leaf,
                                       merge, unexpanded)
from compiler.passes.graph import Graph
from compiler.passes.nodes import WidthDecode, WidthScratch, width_decode
from compiler.passes.rewriting import rewrite
from rasp import ir

#: A fused MLP may read this many operand combinations, or as many as its parts did.
FUSE_LIMIT = 512
#: What one numerical operand of a fused map counts for in those combinations: a
#: function along its axis costs a pair of units per change, and maps of a width
#: or a mean change at a few places.
NUMERICAL_AXIS_COST = 4

#: How a map reads two or more width scratches (see ``scratch_reading``).
DIFFERENCE, LINE, DECODE = "difference", "line", "decode"


def fused_cost(value_sets: list[ValueSet]) -> int:
    """What a fused MLP over operands with these value sets costs, in operand
    combinations. One numerical operand among categorical ones is read along its
    axis, where only the places the result changes cost units (a pair each): it
    counts as NUMERICAL_AXIS_COST, not as its number of values."""
    numerical = [v for v in value_sets if v.encoding == NUMERICAL]
    if len(numerical) == 1:
        rest = domain_size([v for v in value_sets if v.encoding != NUMERICAL])
        return rest * min(NUMERICAL_AXIS_COST, max(numerical[0].size, 1))
    return domain_size(value_sets)


#: A fused map of categorical operands is also fused when it takes this many
#: combinations or fewer and, built as a lookup, needs no more units than the
#: budget: a rule that tests a few words of a large vocabulary of roles
#: (``a == "kiss" and b == "of" and c == "death"``) is one unit, however many
#: combinations it reads.
LOOKUP_SCAN = 100_000


def lookup_units(expansion: Expansion, value_sets: list[ValueSet]) -> int | None:
    """Units of the lookup table of an expansion over categorical operands: one per
    combination outside the largest class of equal results (failures join it), as
    ``constructions.lookup.combination_units`` builds it; None when an operand is
    numerical or there are more than LOOKUP_SCAN combinations."""
    if any(v.encoding != CATEGORICAL or not v.known for v in value_sets) or domain_size(value_sets) > LOOKUP_SCAN:
        return None
    counts: dict[tuple, int] = {}
    total = 0
    for combo in itertools.product(*(v.values for v in value_sets)):
        total += 1
        try:
            key = value_key(expansion.fn(*combo))
        except Exception:
            continue
        counts[key] = counts.get(key, 0) + 1
    return total - max(counts.values(), default=total)


def positions_reached(functions: list, max_len: int) -> int:
    """How many distinct tuples of values functions of (length, index) take
    together over every position of every length up to max_len."""
    seen = set()
    for n in range(1, max_len + 1):
        for i in range(n):
            try:
                seen.add(tuple(value_key(f(n, i)) for f in functions))
            except Exception:
                continue
    return len(seen)


def adds_widths(expansion: Expansion, value_sets: list[ValueSet]) -> bool:
    """The map is a sum of one function per scratch with numbers as results
    (``opened - closed``): one MLP decodes every width into a single numerical
    direction, with no grid of scratch pairs. ``value_sets`` are the frontier's."""
    if not all(isinstance(s, WidthScratch) for s in expansion.frontier):
        return False
    domains = [v.values for v in value_sets]
    if domain_size(value_sets) > 100_000:
        return False
    base = tuple(d[0] for d in domains)
    try:
        origin_value = expansion.fn(*base)
        parts = [{v: expansion.fn(*(base[:k] + (v,) + base[k + 1:])) - origin_value for v in domain}
                 for k, domain in enumerate(domains)]
        for combo in itertools.product(*domains):
            value = expansion.fn(*combo)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
            if abs(origin_value + sum(p[v] for p, v in zip(parts, combo)) - value) > 1e-9:
                return False
    except Exception:
        return False
    return True


def scratch_reading(expansion: Expansion, value_sets: list[ValueSet]) -> str:
    """How a map may read two or more width scratches (``1/(w+1)``, values as
    close as ``1/(n(n+1))``) directly: DIFFERENCE through a +-1 projection with a
    negative sign (an equality of widths is ``a - b == 0``, separated at every
    max_len), LINE through any other well-separated projection (a sum of two
    short widths), or DECODE when each width must first be decoded to an exact
    integer, so that no MLP has to resolve a grid of scratch pairs in float32. A
    map of fewer than two scratches reads them as it likes. ``value_sets`` are
    the frontier's."""
    scratches = [s for s in expansion.frontier if isinstance(s, WidthScratch)]
    if len(scratches) < 2:
        return DIFFERENCE
    if len(expansion.frontier) != len(scratches):
        return DECODE
    domains = [[float(v) for v in value_set.values] for value_set in value_sets]
    if find_projection(expansion.fn, domains, differences_only=True) is not None:
        return DIFFERENCE
    return LINE if find_projection(expansion.fn, domains) is not None else DECODE


class _Fusion:
    """One run of ``fuse_maps``, walking the graph bottom-up.

    Its state, filled as the walk goes (every key a node id):

    * ``origin``: a node of the graph being built -> the node of the input graph
      it stands for, whose value set is known (``sets`` is the input graph's);
    * ``expansions``: a map of the new graph -> its expansion over its frontier,
      so that a reader can inline it in turn;
    * ``twins``: a width scratch -> the numerical decoding made for maps that
      must read it as an integer (one per scratch, shared by its readers);
    * ``together``: the ids of operands that are functions of the position ->
      how many tuples of values they take together (a memo).
    """

    def __init__(self, graph: Graph):
        self.sets = graph.sets
        self.embedded = graph.embedded
        self.max_len = graph.max_len
        self.compared = {s.id for node in ir.ancestors(graph.outputs) if isinstance(node, ir.Select)
                         for s in tuple(node.keys) + tuple(node.queries)}
        self.origin: dict[int, int] = {}
        self.expansions: dict[int, Expansion] = {}
        self.twins: dict[int, WidthDecode] = {}
        self.together: dict[tuple[int, ...], int] = {}

    def value_set(self, sop: ir.SOp) -> ValueSet:
        return self.sets[self.origin.get(sop.id, sop.id)]

    def value_sets(self, frontier) -> list[ValueSet]:
        return [self.value_set(s) for s in frontier]

    def expansion_of(self, node: ir.SOp) -> Expansion:
        return self.expansions.get(node.id) or unexpanded(node)

    def size(self, frontier) -> int:
        """``fused_cost`` of a frontier, where two or more operands that are
        functions of the position count as one operand with as many values as
        they take together."""
        found = self.value_sets(frontier)
        fixed = [(s.id, position_function(s)) for s in frontier]
        fixed = [(i, f) for i, f in fixed if f is not None]
        if len(fixed) >= 2 and self.max_len:
            key = tuple(i for i, _ in fixed)
            if key not in self.together:
                self.together[key] = positions_reached([f for _, f in fixed], self.max_len)
            found = [v for s, v in zip(frontier, found) if s.id not in key]
            found.append(ValueSet(tuple(range(self.together[key])), CATEGORICAL))
        return fused_cost(found)

    def narrowed(self, expansion: Expansion) -> Expansion:
        if not self.max_len:
            return expansion
        return drop_position_operands(expansion, self.value_sets(expansion.frontier), self.max_len)

    def numeric_twin(self, decode: WidthDecode) -> WidthDecode:
        """The width as one numerical direction holding the integer, for a map that
        combines it with another width."""
        scratch = decode.inner
        if scratch.id not in self.twins:
            twin = width_decode(scratch)
            twin.name = f"{decode.label}_number"
            twin.encoding_hint = ir.Encoding.NUMERICAL
            twin.inlined = frozenset({decode.label}) | decode.inlined   # the width again, as a number
            twin.function_of = frozenset({decode.label}) | decode.function_of
            self.twins[scratch.id] = twin
            self.origin[twin.id] = self.origin.get(decode.id, decode.id)
        return self.twins[scratch.id]

    def parts(self, node: ir.Map | ir.SequenceMap, decode_first: bool) -> list[Expansion]:
        """The operands' expansions to merge into ``node``: each elementwise
        operand inlined when the fused MLP stays within budget. With
        ``decode_first``, widths are read as decoded integers, never as scratches."""
        parts = [unexpanded(c) for c in node.children]
        budget = max(FUSE_LIMIT, self.size([c for c in node.children if not isinstance(c, ir.Constant)]))
        for k, child in enumerate(node.children):
            if decode_first and isinstance(child, WidthDecode):
                parts[k] = leaf(self.numeric_twin(child))
                continue
            if decode_first and any(isinstance(s, WidthScratch) for s in self.expansion_of(child).frontier):
                continue
            if isinstance(child, ELEMENTWISE) and self.origin.get(child.id, child.id) not in self.embedded \
                    and child.tolerance is None:
                inlined = self.expansion_of(child)
                trial = parts[:k] + [inlined] + parts[k + 1:]
                frontier = self.narrowed(merge(node, trial)).frontier
                # A chain that reads no more than the operand's own MLP already
                # reads costs no more: fusing it saves a layer however large that is.
                if self.size(frontier) <= budget or {s.id for s in frontier} <= {s.id for s in inlined.frontier}:
                    parts = trial
                elif (units := lookup_units(self.narrowed(merge(node, trial)), self.value_sets(frontier))) \
                        is not None and units <= FUSE_LIMIT:
                    parts = trial
        return parts

    def fused(self, node: ir.SOp, original: ir.SOp, expansion: Expansion) -> ir.SOp:
        """The node computing ``expansion`` in place of ``node``."""
        made = as_node(node, expansion)
        self.expansions[made.id] = expansion
        self.origin[made.id] = original.id
        return made

    def visit(self, node: ir.RaspExpr, original: ir.RaspExpr) -> ir.RaspExpr | None:
        self.origin[node.id] = original.id
        if not isinstance(node, ELEMENTWISE) or original.id in self.embedded:
            return None
        if original.tolerance is not None:
            return self.tolerant(node, original)
        expansion = self.narrowed(merge(node, self.parts(node, decode_first=False)))
        reading = scratch_reading(expansion, self.value_sets(expansion.frontier))
        if reading != DIFFERENCE:
            if (original.id not in self.compared and original.encoding_hint is None
                    and adds_widths(expansion, self.value_sets(expansion.frontier))):
                # Each width decoded into one shared direction; a selector would
                # need the sum one-hot, so only where none compares it.
                made = self.fused(node, original, expansion)
                made.encoding_hint = ir.Encoding.NUMERICAL
                return made
            if reading == DECODE:
                expansion = self.narrowed(merge(node, self.parts(node, decode_first=True)))
        if [s.id for s in expansion.frontier] == [c.id for c in node.children]:
            self.expansions[node.id] = expansion
            return None
        return self.fused(node, original, expansion)


    def tolerant(self, node: ir.Map | ir.SequenceMap, original: ir.SOp) -> ir.SOp | None:
        """A map built to a tolerance takes in the unnamed maps of its own expression
        (which share its tolerance) and nothing else: it reads numbers whose values
        are not listed, which no exact MLP reads, and a named map with a tolerance
        is built on its own (a map of one number is cheap; of several, rarely)."""
        parts = [self.expansion_of(c) if isinstance(c, ELEMENTWISE) and c.tolerance is not None and c.name is None
                 else unexpanded(c) for c in node.children]
        expansion = merge(node, parts)
        if [s.id for s in expansion.frontier] == [c.id for c in node.children]:
            self.expansions[node.id] = expansion
            return None
        return self.fused(node, original, expansion)


def fuse_maps(graph: Graph) -> Graph:
    """Inline elementwise operands into their readers, operand by operand, while the
    fused MLP's domain stays within max(FUSE_LIMIT, the reader's own domain)."""
    fusion = _Fusion(graph)
    return graph.rewritten(rewrite(graph.outputs, fusion.visit))
