"""A comparison as a terminal table and as one self-contained HTML page.

The page has no scripts and loads nothing: tables, and the matched heads'
attention patterns side by side as inline SVG heatmaps on one example input.
"""
from __future__ import annotations

import html
import math
from typing import Any, Sequence

import numpy as np

from runtime.compare.comparison import Comparison, VariableReport
from runtime.io import write_atomically


def _pct(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _score(value: float | None, encoding: str) -> str:
    return _pct(value) if encoding == "categorical" else _num(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    line = lambda cells: "  " + "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]


def _head(pair: tuple[int, int] | None) -> str:
    return "-" if pair is None or pair[0] < 0 else f"L{pair[0]}.H{pair[1]}"


def best_probe(scores: dict[str, float]) -> tuple[str, float | None]:
    finite = {p: s for p, s in scores.items() if s is not None and math.isfinite(s)}
    if not finite:
        return "-", None
    point = max(finite, key=lambda p: finite[p])
    return point, finite[point]


def _a_iia(variable: VariableReport) -> str:
    """A's IIA, or ``fused`` where A computes the s-op inside other operations."""
    return "fused" if variable.a_fused_in else _pct(variable.a_iia)


def reach_notes(variables: Sequence[VariableReport]) -> list[str]:
    """What A's IIA patched besides the s-op's own subspace, and why it is missing
    for the s-ops A computes again inside other operations."""
    notes = []
    fused = [v for v in variables if v.a_fused_in]
    if fused:
        notes += ["fused: A computes these s-ops again inside operations that also read other values, so no patch "
                  "of their subspaces gives the program's intervention; A's IIA is not measured for them:"]
        notes += [f"  {v.name}: computed again in {', '.join(v.a_fused_in)}" for v in fused]
    copied = [v for v in variables if v.a_copies and not v.a_fused_in]
    if copied:
        notes += ["A's IIA also patched, each at the point where it is written, the subspaces where A holds a "
                  "function of the s-op alone that readers read in its place:"]
        notes += [f"  {v.name}: {_listed(v.a_copies)}" for v in copied]
    return [""] + notes if notes else []


def _listed(names: Sequence[str], most: int = 6) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def format_text(result: Comparison, a_name: str, b_name: str) -> str:
    b = result.behaviour
    lines = [f"A: {a_name}", f"B: {b_name}", "", "behaviour (against the interpreter):"]
    lines += _table(["", "A", "B"], [["accuracy per sequence", _pct(b.a_accuracy), _pct(b.b_accuracy)],
                                    ["agreement of A and B", _pct(b.agreement), ""]])
    lines += ["", "accuracy by input length:"]
    lines += _table(["length", "inputs", "A", "B"], [[str(n), str(c), _pct(x), _pct(y)] for n, c, x, y in b.by_length])
    lines += ["", "attention (each head of A, matched to B's in its layer, and B's closest anywhere):"]
    lines += _table(["A head", "B match", "JSD", "argmax agrees", "closest", "JSD", "argmax agrees"],
                    [[_head((h.layer, h.head)), _head(h.matched), _num(h.divergence), _pct(h.argmax_agreement),
                      _head(h.closest), _num(h.closest_divergence), _pct(h.closest_agreement)]
                     for h in result.heads])
    if result.variables:
        lines += ["", "variables (linear probe on B's residual: best point; control: a random model of B's shape;",
                  "IIA: interchange interventions at the point where A writes the s-op; B unpatched: the share",
                  "of pairs where B gives the counterfactual output with no patch at all, the floor of B's IIA):"]
        rows = []
        for v in result.variables:
            point, score = best_probe(v.probe)
            at_writer = v.probe.get(v.writer)
            rows.append([v.name, v.writer, _score(at_writer, v.encoding), point, _score(score, v.encoding),
                         _score(v.control.get(point), v.encoding), _pct(v.b_iia), _pct(v.b_unpatched), _a_iia(v),
                         str(v.pairs)])
        lines += _table(["s-op", "A writes at", "B probe there", "B best at", "B best", "control",
                         "B IIA", "B unpatched", "A IIA", "pairs"], rows)
        lines += reach_notes(result.variables)
    lines += ["", "linear CKA of the residual streams, point by point:"]
    lines += _table(["point", "CKA"], [[p, _num(c)] for p, c in result.layer_cka().items()])
    return "\n".join(lines)


# ------------------------------------------------------------------ HTML

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }
td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; }
th { background: #f4f4f4; } .pair { display: flex; gap: 1em; border: 1px solid #ddd; padding: 0.5em;
margin: 0.5em 0; } .pair p { margin: 0.2em 0; font-size: 0.85em; } .note { color: #666; font-size: 0.85em; }
"""


def _shown(token: Any) -> str:
    return token if isinstance(token, str) else repr(token)


def heatmap_svg(pattern: np.ndarray, tokens: Sequence[Any], cell: int = 20) -> str:
    """Queries x keys (BOS first) as inline SVG."""
    labels = ["BOS"] + [_shown(t) for t in tokens]
    n = len(labels)
    margin = 7 * max(len(label) for label in labels) + 10
    size = margin + n * cell
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" role="img" '
             f'aria-label="attention pattern">']
    for k, label in enumerate(labels):
        middle = margin + k * cell + cell / 2
        parts.append(f'<text x="{middle:.0f}" y="{margin - 4}" font-size="10" text-anchor="middle">'
                     f'{html.escape(label)}</text>')
        parts.append(f'<text x="{margin - 4}" y="{middle + 4:.0f}" font-size="10" text-anchor="end">'
                     f'{html.escape(label)}</text>')
    for q in range(n):
        for k in range(n):
            shade = int(round(255 * (1 - float(np.clip(pattern[q, k], 0.0, 1.0)))))
            parts.append(f'<rect x="{margin + k * cell}" y="{margin + q * cell}" width="{cell - 1}" '
                         f'height="{cell - 1}" fill="rgb({shade},{shade},255)"><title>query {q} -&gt; key {k}: '
                         f'{pattern[q, k]:.3f}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cka_table(result: Comparison) -> str:
    head = "<tr><th>A \\ B</th>" + "".join(f"<th>{html.escape(p)}</th>" for p in result.b_points) + "</tr>"
    rows = []
    for i, point in enumerate(result.a_points):
        cells = []
        for j in range(len(result.b_points)):
            value = float(result.cka[i, j])
            shade = int(round(255 * (1 - np.clip(value, 0, 1))))
            cells.append(f'<td style="background: rgb({shade},{255},{shade})">{value:.2f}</td>')
        rows.append(f"<tr><th>{html.escape(point)}</th>{''.join(cells)}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def render_html(result: Comparison, a_name: str, b_name: str) -> str:
    b = result.behaviour
    title = f"raspc compare: {a_name} and {b_name}"
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'>", f"<title>{html.escape(title)}</title>",
           f"<style>{_STYLE}</style></head><body>", f"<h1>{html.escape(title)}</h1>",
           f"<p>A: <code>{html.escape(a_name)}</code>; B: <code>{html.escape(b_name)}</code>.</p>",
           "<h2>Behaviour</h2>",
           _html_table(["", "A", "B"], [["accuracy per sequence", _pct(b.a_accuracy), _pct(b.b_accuracy)],
                                         ["agreement of A and B", _pct(b.agreement), ""]]),
           _html_table(["length", "inputs", "A accuracy", "B accuracy"],
                       [[str(n), str(c), _pct(x), _pct(y)] for n, c, x, y in b.by_length]),
           "<h2>Attention</h2>",
           _html_table(["A head", "B match (same layer)", "JSD (bits)", "argmax agrees", "B closest (any layer)",
                        "JSD", "argmax agrees"],
                       [[_head((h.layer, h.head)), _head(h.matched), _num(h.divergence), _pct(h.argmax_agreement),
                         _head(h.closest), _num(h.closest_divergence), _pct(h.closest_agreement)]
                        for h in result.heads]),
           f"<p class=note>Patterns on the input <code>{html.escape(' '.join(_shown(t) for t in result.example))}"
           "</code>: rows are queries, columns keys, BOS first; darker is more weight.</p>"]
    for match in result.heads:
        a_pattern = result.a_patterns[match.layer][match.head]
        shown = match.matched or match.closest
        right = ""
        if shown is not None and shown[0] >= 0:
            b_pattern = result.b_patterns[shown[0]][shown[1]]
            right = (f"<div><p>B {_head(shown)}" + (" (closest)" if match.matched is None else "") + "</p>"
                     + heatmap_svg(b_pattern, result.example) + "</div>")
        out.append(f"<div class=pair><div><p>A {_head((match.layer, match.head))}</p>"
                   + heatmap_svg(a_pattern, result.example) + f"</div>{right}</div>")
    if result.variables:
        out.append("<h2>Variables</h2><p class=note>Linear probes on B's residual after each step (held-out "
                   "accuracy, or R<sup>2</sup> for numerical s-ops), control in brackets: the same probe on a "
                   "random model of B's shape. IIA: interchange-intervention accuracy at the point where A "
                   "writes the s-op (B on its probe's subspace, A on its own layout subspace); B unpatched: the "
                   "share of pairs where B gives the counterfactual output with no patch at all, the floor of "
                   "B's IIA.</p>")
        points = list(result.b_points)
        rows = []
        for v in result.variables:
            rows.append([v.name, v.writer] + [f"{_score(v.probe.get(p), v.encoding)} "
                                              f"({_score(v.control.get(p), v.encoding)})" for p in points]
                        + [_pct(v.b_iia), _pct(v.b_unpatched), _a_iia(v), str(v.pairs)])
        out.append(_html_table(["s-op", "A writes at"] + points + ["B IIA", "B unpatched", "A IIA", "pairs"], rows))
        notes = [html.escape(line.strip()) for line in reach_notes(result.variables) if line]
        if notes:
            out.append("<p class=note>" + "<br>".join(notes) + "</p>")
    out += ["<h2>Similarity: linear CKA of the residual streams</h2>", _cka_table(result), "</body></html>"]
    return "\n".join(out)


def write_html(result: Comparison, path: str, a_name: str, b_name: str) -> None:
    """Write the page atomically."""
    write_atomically(path, render_html(result, a_name, b_name).encode("utf-8"))
