"""The lens as one self-contained HTML page.

Sections, each one that folds: the inputs and outputs; the residual stream read as
RASP variables (compiled models); the logit lens as heatmaps of point by position
(rank, probability, KL divergence); the direct attribution table; activation
patching (when the page is for two inputs); attention patterns; MLP units. Two
inputs sit side by side. A filter box hides the table rows and heads whose name
or label does not contain what is typed (``data-filter`` attributes, and
``data-source`` where a row is shown by its source expression), so that a
model of many layers and hundreds of residual directions stays readable.

The page needs nothing from the network: the style and the one short script are
inline and every plot is inline SVG (``runtime.lens.plots``). ``page_heatmaps``
lists the same plots for ``runtime.lens.png``.
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from runtime.io import write_atomically
from runtime.lens.attribution import Attribution, attribution_heatmap
from runtime.lens.logit_lens import logit_lens_heatmaps
from runtime.lens.patching import PatchReport, patch_heatmaps
from runtime.lens.plots import Heatmap, colour, heatmap_svg
from runtime.lens.study import Study
from runtime.lens.variables import (ACTIVE, MAX_UNITS_SHOWN, HeadView, LensReport, UnitView, shown_sequence,
                                    shown_value, undecided)

#: Above this many heads the attention section starts folded; above this many
#: layers each layer's patterns and units; above this many rows the residual
#: table and the attribution table (the filter and "unfold all" open them).
OPEN_HEADS = 24
OPEN_LAYERS = 4
OPEN_ROWS = 40

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1600px; }
h1 { font-size: 1.4em; } h3 { font-size: 1em; margin: 0.8em 0 0.3em; }
details.section { margin-top: 1.2em; border-top: 1px solid #ccc; padding-top: 0.3em; }
details.section > summary { font-size: 1.15em; font-weight: bold; cursor: pointer; padding: 0.2em 0; }
details.layer > summary { cursor: pointer; font-weight: bold; margin: 0.4em 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.85em; }
td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.dead { color: #bbb; } td.low { background: #fff1d6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } tr.unit td { font-size: 0.9em; color: #444; }
tr.total td { font-weight: bold; border-top: 2px solid #999; }
code { font-family: ui-monospace, monospace; } .heads { display: flex; flex-wrap: wrap; gap: 1.5em; }
.head { border: 1px solid #ddd; padding: 0.5em; } .head p { margin: 0.2em 0; font-size: 0.85em; }
.note { color: #666; font-size: 0.85em; } .pair { display: flex; flex-wrap: wrap; gap: 2em; }
.side { flex: 1 1 0; min-width: 320px; overflow-x: auto; } .plots { display: flex; flex-wrap: wrap; gap: 1.5em; }
.plot p { margin: 0.2em 0; font-size: 0.85em; } .plot p.title { font-weight: bold; }
.toolbar { padding: 0.5em 0; border-bottom: 1px solid #eee; } th, table.values td { white-space: nowrap; }
.toolbar input { width: 22em; padding: 0.2em; }
"""

_SCRIPT = """
(function () {
  var box = document.getElementById('filter');
  function apply() {
    var wanted = box.value.trim().toLowerCase();
    document.querySelectorAll('[data-filter]').forEach(function (element) {
      var words = element.getAttribute('data-filter') + ' ' + (element.getAttribute('data-source') || '');
      element.hidden = wanted !== '' && words.toLowerCase().indexOf(wanted) < 0;
    });
  }
  function fold(open) {
    document.querySelectorAll('details').forEach(function (d) { d.open = open; });
  }
  box.addEventListener('input', apply);
  document.getElementById('unfold-all').addEventListener('click', function () { fold(true); });
  document.getElementById('fold-all').addEventListener('click', function () { fold(false); });
})();
"""


@dataclass(frozen=True)
class Page:
    """One page: one or two inputs (``names`` says what each is: ``input``, or
    ``clean`` and ``corrupt``) and, for two, the patching between them."""

    studies: tuple[Study, ...]
    names: tuple[str, ...]
    patching: PatchReport | None = None
    title: str | None = None


def _e(value: Any) -> str:
    return html.escape(shown_value(value) if not isinstance(value, str) else value)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _suffix(page: Page, k: int) -> str:
    return "" if len(page.studies) == 1 else f"_{page.names[k]}"


def _section(anchor: str, title: str, body: Sequence[str], open_: bool = True) -> list[str]:
    return [f'<details class="section" id="{anchor}"{" open" if open_ else ""}>'
            f"<summary>{html.escape(title)}</summary>", *body, "</details>"]


def _side_by_side(page: Page, parts: Sequence[Sequence[str]]) -> list[str]:
    if len(parts) == 1:
        return list(parts[0])
    out = ['<div class="pair">']
    for name, body in zip(page.names, parts):
        out.append(f'<div class="side"><h3>{html.escape(name)}</h3>')
        out += body
        out.append("</div>")
    out.append("</div>")
    return out


def _plot(heatmap: Heatmap) -> str:
    caption = f'<p class="note">{html.escape(heatmap.caption)}</p>' if heatmap.caption else ""
    return (f'<div class="plot"><p class="title">{html.escape(heatmap.title)}</p>'
            f"{heatmap_svg(heatmap)}{caption}</div>")


# ------------------------------------------------------------------ sections

def _inputs(page: Page) -> list[str]:
    out = ["<table><tr><th></th><th>input</th><th>output</th></tr>"]
    for name, study in zip(page.names, page.studies):
        report = study.report
        out.append(f"<tr><th>{html.escape(name)}</th><td><code>{html.escape(shown_sequence(report.tokens))}"
                   f"</code></td><td><code>{html.escape(report.output_name)} = "
                   f"{html.escape(shown_sequence(report.final_output))}</code></td></tr>")
    out.append("</table>")
    return out


def _residual_table(report: LensReport) -> list[str]:
    if not report.points[0].subspaces:
        return ["<p class=note>This model has no residual layout (a trained model): the logit lens, "
                "the attribution, the attention patterns and the MLP units are shown.</p>"]
    out = ["<table class=values><tr><th>s-op</th><th>encoding</th><th>written by</th>"]
    out += [f"<th>{html.escape(p.point)}</th>" for p in report.points]
    out.append("</tr>")
    for k, subspace in enumerate(report.points[0].subspaces):
        shown = report.shown_name(subspace.name)
        source = f' data-source="{_attr(shown)}"' if shown != subspace.name else ""
        out.append(f'<tr data-filter="{_attr(subspace.name)}"{source}><td><code>{html.escape(shown)}</code></td>'
                   f"<td>{subspace.encoding}</td><td>{html.escape(subspace.writer)}</td>")
        for point in report.points:
            reading = point.subspaces[k]
            low = any(c is not None and c < 0.5 for c in reading.confidence)
            css = "dead" if not reading.live else ("low" if low else "")
            known = [c for c in reading.confidence if c is not None]
            tip = (' title="confidence: ' + ", ".join(f"{c:.3f}" for c in known) + '"') if known else ""
            css_attr = f' class="{css}"' if css else ""
            shown = html.escape(shown_sequence(reading.values)) if reading.live else ""
            out.append(f"<td{css_attr}{tip}>{shown}</td>")
        out.append("</tr>")
    for name in report.absorbed:
        where = f"computed inside {name.computed_in}" if name.computed_in else "not computed by the model"
        source = f" <code>{html.escape(name.source)}</code> ({html.escape(name.place)})" if name.source else ""
        out.append(f'<tr data-filter="{_attr(name.name)}"><td><code>{html.escape(name.name)}</code></td><td></td>'
                   f"<td>{html.escape(name.computed_in)}</td><td class=dead colspan={len(report.points)}>"
                   f"{where}, no subspace of its own:{source}</td></tr>")
    out.append("</table><p class=note>Blank: not yet written at that point; . where no value leads. Orange: a categorical "
               "reading whose top direction leads the runner-up by less than 0.5. Hover for confidences.</p>")
    return out


def _logit_table(report: LensReport) -> list[str]:
    out = ["<table><tr><th>point</th>"]
    out += [f"<th>{k} <code>{html.escape(shown_value(t))}</code></th>" for k, t in enumerate(report.tokens)]
    out.append("</tr>")
    for point in report.points:
        out.append(f"<tr><th>{html.escape(point.point)}</th>")
        for value, margin in zip(undecided(point.output, point.margin), point.margin):
            tip = "" if margin is None else f' title="margin {margin:.4g}"'
            out.append(f"<td{tip}>{_e(value)}</td>")
        out.append("</tr>")
    out.append("</table>")
    return out


def _logit_lens(page: Page, k: int) -> list[str]:
    study = page.studies[k]
    out = []
    if study.logit_lens is not None:
        out.append('<div class="plots">')
        out += [_plot(h) for h in logit_lens_heatmaps(study.logit_lens, _suffix(page, k))]
        out.append("</div>")
    out.append("<p class=note>The value on top at every point; . where no value leads:</p>")
    return out + _logit_table(study.report)


def _attribution_table(attribution: Attribution) -> list[str]:
    scale = float(np.abs(attribution.contributions).max(initial=0.0)) or 1.0
    out = ["<table><tr><th>component</th><th>what it is</th>"]
    out += [f"<th>{k} <code>{html.escape(shown_value(t))}</code></th>" for k, t in enumerate(attribution.tokens)]
    out.append("</tr><tr><th></th><th>answer</th>")
    out += [f"<th><code>{_e(a)}</code></th>" for a in attribution.answer]
    out.append("</tr>")

    def cell(value: float) -> str:
        ink = ";color:#fff" if abs(value / scale) > 0.6 else ""
        shown = "0" if value == 0 else f"{value:+.3g}"
        return f'<td class="num" style="background:{colour(value / scale)}{ink}" title="{value:+.6g}">{shown}</td>'

    def row(name: str, label: str, values: np.ndarray, css: str = "") -> None:
        cells = "".join(cell(v) for v in values)
        css_attr = f' class="{css}"' if css else ""
        out.append(f'<tr{css_attr} data-filter="{_attr(name + " " + label)}"><td><code>{html.escape(name)}'
                   f"</code></td><td>{html.escape(label)}</td>{cells}</tr>")

    units = {}
    for unit in attribution.units:
        units.setdefault(unit.layer, []).append(unit)
    for k, component in enumerate(attribution.components):
        row(component.name, component.label, attribution.contributions[k])
        if component.kind == "mlp":
            for unit in units.get(component.layer, ()):
                row(f"  L{unit.layer}.U{unit.index}", unit.label, unit.contribution, "unit")
    sums = "".join(f'<td class="num">{v:.4g}</td>' for v in attribution.total())
    logits = "".join(f'<td class="num">{v:.4g}</td>' for v in attribution.logit)
    out.append(f'<tr class="total"><td>sum</td><td>of the components</td>{sums}</tr>')
    out.append(f'<tr class="total"><td>logit</td><td>the model\'s, for the answer</td>{logits}</tr></table>')
    out.append("<p class=note>Each component's term of the answer's logit (the final residual is a sum; "
               "the unembedding is linear). Blue raises the logit, red lowers it. Indented rows: the MLP's "
               "most contributing units, part of their MLP's term.</p>")
    return out


def _patching(report: PatchReport) -> list[str]:
    out = [f"<p>clean <code>{html.escape(shown_sequence(report.clean))}</code> &rarr; "
           f"<code>{html.escape(shown_sequence(report.clean_output))}</code>; corrupt "
           f"<code>{html.escape(shown_sequence(report.corrupt))}</code> &rarr; "
           f"<code>{html.escape(shown_sequence(report.corrupt_output))}</code></p>",
           "<p class=note>Each cell runs the corrupt input again with one component, at one position "
           "(or all), copied from the clean run. All patches of one kind ran as one batched pass.</p>",
           '<div class="plots">']
    out += [_plot(h) for h in patch_heatmaps(report)]
    out.append("</div>")
    for grid in report.grids:
        out.append(f"<details class=layer><summary>what each {html.escape(grid.kind)} row is</summary><table>")
        out += [f'<tr data-filter="{_attr(t.name + " " + t.label)}"><td><code>{html.escape(t.name)}</code></td>'
                f"<td>{html.escape(t.label)}</td></tr>" for t in grid.rows]
        out.append("</table></details>")
    return out


def pattern_heatmap(head: HeadView, tokens: Sequence[Any], suffix: str = "") -> Heatmap:
    labels = ("BOS",) + tuple(shown_value(t) for t in tokens)
    tips = tuple(tuple(f"query {q} ({labels[q]}) -> key {k} ({labels[k]}): {head.pattern[q, k]:.4f}"
                       for k in range(len(labels))) for q in range(len(labels)))
    return Heatmap(f"pattern_L{head.layer}H{head.head}{suffix}", f"L{head.layer}.H{head.head}", labels, labels,
                   np.asarray(head.pattern, np.float64), scale="unit", tips=tips, row_title="query",
                   column_title="key")


def _heads(page: Page, layer: int, k: int) -> list[str]:
    report = page.studies[k].report
    out = ["<div class=heads>"]
    for head in (h for h in report.heads if h.layer == layer):
        words = f"L{head.layer}.H{head.head} {head.selector} {head.reads} {head.writes}"
        out.append(f'<div class=head data-filter="{_attr(words)}"><p><b>L{head.layer}.H{head.head}</b> '
                   f"<code>{html.escape(head.selector)}</code></p>"
                   + (f"<p>reads <code>{html.escape(head.reads)}</code>, writes "
                      f"<code>{html.escape(head.writes)}</code></p>" if head.writes else "")
                   + heatmap_svg(pattern_heatmap(head, report.tokens, _suffix(page, k))) + "</div>")
    out.append("</div>")
    return out


def _units_table(layer: Sequence[UnitView], tokens: Sequence[Any]) -> list[str]:
    active = [u for u in layer if np.max(u.activations, initial=0.0) > ACTIVE]
    if not layer:
        return ["<p class=note>no MLP units</p>"]
    shown = sorted(active, key=lambda u: -float(np.max(u.activations)))[:MAX_UNITS_SHOWN]
    shown.sort(key=lambda u: u.index)
    out = [f"<p class=note>{len(active)} of {len(layer)} units active on this input"
           + (f"; the {len(shown)} most active shown" if len(shown) < len(active) else "") + ".</p>"]
    if not shown:
        return out
    out.append("<table><tr><th>unit</th><th>label</th>")
    out += [f"<th><code>{html.escape(shown_value(t))}</code></th>" for t in tokens]
    out.append("</tr>")
    for unit in shown:
        out.append(f'<tr data-filter="{_attr(unit.label)}"><td>{unit.index}</td><td>{html.escape(unit.label)}</td>')
        out += [f"<td>{a:.3g}</td>" for a in unit.activations]
        out.append("</tr>")
    out.append("</table>")
    return out


def _by_layer(page: Page, body, layers: int) -> list[str]:
    out = []
    for layer in range(layers):
        out.append(f"<details class=layer{' open' if layers <= OPEN_LAYERS else ''}>"
                   f"<summary>Layer {layer}</summary>")
        out += _side_by_side(page, [body(layer, k) for k in range(len(page.studies))])
        out.append("</details>")
    return out


# ------------------------------------------------------------------ the page

def render_page(page: Page) -> str:
    first = page.studies[0].report
    title = page.title or f"raspc lens: {first.output_name} on " + " vs ".join(
        shown_sequence(s.tokens) for s in page.studies)
    facts = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in first.summary.items())
    layers = len(first.units)
    count = range(len(page.studies))
    out = ["<!DOCTYPE html><html lang=en><head><meta charset='utf-8'>",
           f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>",
           f"<p>{html.escape(first.model_kind)} model; {html.escape(facts)}.</p>",
           '<div class="toolbar"><label>Filter rows by name: <input id="filter" type="search" '
           'placeholder="a variable, head or unit"></label> <button id="unfold-all" type="button">unfold all'
           '</button> <button id="fold-all" type="button">fold all</button></div>']
    out += _section("summary", "Inputs and outputs", _inputs(page))
    out += _section("residual", "Residual stream, read as RASP values",
                    _side_by_side(page, [_residual_table(page.studies[k].report) for k in count]),
                    open_=len(first.points[0].subspaces) <= OPEN_ROWS)
    out += _section("logit-lens", "Logit lens: the output read at every point",
                    _side_by_side(page, [_logit_lens(page, k) for k in count]))
    if all(s.attribution is not None for s in page.studies):
        rows = len(page.studies[0].attribution.components) + len(page.studies[0].attribution.units)
        out += _section("attribution", "Direct attribution of the answer's logit",
                        _side_by_side(page, [_attribution_table(page.studies[k].attribution) for k in count]),
                        open_=rows <= OPEN_ROWS)
    if page.patching is not None:
        out += _section("patching", "Activation patching", _patching(page.patching))
    out += _section("attention", "Attention patterns",
                    ["<p class=note>Rows are queries, columns keys; BOS first. Darker is more weight.</p>"]
                    + _by_layer(page, lambda layer, k: _heads(page, layer, k), layers),
                    open_=len(first.heads) <= OPEN_HEADS)
    out += _section("units", "MLP units",
                    _by_layer(page, lambda layer, k: _units_table(page.studies[k].report.units[layer],
                                                                  page.studies[k].tokens), layers))
    out.append(f"<script id=lens-script>{_SCRIPT}</script></body></html>")
    return "\n".join(out)


def page_heatmaps(page: Page) -> list[Heatmap]:
    """Every plot on the page, for ``runtime.lens.png``."""
    maps = []
    for k, study in enumerate(page.studies):
        suffix = _suffix(page, k)
        if study.logit_lens is not None:
            maps += logit_lens_heatmaps(study.logit_lens, suffix)
        if study.attribution is not None:
            maps.append(attribution_heatmap(study.attribution, suffix))
        maps += [pattern_heatmap(head, study.tokens, suffix) for head in study.report.heads]
    if page.patching is not None:
        maps += patch_heatmaps(page.patching)
    return maps


def render_html(report: LensReport, title: str | None = None) -> str:
    """The page of one report alone (variables, logit lens table, heads, units)."""
    return render_page(Page((Study(report),), ("input",), title=title))


def write_text(text: str, path: str) -> None:
    """Write a page atomically: a reader never sees half of it."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_atomically(path, text.encode("utf-8"))


def write_page(page: Page, path: str) -> None:
    write_text(render_page(page), path)


def write_html(report: LensReport, path: str, title: str | None = None) -> None:
    write_text(render_html(report, title), path)
