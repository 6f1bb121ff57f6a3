"""Where an interchange intervention on an s-op must reach in the compiled model.

Replacing an s-op's subspace with its value on another input changes what its
readers compute only if they read that subspace. The passes do not always leave
it so: ``fuse_maps`` and ``fold_embeddings`` compute a map again inside the MLP
(or embedding row) of a reader, from the map's own operands, and ``count_means``
answers ``mean > 0`` with a width of its own. Each such reader records the s-ops
it computes inside (``ir.RaspExpr.inlined``) and those it is a function of alone
(``ir.RaspExpr.function_of``). From these, for every s-op with a subspace:

* the other subspaces that hold a function of it alone, which a reader reads in
  its place: patched together with its own, from the same other input, they carry
  the intervention exactly (``copies``);
* the sublayers that compute it inside an operation that also reads other values
  (``fused_in``): no patch of subspaces gives the program's counterfactual there,
  so an intervention on the s-op cannot be measured on the compiled model.
"""
from __future__ import annotations

from dataclasses import dataclass

from rasp import ir

ELEMENTWISE = (ir.Map, ir.SequenceMap)


@dataclass(frozen=True)
class Site:
    """A compiled operation with a subspace: its subspace and the sublayer writing it."""

    subspace: str
    writer: str


@dataclass(frozen=True)
class Reach:
    """What an intervention on one s-op must patch besides its own subspace."""

    copies: tuple[Site, ...] = ()
    fused_in: tuple[str, ...] = ()


def functions_of(outputs: tuple[ir.SOp, ...]) -> dict[int, frozenset[str]]:
    """For every node, the labels of the s-ops it is a function of alone, position
    by position: what a pass recorded, and what its elementwise operands share."""
    found: dict[int, frozenset[str]] = {}
    for node in ir.ancestors(outputs):
        shared: frozenset[str] | None = None
        if isinstance(node, ELEMENTWISE):
            for child in node.children:
                if isinstance(child, ir.Constant):
                    continue
                own = frozenset({child.label}) | found.get(child.id, frozenset())
                shared = own if shared is None else shared & own
        found[node.id] = node.function_of | (shared or frozenset())
    return found


def intervention_reach(outputs: tuple[ir.SOp, ...], sites: dict[int, Site]) -> dict[int, Reach]:
    """``Reach`` of every node with a site (by node id) that some other operation
    computes again; a node missing from the answer is read only through its own
    subspace."""
    nodes = list(ir.ancestors(outputs))
    alone = functions_of(outputs)
    readers: dict[int, list[ir.RaspExpr]] = {}
    for node in nodes:
        for child in node.children:
            readers.setdefault(child.id, []).append(node)

    def sublayer(node: ir.RaspExpr) -> str:
        """The sublayer computing ``node``: its own, or (a selector, a map built
        into no subspace) that of the nearest reader with one."""
        frontier, seen = [node], {node.id}
        while frontier:
            following = []
            for current in frontier:
                if current.id in sites:
                    return sites[current.id].writer
                for reader in readers.get(current.id, ()):
                    if reader.id not in seen:
                        seen.add(reader.id)
                        following.append(reader)
            frontier = following
        return "?"  # not reached: every live node leads to the output, which has a site

    computing: dict[str, list[ir.RaspExpr]] = {}
    for node in nodes:
        for label in node.inlined:
            computing.setdefault(label, []).append(node)
    reach: dict[int, Reach] = {}
    for node in nodes:
        if node.id not in sites or node.label not in computing:
            continue
        copies: list[Site] = []
        fused: list[str] = []
        for other in computing[node.label]:
            if other.id == node.id:
                continue
            if other.id in sites and node.label in alone[other.id]:
                copies.append(sites[other.id])
            else:
                fused.append(sublayer(other))
        if copies or fused:
            reach[node.id] = Reach(tuple(dict.fromkeys(copies)), tuple(dict.fromkeys(fused)))
    return reach
