"""The layer schedule: which layer computes each operation.

A layer is attention (all its heads in parallel) then an MLP. Every operation is
placed as early as its operands allow, so the depth is the number of attention
steps on the longest path, plus one only where an MLP must run before the first
attention. Independent heads land in the same layer by construction.

Time runs in slots: the embedding is slot 0; layer ``l``'s attention is slot
``2l + 1`` and its MLP slot ``2l + 2``. An operation may read anything written in
an earlier slot.

For ``reverse``: ``length`` is read through a numerical mean (layer 0's head),
``opp_index = length - indices - 1`` is layer 0's MLP, the aggregate layer 1's head:
two layers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

from compiler.analysis.operands import operands
from compiler.passes.nodes import WidthScratch
from rasp import ir

EMBED = "embed"
ATTN = "attn"  # one head writes the result
MLP = "mlp"  # one MLP block writes the result
WIDTH = "width"  # a head and an MLP in the same layer (selector width, length, when not split)


@dataclass(frozen=True)
class Schedule:
    """``layer[id]`` and ``kind[id]`` for every s-op; ``n_layers`` in all.

    Embedded s-ops have layer -1. ``ready[id]`` is the slot after which the value
    is in the residual stream.
    """

    kind: dict[int, str]
    layer: dict[int, int]
    n_layers: int

    def ready(self, node_id: int) -> int:
        kind, layer = self.kind[node_id], self.layer[node_id]
        if kind == EMBED:
            return 0
        return 2 * layer + (1 if kind == ATTN else 2)

    def ops_in_layer(self, layer: int, kinds: tuple[str, ...]) -> list[int]:
        return sorted(i for i, l in self.layer.items() if l == layer and self.kind[i] in kinds)


def kind_of(node: ir.SOp, embedded: frozenset[int]) -> str:
    if node.id in embedded or isinstance(node, (ir.Tokens, ir.Indices, ir.Constant)):
        return EMBED
    if isinstance(node, (ir.Aggregate, WidthScratch)):
        return ATTN
    if isinstance(node, (ir.SelectorWidth, ir.Length)):
        return WIDTH
    if isinstance(node, (ir.Map, ir.SequenceMap)):
        return MLP
    raise TypeError(f"cannot schedule {type(node).__name__}")


def schedule(outputs: tuple[ir.SOp, ...], embedded: frozenset[int]) -> Schedule:
    """Place every operation under ``outputs`` as early as possible."""
    graph = ir.to_graph(outputs)
    kinds: dict[int, str] = {}
    layers: dict[int, int] = {}
    partial = Schedule(kinds, layers, 0)
    for node_id in nx.topological_sort(graph):
        node = graph.nodes[node_id]["expr"]
        if not isinstance(node, ir.SOp):
            continue
        kind = kind_of(node, embedded)
        kinds[node_id] = kind
        slots = [partial.ready(s.id) for s in operands(node)] if kind != EMBED else []
        latest = max(slots, default=0)
        if kind == EMBED:
            layers[node_id] = -1
        elif kind in (ATTN, WIDTH):
            layers[node_id] = math.ceil(latest / 2)
        else:
            layers[node_id] = max(0, math.ceil((latest - 1) / 2))
    n_layers = max((l + 1 for l in layers.values()), default=0)
    return Schedule(kinds, layers, n_layers)
