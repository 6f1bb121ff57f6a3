"""The residual layout: which directions hold which s-op.

``one`` and ``bos`` come first, then ``tokens`` and ``indices`` (when the program
reads them), then the other embedded s-ops, then every computed s-op in the order it
is written (a selector width's head writes a one-direction scratch, ``1/(w+1)``,
that MLPs decode).

With ``reuse_residual``, a scratch direction is shared by selector widths in
different layers: the MLP of the layer where its last reader runs erases it (one
ReLU subtracts the value), so that the next width finds the direction clean.

With ``grid_output``, a categorical output of GRID_MIN_VALUES values or more that no
operation reads (only the unembedding does) is held on a grid
(``runtime.model.grid_code``): its value's row and column, about 2 sqrt(n)
directions instead of n. Every layer's matrices span the whole residual, so a
translator's 2,400 output chunks cost millions of zero weights as a one-hot; the
blocks that write it are built for the one-hot as usual and ``Plan.written`` carries
what they write onto the grid, which is linear, so the output is exactly as before.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compiler.constructions.blocks import BOS, ONE, Space
from compiler.analysis.operands import operands
from compiler.passes.nodes import WidthScratch
from compiler.passes.pipeline import Lowered
from compiler.backend.schedule import ATTN, EMBED, MLP, Schedule
from rasp import ir
from runtime.model import CATEGORICAL, NUMERICAL, Layout, Subspace, grid_rows_for, grid_width

#: The fewest values of an output held on a grid: below it a one-hot costs little and
#: reads plainly in the lens.
GRID_MIN_VALUES = 256


@dataclass(frozen=True)
class Plan:
    """The layout plus, for every s-op id, the Space constructions speak of; and
    ``erase``: the width scratches whose direction a later scratch reuses, each with
    the layer whose MLP must erase it."""

    layout: Layout
    spaces: dict[int, Space]
    erase: dict[int, int]

    def slice(self, space: Space) -> slice:
        sub = self.layout[space.name]
        return slice(sub.start, sub.stop)

    def subspace(self, space: Space) -> Subspace:
        return self.layout[space.name]

    def written(self, space: Space, matrix: np.ndarray) -> np.ndarray:
        """What a block writes into ``space`` (its last axis one entry per value of the
        space) in the residual's directions of it: the same for a one-hot, through
        the code for a grid."""
        sub = self.layout[space.name]
        return matrix @ sub.code() if sub.grid_rows else matrix


@dataclass(frozen=True)
class _ScratchSlot:
    """A width scratch's direction and the layer whose MLP erases it: a scratch
    written in a later layer may take it."""

    start: int
    erased_in: int


def writer(kind: str, layer: int) -> str:
    """Who writes a subspace, as the model file says it: ``embed``, ``L{layer}.attn``
    or ``L{layer}.mlp``."""
    if kind == EMBED:
        return "embed"
    return f"L{layer}.{'attn' if kind == ATTN else 'mlp'}"


def _unique_name(label: str, taken: set[str]) -> str:
    name, k = label, 1
    while name in taken:
        k += 1
        name = f"{label}_{k}"
    taken.add(name)
    return name


def space_for(node: ir.SOp, name: str, lowered: Lowered) -> Space:
    """The Space of an s-op: one direction per value of its set when categorical,
    one direction (with the sorted values where known) when numerical."""
    value_set = lowered.sets[node.id]
    if value_set.encoding == CATEGORICAL:
        return Space(name, CATEGORICAL, value_set.values)
    return Space(name, NUMERICAL, tuple(sorted(value_set.values, key=float)) if value_set.known else ())


def readers(outputs: tuple[ir.SOp, ...]) -> dict[int, list[ir.SOp]]:
    """For every s-op id, the operations that read it from the residual."""
    found: dict[int, list[ir.SOp]] = {}
    for node in ir.ancestors(outputs):
        if isinstance(node, ir.SOp):
            for operand in operands(node):
                found.setdefault(operand.id, []).append(node)
    return found


def plan_layout(lowered: Lowered, schedule: Schedule, disabled: tuple[str, ...] = ()) -> Plan:
    """Give every live s-op its slice of the residual.

    With ``reuse_residual``, a width scratch direction is handed on: once every MLP
    that reads one scratch has run (layer r, whose MLP also erases it), a scratch
    written in a later layer takes the same direction.
    """
    nodes = [n for n in ir.ancestors(lowered.outputs) if isinstance(n, ir.SOp)]
    order = sorted(nodes, key=lambda n: (schedule.ready(n.id), _leaf_rank(n), n.id))
    read_by = readers(lowered.outputs)
    outputs = {o.id for o in lowered.outputs}
    taken = {ONE.name, BOS.name}
    spaces: dict[int, Space] = {}
    erase: dict[int, int] = {}
    subspaces: list[Subspace] = [Subspace(ONE.name, 0, 1, NUMERICAL, (1,)),
                                 Subspace(BOS.name, 1, 2, NUMERICAL, (0, 1))]
    cursor = 2
    free: list[_ScratchSlot] = []
    for node in order:
        kind, layer = schedule.kind[node.id], schedule.layer[node.id]
        if kind == EMBED and node.id not in outputs and read_by.get(node.id) and \
                all(schedule.kind[r.id] == EMBED for r in read_by[node.id]):
            continue  # only folded maps read it, and they are computed in the table
        space = space_for(node, _unique_name(node.label, taken), lowered)
        spaces[node.id] = space
        grid_rows = grid_rows_for(space.width) if (
            node.id in outputs and not read_by.get(node.id) and "grid_output" not in disabled
            and space.encoding == CATEGORICAL and space.width >= GRID_MIN_VALUES) else 0
        width = grid_width(space.width, grid_rows) if grid_rows else space.width
        start = None
        reusable = (isinstance(node, WidthScratch) and node.id not in outputs
                    and "reuse_residual" not in disabled
                    and all(schedule.kind[r.id] == MLP for r in read_by.get(node.id, ())))
        if reusable:
            slot = next((k for k, found in enumerate(free) if found.erased_in < layer), None)
            if slot is not None:
                start = free.pop(slot).start
        if start is None:
            start = cursor
            cursor += width
        if reusable and read_by.get(node.id):
            last = max(schedule.layer[r.id] for r in read_by[node.id])
            free.append(_ScratchSlot(start, last))
            erase[node.id] = last
        subspaces.append(Subspace(space.name, start, start + width, space.encoding,
                                  space.values, writer(kind, layer), grid_rows))
    return Plan(Layout(cursor, tuple(subspaces)), spaces, erase)


def _leaf_rank(node: ir.SOp) -> int:
    """Tokens, then what else the token embedding writes (folded maps of tokens,
    constants), then indices: so the token embedding writes only the residual's first directions,
    and its table keeps only those (``runtime.model.full_token_embed``)."""
    if isinstance(node, ir.Tokens):
        return 0
    if isinstance(node, ir.Constant) or (isinstance(node, (ir.Map, ir.SequenceMap))
                                         and all(isinstance(c, ir.Tokens) for c in node.children)):
        return 1  # the token rows write constants too
    if isinstance(node, ir.Indices):
        return 2
    return 3


def token_width(lowered: Lowered, plan: Plan) -> int:
    """How many of the residual's first directions the token table keeps: through
    the last subspace the token rows write (``bos``, tokens, constants and maps of
    tokens alone), which ``_leaf_rank`` puts before any other."""
    stops = [plan.layout[BOS.name].stop]
    for node in ir.ancestors(lowered.outputs):
        if node.id in plan.spaces and _leaf_rank(node) <= 1:
            subspace = plan.layout[plan.spaces[node.id].name]
            if subspace.writer == "embed":
                stops.append(subspace.stop)
    return max(stops)
