"""What the program's graph says activation patching must find.

For a compiled model, each s-op lives in one subspace that one sublayer writes (the
layout records which). Copying that sublayer's output (or the subspace, or the head
that writes it) from the clean run into the corrupt run is the intervention "this
s-op takes its clean value" on the graph, which the reference interpreter evaluates
directly: ``expected_changes`` counts the positions whose output then differs from
the corrupt output. The model never enters that computation; only its layout maps
components to graph nodes.
"""
from __future__ import annotations

from typing import Any, Sequence

from rasp import ir
from rasp.errors import RaspEvaluationError
from rasp.interpreter import Evaluation
from runtime.model import Model
from runtime.outputs import same_value

SCRATCH = "_scratch"


class Intervened(Evaluation):
    """The interpreter with some nodes' values fixed."""

    def __init__(self, tokens: Sequence[Any], fixed: dict[int, list]):
        super().__init__(tokens)
        self.fixed = fixed

    def _compute(self, node: ir.RaspExpr) -> Any:
        if node.id in self.fixed:
            return self.fixed[node.id]
        return super()._compute(node)


def subspace_nodes(model: Model, output: ir.RaspExpr) -> dict[str, ir.RaspExpr | None]:
    """Each layout subspace's graph node: its own name, or the s-op a ``_scratch``
    subspace is the partial result of; None for a constant (the same in every run)."""
    by_label = {node.label: node for node in ir.ancestors(output)}
    found: dict[str, ir.RaspExpr | None] = {}
    for subspace in model.layout.subspaces:
        name = subspace.name
        if name in by_label:
            found[name] = by_label[name]
        elif name.endswith(SCRATCH) and name[:-len(SCRATCH)] in by_label:
            found[name] = by_label[name[:-len(SCRATCH)]]
        elif name in ("one", "bos") or name.startswith("constant_"):
            found[name] = None
        else:
            raise AssertionError(f"subspace {name} matches no node of the graph")
    return found


def point_order(n_layers: int) -> dict[str, int]:
    """Residual points in the order the model reaches them: embed, L0.attn, L0.mlp, ..."""
    points = ["embed"] + [f"L{l}.{s}" for l in range(n_layers) for s in ("attn", "mlp")]
    return {point: k for k, point in enumerate(points)}


def nodes_written(model: Model, output: ir.RaspExpr, writer: str) -> list[ir.RaspExpr]:
    """The graph nodes whose subspaces ``writer`` (``embed``, ``L0.attn``, ...) writes."""
    nodes = subspace_nodes(model, output)
    return [nodes[s.name] for s in model.layout.subspaces if s.writer == writer and nodes[s.name] is not None]


def nodes_settled(model: Model, output: ir.RaspExpr, point: str) -> list[ir.RaspExpr]:
    """The graph nodes already in the residual at ``point``: a patch there changes
    only what later sublayers compute, so these keep their corrupt values (the
    embedding, for one, writes tokens and the maps of tokens it folds side by side)."""
    order = point_order(model.config.n_layers)
    nodes = subspace_nodes(model, output)
    return [nodes[s.name] for s in model.layout.subspaces
            if order[s.writer] <= order[point] and nodes[s.name] is not None]


def expected_changes(output: ir.RaspExpr, nodes: Sequence[ir.RaspExpr], positions: Sequence[int],
                     clean: Sequence[Any], corrupt: Sequence[Any],
                     settled: Sequence[ir.RaspExpr] = ()) -> int | None:
    """How many output positions differ from the corrupt output when ``nodes`` take
    their clean values at ``positions`` and ``settled`` nodes keep their corrupt ones
    (None when the interpreter cannot evaluate the mixture, e.g. a mean of strings)."""
    clean_run, corrupt_run = Evaluation(clean), Evaluation(corrupt)
    fixed = {node.id: list(corrupt_run(node)) for node in settled}
    for node in nodes:
        mixed = list(corrupt_run(node))
        for p in positions:
            mixed[p] = clean_run(node)[p]
        fixed[node.id] = mixed
    try:
        patched = Intervened(corrupt, fixed)(output)
    except RaspEvaluationError:
        return None
    return sum(not same_value(c, p) for c, p in zip(corrupt_run(output), patched))
