"""Terminal views of the attribution and of activation patching (``raspc lens``,
``raspc patch``); ``runtime.lens.variables.format_text`` is the variables' view."""
from __future__ import annotations

import numpy as np

from runtime.lens.attribution import Attribution
from runtime.lens.patching import PatchGrid, PatchReport
from runtime.lens.variables import shown_sequence, shown_value

#: Components named per position in the attribution's text view.
TOP_COMPONENTS = 3


def format_attribution(attribution: Attribution) -> str:
    """Per position: the answer, its logit, and the components that wrote most of it."""
    lines = [f"direct attribution (the {TOP_COMPONENTS} largest terms of the answer's logit at each position):"]
    for p, token in enumerate(attribution.tokens):
        terms = attribution.contributions[:, p]
        order = np.argsort(-np.abs(terms), kind="stable")[:TOP_COMPONENTS]
        named = ", ".join(f"{attribution.components[k].name} {terms[k]:+.3g}" for k in order if terms[k] != 0)
        lines.append(f"  {p}:{shown_value(token):<4} -> {shown_value(attribution.answer[p]):<4} "
                     f"logit {attribution.logit[p]:.3g} = {named or 'nothing'}")
    return "\n".join(lines)


def _grid_lines(grid: PatchGrid, every_row: bool) -> list[str]:
    width = max(len(t.name) for t in grid.rows)
    cells = [f"{c:>7}" for c in grid.columns]
    lines = [f"  {'':<{width}} {''.join(cells)}"]
    quiet = 0
    for r, target in enumerate(grid.rows):
        moved = np.any(grid.changed[r] > 0) or np.any(np.abs(grid.restored[r]) > 1e-3)
        if not (moved or every_row):
            quiet += 1
            continue
        row = "".join(f"{grid.restored[r, c]:>6.2f}{'*' if grid.changed[r, c] else ' '}"
                      for c in range(len(grid.columns)))
        lines.append(f"  {target.name:<{width}} {row}  {target.label}")
    if quiet:
        lines.append(f"  ({quiet} other {grid.kind}s: no effect)")
    return lines


def format_patching(report: PatchReport) -> str:
    """Each grid: the share of the logit difference restored per cell, * where an
    answer changed; sublayers in full, heads and subspaces where something moved."""
    lines = [f"clean:   {shown_sequence(report.clean)} -> {shown_sequence(report.clean_output)}",
             f"corrupt: {shown_sequence(report.corrupt)} -> {shown_sequence(report.corrupt_output)}", ""]
    for grid in report.grids:
        lines.append(f"patching each {grid.kind} from the clean run into the corrupt run "
                     "(share of the logit difference restored; * where an answer changes):")
        lines += _grid_lines(grid, every_row=grid.kind == "sublayer")
        lines.append("")
    return "\n".join(lines).rstrip()
