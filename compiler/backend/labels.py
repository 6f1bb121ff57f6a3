"""What each attention head is, in the program's own words: the source text of the
selector it implements and the file:line where the program wrote it.

The passes rewrite selectors (constants become ``constant_NN`` slots, maps fold
into the comparison, a mean of ones becomes a count), so the selector a head
computes is described over names the program never wrote. The lens shows the text
the program wrote instead, recovered from the location staging gave the selector
(rewrites keep it: ``ir.RaspExpr.replacing``), with the rewritten form kept beside it.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from compiler.analysis.refusals import user_label
from compiler.backend.layout import Plan, writer
from compiler.backend.reach import Reach, Site, intervention_reach
from compiler.backend.schedule import ATTN, Schedule
from compiler.passes.nodes import WidthScratch
from rasp import ir
from runtime.model import SourceName

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


def source_label(node: ir.RaspExpr, *fallbacks: ir.RaspExpr, named: bool = True) -> SourceLabel:
    """``node`` as the program wrote it, ``NAME = expression`` for a named one (when
    ``named``); where ``node`` has no place (a pass built it), the first of
    ``fallbacks`` that has one."""
    for candidate in (node, *fallbacks):
        location = candidate.location
        if location is None or not location.source_line:
            continue
        text = expression_text(location.source_line.rstrip("\n"), location.column)
        name = user_label(candidate) if candidate.name and named else ""
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


# ------------------------------------------------------------------ s-ops

def _literal(value) -> str:
    """A constant as a RASP literal: strings in double quotes."""
    return json.dumps(value) if isinstance(value, str) else str(value)


def _place_key(node: ir.RaspExpr) -> tuple | None:
    location = node.location
    return None if location is None else (location.file, location.line)


def source_names(program: tuple[ir.SOp, ...], lowered: tuple[ir.SOp, ...], schedule: Schedule, plan: Plan,
                 source_file: str | None, aliases: tuple[tuple[str, ir.SOp], ...] = ()) -> tuple[SourceName, ...]:
    """Where each s-op the program names lives in the compiled model, and what each
    subspace the compiler named comes from (``SourceName``).

    A named s-op keeps its name through the rewrites that replace it
    (``ir.RaspExpr.replacing``), so its subspace is found by name. One fused into
    another operation is found by its line: the compiled operation written on the
    same place (or failing that, the first on the same line) computes it; failing
    that, the nearest operation that reads it does. ``aliases`` are the program's
    names for s-ops that carry another name (``y = tokens;``)."""
    sites: dict[int, Site] = {}
    for node in ir.ancestors(lowered):
        if node.id in plan.spaces and node.id in schedule.kind:
            sites[node.id] = Site(plan.spaces[node.id].name, writer(schedule.kind[node.id], schedule.layer[node.id]))
    compiled = {n.id: n for n in ir.ancestors(lowered)}
    reach = {sites[i].subspace: found for i, found in intervention_reach(lowered, sites).items()}
    by_name = {compiled[i].name: site for i, site in sites.items() if compiled[i].name}
    by_name.update({site.subspace: site for site in sites.values() if site.subspace not in by_name})
    by_line: dict[tuple, list[tuple[int, Site]]] = {}
    by_column: dict[tuple, Site] = {}
    heads_by_line: dict[tuple, list[tuple[int, Site]]] = {}
    for node_id, site in sites.items():
        node = compiled[node_id]
        key = _place_key(node)
        # A width's scratch holds 1/(w+1), not the width (a later MLP decodes it), and a
        # literal's constant computes nothing.
        if key is not None and not isinstance(node, (WidthScratch, ir.Constant)):
            by_line.setdefault(key, []).append((schedule.ready(node_id), site))
            by_column[key + (node.location.column,)] = site
        if key is not None and schedule.kind[node_id] == ATTN:
            heads_by_line.setdefault(key, []).append((schedule.ready(node_id), site))
    original = [n for n in ir.ancestors(program) if isinstance(n, ir.SOp)]
    readers: dict[int, list[ir.RaspExpr]] = {}
    for node in ir.ancestors(program):
        for child in node.children:
            readers.setdefault(child.id, []).append(node)

    def found(node: ir.RaspExpr) -> Site | None:
        if node.name and node.name in by_name:
            return by_name[node.name]
        key = _place_key(node)
        if key is not None and key + (node.location.column,) in by_column:
            return by_column[key + (node.location.column,)]
        if key in by_line:  # the first operation of its line that computes something
            return min(by_line[key], key=lambda pair: pair[0])[1]
        return None

    def absorbed_by(node: ir.RaspExpr) -> str:
        """The nearest reader's sublayer; an s-op a selector compares is computed
        inside the attention of the aggregate or width that uses the selector."""
        seen = {node.id}
        frontier = [(reader, isinstance(reader, ir.Selector)) for reader in readers.get(node.id, ())]
        while frontier:
            following = []
            for reader, compared in frontier:
                key = _place_key(reader)
                if compared and not isinstance(reader, ir.Selector) and key in heads_by_line:
                    return min(heads_by_line[key], key=lambda pair: pair[0])[1].writer
                site = found(reader)
                if site is not None:
                    return site.writer
                for further in readers.get(reader.id, ()):
                    if further.id not in seen:
                        seen.add(further.id)
                        following.append((further, compared or isinstance(further, ir.Selector)))
            frontier = following
        return ""

    named = [(user_label(node), node) for node in original if node.name and not (
        source_file is not None and _place_key(node) is not None and node.location.file != source_file)]
    known = {node.id for node in original}
    named += [(alias, node) for alias, node in aliases if node.id in known]
    # Names with a subspace first: of two nodes one name covers (tokens and its view
    # tokens_str), the one the model holds speaks for both.
    named.sort(key=lambda pair: (by_name.get(pair[1].name) or by_name.get(pair[0])) is None)
    names: list[SourceName] = []
    resolved: dict[int, SourceName] = {}
    user_names: dict[str, SourceName] = {}
    for name, node in named:
        if name in user_names:  # tokens and its view tokens_str are both "tokens"
            resolved.setdefault(node.id, user_names[name])
            continue
        label = source_label(node)
        if node.id in resolved:  # another name of an s-op already placed
            first = resolved[node.id]
            names.append(dataclasses.replace(first, name=name))
            user_names[name] = names[-1]
            continue
        site = by_name.get(node.name) or by_name.get(name)
        if site is not None:
            found_reach = reach.get(site.subspace, Reach())
            names.append(SourceName(name, label.text, label.place, subspace=site.subspace,
                                    copies=tuple(c.subspace for c in found_reach.copies),
                                    fused_in=found_reach.fused_in))
        else:
            site = found(node)
            names.append(SourceName(name, label.text, label.place,
                                    computed_in=site.writer if site is not None else absorbed_by(node)))
        resolved[node.id] = user_names[name] = names[-1]
    shown = {n.subspace for n in names if n.subspace} | set(user_names)
    for node_id, site in sites.items():
        if site.subspace in shown:
            continue
        shown.add(site.subspace)
        node = compiled[node_id]
        label = source_label(node, named=False)
        if isinstance(node, ir.Constant) and label.text:
            label = SourceLabel(f"{_literal(node.value)} in {label.text}", label.place)
        names.append(SourceName(site.subspace, label.text, label.place, subspace=site.subspace, internal=True))
    return tuple(names)
