"""What each attention head is, in the program's own words: the source text of the
selector it implements and the file:line where the program wrote it.

The passes rewrite selectors (constants become ``constant_NN`` slots, maps fold
into the comparison, a mean of ones becomes a count), so the selector a head
computes is described over names the program never wrote. The lens shows the text
the program wrote instead, recovered from the location staging gave the selector
(rewrites keep it: ``ir.RaspExpr.replacing``), with the rewritten form kept beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

from compiler.analysis.refusals import user_label
from rasp import ir

_OPENING, _CLOSING = "([{", ")]}"


@dataclass(frozen=True)
class SourceLabel:
    """An expression as the program wrote it (``text``) and where (``place``:
    ``file:line``); both empty when the program gave no place (a graph built in Python)."""

    text: str
    place: str


def expression_text(line: str, column: int) -> str:
    """The expression that starts at ``column`` (1-based) of a source line: up to the
    first comma, semicolon or closing bracket outside brackets and string literals
    (or the end of the line, for an expression that goes on to the next)."""
    depth, quote, end = 0, None, len(line)
    for k in range(max(column - 1, 0), len(line)):
        char = line[k]
        if quote is not None:
            if char == "\\":
                continue
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            end = k
            break
        elif char in _OPENING:
            depth += 1
        elif char in _CLOSING and depth > 0:
            depth -= 1
        elif char in _CLOSING + ",;" and depth == 0:
            end = k
            break
    return line[max(column - 1, 0):end].strip()


def source_label(node: ir.RaspExpr, *fallbacks: ir.RaspExpr) -> SourceLabel:
    """``node`` as the program wrote it, ``NAME = expression`` for a named one; where
    ``node`` has no place (a pass built it), the first of ``fallbacks`` that has one."""
    for candidate in (node, *fallbacks):
        location = candidate.location
        if location is None or not location.source_line:
            continue
        text = expression_text(location.source_line.rstrip("\n"), location.column)
        name = user_label(candidate) if candidate.name else ""
        if name and text != name and not text.startswith(name):
            text = f"{name} = {text}"
        return SourceLabel(text, f"{location.file}:{location.line}")
    return SourceLabel("", "")


def head_source(node: ir.RaspExpr, selector: ir.RaspExpr, counts: bool) -> SourceLabel:
    """The label of the head computing ``node`` (an aggregate, or a width scratch
    when ``counts``) through ``selector``: the selector's source text, with what the
    head does with it for a width."""
    found = source_label(selector, node)
    if not found.text or not counts:
        return found
    if found.text.startswith("aggregate("):
        return SourceLabel(f"count of the selected ones in {found.text}", found.place)
    return SourceLabel(f"width of {found.text}", found.place)
