"""What staging returns: the program, and what each top-level statement displays."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasp import ir
from raspc.errors import SourceLocation


@dataclass(frozen=True)
class Display:
    """What the REPL would print for one top-level expression statement.

    ``kind`` is ``example`` (an application to an input: ``input`` is that input),
    ``sop``/``selector`` (a bare s-op or selector, shown on the running example,
    ``input``; ``None`` when examples are switched off), ``value`` (an atom, list, dict
    or function), ``show`` (``show example``: ``value`` is the pair of running
    examples) or ``draw`` (``draw(sop, input);``: ``value`` drawn on ``input``).
    """

    kind: str
    text: str
    name: str
    value: Any
    input: tuple | None
    location: SourceLocation | None
    example: Any = None  # the running example as written (a string or a list)
    in_json: bool = True  # assignments and loads print in the REPL's text only
    verbose: bool = False  # `full seq display on`: the REPL prints sequences as a table


@dataclass
class StagedFile:
    """A staged program plus, in order, what each top-level statement displays."""

    program: ir.Program
    displays: list[Display]
    display_names: dict[int, str]

    def name_of(self, node: ir.RaspExpr) -> str:
        return node.name or self.display_names.get(node.id) or node.label

    @property
    def draws(self) -> list[Display]:
        """The ``draw`` statements, in order: what to draw and on which input."""
        return [display for display in self.displays if display.kind == "draw"]
