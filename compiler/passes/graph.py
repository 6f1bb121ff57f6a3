"""The program between two passes: what every pass reads and returns.

Each pass is a function ``Graph -> Graph``, so that lowering is a loop over an
ordered list of them (``compiler.passes.pipeline``). A graph knows the inputs it
is compiled for (vocabulary and max_len), which of its s-ops the embedding
writes, and, on demand, every s-op's value set.

Value sets are inferred once per node, not once per pass: every graph derived
from the first shares one table of the sets already found, keyed by node id
(nodes never change once built), so after a pass only the nodes it made (its
replacements and the readers rebuilt around them) are inferred. The table lives
for one lowering: a staged program's nodes may be renamed or hinted between two
compilations, never during one.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

from compiler.analysis.valuesets import ValueSet, infer
from rasp import ir


@dataclass(frozen=True)
class Graph:
    """``outputs[0]`` is the model's output (the others are kept alive only when
    dead code is kept); ``embedded`` holds the ids of s-ops the embedding writes
    besides tokens, indices and constants (maps folded into its table)."""

    outputs: tuple[ir.SOp, ...]
    vocab: tuple
    max_len: int
    embedded: frozenset[int] = frozenset()
    known: dict[int, ValueSet] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def sets(self) -> dict[int, ValueSet]:
        """Every s-op's value set, by node id (selectors have none)."""
        return infer(self.outputs, self.vocab, self.max_len, self.known)

    def rewritten(self, outputs: tuple[ir.SOp, ...], embedded: frozenset[int] | set[int] | None = None) -> Graph:
        """The graph after a pass: new outputs (and embedded ids, when the pass
        changes them), the same inputs and the same table of known value sets."""
        return dataclasses.replace(self, outputs=tuple(outputs),
                                   embedded=self.embedded if embedded is None else frozenset(embedded))
