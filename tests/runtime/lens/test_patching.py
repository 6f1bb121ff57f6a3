"""Activation patching finds exactly what the program's graph says carries the
changed value: for every sublayer, head and s-op subspace, at every position and at
all positions, the number of answers that change equals what the reference
interpreter computes for the same intervention on the graph
(``tests.runtime.lens.graph_patching``)."""
from __future__ import annotations

import numpy as np
import pytest

from raspc.errors import InputError
from runtime.lens.patching import patch
from runtime.outputs import same_value
from tests.runtime.lens.bundled import bundled, dense_model, random_inputs
from tests.runtime.lens.graph_patching import (expected_changes, nodes_settled, nodes_written,
                                                subspace_nodes)

#: Programs whose compiled model computes each layout s-op from the s-ops the
#: program's graph names. (On dyck2 the compiler fuses ``balanced = depth == 0``
#: into the last MLP as a function of ``openers_so_far`` and ``indices``, past
#: ``depth``: patching depth then leaves ``balanced`` alone, as the compiled circuit
#: says and the source graph does not; its unnamed intermediate maps also get new
#: labels when lowered, so the graph cannot name every subspace.)
PROGRAMS = ("reverse", "sort", "hist", "induction", "paren_depth", "count")
LENGTH = 5
PAIRS_PER_PROGRAM = 4


def _pairs(case) -> list[tuple[tuple, tuple]]:
    """Seeded pairs of one length: the corrupt input changes one or two tokens."""
    rng = np.random.default_rng(sum(map(ord, case.name)))
    vocab = case.program.vocab
    pairs = []
    while len(pairs) < PAIRS_PER_PROGRAM:
        clean = [vocab[int(k)] for k in rng.integers(0, len(vocab), LENGTH)]
        corrupt = list(clean)
        for position in rng.choice(LENGTH, size=int(rng.integers(1, 3)), replace=False):
            corrupt[int(position)] = vocab[int(rng.integers(0, len(vocab)))]
        if corrupt != clean:
            pairs.append((tuple(clean), tuple(corrupt)))
    return pairs


def _graph_expectation(case, grid, row: int, column: int, clean, corrupt):
    """The interpreter's count of changed answers for one cell of a grid."""
    model, output = case.model, case.program.output_expr()
    target = grid.rows[row]
    nodes_of = subspace_nodes(model, output)
    if grid.kind == "sublayer":
        nodes, point = nodes_written(model, output, target.name), target.name
    elif grid.kind == "head":
        layer, head = (int(x) for x in target.name[1:].split(".H"))
        writes = next(h.writes for h in model.head_labels if (h.layer, h.head) == (layer, head))
        nodes, point = [n for n in [nodes_of.get(writes)] if n is not None], f"L{layer}.attn"
    else:
        node = nodes_of[target.name]
        nodes, point = ([node] if node is not None else []), model.layout[target.name].writer
    settled = [n for n in nodes_settled(model, output, point) if n not in nodes]
    name = grid.columns[column]
    positions = [] if name == "BOS" else list(range(len(clean))) if name == "all" else [column - 1]
    return expected_changes(output, nodes, positions, clean, corrupt, settled)


@pytest.mark.parametrize("name", PROGRAMS)
def test_patching_finds_exactly_what_the_graph_says(name):
    case = bundled(name)
    checked = skipped = 0
    moved = set()
    for clean, corrupt in _pairs(case):
        report = patch(case.model, clean, corrupt)
        assert [g.kind for g in report.grids] == ["sublayer", "head", "subspace"]
        for grid in report.grids:
            for row in range(len(grid.rows)):
                for column in range(len(grid.columns)):
                    expected = _graph_expectation(case, grid, row, column, clean, corrupt)
                    if expected is None:
                        skipped += 1
                        continue
                    assert grid.changed[row, column] == expected, (
                        clean, corrupt, grid.kind, grid.rows[row].name, grid.columns[column])
                    if expected:
                        moved.add((grid.kind, grid.rows[row].name))
                    checked += 1
        # patching the whole embedding makes the corrupt run the clean one
        restored, changed = report.grid("sublayer").cell("embed", "all")
        differ = sum(not same_value(a, b) for a, b in zip(report.clean_output, report.corrupt_output))
        assert changed == differ
        if differ:
            assert restored == pytest.approx(1.0, abs=1e-4)
    assert moved and ("sublayer", "embed") in moved
    assert checked > 2 * skipped  # a skipped cell mixes values the interpreter cannot average


def test_patching_the_output_writer_restores_the_clean_answer():
    """reverse's answer is written by layer 1's head alone: copying it at all
    positions gives the clean output, copying the first layer's counting changes
    nothing (the two inputs have one length)."""
    report = patch(bundled("reverse").model, tuple("abcd"), tuple("abdd"))
    heads = report.grid("head")
    row = [t.name for t in heads.rows].index("L1.H0")
    assert heads.outputs[row][heads.columns.index("all")] == tuple("dcba")
    assert heads.cell("L1.H0") == (pytest.approx(1.0, abs=1e-4), 1)
    assert heads.cell("L0.H0") == (pytest.approx(0.0, abs=1e-6), 0)
    assert report.grid("subspace").cell("positions_after")[1] == 0


def test_patching_a_model_without_a_layout():
    model = dense_model(seed=11)
    clean, corrupt = random_inputs(model, 1, seed=3)[0], None
    corrupt = tuple(reversed(clean)) if len(clean) > 1 else clean
    report = patch(model, clean, corrupt)
    assert [g.kind for g in report.grids] == ["sublayer", "head"]
    sublayers = report.grid("sublayer")
    assert [t.name for t in sublayers.rows] == ["embed", "L0.attn", "L0.mlp", "L1.attn", "L1.mlp"]
    assert sublayers.restored.shape == (5, len(clean) + 2)
    assert report.grid("head").restored.shape == (5, len(clean) + 2)
    assert np.all(np.isfinite(sublayers.restored))


def test_patching_needs_inputs_of_one_length():
    with pytest.raises(InputError, match="same length"):
        patch(bundled("reverse").model, tuple("abc"), tuple("ab"))
    with pytest.raises(InputError, match="unknown patch kind"):
        patch(bundled("reverse").model, tuple("abc"), tuple("abd"), kinds=("neuron",))
