"""Lowering: the passes, in the order they run, that turn a staged program into one
the constructions can build cheaply.

Each pass is a pure function from one ``Graph`` to the next (nodes are never
mutated; a changed node is rebuilt, and so is everything downstream of it).
``PIPELINE`` lists them in order, each with the name that switches it off
(``raspc compile --no-opt NAME``), or None for the rewrites the constructions
need. Switching passes off is how the tests show that each one preserves the
program's meaning.

Passes that only save space or depth, and where they live:

* ``count_means`` (``count_means``): a mean of a 0/1 s-op becomes a map of a
  selector width where the identity can be checked on every position (a prefix
  count, the paper's beginning-of-sequence count, a test of "any selected one").
* ``simplify_selects`` (``simplify_selects``): a selector that needs joint s-ops
  gets smaller ones: one-sided tests become boolean maps, pinned equalities
  become constant tests, repeated slots merge.
* ``split_lexicographic`` (``split_lexicographic``): a select comparing a map that
  orders like the pairs of its two operands (``hist * 1000 - indices``) compares
  the pairs instead: two disjoint parts whose widths add.
* ``fuse_maps`` (``fuse_maps``, and ``split_widths.split_disjoint_widths``): a
  chain of elementwise maps becomes one MLP; the width of an ``or`` of two
  selectors that never both hold becomes the sum of two widths.
* ``maps_into_selects`` (``maps_into_selects``): a one-to-one map that only
  selectors read is read through its input; its one-hot is never written.
* ``constant_tests`` (``constant_tests``): a categorical s-op that selectors only
  compare with constants is read through a boolean map per test.
* ``fold_embeddings`` (``fold_embeddings``): a function of ``tokens`` alone (or
  ``indices`` alone) is written straight into the embedding table.
* ``compact_numerical`` (``compact_numerical``): a categorical s-op of numbers
  that is only ever averaged is stored as one numerical direction.

Three rewrites always run, because the constructions need them: a selector one
head cannot compute slot by slot reads joint s-ops (``split_selects``); a width
or a length becomes a head writing ``1/(w+1)`` and a map decoding it
(``split_widths``); a numerical s-op read by a selector gets a categorical copy
(``categorical_copies``).

The other names in ``PASSES`` switch off choices made later: ``dead_code``
(``compiler.compile_program`` keeps every named s-op), ``share_heads`` and
``narrow_equalities`` (assembly), ``reuse_residual`` and ``grid_output`` (layout). One list of names
covers them all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from compiler.analysis.valuesets import ValueSet
from compiler.errors import CompileError
from compiler.passes.categorical_copies import categorical_copies
from compiler.passes.compact_numerical import compact_numerical
from compiler.passes.constant_tests import constant_tests
from compiler.passes.count_means import means_as_widths, sign_tests_as_widths
from compiler.passes.fold_embeddings import fold_embeddings
from compiler.passes.fuse_maps import fuse_maps
from compiler.passes.graph import Graph
from compiler.passes.maps_into_selects import maps_into_selects
from compiler.passes.simplify_selects import simplify_selects
from compiler.passes.split_lexicographic import split_lexicographic
from compiler.passes.split_selects import split_selects
from compiler.passes.split_widths import split_disjoint_widths, split_widths
from rasp import ir

#: Every name ``--no-opt`` accepts, in the order ``raspc compile --help`` lists them.
PASSES = ("fuse_maps", "fold_embeddings", "share_heads", "dead_code", "reuse_residual",
          "compact_numerical", "split_lexicographic", "count_means", "simplify_selects", "maps_into_selects",
          "constant_tests", "narrow_equalities", "grid_output")

#: The names in PASSES that no graph pass answers to: read by later stages.
LATER_SWITCHES = ("share_heads", "dead_code", "reuse_residual", "narrow_equalities", "grid_output")


@dataclass(frozen=True)
class Step:
    """One entry of the pipeline: ``run`` unless ``switch`` (a name in PASSES) was
    switched off; a step whose switch is None always runs."""

    switch: str | None
    run: Callable[[Graph], Graph]


#: The passes in the order they run. The order matters: means become widths
#: before widths are split; selectors are simplified and split into disjoint
#: parts before the ones left are joined; categorical copies exist before
#: folding and fusing, so that those treat them like any other map; and numbers
#: are compacted last, once every reader of each s-op is known.
PIPELINE: tuple[Step, ...] = (
    Step("count_means", sign_tests_as_widths),
    Step("count_means", means_as_widths),
    Step("simplify_selects", simplify_selects),
    Step("split_lexicographic", split_lexicographic),
    Step("fuse_maps", split_disjoint_widths),
    Step(None, split_selects),
    Step(None, split_widths),
    Step(None, categorical_copies),
    Step("maps_into_selects", maps_into_selects),
    Step("constant_tests", constant_tests),
    Step("fold_embeddings", fold_embeddings),
    Step("fuse_maps", fuse_maps),
    Step("compact_numerical", compact_numerical),
)


@dataclass(frozen=True)
class Lowered:
    """The program as the scheduler sees it: what lowering hands the back end.

    ``outputs[0]`` is the output s-op; ``embedded`` holds the ids of s-ops written
    by the embeddings (tokens, indices, constants, folded maps); ``sets`` every
    s-op's value set and encoding; ``vocab`` and ``max_len`` the inputs compiled for.
    """

    outputs: tuple[ir.SOp, ...]
    sets: dict[int, ValueSet]
    embedded: frozenset[int]
    vocab: tuple
    max_len: int


def lower(outputs: tuple[ir.SOp, ...], vocab, max_len: int, disabled: tuple[str, ...] = ()) -> Lowered:
    """Run every step whose switch is on, then infer the final graph's value sets."""
    unknown = [name for name in disabled if name not in PASSES]
    if unknown:
        raise CompileError(f"unknown compiler pass {unknown[0]!r}; passes are {', '.join(PASSES)}")
    graph = Graph(tuple(outputs), tuple(vocab), max_len)
    for step in PIPELINE:
        if step.switch is None or step.switch not in disabled:
            graph = step.run(graph)
    return _lowered(graph)


def _lowered(graph: Graph) -> Lowered:
    """The final graph, with every embedded s-op it still reads: folded maps, and
    tokens, indices and constants, which the embedding always writes."""
    sets = graph.sets
    nodes = list(ir.ancestors(graph.outputs))
    live = {node.id for node in nodes}
    embedded = {i for i in graph.embedded if i in live}
    embedded |= {node.id for node in nodes if isinstance(node, (ir.Constant, ir.Tokens, ir.Indices))}
    return Lowered(graph.outputs, sets, frozenset(embedded), graph.vocab, graph.max_len)
